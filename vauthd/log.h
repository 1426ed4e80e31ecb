/* log.h: vauthd's log: syslog (facility mail) or stderr, one line a call. */
#ifndef VAUTHD_LOG_H
#define VAUTHD_LOG_H

#include <stddef.h>
#include <syslog.h>

#define LOG_MAX_LINE 1024

/* to_stderr: write lines to fd 2 (daemontools, systemd, tests) instead of
 * syslog. */
void log_open(int to_stderr);

void log_msg(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Copies untrusted bytes for a log line: printable ASCII stays, '\\' and
 * everything else becomes \xNN, so no input can forge a line or a field.
 * Truncates to fit cap (always NUL-terminated). */
void log_escape(const char *in, size_t len, char *out, size_t cap);

#endif
