/* atomic.c: replace a file whole (temp, fsync, rename) and lock around it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "io.h"

int
atomic_begin(struct atomic_file *af, const char *path, mode_t mode_if_new)
{
	struct stat st;
	int have, n;

	af->fd = -1;
	af->tmp[0] = '\0';
	if (strlen(path) >= sizeof(af->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(af->path, path, strlen(path) + 1);
	n = snprintf(af->tmp, sizeof(af->tmp), "%s.tmp.%ld", path,
	    (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(af->tmp)) {
		af->tmp[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	have = stat(path, &st) == 0;
	/* A stale temp file of a killed run with our pid is ours to replace. */
	(void)unlink(af->tmp);
	af->fd = open(af->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, have ? (st.st_mode & 07777) : mode_if_new);
	if (af->fd < 0) {
		af->tmp[0] = '\0';
		return -1;
	}
	if (have && (fchown(af->fd, st.st_uid, st.st_gid) < 0 ||
	    fchmod(af->fd, st.st_mode & 07777) < 0)) {
		atomic_abort(af);
		return -1;
	}
	if (!have && fchmod(af->fd, mode_if_new) < 0) {
		atomic_abort(af);
		return -1;
	}
	return 0;
}

void
atomic_abort(struct atomic_file *af)
{
	int saved = errno;

	if (af->fd >= 0)
		close(af->fd);
	af->fd = -1;
	if (af->tmp[0] != '\0')
		(void)unlink(af->tmp);
	af->tmp[0] = '\0';
	errno = saved;
}

void
atomic_dir_of(const char *path, char dir[PATH_MAX])
{
	char *slash;

	snprintf(dir, PATH_MAX, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

static int
fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc;

	atomic_dir_of(path, dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
atomic_commit(struct atomic_file *af)
{
	int fd = af->fd;

	af->fd = -1;
	if (fsync(fd) < 0) {
		close(fd);
		goto fail;
	}
	if (close(fd) < 0)
		goto fail;
	if (rename(af->tmp, af->path) < 0)
		goto fail;
	af->tmp[0] = '\0';
	return fsync_dir(af->path);
fail:
	atomic_abort(af);
	return -1;
}

int
atomic_replace(const char *path, const void *data, size_t len,
    mode_t mode_if_new)
{
	struct atomic_file af;

	if (atomic_begin(&af, path, mode_if_new) < 0)
		return -1;
	if (io_write_all(af.fd, data, len) < 0) {
		atomic_abort(&af);
		return -1;
	}
	return atomic_commit(&af);
}

int
atomic_lock(const char *lockpath, int timeout_ms)
{
	long long deadline = io_now_ms() + timeout_ms;
	struct timespec nap = { 0, 10 * 1000000L };
	int fd;

	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		if (io_now_ms() >= deadline) {
			errno = EWOULDBLOCK;
			break;
		}
		nanosleep(&nap, NULL);
	}
	{
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return -1;
}

void
atomic_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}
