/* md5.h: MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), for APOP and CRAM-MD5 only. */
#ifndef VAUTH_MD5_H
#define VAUTH_MD5_H

#include <stddef.h>
#include <stdint.h>

#define MD5_DIGEST_LEN 16
#define MD5_BLOCK_LEN  64

struct md5_ctx {
	uint32_t state[4];
	uint64_t bytes;
	unsigned char buf[MD5_BLOCK_LEN];
};

void md5_init(struct md5_ctx *);
void md5_update(struct md5_ctx *, const void *, size_t);
void md5_final(struct md5_ctx *, unsigned char out[MD5_DIGEST_LEN]);

void hmac_md5(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[MD5_DIGEST_LEN]);

#endif
