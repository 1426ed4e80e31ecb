/* userdir.h: where a user's directory goes, and making and removing it. */
#ifndef VADMIN_USERDIR_H
#define VADMIN_USERDIR_H

#include <stddef.h>
#include <sys/types.h>

/* Hashed subdirectories per level, and levels below the domain directory:
 * room for per_dir * (1 + 62 + 62^2 + 62^3) users. */
#define USERDIR_FANOUT 62
#define USERDIR_LEVELS 3

/* The subdirectory (relative to the domain directory, "" for none) of the
 * index-th user added to a domain (0-based): the first per_dir users go in
 * the domain directory, the next ones fill per_dir at a time the
 * subdirectories "-0" ... "-z", then "-0/-0" ..., so that no directory
 * holds more than per_dir users and USERDIR_FANOUT subdirectories. Names
 * start with '-', which no user name may, so they never meet a user's.
 * Returns 0, or -1 (errno E2BIG) past the last level. */
int userdir_subdir(unsigned long index, unsigned long per_dir, char *out,
    size_t cap);

/* mkdir -p for the absolute path (which starts with base): the components
 * it creates get uid:gid and mode. No symlink is followed except in a
 * directory only root can write. Returns 0 or -1 with errno. */
int userdir_mkdirs(const char *base, const char *path, uid_t uid, gid_t gid,
    mode_t mode);

/* Creates the directory path (which must not exist) with mode, owned by
 * uid:gid, without following a symlink anyone but root could have put in
 * its way. Returns an open fd of it (the caller closes it), or -1 with
 * errno (EEXIST when it exists). */
int userdir_mkdir_owned(const char *path, mode_t mode, uid_t uid, gid_t gid);

/* Creates home (which must not exist) with Maildir/{cur,new,tmp}, all 0700
 * and owned by uid:gid. Returns 0, or -1 with errno (home removed again). */
int userdir_make_home(const char *home, uid_t uid, gid_t gid);

/* 1 when path is a directory tree holding nothing but directories and
 * .qmail-default files (or their temp files): what a killed vadddomain or vadduser leaves, with
 * no mail in it, safe to remove. 0 otherwise (or when it cannot tell). */
int userdir_is_skeleton(const char *path);

/* rm -rf path without following symbolic links. Returns 0 or -1. */
int userdir_remove(const char *path);

/* Renames path to a hidden sibling (out, cap bytes) so that it can be
 * put back, or removed once the change is committed. Returns 0 or -1. */
int userdir_trash(const char *path, char *out, size_t cap);

#endif
