/* conf.c: the vauth configuration (vauthd.conf): keys, defaults, parsing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "errbuf.h"
#include "passwd.h"

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "%s", VAUTHD_SOCKET);
	c->socket_mode = 0660;
	snprintf(c->user, sizeof(c->user), "vauth");
	c->workers = 0;			/* 0: two per core */
	c->max_connections = 1024;
	c->client_timeout_ms = 5000;
	c->queue_timeout_ms = 10000;
	snprintf(c->mysql_host, sizeof(c->mysql_host), "localhost");
	snprintf(c->mysql_user, sizeof(c->mysql_user), "vpopmail");
	snprintf(c->mysql_database, sizeof(c->mysql_database), "vpopmail");
	c->mysql_timeout = 5;
	snprintf(c->virtual_user, sizeof(c->virtual_user), "vpopmail");
	snprintf(c->hash_prefix, sizeof(c->hash_prefix), "%s",
	    PASSWD_DEFAULT_PREFIX);
	c->lastauth = 1;
	c->cache_size = 65536;
	c->cache_ttl = 3600;
	snprintf(c->log, sizeof(c->log), "syslog");
	c->penalty = 1;
	c->penalty_window = 600;
	c->penalty_free = 3;
	c->penalty_delay_ms = 250;
	c->penalty_delay_max_ms = 4000;
	c->penalty_threshold = 15;
	c->penalty_cooldown = 120;
	c->penalty_entries = 65536;
	snprintf(c->qmail_dir, sizeof(c->qmail_dir), "/var/qmail");
	snprintf(c->vpopmail_dir, sizeof(c->vpopmail_dir), "/home/vpopmail");
	c->lock_timeout = 60;
	c->store_clear = 0;
	c->dir_control = 100;
	c->relay_expiry = 1800;
	c->relay_max = 10000;
	c->relay_rebuild_interval = 1000;
	c->relay_poll = 10;
}

static int
set_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int
set_int(int *dst, const char *v, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < min || n > max)
		return -1;
	*dst = (int)n;
	return 0;
}

static int
set_bool(int *dst, const char *v)
{
	if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 ||
	    strcmp(v, "on") == 0)
		*dst = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0 ||
	    strcmp(v, "off") == 0)
		*dst = 0;
	else
		return -1;
	return 0;
}

/* A list of user names, separated by commas or blanks (allow_users,
 * lookup_users). */
static int
set_users(char list[][CONF_MAX_WORD], int *n, const char *v)
{
	char buf[CONF_MAX_LINE], *tok, *save = NULL;

	if (set_str(buf, sizeof(buf), v) < 0)
		return -1;
	*n = 0;
	for (tok = strtok_r(buf, " ,", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,", &save)) {
		if (*n == CONF_MAX_ALLOW ||
		    set_str(list[*n], CONF_MAX_WORD, tok) < 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
set_key(struct conf *c, const char *k, const char *v)
{
	int n;

#define STR(name) if (strcmp(k, #name) == 0) \
	return set_str(c->name, sizeof(c->name), v)
	STR(socket);
	STR(socket_group);
	STR(user);
	STR(mysql_host);
	STR(mysql_socket);
	STR(mysql_user);
	STR(mysql_password);
	STR(mysql_database);
	STR(mysql_file);
	STR(virtual_user);
	STR(hash_prefix);
	STR(qmail_dir);
	STR(vpopmail_dir);
	STR(lock_file);
	STR(tcp_smtp);
	STR(tcp_smtp_cdb);
#undef STR
	if (strcmp(k, "default_domain") == 0) {
		if (*v != '\0' && name_check_domain(v, strlen(v), NULL) < 0)
			return -1;
		if (set_str(c->default_domain, sizeof(c->default_domain), v) < 0)
			return -1;
		name_fold(c->default_domain, strlen(c->default_domain));
		return 0;
	}
	if (strcmp(k, "log") == 0) {
		if (strcmp(v, "syslog") != 0 && strcmp(v, "stderr") != 0)
			return -1;
		return set_str(c->log, sizeof(c->log), v);
	}
	if (strcmp(k, "socket_mode") == 0) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);

		if (end == v || *end != '\0' || m > 0777)
			return -1;
		c->socket_mode = (unsigned)m;
		return 0;
	}
	if (strcmp(k, "allow_users") == 0)
		return set_users(c->allow_users, &c->n_allow_users, v);
	if (strcmp(k, "lookup_users") == 0)
		return set_users(c->lookup_users, &c->n_lookup_users, v);
	if (strcmp(k, "workers") == 0)
		return set_int(&c->workers, v, 0, CONF_MAX_WORKERS);
	if (strcmp(k, "max_connections") == 0)
		return set_int(&c->max_connections, v, 1, 65536);
	if (strcmp(k, "client_timeout") == 0)
		return set_int(&c->client_timeout_ms, v, 1, 600000);
	if (strcmp(k, "queue_timeout") == 0)
		return set_int(&c->queue_timeout_ms, v, 1, 600000);
	if (strcmp(k, "mysql_timeout") == 0)
		return set_int(&c->mysql_timeout, v, 1, 3600);
	if (strcmp(k, "mysql_port") == 0) {
		if (set_int(&n, v, 0, 65535) < 0)
			return -1;
		c->mysql_port = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "lastauth") == 0)
		return set_bool(&c->lastauth, v);
	if (strcmp(k, "cache_size") == 0)
		return set_int(&c->cache_size, v, 0, 1 << 22);
	if (strcmp(k, "cache_ttl") == 0)
		return set_int(&c->cache_ttl, v, 1, 86400);
	if (strcmp(k, "penalty") == 0)
		return set_bool(&c->penalty, v);
	if (strcmp(k, "penalty_window") == 0)
		return set_int(&c->penalty_window, v, 1, 86400);
	if (strcmp(k, "penalty_free") == 0)
		return set_int(&c->penalty_free, v, 0, 1000);
	/* Delays stay well under vchkpw's 15 s (CLIENT_TIMEOUT_MS): a held
	 * answer that comes after the client gave up is a TEMP, not a NO. */
	if (strcmp(k, "penalty_delay") == 0)
		return set_int(&c->penalty_delay_ms, v, 0, 10000);
	if (strcmp(k, "penalty_delay_max") == 0)
		return set_int(&c->penalty_delay_max_ms, v, 0, 10000);
	if (strcmp(k, "penalty_threshold") == 0)
		return set_int(&c->penalty_threshold, v, 1, 100000);
	if (strcmp(k, "penalty_cooldown") == 0)
		return set_int(&c->penalty_cooldown, v, 0, 86400);
	if (strcmp(k, "penalty_entries") == 0)
		return set_int(&c->penalty_entries, v, 16, 1000000);
	if (strcmp(k, "store_clear") == 0)
		return set_bool(&c->store_clear, v);
	if (strcmp(k, "lock_timeout") == 0)
		return set_int(&c->lock_timeout, v, 0, 3600);
	if (strcmp(k, "dir_control") == 0)
		return set_int(&c->dir_control, v, 10, 100000);
	if (strcmp(k, "relay_expiry") == 0)
		return set_int(&c->relay_expiry, v, 1, 86400 * 366);
	if (strcmp(k, "relay_max") == 0)
		return set_int(&c->relay_max, v, 1, 100000);
	if (strcmp(k, "relay_rebuild_interval") == 0)
		return set_int(&c->relay_rebuild_interval, v, 0, 600000);
	if (strcmp(k, "relay_poll") == 0)
		return set_int(&c->relay_poll, v, 1, 3600);
	errno = ENOENT;
	return -1;
}

static void
trim(char **s, char **e)
{
	while (*s < *e && (**s == ' ' || **s == '\t'))
		(*s)++;
	while (*e > *s && ((*e)[-1] == ' ' || (*e)[-1] == '\t' ||
	    (*e)[-1] == '\r'))
		(*e)--;
}

/* key = value, one per line; '#' starts a comment line. */
int
conf_parse(struct conf *c, const char *text, size_t len, char *err,
    size_t errlen)
{
	char line[CONF_MAX_LINE + 1], *s, *e, *eq, *ks, *ke;
	size_t pos = 0, n, lineno = 0;
	const char *nl;

	if (len > CONF_MAX_FILE)
		return errf(err, errlen, "config over %d bytes", CONF_MAX_FILE);
	while (pos < len) {
		lineno++;
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		if (n > CONF_MAX_LINE)
			return errf(err, errlen, "line %zu: over %d bytes",
			    lineno, CONF_MAX_LINE);
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (memchr(line, '\0', n) != NULL)
			return errf(err, errlen, "line %zu: NUL byte", lineno);
		s = line;
		e = line + n;
		trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		*e = '\0';
		eq = strchr(s, '=');
		if (eq == NULL)
			return errf(err, errlen, "line %zu: expected key = value",
			    lineno);
		ks = s;
		ke = eq;
		trim(&ks, &ke);
		*ke = '\0';
		s = eq + 1;
		trim(&s, &e);
		*e = '\0';
		errno = 0;
		if (set_key(c, ks, s) < 0)
			return errf(err, errlen, errno == ENOENT ?
			    "line %zu: unknown key '%.64s'" :
			    "line %zu: bad value for '%.64s'", lineno, ks);
	}
	return 0;
}

/* host|port|user|password|database */
int
conf_parse_vpopmail(struct conf *c, const char *text, size_t len, char *err,
    size_t errlen)
{
	char line[CONF_MAX_LINE + 1], *f[5], *p;
	size_t pos = 0, n;
	const char *nl;
	int i, port;

	if (len > CONF_MAX_FILE)
		return errf(err, errlen, "vpopmail.mysql over %d bytes",
		    CONF_MAX_FILE);
	while (pos < len) {
		nl = memchr(text + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		if (n > CONF_MAX_LINE)
			return errf(err, errlen, "vpopmail.mysql: line too long");
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (memchr(line, '\0', n) != NULL)
			return errf(err, errlen, "vpopmail.mysql: NUL byte");
		p = line;
		for (i = 0; i < 5; i++) {
			f[i] = p;
			p = strchr(p, '|');
			if (p == NULL && i < 4)
				return errf(err, errlen, "vpopmail.mysql: expected "
				    "host|port|user|password|database");
			if (p != NULL)
				*p++ = '\0';
		}
		if (p != NULL)
			return errf(err, errlen, "vpopmail.mysql: too many fields");
		if (set_int(&port, f[1], 0, 65535) < 0)
			return errf(err, errlen, "vpopmail.mysql: bad port");
		/* vpopmail takes a host starting with '/' as a socket. */
		if ((f[0][0] == '/' ?
		    set_str(c->mysql_socket, sizeof(c->mysql_socket), f[0]) :
		    set_str(c->mysql_host, sizeof(c->mysql_host), f[0])) < 0 ||
		    set_str(c->mysql_user, sizeof(c->mysql_user), f[2]) < 0 ||
		    set_str(c->mysql_password, sizeof(c->mysql_password),
		    f[3]) < 0 ||
		    set_str(c->mysql_database, sizeof(c->mysql_database),
		    f[4]) < 0)
			return errf(err, errlen, "vpopmail.mysql: field too long");
		c->mysql_port = (unsigned)port;
		explicit_bzero(line, sizeof(line));
		return 0;
	}
	return errf(err, errlen, "vpopmail.mysql: no settings line");
}

/* Reads a whole private file: refuses one that others may read. */
static int
read_private(const char *path, char *buf, size_t cap, size_t *len, char *err,
    size_t errlen)
{
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errf(err, errlen, "unable to open %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, "%s is not a regular file", path);
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		return errf(err, errlen, "%s is accessible to others (mode %03o);"
		    " it may hold the MySQL password: chmod o-rw it", path,
		    (unsigned)(st.st_mode & 0777));
	}
	while (got < cap) {
		r = read(fd, buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got == cap)
		return errf(err, errlen, "%s is over %d bytes", path,
		    CONF_MAX_FILE);
	*len = got;
	return 0;
}

static int
resolve_virtual_user(struct conf *c, char *err, size_t errlen)
{
	struct passwd *pw;
	char *end;
	unsigned long id;

	/* "uid:gid" in numbers, or a user name. */
	id = strtoul(c->virtual_user, &end, 10);
	if (end != c->virtual_user && *end == ':') {
		c->virtual_uid = (uid_t)id;
		c->virtual_gid = (gid_t)strtoul(end + 1, &end, 10);
		if (*end != '\0')
			return errf(err, errlen, "virtual_user: expected a "
			    "name or uid:gid");
	} else {
		pw = getpwnam(c->virtual_user);
		if (pw == NULL)
			return errf(err, errlen, "virtual_user: no such user %s",
			    c->virtual_user);
		c->virtual_uid = pw->pw_uid;
		c->virtual_gid = pw->pw_gid;
	}
	if (c->virtual_uid == 0 || c->virtual_gid == 0)
		return errf(err, errlen, "virtual_user must not be root");
	return 0;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	static char buf[CONF_MAX_FILE];
	size_t len = 0;
	int rc;

	if (read_private(path, buf, sizeof(buf), &len, err, errlen) < 0)
		return -1;
	rc = conf_parse(c, buf, len, err, errlen);
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		return -1;
	if (c->mysql_file[0] != '\0') {
		if (read_private(c->mysql_file, buf, sizeof(buf), &len, err,
		    errlen) < 0)
			return -1;
		rc = conf_parse_vpopmail(c, buf, len, err, errlen);
		explicit_bzero(buf, sizeof(buf));
		if (rc < 0)
			return -1;
	}
	return resolve_virtual_user(c, err, errlen);
}
