/* control.c: qmail's control files and users/assign: parse, edit, rebuild cdbs, undo. */
#include <cdb.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "control.h"
#include "errbuf.h"
#include "io.h"

int
ctl_buf_add(struct ctl_buf *b, const void *p, size_t len)
{
	size_t cap;
	char *np;

	if (len > (size_t)CONTROL_MAX_FILE ||
	    b->len > (size_t)CONTROL_MAX_FILE - len) {
		errno = EFBIG;
		return -1;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + len + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL)
			return -1;
		b->p = np;
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

void
ctl_buf_free(struct ctl_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int
ctl_read(const char *path, struct ctl_buf *b)
{
	char chunk[8192];
	ssize_t r;
	int fd;

	b->len = 0;
	if (ctl_buf_add(b, "", 0) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (ctl_buf_add(b, chunk, (size_t)r) < 0) {
			r = -1;
			break;
		}
	}
	if (r < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 1;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
equal_fold(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return 0;
	for (i = 0; i < alen; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* The entry of one line (without its newline) for kind; its text in
 * [*k, *k + *klen). Returns 0 when the line has no entry (comment, blank,
 * another kind of line). */
static int
line_entry(const char *s, size_t n, enum ctl_kind kind, const char **k,
    size_t *klen)
{
	const char *colon;

	switch (kind) {
	case CTL_HOSTS:
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
		    s[n - 1] == '\r'))
			n--;
		if (n == 0 || s[0] == '#')
			return 0;
		*k = s;
		*klen = n;
		return 1;
	case CTL_VIRTUAL:
		if (n == 0 || s[0] == '#')
			return 0;
		colon = memchr(s, ':', n);
		if (colon == NULL)
			return 0;
		*k = s;
		*klen = (size_t)(colon - s);
		return 1;
	case CTL_ASSIGN:
		if (n < 3 || s[0] != '+')
			return 0;
		colon = memchr(s, ':', n);
		if (colon == NULL || colon - s < 2 || colon[-1] != '-')
			return 0;
		*k = s + 1;
		*klen = (size_t)(colon - s) - 2;
		return 1;
	}
	return 0;
}

/* Calls fn for each line: start, length without newline, has newline. */
#define FOR_EACH_LINE(in, len, s, n, pos, nl)				\
	for ((pos) = 0; (pos) < (len) &&				\
	    ((s) = (in) + (pos),					\
	    (nl) = memchr((s), '\n', (len) - (pos)),			\
	    (n) = (nl) ? (size_t)((const char *)(nl) - (s)) : (len) - (pos), 1); \
	    (pos) += (n) + ((nl) != NULL))

int
ctl_remove(const char *in, size_t len, enum ctl_kind kind, const char *key,
    struct ctl_buf *out)
{
	const char *s, *nl, *k;
	size_t n, pos, klen;
	int dropped = 0;

	out->len = 0;
	if (ctl_buf_add(out, "", 0) < 0)
		return -1;
	FOR_EACH_LINE(in, len, s, n, pos, nl) {
		if (line_entry(s, n, kind, &k, &klen) &&
		    equal_fold(k, klen, key, strlen(key))) {
			dropped++;
			continue;
		}
		if (ctl_buf_add(out, s, n + (nl != NULL)) < 0)
			return -1;
	}
	return dropped;
}

int
ctl_has(const char *in, size_t len, enum ctl_kind kind, const char *key)
{
	const char *s, *nl, *k;
	size_t n, pos, klen;

	FOR_EACH_LINE(in, len, s, n, pos, nl)
		if (line_entry(s, n, kind, &k, &klen) &&
		    equal_fold(k, klen, key, strlen(key)))
			return 1;
	return 0;
}

int
ctl_append(struct ctl_buf *b, enum ctl_kind kind, const char *line)
{
	const char *s, *nl;
	size_t n, pos, dot = (size_t)-1;
	struct ctl_buf tail = { NULL, 0, 0 };
	int rc;

	if (kind == CTL_ASSIGN) {
		/* qmail-newu stops at the first line starting with '.'. */
		FOR_EACH_LINE(b->p, b->len, s, n, pos, nl) {
			if (n > 0 && s[0] == '.') {
				dot = pos;
				break;
			}
		}
		if (dot != (size_t)-1) {
			if (ctl_buf_add(&tail, b->p + dot, b->len - dot) < 0)
				return -1;
			b->len = dot;
		} else if (ctl_buf_add(&tail, ".\n", 2) < 0) {
			return -1;
		}
	}
	rc = 0;
	if (b->len > 0 && b->p[b->len - 1] != '\n')
		rc = ctl_buf_add(b, "\n", 1);
	if (rc == 0)
		rc = ctl_buf_add(b, line, strlen(line));
	if (rc == 0)
		rc = ctl_buf_add(b, "\n", 1);
	if (rc == 0 && tail.len > 0)
		rc = ctl_buf_add(b, tail.p, tail.len);
	ctl_buf_free(&tail);
	return rc;
}

size_t
ctl_count_hosts(const char *in, size_t len)
{
	const char *s, *nl, *k;
	size_t n, pos, klen, count = 0;

	FOR_EACH_LINE(in, len, s, n, pos, nl)
		if (line_entry(s, n, CTL_HOSTS, &k, &klen))
			count++;
	return count;
}

/* "+NAME-:REAL:UID:GID:DIR:-::" -> e. Returns 0, or -1 when malformed. */
static int
assign_parse(const char *s, size_t n, struct assign_entry *e)
{
	const char *f[7], *p = s, *end = s + n, *colon;
	size_t flen[7];
	char num[24];
	char *stop;
	int i;

	memset(e, 0, sizeof(*e));
	for (i = 0; i < 7; i++) {
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon == NULL)
			return -1;
		f[i] = p;
		flen[i] = (size_t)(colon - p);
		p = colon + 1;
	}
	/* f[0] is "+NAME-". */
	if (flen[0] < 3 || flen[0] - 2 > NAME_MAX_DOMAIN ||
	    flen[1] > NAME_MAX_DOMAIN || flen[4] >= sizeof(e->dir) ||
	    flen[2] >= sizeof(num) || flen[3] >= sizeof(num))
		return -1;
	memcpy(e->name, f[0] + 1, flen[0] - 2);
	name_fold(e->name, flen[0] - 2);
	memcpy(e->real, f[1], flen[1]);
	name_fold(e->real, flen[1]);
	memcpy(e->dir, f[4], flen[4]);
	memcpy(num, f[2], flen[2]);
	num[flen[2]] = '\0';
	e->uid = strtoul(num, &stop, 10);
	if (stop == num || *stop != '\0')
		return -1;
	memcpy(num, f[3], flen[3]);
	num[flen[3]] = '\0';
	e->gid = strtoul(num, &stop, 10);
	if (stop == num || *stop != '\0')
		return -1;
	return 0;
}

int
assign_each(const char *in, size_t len,
    int (*fn)(void *, const struct assign_entry *), void *arg)
{
	const char *s, *nl, *k;
	size_t n, pos, klen;
	struct assign_entry e;

	FOR_EACH_LINE(in, len, s, n, pos, nl) {
		if (n > 0 && s[0] == '.')
			break;
		if (!line_entry(s, n, CTL_ASSIGN, &k, &klen))
			continue;
		if (assign_parse(s, n, &e) < 0)
			continue;	/* not one of vpopmail's domain lines */
		if (fn(arg, &e) < 0)
			return -1;
	}
	return 0;
}

int
assign_find(const char *in, size_t len, const char *name,
    struct assign_entry *e)
{
	const char *s, *nl, *k;
	size_t n, pos, klen;

	FOR_EACH_LINE(in, len, s, n, pos, nl) {
		if (n > 0 && s[0] == '.')
			break;
		if (line_entry(s, n, CTL_ASSIGN, &k, &klen) &&
		    equal_fold(k, klen, name, strlen(name)))
			return assign_parse(s, n, e) < 0 ? -1 : 1;
	}
	return 0;
}

/*
 * users/assign, as qmail-newu(8) reads it: lines up to one starting with
 * '.'; "=local:user:uid:gid:home:dash:ext:" gives key "!local\0", and
 * "+prefix:user:uid:gid:home:dash:pre:" key "!prefix", both folded to lower
 * case; the data is the six fields after the first colon, each ended by a
 * NUL except the last. The key "" holds the last character of every
 * prefix, each once, in order of first appearance.
 */
int
ctl_build_users_cdb(const char *in, size_t len, int fd, char *err,
    size_t errlen)
{
	char key[CONTROL_MAX_LINE + 2], data[CONTROL_MAX_LINE], wild[256];
	const char *s, *nl, *colon;
	size_t n, pos, i, klen, dlen, nwild = 0;
	struct cdb_make cm;
	int colons, ended = 0;

	if (cdb_make_start(&cm, fd) < 0)
		return errf(err, errlen, "unable to write users/cdb: %s",
		    strerror(errno));
	FOR_EACH_LINE(in, len, s, n, pos, nl) {
		if (n > 0 && s[0] == '.') {
			ended = 1;
			break;
		}
		if (nl == NULL || memchr(s, '\0', n) != NULL)
			goto format;
		colon = memchr(s, ':', n);
		if (colon == NULL || colon == s)
			goto format;
		i = (size_t)(colon - s);
		if (i > CONTROL_MAX_LINE || n - i - 1 > sizeof(data))
			goto format;
		key[0] = '!';
		memcpy(key + 1, s + 1, i - 1);
		klen = i;
		if (s[0] != '+')
			key[klen++] = '\0';
		else if (i >= 2 && memchr(wild, s[i - 1], nwild) == NULL)
			wild[nwild++] = s[i - 1];
		name_fold(key, klen);
		colons = 0;
		for (dlen = 0; dlen < n - i - 1; dlen++) {
			data[dlen] = s[i + 1 + dlen];
			if (data[dlen] == ':') {
				data[dlen] = '\0';
				if (++colons == 6)
					break;
			}
		}
		if (colons < 6)
			goto format;
		if (cdb_make_add(&cm, key, (unsigned)klen, data,
		    (unsigned)dlen) < 0)
			goto write;
	}
	if (!ended) {
		(void)cdb_make_finish(&cm);	/* frees tinycdb's tables */
		return errf(err, errlen, "bad format in users/assign: no "
		    "final '.' line");
	}
	if (cdb_make_add(&cm, "", 0, wild, (unsigned)nwild) < 0 ||
	    cdb_make_finish(&cm) < 0)
		goto write;
	return 0;
format:
	/* tinycdb frees its tables only in finish; the temp file is
	 * thrown away anyway. */
	(void)cdb_make_finish(&cm);
	return errf(err, errlen, "bad format in users/assign: '%.*s'",
	    (int)(n > 80 ? 80 : n), s);
write:
	(void)cdb_make_finish(&cm);
	return errf(err, errlen, "unable to write users/cdb: %s",
	    strerror(errno));
}

/* morercpthosts, as qmail-newmrh(8) reads it: each line folded to lower
 * case, trailing blanks dropped; a key with empty data for each line left
 * that is not empty and does not start with '#'. */
int
ctl_build_hosts_cdb(const char *in, size_t len, int fd)
{
	char key[CONTROL_MAX_LINE];
	const char *s, *nl;
	size_t n, m, pos;
	struct cdb_make cm;

	if (cdb_make_start(&cm, fd) < 0)
		return -1;
	FOR_EACH_LINE(in, len, s, n, pos, nl) {
		/* m, not n: the loop steps to the next line by n. */
		m = n;
		while (m > 0 && (s[m - 1] == ' ' || s[m - 1] == '\t'))
			m--;
		if (m == 0 || s[0] == '#')
			continue;
		if (m > sizeof(key)) {
			(void)cdb_make_finish(&cm);
			errno = E2BIG;
			return -1;
		}
		memcpy(key, s, m);
		name_fold(key, m);
		if (cdb_make_add(&cm, key, (unsigned)m, "", 0) < 0) {
			(void)cdb_make_finish(&cm);
			return -1;
		}
	}
	return cdb_make_finish(&cm);
}

/* Saves path's current content in t (once per path). Returns 0 or -1. */
static int
save(struct ctl_txn *t, const char *path, char *err, size_t errlen)
{
	struct ctl_saved *sv;
	struct ctl_buf b = { NULL, 0, 0 };
	struct stat st;
	int i, r;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->f[i].path, path) == 0)
			return 0;
	if (t->n == CONTROL_MAX_TXN)
		return errf(err, errlen, "too many files in one change");
	sv = &t->f[t->n];
	if (strlen(path) >= sizeof(sv->path))
		return errf(err, errlen, "path too long: %s", path);
	r = ctl_read(path, &b);
	if (r < 0) {
		ctl_buf_free(&b);
		return errf(err, errlen, "unable to read %s: %s", path,
		    strerror(errno));
	}
	snprintf(sv->path, sizeof(sv->path), "%s", path);
	sv->data = b.p;
	sv->len = b.len;
	sv->existed = r == 1;
	sv->mode = r == 1 && stat(path, &st) == 0 ? st.st_mode & 07777 :
	    CONTROL_MODE;
	t->n++;
	return 0;
}

int
ctl_txn_write(struct ctl_txn *t, const char *path, const void *data,
    size_t len, char *err, size_t errlen)
{
	if (save(t, path, err, errlen) < 0)
		return -1;
	if (atomic_replace(path, data, len, CONTROL_MODE) < 0)
		return errf(err, errlen, "unable to write %s: %s", path,
		    strerror(errno));
	return 0;
}

int
ctl_txn_build(struct ctl_txn *t, const char *path,
    int (*fn)(void *, int, char *, size_t), void *arg, char *err,
    size_t errlen)
{
	struct atomic_file af;

	if (save(t, path, err, errlen) < 0)
		return -1;
	if (atomic_begin(&af, path, CONTROL_MODE) < 0)
		return errf(err, errlen, "unable to write %s: %s", path,
		    strerror(errno));
	if (fn(arg, af.fd, err, errlen) < 0) {
		atomic_abort(&af);
		return -1;
	}
	if (atomic_commit(&af) < 0)
		return errf(err, errlen, "unable to write %s: %s", path,
		    strerror(errno));
	return 0;
}

int
ctl_txn_unlink(struct ctl_txn *t, const char *path, char *err, size_t errlen)
{
	if (save(t, path, err, errlen) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return errf(err, errlen, "unable to remove %s: %s", path,
		    strerror(errno));
	return 0;
}

int
ctl_txn_rollback(struct ctl_txn *t, char *err, size_t errlen)
{
	struct ctl_saved *sv;
	int rc = 0;

	while (t->n > 0) {
		sv = &t->f[--t->n];
		if (sv->existed) {
			/* A file we unlinked comes back with its old mode. */
			if (atomic_replace(sv->path, sv->data, sv->len,
			    sv->mode) < 0)
				rc = errf(err, errlen, "unable to restore %s: %s",
				    sv->path, strerror(errno));
		} else if (unlink(sv->path) < 0 && errno != ENOENT) {
			rc = errf(err, errlen, "unable to remove %s: %s",
			    sv->path, strerror(errno));
		}
		free(sv->data);
		sv->data = NULL;
	}
	return rc;
}

void
ctl_txn_done(struct ctl_txn *t)
{
	while (t->n > 0) {
		free(t->f[--t->n].data);
		t->f[t->n].data = NULL;
	}
}

int
ctl_path(const struct conf *c, const char *rel, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", c->qmail_dir, rel);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The files vadmin replaces, relative to qmail_dir. */
static const char *const managed[] = {
	"control/rcpthosts", "control/morercpthosts",
	"control/morercpthosts.cdb", "control/virtualdomains",
	"control/locals", "users/assign", "users/cdb", NULL,
};

/* atomic_begin names temp files "NAME.tmp.PID". Under the lock none of
 * ours can be in use, so any left is from a killed run. */
static void
remove_stale_temps(const struct conf *c)
{
	char dirpath[PATH_MAX], path[PATH_MAX * 2];
	const char *slash, *base;
	size_t blen, i, j;
	struct dirent *de;
	DIR *d;

	for (i = 0; managed[i] != NULL; i++) {
		slash = strchr(managed[i], '/');
		snprintf(dirpath, sizeof(dirpath), "%s/%.*s", c->qmail_dir,
		    (int)(slash - managed[i]), managed[i]);
		base = slash + 1;
		blen = strlen(base);
		d = opendir(dirpath);
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, base, blen) != 0 ||
			    strncmp(de->d_name + blen, ".tmp.", 5) != 0 ||
			    de->d_name[blen + 5] == '\0')
				continue;
			for (j = blen + 5; de->d_name[j] >= '0' &&
			    de->d_name[j] <= '9'; j++)
				;
			if (de->d_name[j] != '\0')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirpath,
			    de->d_name);
			(void)unlink(path);
		}
		closedir(d);
	}
}

static int build_users(void *arg, int fd, char *err, size_t errlen);
static int build_hosts(void *arg, int fd, char *err, size_t errlen);

struct build_arg {
	const char *text;
	size_t len;
};

/* 1 when a is older than b (or missing while b exists). */
static int
older(const char *a, const char *b)
{
	struct stat sa, sb;

	if (stat(b, &sb) < 0)
		return 0;
	if (stat(a, &sa) < 0)
		return 1;
	return sa.st_mtim.tv_sec < sb.st_mtim.tv_sec ||
	    (sa.st_mtim.tv_sec == sb.st_mtim.tv_sec &&
	    sa.st_mtim.tv_nsec < sb.st_mtim.tv_nsec);
}

/* Rebuilds a cdb older than its source, as a run killed between writing
 * the one and the other leaves it (or an admin who edited users/assign
 * and did not run qmail-newu). Returns 0 or -1 with err. */
static int
mend(const struct conf *c, const char *src_rel, const char *cdb_rel,
    int (*fn)(void *, int, char *, size_t), char *err, size_t errlen)
{
	struct ctl_buf b = { NULL, 0, 0 };
	struct build_arg ba;
	struct ctl_txn t;
	char src[PATH_MAX], cdb[PATH_MAX];
	int rc;

	if (ctl_path(c, src_rel, src, sizeof(src)) < 0 ||
	    ctl_path(c, cdb_rel, cdb, sizeof(cdb)) < 0)
		return errf(err, errlen, "qmail_dir too long");
	if (!older(cdb, src))
		return 0;
	if (ctl_read(src, &b) < 0) {
		ctl_buf_free(&b);
		return errf(err, errlen, "unable to read %s: %s", src,
		    strerror(errno));
	}
	ba.text = b.p;
	ba.len = b.len;
	memset(&t, 0, sizeof(t));
	rc = ctl_txn_build(&t, cdb, fn, &ba, err, errlen);
	ctl_txn_done(&t);
	ctl_buf_free(&b);
	return rc;
}

int
ctl_lock(const struct conf *c, char *err, size_t errlen)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int fd;

	if (c->lock_file[0] != '\0') {
		snprintf(path, sizeof(path), "%s", c->lock_file);
	} else {
		snprintf(dir, sizeof(dir), "%s/etc", c->vpopmail_dir);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return errf(err, errlen, "unable to create %s: %s", dir,
			    strerror(errno));
		if (snprintf(path, sizeof(path), "%s/vadmin.lock", dir) >=
		    (int)sizeof(path))
			return errf(err, errlen, "lock path too long");
	}
	fd = atomic_lock(path, c->lock_timeout * 1000);
	if (fd < 0) {
		if (errno == EWOULDBLOCK)
			return errf(err, errlen, "another vadmin holds %s "
			    "(waited %d s); try again", path, c->lock_timeout);
		return errf(err, errlen, "unable to lock %s: %s", path,
		    strerror(errno));
	}
	remove_stale_temps(c);
	if (mend(c, "users/assign", "users/cdb", build_users, err,
	    errlen) < 0 ||
	    mend(c, "control/morercpthosts", "control/morercpthosts.cdb",
	    build_hosts, err, errlen) < 0) {
		atomic_unlock(fd);
		return -1;
	}
	return fd;
}

void
ctl_unlock(int fd)
{
	atomic_unlock(fd);
}

int
ctl_domain_lookup(const struct conf *c, const char *name,
    struct assign_entry *e, char *err, size_t errlen)
{
	struct ctl_buf b = { NULL, 0, 0 };
	char path[PATH_MAX];
	int r;

	if (ctl_path(c, "users/assign", path, sizeof(path)) < 0)
		return errf(err, errlen, "qmail_dir too long");
	if (ctl_read(path, &b) < 0) {
		ctl_buf_free(&b);
		return errf(err, errlen, "unable to read %s: %s", path,
		    strerror(errno));
	}
	r = assign_find(b.p, b.len, name, e);
	ctl_buf_free(&b);
	if (r < 0)
		return errf(err, errlen, "%s: malformed entry for %s", path,
		    name);
	return r;
}

static int
build_users(void *arg, int fd, char *err, size_t errlen)
{
	const struct build_arg *a = arg;

	return ctl_build_users_cdb(a->text, a->len, fd, err, errlen);
}

static int
build_hosts(void *arg, int fd, char *err, size_t errlen)
{
	const struct build_arg *a = arg;

	if (ctl_build_hosts_cdb(a->text, a->len, fd) < 0)
		return errf(err, errlen, "unable to build morercpthosts.cdb: %s",
		    strerror(errno));
	return 0;
}

/* Edits one file: drops key's lines, appends line when not NULL, writes
 * the result if it differs. out gets the new text. */
static int
edit(struct ctl_txn *t, const struct conf *c, const char *rel,
    enum ctl_kind kind, const char *key, const char *line,
    struct ctl_buf *out, int *existed, char *err, size_t errlen)
{
	struct ctl_buf old = { NULL, 0, 0 };
	char path[PATH_MAX];
	int r, rc = -1;

	if (ctl_path(c, rel, path, sizeof(path)) < 0)
		return errf(err, errlen, "qmail_dir too long");
	r = ctl_read(path, &old);
	if (r < 0) {
		errf(err, errlen, "unable to read %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (existed != NULL)
		*existed = r;
	if (ctl_remove(old.p, old.len, kind, key, out) < 0 ||
	    (line != NULL && ctl_append(out, kind, line) < 0)) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	rc = 0;
	if (r == 0 && line == NULL)
		goto done;		/* nothing to remove from a missing file */
	if (r == 1 && out->len == old.len &&
	    memcmp(out->p, old.p, old.len) == 0)
		goto done;		/* already as wanted: no rewrite */
	rc = ctl_txn_write(t, path, out->p, out->len, err, errlen);
done:
	ctl_buf_free(&old);
	return rc;
}

/* Rebuilds users/cdb from users/assign text: always, so that a cdb left
 * stale by a killed run is mended by the next command. */
static int
rebuild_users(struct ctl_txn *t, const struct conf *c, const struct ctl_buf *a,
    char *err, size_t errlen)
{
	struct build_arg ba = { a->p, a->len };
	char path[PATH_MAX];

	if (ctl_path(c, "users/cdb", path, sizeof(path)) < 0)
		return errf(err, errlen, "qmail_dir too long");
	return ctl_txn_build(t, path, build_users, &ba, err, errlen);
}

/* Rebuilds morercpthosts.cdb, or removes both files when no line is left. */
static int
rebuild_more(struct ctl_txn *t, const struct conf *c, const struct ctl_buf *m,
    char *err, size_t errlen)
{
	struct build_arg ba = { m->p, m->len };
	char path[PATH_MAX], cdbpath[PATH_MAX];

	if (ctl_path(c, "control/morercpthosts", path, sizeof(path)) < 0 ||
	    ctl_path(c, "control/morercpthosts.cdb", cdbpath,
	    sizeof(cdbpath)) < 0)
		return errf(err, errlen, "qmail_dir too long");
	if (m->len == 0)
		return ctl_txn_unlink(t, cdbpath, err, errlen) < 0 ? -1 :
		    ctl_txn_unlink(t, path, err, errlen);
	return ctl_txn_build(t, cdbpath, build_hosts, &ba, err, errlen);
}

static int
users_dir(const struct conf *c, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (ctl_path(c, "users", path, sizeof(path)) < 0)
		return errf(err, errlen, "qmail_dir too long");
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return errf(err, errlen, "unable to create %s: %s", path,
		    strerror(errno));
	return 0;
}

int
ctl_add_domain(struct ctl_txn *t, const struct conf *c, const char *name,
    const char *real, unsigned long uid, unsigned long gid, const char *dir,
    char *err, size_t errlen)
{
	struct ctl_buf assign = { NULL, 0, 0 }, rh = { NULL, 0, 0 },
	    more = { NULL, 0, 0 }, scratch = { NULL, 0, 0 };
	char line[CONTROL_MAX_LINE], path[PATH_MAX];
	int n, rc = -1;

	n = snprintf(line, sizeof(line), "+%s-:%s:%lu:%lu:%s:-::", name, real,
	    uid, gid, dir);
	if (n < 0 || (size_t)n >= sizeof(line) || strchr(dir, ':') != NULL ||
	    strchr(dir, '\n') != NULL) {
		errf(err, errlen, "domain directory %s cannot be put in "
		    "users/assign", dir);
		goto done;
	}
	if (users_dir(c, err, errlen) < 0 ||
	    edit(t, c, "users/assign", CTL_ASSIGN, name, line, &assign, NULL,
	    err, errlen) < 0 ||
	    rebuild_users(t, c, &assign, err, errlen) < 0)
		goto done;

	/* rcpthosts while it holds fewer than 50, then morercpthosts. */
	if (ctl_path(c, "control/rcpthosts", path, sizeof(path)) < 0 ||
	    ctl_read(path, &rh) < 0) {
		errf(err, errlen, "unable to read %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (ctl_path(c, "control/morercpthosts", path, sizeof(path)) < 0 ||
	    ctl_read(path, &more) < 0) {
		errf(err, errlen, "unable to read %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (ctl_has(more.p, more.len, CTL_HOSTS, name)) {
		if (rebuild_more(t, c, &more, err, errlen) < 0)
			goto done;
	} else if (!ctl_has(rh.p, rh.len, CTL_HOSTS, name)) {
		if (ctl_count_hosts(rh.p, rh.len) < CONTROL_RCPTHOSTS_MAX) {
			if (edit(t, c, "control/rcpthosts", CTL_HOSTS, name,
			    name, &scratch, NULL, err, errlen) < 0)
				goto done;
		} else {
			if (edit(t, c, "control/morercpthosts", CTL_HOSTS, name,
			    name, &more, NULL, err, errlen) < 0 ||
			    rebuild_more(t, c, &more, err, errlen) < 0)
				goto done;
		}
	}
	n = snprintf(line, sizeof(line), "%s:%s", name, name);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		errf(err, errlen, "domain too long for virtualdomains: %s",
		    name);
		goto done;
	}
	if (edit(t, c, "control/virtualdomains", CTL_VIRTUAL, name, line,
	    &scratch, NULL, err, errlen) < 0)
		goto done;
	/* qmail delivers a domain in locals to local users, never to the
	 * virtual domain. */
	if (edit(t, c, "control/locals", CTL_HOSTS, name, NULL, &scratch, NULL,
	    err, errlen) < 0)
		goto done;
	rc = 0;
done:
	ctl_buf_free(&assign);
	ctl_buf_free(&rh);
	ctl_buf_free(&more);
	ctl_buf_free(&scratch);
	return rc;
}

int
ctl_del_domain(struct ctl_txn *t, const struct conf *c, const char *name,
    char *err, size_t errlen)
{
	struct ctl_buf assign = { NULL, 0, 0 }, more = { NULL, 0, 0 },
	    scratch = { NULL, 0, 0 };
	int had_more = 0, rc = -1;

	if (edit(t, c, "users/assign", CTL_ASSIGN, name, NULL, &assign, NULL,
	    err, errlen) < 0 ||
	    rebuild_users(t, c, &assign, err, errlen) < 0 ||
	    edit(t, c, "control/rcpthosts", CTL_HOSTS, name, NULL, &scratch,
	    NULL, err, errlen) < 0 ||
	    edit(t, c, "control/morercpthosts", CTL_HOSTS, name, NULL, &more,
	    &had_more, err, errlen) < 0 ||
	    (had_more && rebuild_more(t, c, &more, err, errlen) < 0) ||
	    edit(t, c, "control/virtualdomains", CTL_VIRTUAL, name, NULL,
	    &scratch, NULL, err, errlen) < 0)
		goto done;
	rc = 0;
done:
	ctl_buf_free(&assign);
	ctl_buf_free(&more);
	ctl_buf_free(&scratch);
	return rc;
}
