/* userdir.c: where a user's directory goes, and making and removing it. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

int
userdir_mkdirs(const char *base, const char *path, uid_t uid, gid_t gid,
    mode_t mode)
{
	char buf[4096];
	size_t blen = strlen(base), i;

	if (strlen(path) >= sizeof(buf) || strncmp(path, base, blen) != 0) {
		errno = EINVAL;
		return -1;
	}
	memcpy(buf, path, strlen(path) + 1);
	for (i = blen + 1; ; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		{
			char c = buf[i];

			buf[i] = '\0';
			if (mkdir(buf, mode) == 0) {
				if (chown(buf, uid, gid) < 0)
					return -1;
			} else if (errno != EEXIST) {
				return -1;
			}
			buf[i] = c;
		}
		if (buf[i] == '\0')
			break;
	}
	return 0;
}

int
userdir_make_home(const char *home, uid_t uid, gid_t gid)
{
	static const char *const sub[] = {
		"Maildir", "Maildir/cur", "Maildir/new", "Maildir/tmp", NULL,
	};
	char path[4096];
	int i, saved;

	if (mkdir(home, 0700) < 0)
		return -1;
	if (chown(home, uid, gid) < 0)
		goto fail;
	for (i = 0; sub[i] != NULL; i++) {
		if (snprintf(path, sizeof(path), "%s/%s", home, sub[i]) >=
		    (int)sizeof(path)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		if (mkdir(path, 0700) < 0 || chown(path, uid, gid) < 0)
			goto fail;
	}
	return 0;
fail:
	saved = errno;
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
