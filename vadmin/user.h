/* user.h: making one user, shared by vadduser and vadddomain's postmaster. */
#ifndef VADMIN_USER_H
#define VADMIN_USER_H

#include <limits.h>

#include "control.h"
#include "util.h"

struct user_new {
	const char *user, *domain;	/* folded, checked */
	const struct assign_entry *dom;	/* the domain's users/assign entry */
	const char *hash;		/* pw_passwd */
	const char *clear;		/* pw_clear_passwd, "" when not kept */
	const char *quota;		/* pw_shell */
	const char *gecos;
	unsigned flags;			/* pw_gid */
	char home[PATH_MAX];		/* out: the directory made */
	int made_home;			/* out: 1 once home exists */
};

/* Inside a transaction, under the lock: takes the domain's next user
 * slot from dir_control, inserts the row and makes the home directory with
 * its Maildir. Returns 0, or -1 having printed why (the caller rolls back
 * and removes u->home when u->made_home). */
int user_create(struct vadmin *v, struct user_new *u);

/* The new password of who (user@domain): arg, or random (rlen letters and
 * digits) when random is set, or read from the terminal. Checked, hashed
 * into hash, and copied to clear when store_clear is on, else clear is "".
 * Returns 0 or -1 (printed). */
int user_new_password(struct vadmin *v, const char *arg, int random,
    size_t rlen, const char *who, char *pw, size_t pwcap, char *hash,
    size_t hcap, char *clear, size_t ccap);

#endif
