/* db.c: vadmin's MySQL access: one connection, prepared statements, transactions. */
#include <errno.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "errbuf.h"

struct db {
	MYSQL *my;
	unsigned err_no;
	char err[DB_ERR_LEN];
};

static void
note_error(struct db *db, unsigned no, const char *msg)
{
	db->err_no = no;
	errf(db->err, sizeof(db->err), "%s", msg);
}

struct db *
db_open(const struct conf *cf, char *err, size_t errlen)
{
	unsigned int timeout = (unsigned)cf->mysql_timeout;
	struct db *db;
	my_bool off = 0;

	db = calloc(1, sizeof(*db));
	if (db == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	db->my = mysql_init(NULL);
	if (db->my == NULL) {
		free(db);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	mysql_options(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(db->my, MYSQL_OPT_RECONNECT, &off);
	if (mysql_real_connect(db->my,
	    cf->mysql_socket[0] != '\0' ? NULL : cf->mysql_host,
	    cf->mysql_user, cf->mysql_password, cf->mysql_database,
	    cf->mysql_port, cf->mysql_socket[0] != '\0' ? cf->mysql_socket :
	    NULL, 0) == NULL) {
		errf(err, errlen, "unable to connect to MySQL: %s",
		    mysql_error(db->my));
		mysql_close(db->my);
		free(db);
		return NULL;
	}
	/* Strict mode: a value too long for its column is an error, never
	 * a silently truncated password hash or path. */
	if (mysql_query(db->my, "SET SESSION sql_mode = CONCAT_WS(',', "
	    "NULLIF(@@sql_mode, ''), 'STRICT_ALL_TABLES')") != 0) {
		errf(err, errlen, "MySQL: %s", mysql_error(db->my));
		mysql_close(db->my);
		free(db);
		return NULL;
	}
	return db;
}

void
db_close(struct db **dbp)
{
	if (*dbp == NULL)
		return;
	mysql_close((*dbp)->my);
	free(*dbp);
	*dbp = NULL;
}

/* Prepares and executes; returns the statement or NULL (error noted). */
static MYSQL_STMT *
run(struct db *db, const char *sql, const char *const *params, int n)
{
	MYSQL_BIND in[DB_MAX_PARAMS];
	unsigned long len[DB_MAX_PARAMS];
	my_bool isnull = 1;
	MYSQL_STMT *st;
	int i;

	if (n > DB_MAX_PARAMS) {
		note_error(db, 0, "too many parameters");
		return NULL;
	}
	st = mysql_stmt_init(db->my);
	if (st == NULL) {
		note_error(db, mysql_errno(db->my), mysql_error(db->my));
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0)
		goto fail;
	memset(in, 0, sizeof(in));
	for (i = 0; i < n; i++) {
		in[i].buffer_type = MYSQL_TYPE_STRING;
		if (params[i] == NULL) {
			in[i].is_null = &isnull;
			continue;
		}
		in[i].buffer = (void *)(uintptr_t)params[i];
		len[i] = strlen(params[i]);
		in[i].buffer_length = len[i];
		in[i].length = &len[i];
	}
	if (mysql_stmt_param_count(st) != (unsigned long)n) {
		note_error(db, 0, "parameter count mismatch");
		mysql_stmt_close(st);
		return NULL;
	}
	if ((n > 0 && mysql_stmt_bind_param(st, in) != 0) ||
	    mysql_stmt_execute(st) != 0)
		goto fail;
	return st;
fail:
	note_error(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	mysql_stmt_close(st);
	return NULL;
}

int
db_exec(struct db *db, const char *sql, const char *const *params, int n,
    unsigned long long *affected)
{
	MYSQL_STMT *st = run(db, sql, params, n);

	if (st == NULL)
		return -1;
	if (affected != NULL)
		*affected = (unsigned long long)mysql_stmt_affected_rows(st);
	mysql_stmt_close(st);
	return 0;
}

int
db_query(struct db *db, const char *sql, const char *const *params, int n,
    int (*row)(void *, int, char **), void *arg)
{
	static char bufs[DB_MAX_COLS][DB_MAX_FIELD + 1];
	MYSQL_BIND out[DB_MAX_COLS];
	unsigned long len[DB_MAX_COLS];
	my_bool isnull[DB_MAX_COLS], trunc[DB_MAX_COLS];
	char *vals[DB_MAX_COLS];
	MYSQL_STMT *st;
	int i, ncols, rc, count = 0;

	st = run(db, sql, params, n);
	if (st == NULL)
		return -1;
	ncols = (int)mysql_stmt_field_count(st);
	if (ncols > DB_MAX_COLS) {
		note_error(db, 0, "too many columns");
		mysql_stmt_close(st);
		return -1;
	}
	memset(out, 0, sizeof(out));
	for (i = 0; i < ncols; i++) {
		out[i].buffer_type = MYSQL_TYPE_STRING;
		out[i].buffer = bufs[i];
		out[i].buffer_length = DB_MAX_FIELD;
		out[i].length = &len[i];
		out[i].is_null = &isnull[i];
		out[i].error = &trunc[i];
		vals[i] = bufs[i];
	}
	if (ncols > 0 && mysql_stmt_bind_result(st, out) != 0) {
		note_error(db, mysql_stmt_errno(st), mysql_stmt_error(st));
		mysql_stmt_close(st);
		return -1;
	}
	for (;;) {
		rc = mysql_stmt_fetch(st);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc == MYSQL_DATA_TRUNCATED) {
			note_error(db, 0, "a value is longer than vadmin reads");
			count = -1;
			break;
		}
		if (rc != 0) {
			note_error(db, mysql_stmt_errno(st), mysql_stmt_error(st));
			count = -1;
			break;
		}
		for (i = 0; i < ncols; i++)
			bufs[i][isnull[i] ? 0 : len[i]] = '\0';
		count++;
		if (row != NULL && row(arg, ncols, vals) < 0) {
			note_error(db, 0, "stopped");
			count = -1;
			break;
		}
	}
	mysql_stmt_free_result(st);
	mysql_stmt_close(st);
	for (i = 0; i < ncols; i++)
		explicit_bzero(bufs[i], sizeof(bufs[i]));
	return count;
}

static int
simple(struct db *db, const char *sql)
{
	if (mysql_query(db->my, sql) != 0) {
		note_error(db, mysql_errno(db->my), mysql_error(db->my));
		return -1;
	}
	return 0;
}

int
db_begin(struct db *db)
{
	return simple(db, "START TRANSACTION");
}

int
db_commit(struct db *db)
{
	return simple(db, "COMMIT");
}

void
db_rollback(struct db *db)
{
	unsigned no = db->err_no;
	char keep[DB_ERR_LEN];

	/* Keep the error that made us roll back, not ROLLBACK's own. */
	memcpy(keep, db->err, sizeof(keep));
	(void)mysql_query(db->my, "ROLLBACK");
	db->err_no = no;
	memcpy(db->err, keep, sizeof(keep));
}

const char *
db_error(const struct db *db)
{
	return db->err;
}

int
db_retryable(const struct db *db)
{
	return db->err_no == ER_LOCK_DEADLOCK || db->err_no == ER_LOCK_WAIT_TIMEOUT;
}

int
db_duplicate(const struct db *db)
{
	return db->err_no == ER_DUP_ENTRY;
}
