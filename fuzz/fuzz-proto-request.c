/* fuzz-proto-request.c: fuzz target for vauthd's request decoder; decode, re-encode. */
#include <string.h>

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char out[PROTO_MAX_REQUEST + 2];
	struct proto_request req;
	int n;

	if (proto_decode_request(data, size, &req) < 0)
		return 0;
	/* The format is canonical: what decodes encodes to the same bytes. */
	n = proto_encode_request(&req, out, sizeof(out));
	FUZZ_ASSERT(n >= 2);
	FUZZ_ASSERT((size_t)n == size + 2 && proto_frame_len(out) == size);
	FUZZ_ASSERT(memcmp(out + 2, data, size) == 0);
	return 0;
}
