/* util.h: what vadmin's commands share: config, errors, lock, vauthd, input. */
#ifndef VADMIN_UTIL_H
#define VADMIN_UTIL_H

#include <signal.h>
#include <stdio.h>

#include "conf.h"
#include "control.h"
#include "db.h"
#include "name.h"

/* vadmin reads vauthd's config: $VAUTH_CONF, else this. */
#define VADMIN_DEFAULT_CONF "/etc/vauth/vauthd.conf"
/* Longest password vadmin stores: fits the widened pw_clear_passwd
 * (varchar(128)) and what vchkpw can pass to vauthd. */
#define VADMIN_MAX_PASSWORD 128
/* Length of a password made by -r without a length. */
#define VADMIN_RANDOM_PASSWORD 12
/* vpopmail's pw_shell (quota) is char(20), pw_gecos char(48). */
#define VADMIN_MAX_QUOTA 20
#define VADMIN_MAX_GECOS 48
#define VADMIN_ERR_LEN 512

struct vadmin {
	const char *prog;		/* argv[0]: the command's name */
	struct conf conf;
	struct db *db;
	int lock;			/* -1 when not held */
	sigset_t saved;			/* signal mask before the lock */
	char err[VADMIN_ERR_LEN];
};

/* Loads the config. Returns 0, or -1 having printed why. */
int vadm_init(struct vadmin *v, const char *prog);

/* Connects to MySQL unless connected. Returns 0 or -1 (printed). */
int vadm_db(struct vadmin *v);

/* Takes vadmin's lock, then holds off SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * until vadm_end, so that an interrupt does not cut a change in half.
 * Returns 0 or -1 (printed). */
int vadm_lock(struct vadmin *v);

/* Closes the database, releases the lock, lets held-off signals in. */
void vadm_end(struct vadmin *v);

/* Prints "prog: message" on stderr; returns 1, the failure exit code. */
int vadm_fail(const struct vadmin *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "prog: usage: prog USAGE" on stderr; returns 2. */
int vadm_usage(const char *prog, const char *usage);

/* Splits and checks USER@DOMAIN (folded). Returns 0 or -1 (printed,
 * naming the rule that failed). */
int vadm_email(const struct vadmin *v, const char *arg,
    char user[NAME_MAX_USER + 1], char domain[NAME_MAX_DOMAIN + 1]);

/* Checks and folds a domain name into out. Returns 0 or -1 (printed). */
int vadm_domain_name(const struct vadmin *v, const char *arg,
    char out[NAME_MAX_DOMAIN + 1]);

/* Finds a domain in users/assign. Returns 1, 0 (absent) or -1 (printed). */
int vadm_find_domain(struct vadmin *v, const char *name, struct assign_entry *e);

/* Maps domain (an alias or real domain, in users/assign or the
 * aliasdomains table) to its real domain in real. Returns 1 when the domain
 * is known, 0 when not (real = domain), -1 on error (printed). *entry (may
 * be NULL) gets the real domain's users/assign entry when there is one. */
int vadm_real_domain(struct vadmin *v, const char *domain,
    char real[NAME_MAX_DOMAIN + 1], struct assign_entry *entry);

/* Checks a new password's length and bytes. Returns 0 or -1 (printed). */
int vadm_check_password(const struct vadmin *v, const char *pw);

/* Fills pw (cap bytes) with len random letters and digits. 0 or -1. */
int vadm_random_password(char *pw, size_t cap, size_t len);

/* Reads a password from the terminal without echo (or a line of stdin),
 * twice when confirm is set. Returns 0 or -1 (printed). */
int vadm_read_password(const struct vadmin *v, const char *prompt, int confirm,
    char *pw, size_t cap);

/* Hashes pw with conf hash_prefix. Returns 0 or -1 (printed). */
int vadm_hash(const struct vadmin *v, const char *pw, char *out, size_t cap);

/* Checks a crypt() hash given with -e. Returns 0 or -1 (printed). */
int vadm_check_hash(const struct vadmin *v, const char *hash);

/* Normalises vpopmail's quota forms ("NOQUOTA", "10M", "1048576",
 * "1000000S,200C") to maildir++ form ("10485760S", ...). 0 or -1. */
int vadm_quota(const struct vadmin *v, const char *in, char *out, size_t cap);

/* Parses -rLEN: optarg NULL means the default length. 0 or -1. */
int vadm_random_len(const struct vadmin *v, const char *arg, size_t *len);

/* Tells vauthd to forget cached state. A vauthd that is not running is
 * not an error; any other failure prints a notice. */
void vadm_flush(const struct vadmin *v);

/* Sends SIGHUP to qmail-send, if it runs, to reread its control files. */
void vadm_hup_qmail_send(void);

/* Removes every argv element equal to flag (e.g. "--json"), before
 * getopt sees it. Returns 1 when there was one. */
int vadm_take_flag(int *argc, char **argv, const char *flag);

/* A JSON string (quotes, escapes) on f. */
void vadm_json_str(FILE *f, const char *s);

#endif
