/* stats.h: counters of logins by service and result, for the STATS request. */
#ifndef VAUTHD_STATS_H
#define VAUTHD_STATS_H

#include <stddef.h>

#include "proto.h"

struct pool;

void stats_login(enum proto_service svc, enum auth_result r);

/* A monotonic clock in microseconds, and one AUTH request's time from
 * its arrival at request_handle to its answer, for the percentiles. */
long long stats_now_us(void);
void stats_latency(long long us);

/* Writes the counters as "name value" lines (format "text") or in
 * Prometheus' text format ("prometheus"). Returns the length, or -1 when
 * the format is unknown or cap too small. */
int stats_format(const char *format, size_t flen, struct pool *pool,
    char *out, size_t cap);

#endif
