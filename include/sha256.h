/* sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for keyed digests. */
#ifndef VAUTH_SHA256_H
#define VAUTH_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN  64

struct sha256_ctx {
	uint32_t state[8];
	uint64_t bytes;
	unsigned char buf[SHA256_BLOCK_LEN];
};

void sha256_init(struct sha256_ctx *);
void sha256_update(struct sha256_ctx *, const void *, size_t);
/* Writes the digest and wipes the context. */
void sha256_final(struct sha256_ctx *, unsigned char out[SHA256_DIGEST_LEN]);

/* HMAC in two halves, so a caller can feed the message in pieces. */
struct hmac_sha256_ctx {
	struct sha256_ctx inner, outer;
};

void hmac_sha256_init(struct hmac_sha256_ctx *, const void *key,
    size_t keylen);
void hmac_sha256_update(struct hmac_sha256_ctx *, const void *, size_t);
/* Writes the MAC and wipes the context. */
void hmac_sha256_final(struct hmac_sha256_ctx *,
    unsigned char out[SHA256_DIGEST_LEN]);

void hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[SHA256_DIGEST_LEN]);

#endif
