/* genusers.c: the bench's dataset: one TSV line per user with a fresh hash. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "passwd.h"

#define MAX_THREADS 64
#define NUSERS      (BENCH_DOMAINS * BENCH_USERS_PER_DOMAIN)

/* Hashes are made on every core: 1,000 yescrypt hashes are most of the
 * bench's set-up time. */
static char (*hashes)[PASSWD_MAX_HASH];
static int next_user, failed;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *
worker(void *arg)
{
	char user[16], domain[32], pw[80];
	int n;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		n = next_user++;
		pthread_mutex_unlock(&lock);
		if (n >= NUSERS)
			return NULL;
		bench_names(n / BENCH_USERS_PER_DOMAIN,
		    n % BENCH_USERS_PER_DOMAIN, user, sizeof(user), domain,
		    sizeof(domain));
		bench_password(user, domain, pw, sizeof(pw));
		if (passwd_hash(bench_prefix[bench_scheme_of(n %
		    BENCH_USERS_PER_DOMAIN)], pw, hashes[n], PASSWD_MAX_HASH) < 0)
			__atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
	}
}

int
main(void)
{
	pthread_t th[MAX_THREADS];
	char user[16], domain[32];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int i, nth;

	nth = ncpu < 1 ? 1 : ncpu > MAX_THREADS ? MAX_THREADS : (int)ncpu;
	hashes = calloc(NUSERS, sizeof(*hashes));
	if (hashes == NULL) {
		perror("genusers");
		return 111;
	}
	for (i = 0; i < nth; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			fputs("genusers: unable to start threads\n", stderr);
			return 111;
		}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	if (failed) {
		fputs("genusers: libcrypt refused a scheme\n", stderr);
		return 111;
	}
	for (i = 0; i < NUSERS; i++) {
		bench_names(i / BENCH_USERS_PER_DOMAIN,
		    i % BENCH_USERS_PER_DOMAIN, user, sizeof(user), domain,
		    sizeof(domain));
		printf("%s\t%s\t%s\n", user, domain, hashes[i]);
	}
	return fflush(stdout) == 0 ? 0 : 111;
}
