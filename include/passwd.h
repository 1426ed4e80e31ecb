/* passwd.h: password hashing and checking: libcrypt, CRAM-MD5, APOP. */
#ifndef VAUTH_PASSWD_H
#define VAUTH_PASSWD_H

#include <stddef.h>

#include "proto.h"

/* Longest stored hash or clear password we accept from the database. */
#define PASSWD_MAX_HASH  256
#define PASSWD_MAX_CLEAR 256
/* Default scheme for new hashes and for the dummy check. */
#define PASSWD_DEFAULT_PREFIX "$y$"

/* Makes the dummy hash an unknown user is checked against, in the scheme
 * whose crypt prefix is given ("$y$", "$2b$", "$6$", ...). Returns 0, or -1
 * (errno EINVAL) when libcrypt has no such scheme. Call once, before
 * threads start. */
int passwd_init(const char *prefix);

/* Hashes secret with a fresh salt in the given scheme into out (cap bytes,
 * at least PASSWD_MAX_HASH). Returns 0, or -1 with errno. */
int passwd_hash(const char *prefix, const char *secret, char *out, size_t cap);

/* 1 when secret matches: against hash through libcrypt, or, only when the
 * row has no hash at all, against the clear password. An empty hash with no
 * clear password, or a hash starting with '*' or '!', never matches.
 * Otherwise 0. The comparison is constant-time. */
int passwd_verify(const char *hash, const char *clear, const char *secret,
    size_t slen);

/* 1 when secret is the challenge-response for the clear password: CRAM-MD5
 * (lower-case hex HMAC-MD5 of extra keyed with the password) for SMTP, APOP
 * (hex MD5 of extra then the password) otherwise. 0 when it is not, or when
 * there is no clear password. */
int passwd_verify_digest(enum proto_service svc, const char *clear,
    const char *secret, size_t slen, const char *extra, size_t elen);

/* Spends what one passwd_verify costs, for a login with no such user, so
 * that timing does not tell which users exist. */
void passwd_burn(const char *secret, size_t slen);

/* Constant-time in the longer length: 1 when equal, 0 otherwise. */
int passwd_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* 1 when hash is in a scheme weaker than prefix would make. */
int passwd_is_weaker(const char *hash, const char *prefix);

#endif
