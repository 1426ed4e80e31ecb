/* cache.h: verified logins, so a repeat login skips the expensive hash. */
#ifndef VAUTHD_CACHE_H
#define VAUTHD_CACHE_H

#include <stddef.h>

/* Entries share a set of this many; the oldest in a full set goes first.
 * With 8, a set overflows (one user's entry pushing out another's) only
 * when the cache is far more than half full. */
#define CACHE_WAYS       8
#define CACHE_MAX_SIZE   (1 << 22)	/* entries, the largest cache_size */

/* What the cache remembers is a keyed digest (HMAC-SHA-256 under a secret
 * drawn from getrandom() at start-up, never written anywhere) of the
 * login, the stored hash and the password that matched it. A hit therefore
 * needs the same user, the same password and the same stored hash: any
 * change of the row's hash, by vadmin or by raw SQL, is a miss at the next
 * login. Nothing is cached for a failed login (no negative cache), so the
 * cache can never keep a user out. */

struct cache_stats {
	unsigned long hits, misses, stores, evictions, expired, flushes;
	unsigned long entries, capacity;
	int ttl;
};

/* Sizes the table for about size entries (0: no cache), kept ttl seconds
 * after the verification that stored them, and draws the secret. At most
 * crypt_slots crypt() calls run at once (0: no limit), so that expensive
 * hashes fill the cores while other workers still answer cache hits. Call
 * once before threads start. Returns 0, or -1 with errno. */
int cache_init(size_t size, int ttl, int crypt_slots);

/* passwd_verify() with the cache in front: 1 when secret matches hash (or,
 * for a row without a hash, its clear password), else 0. A crypt() hash
 * that matched is remembered; *hit says whether this answer came from the
 * cache (hit may be NULL). Thread-safe. */
int cache_verify(const char *user, const char *domain, const char *hash,
    const char *clear, const char *secret, size_t slen, int *hit);

/* passwd_burn() for an unknown user, waiting for a crypt() slot as
 * cache_verify does, so that both cost the same under load. */
void cache_burn(const char *secret, size_t slen);

/* Forgets every entry. Thread-safe. */
void cache_flush(void);

void cache_get_stats(struct cache_stats *out);

/* Wipes and unmaps the table. */
void cache_free(void);

#endif
