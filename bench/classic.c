/* classic.c: the per-login design vauth replaces, for the bench: one process
 * per login connects to MySQL, selects, runs crypt(), writes lastauth and
 * exits (execs its program), as vpopmail's vchkpw does.
 *
 * usage: classic CONFIG program [arg ...], login and password on fd 3.
 * It runs vauthd's own statements (vauthd/pool.c) and password check
 * (lib/passwd.c), so the difference the bench shows is the design alone. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chkpw.h"
#include "conf.h"
#include "io.h"
#include "name.h"
#include "passwd.h"
#include "pool.h"

int
main(int argc, char **argv)
{
	static struct conf cf;
	static char in[CHKPW_MAX_INPUT];
	struct chkpw_input ci;
	struct lastauth_entry la;
	struct pool_user row;
	struct pool_conn *c;
	struct pool *pool;
	char err[CONF_ERR_LEN], user[NAME_MAX_USER + 1];
	char domain[NAME_MAX_DOMAIN + 1];
	const char *reason;
	ssize_t n;
	int ok;

	if (argc < 3) {
		fputs("usage: classic config program [arg ...]\n", stderr);
		return 2;
	}
	n = io_read_all(3, in, sizeof(in));
	if (n < 0 || chkpw_parse(in, (size_t)n, &ci) < 0)
		return 2;
	conf_defaults(&cf);
	if (conf_load(&cf, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "classic: %s\n", err);
		return 111;
	}
	if (name_split_login(ci.login, ci.login_len, cf.default_domain, user,
	    domain, &reason) < 0)
		return 1;
	if (pool_library_init() < 0 || (pool = pool_new(&cf, 1)) == NULL ||
	    (c = pool_acquire(pool, 1000)) == NULL)
		return 111;
	switch (pool_user_lookup(c, user, domain, &row)) {
	case POOL_FOUND:
		break;
	case POOL_NOTFOUND:
		return 1;
	case POOL_ERROR:
	default:
		return 111;
	}
	ok = passwd_verify(row.passwd, row.clear, ci.secret, ci.secret_len);
	if (!ok)
		return 1;
	memset(&la, 0, sizeof(la));
	snprintf(la.user, sizeof(la.user), "%s", row.name);
	snprintf(la.domain, sizeof(la.domain), "%s", row.domain);
	snprintf(la.ip, sizeof(la.ip), "127.0.0.1");
	la.when = (int64_t)time(NULL);
	if (pool_lastauth_write(c, &la, 1) < 0)
		return 111;
	pool_release(pool, c);
	pool_free(&pool);
	execv(argv[2], argv + 2);
	return 111;
}
