/* main.c: vauthd start-up: config, socket, privileges, then the server loop. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "conf.h"
#include "lastauth.h"
#include "log.h"
#include "passwd.h"
#include "penalty.h"
#include "pool.h"
#include "relay.h"
#include "request.h"
#include "server.h"

#define DEFAULT_CONF "/etc/vauth/vauthd.conf"

static const char usage[] = "usage: vauthd [-t] [-f config]";

static void die(int, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void
die(int code, const char *fmt, ...)
{
	char msg[LOG_MAX_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vauthd: fatal: %s\n", msg);
	exit(code);
}

/* groups, gid, uid; then prove root cannot come back. */
static void
drop_to(const struct passwd *pw)
{
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		die(111, "unable to drop to %s: %s", pw->pw_name,
		    strerror(errno));
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid || getegid() != pw->pw_gid ||
	    setuid(0) == 0)
		die(111, "privileges still held after dropping to %s",
		    pw->pw_name);
}

int
main(int argc, char **argv)
{
	static struct conf conf;
	struct request_ctx ctx;
	struct penalty_conf pc;
	struct passwd *pw = NULL, run_as;
	char err[CONF_ERR_LEN], name[CONF_MAX_WORD];
	const char *path = DEFAULT_CONF;
	struct pool *pool;
	int c, test_only = 0, lfd, workers;
	long ncpu;

	while ((c = getopt(argc, argv, "tf:")) != -1) {
		switch (c) {
		case 't':
			test_only = 1;
			break;
		case 'f':
			path = optarg;
			break;
		default:
			die(2, "%s", usage);
		}
	}
	if (optind != argc)
		die(2, "%s", usage);
	conf_defaults(&conf);
	if (conf_load(&conf, path, err, sizeof(err)) < 0)
		die(2, "%s", err);
	if (passwd_init(conf.hash_prefix) < 0)
		die(2, "hash_prefix %s: libcrypt has no such scheme",
		    conf.hash_prefix);
	if (geteuid() == 0) {
		/* Root is only for binding the socket. */
		if (conf.user[0] == '\0')
			die(2, "running as root needs 'user' in %s", path);
		pw = getpwnam(conf.user);
		if (pw == NULL)
			die(2, "user %s: no such user", conf.user);
		if (pw->pw_uid == 0)
			die(2, "user %s is root; name an unprivileged user",
			    conf.user);
		snprintf(name, sizeof(name), "%s", pw->pw_name);
		run_as = *pw;
		run_as.pw_name = name;
		pw = &run_as;
	}
	if (server_peers_init(&conf, err, sizeof(err)) < 0)
		die(2, "%s", err);
	if (test_only) {
		printf("vauthd: %s: ok\n", path);
		return 0;
	}
	log_open(strcmp(conf.log, "stderr") == 0);
	if (pool_library_init() < 0)
		die(111, "unable to initialise the MySQL client library");
	lfd = server_listen(&conf, pw != NULL ? pw->pw_uid : geteuid(), err,
	    sizeof(err));
	if (lfd < 0)
		die(111, "%s", err);
	if (pw != NULL)
		drop_to(pw);

	workers = conf.workers;
	if (workers == 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		workers = ncpu > 0 ? (int)(2 * ncpu) : 4;
	}
	/* Before any thread starts, so that every thread inherits the mask:
	 * SIGTERM must reach server_run's signalfd, not kill us in whatever
	 * thread it lands on. */
	server_block_signals();
	/* Connections beyond the workers': the lastauth writer, the relay
	 * thread. */
	pool = pool_new(&conf, workers + 2);
	if (pool == NULL)
		die(111, "out of memory");
	if (conf.lastauth && lastauth_start(pool) < 0)
		die(111, "unable to start the lastauth writer");
	if (relay_start(pool, &conf) < 0)
		die(111, "unable to start the relay thread");
	if (cache_init((size_t)conf.cache_size, conf.cache_ttl,
	    (int)sysconf(_SC_NPROCESSORS_ONLN)) < 0)
		die(111, "unable to set up the login cache: %s",
		    strerror(errno));
	penalty_conf_from(&conf, &pc);
	if (penalty_init(&pc) < 0)
		die(111, "out of memory");
	ctx.conf = &conf;
	ctx.pool = pool;
	c = server_run(&ctx, lfd, workers);
	lastauth_stop();
	relay_stop();
	cache_free();
	penalty_end();
	pool_free(&pool);
	(void)unlink(conf.socket);
	explicit_bzero(conf.mysql_password, sizeof(conf.mysql_password));
	return c < 0 ? 111 : 0;
}
