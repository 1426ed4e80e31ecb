/* db.h: vadmin's MySQL access: one connection, prepared statements, transactions. */
#ifndef VADMIN_DB_H
#define VADMIN_DB_H

#include <stddef.h>

#include "conf.h"

/* Longest column value vadmin reads back (valias_line is TEXT). */
#define DB_MAX_FIELD 4096
#define DB_MAX_COLS  16
#define DB_MAX_PARAMS 16
#define DB_ERR_LEN   256

struct db;

/* Connects with the settings in conf. Returns the handle, or NULL with a
 * message in err. */
struct db *db_open(const struct conf *conf, char *err, size_t errlen);
void db_close(struct db **dbp);

/* Runs sql, a prepared statement with n '?' parameters, each a string or
 * NULL for SQL NULL. *affected (may be NULL) gets the affected row count.
 * Returns 0, or -1 with the server's message in the handle (db_error). */
int db_exec(struct db *db, const char *sql, const char *const *params,
    int n, unsigned long long *affected);

/* Like db_exec, then calls row(arg, ncols, values) for each result row,
 * values NUL-terminated strings ("" for NULL). A callback returning -1
 * stops the query with that result. Returns the row count, or -1. */
int db_query(struct db *db, const char *sql, const char *const *params,
    int n, int (*row)(void *arg, int ncols, char **values), void *arg);

/* START TRANSACTION / COMMIT / ROLLBACK. Return 0 or -1. */
int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* The last error's text, and 1 when it was a deadlock or lock wait timeout
 * (the transaction may be retried from the start). */
const char *db_error(const struct db *db);
int db_retryable(const struct db *db);
/* 1 when the last error was a duplicate key. */
int db_duplicate(const struct db *db);

#endif
