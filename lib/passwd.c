/* passwd.c: password hashing and checking: libcrypt, CRAM-MD5, APOP. */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "md5.h"
#include "passwd.h"

static char dummy_hash[PASSWD_MAX_HASH];

int
passwd_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const volatile unsigned char *x = a, *y = b;
	size_t i, n = alen > blen ? alen : blen;
	unsigned char diff = alen != blen;

	for (i = 0; i < n; i++)
		diff |= (i < alen ? x[i] : 0) ^ (i < blen ? y[i] : 0);
	return diff == 0;
}

int
passwd_hash(const char *prefix, const char *secret, char *out, size_t cap)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (crypt_gensalt_rn(prefix, 0, NULL, 0, salt, sizeof(salt)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return -1;
	h = crypt_rn(secret, salt, cd, sizeof(*cd));
	if (h == NULL || h[0] == '*') {
		errno = EINVAL;
	} else if (strlen(h) >= cap) {
		errno = ENAMETOOLONG;
	} else {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int
passwd_init(const char *prefix)
{
	return passwd_hash(prefix, "vauth-dummy-password", dummy_hash,
	    sizeof(dummy_hash));
}

/* Runs crypt for secret with hash's setting; 1 on a match. */
static int
crypt_matches(const char *hash, const char *secret, size_t slen)
{
	char pw[PROTO_MAX_SECRET + 1];
	struct crypt_data *cd;
	const char *h;
	int ok = 0;

	if (slen > PROTO_MAX_SECRET)
		return 0;
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL)
		return 0;
	memcpy(pw, secret, slen);
	pw[slen] = '\0';
	h = crypt_rn(pw, hash, cd, sizeof(*cd));
	if (h != NULL && h[0] != '*')
		ok = passwd_ct_equal(h, strlen(h), hash, strlen(hash));
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

int
passwd_verify(const char *hash, const char *clear, const char *secret,
    size_t slen)
{
	if (slen == 0)
		return 0;
	if (hash != NULL && hash[0] != '\0') {
		if (hash[0] == '*' || hash[0] == '!')
			return 0;
		return crypt_matches(hash, secret, slen);
	}
	if (clear != NULL && clear[0] != '\0')
		return passwd_ct_equal(clear, strlen(clear), secret, slen);
	return 0;
}

void
passwd_burn(const char *secret, size_t slen)
{
	if (dummy_hash[0] != '\0')
		(void)crypt_matches(dummy_hash, secret, slen);
}

static void
hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

int
passwd_verify_digest(enum proto_service svc, const char *clear,
    const char *secret, size_t slen, const char *extra, size_t elen)
{
	unsigned char d[MD5_DIGEST_LEN];
	char want[2 * MD5_DIGEST_LEN + 1], got[2 * MD5_DIGEST_LEN + 1];
	struct md5_ctx c;
	size_t i;
	int ok;

	if (clear == NULL || clear[0] == '\0' || elen == 0 ||
	    slen != 2 * MD5_DIGEST_LEN)
		return 0;
	if (svc == SVC_SMTP) {
		hmac_md5(clear, strlen(clear), extra, elen, d);
	} else {
		md5_init(&c);
		md5_update(&c, extra, elen);
		md5_update(&c, clear, strlen(clear));
		md5_final(&c, d);
	}
	hex(d, sizeof(d), want);
	/* Clients differ in the case of their hex digits. */
	for (i = 0; i < slen; i++)
		got[i] = secret[i] >= 'A' && secret[i] <= 'F' ?
		    (char)(secret[i] - 'A' + 'a') : secret[i];
	got[slen] = '\0';
	ok = passwd_ct_equal(want, strlen(want), got, slen);
	explicit_bzero(d, sizeof(d));
	explicit_bzero(want, sizeof(want));
	explicit_bzero(got, sizeof(got));
	return ok;
}

/* Strength ranks of the schemes libcrypt offers; higher is stronger. */
static int
scheme_rank(const char *h)
{
	if (h == NULL || h[0] == '\0')
		return 0;			/* clear only */
	if (strncmp(h, "$y$", 3) == 0 || strncmp(h, "$gy$", 4) == 0)
		return 5;
	if (strncmp(h, "$2b$", 4) == 0 || strncmp(h, "$2y$", 4) == 0 ||
	    strncmp(h, "$2a$", 4) == 0)
		return 4;
	if (strncmp(h, "$6$", 3) == 0)
		return 3;
	if (strncmp(h, "$5$", 3) == 0)
		return 2;
	return 1;				/* $1$, DES and the like */
}

int
passwd_is_weaker(const char *hash, const char *prefix)
{
	return scheme_rank(hash) < scheme_rank(prefix);
}
