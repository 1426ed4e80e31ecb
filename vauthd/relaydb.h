/* relaydb.h: vauthd's statements on the relay table, run through the pool. */
#ifndef VAUTHD_RELAYDB_H
#define VAUTHD_RELAYDB_H

#include <stddef.h>
#include <stdint.h>

#include "name.h"
#include "tcprules.h"

struct pool_conn;

/* user@domain of the login that opened an address. */
#define RELAY_MAX_USER (NAME_MAX_USER + 1 + NAME_MAX_DOMAIN)

struct relay_entry {
	char ip[TCPRULES_MAX_ADDR + 1];	/* canonical (tcprules_addr_canon) */
	int64_t when;			/* seconds since the epoch */
	char user[RELAY_MAX_USER + 1];
};

/* Inserts or refreshes n entries in one transaction. An address too long
 * for an unmigrated ip_addr column is skipped and counted in *skipped.
 * Returns 0 or -1. */
int relaydb_put(struct pool_conn *c, const struct relay_entry *e, size_t n,
    size_t *skipped);

/* Drops the entries older than before. Returns the count or -1. */
long relaydb_expire(struct pool_conn *c, int64_t before);

/* Keeps at most max entries, dropping the oldest first, in one
 * transaction. Returns the count dropped, or -1. */
long relaydb_evict(struct pool_conn *c, long max);

/* Reads at most cap entries, ordered by address. Returns the count, or
 * -1. */
long relaydb_list(struct pool_conn *c, struct relay_entry *out, size_t cap);

#endif
