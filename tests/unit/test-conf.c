/* test-conf.c: vauthd.conf and vpopmail.mysql parsing, errors name the line. */
#include "conf.h"
#include "test.h"

static void
test_parse(void)
{
	static const char text[] =
	    "# comment\n"
	    "\n"
	    "socket = /run/vauthd/socket\n"
	    "  workers=4  \n"
	    "mysql_port = 3307\r\n"
	    "default_domain = Example.COM\n"
	    "allow_users = qmaild, dovecot\n"
	    "lookup_users = dovecot\n"
	    "lastauth = no\n";
	struct conf c;
	char err[CONF_ERR_LEN];

	conf_defaults(&c);
	CHECK(conf_parse(&c, text, sizeof(text) - 1, err, sizeof(err)) == 0);
	CHECK(c.workers == 4);
	CHECK(c.mysql_port == 3307);
	CHECK(strcmp(c.default_domain, "example.com") == 0);
	CHECK(c.n_allow_users == 2 && strcmp(c.allow_users[1], "dovecot") == 0);
	CHECK(c.n_lookup_users == 1 &&
	    strcmp(c.lookup_users[0], "dovecot") == 0);
	CHECK(c.lastauth == 0);
	CHECK(c.socket_mode == 0660);
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "nonsense\n", "line 1: expected key = value" },
		{ "\n\nfoo = 1\n", "line 3: unknown key 'foo'" },
		{ "workers = many\n", "line 1: bad value for 'workers'" },
		{ "workers = 100000\n", "line 1: bad value for 'workers'" },
		{ "socket_mode = 999\n", "line 1: bad value" },
		{ "default_domain = ../x\n", "line 1: bad value" },
		{ "log = file\n", "line 1: bad value" },
		{ "lookup_users = a b c d e f g h i j k l m n o p q\n",
		    "line 1: bad value" },	/* over CONF_MAX_ALLOW */
	};
	struct conf c;
	char err[CONF_ERR_LEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		conf_defaults(&c);
		err[0] = '\0';
		CHECK_MSG(conf_parse(&c, cases[i].text, strlen(cases[i].text), err,
		    sizeof(err)) < 0 && strstr(err, cases[i].want) != NULL,
		    "%s -> %s", cases[i].text, err);
	}
}

static void
test_vpopmail_mysql(void)
{
	struct conf c;
	char err[CONF_ERR_LEN];
	const char *ok = "# read\nlocalhost|0|vpopmailuser|vpoppasswd|vpopmail\n";
	const char *sock = "/run/mysqld/mysqld.sock|0|u|p|db\n";

	conf_defaults(&c);
	CHECK(conf_parse_vpopmail(&c, ok, strlen(ok), err, sizeof(err)) == 0);
	CHECK(strcmp(c.mysql_user, "vpopmailuser") == 0);
	CHECK(strcmp(c.mysql_password, "vpoppasswd") == 0);
	CHECK(strcmp(c.mysql_database, "vpopmail") == 0);
	conf_defaults(&c);
	CHECK(conf_parse_vpopmail(&c, sock, strlen(sock), err, sizeof(err)) == 0);
	CHECK(strcmp(c.mysql_socket, "/run/mysqld/mysqld.sock") == 0);
	CHECK(conf_parse_vpopmail(&c, "a|b|c\n", 6, err, sizeof(err)) < 0);
	CHECK(conf_parse_vpopmail(&c, "h|x|u|p|d\n", 10, err, sizeof(err)) < 0);
	CHECK(conf_parse_vpopmail(&c, "h|0|u|p|d|e\n", 12, err, sizeof(err)) < 0);
	CHECK(conf_parse_vpopmail(&c, "# only\n", 7, err, sizeof(err)) < 0);
}

int
main(void)
{
	test_parse();
	test_errors();
	test_vpopmail_mysql();
	return test_done("test-conf");
}
