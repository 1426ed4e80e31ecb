/* control.h: qmail's control files and users/assign: parse, edit, rebuild cdbs, undo. */
#ifndef VADMIN_CONTROL_H
#define VADMIN_CONTROL_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "name.h"

/* Largest control file or users/assign vadmin reads. */
#define CONTROL_MAX_FILE  (64L << 20)
/* Longest line vadmin writes or parses as an entry. */
#define CONTROL_MAX_LINE  1024
/* Files one command may change (and must be able to put back). */
#define CONTROL_MAX_TXN   16
/* Hosts in control/rcpthosts before new ones go to morercpthosts
 * (qmail-smtpd reads rcpthosts whole, morercpthosts.cdb by lookup). */
#define CONTROL_RCPTHOSTS_MAX 50
/* Mode of every control file and users/assign, users/cdb vadmin creates. */
#define CONTROL_MODE      0644

struct ctl_buf {
	char *p;
	size_t len, cap;
};

/* One users/assign line "+NAME-:REAL:UID:GID:DIR:-::" (vpopmail's domain
 * entry; REAL differs from NAME for an alias domain). */
struct assign_entry {
	char name[NAME_MAX_DOMAIN + 1];
	char real[NAME_MAX_DOMAIN + 1];
	unsigned long uid, gid;
	char dir[PATH_MAX];
};

/* Appends len bytes. Returns 0 or -1 (ENOMEM, or EFBIG past
 * CONTROL_MAX_FILE). */
int ctl_buf_add(struct ctl_buf *b, const void *p, size_t len);
void ctl_buf_free(struct ctl_buf *b);

/* Reads path whole into b (emptied first). A missing file reads as empty
 * and returns 0; otherwise returns 1 when it existed, or -1 with errno
 * (EFBIG over CONTROL_MAX_FILE). */
int ctl_read(const char *path, struct ctl_buf *b);

/* What a line's entry is, for matching. */
enum ctl_kind {
	CTL_HOSTS,	/* rcpthosts, morercpthosts, locals: "host" */
	CTL_VIRTUAL,	/* virtualdomains: "host:prefix" */
	CTL_ASSIGN,	/* users/assign: "+host-:..." */
};

/* Copies in[0..len) to out without the lines whose entry is key (ASCII
 * case folded; trailing blanks ignored, as qmail does). Comments and every
 * other line are kept byte for byte; a last line without a newline keeps
 * lacking it. Returns the number of lines dropped, or -1. */
int ctl_remove(const char *in, size_t len, enum ctl_kind kind,
    const char *key, struct ctl_buf *out);

/* 1 when a line of in has key as its entry, else 0. */
int ctl_has(const char *in, size_t len, enum ctl_kind kind, const char *key);

/* Appends line (no newline) to b, adding a missing final newline first.
 * For CTL_ASSIGN the line goes before the terminating "." line, which is
 * added when missing. Returns 0 or -1. */
int ctl_append(struct ctl_buf *b, enum ctl_kind kind, const char *line);

/* Counts hosts in rcpthosts text: lines that are neither blank nor
 * comments. */
size_t ctl_count_hosts(const char *in, size_t len);

/* Finds name's "+name-:" entry in users/assign text. Returns 1 found (e
 * filled), 0 not found, -1 malformed entry. */
int assign_find(const char *in, size_t len, const char *name,
    struct assign_entry *e);

/* Calls fn for every vpopmail domain entry ("+x-:..." with six colons) in
 * order. fn returns 0 to go on, -1 to stop (then returns -1). */
int assign_each(const char *in, size_t len,
    int (*fn)(void *arg, const struct assign_entry *e), void *arg);

/* Writes the cdb qmail-newu would build from users/assign text to fd (a
 * new, empty file). Returns 0, or -1 with a message in err ("bad format in
 * users/assign" and the line, as qmail-newu would refuse it). */
int ctl_build_users_cdb(const char *assign, size_t len, int fd, char *err,
    size_t errlen);

/* Writes the cdb qmail-newmrh would build from morercpthosts text to fd.
 * Returns 0 or -1 with errno. */
int ctl_build_hosts_cdb(const char *text, size_t len, int fd);

/* Remembers what each changed file held, so that a failed command can put
 * every one back. */
struct ctl_saved {
	char path[PATH_MAX];
	char *data;
	size_t len;
	mode_t mode;
	int existed;
};

struct ctl_txn {
	int n;
	struct ctl_saved f[CONTROL_MAX_TXN];
};

/* Replaces path with data atomically, having saved its old content in t.
 * Returns 0 or -1 with a message in err. */
int ctl_txn_write(struct ctl_txn *t, const char *path, const void *data,
    size_t len, char *err, size_t errlen);

/* Same, the new content built by fn writing to the temp file's fd (for
 * cdbs). fn returns 0 or -1 with err set. */
int ctl_txn_build(struct ctl_txn *t, const char *path,
    int (*fn)(void *arg, int fd, char *err, size_t errlen), void *arg,
    char *err, size_t errlen);

/* Removes path (missing is fine), having saved it. Returns 0 or -1. */
int ctl_txn_unlink(struct ctl_txn *t, const char *path, char *err,
    size_t errlen);

/* Puts back every saved file, latest first. Returns 0, or -1 when one
 * could not be restored (its path named in err). Frees t's copies. */
int ctl_txn_rollback(struct ctl_txn *t, char *err, size_t errlen);

/* Forgets the saved copies: the changes stay. */
void ctl_txn_done(struct ctl_txn *t);

/* qmail's file paths under conf->qmail_dir. Return 0, or -1 when too
 * long. */
int ctl_path(const struct conf *c, const char *rel, char *out, size_t cap);

/* Takes vadmin's lock (conf lock_file), waiting lock_timeout seconds,
 * removes temp files a killed run left beside the files vadmin writes, and
 * rebuilds users/cdb or morercpthosts.cdb when older than its source.
 * Returns the fd for ctl_unlock, or -1 with a message in err. */
int ctl_lock(const struct conf *c, char *err, size_t errlen);
void ctl_unlock(int fd);

/* Under the lock: adds the domain entries for name (its own domain when
 * real == name, else an alias of real) to users/assign and users/cdb,
 * rcpthosts or morercpthosts (+ .cdb), virtualdomains, and drops it from
 * locals. Every changed file is saved in t. Returns 0 or -1 with err. */
int ctl_add_domain(struct ctl_txn *t, const struct conf *c, const char *name,
    const char *real, unsigned long uid, unsigned long gid, const char *dir,
    char *err, size_t errlen);

/* Under the lock: removes name's entries from all of those files;
 * morercpthosts and its cdb go away when no line is left. */
int ctl_del_domain(struct ctl_txn *t, const struct conf *c, const char *name,
    char *err, size_t errlen);

/* Reads users/assign and finds name (see assign_find). Returns 1, 0 or -1
 * with err. */
int ctl_domain_lookup(const struct conf *c, const char *name,
    struct assign_entry *e, char *err, size_t errlen);

#endif
