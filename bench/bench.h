/* bench.h: what the bench's programs agree on: the dataset and its passwords. */
#ifndef VAUTH_BENCH_H
#define VAUTH_BENCH_H

#include <stdio.h>

/* 10 domains of 1,000 users: 10,000 rows. */
#define BENCH_DOMAINS          10
#define BENCH_USERS_PER_DOMAIN 1000

/* The scheme mix of an old vpopmail site being upgraded: mostly MD5-crypt,
 * SHA-512-crypt from a later change, yescrypt for new passwords. */
enum bench_scheme { B_YESCRYPT, B_SHA512, B_MD5, B_NSCHEMES };

static const char *const bench_prefix[B_NSCHEMES] = { "$y$", "$6$", "$1$" };

static inline enum bench_scheme
bench_scheme_of(int i)
{
	int r = i % 10;

	return r == 0 ? B_YESCRYPT : r <= 3 ? B_SHA512 : B_MD5;
}

static inline void
bench_names(int d, int i, char *user, size_t ucap, char *domain,
    size_t dcap)
{
	snprintf(user, ucap, "u%04d", i);
	snprintf(domain, dcap, "d%d.bench.example", d);
}

/* Each user's password, derived so no program needs a list of them. */
static inline void
bench_password(const char *user, const char *domain, char *out, size_t cap)
{
	snprintf(out, cap, "Pw.%s.%s-42", user, domain);
}

#endif
