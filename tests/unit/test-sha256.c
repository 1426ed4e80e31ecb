/* test-sha256.c: SHA-256 (FIPS 180-4 examples) and HMAC-SHA-256 (RFC 4231) vectors. */
#include "sha256.h"
#include "test.h"

static void
hexs(const unsigned char *d, char *out)
{
	for (int i = 0; i < SHA256_DIGEST_LEN; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
test_sha256_vectors(void)
{
	/* FIPS 180-4's examples (NIST CSRC "SHA256.pdf"), plus the empty
	 * message and a two-block message fed in odd-sized pieces. */
	static const struct {
		const char *in, *out;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	unsigned char d[SHA256_DIGEST_LEN], chunk[1000];
	char h[2 * SHA256_DIGEST_LEN + 1];
	struct sha256_ctx c;
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256_init(&c);
		sha256_update(&c, v[i].in, strlen(v[i].in));
		sha256_final(&c, d);
		hexs(d, h);
		CHECK_MSG(strcmp(h, v[i].out) == 0, "sha256(\"%s\") = %s", v[i].in, h);
		/* The same bytes one at a time must give the same digest. */
		sha256_init(&c);
		for (j = 0; j < strlen(v[i].in); j++)
			sha256_update(&c, v[i].in + j, 1);
		sha256_final(&c, d);
		hexs(d, h);
		CHECK_MSG(strcmp(h, v[i].out) == 0, "bytewise \"%s\"", v[i].in);
	}
	/* One million 'a', in 1000-byte pieces. */
	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&c);
	for (i = 0; i < 1000; i++)
		sha256_update(&c, chunk, sizeof(chunk));
	sha256_final(&c, d);
	hexs(d, h);
	CHECK(strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0);
}

static void
test_hmac_vectors(void)
{
	/* RFC 4231 section 4, test cases 1-4, 6 and 7 (5 is truncated). */
	static const char data7[] = "This is a test using a larger than "
	    "block-size key and a larger than block-size data. The key needs "
	    "to be hashed before being used by the HMAC algorithm.";
	unsigned char key[131], msg[160], d[SHA256_DIGEST_LEN];
	char h[2 * SHA256_DIGEST_LEN + 1];
	struct hmac_sha256_ctx hc;
	size_t i;

	memset(key, 0x0b, 20);
	hmac_sha256(key, 20, "Hi There", 8, d);
	hexs(d, h);
	CHECK(strcmp(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7") == 0);

	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d);
	hexs(d, h);
	CHECK(strcmp(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843") == 0);

	memset(key, 0xaa, 20);
	memset(msg, 0xdd, 50);
	hmac_sha256(key, 20, msg, 50, d);
	hexs(d, h);
	CHECK(strcmp(h, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe") == 0);

	for (i = 0; i < 25; i++)
		key[i] = (unsigned char)(i + 1);
	memset(msg, 0xcd, 50);
	hmac_sha256(key, 25, msg, 50, d);
	hexs(d, h);
	CHECK(strcmp(h, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b") == 0);

	memset(key, 0xaa, 131);
	hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
	    54, d);
	hexs(d, h);
	CHECK(strcmp(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54") == 0);

	/* Case 7 again, fed in two pieces through the streaming calls. */
	hmac_sha256_init(&hc, key, 131);
	hmac_sha256_update(&hc, data7, 17);
	hmac_sha256_update(&hc, data7 + 17, strlen(data7) - 17);
	hmac_sha256_final(&hc, d);
	hexs(d, h);
	CHECK(strcmp(h, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2") == 0);
}

int
main(void)
{
	test_sha256_vectors();
	test_hmac_vectors();
	return test_done("test-sha256");
}
