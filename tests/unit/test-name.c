/* test-name.c: login splitting, folding and the naming rules, as a table. */
#include "name.h"
#include "test.h"

static void
test_split(void)
{
	static const struct {
		const char *login, *defdom, *user, *domain;	/* user NULL: refused */
	} cases[] = {
		{ "alice@example.com", NULL, "alice", "example.com" },
		{ "alice%example.com", NULL, "alice", "example.com" },
		{ "ALICE@Example.COM", NULL, "alice", "example.com" },
		{ "alice", "example.com", "alice", "example.com" },
		{ "alice", NULL, NULL, NULL },
		{ "alice", "", NULL, NULL },
		{ "", "example.com", NULL, NULL },
		{ "@example.com", NULL, NULL, NULL },
		{ "alice@", NULL, NULL, NULL },
		{ "a.b-c_d+e=f@mail.example.com", NULL, "a.b-c_d+e=f", "mail.example.com" },
		{ "../etc@example.com", NULL, NULL, NULL },
		{ "alice@../etc", NULL, NULL, NULL },
		{ "al/ice@example.com", NULL, NULL, NULL },
		{ "a..b@example.com", NULL, NULL, NULL },
		{ ".alice@example.com", NULL, NULL, NULL },
		{ "alice@example..com", NULL, NULL, NULL },
		{ "alice@-example.com", NULL, NULL, NULL },
		{ "alice@example-.com", NULL, NULL, NULL },
		{ "alice@example.com.", NULL, NULL, NULL },
		{ "alice@exa_mple.com", NULL, NULL, NULL },
		{ "alice@example.com@x", NULL, NULL, NULL },
		{ "al ice@example.com", NULL, NULL, NULL },
		{ "alice'--@example.com", NULL, NULL, NULL },
		{ "al\xc3\xa9@example.com", NULL, NULL, NULL },
		{ "alice\n@example.com", NULL, NULL, NULL },
		{ "abcdefghijabcdefghijabcdefghijab@example.com", NULL,
		  "abcdefghijabcdefghijabcdefghijab", "example.com" },
		{ "abcdefghijabcdefghijabcdefghijabc@example.com", NULL, NULL, NULL },
	};
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	const char *why;
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		r = name_split_login(cases[i].login, strlen(cases[i].login),
		    cases[i].defdom, user, domain, &why);
		if (cases[i].user == NULL) {
			CHECK_MSG(r < 0 && why != NULL, "%s accepted", cases[i].login);
		} else {
			CHECK_MSG(r == 0 && strcmp(user, cases[i].user) == 0 &&
			    strcmp(domain, cases[i].domain) == 0, "%s: %s",
			    cases[i].login, r < 0 ? why : user);
		}
	}
}

static void
test_domain_lengths(void)
{
	char d[300];
	const char *why;

	memset(d, 'a', 63);
	memcpy(d + 63, ".com", 5);
	CHECK(name_check_domain(d, strlen(d), &why) == 0);
	memset(d, 'a', 64);
	memcpy(d + 64, ".com", 5);
	CHECK(name_check_domain(d, strlen(d), &why) < 0);
	/* 254 bytes of valid labels is still too long. */
	for (int i = 0; i < 254; i++)
		d[i] = (i % 50 == 49) ? '.' : 'a';
	d[254] = '\0';
	CHECK(name_check_domain(d, 254, &why) < 0);
}

int
main(void)
{
	test_split();
	test_domain_lengths();
	return test_done("test-name");
}
