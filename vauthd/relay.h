/* relay.h: SMTP-after-POP: open relay addresses, their expiry, tcp.smtp.cdb. */
#ifndef VAUTHD_RELAY_H
#define VAUTHD_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct conf;
struct pool;

/* Entries waiting for the relay thread at most; past that new ones are
 * dropped (and logged), since a login must never wait for its relay. */
#define RELAY_QUEUE_MAX 4096
/* Entries written in one transaction. */
#define RELAY_BATCH_MAX 512
/* Most relay_max may be: the thread holds that many entries in memory. */
#define RELAY_MAX_ENTRIES 100000

/* Starts the relay thread when conf names a tcp_smtp_cdb (else does
 * nothing). It builds the cdb at once, then after logins (at most once
 * per relay_rebuild_interval) and every relay_poll seconds, when it also
 * expires old entries and sees what other hosts added. Returns 0 or -1. */
int relay_start(struct pool *pool, const struct conf *conf);

/* After a successful login: opens relay for ip when the service is POP3
 * or IMAP and flags lack VPW_NO_RELAY. Never blocks on the database. */
void relay_note(const char *ip, size_t iplen, const char *user,
    const char *domain, uint32_t flags, enum proto_service svc);

/* Writes what is queued, rebuilds once more, stops the thread. */
void relay_stop(void);

#endif
