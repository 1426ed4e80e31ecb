/* userdir.c: where a user's directory goes, and making and removing it. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userdir.h"

static const char fanout[USERDIR_FANOUT + 1] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int
userdir_subdir(unsigned long index, unsigned long per_dir, char *out,
    size_t cap)
{
	unsigned long block, span = USERDIR_FANOUT;
	size_t pos = 0;
	int level, i;

	if (per_dir == 0 || cap < 1 + 3 * USERDIR_LEVELS) {
		errno = EINVAL;
		return -1;
	}
	out[0] = '\0';
	if (index < per_dir)
		return 0;
	index -= per_dir;
	for (level = 1; level <= USERDIR_LEVELS; level++) {
		if (index / per_dir < span) {
			block = index / per_dir;
			/* block in base 62, level digits, most significant first. */
			for (i = level - 1; i >= 0; i--) {
				unsigned long d = block;
				int k;

				for (k = 0; k < i; k++)
					d /= USERDIR_FANOUT;
				if (pos > 0)
					out[pos++] = '/';
				out[pos++] = '-';
				out[pos++] = fanout[d % USERDIR_FANOUT];
			}
			out[pos] = '\0';
			return 0;
		}
		index -= span * per_dir;
		span *= USERDIR_FANOUT;
	}
	errno = E2BIG;
	return -1;
}

/* Opens the directory comp inside cur. A symlink is followed only in a
 * directory that nobody but root can write: anywhere else its owner (the
 * virtual uid, which every POP/IMAP session runs as) could swap one in
 * between our mkdir and chown, and have root chown a file of its choice. */
static int
open_step(int cur, const char *comp)
{
	struct stat st;
	int fd;

	fd = openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || (errno != ELOOP && errno != ENOTDIR))
		return fd;
	if (fstat(cur, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
		errno = ELOOP;
		return -1;
	}
	return openat(cur, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* mkdir comp in cur (EEXIST allowed when exist_ok), open it without
 * following a symlink, and give it uid:gid when we made it. Returns its fd
 * or -1 with errno. */
static int
make_step(int cur, const char *comp, mode_t mode, uid_t uid, gid_t gid,
    int exist_ok)
{
	int made, fd;

	made = mkdirat(cur, comp, mode) == 0;
	if (!made && (errno != EEXIST || !exist_ok))
		return -1;
	fd = made ? openat(cur, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC) : open_step(cur, comp);
	if (fd < 0)
		return -1;
	if (made && fchown(fd, uid, gid) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Walks the absolute path from "/", component by component, creating
 * missing ones when create is set. Returns the last one's fd, or -1. */
static int
walk(const char *path, int create, mode_t mode, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX], *comp, *save = NULL;
	int cur, next, saved;

	if (path[0] != '/' || strlen(path) >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, path, strlen(path) + 1);
	cur = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -1;
	for (comp = strtok_r(buf, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		next = create ? make_step(cur, comp, mode, uid, gid, 1) :
		    open_step(cur, comp);
		saved = errno;
		close(cur);
		if (next < 0) {
			errno = saved;
			return -1;
		}
		cur = next;
	}
	return cur;
}

int
userdir_mkdirs(const char *base, const char *path, uid_t uid, gid_t gid,
    mode_t mode)
{
	int fd;

	if (strncmp(path, base, strlen(base)) != 0) {
		errno = EINVAL;
		return -1;
	}
	fd = walk(path, 1, mode, uid, gid);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int
userdir_mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	char parent[PATH_MAX], *slash;
	int dfd, fd, saved;

	if (snprintf(parent, sizeof(parent), "%s", path) >= (int)sizeof(parent)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	slash = strrchr(parent, '/');
	if (slash == NULL || slash[1] == '\0') {
		errno = EINVAL;
		return -1;
	}
	*slash = '\0';
	dfd = walk(parent[0] != '\0' ? parent : "/", 0, 0, 0, 0);
	if (dfd < 0)
		return -1;
	fd = make_step(dfd, slash + 1, mode, uid, gid, 0);
	saved = errno;
	close(dfd);
	if (fd < 0) {
		errno = saved;
		return -1;
	}
	return fd;
}

int
userdir_make_home(const char *home, uid_t uid, gid_t gid)
{
	static const char *const sub[] = { "cur", "new", "tmp", NULL };
	int hfd, mfd = -1, fd, i, saved;

	hfd = userdir_mkdir_owned(home, 0700, uid, gid);
	if (hfd < 0)
		return -1;
	mfd = make_step(hfd, "Maildir", 0700, uid, gid, 0);
	if (mfd < 0)
		goto fail;
	for (i = 0; sub[i] != NULL; i++) {
		fd = make_step(mfd, sub[i], 0700, uid, gid, 0);
		if (fd < 0)
			goto fail;
		close(fd);
	}
	close(mfd);
	close(hfd);
	return 0;
fail:
	saved = errno;
	if (mfd >= 0)
		close(mfd);
	close(hfd);
	(void)userdir_remove(home);
	errno = saved;
	return -1;
}

static int
remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (type == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static int
not_skeleton(const char *path, const struct stat *st, int type, struct FTW *f)
{
	const char *base = path + f->base;

	(void)st;
	if (type == FTW_D || type == FTW_DP)
		return 0;
	/* vadddomain's .qmail-default, or atomic_replace's temp file of it. */
	if (type == FTW_F && (strcmp(base, ".qmail-default") == 0 ||
	    strncmp(base, ".qmail-default.tmp.", 19) == 0))
		return 0;
	return 1;
}

int
userdir_is_skeleton(const char *path)
{
	return nftw(path, not_skeleton, 16, FTW_PHYS) == 0;
}

int
userdir_remove(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
userdir_trash(const char *path, char *out, size_t cap)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash == NULL) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(out, cap, "%.*s/.deleted-%s.%ld", (int)(slash - path),
	    path, slash + 1, (long)getpid());
	if (n < 0 || (size_t)n >= cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return rename(path, out);
}
