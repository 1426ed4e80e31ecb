/* relay.c: SMTP-after-POP: open relay addresses, their expiry, tcp.smtp.cdb.
 *
 * A login queues its address; one thread writes the queue into the relay
 * table and rebuilds tcp.smtp.cdb from the table and the admin's tcp.smtp.
 * The rebuild is debounced: the first login after a quiet spell rebuilds
 * at once (its user's mail client is about to connect to SMTP), the
 * logins of a burst wait for the end of relay_rebuild_interval and share
 * one rebuild. A timer (relay_poll) expires old entries, evicts past
 * relay_max, and picks up entries other hosts sharing the database added.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atomic.h"
#include "conf.h"
#include "errbuf.h"
#include "io.h"
#include "log.h"
#include "pool.h"
#include "relay.h"
#include "relaydb.h"
#include "tcprules.h"
#include "vpopmail.h"

/* Longest a writer waits for the cdb's lock (vadmin may hold it). */
#define RELAY_LOCK_MS 5000
/* Room for an escaped address in a log line. */
#define RELAY_LOG_FIELD 200

/* What the last written cdb was built from; equal means nothing to do. */
struct source {
	unsigned long long hash;	/* of the addresses, in order */
	struct stat rules, cdb;
	int have_rules;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct pool *pool;
	const struct conf *conf;
	struct relay_entry q[RELAY_QUEUE_MAX];
	size_t head, count;
	unsigned long dropped;
	int stop, running;
	/* The thread's own. */
	struct relay_entry *rows;
	const char **ips;
	struct source built;
	int built_ok;
	char last_err[TCPRULES_ERR_LEN];
} rl = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
relay_note(const char *ip, size_t iplen, const char *user, const char *domain,
    uint32_t flags, enum proto_service svc)
{
	char canon[TCPRULES_MAX_ADDR + 1], shown[RELAY_LOG_FIELD];
	struct relay_entry *e;

	/* SMTP AUTH relays by itself; a relay for it would outlive the
	 * session for anyone at that address. */
	if (svc != SVC_POP3 && svc != SVC_IMAP)
		return;
	if ((flags & VPW_NO_RELAY) != 0 || iplen == 0)
		return;
	if (tcprules_addr_canon(ip, iplen, canon) < 0) {
		log_escape(ip, iplen, shown, sizeof(shown));
		log_msg(LOG_WARNING, "relay: not an IP address, not opened: %s",
		    shown);
		return;
	}
	pthread_mutex_lock(&rl.lock);
	if (!rl.running || rl.count == RELAY_QUEUE_MAX) {
		if (rl.running && rl.dropped++ % 1000 == 0)
			log_msg(LOG_WARNING, "relay: queue full; %s not opened "
			    "(%lu dropped so far)", canon, rl.dropped);
		pthread_mutex_unlock(&rl.lock);
		return;
	}
	e = &rl.q[(rl.head + rl.count) % RELAY_QUEUE_MAX];
	memcpy(e->ip, canon, sizeof(e->ip));
	snprintf(e->user, sizeof(e->user), "%s@%s", user, domain);
	e->when = (int64_t)time(NULL);
	rl.count++;
	pthread_cond_signal(&rl.wake);
	pthread_mutex_unlock(&rl.lock);
}

/* FNV-1a: a cheap fingerprint of the address list. */
static unsigned long long
hash_ips(const char *const *ips, size_t n)
{
	unsigned long long h = 14695981039346656037ULL;
	const char *s;
	size_t i;

	for (i = 0; i < n; i++)
		for (s = ips[i];; s++) {
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
			if (*s == '\0')
				break;
		}
	return h;
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Expires, evicts, lists; writes the cdb when its sources changed. */
static void
rebuild(void)
{
	const struct conf *cf = rl.conf;
	char err[TCPRULES_ERR_LEN];
	struct pool_conn *c;
	struct source now;
	struct stat st;
	size_t i, nip;
	long n, k;
	int lockfd;

	lockfd = tcprules_lock(cf->tcp_smtp_cdb, RELAY_LOCK_MS);
	if (lockfd < 0) {
		errf(err, sizeof(err), "unable to lock %s.lock: %s",
		    cf->tcp_smtp_cdb, strerror(errno));
		goto fail;
	}
	c = pool_acquire(rl.pool, cf->queue_timeout_ms);
	if (c == NULL) {
		errf(err, sizeof(err), "no database connection came free");
		goto fail;
	}
	k = relaydb_expire(c, (int64_t)time(NULL) - cf->relay_expiry);
	if (k > 0)
		log_msg(LOG_INFO, "relay: %ld entries older than %d s expired",
		    k, cf->relay_expiry);
	k = relaydb_evict(c, cf->relay_max);
	if (k > 0)
		log_msg(LOG_WARNING, "relay: table over relay_max = %d: the "
		    "%ld oldest entries evicted", cf->relay_max, k);
	n = relaydb_list(c, rl.rows, (size_t)cf->relay_max);
	pool_release(rl.pool, c);
	if (n < 0) {
		errf(err, sizeof(err), "unable to read the relay table");
		goto fail;
	}
	for (i = 0; i < (size_t)n; i++)
		rl.ips[i] = rl.rows[i].ip;
	nip = tcprules_keep_canon(rl.ips, (size_t)n);
	memset(&now, 0, sizeof(now));
	now.hash = hash_ips(rl.ips, nip);
	now.have_rules = cf->tcp_smtp[0] != '\0' &&
	    stat(cf->tcp_smtp, &now.rules) == 0;
	if (rl.built_ok && now.hash == rl.built.hash &&
	    now.have_rules == rl.built.have_rules &&
	    (!now.have_rules || same_file(&now.rules, &rl.built.rules)) &&
	    stat(cf->tcp_smtp_cdb, &st) == 0 && same_file(&st, &rl.built.cdb)) {
		atomic_unlock(lockfd);
		return;
	}
	if (tcprules_rebuild(cf->tcp_smtp, cf->tcp_smtp_cdb, rl.ips, nip, err,
	    sizeof(err)) < 0)
		goto fail;
	if (stat(cf->tcp_smtp_cdb, &now.cdb) == 0) {
		rl.built = now;
		rl.built_ok = 1;
	}
	rl.last_err[0] = '\0';
	log_msg(LOG_INFO, "relay: wrote %s: %zu open relay addresses%s",
	    cf->tcp_smtp_cdb, nip, nip < (size_t)n ? " (invalid addresses in "
	    "the relay table skipped)" : "");
	atomic_unlock(lockfd);
	return;
fail:
	/* The same failure (a broken tcp.smtp, a directory vauthd may not
	 * write) is reported once, not every poll. */
	if (strcmp(err, rl.last_err) != 0)
		log_msg(LOG_ERR, "relay: %s; keeping the previous %s", err,
		    cf->tcp_smtp_cdb);
	snprintf(rl.last_err, sizeof(rl.last_err), "%s", err);
	rl.built_ok = 0;
	atomic_unlock(lockfd);
}

static void
write_batch(const struct relay_entry *batch, size_t n)
{
	struct pool_conn *c;
	size_t skipped = 0;

	c = pool_acquire(rl.pool, rl.conf->queue_timeout_ms);
	if (c == NULL || relaydb_put(c, batch, n, &skipped) < 0)
		log_msg(LOG_WARNING, "relay: %zu addresses not recorded", n);
	else if (skipped > 0)
		log_msg(LOG_WARNING, "relay: %zu addresses too long for the "
		    "relay table's ip_addr (apply sql/migrations/001)", skipped);
	if (c != NULL)
		pool_release(rl.pool, c);
}

static void
deadline_ts(long long ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

static void *
relay_thread(void *arg)
{
	static struct relay_entry batch[RELAY_BATCH_MAX];
	const long long interval = rl.conf->relay_rebuild_interval;
	const long long poll = (long long)rl.conf->relay_poll * 1000;
	long long now, last_build, next_tick, deadline;
	struct timespec ts;
	size_t n, i;
	int want = 1, stopping;

	(void)arg;
	now = io_now_ms();
	last_build = now - interval;
	next_tick = now + poll;
	for (;;) {
		pthread_mutex_lock(&rl.lock);
		for (;;) {
			now = io_now_ms();
			if (rl.stop || rl.count >= RELAY_BATCH_MAX)
				break;
			deadline = next_tick;
			if ((want || rl.count > 0) &&
			    last_build + interval < deadline)
				deadline = last_build + interval;
			if (now >= deadline)
				break;
			deadline_ts(deadline, &ts);
			pthread_cond_timedwait(&rl.wake, &rl.lock, &ts);
		}
		n = rl.count < RELAY_BATCH_MAX ? rl.count : RELAY_BATCH_MAX;
		for (i = 0; i < n; i++)
			batch[i] = rl.q[(rl.head + i) % RELAY_QUEUE_MAX];
		rl.head = (rl.head + n) % RELAY_QUEUE_MAX;
		rl.count -= n;
		stopping = rl.stop && rl.count == 0;
		pthread_mutex_unlock(&rl.lock);
		if (n > 0) {
			write_batch(batch, n);
			want = 1;
		}
		now = io_now_ms();
		if (now >= next_tick) {
			want = 1;
			next_tick = now + poll;
		}
		/* A full batch written mid-interval: more may be queued. */
		if (want && (now >= last_build + interval || stopping) &&
		    (n < RELAY_BATCH_MAX || stopping)) {
			rebuild();
			last_build = io_now_ms();
			want = 0;
		}
		if (stopping)
			return NULL;
	}
}

int
relay_start(struct pool *pool, const struct conf *conf)
{
	pthread_condattr_t ca;
	size_t max = (size_t)conf->relay_max;

	if (conf->tcp_smtp_cdb[0] == '\0')
		return 0;
	rl.pool = pool;
	rl.conf = conf;
	rl.rows = calloc(max, sizeof(*rl.rows));
	rl.ips = calloc(max, sizeof(*rl.ips));
	if (rl.rows == NULL || rl.ips == NULL)
		return -1;
	/* Deadlines on the monotonic clock: a clock step must not stall or
	 * rush the rebuilds. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&rl.wake, &ca);
	pthread_condattr_destroy(&ca);
	rl.stop = 0;
	if (pthread_create(&rl.thread, NULL, relay_thread, NULL) != 0)
		return -1;
	pthread_mutex_lock(&rl.lock);
	rl.running = 1;
	pthread_mutex_unlock(&rl.lock);
	return 0;
}

void
relay_stop(void)
{
	pthread_mutex_lock(&rl.lock);
	if (!rl.running) {
		pthread_mutex_unlock(&rl.lock);
		return;
	}
	rl.stop = 1;
	pthread_cond_signal(&rl.wake);
	pthread_mutex_unlock(&rl.lock);
	pthread_join(rl.thread, NULL);
	rl.running = 0;
	free(rl.rows);
	free(rl.ips);
	rl.rows = NULL;
	rl.ips = NULL;
}
