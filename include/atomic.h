/* atomic.h: replace a file whole (temp, fsync, rename) and lock around it. */
#ifndef VAUTH_ATOMIC_H
#define VAUTH_ATOMIC_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct atomic_file {
	char path[PATH_MAX];
	char tmp[PATH_MAX];
	int fd;
};

/* Opens a temp file beside path, with the mode and owner of the existing
 * path, or mode_if_new when there is none. Write to af->fd, then commit or
 * abort. Returns 0, or -1 with errno. */
int atomic_begin(struct atomic_file *af, const char *path, mode_t mode_if_new);

/* fsync, checked close, rename over path, fsync the directory. On any
 * failure the temp file is removed and path is untouched. Returns 0 or -1
 * with errno. */
int atomic_commit(struct atomic_file *af);

/* Closes and removes the temp file. Keeps errno. */
void atomic_abort(struct atomic_file *af);

/* atomic_begin, write all of data, atomic_commit. Returns 0 or -1. */
int atomic_replace(const char *path, const void *data, size_t len,
    mode_t mode_if_new);

/* The directory path is in (where its temp file goes), into dir. */
void atomic_dir_of(const char *path, char dir[PATH_MAX]);

/* Takes an exclusive flock on lockpath (created 0600 when missing), waiting
 * at most timeout_ms (0: do not wait). Returns the fd to pass to
 * atomic_unlock, or -1 (errno EWOULDBLOCK when another holder kept it). */
int atomic_lock(const char *lockpath, int timeout_ms);
void atomic_unlock(int fd);

#endif
