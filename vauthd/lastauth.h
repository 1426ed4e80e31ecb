/* lastauth.h: records each successful login off the reply path, in batches. */
#ifndef VAUTHD_LASTAUTH_H
#define VAUTHD_LASTAUTH_H

#include "pool.h"

/* Entries waiting to be written at most; past that new ones are dropped
 * (and counted), since a login must never wait for its own record. */
#define LASTAUTH_QUEUE_MAX 4096
/* A batch is written at least this often while entries wait. */
#define LASTAUTH_FLUSH_MS  500
/* A login of the same user from the same address within this many
 * seconds of the last one recorded is not written again: a client polling
 * every minute would otherwise cost the database a write a minute for a
 * timestamp nobody reads to the second. */
#define LASTAUTH_INTERVAL  60
/* Logins remembered for that, at most (16 bytes each). */
#define LASTAUTH_RECENT    16384

/* Starts the writer thread on its own pool connection. Returns 0 or -1. */
int lastauth_start(struct pool *pool);

/* Queues one record; never blocks on the database. */
void lastauth_note(const char *user, const char *domain, const char *ip,
    size_t iplen);

/* Writes what is queued and stops the thread. */
void lastauth_stop(void);

/* Records dropped because the queue was full, and logins not written
 * because LASTAUTH_INTERVAL had not passed. */
void lastauth_counts(unsigned long *dropped, unsigned long *skipped);

#endif
