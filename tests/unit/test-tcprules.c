/* test-tcprules.c: tcprules' syntax, the cdb byte for byte against ucspi-tcp's
 * tcprules, and tcprulescheck's answers. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tcprules.h"
#include "test.h"

#define OUT_MAX 4096
#define TCPRULES_BIN "/usr/bin/tcprules"
#define TCPRULESCHECK_BIN "/usr/bin/tcprulescheck"

/* Records as "key=>data" with NULs shown as '|', one per line. */
struct dump {
	char s[OUT_MAX];
	size_t len;
};

static int
add_dump(void *arg, const char *key, size_t klen, const char *data,
    size_t dlen)
{
	struct dump *d = arg;
	size_t i;

	if (d->len + klen + dlen + 4 > sizeof(d->s)) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(d->s + d->len, key, klen);
	d->len += klen;
	memcpy(d->s + d->len, "=>", 2);
	d->len += 2;
	for (i = 0; i < dlen; i++)
		d->s[d->len++] = data[i] == '\0' ? '|' : data[i];
	d->s[d->len++] = '\n';
	d->s[d->len] = '\0';
	return 0;
}

static void
test_parse(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "127.0.0.1:allow,RELAYCLIENT=\"\"\n",
		    "127.0.0.1=>+RELAYCLIENT=|\n" },
		{ ":deny\n", "=>D|\n" },
		{ "# comment\n\n10.0.:allow,A=/x/,B=\"y z\"  \t\n",
		    "10.0.=>+A=x|+B=y z|\n" },
		{ "1.2.3.7-9:allow\n",
		    "1.2.3.7=>\n1.2.3.8=>\n1.2.3.9=>\n" },
		{ "10.2-3.:deny\n", "10.2.=>D|\n10.3.=>D|\n" },
		{ "1.2.3.254-300:allow\n", "1.2.3.254=>\n1.2.3.255=>\n" },
		{ "1.2.3.-1:allow\n", "1.2.3.0=>\n1.2.3.1=>\n" },
		{ "1.2.3.9-7:allow\n", "" },			/* empty range */
		{ "joe@1.2.3.4-5:allow\n", "joe@1.2.3.4-5=>\n" },	/* no range */
		{ "=host.example-1.com:allow\n", "=host.example-1.com=>\n" },
		{ "no colon here\n", "" },			/* ignored */
		{ " # not a comment, no colon\n", "" },
		{ "127.:allow,X=aba\n", "127.=>+X=b|\n" },	/* any quote */
		{ "127.:allow,=\"v\"\n", "127.=>+=v|\n" },
		{ "a:allow\nb:deny", "a=>\nb=>D|\n" },		/* no final \n */
		{ "a:allow,X=\"1:2\"\n", "a=>+X=1:2|\n" },
	};
	struct dump d;
	char err[TCPRULES_ERR_LEN];
	size_t i;
	long n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d.len = 0;
		d.s[0] = '\0';
		err[0] = '\0';
		n = tcprules_parse(cases[i].text, strlen(cases[i].text),
		    add_dump, &d, err, sizeof(err));
		CHECK_MSG(n >= 0 && strcmp(d.s, cases[i].want) == 0,
		    "%s -> %s (%s)", cases[i].text, d.s, err);
	}
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "127.0.0.1:alow\n", "line 1: unable to parse this line" },
		{ "# c\n\n1.2.3.4:allow,X\n", "line 3: unable to parse" },
		{ "1:allow,X=\"open\n", "line 1: unable to parse" },
		{ "1:allow,X=\n", "line 1: unable to parse" },
		{ "1:allow RELAYCLIENT=\"\"\n", "line 1: unable to parse" },
		{ "1:allow\r\n", "line 1: unable to parse" },	/* CRLF */
		{ "ok:allow\n1.2.x-3:allow\n", "line 2: unable to parse" },
		{ "1.2.3-4x.:allow\n", "line 1: unable to parse" },
		{ "::1:allow\n", "line 1: unable to parse" },	/* 0.88: no IPv6 */
	};
	struct dump d;
	char err[TCPRULES_ERR_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d.len = 0;
		err[0] = '\0';
		CHECK_MSG(tcprules_parse(cases[i].text, strlen(cases[i].text),
		    add_dump, &d, err, sizeof(err)) < 0 && errno == EINVAL &&
		    strstr(err, cases[i].want) != NULL,
		    "%s -> %s", cases[i].text, err);
	}
}

static void
test_canon(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "127.0.0.5", "127.0.0.5" },
		{ "::1", "::1" },
		{ "2001:DB8:0:0::1", "2001:db8::1" },
		{ "::ffff:10.1.2.3", "10.1.2.3" },
		{ "1.2.3", NULL },
		{ "01.2.3.4", NULL },
		{ "1.2.3.4 ", NULL },
		{ "256.1.1.1", NULL },
		{ "", NULL },
		{ "127.0.0.1:allow", NULL },
		{ "fe80::1%eth0", NULL },
		{ "a.b.c.d", NULL },
	};
	char out[TCPRULES_MAX_ADDR + 1];
	size_t i;
	int r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = tcprules_addr_canon(cases[i].in, strlen(cases[i].in), out);
		if (cases[i].want == NULL)
			CHECK_MSG(r < 0, "%s accepted", cases[i].in);
		else
			CHECK_MSG(r == 0 && strcmp(out, cases[i].want) == 0,
			    "%s -> %s", cases[i].in, r == 0 ? out : "error");
	}
	CHECK(tcprules_addr_canon("1.2.3.4\0x", 9, out) < 0);
}

static char *
slurp(const char *path, size_t *len)
{
	static char buf[1 << 20];
	FILE *f = fopen(path, "rb");

	*len = 0;
	if (f == NULL)
		return NULL;
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* Runs argv with stdin from in_path and stdout to out_path (either may be
 * NULL) and env the environment; returns the exit status. */
static int
run(char *const argv[], const char *in_path, const char *out_path,
    char *const env[])
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		if (in_path != NULL && freopen(in_path, "rb", stdin) == NULL)
			_exit(127);
		if (out_path != NULL && freopen(out_path, "wb", stdout) == NULL)
			_exit(127);
		if (freopen("/dev/null", "wb", stderr) == NULL)
			_exit(127);
		execve(argv[0], argv, env);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_file(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL)
		return;
	fwrite(s, 1, len, f);
	fclose(f);
}

/* Our cdb and tcprules' from the same text must be the same bytes, and
 * tcprulescheck must answer what tcprules_check answers. */
static void
golden(const char *dir, const char *text, const char *const *relay,
    size_t nrelay, const char *const *ips)
{
	char src[256], ours[256], theirs[256], tmp[256], got[256];
	char err[TCPRULES_ERR_LEN], want[OUT_MAX], mine[OUT_MAX], envip[128];
	char full[OUT_MAX];
	char *a, *b;
	size_t alen, blen, flen, i;
	long n;

	snprintf(src, sizeof(src), "%s/rules.txt", dir);
	snprintf(ours, sizeof(ours), "%s/ours.cdb", dir);
	snprintf(theirs, sizeof(theirs), "%s/theirs.cdb", dir);
	snprintf(tmp, sizeof(tmp), "%s/theirs.tmp", dir);
	snprintf(got, sizeof(got), "%s/check.out", dir);
	/* The merged text: the rules, then one relay line an address. */
	flen = (size_t)snprintf(full, sizeof(full), "%s", text);
	if (flen > 0 && full[flen - 1] != '\n' && nrelay > 0)
		full[flen++] = '\n';
	for (i = 0; i < nrelay; i++)
		flen += (size_t)snprintf(full + flen, sizeof(full) - flen,
		    "%s:allow,RELAYCLIENT=\"\"\n", relay[i]);
	write_file(src, full, flen);
	n = tcprules_write(ours, text, strlen(text), relay, nrelay, err,
	    sizeof(err));
	CHECK_MSG(n >= 0, "%s", err);
	{
		char *argv[] = { TCPRULES_BIN, theirs, tmp, NULL };
		char *env[] = { NULL };

		CHECK(run(argv, src, NULL, env) == 0);
	}
	a = slurp(ours, &alen);
	a = a != NULL ? memcpy(malloc(alen + 1), a, alen) : NULL;
	b = slurp(theirs, &blen);
	CHECK_MSG(a != NULL && b != NULL && alen == blen &&
	    memcmp(a, b, alen) == 0, "cdb differs for:\n%s", full);
	free(a);
	for (i = 0; ips[i] != NULL; i++) {
		char *argv[] = { TCPRULESCHECK_BIN, ours, NULL };
		char *env[] = { envip, NULL };
		long m;

		snprintf(envip, sizeof(envip), "TCPREMOTEIP=%s", ips[i]);
		CHECK(run(argv, NULL, got, env) == 0);
		b = slurp(got, &blen);
		memcpy(want, b, blen);
		want[blen] = '\0';
		m = tcprules_check(ours, ips[i], NULL, NULL, mine,
		    sizeof(mine) - 1);
		CHECK(m >= 0);
		mine[m < 0 ? 0 : m] = '\0';
		CHECK_MSG(strcmp(want, mine) == 0, "%s: tcprulescheck said\n%s"
		    "we said\n%s", ips[i], want, mine);
	}
}

static void
test_golden(void)
{
	static const char *const texts[] = {
		"",
		"127.:allow,RELAYCLIENT=\"\"\n:allow\n",
		"# sample\n127.0.0.1:allow,RELAYCLIENT=\"\"\n"
		    "192.168.1.:allow,RELAYCLIENT=\"\",RBLSMTPD=\"\"\n"
		    "10.1-3.:deny\n1.2.3.10-20:allow,X=/a b/\n"
		    "joe@127.0.0.2:allow\n=host.example:allow\n:allow\n",
		"127.0.0.5:deny\n127.0.0.:allow,A=\"1\",B=\"2\"\n",
		"no colon\n\n# c\n:allow,QMAILQUEUE=\"/bin/q\"",
	};
	static const char *const relay[] = {
		"127.0.0.5", "127.0.0.7", "127.0.0.9",
	};
	static const char *const ips[] = {
		"127.0.0.5", "127.0.0.6", "127.0.0.1", "10.2.0.1", "1.2.3.15",
		"1.2.3.21", "192.168.1.9", "8.8.8.8", NULL,
	};
	char dir[] = "/tmp/test-tcprules.XXXXXX";
	char cmd[128];
	size_t i;

	if (access(TCPRULES_BIN, X_OK) != 0 ||
	    access(TCPRULESCHECK_BIN, X_OK) != 0) {
		printf("test-tcprules: no %s; golden tests skipped\n",
		    TCPRULES_BIN);
		return;
	}
	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		golden(dir, texts[i], relay, 0, ips);
		golden(dir, texts[i], relay, 3, ips);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/* Random lines from the syntax's own pieces: tcprules and we must agree on
 * every one, accepted (same bytes) or rejected. Seeded: reproducible. */
static void
test_random_agreement(void)
{
	static const char *const addr[] = {
		"1", "25", "255", "300", "0", ".", ".", "-", "@", "=", "joe",
		"x", " ", "127.0.0.", ":",
	};
	static const char *const ins[] = {
		",RELAYCLIENT=\"\"", ",X=/a b/", ",Y=\"1:2\"", ",Z=aba", ",",
		"=", "\"", " ", "\t", "allow", "x",
	};
	char dir[] = "/tmp/test-tcprules.XXXXXX";
	char src[256], ours[256], theirs[256], tmp[256], cmd[128];
	char text[512], err[TCPRULES_ERR_LEN], *a, *b;
	size_t len, alen, blen, k, na = sizeof(addr) / sizeof(addr[0]),
	    ni = sizeof(ins) / sizeof(ins[0]);
	unsigned seed = 4;
	int i, lines, rc, agree = 0, same = 0;
	long n;

	if (access(TCPRULES_BIN, X_OK) != 0 || mkdtemp(dir) == NULL)
		return;
	snprintf(src, sizeof(src), "%s/r.txt", dir);
	snprintf(ours, sizeof(ours), "%s/o.cdb", dir);
	snprintf(theirs, sizeof(theirs), "%s/t.cdb", dir);
	snprintf(tmp, sizeof(tmp), "%s/t.tmp", dir);
	for (i = 0; i < 300; i++) {
		len = 0;
		for (lines = 1 + rand_r(&seed) % 3; lines > 0; lines--) {
			for (k = rand_r(&seed) % 6; k > 0; k--)
				len += (size_t)snprintf(text + len, sizeof(text) -
				    len, "%s", addr[rand_r(&seed) % na]);
			if (rand_r(&seed) % 10 != 0)
				text[len++] = ':';
			if (rand_r(&seed) % 10 != 0)
				len += (size_t)snprintf(text + len, sizeof(text) -
				    len, "%s", rand_r(&seed) % 2 ? "allow" : "deny");
			for (k = rand_r(&seed) % 4; k > 0; k--)
				len += (size_t)snprintf(text + len, sizeof(text) -
				    len, "%s", ins[rand_r(&seed) %
				    (rand_r(&seed) % 4 ? 4 : ni)]);
			text[len++] = '\n';
		}
		text[len] = '\0';
		write_file(src, text, len);
		unlink(ours);
		unlink(theirs);
		n = tcprules_write(ours, text, len, NULL, 0, err, sizeof(err));
		{
			char *argv[] = { TCPRULES_BIN, theirs, tmp, NULL };
			char *env[] = { NULL };

			rc = run(argv, src, "/dev/null", env);
		}
		if (n < 0 || rc != 0) {
			CHECK_MSG(n < 0 && rc == 100, "tcprules %d, we %ld (%s) "
			    "for:\n%s", rc, n, err, text);
			agree += n < 0 && rc == 100;
			continue;
		}
		a = slurp(ours, &alen);
		a = memcpy(malloc(alen + 1), a, alen);
		b = slurp(theirs, &blen);
		CHECK_MSG(alen == blen && memcmp(a, b, alen) == 0,
		    "cdb differs for:\n%s", text);
		same += alen == blen && memcmp(a, b, alen) == 0;
		free(a);
	}
	printf("test-tcprules: random texts: %d same cdb, %d rejected by "
	    "both\n", same, agree);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

static void
test_malformed_keeps_cdb(void)
{
	char dir[] = "/tmp/test-tcprules.XXXXXX";
	char path[256], err[TCPRULES_ERR_LEN], cmd[128];
	struct stat a, b;
	const char *relay[] = { "127.0.0.5" };

	if (mkdtemp(dir) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/x.cdb", dir);
	CHECK(tcprules_write(path, "127.:allow\n", 11, relay, 1, err,
	    sizeof(err)) == 2);
	CHECK(stat(path, &a) == 0);
	CHECK(tcprules_write(path, "127.:allow\n10.:alow\n", 20, relay, 1,
	    err, sizeof(err)) < 0);
	CHECK(strstr(err, "line 2:") != NULL);
	CHECK(stat(path, &b) == 0 && a.st_ino == b.st_ino);
	snprintf(cmd, sizeof(cmd), "test $(ls %s | wc -l) = 1", dir);
	CHECK(system(cmd) == 0);	/* no temp file left */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

int
main(void)
{
	test_parse();
	test_errors();
	test_canon();
	test_golden();
	test_random_agreement();
	test_malformed_keeps_cdb();
	return test_done("test-tcprules");
}
