/* pool.c: MySQL connection pool: acquire, release, reconnect, statements. */
#include <errno.h>
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "pool.h"

/* With the aliasdomains table: a login at an alias domain finds the row of
 * the real domain in the same round trip. */
static const char sql_user_alias[] =
    "SELECT pw_name, pw_domain, pw_passwd, pw_clear_passwd, pw_dir, "
    "pw_shell, pw_uid, pw_gid FROM vpopmail WHERE pw_name = ? AND "
    "pw_domain = COALESCE((SELECT domain FROM aliasdomains WHERE alias = ?),"
    " ?)";
/* A vpopmail database built without SQL alias domains has no such table. */
static const char sql_user_plain[] =
    "SELECT pw_name, pw_domain, pw_passwd, pw_clear_passwd, pw_dir, "
    "pw_shell, pw_uid, pw_gid FROM vpopmail WHERE pw_name = ? AND "
    "pw_domain = ?";
/* The upgrade of a weak hash: only while the row still holds the hash
 * that was verified, so a password changed meanwhile is never overwritten. */
static const char sql_rehash[] =
    "UPDATE vpopmail SET pw_passwd = ? WHERE pw_name = ? AND pw_domain = ? "
    "AND COALESCE(pw_passwd, '') = ?";
static const char sql_lastauth[] =
    "INSERT INTO lastauth (user, domain, remote_ip, timestamp) "
    "VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
    "remote_ip = VALUES(remote_ip), timestamp = VALUES(timestamp)";

struct pool_conn {
	struct pool *pool;
	MYSQL *db;
	MYSQL_STMT *st_user;
	MYSQL_STMT *st_lastauth;
	MYSQL_STMT *st_rehash;
	int no_lastauth;		/* the table is missing */
	int busy;
	int ever_connected;
};

struct pool {
	const struct conf *conf;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int size;
	struct pool_conn *conns;
	struct pool_stats stats;
};

int
pool_library_init(void)
{
	return mysql_library_init(0, NULL, NULL) == 0 ? 0 : -1;
}

struct pool *
pool_new(const struct conf *conf, int size)
{
	struct pool *p;
	int i;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->conns = calloc((size_t)size, sizeof(*p->conns));
	if (p->conns == NULL) {
		free(p);
		return NULL;
	}
	p->conf = conf;
	p->size = size;
	for (i = 0; i < size; i++)
		p->conns[i].pool = p;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->freed, NULL);
	return p;
}

static void
conn_close(struct pool_conn *c)
{
	if (c->st_user != NULL)
		mysql_stmt_close(c->st_user);
	if (c->st_lastauth != NULL)
		mysql_stmt_close(c->st_lastauth);
	if (c->st_rehash != NULL)
		mysql_stmt_close(c->st_rehash);
	if (c->db != NULL)
		mysql_close(c->db);
	c->st_user = c->st_lastauth = c->st_rehash = NULL;
	c->db = NULL;
}

void
pool_free(struct pool **pp)
{
	struct pool *p = *pp;
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->size; i++)
		conn_close(&p->conns[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->conns);
	free(p);
	*pp = NULL;
}

struct pool_conn *
pool_acquire(struct pool *p, int timeout_ms)
{
	struct timespec until;
	struct pool_conn *c = NULL;
	int i, rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		for (i = 0; i < p->size; i++) {
			if (!p->conns[i].busy) {
				c = &p->conns[i];
				c->busy = 1;
				break;
			}
		}
		if (c != NULL || rc == ETIMEDOUT)
			break;
		rc = pthread_cond_timedwait(&p->freed, &p->lock, &until);
	}
	pthread_mutex_unlock(&p->lock);
	if (c == NULL)
		errno = ETIMEDOUT;
	return c;
}

void
pool_release(struct pool *p, struct pool_conn *c)
{
	pthread_mutex_lock(&p->lock);
	c->busy = 0;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* Returns the statement, or NULL with the server's error number in *err
 * and its message logged unless it is one the caller expects. */
static MYSQL_STMT *
prepare(MYSQL *db, const char *sql, unsigned expected, unsigned *err)
{
	MYSQL_STMT *st;

	*err = 0;
	st = mysql_stmt_init(db);
	if (st == NULL)
		return NULL;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		*err = mysql_stmt_errno(st);
		if (*err != expected)
			log_msg(LOG_ERR, "mysql: unable to prepare a statement: "
			    "%s", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	return st;
}

/* Connects and prepares, unless already done. Returns 0 or -1. */
static int
conn_ready(struct pool *p, struct pool_conn *c)
{
	const struct conf *cf = p->conf;
	unsigned int timeout = (unsigned)cf->mysql_timeout;
	unsigned err;
	my_bool off = 0;

	if (c->db != NULL && c->st_user != NULL)
		return 0;
	conn_close(c);
	c->db = mysql_init(NULL);
	if (c->db == NULL)
		return -1;
	mysql_options(c->db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(c->db, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(c->db, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	/* Reconnecting silently would drop the prepared statements. */
	mysql_options(c->db, MYSQL_OPT_RECONNECT, &off);
	if (mysql_real_connect(c->db,
	    cf->mysql_socket[0] != '\0' ? NULL : cf->mysql_host,
	    cf->mysql_user, cf->mysql_password, cf->mysql_database,
	    cf->mysql_port, cf->mysql_socket[0] != '\0' ? cf->mysql_socket :
	    NULL, 0) == NULL) {
		log_msg(LOG_ERR, "mysql: unable to connect: %s",
		    mysql_error(c->db));
		goto fail;
	}
	c->st_user = prepare(c->db, sql_user_alias, ER_NO_SUCH_TABLE, &err);
	if (c->st_user == NULL && err == ER_NO_SUCH_TABLE)
		c->st_user = prepare(c->db, sql_user_plain, 0, &err);
	if (c->st_user == NULL)
		goto fail;
	__atomic_add_fetch(c->ever_connected ? &p->stats.reconnects :
	    &p->stats.connects, 1, __ATOMIC_RELAXED);
	c->ever_connected = 1;
	return 0;
fail:
	__atomic_add_fetch(&p->stats.errors, 1, __ATOMIC_RELAXED);
	conn_close(c);
	return -1;
}

static void
bind_str(MYSQL_BIND *b, char *buf, size_t cap, unsigned long *len,
    my_bool *isnull, my_bool *err)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = buf;
	b->buffer_length = cap;
	b->length = len;
	b->is_null = isnull;
	b->error = err;
}

static void
bind_in(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)(uintptr_t)s;
	*len = strlen(s);
	b->buffer_length = *len;
	b->length = len;
}

/* One execution of the user lookup: 1 found, 0 not found, -1 error. */
static int
user_exec(struct pool_conn *c, const char *user, const char *domain,
    struct pool_user *u)
{
	MYSQL_BIND in[3], out[8];
	unsigned long inlen[3], len[8];
	my_bool isnull[8], err[8];
	int32_t uid = 0, gid = 0;
	int rc, i, found = -1;

	bind_in(&in[0], user, &inlen[0]);
	bind_in(&in[1], domain, &inlen[1]);
	bind_in(&in[2], domain, &inlen[2]);
	memset(isnull, 0, sizeof(isnull));
	memset(err, 0, sizeof(err));
	bind_str(&out[0], u->name, sizeof(u->name) - 1, &len[0], &isnull[0], &err[0]);
	bind_str(&out[1], u->domain, sizeof(u->domain) - 1, &len[1], &isnull[1], &err[1]);
	bind_str(&out[2], u->passwd, sizeof(u->passwd) - 1, &len[2], &isnull[2], &err[2]);
	bind_str(&out[3], u->clear, sizeof(u->clear) - 1, &len[3], &isnull[3], &err[3]);
	bind_str(&out[4], u->dir, sizeof(u->dir) - 1, &len[4], &isnull[4], &err[4]);
	bind_str(&out[5], u->shell, sizeof(u->shell) - 1, &len[5], &isnull[5], &err[5]);
	memset(&out[6], 0, sizeof(out[6]) * 2);
	out[6].buffer_type = out[7].buffer_type = MYSQL_TYPE_LONG;
	out[6].buffer = &uid;
	out[7].buffer = &gid;
	out[6].is_null = &isnull[6];
	out[7].is_null = &isnull[7];

	if (mysql_stmt_bind_param(c->st_user, in) != 0 ||
	    mysql_stmt_bind_result(c->st_user, out) != 0 ||
	    mysql_stmt_execute(c->st_user) != 0)
		return -1;
	rc = mysql_stmt_fetch(c->st_user);
	if (rc == MYSQL_NO_DATA) {
		found = 0;
	} else if (rc == 0) {
		found = 1;
	} else if (rc == MYSQL_DATA_TRUNCATED) {
		log_msg(LOG_ERR, "mysql: a field of %s@%s is longer than "
		    "vauthd accepts", user, domain);
		found = -2;
	}
	mysql_stmt_free_result(c->st_user);
	if (found == -2)
		return -2;
	if (found != 1)
		return found;
	for (i = 0; i < 6; i++) {
		char *dst = (char *)out[i].buffer;

		dst[isnull[i] ? 0 : len[i]] = '\0';
	}
	u->pw_uid = isnull[6] ? 0 : (uint32_t)uid;
	u->pw_gid = isnull[7] ? 0 : (uint32_t)gid;
	return 1;
}

enum pool_status
pool_user_lookup(struct pool_conn *c, const char *user, const char *domain,
    struct pool_user *out)
{
	struct pool *p = c->pool;
	int attempt, r;

	memset(out, 0, sizeof(*out));
	for (attempt = 0; attempt < 2; attempt++) {
		if (conn_ready(p, c) < 0)
			return POOL_ERROR;
		r = user_exec(c, user, domain, out);
		if (r == 1)
			return POOL_FOUND;
		if (r == 0)
			return POOL_NOTFOUND;
		if (r == -2)
			break;
		/* A lost connection, a server restart, a dropped statement:
		 * start again from a fresh connection, once. */
		log_msg(LOG_WARNING, "mysql: lookup failed (%s), reconnecting",
		    mysql_stmt_error(c->st_user));
		conn_close(c);
	}
	__atomic_add_fetch(&p->stats.errors, 1, __ATOMIC_RELAXED);
	explicit_bzero(out, sizeof(*out));
	return POOL_ERROR;
}

static int
lastauth_exec(struct pool_conn *c, const struct lastauth_entry *e, size_t n)
{
	MYSQL_BIND in[4];
	unsigned long len[3];
	long long when;
	unsigned err;
	size_t i;

	if (c->st_lastauth == NULL) {
		c->st_lastauth = prepare(c->db, sql_lastauth, ER_NO_SUCH_TABLE,
		    &err);
		if (c->st_lastauth == NULL) {
			if (err == ER_NO_SUCH_TABLE) {
				log_msg(LOG_NOTICE, "mysql: no lastauth table; "
				    "not recording logins");
				c->no_lastauth = 1;
				return 0;
			}
			return -1;
		}
	}
	if (mysql_query(c->db, "START TRANSACTION") != 0)
		return -1;
	for (i = 0; i < n; i++) {
		bind_in(&in[0], e[i].user, &len[0]);
		bind_in(&in[1], e[i].domain, &len[1]);
		bind_in(&in[2], e[i].ip, &len[2]);
		memset(&in[3], 0, sizeof(in[3]));
		when = e[i].when;
		in[3].buffer_type = MYSQL_TYPE_LONGLONG;
		in[3].buffer = &when;
		if (mysql_stmt_bind_param(c->st_lastauth, in) != 0 ||
		    mysql_stmt_execute(c->st_lastauth) != 0) {
			/* An address too long for an unmigrated table
			 * should not stop the rest of the batch. */
			if (mysql_stmt_errno(c->st_lastauth) == ER_DATA_TOO_LONG)
				continue;
			mysql_query(c->db, "ROLLBACK");
			return -1;
		}
	}
	return mysql_query(c->db, "COMMIT") == 0 ? 0 : -1;
}

int
pool_lastauth_write(struct pool_conn *c, const struct lastauth_entry *e,
    size_t n)
{
	struct pool *p = c->pool;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (c->no_lastauth)
			return 0;
		if (conn_ready(p, c) < 0)
			return -1;
		if (lastauth_exec(c, e, n) == 0)
			return 0;
		conn_close(c);
	}
	__atomic_add_fetch(&p->stats.errors, 1, __ATOMIC_RELAXED);
	return -1;
}

static int
rehash_exec(struct pool_conn *c, const char *name, const char *domain,
    const char *old, const char *hash)
{
	MYSQL_BIND in[4];
	unsigned long len[4];
	unsigned err;
	int n;

	if (c->st_rehash == NULL) {
		c->st_rehash = prepare(c->db, sql_rehash, 0, &err);
		if (c->st_rehash == NULL)
			return -1;
	}
	bind_in(&in[0], hash, &len[0]);
	bind_in(&in[1], name, &len[1]);
	bind_in(&in[2], domain, &len[2]);
	bind_in(&in[3], old, &len[3]);
	/* A transaction, so that a server outside strict mode, which would
	 * cut the hash to an unmigrated char(40) with only a warning, can be
	 * rolled back before the user is locked out. */
	if (mysql_query(c->db, "START TRANSACTION") != 0)
		return -1;
	if (mysql_stmt_bind_param(c->st_rehash, in) != 0 ||
	    mysql_stmt_execute(c->st_rehash) != 0) {
		err = mysql_stmt_errno(c->st_rehash);
		mysql_query(c->db, "ROLLBACK");
		if (err == ER_DATA_TOO_LONG) {
			log_msg(LOG_WARNING, "mysql: pw_passwd is too narrow for "
			    "the new hash; apply sql/migrations/001");
			return -2;
		}
		return -1;
	}
	n = (int)mysql_stmt_affected_rows(c->st_rehash);
	if (mysql_warning_count(c->db) > 0) {
		mysql_query(c->db, "ROLLBACK");
		log_msg(LOG_WARNING, "mysql: the new hash would not be stored "
		    "whole (pw_passwd too narrow?); not upgraded");
		return -2;
	}
	if (mysql_query(c->db, "COMMIT") != 0)
		return -1;
	return n == 1 ? 1 : 0;
}

int
pool_rehash(struct pool_conn *c, const char *name, const char *domain,
    const char *old, const char *hash)
{
	struct pool *p = c->pool;
	int attempt, r;

	for (attempt = 0; attempt < 2; attempt++) {
		if (conn_ready(p, c) < 0)
			return -1;
		r = rehash_exec(c, name, domain, old, hash);
		if (r >= 0)
			return r;
		if (r == -2)
			return -1;	/* the column, not the connection */
		conn_close(c);
	}
	__atomic_add_fetch(&p->stats.errors, 1, __ATOMIC_RELAXED);
	return -1;
}

int
pool_with_db(struct pool_conn *c, int (*fn)(struct st_mysql *db, void *arg),
    void *arg)
{
	struct pool *p = c->pool;
	int attempt, r = -1;

	for (attempt = 0; attempt < 2; attempt++) {
		if (conn_ready(p, c) < 0)
			return -1;
		r = fn(c->db, arg);
		if (r != -1)
			break;
		conn_close(c);
	}
	if (r < 0)
		__atomic_add_fetch(&p->stats.errors, 1, __ATOMIC_RELAXED);
	return r;
}

void
pool_get_stats(struct pool *p, struct pool_stats *out)
{
	out->connects = __atomic_load_n(&p->stats.connects, __ATOMIC_RELAXED);
	out->reconnects = __atomic_load_n(&p->stats.reconnects,
	    __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&p->stats.errors, __ATOMIC_RELAXED);
}
