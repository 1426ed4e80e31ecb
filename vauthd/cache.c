/* cache.c: verified logins, so a repeat login skips the expensive hash. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>

#include "cache.h"
#include "passwd.h"
#include "sha256.h"

#define TAG_LEN    16	/* bytes of the login's digest kept to find it */
#define LOCKS      64	/* lock stripes: logins rarely wait for each other */
#define SECRET_LEN 32

struct entry {
	unsigned char tag[TAG_LEN];		/* HMAC(K, user, domain) */
	unsigned char proof[SHA256_DIGEST_LEN];	/* HMAC(K, user, domain,
						 * hash, password) */
	long long stamp;	/* monotonic second of the verification; 0 free */
};

/* One mapping, kept out of core dumps, since it holds the keyed state. */
struct table {
	struct hmac_sha256_ctx base;	/* HMAC already keyed with K */
	struct entry e[];
};

static struct {
	struct table *t;
	size_t maplen, nsets;
	int ttl;
	pthread_mutex_t locks[LOCKS];
	sem_t crypt_slots;		/* crypt() calls at once */
	int gated;
	unsigned long hits, misses, stores, evictions, expired, flushes;
	unsigned long entries;
} cache;

#define COUNT(field, n) __atomic_add_fetch(&cache.field, (n), __ATOMIC_RELAXED)

static long long
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec + 1;	/* never 0, which means free */
}

int
cache_init(size_t size, int ttl, int crypt_slots)
{
	unsigned char key[SECRET_LEN];
	size_t got = 0;
	ssize_t r;
	void *m;
	int i;

	for (i = 0; i < LOCKS; i++)
		pthread_mutex_init(&cache.locks[i], NULL);
	cache.ttl = ttl;
	if (crypt_slots > 0) {
		if (sem_init(&cache.crypt_slots, 0, (unsigned)crypt_slots) < 0)
			return -1;
		cache.gated = 1;
	}
	if (size == 0 || ttl <= 0)
		return 0;
	if (size > CACHE_MAX_SIZE) {
		errno = EINVAL;
		return -1;
	}
	cache.nsets = (size + CACHE_WAYS - 1) / CACHE_WAYS;
	cache.maplen = sizeof(struct table) +
	    cache.nsets * CACHE_WAYS * sizeof(struct entry);
	/* Anonymous pages are zero: every entry starts free, and pages no
	 * login has touched cost no memory. */
	m = mmap(NULL, cache.maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	(void)madvise(m, cache.maplen, MADV_DONTDUMP);
	while (got < sizeof(key)) {
		r = getrandom(key + got, sizeof(key) - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			munmap(m, cache.maplen);
			return -1;
		}
		got += (size_t)r;
	}
	cache.t = m;
	hmac_sha256_init(&cache.t->base, key, sizeof(key));
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* crypt() with at most crypt_slots running: more than one a core only
 * adds memory (yescrypt takes 16 MB each) and delays the cheap requests
 * that the other workers could be answering. */
static int
gated_verify(const char *hash, const char *clear, const char *secret,
    size_t slen)
{
	int ok;

	if (!cache.gated)
		return passwd_verify(hash, clear, secret, slen);
	while (sem_wait(&cache.crypt_slots) < 0)
		;	/* EINTR only */
	ok = passwd_verify(hash, clear, secret, slen);
	sem_post(&cache.crypt_slots);
	return ok;
}

/* passwd_burn() through the same gate as a real check: otherwise, under
 * load, an unknown user is answered sooner than a known one, whose crypt()
 * waits for a slot, and the difference tells which users exist. */
void
cache_burn(const char *secret, size_t slen)
{
	if (!cache.gated) {
		passwd_burn(secret, slen);
		return;
	}
	while (sem_wait(&cache.crypt_slots) < 0)
		;	/* EINTR only */
	passwd_burn(secret, slen);
	sem_post(&cache.crypt_slots);
}

/* A field with its length in front, so no two inputs run together. */
static void
absorb(struct hmac_sha256_ctx *h, const char *s, size_t len)
{
	unsigned char l[2] = { (unsigned char)(len >> 8), (unsigned char)len };

	hmac_sha256_update(h, l, sizeof(l));
	hmac_sha256_update(h, s, len);
}

static void
digest(const char *user, const char *domain, const char *hash,
    const char *secret, size_t slen, unsigned char tag[TAG_LEN],
    unsigned char proof[SHA256_DIGEST_LEN])
{
	struct hmac_sha256_ctx who, all;
	unsigned char d[SHA256_DIGEST_LEN];

	who = cache.t->base;
	absorb(&who, user, strlen(user));
	absorb(&who, domain, strlen(domain));
	all = who;
	hmac_sha256_final(&who, d);
	memcpy(tag, d, TAG_LEN);
	absorb(&all, hash, strlen(hash));
	absorb(&all, secret, slen);
	hmac_sha256_final(&all, proof);
	explicit_bzero(d, sizeof(d));
}

static size_t
set_of(const unsigned char tag[TAG_LEN])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | tag[i];
	return (size_t)(v % cache.nsets);
}

/* Under the set's lock: the same login's slot, else a free one, else the
 * oldest (counted as an eviction). */
static void
store(size_t set, const unsigned char tag[TAG_LEN],
    const unsigned char proof[SHA256_DIGEST_LEN], long long now)
{
	struct entry *e = &cache.t->e[set * CACHE_WAYS], *slot = NULL;
	int w;

	for (w = 0; w < CACHE_WAYS; w++)
		if (e[w].stamp != 0 && memcmp(e[w].tag, tag, TAG_LEN) == 0) {
			slot = &e[w];
			break;
		}
	if (slot == NULL)
		for (w = 0; w < CACHE_WAYS; w++)
			if (e[w].stamp == 0) {
				slot = &e[w];
				COUNT(entries, 1);
				break;
			}
	if (slot == NULL) {
		slot = &e[0];
		for (w = 1; w < CACHE_WAYS; w++)
			if (e[w].stamp < slot->stamp)
				slot = &e[w];
		COUNT(evictions, 1);
	}
	memcpy(slot->tag, tag, TAG_LEN);
	memcpy(slot->proof, proof, SHA256_DIGEST_LEN);
	slot->stamp = now;
	COUNT(stores, 1);
}

int
cache_verify(const char *user, const char *domain, const char *hash,
    const char *clear, const char *secret, size_t slen, int *hit)
{
	unsigned char tag[TAG_LEN], proof[SHA256_DIGEST_LEN];
	struct entry found;
	pthread_mutex_t *lock;
	long long now;
	size_t set;
	int w, ok, unused;

	if (hit == NULL)
		hit = &unused;
	*hit = 0;
	/* Only crypt() is worth caching: a clear password or a locked row
	 * costs nothing to check. */
	if (hash == NULL || hash[0] == '\0' || hash[0] == '*' ||
	    hash[0] == '!' || slen == 0 || slen > PROTO_MAX_SECRET)
		return passwd_verify(hash, clear, secret, slen);
	if (cache.t == NULL)
		return gated_verify(hash, clear, secret, slen);
	digest(user, domain, hash, secret, slen, tag, proof);
	set = set_of(tag);
	lock = &cache.locks[set % LOCKS];
	now = now_s();
	memset(&found, 0, sizeof(found));
	pthread_mutex_lock(lock);
	for (w = 0; w < CACHE_WAYS; w++) {
		struct entry *e = &cache.t->e[set * CACHE_WAYS + (size_t)w];

		if (e->stamp != 0 && memcmp(e->tag, tag, TAG_LEN) == 0) {
			found = *e;
			break;
		}
	}
	pthread_mutex_unlock(lock);
	if (found.stamp != 0 && now - found.stamp >= cache.ttl) {
		COUNT(expired, 1);
		found.stamp = 0;
	}
	if (found.stamp != 0 &&
	    passwd_ct_equal(found.proof, sizeof(found.proof), proof,
	    sizeof(proof))) {
		COUNT(hits, 1);
		*hit = 1;
		ok = 1;
	} else {
		COUNT(misses, 1);
		ok = gated_verify(hash, clear, secret, slen);
		if (ok) {
			pthread_mutex_lock(lock);
			store(set, tag, proof, now);
			pthread_mutex_unlock(lock);
		}
	}
	explicit_bzero(&found, sizeof(found));
	explicit_bzero(proof, sizeof(proof));
	return ok;
}

void
cache_flush(void)
{
	size_t i, n;
	int l;

	if (cache.t == NULL)
		return;
	for (l = 0; l < LOCKS; l++)
		pthread_mutex_lock(&cache.locks[l]);
	/* Only used slots are written: pages never touched stay unmapped. */
	n = cache.nsets * CACHE_WAYS;
	for (i = 0; i < n; i++)
		if (cache.t->e[i].stamp != 0)
			explicit_bzero(&cache.t->e[i], sizeof(cache.t->e[i]));
	__atomic_store_n(&cache.entries, 0, __ATOMIC_RELAXED);
	for (l = LOCKS - 1; l >= 0; l--)
		pthread_mutex_unlock(&cache.locks[l]);
	COUNT(flushes, 1);
}

void
cache_get_stats(struct cache_stats *out)
{
#define GET(f) __atomic_load_n(&cache.f, __ATOMIC_RELAXED)
	out->hits = GET(hits);
	out->misses = GET(misses);
	out->stores = GET(stores);
	out->evictions = GET(evictions);
	out->expired = GET(expired);
	out->flushes = GET(flushes);
	out->entries = GET(entries);
#undef GET
	out->capacity = (unsigned long)(cache.nsets * CACHE_WAYS);
	out->ttl = cache.ttl;
}

void
cache_free(void)
{
	if (cache.t == NULL)
		return;
	explicit_bzero(cache.t, cache.maplen);
	munmap(cache.t, cache.maplen);
	cache.t = NULL;
}
