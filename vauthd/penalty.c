/* penalty.c: brute-force defence: failures per address and per account. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "conf.h"
#include "log.h"
#include "penalty.h"

/* Room for an escaped key in a log line. */
#define LOG_KEY (4 * PENALTY_MAX_KEY + 1)

/* Failures are counted in two fixed buckets, the current window and the
 * one before, and the older bucket is weighted by how much of it still
 * overlaps the sliding window: a sliding count in constant memory. */
struct entry {
	char key[PENALTY_MAX_KEY + 1];
	long long win_start;		/* start of the current bucket */
	unsigned cur, prev;		/* failures in this and the last bucket */
	long long locked_until;		/* cool-down ends; 0 when none */
	int logged;			/* LOGGED_* of this episode */
	struct entry *hnext;		/* hash chain, or the free list */
	struct entry *older, *newer;	/* by last failure */
};

#define LOGGED_DELAY 1
#define LOGGED_LOCK  2

static struct {
	pthread_mutex_t lock;
	struct penalty_conf pc;
	struct entry *pool;		/* max_entries, touched as used */
	int fresh;			/* pool[fresh..] never used yet */
	struct entry *free_list;
	struct entry **buckets;
	size_t nbuckets;		/* a power of two */
	struct entry *oldest, *newest;
	int used;
	uint64_t seed;
} t = { .lock = PTHREAD_MUTEX_INITIALIZER };

void
penalty_conf_from(const struct conf *cf, struct penalty_conf *pc)
{
	pc->enabled = cf->penalty;
	pc->window_ms = cf->penalty_window * 1000;
	pc->free = cf->penalty_free;
	pc->delay_ms = cf->penalty_delay_ms;
	pc->delay_max_ms = cf->penalty_delay_max_ms;
	pc->threshold = cf->penalty_threshold;
	pc->cooldown_ms = cf->penalty_cooldown * 1000;
	pc->max_entries = cf->penalty_entries;
}

int
penalty_init(const struct penalty_conf *pc)
{
	penalty_end();
	t.pc = *pc;
	if (pc->max_entries <= 0 || pc->window_ms <= 0)
		t.pc.enabled = 0;
	if (!t.pc.enabled)
		return 0;
	t.nbuckets = 16;
	while (t.nbuckets < (size_t)pc->max_entries)
		t.nbuckets <<= 1;
	t.pool = calloc((size_t)pc->max_entries, sizeof(*t.pool));
	t.buckets = calloc(t.nbuckets, sizeof(struct entry *));
	if (t.pool == NULL || t.buckets == NULL) {
		penalty_end();
		errno = ENOMEM;
		return -1;
	}
	/* A secret seed, so that nobody can choose keys that share a chain. */
	if (getrandom(&t.seed, sizeof(t.seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(t.seed))
		t.seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)&t;
	return 0;
}

void
penalty_end(void)
{
	free(t.pool);
	free(t.buckets);
	t.pool = t.free_list = t.oldest = t.newest = NULL;
	t.buckets = NULL;
	t.nbuckets = 0;
	t.used = t.fresh = 0;
	t.pc.enabled = 0;
}

static size_t
hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ t.seed;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 29;
	return (size_t)h & (t.nbuckets - 1);
}

static struct entry *
find(const char *key)
{
	struct entry *e;

	for (e = t.buckets[hash(key)]; e != NULL; e = e->hnext)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
lru_unlink(struct entry *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t.oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t.newest = e->older;
	e->older = e->newer = NULL;
}

static void
lru_push(struct entry *e)
{
	e->older = t.newest;
	e->newer = NULL;
	if (t.newest != NULL)
		t.newest->newer = e;
	else
		t.oldest = e;
	t.newest = e;
}

static void
drop(struct entry *e)
{
	struct entry **pp;

	for (pp = &t.buckets[hash(e->key)]; *pp != NULL; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	lru_unlink(e);
	memset(e, 0, sizeof(*e));
	e->hnext = t.free_list;
	t.free_list = e;
	t.used--;
}

/* Moves the buckets along to now. */
static void
roll(struct entry *e, long long now)
{
	long long w = t.pc.window_ms;

	if (now - e->win_start >= 2 * w) {
		e->prev = e->cur = 0;
		e->win_start = now;
	} else if (now - e->win_start >= w) {
		e->prev = e->cur;
		e->cur = 0;
		e->win_start += w;
	}
}

/* Failures in the sliding window ending now. */
static unsigned
count(struct entry *e, long long now)
{
	long long w = t.pc.window_ms, into;

	roll(e, now);
	/* Threads read the clock before taking the lock, so now may lag
	 * the bucket's start by a moment. */
	into = now - e->win_start;
	if (into < 0)
		into = 0;
	if (into > w)
		into = w;
	return e->cur + (unsigned)((long long)e->prev * (w - into) / w);
}

static int
locked(const struct entry *e, long long now)
{
	return e != NULL && e->locked_until > now;
}

/* Expired: nothing left in the window and no cool-down running. */
static int
idle(struct entry *e, long long now)
{
	return count(e, now) == 0 && !locked(e, now);
}

static struct entry *
get(const char *key, long long now)
{
	struct entry *e = find(key);
	size_t h;

	if (e != NULL)
		return e;
	if (t.free_list == NULL && t.fresh < t.pc.max_entries) {
		e = &t.pool[t.fresh++];
		e->hnext = NULL;
		t.free_list = e;
	}
	if (t.free_list == NULL) {
		/* Full: the least recently failing key goes first; one that
		 * is cooling down stays if an idle one can go instead. */
		for (e = t.oldest; e != NULL && !idle(e, now); e = e->newer)
			;
		drop(e != NULL ? e : t.oldest);
	}
	e = t.free_list;
	t.free_list = e->hnext;
	memset(e, 0, sizeof(*e));
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->win_start = now;
	h = hash(key);
	e->hnext = t.buckets[h];
	t.buckets[h] = e;
	lru_push(e);
	t.used++;
	return e;
}

static int
delay_for(unsigned failures)
{
	long long d;
	unsigned i;

	if (failures <= (unsigned)t.pc.free || t.pc.delay_ms <= 0)
		return 0;
	d = t.pc.delay_ms;
	for (i = (unsigned)t.pc.free + 1; i < failures &&
	    d < t.pc.delay_max_ms; i++)
		d *= 2;
	return d > t.pc.delay_max_ms ? t.pc.delay_max_ms : (int)d;
}

/* "a:" and the address; IPv6 counts by /64, the least a host gets. */
static void
addr_key(const char *ip, size_t len, char *out, size_t cap)
{
	char buf[PROTO_MAX_IP + 1], txt[INET6_ADDRSTRLEN];
	unsigned char a[16];

	out[0] = '\0';
	if (len == 0 || len > PROTO_MAX_IP)
		return;
	memcpy(buf, ip, len);
	buf[len] = '\0';
	if (memchr(buf, ':', len) != NULL && inet_pton(AF_INET6, buf, a) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
		memset(a + 8, 0, 8);
		if (inet_ntop(AF_INET6, a, txt, sizeof(txt)) != NULL) {
			snprintf(out, cap, "a:%s/64", txt);
			return;
		}
	}
	snprintf(out, cap, "a:%s", buf);
}

static void
account_key(const char *login, size_t len, const char *default_domain,
    char *out, size_t cap)
{
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	const char *why;

	out[0] = '\0';
	if (name_split_login(login, len, default_domain, user, domain,
	    &why) == 0)
		snprintf(out, cap, "u:%s@%s", user, domain);
}

/* Sets tk->blocked and tk->delay_ms from the failures of its address and
 * account keys; the delay is at least floor_ms. */
static void
decide(struct penalty_ticket *tk, long long now, int floor_ms)
{
	struct entry *a = NULL, *u = NULL;
	unsigned fa = 0, fu = 0;
	int da, du;

	pthread_mutex_lock(&t.lock);
	if (tk->addr[0] != '\0' && (a = find(tk->addr)) != NULL)
		fa = count(a, now);
	if (tk->account[0] != '\0' && (u = find(tk->account)) != NULL)
		fu = count(u, now);
	/* An account under attack stays open to addresses that have not
	 * failed lately: its owner should not be locked out by strangers. */
	tk->blocked = locked(a, now) ||
	    (locked(u, now) && (tk->addr[0] == '\0' || fa > 0));
	da = delay_for(fa);
	du = delay_for(fu);
	da = da > du ? da : du;
	tk->delay_ms = tk->blocked ? 0 : da > floor_ms ? da : floor_ms;
	pthread_mutex_unlock(&t.lock);
}

int
penalty_check(const struct proto_request *req, const char *default_domain,
    long long now, struct penalty_ticket *tk)
{
	memset(tk, 0, sizeof(*tk));
	if (!t.pc.enabled)
		return 0;
	addr_key(req->remote_ip.p, req->remote_ip.len, tk->addr,
	    sizeof(tk->addr));
	account_key(req->login.p, req->login.len, default_domain, tk->account,
	    sizeof(tk->account));
	decide(tk, now, 0);
	return tk->blocked;
}

int
penalty_rekey(struct penalty_ticket *tk, const char *user,
    const char *domain, long long now)
{
	char key[PENALTY_MAX_KEY + 1];

	if (!t.pc.enabled)
		return 0;
	snprintf(key, sizeof(key), "u:%s@%s", user, domain);
	name_fold(key, strlen(key));
	if (strcmp(key, tk->account) == 0)
		return tk->blocked;
	memcpy(tk->account, key, strlen(key) + 1);
	decide(tk, now, tk->delay_ms);
	return tk->blocked;
}

static void
log_key(int prio, const struct entry *e, const char *what, unsigned n)
{
	char k[LOG_KEY];

	log_escape(e->key + 2, strlen(e->key + 2), k, sizeof(k));
	log_msg(prio, "throttle: %s %s: %u failures in %ds, %s",
	    e->key[0] == 'a' ? "address" : "account", k, n,
	    t.pc.window_ms / 1000, what);
}

static void
fail(const char *key, long long now)
{
	struct entry *e;
	unsigned n;

	e = get(key, now);
	if (idle(e, now))
		e->logged = 0;		/* a new episode */
	e->cur++;
	lru_unlink(e);
	lru_push(e);
	n = count(e, now);
	if (n > (unsigned)t.pc.free && !(e->logged & LOGGED_DELAY)) {
		e->logged |= LOGGED_DELAY;
		log_key(LOG_NOTICE, e, "delaying answers", n);
	}
	if (n >= (unsigned)t.pc.threshold && !locked(e, now)) {
		e->locked_until = now + t.pc.cooldown_ms;
		if (!(e->logged & LOGGED_LOCK)) {
			e->logged |= LOGGED_LOCK;
			log_key(LOG_WARNING, e, "refusing logins while it "
			    "cools down", n);
		}
	}
}

void
penalty_note(const struct penalty_ticket *tk, enum auth_result r,
    long long now)
{
	struct entry *e;

	if (!t.pc.enabled || tk->blocked || r == AUTH_TEMP)
		return;
	pthread_mutex_lock(&t.lock);
	if (r == AUTH_NO) {
		if (tk->addr[0] != '\0')
			fail(tk->addr, now);
		if (tk->account[0] != '\0')
			fail(tk->account, now);
	} else if (r == AUTH_OK && tk->account[0] != '\0' &&
	    (e = find(tk->account)) != NULL) {
		drop(e);
	}
	pthread_mutex_unlock(&t.lock);
}

size_t
penalty_list(char *out, size_t cap, long long now)
{
	struct entry *e, *next;
	size_t len = 0;
	unsigned n, more = 0;
	long long left;
	int w;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	pthread_mutex_lock(&t.lock);
	for (e = t.newest; e != NULL; e = next) {
		next = e->older;
		n = count(e, now);
		if (idle(e, now)) {
			drop(e);
			continue;
		}
		if (n <= (unsigned)t.pc.free && !locked(e, now))
			continue;
		left = locked(e, now) ? (e->locked_until - now + 999) / 1000 : 0;
		/* Keep room for the summary line. */
		w = cap - len > 64 ? snprintf(out + len, cap - len - 64,
		    "%s %s failures %u delay %dms cooldown %llds\n",
		    e->key[0] == 'a' ? "addr" : "account", e->key + 2, n,
		    delay_for(n), left) : -1;
		if (w < 0 || (size_t)w >= cap - len - 64) {
			out[len] = '\0';
			more++;
			continue;
		}
		len += (size_t)w;
	}
	pthread_mutex_unlock(&t.lock);
	if (more > 0) {
		w = snprintf(out + len, cap - len, "... %u more\n", more);
		if (w > 0 && (size_t)w < cap - len)
			len += (size_t)w;
	}
	return len;
}

int
penalty_clear(const char *what, size_t len)
{
	char key[PENALTY_MAX_KEY + 1], acct[PENALTY_MAX_KEY + 1];
	struct entry *e, *next;
	int n = 0;

	if (len > 0) {
		addr_key(what, len, key, sizeof(key));
		/* Accounts by their full, folded name only. */
		account_key(what, len, NULL, acct, sizeof(acct));
	}
	pthread_mutex_lock(&t.lock);
	if (t.buckets == NULL) {
		pthread_mutex_unlock(&t.lock);
		return 0;
	}
	if (len == 0) {
		for (e = t.oldest; e != NULL; e = next) {
			next = e->newer;
			drop(e);
			n++;
		}
	} else {
		if (key[0] != '\0' && (e = find(key)) != NULL) {
			drop(e);
			n++;
		}
		if (acct[0] != '\0' && (e = find(acct)) != NULL) {
			drop(e);
			n++;
		}
	}
	pthread_mutex_unlock(&t.lock);
	return n;
}
