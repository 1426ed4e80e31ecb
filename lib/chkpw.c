/* chkpw.c: parse what a checkpassword caller writes on fd 3. */
#include <errno.h>
#include <string.h>

#include "chkpw.h"

/* login\0secret\0[extra\0[more\0...]] */
int
chkpw_parse(char *buf, size_t len, struct chkpw_input *in)
{
	const char *field[3] = { "", "", "" };
	size_t flen[3] = { 0, 0, 0 };
	size_t pos = 0, n = 0;
	char *nul;

	memset(in, 0, sizeof(*in));
	if (len > CHKPW_MAX_INPUT) {
		errno = EMSGSIZE;
		return -1;
	}
	while (pos < len) {
		nul = memchr(buf + pos, '\0', len - pos);
		if (nul == NULL)
			goto bad;	/* a field without its NUL: truncated */
		if (n < 3) {
			field[n] = buf + pos;
			flen[n] = (size_t)(nul - (buf + pos));
		}
		n++;
		pos = (size_t)(nul - buf) + 1;
	}
	if (n < 2)
		goto bad;
	in->login = field[0];
	in->login_len = flen[0];
	in->secret = field[1];
	in->secret_len = flen[1];
	in->extra = field[2];
	in->extra_len = flen[2];
	return 0;
bad:
	errno = EPROTO;
	return -1;
}
