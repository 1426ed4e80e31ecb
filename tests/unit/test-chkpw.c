/* test-chkpw.c: the fd 3 parser: fields, truncation, limits. */
#include <errno.h>

#include "chkpw.h"
#include "test.h"

static void
test_table(void)
{
	static const struct {
		const char *name;
		const char *in;
		size_t len;
		int ok;
		const char *login, *secret, *extra;
	} cases[] = {
		{ "plain", "u\0p\0", 4, 1, "u", "p", "" },
		{ "with timestamp", "u\0p\0<t>\0", 8, 1, "u", "p", "<t>" },
		{ "more fields", "u\0p\0t\0x\0", 8, 1, "u", "p", "t" },
		{ "empty fields", "\0\0", 2, 1, "", "", "" },
		{ "no input", "", 0, 0, NULL, NULL, NULL },
		{ "no NUL", "user", 4, 0, NULL, NULL, NULL },
		{ "one field", "u\0", 2, 0, NULL, NULL, NULL },
		{ "truncated secret", "u\0pass", 6, 0, NULL, NULL, NULL },
		{ "truncated extra", "u\0p\0tim", 7, 0, NULL, NULL, NULL },
	};
	struct chkpw_input in;
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, cases[i].in, cases[i].len);
		int r = chkpw_parse(buf, cases[i].len, &in);
		if (!cases[i].ok) {
			CHECK_MSG(r < 0 && errno == EPROTO, "%s", cases[i].name);
			continue;
		}
		CHECK_MSG(r == 0 && strcmp(in.login, cases[i].login) == 0 &&
		    strcmp(in.secret, cases[i].secret) == 0 &&
		    strcmp(in.extra, cases[i].extra) == 0 &&
		    in.login_len == strlen(cases[i].login), "%s", cases[i].name);
	}
}

static void
test_size(void)
{
	char buf[CHKPW_MAX_INPUT + 1];
	struct chkpw_input in;

	memset(buf, 'a', sizeof(buf));
	buf[CHKPW_MAX_INPUT - 2] = '\0';
	buf[CHKPW_MAX_INPUT - 1] = '\0';
	CHECK(chkpw_parse(buf, CHKPW_MAX_INPUT, &in) == 0);
	CHECK(chkpw_parse(buf, CHKPW_MAX_INPUT + 1, &in) < 0 && errno == EMSGSIZE);
}

int
main(void)
{
	test_table();
	test_size();
	return test_done("test-chkpw");
}
