/* stats.c: counters of logins by service and result, for the STATS request. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "lastauth.h"
#include "pool.h"
#include "stats.h"

enum { S_POP3, S_IMAP, S_SMTP, S_WEBMAIL, S_NSVC };
enum { R_OK, R_NO, R_TEMP, R_NRES };

static const char *const svc_names[S_NSVC] = { "pop3", "imap", "smtp",
    "webmail" };
static const char *const res_names[R_NRES] = { "ok", "no", "temp" };
static unsigned long logins[S_NSVC][R_NRES];

/* Login latency histogram: eight buckets per power of two of
 * microseconds, so a percentile read from it is within 12.5%; up to
 * 2^LAT_EXP_MAX us (about 9 hours), the last bucket takes the rest. */
#define LAT_SUB     8
#define LAT_EXP_MAX 35
#define LAT_BUCKETS (LAT_SUB * (LAT_EXP_MAX + 1))
static unsigned long lat[LAT_BUCKETS];
static unsigned long lat_sum_us;

long long
stats_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Below LAT_SUB us one bucket per microsecond; above, the power of two
 * and the next three bits. */
static int
lat_bucket(unsigned long long us)
{
	int e, i;

	if (us < LAT_SUB)
		return (int)us;
	e = 63 - __builtin_clzll(us);
	i = LAT_SUB * (e - 2) + (int)((us >> (e - 3)) & (LAT_SUB - 1));
	return i < LAT_BUCKETS ? i : LAT_BUCKETS - 1;
}

/* The largest value that falls into bucket i. */
static unsigned long long
lat_upper(int i)
{
	int e = i / LAT_SUB + 2, sub = i % LAT_SUB;

	if (i < LAT_SUB)
		return (unsigned long long)i;
	return ((unsigned long long)(LAT_SUB + sub + 1) << (e - 3)) - 1;
}

void
stats_latency(long long us)
{
	if (us < 0)
		us = 0;
	__atomic_add_fetch(&lat[lat_bucket((unsigned long long)us)], 1,
	    __ATOMIC_RELAXED);
	__atomic_add_fetch(&lat_sum_us, (unsigned long)us, __ATOMIC_RELAXED);
}

/* Percentile q (0..1) of what the histogram holds, in microseconds: the
 * upper bound of the bucket it falls in; 0 when nothing was counted. */
static unsigned long long
lat_percentile(const unsigned long *h, unsigned long total, double q)
{
	unsigned long seen = 0, rank;
	int i;

	if (total == 0)
		return 0;
	rank = (unsigned long)(q * (double)total);
	if (rank >= total)
		rank = total - 1;
	for (i = 0; i < LAT_BUCKETS; i++) {
		seen += h[i];
		if (seen > rank)
			return lat_upper(i);
	}
	return lat_upper(LAT_BUCKETS - 1);
}

void
stats_login(enum proto_service svc, enum auth_result r)
{
	int s, i;

	switch (svc) {
	case SVC_POP3: s = S_POP3; break;
	case SVC_IMAP: s = S_IMAP; break;
	case SVC_SMTP: s = S_SMTP; break;
	case SVC_WEBMAIL: s = S_WEBMAIL; break;
	case SVC_NONE:
	default: return;
	}
	i = r == AUTH_OK ? R_OK : r == AUTH_NO ? R_NO : R_TEMP;
	__atomic_add_fetch(&logins[s][i], 1, __ATOMIC_RELAXED);
}

int
stats_format(const char *format, size_t flen, struct pool *pool, char *out,
    size_t cap)
{
	static const double quantiles[] = { 0.5, 0.9, 0.99, 0.999 };
	static const char *const qnames[] = { "p50", "p90", "p99", "p999" };
	unsigned long h[LAT_BUCKETS], total = 0, la_dropped, la_skipped;
	struct cache_stats cs;
	struct pool_stats ps;
	size_t len = 0;
	int prom, s, r, n, i;

	if (flen == 4 && memcmp(format, "text", 4) == 0)
		prom = 0;
	else if (flen == 10 && memcmp(format, "prometheus", 10) == 0)
		prom = 1;
	else
		return -1;
	pool_get_stats(pool, &ps);
	cache_get_stats(&cs);
	lastauth_counts(&la_dropped, &la_skipped);
	for (i = 0; i < LAT_BUCKETS; i++) {
		h[i] = __atomic_load_n(&lat[i], __ATOMIC_RELAXED);
		total += h[i];
	}
#define ADD(...) do { \
		n = snprintf(out + len, cap - len, __VA_ARGS__); \
		if (n < 0 || (size_t)n >= cap - len) \
			return -1; \
		len += (size_t)n; \
	} while (0)
	if (prom)
		ADD("# TYPE vauthd_logins_total counter\n");
	for (s = 0; s < S_NSVC; s++)
		for (r = 0; r < R_NRES; r++) {
			unsigned long v = __atomic_load_n(&logins[s][r],
			    __ATOMIC_RELAXED);

			if (prom)
				ADD("vauthd_logins_total{service=\"%s\","
				    "result=\"%s\"} %lu\n", svc_names[s],
				    res_names[r], v);
			else
				ADD("logins.%s.%s %lu\n", svc_names[s],
				    res_names[r], v);
		}
	if (prom) {
		ADD("# TYPE vauthd_mysql_connects_total counter\n"
		    "vauthd_mysql_connects_total %lu\n", ps.connects);
		ADD("# TYPE vauthd_mysql_reconnects_total counter\n"
		    "vauthd_mysql_reconnects_total %lu\n", ps.reconnects);
		ADD("# TYPE vauthd_mysql_errors_total counter\n"
		    "vauthd_mysql_errors_total %lu\n", ps.errors);
		ADD("# TYPE vauthd_lastauth_dropped_total counter\n"
		    "vauthd_lastauth_dropped_total %lu\n", la_dropped);
		ADD("# TYPE vauthd_lastauth_skipped_total counter\n"
		    "vauthd_lastauth_skipped_total %lu\n", la_skipped);
		ADD("# TYPE vauthd_cache_hits_total counter\n"
		    "vauthd_cache_hits_total %lu\n"
		    "# TYPE vauthd_cache_misses_total counter\n"
		    "vauthd_cache_misses_total %lu\n"
		    "# TYPE vauthd_cache_evictions_total counter\n"
		    "vauthd_cache_evictions_total %lu\n"
		    "# TYPE vauthd_cache_expired_total counter\n"
		    "vauthd_cache_expired_total %lu\n"
		    "# TYPE vauthd_cache_flushes_total counter\n"
		    "vauthd_cache_flushes_total %lu\n"
		    "# TYPE vauthd_cache_entries gauge\n"
		    "vauthd_cache_entries %lu\n"
		    "# TYPE vauthd_cache_capacity gauge\n"
		    "vauthd_cache_capacity %lu\n", cs.hits, cs.misses,
		    cs.evictions, cs.expired, cs.flushes, cs.entries,
		    cs.capacity);
		/* A summary: quantiles since start, within 12.5%. */
		ADD("# TYPE vauthd_login_duration_seconds summary\n");
		for (i = 0; i < 4; i++)
			ADD("vauthd_login_duration_seconds{quantile=\"%g\"} "
			    "%.6f\n", quantiles[i], (double)lat_percentile(h,
			    total, quantiles[i]) / 1e6);
		ADD("vauthd_login_duration_seconds_sum %.6f\n"
		    "vauthd_login_duration_seconds_count %lu\n",
		    (double)__atomic_load_n(&lat_sum_us, __ATOMIC_RELAXED) /
		    1e6, total);
	} else {
		ADD("mysql.connects %lu\nmysql.reconnects %lu\n"
		    "mysql.errors %lu\nlastauth.dropped %lu\n"
		    "lastauth.skipped %lu\n", ps.connects, ps.reconnects,
		    ps.errors, la_dropped, la_skipped);
		ADD("cache.hits %lu\ncache.misses %lu\ncache.evictions %lu\n"
		    "cache.expired %lu\ncache.flushes %lu\ncache.entries %lu\n"
		    "cache.capacity %lu\ncache.ttl %d\n", cs.hits, cs.misses,
		    cs.evictions, cs.expired, cs.flushes, cs.entries,
		    cs.capacity, cs.ttl);
		ADD("latency.count %lu\n", total);
		for (i = 0; i < 4; i++)
			ADD("latency.%s_us %llu\n", qnames[i],
			    lat_percentile(h, total, quantiles[i]));
	}
#undef ADD
	return (int)len;
}
