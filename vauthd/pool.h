/* pool.h: pooled MySQL connections and the prepared statements vauthd runs. */
#ifndef VAUTHD_POOL_H
#define VAUTHD_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"
#include "passwd.h"
#include "proto.h"

struct conf;
struct pool;
struct pool_conn;

/* One row of vpopmail's vpopmail table, as vauthd needs it. */
struct pool_user {
	char name[NAME_MAX_USER + 1];
	char domain[NAME_MAX_DOMAIN + 1];
	char passwd[PASSWD_MAX_HASH + 1];
	char clear[PASSWD_MAX_CLEAR + 1];
	char dir[PROTO_MAX_HOME + 1];
	char shell[PROTO_MAX_QUOTA + 1];
	uint32_t pw_uid, pw_gid;	/* vpopmail's flag words, not ids */
};

/* TEMP-safe: zero is an error. */
enum pool_status {
	POOL_ERROR = 0,
	POOL_NOTFOUND,
	POOL_FOUND,
};

struct lastauth_entry {
	char user[NAME_MAX_USER + 1];
	char domain[NAME_MAX_DOMAIN + 1];
	char ip[PROTO_MAX_IP + 1];
	int64_t when;
};

/* Counters for stats; read without locks, so approximate. */
struct pool_stats {
	unsigned long connects, reconnects, errors;
};

/* Call once from main before any thread. Returns 0 or -1. */
int pool_library_init(void);

/* size connections, opened lazily. NULL on allocation failure. */
struct pool *pool_new(const struct conf *conf, int size);
void pool_free(struct pool **pool);

/* Waits at most timeout_ms for a free connection; NULL (errno ETIMEDOUT)
 * when none came free. A caller that got one must release it. */
struct pool_conn *pool_acquire(struct pool *pool, int timeout_ms);
void pool_release(struct pool *pool, struct pool_conn *conn);

/* Looks up user@domain, where domain may be an alias domain (aliasdomains
 * table, used when the database has it). Reconnects, re-prepares and retries
 * once on a failed connection. */
enum pool_status pool_user_lookup(struct pool_conn *conn, const char *user,
    const char *domain, struct pool_user *out);

/* Upserts n lastauth rows in one transaction. Returns 0, or -1 on error;
 * a database without the lastauth table counts as success. */
int pool_lastauth_write(struct pool_conn *conn,
    const struct lastauth_entry *e, size_t n);

/* Sets the row's pw_passwd to hash, but only while it still equals old
 * (the hash a login was just verified against). Returns 1 when the row was
 * changed, 0 when it had changed meanwhile, -1 on a database error. */
int pool_rehash(struct pool_conn *conn, const char *name, const char *domain,
    const char *old, const char *hash);

/* For a module that owns its statements (relaydb.c): runs fn(db, arg) on
 * the connection, connected first. fn returns >= 0 on success, -2 for a
 * failure a new connection would not cure, -1 for one it may: then the
 * connection is dropped and fn runs once more on a fresh one. Returns fn's
 * last result. */
struct st_mysql;
int pool_with_db(struct pool_conn *conn,
    int (*fn)(struct st_mysql *db, void *arg), void *arg);

void pool_get_stats(struct pool *pool, struct pool_stats *out);

#endif
