/* vchkpw.c: checkpassword program: fd 3 -> vauthd -> environment, uid, exec. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chkpw.h"
#include "client.h"
#include "io.h"
#include "proto.h"

#define EXIT_OK    0
#define EXIT_NO    1
#define EXIT_USAGE 2
#define EXIT_TEMP  111
/* Dovecot's lookups (AUTHORIZED=1) read exit codes their own way
 * (db-checkpassword.c, 2.3): 3 means no such user, 2 (which
 * checkpassword-reply returns when told AUTHORIZED=2) means found, and
 * anything else, 1 included, is an internal failure. */
#define EXIT_DOVECOT_UNKNOWN 3

/* How long the caller has to write fd 3 and close it. */
#define CHKPW_READ_TIMEOUT_MS 5000

/* Long enough for "userdb_mail=maildir:" plus a home and "/Maildir". */
#define ENV_MAX (PROTO_MAX_HOME + 64)

static const char usage[] =
    "usage: vchkpw [-d] [-s service] [-S socket] program [arg ...]";

static void die(int, const char *, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void
die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vchkpw: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* The one place an answer becomes an exit status. A Dovecot lookup that
 * finds no user must say 3: Dovecot would take 1 for an internal failure,
 * and a userdb that fails that way defers mail for unknown users instead
 * of refusing it. */
static int
exit_code(enum auth_result r, int dovecot_lookup)
{
	switch (r) {
	case AUTH_OK:
		return EXIT_OK;
	case AUTH_NO:
		return dovecot_lookup ? EXIT_DOVECOT_UNKNOWN : EXIT_NO;
	case AUTH_TEMP:
		break;
	}
	return EXIT_TEMP;
}

static enum proto_service
service_from_port(const char *port)
{
	static const struct {
		const char *port;
		enum proto_service svc;
	} ports[] = {
		{ "25", SVC_SMTP }, { "465", SVC_SMTP }, { "587", SVC_SMTP },
		{ "110", SVC_POP3 }, { "995", SVC_POP3 },
		{ "143", SVC_IMAP }, { "993", SVC_IMAP },
	};
	size_t i;

	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (strcmp(port, ports[i].port) == 0)
			return ports[i].svc;
	return SVC_NONE;
}

/* An explicit -s wins, then Dovecot's SERVICE, then the local port that
 * tcpserver reports, then vpopmail's guess from the program name. */
static enum proto_service
pick_service(const char *opt, const char *prog)
{
	const char *s;
	enum proto_service svc;

	if (opt != NULL) {
		svc = proto_service_parse(opt);
		if (svc == SVC_NONE)
			die(EXIT_USAGE, "unknown service: %s", opt);
		return svc;
	}
	if ((s = getenv("SERVICE")) != NULL &&
	    (svc = proto_service_parse(s)) != SVC_NONE)
		return svc;
	if ((s = getenv("TCPLOCALPORT")) != NULL &&
	    (svc = service_from_port(s)) != SVC_NONE)
		return svc;
	if (strstr(prog, "true") != NULL)
		return SVC_SMTP;
	if (strstr(prog, "imap") != NULL)
		return SVC_IMAP;
	return SVC_POP3;
}

/* A Dovecot lookup names Dovecot's service, which may be none we know:
 * lmtp and doveadm look users up on behalf of no login, and then no
 * per-service flag may hide the user (SVC_NONE). Guessing from the program
 * name, checkpassword-reply, would say POP3. */
static enum proto_service
pick_lookup_service(const char *opt)
{
	const char *s;

	if (opt != NULL)
		return pick_service(opt, "");
	s = getenv("SERVICE");
	return s != NULL ? proto_service_parse(s) : SVC_NONE;
}

static void
env_set(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0)
		die(EXIT_TEMP, "unable to set %s: out of memory", name);
}

static void
env_fmt(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
env_fmt(const char *name, const char *fmt, ...)
{
	char buf[ENV_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		die(EXIT_TEMP, "value of %s too long", name);
	env_set(name, buf);
}

static void
set_environment(const struct proto_user *u, int dovecot, int lookup)
{
	env_fmt("USER", "%s@%s", u->user, u->domain);
	env_set("HOME", u->home);
	env_set("SHELL", "/bin/false");
	env_set("VPOPUSER", u->user);
	env_set("VPOPDOMAIN", u->domain);
	env_fmt("MAILDIR", "%s/Maildir", u->home);
	env_set("QUOTA", u->quota);
	if (dovecot) {
		/* checkpassword-reply refuses to run when our uid differs
		 * from the auth process's (ORIG_UID), so the ids travel as
		 * userdb fields instead: it copies the variables EXTRA names
		 * into its reply, after user= (from USER, which renames the
		 * login to its canonical user@domain) and userdb_home= (from
		 * HOME). */
		env_fmt("userdb_uid", "%lu", (unsigned long)u->uid);
		env_fmt("userdb_gid", "%lu", (unsigned long)u->gid);
		env_fmt("userdb_mail", "maildir:%s/Maildir", u->home);
		env_set("EXTRA", "userdb_uid userdb_gid userdb_mail");
		/* Tells checkpassword-reply that the lookup succeeded; it
		 * then exits 2, which is what Dovecot expects of one. */
		if (lookup)
			env_set("AUTHORIZED", "2");
	}
}

/* groups, then gid, then uid; then check that none of it can come back. */
static void
drop_privileges(const struct proto_user *u)
{
	gid_t gid = (gid_t)u->gid;

	if (u->uid == 0 || u->gid == 0)
		die(EXIT_TEMP, "refusing to run %s@%s as root", u->user,
		    u->domain);
	if (setgroups(1, &gid) < 0)
		die(EXIT_TEMP, "unable to set groups: %s", strerror(errno));
	if (setgid(gid) < 0)
		die(EXIT_TEMP, "unable to set gid: %s", strerror(errno));
	if (setuid((uid_t)u->uid) < 0)
		die(EXIT_TEMP, "unable to set uid: %s", strerror(errno));
	if (getuid() != u->uid || geteuid() != u->uid ||
	    getgid() != gid || getegid() != gid || setuid(0) == 0)
		die(EXIT_TEMP, "privileges still held after the switch");
}

int
main(int argc, char **argv)
{
	char in[CHKPW_MAX_INPUT + 1];
	unsigned char rbuf[PROTO_MAX_RESPONSE + 2];
	struct chkpw_input ci;
	struct proto_request req;
	struct proto_response resp;
	const char *svc_opt = NULL, *sock, *prog, *base, *ip, *authorized;
	int c, dovecot = 0, lookup, code;
	ssize_t n;

	sock = getenv("VAUTHD_SOCKET");
	if (sock == NULL || *sock == '\0')
		sock = VAUTHD_SOCKET;
	while ((c = getopt(argc, argv, "+ds:S:")) != -1) {
		switch (c) {
		case 'd':
			dovecot = 1;
			break;
		case 's':
			svc_opt = optarg;
			break;
		case 'S':
			sock = optarg;
			break;
		default:
			die(EXIT_USAGE, "%s", usage);
		}
	}
	if (optind >= argc)
		die(EXIT_USAGE, "%s", usage);
	prog = argv[optind];
	base = strrchr(prog, '/');
	base = base != NULL ? base + 1 : prog;
	if (strcmp(base, "checkpassword-reply") == 0)
		dovecot = 1;

	/* A caller that never closes fd 3 must not hold us (and a
	 * connection slot) forever. */
	n = io_read_all_by(3, in, sizeof(in), io_now_ms() + CHKPW_READ_TIMEOUT_MS);
	if (n < 0)
		die(EXIT_USAGE, "unable to read fd 3: %s", strerror(errno));
	close(3);
	if ((size_t)n > CHKPW_MAX_INPUT)
		die(EXIT_USAGE, "input on fd 3 over %d bytes", CHKPW_MAX_INPUT);
	if (chkpw_parse(in, (size_t)n, &ci) < 0)
		die(EXIT_USAGE, "malformed input on fd 3");

	/* Dovecot's userdb (or passdb) lookup: a login without a password,
	 * flagged AUTHORIZED=1. vauthd answers it only to root and to
	 * lookup_users. A credentials lookup wants the password itself,
	 * which vauthd never hands out: only PLAIN and LOGIN can work. */
	lookup = 0;
	authorized = getenv("AUTHORIZED");
	if (dovecot && authorized != NULL) {
		if (strcmp(authorized, "1") != 0)
			die(EXIT_TEMP, "unexpected AUTHORIZED value from Dovecot");
		if (getenv("CREDENTIALS_LOOKUP") != NULL)
			die(EXIT_TEMP, "Dovecot asked for a stored password, "
			    "which vauthd never reveals: set auth_mechanisms "
			    "= plain login");
		lookup = 1;
	}
	memset(&req, 0, sizeof(req));
	req.op = lookup ? PROTO_LOOKUP : PROTO_AUTH;
	req.service = lookup ? pick_lookup_service(svc_opt) :
	    pick_service(svc_opt, prog);
	req.login.p = ci.login;
	req.login.len = ci.login_len;
	req.secret.p = ci.secret;
	req.secret.len = ci.secret_len;
	req.extra.p = ci.extra;
	req.extra.len = ci.extra_len;
	ip = getenv("TCPREMOTEIP");
	req.remote_ip.p = ip != NULL ? ip : "";
	req.remote_ip.len = strlen(req.remote_ip.p);
	if (ci.login_len > PROTO_MAX_LOGIN || ci.secret_len > PROTO_MAX_SECRET ||
	    ci.extra_len > PROTO_MAX_EXTRA) {
		explicit_bzero(in, sizeof(in));
		return exit_code(AUTH_NO, lookup);	/* no such login exists */
	}
	if (req.remote_ip.len > PROTO_MAX_IP)
		req.remote_ip.len = 0;

	if (client_call(sock, &req, &resp, rbuf, sizeof(rbuf),
	    CLIENT_TIMEOUT_MS) < 0) {
		explicit_bzero(in, sizeof(in));
		die(EXIT_TEMP, "unable to ask vauthd at %s: %s", sock,
		    strerror(errno));
	}
	explicit_bzero(in, sizeof(in));
	code = exit_code(resp.result, lookup);
	if (code != EXIT_OK)
		return code;

	set_environment(&resp.user, dovecot, lookup);
	if (geteuid() == 0 && !dovecot) {
		drop_privileges(&resp.user);
		if (chdir(resp.user.home) < 0)
			die(EXIT_TEMP, "unable to chdir to %s: %s",
			    resp.user.home, strerror(errno));
	}
	execvp(prog, argv + optind);
	die(EXIT_TEMP, "unable to run %s: %s", prog, strerror(errno));
}
