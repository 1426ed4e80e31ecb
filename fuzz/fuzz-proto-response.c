/* fuzz-proto-response.c: fuzz target for vchkpw's response decoder; decode, re-encode. */
#include <string.h>

#include "fuzz.h"
#include "proto.h"

/* The first input byte picks the request the answer is to. */
static const enum proto_op ops[] = { PROTO_AUTH, PROTO_LOOKUP, PROTO_FLUSH,
    PROTO_STATS, PROTO_PING, PROTO_THROTTLES, PROTO_UNTHROTTLE };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char out[PROTO_MAX_RESPONSE + 2];
	struct proto_response resp;
	enum proto_op op;
	int n;

	if (size < 1)
		return 0;
	op = ops[data[0] % (sizeof(ops) / sizeof(ops[0]))];
	data++;
	size--;
	if (proto_decode_response(op, data, size, &resp) < 0) {
		/* Anything malformed is a temporary failure, never OK. */
		FUZZ_ASSERT(resp.result == AUTH_TEMP);
		return 0;
	}
	FUZZ_ASSERT(resp.result == AUTH_OK || resp.result == AUTH_NO ||
	    resp.result == AUTH_TEMP);
	n = proto_encode_response(op, &resp, out, sizeof(out));
	FUZZ_ASSERT(n >= 2);
	FUZZ_ASSERT((size_t)n == size + 2 && memcmp(out + 2, data, size) == 0);
	return 0;
}
