/* errbuf.c: library errors as a message in a caller's buffer. */
#include <stdarg.h>
#include <stdio.h>

#include "errbuf.h"

int
errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
