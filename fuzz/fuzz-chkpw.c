/* fuzz-chkpw.c: fuzz target for vchkpw's fd 3 parser (chkpw_parse). */
#include <string.h>

#include "chkpw.h"
#include "fuzz.h"

static void
check_field(const char *buf, size_t len, const char *f, size_t flen)
{
	/* Empty defaults may point at a literal ""; real ones lie inside buf,
	 * NUL-terminated there. */
	if (flen == 0 && (f < buf || f >= buf + len))
		return;
	FUZZ_ASSERT(f >= buf && f + flen < buf + len && f[flen] == '\0');
	FUZZ_ASSERT(memchr(f, '\0', flen) == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chkpw_input in;
	char *buf;

	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	if (chkpw_parse(buf, size, &in) == 0) {
		FUZZ_ASSERT(size <= CHKPW_MAX_INPUT);
		check_field(buf, size, in.login, in.login_len);
		check_field(buf, size, in.secret, in.secret_len);
		check_field(buf, size, in.extra, in.extra_len);
		/* The parse does not change the bytes it splits. */
		FUZZ_ASSERT(memcmp(buf, data, size) == 0);
	}
	free(buf);
	return 0;
}
