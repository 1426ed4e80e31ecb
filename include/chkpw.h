/* chkpw.h: the checkpassword fd 3 format: login\0secret\0[extra\0]... */
#ifndef VAUTH_CHKPW_H
#define VAUTH_CHKPW_H

#include <stddef.h>

/* What a checkpassword caller may write on fd 3, at most. */
#define CHKPW_MAX_INPUT 512

struct chkpw_input {
	const char *login, *secret, *extra;	/* NUL-terminated, inside buf */
	size_t login_len, secret_len, extra_len;
};

/* Splits buf[0..len) in place. login and secret must each end in a NUL;
 * a third field (challenge or timestamp) is optional but must end in a NUL
 * when present; further NUL-terminated fields are allowed and ignored, as
 * the checkpassword interface reserves them. Returns 0, or -1 (errno EPROTO
 * when malformed or truncated, EMSGSIZE when len > CHKPW_MAX_INPUT). */
int chkpw_parse(char *buf, size_t len, struct chkpw_input *in);

#endif
