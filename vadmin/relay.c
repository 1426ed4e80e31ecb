/* relay.c: vadmin's relay commands: list, open, close, check, clearopensmtp. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "relaysql.h"
#include "tcprules.h"
#include "util.h"
#include "vadmin.h"

/* Entries vadmin reads from the relay table at most (vauthd's relay_max
 * is at most this too). */
#define RELAY_LIST_MAX 100000
/* Longest vadmin waits for the cdb's lock, in milliseconds. */
#define RELAY_LOCK_MS 30000
/* user@domain as the relay table's user column holds it. */
#define RELAY_MAX_USER (NAME_MAX_USER + 1 + NAME_MAX_DOMAIN)
/* tcprulescheck's answer: a rule's key and its variables. */
#define RELAY_CHECK_MAX 65536

struct row {
	char ip[TCPRULES_MAX_ADDR + 1];
	long long when;
	char user[RELAY_MAX_USER + 1];
};

struct rows {
	struct row *r;
	size_t n, cap;
	size_t invalid;		/* not an address: never a rule */
};

static int
shape_row(void *arg, int ncols, char **val)
{
	unsigned long *s = arg;	/* [0] exists, [1] has_user, [2] width */

	if (ncols < 2)
		return -1;
	s[0] = 1;
	if (strcasecmp(val[0], "user") == 0)
		s[1] = 1;
	if (strcasecmp(val[0], "ip_addr") == 0)
		s[2] = strtoul(val[1], NULL, 10);
	return 0;
}

/* What the relay table looks like: 0, or -1 (printed). */
static int
table_shape(struct vadmin *v, int *has_user, unsigned long *ip_width)
{
	unsigned long s[3] = { 0, 0, 0 };

	if (db_query(v->db, relaysql_columns, NULL, 0, shape_row, s) < 0) {
		vadm_fail(v, "unable to read the relay table's columns: %s",
		    db_error(v->db));
		return -1;
	}
	if (!s[0]) {
		vadm_fail(v, "the database has no relay table (sql/schema.sql)");
		return -1;
	}
	*has_user = (int)s[1];
	*ip_width = s[2];
	return 0;
}

static int
list_row(void *arg, int ncols, char **val)
{
	struct rows *rs = arg;
	struct row *r;

	if (ncols < 3)
		return -1;
	if (strlen(val[0]) > TCPRULES_MAX_ADDR) {
		rs->invalid++;
		return 0;
	}
	if (rs->n == rs->cap)
		return -1;
	r = &rs->r[rs->n++];
	snprintf(r->ip, sizeof(r->ip), "%s", val[0]);
	r->when = strtoll(val[1], NULL, 10);
	snprintf(r->user, sizeof(r->user), "%s", val[2]);
	return 0;
}

/* Reads the whole table, by address. 0, or -1 (printed). */
static int
read_rows(struct vadmin *v, struct rows *rs)
{
	unsigned long width;
	int has_user;

	memset(rs, 0, sizeof(*rs));
	if (table_shape(v, &has_user, &width) < 0)
		return -1;
	rs->cap = RELAY_LIST_MAX;
	rs->r = calloc(rs->cap, sizeof(*rs->r));
	if (rs->r == NULL) {
		vadm_fail(v, "out of memory");
		return -1;
	}
	if (db_query(v->db, has_user ? relaysql_list_user : relaysql_list,
	    NULL, 0, list_row, rs) < 0) {
		vadm_fail(v, "unable to read the relay table: %s%s",
		    db_error(v->db), rs->n == rs->cap ? " (too many entries)" :
		    "");
		free(rs->r);
		rs->r = NULL;
		return -1;
	}
	return 0;
}

/* Rebuilds tcp_smtp_cdb from tcp_smtp and the relay table, under the
 * cdb's lock, as vauthd does. 0, or -1 (printed: a malformed tcp.smtp
 * names its line, and the previous cdb stays). */
static int
rebuild(struct vadmin *v)
{
	const char **ips;
	struct rows rs;
	size_t i, n;
	long k;
	int lockfd, rc = -1;

	if (v->conf.tcp_smtp_cdb[0] == '\0') {
		vadm_fail(v, "tcp_smtp_cdb is not set in the config: relay "
		    "control is off");
		return -1;
	}
	lockfd = tcprules_lock(v->conf.tcp_smtp_cdb, RELAY_LOCK_MS);
	if (lockfd < 0) {
		vadm_fail(v, "unable to lock %s.lock: %s", v->conf.tcp_smtp_cdb,
		    strerror(errno));
		return -1;
	}
	if (read_rows(v, &rs) < 0)
		goto out;
	ips = calloc(rs.n + 1, sizeof(*ips));
	if (ips == NULL) {
		vadm_fail(v, "out of memory");
		free(rs.r);
		goto out;
	}
	for (i = 0; i < rs.n; i++)
		ips[i] = rs.r[i].ip;
	n = tcprules_keep_canon(ips, rs.n);
	k = tcprules_rebuild(v->conf.tcp_smtp, v->conf.tcp_smtp_cdb, ips, n,
	    v->err, sizeof(v->err));
	if (k < 0)
		vadm_fail(v, "%s; %s left as it was", v->err,
		    v->conf.tcp_smtp_cdb);
	else
		rc = 0;
	if (n < rs.n + rs.invalid)
		fprintf(stderr, "%s: %zu entries of the relay table are not IP "
		    "addresses and were left out\n", v->prog,
		    rs.n + rs.invalid - n);
	free(ips);
	free(rs.r);
out:
	atomic_unlock(lockfd);
	return rc;
}

static int
canon_arg(const struct vadmin *v, const char *arg,
    char out[TCPRULES_MAX_ADDR + 1])
{
	if (tcprules_addr_canon(arg, strlen(arg), out) < 0) {
		vadm_fail(v, "%s is not an IPv4 or IPv6 address", arg);
		return -1;
	}
	return 0;
}

/* One change to the relay table, then the rebuild. nothing (or NULL) is
 * the error when no row changed. Returns the exit code. */
static int
apply(struct vadmin *v, const char *sql, const char *const *params, int n,
    const char *what, const char *nothing)
{
	unsigned long long rows = 0;

	if (db_exec(v->db, sql, params, n, &rows) < 0)
		return vadm_fail(v, "unable to %s: %s", what, db_error(v->db));
	if (nothing != NULL && rows == 0)
		return vadm_fail(v, "%s", nothing);
	return rebuild(v) < 0 ? 1 : 0;
}

static void
print_age(long long age)
{
	if (age < 0)
		age = 0;
	if (age >= 3600)
		printf("%lldh%02lldm", age / 3600, age % 3600 / 60);
	else if (age >= 60)
		printf("%lldm%02llds", age / 60, age % 60);
	else
		printf("%llds", age);
}

/* relay-list: ADDRESS AGE USER, by address. */
static int
cmd_list(int argc, char **argv)
{
	struct vadmin v;
	struct rows rs;
	long long now = (long long)time(NULL);
	size_t i;

	if (argc != 1)
		return vadm_usage(argv[0], "");
	if (vadm_init(&v, argv[0]) < 0 || vadm_db(&v) < 0 ||
	    read_rows(&v, &rs) < 0) {
		vadm_end(&v);
		return 1;
	}
	for (i = 0; i < rs.n; i++) {
		printf("%-40s ", rs.r[i].ip);
		print_age(now - rs.r[i].when);
		printf(" %s\n", rs.r[i].user[0] != '\0' ? rs.r[i].user : "-");
	}
	free(rs.r);
	vadm_end(&v);
	return 0;
}

/* relay-open ADDRESS [USER@DOMAIN]: as a POP login from ADDRESS would. */
static int
cmd_open(int argc, char **argv)
{
	char ip[TCPRULES_MAX_ADDR + 1], when[24];
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	char who[RELAY_MAX_USER + 1] = "";
	const char *params[3];
	unsigned long width;
	struct vadmin v;
	int has_user, rc = 1;

	if (argc != 2 && argc != 3)
		return vadm_usage(argv[0], "ADDRESS [USER@DOMAIN]");
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	if (canon_arg(&v, argv[1], ip) < 0)
		goto out;
	if (argc == 3) {
		if (vadm_email(&v, argv[2], user, domain) < 0)
			goto out;
		snprintf(who, sizeof(who), "%s@%s", user, domain);
	}
	if (v.conf.tcp_smtp_cdb[0] == '\0') {
		vadm_fail(&v, "tcp_smtp_cdb is not set in the config: relay "
		    "control is off");
		goto out;
	}
	if (vadm_db(&v) < 0 || table_shape(&v, &has_user, &width) < 0)
		goto out;
	if (width > 0 && strlen(ip) > width) {
		vadm_fail(&v, "%s does not fit the relay table's ip_addr "
		    "(apply sql/migrations/001)", ip);
		goto out;
	}
	snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
	params[0] = ip;
	params[1] = when;
	params[2] = who;
	rc = apply(&v, has_user ? relaysql_put_user : relaysql_put, params,
	    has_user ? 3 : 2, "open relay", NULL);
out:
	vadm_end(&v);
	return rc;
}

/* relay-close ADDRESS */
static int
cmd_close(int argc, char **argv)
{
	char ip[TCPRULES_MAX_ADDR + 1], nothing[TCPRULES_MAX_ADDR + 16];
	const char *params[1];
	struct vadmin v;
	int rc = 1;

	if (argc != 2)
		return vadm_usage(argv[0], "ADDRESS");
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	if (canon_arg(&v, argv[1], ip) == 0 && vadm_db(&v) == 0) {
		params[0] = ip;
		snprintf(nothing, sizeof(nothing), "%s is not open", ip);
		rc = apply(&v, relaysql_close, params, 1, "close relay",
		    nothing);
	}
	vadm_end(&v);
	return rc;
}

/* clearopensmtp: vpopmail's cron job, for setups without vauthd's timer:
 * drops the entries older than relay_expiry and rebuilds. */
static int
cmd_clear(int argc, char **argv)
{
	char before[24];
	const char *params[1];
	struct vadmin v;
	int rc = 1;

	if (argc != 1)
		return vadm_usage(argv[0], "");
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	if (vadm_db(&v) == 0) {
		snprintf(before, sizeof(before), "%lld",
		    (long long)time(NULL) - v.conf.relay_expiry);
		params[0] = before;
		rc = apply(&v, relaysql_expire, params, 1,
		    "clear the relay table", NULL);
	}
	vadm_end(&v);
	return rc;
}

/* relay-rebuild: after an edit of tcp.smtp, or to check it. */
static int
cmd_rebuild(int argc, char **argv)
{
	struct vadmin v;
	int rc = 1;

	if (argc != 1)
		return vadm_usage(argv[0], "");
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	if (vadm_db(&v) == 0 && rebuild(&v) == 0)
		rc = 0;
	vadm_end(&v);
	return rc;
}

/* relay-check [-i INFO] [-h HOST] [-f CDB] ADDRESS: tcprulescheck's answer
 * for a connection from ADDRESS (TCPREMOTEINFO, TCPREMOTEHOST). */
static int
cmd_check(int argc, char **argv)
{
	static char out[RELAY_CHECK_MAX];
	const char *info = NULL, *host = NULL, *cdb = NULL;
	struct vadmin v;
	long n;
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "i:h:f:")) != -1) {
		switch (c) {
		case 'i':
			info = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		case 'f':
			cdb = optarg;
			break;
		default:
			return vadm_usage(argv[0], "[-i INFO] [-h HOST] [-f CDB] "
			    "ADDRESS");
		}
	}
	if (optind != argc - 1)
		return vadm_usage(argv[0], "[-i INFO] [-h HOST] [-f CDB] ADDRESS");
	if (cdb == NULL) {
		if (vadm_init(&v, argv[0]) < 0)
			return 1;
		if (v.conf.tcp_smtp_cdb[0] == '\0')
			return vadm_fail(&v, "tcp_smtp_cdb is not set in the "
			    "config; name a cdb with -f");
		cdb = v.conf.tcp_smtp_cdb;
	} else {
		memset(&v, 0, sizeof(v));
		v.prog = argv[0];
	}
	n = tcprules_check(cdb, argv[optind], host, info, out, sizeof(out));
	if (n < 0)
		return vadm_fail(&v, "unable to read %s: %s", cdb,
		    strerror(errno));
	fwrite(out, 1, (size_t)n, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

const struct vadmin_cmd relay_cmds[] = {
	{ "relay-list", cmd_list, "",
	    "list open relay addresses with age and user" },
	{ "relay-open", cmd_open, "ADDRESS [USER@DOMAIN]",
	    "open relay for an address, as a POP login would" },
	{ "relay-close", cmd_close, "ADDRESS", "close relay for an address" },
	{ "relay-check", cmd_check, "[-i INFO] [-h HOST] [-f CDB] ADDRESS",
	    "say which rule applies to an address, as tcprulescheck does" },
	{ "relay-rebuild", cmd_rebuild, "",
	    "rebuild tcp.smtp.cdb from tcp.smtp and the relay table" },
	{ "clearopensmtp", cmd_clear, "",
	    "drop relay entries older than relay_expiry and rebuild" },
	{ NULL, NULL, NULL, NULL },
};
