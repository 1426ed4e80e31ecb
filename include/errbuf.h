/* errbuf.h: library errors as a message in a caller's buffer. */
#ifndef VAUTH_ERRBUF_H
#define VAUTH_ERRBUF_H

#include <stddef.h>

/* Formats into err (errlen bytes, always terminated). Returns -1, so that
 * "return errf(err, errlen, ...)" reports a failure in one line. */
int errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
