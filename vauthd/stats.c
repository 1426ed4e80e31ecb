/* stats.c: counters of logins by service and result, for the STATS request. */
#include <stdio.h>
#include <string.h>

#include "lastauth.h"
#include "pool.h"
#include "stats.h"

enum { S_POP3, S_IMAP, S_SMTP, S_WEBMAIL, S_NSVC };
enum { R_OK, R_NO, R_TEMP, R_NRES };

static const char *const svc_names[S_NSVC] = { "pop3", "imap", "smtp",
    "webmail" };
static const char *const res_names[R_NRES] = { "ok", "no", "temp" };
static unsigned long logins[S_NSVC][R_NRES];

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
	struct pool_stats ps;
	size_t len = 0;
	int prom, s, r, n;

	if (flen == 4 && memcmp(format, "text", 4) == 0)
		prom = 0;
	else if (flen == 10 && memcmp(format, "prometheus", 10) == 0)
		prom = 1;
	else
		return -1;
	pool_get_stats(pool, &ps);
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
		    "vauthd_lastauth_dropped_total %lu\n", lastauth_dropped());
	} else {
		ADD("mysql.connects %lu\nmysql.reconnects %lu\n"
		    "mysql.errors %lu\nlastauth.dropped %lu\n", ps.connects,
		    ps.reconnects, ps.errors, lastauth_dropped());
	}
#undef ADD
	return (int)len;
}
