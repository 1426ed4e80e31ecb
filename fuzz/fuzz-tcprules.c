/* fuzz-tcprules.c: fuzz target for the tcp.smtp parser (tcprules_parse) and addresses (tcprules_addr_canon). */
#include <string.h>

#include "fuzz.h"
#include "tcprules.h"

static int
check_record(void *arg, const char *key, size_t klen, const char *data,
    size_t dlen)
{
	long *n = arg;

	(void)key;
	/* A key is at most a line and a range's digits; every instruction
	 * ("D", "+NAME=VALUE") ends in a NUL. */
	FUZZ_ASSERT(klen <= TCPRULES_MAX_KEY);
	FUZZ_ASSERT(dlen <= TCPRULES_MAX_LINE + 2);
	FUZZ_ASSERT(dlen == 0 || data[dlen - 1] == '\0');
	FUZZ_ASSERT(dlen == 0 || data[0] == 'D' || data[0] == '+');
	(*n)++;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TCPRULES_ERR_LEN], a[TCPRULES_MAX_ADDR + 1];
	char b[TCPRULES_MAX_ADDR + 1];
	long n = 0, r;

	err[0] = '\0';
	r = tcprules_parse((const char *)data, size, check_record, &n, err,
	    sizeof(err));
	if (r < 0)
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
	else
		FUZZ_ASSERT(r == n);
	/* A canonical address is its own canonical form. */
	if (tcprules_addr_canon((const char *)data, size, a) == 0) {
		FUZZ_ASSERT(tcprules_addr_canon(a, strlen(a), b) == 0);
		FUZZ_ASSERT(strcmp(a, b) == 0);
	}
	return 0;
}
