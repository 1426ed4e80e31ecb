/* lastauth.c: records each successful login off the reply path, in batches. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lastauth.h"
#include "log.h"

#define BATCH_MAX 256

/* A recently recorded login: FNV-1a of user, domain and address (a
 * collision only delays one record by LASTAUTH_INTERVAL), and when. */
struct recent {
	uint64_t key;
	int64_t when;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	struct pool *pool;
	struct lastauth_entry q[LASTAUTH_QUEUE_MAX];
	size_t head, count;
	int stop, running;
	unsigned long dropped, skipped;
	struct recent recent[LASTAUTH_RECENT];
} la = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h ^ 0xff;	/* a field separator no byte can fake */
}

void
lastauth_note(const char *user, const char *domain, const char *ip,
    size_t iplen)
{
	struct lastauth_entry *e;
	struct recent *r;
	int64_t now = (int64_t)time(NULL);
	uint64_t key;

	key = fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ULL, user, strlen(user)),
	    domain, strlen(domain)), ip, iplen);
	r = &la.recent[key % LASTAUTH_RECENT];
	pthread_mutex_lock(&la.lock);
	if (r->key == key && now - r->when < LASTAUTH_INTERVAL &&
	    now >= r->when) {
		la.skipped++;
		pthread_mutex_unlock(&la.lock);
		return;
	}
	if (!la.running || la.count == LASTAUTH_QUEUE_MAX) {
		if (la.running)
			la.dropped++;
		pthread_mutex_unlock(&la.lock);
		return;
	}
	e = &la.q[(la.head + la.count) % LASTAUTH_QUEUE_MAX];
	snprintf(e->user, sizeof(e->user), "%s", user);
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	if (iplen > PROTO_MAX_IP)
		iplen = 0;
	memcpy(e->ip, ip, iplen);
	e->ip[iplen] = '\0';
	e->when = now;
	r->key = key;
	r->when = now;
	la.count++;
	if (la.count >= BATCH_MAX)
		pthread_cond_signal(&la.wake);
	pthread_mutex_unlock(&la.lock);
}

static void *
writer(void *arg)
{
	static struct lastauth_entry batch[BATCH_MAX];
	struct pool_conn *c;
	struct timespec until;
	size_t n, i;
	int stop;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&la.lock);
		if (la.count < BATCH_MAX && !la.stop) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += LASTAUTH_FLUSH_MS * 1000000L;
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&la.wake, &la.lock, &until);
		}
		n = la.count < BATCH_MAX ? la.count : BATCH_MAX;
		for (i = 0; i < n; i++)
			batch[i] = la.q[(la.head + i) % LASTAUTH_QUEUE_MAX];
		la.head = (la.head + n) % LASTAUTH_QUEUE_MAX;
		la.count -= n;
		stop = la.stop && la.count == 0;
		pthread_mutex_unlock(&la.lock);
		if (n > 0) {
			c = pool_acquire(la.pool, 5000);
			if (c == NULL || pool_lastauth_write(c, batch, n) < 0)
				log_msg(LOG_WARNING, "lastauth: %zu records "
				    "not written", n);
			if (c != NULL)
				pool_release(la.pool, c);
		}
		if (stop)
			return NULL;
	}
}

int
lastauth_start(struct pool *pool)
{
	la.pool = pool;
	la.stop = 0;
	if (pthread_create(&la.thread, NULL, writer, NULL) != 0)
		return -1;
	la.running = 1;
	return 0;
}

void
lastauth_stop(void)
{
	if (!la.running)
		return;
	pthread_mutex_lock(&la.lock);
	la.stop = 1;
	pthread_cond_signal(&la.wake);
	pthread_mutex_unlock(&la.lock);
	pthread_join(la.thread, NULL);
	la.running = 0;
}

void
lastauth_counts(unsigned long *dropped, unsigned long *skipped)
{
	pthread_mutex_lock(&la.lock);
	*dropped = la.dropped;
	*skipped = la.skipped;
	pthread_mutex_unlock(&la.lock);
}
