/* io.c: whole reads and writes on file descriptors, with deadlines. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "io.h"

long long
io_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

ssize_t
io_read_all(int fd, void *buf, size_t cap)
{
	size_t got = 0;
	ssize_t r;

	while (got < cap) {
		r = read(fd, (char *)buf + got, cap - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Reads into buf until cap bytes or EOF, polling so as to give up at the
 * deadline. Returns the count, or -1 with errno (ETIMEDOUT). */
static ssize_t
read_by(int fd, void *buf, size_t cap, long long deadline_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	long long left;
	ssize_t r;
	int n;

	while (got < cap) {
		left = deadline_ms - io_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			continue;
		r = read(fd, (char *)buf + got, cap - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

ssize_t
io_read_all_by(int fd, void *buf, size_t cap, long long deadline_ms)
{
	return read_by(fd, buf, cap, deadline_ms);
}

int
io_write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = write(fd, (const char *)buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

int
io_read_exact_by(int fd, void *buf, size_t len, long long deadline_ms)
{
	ssize_t n = read_by(fd, buf, len, deadline_ms);

	if (n < 0)
		return -1;
	if ((size_t)n < len) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

int
io_unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	while (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		if (errno == EINTR)
			continue;
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
