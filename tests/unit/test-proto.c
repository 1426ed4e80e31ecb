/* test-proto.c: the wire format round-trips, and every malformation is refused. */
#include <errno.h>
#include <stdlib.h>

#include "proto.h"
#include "test.h"

static struct proto_str
S(const char *s)
{
	struct proto_str p = { s, strlen(s) };

	return p;
}

static void
test_auth_roundtrip(void)
{
	unsigned char buf[PROTO_MAX_REQUEST + 2];
	struct proto_request in, out;
	int n;

	memset(&in, 0, sizeof(in));
	in.op = PROTO_AUTH;
	in.service = SVC_POP3;
	in.login = S("alice@example.com");
	in.secret = S("pw");
	in.extra = S("<1.2@host>");
	in.remote_ip = S("127.0.0.5");
	n = proto_encode_request(&in, buf, sizeof(buf));
	CHECK(n > 2);
	CHECK(proto_frame_len(buf) == (size_t)n - 2);
	CHECK(proto_decode_request(buf + 2, (size_t)n - 2, &out) == 0);
	CHECK(out.op == PROTO_AUTH && out.service == SVC_POP3);
	CHECK(out.login.len == 17 && memcmp(out.login.p, "alice@example.com", 17) == 0);
	CHECK(out.extra.len == 10);
	/* Every truncation is refused. */
	for (int i = 0; i < n - 2; i++)
		CHECK_MSG(proto_decode_request(buf + 2, (size_t)i, &out) < 0 &&
		    errno == EPROTO, "prefix %d", i);
	/* Trailing bytes are refused. */
	buf[n] = 0;
	CHECK(proto_decode_request(buf + 2, (size_t)n - 1, &out) < 0);
}

/* A lookup may name no login service (delivery, doveadm); an AUTH may not. */
static void
test_lookup_without_service(void)
{
	unsigned char buf[PROTO_MAX_REQUEST + 2];
	struct proto_request in, out;
	int n;

	memset(&in, 0, sizeof(in));
	in.op = PROTO_LOOKUP;
	in.service = SVC_NONE;
	in.login = S("alice@example.com");
	n = proto_encode_request(&in, buf, sizeof(buf));
	CHECK(n > 2);
	CHECK(proto_decode_request(buf + 2, (size_t)n - 2, &out) == 0);
	CHECK(out.op == PROTO_LOOKUP && out.service == SVC_NONE);
	in.op = PROTO_AUTH;
	CHECK(proto_encode_request(&in, buf, sizeof(buf)) < 0);
}

static void
test_bad_requests(void)
{
	static const struct {
		const char *name;
		unsigned char b[16];
		size_t len;
	} cases[] = {
		{ "empty", { 0 }, 0 },
		{ "version 2", { 2, 'P' }, 2 },
		{ "unknown op", { 1, 'Z' }, 2 },
		{ "bad service", { 1, 'A', 'x', 0, 0, 0, 0, 0, 0, 0, 0 }, 11 },
		{ "auth for no service", { 1, 'A', 0, 0, 0, 0, 0, 0, 0, 0, 0 },
		    11 },
		{ "string past end", { 1, 'L', 'p', 0, 9, 'a' }, 6 },
		{ "NUL in login", { 1, 'L', 'p', 0, 2, 'a', 0 }, 7 },
		{ "ping with junk", { 1, 'P', 0 }, 3 },
	};
	struct proto_request r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_MSG(proto_decode_request(cases[i].b, cases[i].len, &r) < 0,
		    "%s", cases[i].name);
}

static void
test_limits(void)
{
	unsigned char buf[4 * PROTO_MAX_REQUEST];
	char big[PROTO_MAX_LOGIN + 2];
	struct proto_request in;

	memset(big, 'a', sizeof(big));
	memset(&in, 0, sizeof(in));
	in.op = PROTO_AUTH;
	in.service = SVC_SMTP;
	in.login.p = big;
	in.login.len = PROTO_MAX_LOGIN + 1;
	CHECK(proto_encode_request(&in, buf, sizeof(buf)) < 0);
	in.login.len = PROTO_MAX_LOGIN;
	CHECK(proto_encode_request(&in, buf, sizeof(buf)) > 0);
}

static void
test_response(void)
{
	unsigned char buf[PROTO_MAX_RESPONSE + 2];
	struct proto_response in, out;
	int n;

	memset(&in, 0, sizeof(in));
	in.result = AUTH_OK;
	strcpy(in.user.user, "alice");
	strcpy(in.user.domain, "example.com");
	strcpy(in.user.home, "/home/vpopmail/domains/example.com/alice");
	strcpy(in.user.quota, "NOQUOTA");
	in.user.uid = 89;
	in.user.gid = 89;
	in.user.flags = 0x802;
	n = proto_encode_response(PROTO_AUTH, &in, buf, sizeof(buf));
	CHECK(n > 0);
	CHECK(proto_decode_response(PROTO_AUTH, buf + 2, (size_t)n - 2, &out) == 0);
	CHECK(out.result == AUTH_OK && out.user.uid == 89 && out.user.flags == 0x802);
	CHECK(strcmp(out.user.home, in.user.home) == 0);
	/* A short 'O' is not an OK: it is malformed, and the result is TEMP. */
	CHECK(proto_decode_response(PROTO_AUTH, buf + 2, (size_t)n - 3, &out) < 0);
	CHECK(out.result == AUTH_TEMP);
	/* Unknown status bytes are errors, never OK. */
	{
		unsigned char b[2] = { PROTO_VERSION, 'o' };

		CHECK(proto_decode_response(PROTO_AUTH, b, 2, &out) < 0);
		CHECK(out.result == AUTH_TEMP);
	}
	{
		unsigned char b[2] = { PROTO_VERSION, 'N' };

		CHECK(proto_decode_response(PROTO_AUTH, b, 2, &out) == 0);
		CHECK(out.result == AUTH_NO);
	}
	/* An unset result encodes as TEMP. */
	memset(&in, 0, sizeof(in));
	n = proto_encode_response(PROTO_AUTH, &in, buf, sizeof(buf));
	CHECK(n == 4 && buf[3] == 'T');
}

int
main(void)
{
	test_auth_roundtrip();
	test_lookup_without_service();
	test_bad_requests();
	test_limits();
	test_response();
	return test_done("test-proto");
}
