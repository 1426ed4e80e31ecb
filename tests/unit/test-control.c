/* test-control.c: control-file editing, users/assign parsing, the cdbs qmail-newu and qmail-newmrh build, undo. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control.h"
#include "test.h"
#include "userdir.h"

static char tmpdir[] = "/tmp/test-control.XXXXXX";

static int
slurp(const char *path, struct ctl_buf *b)
{
	return ctl_read(path, b);
}

/* Builds a cdb with fn from the golden input and compares it byte for
 * byte with the golden cdb, made by notqmail's qmail-newu/qmail-newmrh. */
static void
golden(const char *input, const char *want, int users)
{
	struct ctl_buf in = { NULL, 0, 0 }, got = { NULL, 0, 0 },
	    exp = { NULL, 0, 0 };
	char out[256], err[256];
	int fd, rc;

	snprintf(out, sizeof(out), "%s/golden.cdb", tmpdir);
	CHECK(slurp(input, &in) == 1);
	CHECK(slurp(want, &exp) == 1);
	fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	rc = users ? ctl_build_users_cdb(in.p, in.len, fd, err, sizeof(err)) :
	    ctl_build_hosts_cdb(in.p, in.len, fd);
	CHECK_MSG(rc == 0, "%s: %s", input, err);
	close(fd);
	CHECK(slurp(out, &got) == 1);
	CHECK_MSG(got.len == exp.len && memcmp(got.p, exp.p, got.len) == 0,
	    "%s: %zu bytes, qmail's tool made %zu", input, got.len, exp.len);
	ctl_buf_free(&in);
	ctl_buf_free(&got);
	ctl_buf_free(&exp);
	unlink(out);
}

static void
test_golden(void)
{
	golden("tests/golden/users-assign", "tests/golden/users-assign.cdb", 1);
	golden("tests/golden/morercpthosts", "tests/golden/morercpthosts.cdb", 0);
}

static void
test_users_cdb_refuses_what_qmail_newu_refuses(void)
{
#define T(s) s, sizeof(s) - 1
	static const struct {
		const char *text;
		size_t len;
		const char *why;
	} cases[] = {
		{ T(""), "no final '.'" },
		{ T("+a-:a:1:1:/a:-::\n"), "no final '.'" },
		{ T("+a-:a:1:1:/a:-::"), "bad format" },	/* no newline */
		{ T("no colon\n.\n"), "bad format" },
		{ T(":starts:with:a:colon:x::\n.\n"), "bad format" },
		{ T("+a-:a:1:1:/a:-:\n.\n"), "bad format" },	/* five colons */
		{ T("=a:a:1\0:1:/a:-::\n.\n"), "bad format" },
	};
#undef T
	char path[256], err[256];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/bad.cdb", tmpdir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		err[0] = '\0';
		CHECK_MSG(ctl_build_users_cdb(cases[i].text, cases[i].len, fd,
		    err, sizeof(err)) < 0 && strstr(err, cases[i].why) != NULL,
		    "case %zu: %s", i, err);
		close(fd);
	}
	unlink(path);
}

static void
test_remove_keeps_other_lines_byte_for_byte(void)
{
	static const struct {
		enum ctl_kind kind;
		const char *in, *key, *out;
		int dropped;
	} cases[] = {
		{ CTL_HOSTS, "# c\nA.test\nb.test\n", "a.test", "# c\nb.test\n", 1 },
		{ CTL_HOSTS, "a.test  \r\nb.test", "a.test", "b.test", 1 },
		{ CTL_HOSTS, "b.test\na.test", "a.test", "b.test\n", 1 },
		{ CTL_HOSTS, "#a.test\nxa.test\na.testx\n", "a.test",
		    "#a.test\nxa.test\na.testx\n", 0 },
		{ CTL_HOSTS, "a.test\na.test\n", "a.test", "", 2 },
		{ CTL_VIRTUAL, "a.test:a.test\nb.test:b.test\n", "a.test",
		    "b.test:b.test\n", 1 },
		{ CTL_VIRTUAL, "a.test:other\n# a.test:x\n", "A.TEST",
		    "# a.test:x\n", 1 },
		{ CTL_ASSIGN, "+a.test-:a.test:1:1:/d:-::\n=a.test:u:1:1:/h:::\n"
		    "+a.testx-:x:1:1:/d:-::\n.\n", "a.test",
		    "=a.test:u:1:1:/h:::\n+a.testx-:x:1:1:/d:-::\n.\n", 1 },
	};
	struct ctl_buf out = { NULL, 0, 0 };
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = ctl_remove(cases[i].in, strlen(cases[i].in), cases[i].kind,
		    cases[i].key, &out);
		CHECK_MSG(n == cases[i].dropped && out.len ==
		    strlen(cases[i].out) && memcmp(out.p, cases[i].out,
		    out.len) == 0, "case %zu: %d '%s'", i, n, out.p);
		CHECK(ctl_has(cases[i].in, strlen(cases[i].in), cases[i].kind,
		    cases[i].key) == (cases[i].dropped > 0));
	}
	ctl_buf_free(&out);
}

static void
test_append(void)
{
	static const struct {
		enum ctl_kind kind;
		const char *in, *line, *out;
	} cases[] = {
		{ CTL_HOSTS, "", "a.test", "a.test\n" },
		{ CTL_HOSTS, "x.test", "a.test", "x.test\na.test\n" },
		{ CTL_ASSIGN, "", "+a-:a:1:1:/d:-::", "+a-:a:1:1:/d:-::\n.\n" },
		{ CTL_ASSIGN, "=u:u:1:1:/h:::\n.\n", "+a-:a:1:1:/d:-::",
		    "=u:u:1:1:/h:::\n+a-:a:1:1:/d:-::\n.\n" },
		{ CTL_ASSIGN, ".\ntrailing words\n", "+a-:a:1:1:/d:-::",
		    "+a-:a:1:1:/d:-::\n.\ntrailing words\n" },
		{ CTL_ASSIGN, "=u:u:1:1:/h:::", "+a-:a:1:1:/d:-::",
		    "=u:u:1:1:/h:::\n+a-:a:1:1:/d:-::\n.\n" },
	};
	struct ctl_buf b = { NULL, 0, 0 };
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b.len = 0;
		CHECK(ctl_buf_add(&b, cases[i].in, strlen(cases[i].in)) == 0);
		CHECK(ctl_append(&b, cases[i].kind, cases[i].line) == 0);
		CHECK_MSG(b.len == strlen(cases[i].out) &&
		    memcmp(b.p, cases[i].out, b.len) == 0, "case %zu: '%s'", i,
		    b.p);
	}
	ctl_buf_free(&b);
}

static void
test_count_and_assign_parsing(void)
{
	static const char rh[] = "# comment\n\nlocalhost\n  \na.test\nb.test";
	static const char assign[] =
	    "=joe:joe:1:1:/home/joe:::\n"
	    "+A.Test-:a.test:89:90:/v/domains/a.test:-::\n"
	    "+alias.test-:a.test:89:90:/v/domains/a.test:-::\n"
	    "+broken-:a.test:x:90:/v:-::\n"
	    ".\n"
	    "+after.test-:after.test:1:1:/v:-::\n";
	struct assign_entry e;

	CHECK(ctl_count_hosts(rh, strlen(rh)) == 3);
	CHECK(assign_find(assign, strlen(assign), "a.test", &e) == 1);
	CHECK(strcmp(e.name, "a.test") == 0 && strcmp(e.real, "a.test") == 0);
	CHECK(e.uid == 89 && e.gid == 90 && strcmp(e.dir, "/v/domains/a.test") == 0);
	CHECK(assign_find(assign, strlen(assign), "alias.test", &e) == 1);
	CHECK(strcmp(e.real, "a.test") == 0);
	CHECK(assign_find(assign, strlen(assign), "joe", &e) == 0);
	CHECK(assign_find(assign, strlen(assign), "after.test", &e) == 0);
	CHECK(assign_find(assign, strlen(assign), "broken", &e) == -1);
}

static void
test_userdir_subdir(void)
{
	static const struct {
		unsigned long index, per;
		const char *want;
	} cases[] = {
		{ 0, 100, "" }, { 99, 100, "" }, { 100, 100, "-0" },
		{ 199, 100, "-0" }, { 200, 100, "-1" }, { 100 + 61 * 100, 100, "-z" },
		{ 100 + 62 * 100, 100, "-0/-0" }, { 100 + 63 * 100, 100, "-0/-1" },
		{ 10 + 62 * 10 + 62 * 62 * 10, 10, "-0/-0/-0" },
		{ 10 + 62 * 10 + 62 * 62 * 10 - 1, 10, "-z/-z" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(userdir_subdir(cases[i].index, cases[i].per, out,
		    sizeof(out)) == 0);
		CHECK_MSG(strcmp(out, cases[i].want) == 0, "%lu/%lu: %s",
		    cases[i].index, cases[i].per, out);
	}
	CHECK(userdir_subdir(10UL * (1 + 62 + 62 * 62 + 62 * 62 * 62), 10, out,
	    sizeof(out)) < 0 && errno == E2BIG);
}

static void
test_txn_rollback_restores(void)
{
	struct ctl_txn t;
	struct ctl_buf b = { NULL, 0, 0 };
	char a[256], n[256], gone[256], err[256];
	struct stat st;
	int fd;

	snprintf(a, sizeof(a), "%s/old", tmpdir);
	snprintf(n, sizeof(n), "%s/new", tmpdir);
	snprintf(gone, sizeof(gone), "%s/gone", tmpdir);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	CHECK(fd >= 0 && write(fd, "old\n", 4) == 4);
	close(fd);
	fd = open(gone, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	memset(&t, 0, sizeof(t));
	CHECK(ctl_txn_write(&t, a, "changed\n", 8, err, sizeof(err)) == 0);
	CHECK(ctl_txn_write(&t, a, "twice\n", 6, err, sizeof(err)) == 0);
	CHECK(ctl_txn_write(&t, n, "new\n", 4, err, sizeof(err)) == 0);
	CHECK(ctl_txn_unlink(&t, gone, err, sizeof(err)) == 0);
	CHECK(slurp(a, &b) == 1 && strcmp(b.p, "twice\n") == 0);
	CHECK(stat(a, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(ctl_txn_rollback(&t, err, sizeof(err)) == 0);
	CHECK(slurp(a, &b) == 1 && strcmp(b.p, "old\n") == 0);
	CHECK(stat(a, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(access(n, F_OK) < 0 && errno == ENOENT);
	CHECK(slurp(gone, &b) == 1 && strcmp(b.p, "x") == 0);
	CHECK(stat(gone, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(t.n == 0);
	ctl_buf_free(&b);
	unlink(a);
	unlink(gone);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_golden();
	test_users_cdb_refuses_what_qmail_newu_refuses();
	test_remove_keeps_other_lines_byte_for_byte();
	test_append();
	test_count_and_assign_parsing();
	test_userdir_subdir();
	test_txn_rollback_restores();
	rmdir(tmpdir);
	return test_done("test-control");
}
