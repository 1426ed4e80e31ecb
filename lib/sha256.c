/* sha256.c: SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for keyed digests. */
#include <string.h>

#include "sha256.h"

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
 * the cube roots of the first 64 primes. */
static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* Section 6.2.2: one 512-bit block. */
static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2, s0, s1;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		s0 = ROTR(w[i - 15], 7) ^ ROTR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		s1 = ROTR(w[i - 2], 17) ^ ROTR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) +
		    ((e & f) ^ (~e & g)) + k256[i] + w[i];
		t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
	memset(w, 0, sizeof(w));
}

void
sha256_init(struct sha256_ctx *c)
{
	/* Section 5.3.3: square roots of the first eight primes. */
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->state, iv, sizeof(iv));
	c->bytes = 0;
}

void
sha256_update(struct sha256_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t have = (size_t)(c->bytes % SHA256_BLOCK_LEN), n;

	c->bytes += len;
	if (have > 0) {
		n = SHA256_BLOCK_LEN - have;
		if (n > len)
			n = len;
		memcpy(c->buf + have, p, n);
		p += n;
		len -= n;
		if (have + n < SHA256_BLOCK_LEN)
			return;
		sha256_block(c->state, c->buf);
	}
	for (; len >= SHA256_BLOCK_LEN; p += SHA256_BLOCK_LEN,
	    len -= SHA256_BLOCK_LEN)
		sha256_block(c->state, p);
	memcpy(c->buf, p, len);
}

void
sha256_final(struct sha256_ctx *c, unsigned char out[SHA256_DIGEST_LEN])
{
	/* Section 5.1.1: a 1 bit, zeros, then the length in bits. */
	unsigned char pad[SHA256_BLOCK_LEN + 8];
	uint64_t bits = c->bytes * 8;
	size_t have = (size_t)(c->bytes % SHA256_BLOCK_LEN);
	size_t padlen = (have < 56 ? 56 : 120) - have;
	int i;

	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (i = 0; i < 8; i++)
		pad[padlen + (size_t)i] = (unsigned char)(bits >> (56 - 8 * i));
	sha256_update(c, pad, padlen + 8);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(c->state[i] >> 24);
		out[4 * i + 1] = (unsigned char)(c->state[i] >> 16);
		out[4 * i + 2] = (unsigned char)(c->state[i] >> 8);
		out[4 * i + 3] = (unsigned char)c->state[i];
	}
	explicit_bzero(c, sizeof(*c));
}

void
hmac_sha256_init(struct hmac_sha256_ctx *h, const void *key, size_t keylen)
{
	unsigned char k[SHA256_BLOCK_LEN], pad[SHA256_BLOCK_LEN];
	struct sha256_ctx kc;
	size_t i;

	/* RFC 2104 section 2: a key longer than a block is hashed first. */
	memset(k, 0, sizeof(k));
	if (keylen > SHA256_BLOCK_LEN) {
		sha256_init(&kc);
		sha256_update(&kc, key, keylen);
		sha256_final(&kc, k);
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	for (i = 0; i < SHA256_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&h->inner);
	sha256_update(&h->inner, pad, sizeof(pad));
	for (i = 0; i < SHA256_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&h->outer);
	sha256_update(&h->outer, pad, sizeof(pad));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
}

void
hmac_sha256_update(struct hmac_sha256_ctx *h, const void *data, size_t len)
{
	sha256_update(&h->inner, data, len);
}

void
hmac_sha256_final(struct hmac_sha256_ctx *h,
    unsigned char out[SHA256_DIGEST_LEN])
{
	unsigned char d[SHA256_DIGEST_LEN];

	sha256_final(&h->inner, d);
	sha256_update(&h->outer, d, sizeof(d));
	sha256_final(&h->outer, out);
	explicit_bzero(d, sizeof(d));
	explicit_bzero(h, sizeof(*h));
}

void
hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[SHA256_DIGEST_LEN])
{
	struct hmac_sha256_ctx h;

	hmac_sha256_init(&h, key, keylen);
	hmac_sha256_update(&h, msg, msglen);
	hmac_sha256_final(&h, out);
}
