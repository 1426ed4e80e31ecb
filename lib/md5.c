/* md5.c: MD5 (RFC 1321) and HMAC-MD5 (RFC 2104), for APOP and CRAM-MD5 only. */
#include <string.h>

#include "md5.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* Per-round shift amounts and the sine-derived constants of RFC 1321. */
static const unsigned char shifts[64] = {
	7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
	5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
	4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
	6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};

static const uint32_t sines[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
	0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
	0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
	0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
	0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
	0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

static void
md5_block(uint32_t st[4], const unsigned char *p)
{
	uint32_t m[16], a = st[0], b = st[1], c = st[2], d = st[3], f, t;
	unsigned i, g;

	for (i = 0; i < 16; i++)
		m[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		    (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (d & b) | (~d & c);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = d;
		d = c;
		c = b;
		b = b + ROTL(a + f + sines[i] + m[g], shifts[i]);
		a = t;
	}
	st[0] += a;
	st[1] += b;
	st[2] += c;
	st[3] += d;
}

void
md5_init(struct md5_ctx *c)
{
	c->state[0] = 0x67452301;
	c->state[1] = 0xefcdab89;
	c->state[2] = 0x98badcfe;
	c->state[3] = 0x10325476;
	c->bytes = 0;
}

void
md5_update(struct md5_ctx *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t have = c->bytes % MD5_BLOCK_LEN, take;

	c->bytes += len;
	while (len > 0) {
		take = MD5_BLOCK_LEN - have < len ? MD5_BLOCK_LEN - have : len;
		memcpy(c->buf + have, p, take);
		have += take;
		p += take;
		len -= take;
		if (have == MD5_BLOCK_LEN) {
			md5_block(c->state, c->buf);
			have = 0;
		}
	}
}

void
md5_final(struct md5_ctx *c, unsigned char out[MD5_DIGEST_LEN])
{
	static const unsigned char pad[MD5_BLOCK_LEN] = { 0x80 };
	unsigned char len[8];
	uint64_t bits = c->bytes * 8;
	size_t have = c->bytes % MD5_BLOCK_LEN;
	unsigned i;

	for (i = 0; i < 8; i++)
		len[i] = (unsigned char)(bits >> (8 * i));
	md5_update(c, pad, have < 56 ? 56 - have : 120 - have);
	md5_update(c, len, 8);
	for (i = 0; i < 16; i++)
		out[i] = (unsigned char)(c->state[i / 4] >> (8 * (i % 4)));
	explicit_bzero(c, sizeof(*c));
}

void
hmac_md5(const void *key, size_t keylen, const void *msg, size_t msglen,
    unsigned char out[MD5_DIGEST_LEN])
{
	unsigned char k[MD5_BLOCK_LEN], pad[MD5_BLOCK_LEN];
	unsigned char inner[MD5_DIGEST_LEN];
	struct md5_ctx c;
	unsigned i;

	memset(k, 0, sizeof(k));
	if (keylen > MD5_BLOCK_LEN) {
		md5_init(&c);
		md5_update(&c, key, keylen);
		md5_final(&c, k);
	} else if (keylen > 0) {
		memcpy(k, key, keylen);
	}
	for (i = 0; i < MD5_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x36;
	md5_init(&c);
	md5_update(&c, pad, sizeof(pad));
	md5_update(&c, msg, msglen);
	md5_final(&c, inner);
	for (i = 0; i < MD5_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x5c;
	md5_init(&c);
	md5_update(&c, pad, sizeof(pad));
	md5_update(&c, inner, sizeof(inner));
	md5_final(&c, out);
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
	explicit_bzero(inner, sizeof(inner));
}
