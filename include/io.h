/* io.h: whole reads and writes on file descriptors, with deadlines. */
#ifndef VAUTH_IO_H
#define VAUTH_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Reads until EOF or cap bytes. Returns the count, or -1 with errno. */
ssize_t io_read_all(int fd, void *buf, size_t cap);

/* io_read_all, but gives up at the monotonic deadline (milliseconds, see
 * io_now_ms): -1 with errno ETIMEDOUT when EOF has not come by then. */
ssize_t io_read_all_by(int fd, void *buf, size_t cap, long long deadline_ms);

/* Writes all of buf. Returns 0, or -1 with errno. */
int io_write_all(int fd, const void *buf, size_t len);

/* Reads exactly len bytes before the monotonic deadline (milliseconds, see
 * io_now_ms). Returns 0, or -1 with errno (ETIMEDOUT, or EPIPE at EOF). */
int io_read_exact_by(int fd, void *buf, size_t len, long long deadline_ms);

/* Monotonic clock in milliseconds. */
long long io_now_ms(void);

/* Connects a SOCK_STREAM Unix socket. Returns the fd, or -1 with errno
 * (ENAMETOOLONG when the path does not fit sun_path). */
int io_unix_connect(const char *path);

#endif
