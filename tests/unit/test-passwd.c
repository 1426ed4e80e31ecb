/* test-passwd.c: every libcrypt scheme, clear fallback, CRAM-MD5, APOP, MD5 vectors. */
#include "md5.h"
#include "passwd.h"
#include "test.h"

static void
hexs(const unsigned char *d, char *out)
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void
test_md5_vectors(void)
{
	/* RFC 1321 appendix A.5 and RFC 2104 section 2 test vectors. */
	static const struct {
		const char *in, *out;
	} md5v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	unsigned char d[16];
	char h[33];
	struct md5_ctx c;

	for (size_t i = 0; i < sizeof(md5v) / sizeof(md5v[0]); i++) {
		md5_init(&c);
		md5_update(&c, md5v[i].in, strlen(md5v[i].in));
		md5_final(&c, d);
		hexs(d, h);
		CHECK_MSG(strcmp(h, md5v[i].out) == 0, "md5(%s) = %s", md5v[i].in, h);
	}
	hmac_md5("Jefe", 4, "what do ya want for nothing?", 28, d);
	hexs(d, h);
	CHECK(strcmp(h, "750c783e6ab0b503eaa86e310a5db738") == 0);
}

static void
test_schemes(void)
{
	static const char *prefixes[] = { "$y$", "$2b$", "$6$", "$5$", "$1$", "ab" };
	char hash[PASSWD_MAX_HASH];

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		CHECK_MSG(passwd_hash(prefixes[i], "s3cret", hash, sizeof(hash)) == 0,
		    "%s", prefixes[i]);
		CHECK_MSG(passwd_verify(hash, NULL, "s3cret", 6) == 1, "%s ok", prefixes[i]);
		CHECK_MSG(passwd_verify(hash, NULL, "s3creT", 6) == 0, "%s wrong", prefixes[i]);
		CHECK_MSG(passwd_verify(hash, NULL, "", 0) == 0, "%s empty", prefixes[i]);
		/* A clear password never overrides a hash. */
		CHECK_MSG(passwd_verify(hash, "other", "other", 5) == 0, "%s clear", prefixes[i]);
	}
}

static void
test_locked_and_clear(void)
{
	CHECK(passwd_verify("!$6$abc$def", "pw", "pw", 2) == 0);
	CHECK(passwd_verify("*", "pw", "pw", 2) == 0);
	CHECK(passwd_verify("", "pw", "pw", 2) == 1);
	CHECK(passwd_verify(NULL, "pw", "pw", 2) == 1);
	CHECK(passwd_verify("", "pw", "pw2", 3) == 0);
	CHECK(passwd_verify("", "", "", 0) == 0);
	CHECK(passwd_verify("", NULL, "x", 1) == 0);
}

static void
test_digests(void)
{
	unsigned char d[16];
	char h[33];
	struct md5_ctx c;
	const char *ts = "<1896.697170952@dbc.mtview.ca.us>";

	/* RFC 1939's APOP example: password tanstaaf. */
	CHECK(passwd_verify_digest(SVC_POP3, "tanstaaf",
	    "c4c9334bac560ecc979e58001b3e22fb", 32, ts, strlen(ts)) == 1);
	CHECK(passwd_verify_digest(SVC_POP3, "tanstaaf",
	    "C4C9334BAC560ECC979E58001B3E22FB", 32, ts, strlen(ts)) == 1);
	CHECK(passwd_verify_digest(SVC_POP3, "tanstaaF",
	    "c4c9334bac560ecc979e58001b3e22fb", 32, ts, strlen(ts)) == 0);
	CHECK(passwd_verify_digest(SVC_POP3, NULL,
	    "c4c9334bac560ecc979e58001b3e22fb", 32, ts, strlen(ts)) == 0);
	/* RFC 2195's CRAM-MD5 example: tim / tanstaaftanstaaf. */
	ts = "<1896.697170952@postoffice.reston.mci.net>";
	CHECK(passwd_verify_digest(SVC_SMTP, "tanstaaftanstaaf",
	    "b913a602c7eda7a495b4e6e7334d3890", 32, ts, strlen(ts)) == 1);
	CHECK(passwd_verify_digest(SVC_SMTP, "tanstaaftanstaaf",
	    "b913a602c7eda7a495b4e6e7334d3891", 32, ts, strlen(ts)) == 0);
	/* An APOP digest is not a CRAM-MD5 response. */
	md5_init(&c);
	md5_update(&c, ts, strlen(ts));
	md5_update(&c, "pw", 2);
	md5_final(&c, d);
	hexs(d, h);
	CHECK(passwd_verify_digest(SVC_POP3, "pw", h, 32, ts, strlen(ts)) == 1);
	CHECK(passwd_verify_digest(SVC_SMTP, "pw", h, 32, ts, strlen(ts)) == 0);
}

static void
test_ct_equal_and_rank(void)
{
	CHECK(passwd_ct_equal("abc", 3, "abc", 3) == 1);
	CHECK(passwd_ct_equal("abc", 3, "abd", 3) == 0);
	CHECK(passwd_ct_equal("abc", 3, "abcd", 4) == 0);
	CHECK(passwd_ct_equal("", 0, "", 0) == 1);
	CHECK(passwd_is_weaker("$1$x$y", "$y$") == 1);
	CHECK(passwd_is_weaker("", "$6$") == 1);
	CHECK(passwd_is_weaker("$y$j9T$a$b", "$y$") == 0);
	CHECK(passwd_is_weaker("$y$j9T$a$b", "$6$") == 0);
	CHECK(passwd_init("$6$") == 0);
	CHECK(passwd_init("$nope$") < 0);
}

int
main(void)
{
	test_md5_vectors();
	test_schemes();
	test_locked_and_clear();
	test_digests();
	test_ct_equal_and_rank();
	return test_done("test-passwd");
}
