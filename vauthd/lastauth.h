/* lastauth.h: records each successful login off the reply path, in batches. */
#ifndef VAUTHD_LASTAUTH_H
#define VAUTHD_LASTAUTH_H

#include "pool.h"

/* Entries waiting to be written at most; past that new ones are dropped
 * (and counted), since a login must never wait for its own record. */
#define LASTAUTH_QUEUE_MAX 4096
/* A batch is written at least this often while entries wait. */
#define LASTAUTH_FLUSH_MS  500

/* Starts the writer thread on its own pool connection. Returns 0 or -1. */
int lastauth_start(struct pool *pool);

/* Queues one record; never blocks on the database. */
void lastauth_note(const char *user, const char *domain, const char *ip,
    size_t iplen);

/* Writes what is queued and stops the thread. */
void lastauth_stop(void);

/* Records dropped because the queue was full. */
unsigned long lastauth_dropped(void);

#endif
