/* test-cache.c: the verified-login cache: hits, misses, changed hashes, bounds. */
#include "cache.h"
#include "passwd.h"
#include "test.h"

static char h1[PASSWD_MAX_HASH], h2[PASSWD_MAX_HASH];

/* One verification; returns 1 on a match and sets *hit. */
static int
try(const char *user, const char *hash, const char *pw, int *hit)
{
	return cache_verify(user, "example.com", hash, "", pw, strlen(pw), hit);
}

static void
test_hits_and_misses(void)
{
	struct cache_stats cs;
	int hit;

	CHECK(try("alice", h1, "secret-1", &hit) == 1 && !hit);
	CHECK(try("alice", h1, "secret-1", &hit) == 1 && hit);
	/* Wrong passwords, near and far, never hit and never match. */
	CHECK(try("alice", h1, "secret-2", &hit) == 0 && !hit);
	CHECK(try("alice", h1, "secret-", &hit) == 0 && !hit);
	CHECK(try("alice", h1, "secret-11", &hit) == 0 && !hit);
	CHECK(try("alice", h1, "SECRET-1", &hit) == 0 && !hit);
	/* The entry survives wrong tries: the next right one still hits. */
	CHECK(try("alice", h1, "secret-1", &hit) == 1 && hit);
	/* Another user with the same hash and password is not this entry. */
	CHECK(try("bob", h1, "secret-1", &hit) == 1 && !hit);
	/* The row's hash changed (a new password): the old one fails even
	 * though it is cached against the old hash, the new one verifies. */
	CHECK(try("alice", h2, "secret-1", &hit) == 0 && !hit);
	CHECK(try("alice", h2, "secret-2", &hit) == 1 && !hit);
	CHECK(try("alice", h2, "secret-2", &hit) == 1 && hit);
	/* Locked by '!' in front: never, cached or not. */
	{
		char locked[PASSWD_MAX_HASH + 1] = "!";

		strcat(locked, h2);
		CHECK(try("alice", locked, "secret-2", &hit) == 0 && !hit);
	}
	/* A clear-password row is cheap to check and not cached. */
	CHECK(cache_verify("carol", "example.com", "", "clear", "clear", 5,
	    &hit) == 1 && !hit);
	CHECK(cache_verify("carol", "example.com", "", "clear", "clear", 5,
	    &hit) == 1 && !hit);
	cache_get_stats(&cs);
	CHECK_MSG(cs.hits == 3, "hits %lu", cs.hits);
	CHECK(cs.entries == 2 && cs.capacity == 16);

	cache_flush();
	cache_get_stats(&cs);
	CHECK(cs.entries == 0 && cs.flushes == 1);
	CHECK(try("alice", h2, "secret-2", &hit) == 1 && !hit);
}

static void
test_bounded(void)
{
	struct cache_stats cs;
	char user[32];
	int i, hit;

	for (i = 0; i < 100; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		CHECK(try(user, h1, "secret-1", &hit) == 1);
	}
	cache_get_stats(&cs);
	CHECK_MSG(cs.entries == 16, "entries %lu", cs.entries);
	CHECK_MSG(cs.evictions >= 100 - 16, "evictions %lu", cs.evictions);
	/* The latest logins are the ones kept. */
	CHECK(try("user99", h1, "secret-1", &hit) == 1 && hit);
}

int
main(void)
{
	/* $1$ keeps the test fast; the cache does not care which scheme. */
	if (passwd_hash("$1$", "secret-1", h1, sizeof(h1)) < 0 ||
	    passwd_hash("$1$", "secret-2", h2, sizeof(h2)) < 0 ||
	    cache_init(16, 3600, 1) < 0) {
		puts("test-cache: set-up failed");
		return 1;
	}
	test_hits_and_misses();
	test_bounded();
	cache_free();
	return test_done("test-cache");
}
