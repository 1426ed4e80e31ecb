/* relaydb.c: vauthd's statements on the relay table, run through the pool. */
#include <errno.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "relaydb.h"
#include "relaysql.h"

/* What the relay table looks like on this server. */
struct shape {
	int exists, has_user;
	unsigned long ip_width;
};

struct put_args {
	const struct relay_entry *e;
	size_t n, *skipped;
};

struct num_args {
	long long in;
	long out;
};

struct list_args {
	struct relay_entry *out;
	size_t cap;
	long n;
};

static MYSQL_STMT *
prepare(MYSQL *db, const char *sql)
{
	MYSQL_STMT *st = mysql_stmt_init(db);

	if (st == NULL)
		return NULL;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		log_msg(LOG_ERR, "relay: mysql: unable to prepare a statement: "
		    "%s", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return NULL;
	}
	return st;
}

static void
bind_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)(uintptr_t)s;
	*len = strlen(s);
	b->buffer_length = *len;
	b->length = len;
}

static void
bind_num(MYSQL_BIND *b, long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
}

/* Runs the prepared sql with one number parameter; returns the affected
 * rows, or -1. */
static long
exec_num(MYSQL *db, const char *sql, long long v)
{
	MYSQL_STMT *st = prepare(db, sql);
	MYSQL_BIND in[1];
	long n = -1;

	if (st == NULL)
		return -1;
	bind_num(&in[0], &v);
	if (mysql_stmt_bind_param(st, in) == 0 && mysql_stmt_execute(st) == 0)
		n = (long)mysql_stmt_affected_rows(st);
	else
		log_msg(LOG_ERR, "relay: mysql: %s", mysql_stmt_error(st));
	mysql_stmt_close(st);
	return n;
}

/* The table's columns, from information_schema: 0, or -1. */
static int
shape_of(MYSQL *db, struct shape *s)
{
	MYSQL_RES *res;
	MYSQL_ROW row;

	memset(s, 0, sizeof(*s));
	if (mysql_query(db, relaysql_columns) != 0)
		return -1;
	res = mysql_store_result(db);
	if (res == NULL)
		return -1;
	while ((row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL)
			continue;
		s->exists = 1;
		if (strcasecmp(row[0], "user") == 0)
			s->has_user = 1;
		if (strcasecmp(row[0], "ip_addr") == 0 && row[1] != NULL)
			s->ip_width = strtoul(row[1], NULL, 10);
	}
	mysql_free_result(res);
	if (!s->exists)
		log_msg(LOG_ERR, "relay: the database has no relay table "
		    "(sql/schema.sql)");
	return 0;
}

static int
put_exec(MYSQL *db, void *arg)
{
	struct put_args *a = arg;
	MYSQL_STMT *st;
	MYSQL_BIND in[3];
	unsigned long len[3];
	struct shape s;
	long long when;
	size_t i;

	*a->skipped = 0;
	if (shape_of(db, &s) < 0)
		return -1;
	if (!s.exists)
		return -2;
	st = prepare(db, s.has_user ? relaysql_put_user : relaysql_put);
	if (st == NULL)
		return -1;
	if (mysql_query(db, "START TRANSACTION") != 0)
		goto fail;
	for (i = 0; i < a->n; i++) {
		/* A server outside strict mode would cut an IPv6 address to
		 * vpopmail's char(18) with only a warning. */
		if (s.ip_width > 0 && strlen(a->e[i].ip) > s.ip_width) {
			(*a->skipped)++;
			continue;
		}
		bind_str(&in[0], a->e[i].ip, &len[0]);
		when = a->e[i].when;
		bind_num(&in[1], &when);
		bind_str(&in[2], a->e[i].user, &len[2]);
		if (mysql_stmt_bind_param(st, in) != 0 ||
		    mysql_stmt_execute(st) != 0) {
			if (mysql_stmt_errno(st) == ER_DATA_TOO_LONG) {
				(*a->skipped)++;
				continue;
			}
			log_msg(LOG_ERR, "relay: mysql: %s",
			    mysql_stmt_error(st));
			mysql_query(db, "ROLLBACK");
			goto fail;
		}
	}
	mysql_stmt_close(st);
	return mysql_query(db, "COMMIT") == 0 ? 0 : -1;
fail:
	mysql_stmt_close(st);
	return -1;
}

int
relaydb_put(struct pool_conn *c, const struct relay_entry *e, size_t n,
    size_t *skipped)
{
	struct put_args a = { e, n, skipped };

	return pool_with_db(c, put_exec, &a) < 0 ? -1 : 0;
}

static int
expire_exec(MYSQL *db, void *arg)
{
	struct num_args *a = arg;

	a->out = exec_num(db, relaysql_expire, a->in);
	return a->out < 0 ? -1 : 0;
}

long
relaydb_expire(struct pool_conn *c, int64_t before)
{
	struct num_args a = { before, 0 };

	return pool_with_db(c, expire_exec, &a) < 0 ? -1 : a.out;
}

/* The count and the delete in one transaction, so that entries another
 * host adds meanwhile are not the ones dropped. */
static int
evict_exec(MYSQL *db, void *arg)
{
	struct num_args *a = arg;
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long count = -1;

	a->out = 0;
	if (mysql_query(db, "START TRANSACTION") != 0 ||
	    mysql_query(db, relaysql_count) != 0)
		return -1;
	res = mysql_store_result(db);
	if (res != NULL) {
		row = mysql_fetch_row(res);
		if (row != NULL && row[0] != NULL)
			count = strtoll(row[0], NULL, 10);
		mysql_free_result(res);
	}
	if (count < 0) {
		mysql_query(db, "ROLLBACK");
		return -1;
	}
	if (count > a->in) {
		a->out = exec_num(db, relaysql_evict, count - a->in);
		if (a->out < 0) {
			mysql_query(db, "ROLLBACK");
			return -1;
		}
	}
	return mysql_query(db, "COMMIT") == 0 ? 0 : -1;
}

long
relaydb_evict(struct pool_conn *c, long max)
{
	struct num_args a = { max, 0 };

	return pool_with_db(c, evict_exec, &a) < 0 ? -1 : a.out;
}

static int
list_exec(MYSQL *db, void *arg)
{
	struct list_args *a = arg;
	struct relay_entry e;
	MYSQL_STMT *st;
	MYSQL_BIND in[1], out[3];
	unsigned long len[3];
	my_bool isnull[3], trunc[3];
	long long when, limit = (long long)a->cap;
	struct shape s;
	int rc, ok = 0;

	a->n = 0;
	if (shape_of(db, &s) < 0)
		return -1;
	if (!s.exists)
		return -2;
	st = prepare(db, s.has_user ? relaysql_list_user_limit :
	    relaysql_list_limit);
	if (st == NULL)
		return -1;
	bind_num(&in[0], &limit);
	memset(out, 0, sizeof(out));
	memset(isnull, 0, sizeof(isnull));
	memset(trunc, 0, sizeof(trunc));
	out[0].buffer_type = MYSQL_TYPE_STRING;
	out[0].buffer = e.ip;
	out[0].buffer_length = sizeof(e.ip) - 1;
	out[1].buffer_type = MYSQL_TYPE_LONGLONG;
	out[1].buffer = &when;
	out[2].buffer_type = MYSQL_TYPE_STRING;
	out[2].buffer = e.user;
	out[2].buffer_length = sizeof(e.user) - 1;
	for (rc = 0; rc < 3; rc++) {
		out[rc].length = &len[rc];
		out[rc].is_null = &isnull[rc];
		out[rc].error = &trunc[rc];
	}
	if (mysql_stmt_bind_param(st, in) != 0 ||
	    mysql_stmt_bind_result(st, out) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		log_msg(LOG_ERR, "relay: mysql: %s", mysql_stmt_error(st));
		mysql_stmt_close(st);
		return -1;
	}
	for (;;) {
		rc = mysql_stmt_fetch(st);
		if (rc == MYSQL_NO_DATA) {
			ok = 1;
			break;
		}
		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
			break;
		/* A value longer than any address is no address: it is
		 * dropped here, never written into the cdb. */
		if (isnull[0] || trunc[0])
			continue;
		e.ip[len[0]] = '\0';
		e.user[isnull[2] || trunc[2] ? 0 : len[2]] = '\0';
		e.when = isnull[1] ? 0 : when;
		if ((size_t)a->n < a->cap)
			a->out[a->n++] = e;
	}
	mysql_stmt_free_result(st);
	mysql_stmt_close(st);
	return ok ? 0 : -1;
}

long
relaydb_list(struct pool_conn *c, struct relay_entry *out, size_t cap)
{
	struct list_args a = { out, cap, 0 };

	return pool_with_db(c, list_exec, &a) < 0 ? -1 : a.n;
}
