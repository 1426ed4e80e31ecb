/* log.c: vauthd's log: syslog (facility mail) or stderr, one line a call. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static int use_stderr;

void
log_open(int to_stderr)
{
	use_stderr = to_stderr;
	if (!use_stderr)
		openlog("vauthd", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_msg(int prio, const char *fmt, ...)
{
	static const char *const names[] = { "emerg", "alert", "crit", "error",
	    "warning", "notice", "info", "debug" };
	char line[LOG_MAX_LINE];
	va_list ap;
	int n, m;

	va_start(ap, fmt);
	if (!use_stderr) {
		vsyslog(prio, fmt, ap);
		va_end(ap);
		return;
	}
	n = snprintf(line, sizeof(line), "vauthd: %s: ", names[prio & 7]);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write per line: lines from several threads never interleave. */
	(void)!write(2, line, (size_t)n);
}

void
log_escape(const char *in, size_t len, char *out, size_t cap)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	if (cap == 0)
		return;
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = digits[c >> 4];
			out[o++] = digits[c & 15];
		}
	}
	out[o] = '\0';
}
