/* util.c: what vadmin's commands share: config, errors, lock, vauthd, input. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#include "client.h"
#include "passwd.h"
#include "proto.h"
#include "util.h"

int
vadm_fail(const struct vadmin *v, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", v->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
vadm_usage(const char *prog, const char *usage)
{
	fprintf(stderr, "%s: usage: %s %s\n", prog, prog, usage);
	return 2;
}

int
vadm_init(struct vadmin *v, const char *prog)
{
	const char *path = getenv("VAUTH_CONF");

	memset(v, 0, sizeof(*v));
	v->prog = prog;
	v->lock = -1;
	/* A bad option gets the usage line alone: one line on stderr. */
	opterr = 0;
	if (path == NULL || *path == '\0')
		path = VADMIN_DEFAULT_CONF;
	conf_defaults(&v->conf);
	if (conf_load(&v->conf, path, v->err, sizeof(v->err)) < 0) {
		vadm_fail(v, "%s", v->err);
		return -1;
	}
	return 0;
}

int
vadm_db(struct vadmin *v)
{
	if (v->db != NULL)
		return 0;
	v->db = db_open(&v->conf, v->err, sizeof(v->err));
	if (v->db == NULL) {
		vadm_fail(v, "%s", v->err);
		return -1;
	}
	return 0;
}

int
vadm_lock(struct vadmin *v)
{
	sigset_t hold;

	v->lock = ctl_lock(&v->conf, v->err, sizeof(v->err));
	if (v->lock < 0) {
		vadm_fail(v, "%s", v->err);
		return -1;
	}
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	(void)sigprocmask(SIG_BLOCK, &hold, &v->saved);
	return 0;
}

void
vadm_end(struct vadmin *v)
{
	int held = v->lock >= 0;

	db_close(&v->db);
	if (held)
		ctl_unlock(v->lock);
	v->lock = -1;
	if (held)
		(void)sigprocmask(SIG_SETMASK, &v->saved, NULL);
}

int
vadm_email(const struct vadmin *v, const char *arg,
    char user[NAME_MAX_USER + 1], char domain[NAME_MAX_DOMAIN + 1])
{
	const char *why = NULL, *at = strchr(arg, '@');

	if (at == NULL) {
		vadm_fail(v, "%s is not an email address (user@domain)", arg);
		return -1;
	}
	if (name_split_login(arg, strlen(arg), NULL, user, domain, &why) < 0) {
		vadm_fail(v, "invalid address %s: %s", arg, why);
		return -1;
	}
	return 0;
}

int
vadm_domain_name(const struct vadmin *v, const char *arg,
    char out[NAME_MAX_DOMAIN + 1])
{
	const char *why = NULL;
	size_t len = strlen(arg);

	if (name_check_domain(arg, len, &why) < 0) {
		vadm_fail(v, "invalid domain %s: %s", arg, why);
		return -1;
	}
	/* A mail domain needs a dot: qmail would take "localhost" for a
	 * local name. */
	if (strchr(arg, '.') == NULL) {
		vadm_fail(v, "invalid domain %s: domain has no '.'", arg);
		return -1;
	}
	memcpy(out, arg, len + 1);
	name_fold(out, len);
	return 0;
}

int
vadm_find_domain(struct vadmin *v, const char *name, struct assign_entry *e)
{
	int r = ctl_domain_lookup(&v->conf, name, e, v->err, sizeof(v->err));

	if (r < 0)
		vadm_fail(v, "%s", v->err);
	return r;
}

static int
first_col(void *arg, int ncols, char **vals)
{
	char *out = arg;

	if (ncols < 1 || strlen(vals[0]) > NAME_MAX_DOMAIN)
		return -1;
	memcpy(out, vals[0], strlen(vals[0]) + 1);
	return 0;
}

int
vadm_real_domain(struct vadmin *v, const char *domain,
    char real[NAME_MAX_DOMAIN + 1], struct assign_entry *entry)
{
	struct assign_entry e;
	const char *p[1] = { domain };
	int r;

	snprintf(real, NAME_MAX_DOMAIN + 1, "%s", domain);
	if (entry != NULL)
		entry->name[0] = '\0';
	r = vadm_find_domain(v, domain, &e);
	if (r < 0)
		return -1;
	if (r == 1 && strcmp(e.real, domain) != 0) {
		snprintf(real, NAME_MAX_DOMAIN + 1, "%s", e.real);
		r = vadm_find_domain(v, e.real, &e);
		if (r < 0)
			return -1;
		if (r == 1 && entry != NULL)
			*entry = e;
		return 1;
	}
	if (r == 1) {
		if (entry != NULL)
			*entry = e;
		return 1;
	}
	/* An alias made by SQL only (vpopmail's SQL_ALIASDOMAINS). */
	if (vadm_db(v) < 0)
		return -1;
	r = db_query(v->db, "SELECT domain FROM aliasdomains WHERE alias = ?",
	    p, 1, first_col, real);
	if (r > 0) {
		name_fold(real, strlen(real));
		if (entry != NULL && vadm_find_domain(v, real, entry) < 0)
			return -1;
		return 1;
	}
	return 0;
}

int
vadm_check_password(const struct vadmin *v, const char *pw)
{
	size_t i, len = strlen(pw);

	if (len == 0) {
		vadm_fail(v, "the password is empty");
		return -1;
	}
	if (len > VADMIN_MAX_PASSWORD) {
		vadm_fail(v, "the password is over %d bytes", VADMIN_MAX_PASSWORD);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f) {
			vadm_fail(v, "the password has a control character");
			return -1;
		}
	return 0;
}

int
vadm_random_password(char *pw, size_t cap, size_t len)
{
	static const char set[] = "abcdefghijkmnopqrstuvwxyz"
	    "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char r[VADMIN_MAX_PASSWORD * 2];
	size_t i, got = 0, used = sizeof(r);
	ssize_t n;

	if (len == 0 || len >= cap || len > VADMIN_MAX_PASSWORD) {
		errno = EINVAL;
		return -1;
	}
	/* Rejection sampling: no byte value is likelier than another. */
	while (got < len) {
		if (used == sizeof(r)) {
			n = getrandom(r, sizeof(r), 0);
			if (n != (ssize_t)sizeof(r))
				return -1;
			used = 0;
		}
		i = r[used++];
		if (i >= 256 - 256 % (sizeof(set) - 1))
			continue;
		pw[got++] = set[i % (sizeof(set) - 1)];
	}
	pw[len] = '\0';
	explicit_bzero(r, sizeof(r));
	return 0;
}

/* One line from stdin, without echo when it is a terminal. */
static int
read_line(const char *prompt, char *buf, size_t cap)
{
	struct termios old, quiet;
	int tty = isatty(0), rc = 0;
	size_t len;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		if (tcgetattr(0, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			(void)tcsetattr(0, TCSAFLUSH, &quiet);
		} else {
			tty = 0;
		}
	}
	if (fgets(buf, (int)cap, stdin) == NULL)
		rc = -1;
	if (tty) {
		(void)tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (rc < 0)
		return -1;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (len + 1 >= cap)
		return -2;		/* longer than the buffer */
	return 0;
}

int
vadm_read_password(const struct vadmin *v, const char *prompt, int confirm,
    char *pw, size_t cap)
{
	char again[VADMIN_MAX_PASSWORD + 2];
	int r;

	r = read_line(prompt, pw, cap);
	if (r == -2) {
		vadm_fail(v, "the password is over %d bytes", VADMIN_MAX_PASSWORD);
		return -1;
	}
	if (r < 0) {
		vadm_fail(v, "no password given");
		return -1;
	}
	if (confirm && isatty(0)) {
		if (read_line("enter password again: ", again, sizeof(again)) < 0 ||
		    strcmp(again, pw) != 0) {
			explicit_bzero(again, sizeof(again));
			vadm_fail(v, "the passwords do not match");
			return -1;
		}
		explicit_bzero(again, sizeof(again));
	}
	return 0;
}

int
vadm_hash(const struct vadmin *v, const char *pw, char *out, size_t cap)
{
	if (passwd_hash(v->conf.hash_prefix, pw, out, cap) < 0) {
		vadm_fail(v, "unable to hash the password with %s: %s",
		    v->conf.hash_prefix, strerror(errno));
		return -1;
	}
	return 0;
}

int
vadm_check_hash(const struct vadmin *v, const char *hash)
{
	size_t i, len = strlen(hash);

	if (len == 0 || len >= PASSWD_MAX_HASH) {
		vadm_fail(v, "the encrypted password must be 1 to %d bytes",
		    PASSWD_MAX_HASH - 1);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)hash[i] <= 0x20 || hash[i] == ':' ||
		    (unsigned char)hash[i] >= 0x7f) {
			vadm_fail(v, "the encrypted password has a blank, control, "
			    "':' or non-ASCII byte");
			return -1;
		}
	return 0;
}

/* One "NUMBER[K|M|G][B][S]" size, in bytes. Returns 0 or -1. */
static int
parse_size(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0, mult = 1;
	size_t i = 0;

	if (n == 0 || !isdigit((unsigned char)s[0]))
		return -1;
	for (; i < n && isdigit((unsigned char)s[i]); i++) {
		if (v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (i < n) {
		switch (s[i] | 0x20) {
		case 'k': mult = 1024ULL; i++; break;
		case 'm': mult = 1024ULL * 1024; i++; break;
		case 'g': mult = 1024ULL * 1024 * 1024; i++; break;
		default: break;
		}
	}
	if (i < n && (s[i] | 0x20) == 'b')
		i++;
	if (i < n && (s[i] | 0x20) == 's')
		i++;
	if (i != n || (mult > 1 && v > ULLONG_MAX / mult))
		return -1;
	*out = v * mult;
	return 0;
}

int
vadm_quota(const struct vadmin *v, const char *in, char *out, size_t cap)
{
	unsigned long long bytes = 0, count = 0;
	const char *comma, *c1, *c2;
	size_t n1, n2;
	int have_bytes = 0, have_count = 0, n;

	if (strcasecmp(in, "NOQUOTA") == 0) {
		snprintf(out, cap, "NOQUOTA");
		return 0;
	}
	comma = strchr(in, ',');
	c1 = in;
	n1 = comma != NULL ? (size_t)(comma - in) : strlen(in);
	c2 = comma != NULL ? comma + 1 : NULL;
	n2 = c2 != NULL ? strlen(c2) : 0;
	/* Each part is a size, or a message count ending in 'C'. */
	for (int part = 0; part < 2; part++) {
		const char *p = part == 0 ? c1 : c2;
		size_t pn = part == 0 ? n1 : n2;

		if (p == NULL)
			break;
		if (pn > 1 && (p[pn - 1] | 0x20) == 'c' && !have_count) {
			if (parse_size(p, pn - 1, &count) < 0)
				goto bad;
			have_count = 1;
		} else if (!have_bytes && parse_size(p, pn, &bytes) == 0) {
			have_bytes = 1;
		} else {
			goto bad;
		}
	}
	if (have_bytes && have_count)
		n = snprintf(out, cap, "%lluS,%lluC", bytes, count);
	else if (have_bytes)
		n = snprintf(out, cap, "%lluS", bytes);
	else
		n = snprintf(out, cap, "%lluC", count);
	if (n < 0 || (size_t)n >= cap || (size_t)n > VADMIN_MAX_QUOTA) {
		vadm_fail(v, "quota %s is too long to store", in);
		return -1;
	}
	return 0;
bad:
	vadm_fail(v, "invalid quota %s (NOQUOTA, bytes, 10M, 1G, or "
	    "SIZE,COUNTC)", in);
	return -1;
}

int
vadm_random_len(const struct vadmin *v, const char *arg, size_t *len)
{
	char *end;
	unsigned long n;

	if (arg == NULL || *arg == '\0') {
		*len = VADMIN_RANDOM_PASSWORD;
		return 0;
	}
	n = strtoul(arg, &end, 10);
	if (*end != '\0' || n < 6 || n > VADMIN_MAX_PASSWORD) {
		vadm_fail(v, "random password length must be 6 to %d",
		    VADMIN_MAX_PASSWORD);
		return -1;
	}
	*len = n;
	return 0;
}

void
vadm_flush(const struct vadmin *v)
{
	static unsigned char buf[PROTO_MAX_RESPONSE + 2];
	struct proto_request req;
	struct proto_response resp;

	memset(&req, 0, sizeof(req));
	req.op = PROTO_FLUSH;
	if (client_call(v->conf.socket, &req, &resp, buf, sizeof(buf),
	    CLIENT_TIMEOUT_MS) < 0) {
		if (errno != ENOENT && errno != ECONNREFUSED)
			fprintf(stderr, "%s: notice: vauthd at %s not told to "
			    "flush: %s\n", v->prog, v->conf.socket,
			    strerror(errno));
		return;
	}
	if (resp.result != AUTH_OK)
		fprintf(stderr, "%s: notice: vauthd refused to flush (run as "
		    "root)\n", v->prog);
}

void
vadm_hup_qmail_send(void)
{
	char path[64], comm[32];
	struct dirent *de;
	FILE *f;
	DIR *d;
	char *end;
	long pid;

	d = opendir("/proc");
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 1)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		f = fopen(path, "re");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL &&
		    strcmp(comm, "qmail-send\n") == 0)
			(void)kill((pid_t)pid, SIGHUP);
		fclose(f);
	}
	closedir(d);
}

void
vadm_json_str(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

int
vadm_take_flag(int *argc, char **argv, const char *flag)
{
	int i, j, found = 0;

	for (i = j = 0; i < *argc; i++) {
		if (i > 0 && strcmp(argv[i], flag) == 0) {
			found = 1;
			continue;
		}
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	*argc = j;
	return found;
}
