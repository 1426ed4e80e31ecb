/* user.c: vadmin's user commands: vadduser, vdeluser, vpasswd, vmoduser, vsetuserquota, vuserinfo, vchangepw. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "passwd.h"
#include "user.h"
#include "userdir.h"
#include "vadmin.h"
#include "vpopmail.h"

/* vpopmail's usage lines (without "usage: NAME"). */
#define USAGE_VADDUSER "[-q quota] [-c comment] [-r[len]] " \
	"[-e encrypted_passwd] [-n] user@domain [password]"
#define USAGE_VDELUSER "user@domain"
#define USAGE_VPASSWD "[-r[len]] user@domain [password]"
#define USAGE_VMODUSER "[-x] [-dpswibru0123aofFSEm] [-q quota] " \
	"[-c comment] [-e encrypted_passwd] [-C clear_passwd] " \
	"user@domain|domain"
#define USAGE_VSETUSERQUOTA "user@domain|domain quota"
#define USAGE_VUSERINFO "[--json] [-anpugcdqCl] user@domain | " \
	"-D domain"
#define USAGE_VCHANGEPW "(reads address, old and new password)"

/* One row of the vpopmail table, with its last login when known. */
struct user_row {
	char name[NAME_MAX_USER + 1];
	char domain[NAME_MAX_DOMAIN + 1];
	char passwd[PASSWD_MAX_HASH];
	char clear[PASSWD_MAX_CLEAR];
	char gecos[DB_MAX_FIELD + 1];
	char dir[PATH_MAX];
	char shell[DB_MAX_FIELD + 1];
	unsigned long uid, flags;
	long long last_auth;		/* -1: never */
	char last_ip[64];
};

#define USER_COLS "pw_name, pw_domain, pw_passwd, pw_clear_passwd, " \
	"pw_gecos, pw_dir, pw_shell, COALESCE(pw_uid, 0), COALESCE(pw_gid, 0)"

static const char sql_user_get[] =
    "SELECT " USER_COLS ", l.timestamp, l.remote_ip FROM vpopmail LEFT JOIN "
    "lastauth l ON l.user = pw_name AND l.domain = pw_domain "
    "WHERE pw_name = ? AND pw_domain = ?";
static const char sql_user_list[] =
    "SELECT " USER_COLS ", l.timestamp, l.remote_ip FROM vpopmail LEFT JOIN "
    "lastauth l ON l.user = pw_name AND l.domain = pw_domain "
    "WHERE pw_domain = ? ORDER BY pw_name";
/* Databases without vauth's or vpopmail's lastauth table. */
static const char sql_user_get_plain[] =
    "SELECT " USER_COLS ", NULL, NULL FROM vpopmail "
    "WHERE pw_name = ? AND pw_domain = ?";
static const char sql_user_list_plain[] =
    "SELECT " USER_COLS ", NULL, NULL FROM vpopmail "
    "WHERE pw_domain = ? ORDER BY pw_name";

static void
copy(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static void
row_fill(struct user_row *u, char **v)
{
	copy(u->name, sizeof(u->name), v[0]);
	copy(u->domain, sizeof(u->domain), v[1]);
	copy(u->passwd, sizeof(u->passwd), v[2]);
	copy(u->clear, sizeof(u->clear), v[3]);
	copy(u->gecos, sizeof(u->gecos), v[4]);
	copy(u->dir, sizeof(u->dir), v[5]);
	copy(u->shell, sizeof(u->shell), v[6]);
	u->uid = strtoul(v[7], NULL, 10);
	u->flags = strtoul(v[8], NULL, 10);
	u->last_auth = v[9][0] != '\0' ? strtoll(v[9], NULL, 10) : -1;
	copy(u->last_ip, sizeof(u->last_ip), v[10]);
}

static int
row_one(void *arg, int ncols, char **v)
{
	if (ncols != 11)
		return -1;
	row_fill(arg, v);
	return 0;
}

/* 1 found, 0 not, -1 error (printed). */
static int
user_get(struct vadmin *v, const char *user, const char *domain,
    struct user_row *u)
{
	const char *p[2] = { user, domain };
	int r;

	memset(u, 0, sizeof(*u));
	r = db_query(v->db, sql_user_get, p, 2, row_one, u);
	if (r < 0)
		r = db_query(v->db, sql_user_get_plain, p, 2, row_one, u);
	if (r < 0) {
		vadm_fail(v, "MySQL: %s", db_error(v->db));
		return -1;
	}
	return r > 0;
}

/* Resolves USER@DOMAIN to an existing user in its real domain, printing
 * why not. Returns 0 or -1. */
static int
existing_user(struct vadmin *v, const char *arg, char *user, char *domain,
    struct user_row *u)
{
	char given[NAME_MAX_DOMAIN + 1];
	int r;

	if (vadm_email(v, arg, user, given) < 0 || vadm_db(v) < 0 ||
	    vadm_real_domain(v, given, domain, NULL) < 0)
		return -1;
	r = user_get(v, user, domain, u);
	if (r < 0)
		return -1;
	if (r == 0) {
		vadm_fail(v, "no such user %s@%s", user, domain);
		return -1;
	}
	return 0;
}

static int
slot_col(void *arg, int ncols, char **vals)
{
	if (ncols != 1)
		return -1;
	*(unsigned long *)arg = strtoul(vals[0], NULL, 10);
	return 0;
}

int
user_create(struct vadmin *v, struct user_new *u)
{
	const char *pd[1] = { u->domain };
	char sub[64], base[PATH_MAX], flags[16];
	unsigned long slot = 0;
	int n, r;

	/* vpopmail's dir_control row counts the users ever placed; the row
	 * lock serialises two adders even without vadmin's lock. */
	if (db_exec(v->db, "INSERT IGNORE INTO dir_control (domain, "
	    "cur_users, level_cur, level_max, the_dir) VALUES (?, 0, 0, 3, '')",
	    pd, 1, NULL) < 0)
		goto sql;
	r = db_query(v->db, "SELECT COALESCE(cur_users, 0) FROM dir_control "
	    "WHERE domain = ? FOR UPDATE", pd, 1, slot_col, &slot);
	if (r < 0)
		goto sql;
	if (userdir_subdir(slot, (unsigned long)v->conf.dir_control, sub,
	    sizeof(sub)) < 0) {
		vadm_fail(v, "domain %s has no room for more user directories",
		    u->domain);
		return -1;
	}
	if (db_exec(v->db, "UPDATE dir_control SET cur_users = "
	    "COALESCE(cur_users, 0) + 1, the_dir = ? WHERE domain = ?",
	    (const char *[]){ sub, u->domain }, 2, NULL) < 0)
		goto sql;
	n = sub[0] != '\0' ?
	    snprintf(base, sizeof(base), "%s/%s", u->dom->dir, sub) :
	    snprintf(base, sizeof(base), "%s", u->dom->dir);
	if (n < 0 || (size_t)n >= sizeof(base) ||
	    snprintf(u->home, sizeof(u->home), "%s/%s", base, u->user) >=
	    (int)sizeof(u->home)) {
		vadm_fail(v, "directory for %s@%s is too long", u->user, u->domain);
		return -1;
	}
	snprintf(flags, sizeof(flags), "%u", u->flags);
	if (db_exec(v->db, "INSERT INTO vpopmail (pw_name, pw_domain, "
	    "pw_passwd, pw_uid, pw_gid, pw_gecos, pw_dir, pw_shell, "
	    "pw_clear_passwd) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)",
	    (const char *[]){ u->user, u->domain, u->hash, flags, u->gecos,
	    u->home, u->quota, u->clear }, 8, NULL) < 0) {
		if (db_duplicate(v->db)) {
			vadm_fail(v, "user %s@%s already exists", u->user,
			    u->domain);
			return -1;
		}
		goto sql;
	}
	if (sub[0] != '\0' && userdir_mkdirs(u->dom->dir, base,
	    (uid_t)u->dom->uid, (gid_t)u->dom->gid, 0700) < 0) {
		vadm_fail(v, "unable to create %s: %s", base, strerror(errno));
		return -1;
	}
	/* An empty Maildir left by a killed vadduser holds no mail. */
	if (access(u->home, F_OK) == 0 && userdir_is_skeleton(u->home))
		(void)userdir_remove(u->home);
	if (userdir_make_home(u->home, (uid_t)u->dom->uid,
	    (gid_t)u->dom->gid) < 0) {
		vadm_fail(v, errno == EEXIST ? "%s already exists: move it away "
		    "first" : "unable to create %s: %s", u->home,
		    strerror(errno));
		return -1;
	}
	u->made_home = 1;
	return 0;
sql:
	vadm_fail(v, "MySQL: %s", db_error(v->db));
	return -1;
}

int
user_new_password(struct vadmin *v, const char *arg, int random, size_t rlen,
    const char *who, char *pw, size_t pwcap, char *hash, size_t hcap,
    char *clear, size_t ccap)
{
	char prompt[NAME_MAX_USER + NAME_MAX_DOMAIN + 64];

	if (random) {
		if (vadm_random_password(pw, pwcap, rlen) < 0)
			return vadm_fail(v, "unable to make a random password: %s",
			    strerror(errno)), -1;
	} else if (arg != NULL) {
		if (strlen(arg) >= pwcap)
			return vadm_fail(v, "the password is over %d bytes",
			    VADMIN_MAX_PASSWORD), -1;
		copy(pw, pwcap, arg);
	} else {
		snprintf(prompt, sizeof(prompt), "Please enter password for %s: ",
		    who);
		if (vadm_read_password(v, prompt, 1, pw, pwcap) < 0)
			return -1;
	}
	if (vadm_check_password(v, pw) < 0 || vadm_hash(v, pw, hash, hcap) < 0)
		return -1;
	copy(clear, ccap, v->conf.store_clear ? pw : "");
	return 0;
}

static int
run_vadduser(int argc, char **argv)
{
	static const char usage[] = USAGE_VADDUSER;
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	char pw[VADMIN_MAX_PASSWORD + 2], hash[PASSWD_MAX_HASH];
	char clear[VADMIN_MAX_PASSWORD + 2], quota[VADMIN_MAX_QUOTA + 1] =
	    "NOQUOTA", who[NAME_MAX_USER + NAME_MAX_DOMAIN + 2];
	const char *gecos = NULL, *ehash = NULL;
	struct assign_entry dom;
	struct user_new u;
	struct vadmin v;
	int c, random = 0, nopw = 0, rc = 1, r;
	size_t rlen = VADMIN_RANDOM_PASSWORD;

	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "svc:nq:e:r::")) != -1) {
		switch (c) {
		case 's': case 'v':
			break;
		case 'c':
			gecos = optarg;
			break;
		case 'n':
			nopw = 1;
			break;
		case 'q':
			if (vadm_quota(&v, optarg, quota, sizeof(quota)) < 0)
				return 1;
			break;
		case 'e':
			ehash = optarg;
			break;
		case 'r':
			random = 1;
			if (vadm_random_len(&v, optarg, &rlen) < 0)
				return 1;
			break;
		default:
			return vadm_usage(argv[0], usage);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return vadm_usage(argv[0], usage);
	if (vadm_email(&v, argv[optind], user, domain) < 0)
		return 1;
	if (gecos == NULL)
		gecos = user;
	if (strlen(gecos) > VADMIN_MAX_GECOS || strpbrk(gecos, "\n\r") != NULL)
		return vadm_fail(&v, "the comment is over %d bytes or has a "
		    "line break", VADMIN_MAX_GECOS);
	snprintf(who, sizeof(who), "%s@%s", user, domain);
	clear[0] = '\0';
	if (ehash != NULL) {
		if (vadm_check_hash(&v, ehash) < 0)
			return 1;
		copy(hash, sizeof(hash), ehash);
	} else if (nopw) {
		hash[0] = '\0';
	} else if (user_new_password(&v, optind + 1 < argc ? argv[optind + 1] : NULL,
	    random, rlen, who, pw, sizeof(pw), hash, sizeof(hash), clear,
	    sizeof(clear)) < 0) {
		goto out;
	}
	/* Hashing (slow on purpose) is done before taking the lock. */
	if (vadm_db(&v) < 0 || vadm_lock(&v) < 0)
		goto out;
	r = vadm_find_domain(&v, domain, &dom);
	if (r < 0)
		goto out;
	if (r == 0) {
		vadm_fail(&v, "domain %s does not exist", domain);
		goto out;
	}
	if (strcmp(dom.real, domain) != 0) {
		vadm_fail(&v, "%s is an alias of %s: add the user to %s", domain,
		    dom.real, dom.real);
		goto out;
	}
	r = user_get(&v, user, domain, &(struct user_row){ 0 });
	if (r != 0) {
		if (r > 0)
			vadm_fail(&v, "user %s already exists", who);
		goto out;
	}
	memset(&u, 0, sizeof(u));
	u.user = user;
	u.domain = domain;
	u.dom = &dom;
	u.hash = hash;
	u.clear = clear;
	u.quota = quota;
	u.gecos = gecos;
	if (db_begin(v.db) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		goto out;
	}
	if (user_create(&v, &u) < 0 || db_commit(v.db) < 0) {
		db_rollback(v.db);
		if (u.made_home)
			(void)userdir_remove(u.home);
		goto out;
	}
	rc = 0;
	if (random)
		printf("Random password: %s\n", pw);
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(clear, sizeof(clear));
	vadm_end(&v);
	return rc;
}

static int
run_vdeluser(int argc, char **argv)
{
	static const char usage[] = USAGE_VDELUSER;
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	char trash[PATH_MAX];
	struct user_row u;
	struct vadmin v;
	int c, rc = 1, trashed = 0;

	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "v")) != -1)
		if (c != 'v')
			return vadm_usage(argv[0], usage);
	if (argc - optind != 1)
		return vadm_usage(argv[0], usage);
	if (vadm_db(&v) < 0 || vadm_lock(&v) < 0 ||
	    existing_user(&v, argv[optind], user, domain, &u) < 0)
		goto out;
	if (strcmp(user, "postmaster") == 0) {
		vadm_fail(&v, "postmaster@%s is the domain's last postmaster; "
		    "vdeldomain removes it with the domain", domain);
		goto out;
	}
	if (db_begin(v.db) < 0 ||
	    db_exec(v.db, "DELETE FROM vpopmail WHERE pw_name = ? AND "
	    "pw_domain = ?", (const char *[]){ user, domain }, 2, NULL) < 0 ||
	    db_exec(v.db, "DELETE FROM valias WHERE alias = ? AND domain = ?",
	    (const char *[]){ user, domain }, 2, NULL) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		db_rollback(v.db);
		goto out;
	}
	/* Not every vpopmail database has a lastauth table. */
	(void)db_exec(v.db, "DELETE FROM lastauth WHERE user = ? AND "
	    "domain = ?", (const char *[]){ user, domain }, 2, NULL);
	/* The home goes aside first, so a failed commit can put it back. */
	if (u.dir[0] == '/' && strcmp(u.dir, "/") != 0 && access(u.dir, F_OK) == 0) {
		if (userdir_trash(u.dir, trash, sizeof(trash)) < 0) {
			vadm_fail(&v, "unable to move %s aside: %s", u.dir,
			    strerror(errno));
			db_rollback(v.db);
			goto out;
		}
		trashed = 1;
	}
	if (db_commit(v.db) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		db_rollback(v.db);
		if (trashed)
			(void)rename(trash, u.dir);
		goto out;
	}
	if (trashed && userdir_remove(trash) < 0)
		fprintf(stderr, "%s: warning: unable to remove %s: %s\n",
		    v.prog, trash, strerror(errno));
	vadm_flush(&v);
	rc = 0;
out:
	vadm_end(&v);
	return rc;
}

/* Sets a user's password; the row must exist. Returns 0 or 1. */
static int
set_password(struct vadmin *v, const char *user, const char *domain,
    const char *hash, const char *clear)
{
	if (db_exec(v->db, "UPDATE vpopmail SET pw_passwd = ?, "
	    "pw_clear_passwd = ? WHERE pw_name = ? AND pw_domain = ?",
	    (const char *[]){ hash, clear, user, domain }, 4, NULL) < 0)
		return vadm_fail(v, "MySQL: %s", db_error(v->db));
	vadm_flush(v);
	return 0;
}

static int
run_vpasswd(int argc, char **argv)
{
	static const char usage[] = USAGE_VPASSWD;
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	char pw[VADMIN_MAX_PASSWORD + 2], hash[PASSWD_MAX_HASH];
	char clear[VADMIN_MAX_PASSWORD + 2];
	struct user_row u;
	struct vadmin v;
	size_t rlen = VADMIN_RANDOM_PASSWORD;
	int c, random = 0, rc = 1;

	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "vr::")) != -1) {
		if (c == 'v')
			continue;
		if (c != 'r')
			return vadm_usage(argv[0], usage);
		random = 1;
		if (vadm_random_len(&v, optarg, &rlen) < 0)
			return 1;
	}
	if (optind >= argc || argc - optind > 2)
		return vadm_usage(argv[0], usage);
	if (vadm_db(&v) < 0 ||
	    existing_user(&v, argv[optind], user, domain, &u) < 0 ||
	    user_new_password(&v, optind + 1 < argc ? argv[optind + 1] : NULL,
	    random, rlen, argv[optind], pw, sizeof(pw), hash, sizeof(hash),
	    clear, sizeof(clear)) < 0)
		goto out;
	rc = set_password(&v, user, domain, hash, clear);
	if (rc == 0 && random)
		printf("Random password: %s\n", pw);
out:
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(clear, sizeof(clear));
	explicit_bzero(&u, sizeof(u));
	vadm_end(&v);
	return rc;
}

/* vmoduser's flag options and their pw_gid bits. */
static const struct {
	char opt;
	unsigned bit;
} mod_flags[] = {
	{ 'd', VPW_NO_PASSWD_CHNG }, { 'p', VPW_NO_POP },
	{ 'w', VPW_NO_WEBMAIL }, { 'i', VPW_NO_IMAP },
	{ 'b', VPW_BOUNCE_MAIL }, { 'r', VPW_NO_RELAY },
	{ 'u', VPW_NO_DIALUP }, { '0', VPW_USER0 }, { '1', VPW_USER1 },
	{ '2', VPW_USER2 }, { '3', VPW_USER3 }, { 's', VPW_NO_SMTP },
	{ 'a', VPW_QA_ADMIN }, { 'o', VPW_OVERRIDE },
	{ 'f', VPW_NO_SPAMASSASSIN }, { 'F', VPW_DELETE_SPAM },
	{ 'S', VPW_SA_ADMIN }, { 'E', VPW_SA_EXPERT }, { 'm', VPW_NO_MAILDROP },
};

static int
run_vmoduser(int argc, char **argv)
{
	static const char usage[] = USAGE_VMODUSER;
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	char quota[VADMIN_MAX_QUOTA + 1], hash[PASSWD_MAX_HASH];
	char clear[VADMIN_MAX_PASSWORD + 2], mask[16], set[16];
	char given[NAME_MAX_DOMAIN + 1];
	const char *q = NULL, *gecos = NULL, *h = NULL, *cl = NULL, *pw = NULL;
	unsigned bits = 0;
	unsigned long long changed = 0;
	struct user_row u;
	struct vadmin v;
	int c, r, clear_all = 0, rc = 1, whole = 0;
	size_t i;

	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "D:avunxc:q:dpswibro0123he:C:fFSEm")) !=
	    -1) {
		for (i = 0; i < sizeof(mod_flags) / sizeof(mod_flags[0]); i++)
			if (mod_flags[i].opt == c)
				break;
		if (i < sizeof(mod_flags) / sizeof(mod_flags[0])) {
			bits |= mod_flags[i].bit;
			continue;
		}
		switch (c) {
		case 'v': case 'n':
			break;
		case 'x':
			clear_all = 1;
			break;
		case 'q':
			if (vadm_quota(&v, optarg, quota, sizeof(quota)) < 0)
				return 1;
			q = quota;
			break;
		case 'c':
			if (strlen(optarg) > VADMIN_MAX_GECOS ||
			    strpbrk(optarg, "\r\n") != NULL)
				return vadm_fail(&v, "the comment is over %d "
				    "bytes or has a line break",
				    VADMIN_MAX_GECOS);
			gecos = optarg;
			break;
		case 'e':
			if (vadm_check_hash(&v, optarg) < 0)
				return 1;
			h = optarg;
			/* The old clear copy must not outlive a new hash: it
			 * would still log in over APOP and CRAM-MD5. */
			cl = "";
			break;
		case 'C':
			pw = optarg;
			break;
		default:
			return vadm_usage(argv[0], usage);
		}
	}
	if (argc - optind != 1)
		return vadm_usage(argv[0], usage);
	if (pw != NULL) {
		if (vadm_check_password(&v, pw) < 0 ||
		    vadm_hash(&v, pw, hash, sizeof(hash)) < 0)
			return 1;
		h = hash;
		copy(clear, sizeof(clear), v.conf.store_clear ? pw : "");
		cl = clear;
	}
	if (vadm_db(&v) < 0 || vadm_lock(&v) < 0)
		goto out;
	if (strchr(argv[optind], '@') == NULL) {
		/* Every user of a domain, as vpopmail does. */
		whole = 1;
		if (vadm_domain_name(&v, argv[optind], given) < 0 ||
		    (r = vadm_real_domain(&v, given, domain, NULL)) < 0)
			goto out;
		if (r == 0) {
			vadm_fail(&v, "domain %s does not exist", given);
			goto out;
		}
		if (h != NULL) {
			vadm_fail(&v, "-e and -C set one user's password: give "
			    "user@domain");
			goto out;
		}
	} else if (existing_user(&v, argv[optind], user, domain, &u) < 0) {
		goto out;
	}
	snprintf(mask, sizeof(mask), "%u", clear_all ? 0u : 0xffffffffu);
	snprintf(set, sizeof(set), "%u", bits);
	if (db_exec(v.db, "UPDATE vpopmail SET pw_gid = (COALESCE(pw_gid, 0) "
	    "& ?) | ?, pw_shell = COALESCE(?, pw_shell), pw_gecos = "
	    "COALESCE(?, pw_gecos), pw_passwd = COALESCE(?, pw_passwd), "
	    "pw_clear_passwd = COALESCE(?, pw_clear_passwd) WHERE "
	    "pw_domain = ? AND (? IS NULL OR pw_name = ?)",
	    (const char *[]){ mask, set, q, gecos, h, cl, domain,
	    whole ? NULL : user, whole ? NULL : user }, 9, &changed) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		goto out;
	}
	if (whole && changed == 0 &&
	    db_query(v.db, "SELECT 1 FROM vpopmail WHERE pw_domain = ? LIMIT 1",
	    (const char *[]){ domain }, 1, NULL, NULL) == 0) {
		vadm_fail(&v, "domain %s has no users", domain);
		goto out;
	}
	vadm_flush(&v);
	rc = 0;
out:
	explicit_bzero(clear, sizeof(clear));
	vadm_end(&v);
	return rc;
}

static int
run_vsetuserquota(int argc, char **argv)
{
	static const char usage[] = USAGE_VSETUSERQUOTA;
	char *mod[6], quota[VADMIN_MAX_QUOTA + 1];
	struct vadmin v;
	int c;

	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "v")) != -1)
		if (c != 'v')
			return vadm_usage(argv[0], usage);
	if (argc - optind != 2)
		return vadm_usage(argv[0], usage);
	if (vadm_quota(&v, argv[optind + 1], quota, sizeof(quota)) < 0)
		return 1;
	/* The same change as vmoduser -q. */
	mod[0] = argv[0];
	mod[1] = (char *)"-q";
	mod[2] = quota;
	mod[3] = argv[optind];
	mod[4] = NULL;
	optind = 0;	/* glibc: start getopt afresh */
	return run_vmoduser(4, mod);
}

static void
print_flags(unsigned long flags)
{
	size_t i;
	static const char *const names[] = {
		"NO_PASSWD_CHNG", "NO_POP", "NO_WEBMAIL", "NO_IMAP",
		"BOUNCE_MAIL", "NO_RELAY", "NO_DIALUP", "V_USER0", "V_USER1",
		"V_USER2", "V_USER3", "NO_SMTP", "QA_ADMIN", "V_OVERRIDE",
		"NO_SPAMASSASSIN", "DELETE_SPAM", "SA_ADMIN", "SA_EXPERT",
		"NO_MAILDROP",
	};

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & (1UL << i))
			printf("        %s\n", names[i]);
}

/* What vuserinfo prints: field options, or everything. */
struct info_opts {
	int name, passwd, uid, gid, comment, dir, quota, clear, last, any;
	int json, count;
};

static void
print_json(const struct user_row *u, const struct info_opts *o)
{
	printf("%s{\"name\":", o->count > 1 ? ",\n" : "");
	vadm_json_str(stdout, u->name);
	printf(",\"domain\":");
	vadm_json_str(stdout, u->domain);
	printf(",\"uid\":%lu,\"flags\":%lu,\"gecos\":", u->uid, u->flags);
	vadm_json_str(stdout, u->gecos);
	printf(",\"dir\":");
	vadm_json_str(stdout, u->dir);
	printf(",\"quota\":");
	vadm_json_str(stdout, u->shell);
	if (o->passwd) {
		printf(",\"passwd\":");
		vadm_json_str(stdout, u->passwd);
	}
	if (o->clear) {
		printf(",\"clear_passwd\":");
		vadm_json_str(stdout, u->clear);
	}
	if (u->last_auth >= 0) {
		printf(",\"last_auth\":%lld,\"last_auth_ip\":", u->last_auth);
		vadm_json_str(stdout, u->last_ip);
	} else {
		printf(",\"last_auth\":null");
	}
	printf("}");
}

static void
print_user(const struct user_row *u, const struct info_opts *o)
{
	time_t t;

	if (o->json) {
		print_json(u, o);
		return;
	}
	if (o->any) {
		if (o->name) printf("%s\n", u->name);
		if (o->passwd) printf("%s\n", u->passwd);
		if (o->clear) printf("%s\n", u->clear);
		if (o->uid) printf("%lu\n", u->uid);
		if (o->gid) printf("%lu\n", u->flags);
		if (o->comment) printf("%s\n", u->gecos);
		if (o->dir) printf("%s\n", u->dir);
		if (o->quota) printf("%s\n", u->shell);
		if (o->last) printf("%lld\n", u->last_auth);
		return;
	}
	if (o->count > 1)
		printf("\n");
	printf("name:   %s\n", u->name);
	printf("passwd: %s\n", u->passwd);
	printf("uid:    %lu\n", u->uid);
	printf("gid:    %lu\n", u->flags);
	printf("flags:  %lu\n", u->flags);
	print_flags(u->flags);
	printf("gecos:  %s\n", u->gecos);
	printf("dir:       %s\n", u->dir);
	printf("quota:     %s\n", u->shell);
	if (u->last_auth < 0) {
		printf("last auth: Never logged in\n");
	} else {
		t = (time_t)u->last_auth;
		printf("last auth: %s", asctime(localtime(&t)));
		printf("last auth ip: %s\n", u->last_ip);
	}
}

static int
list_row(void *arg, int ncols, char **vals)
{
	struct info_opts *o = arg;
	struct user_row u;

	if (ncols != 11)
		return -1;
	row_fill(&u, vals);
	o->count++;
	print_user(&u, o);
	explicit_bzero(&u, sizeof(u));
	return 0;
}

static int
run_vuserinfo(int argc, char **argv)
{
	static const char usage[] = USAGE_VUSERINFO;
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	char given[NAME_MAX_DOMAIN + 1];
	const char *listdom = NULL;
	struct info_opts o;
	struct user_row u;
	struct vadmin v;
	int c, r, rc = 1;

	memset(&o, 0, sizeof(o));
	o.json = vadm_take_flag(&argc, argv, "--json");
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "anpugcdqQvlD:C")) != -1) {
		switch (c) {
		case 'a': case 'v': case 'Q': break;
		case 'n': o.name = o.any = 1; break;
		case 'p': o.passwd = o.any = 1; break;
		case 'u': o.uid = o.any = 1; break;
		case 'g': o.gid = o.any = 1; break;
		case 'c': o.comment = o.any = 1; break;
		case 'd': o.dir = o.any = 1; break;
		case 'q': o.quota = o.any = 1; break;
		case 'C': o.clear = o.any = 1; break;
		case 'l': o.last = o.any = 1; break;
		case 'D': listdom = optarg; break;
		default: return vadm_usage(argv[0], usage);
		}
	}
	if (vadm_db(&v) < 0)
		goto out;
	if (listdom != NULL) {
		if (argc != optind)
			return vadm_usage(argv[0], usage);
		if (vadm_domain_name(&v, listdom, given) < 0)
			goto out;
		r = vadm_real_domain(&v, given, domain, NULL);
		if (r < 0)
			goto out;
		if (r == 0) {
			vadm_fail(&v, "domain %s does not exist", given);
			goto out;
		}
		if (o.json)
			printf("[");
		r = db_query(v.db, sql_user_list, (const char *[]){ domain }, 1,
		    list_row, &o);
		if (r < 0 && o.count == 0)
			r = db_query(v.db, sql_user_list_plain,
			    (const char *[]){ domain }, 1, list_row, &o);
		if (r < 0) {
			vadm_fail(&v, "MySQL: %s", db_error(v.db));
			goto out;
		}
		if (o.json)
			printf("]\n");
		rc = 0;
		goto out;
	}
	if (argc - optind != 1)
		return vadm_usage(argv[0], usage);
	if (existing_user(&v, argv[optind], user, domain, &u) < 0)
		goto out;
	o.count = 1;
	print_user(&u, &o);
	if (o.json)
		printf("\n");
	rc = 0;
out:
	explicit_bzero(&u, sizeof(u));
	vadm_end(&v);
	return rc;
}

static int
run_vchangepw(int argc, char **argv)
{
	static const char usage[] = USAGE_VCHANGEPW;
	char email[NAME_MAX_USER + NAME_MAX_DOMAIN + 4];
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	char given[NAME_MAX_DOMAIN + 1];
	char old[VADMIN_MAX_PASSWORD + 2], pw[VADMIN_MAX_PASSWORD + 2];
	char hash[PASSWD_MAX_HASH], clear[VADMIN_MAX_PASSWORD + 2];
	const char *why;
	struct user_row u;
	struct vadmin v;
	size_t len;
	int r, rc = 1, ok;

	if (argc != 1)
		return vadm_usage(argv[0], usage);
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	if (passwd_init(v.conf.hash_prefix) < 0)
		return vadm_fail(&v, "hash_prefix %s: libcrypt has no such scheme",
		    v.conf.hash_prefix);
	if (isatty(0))
		fputs("Please enter the email address: ", stderr);
	if (fgets(email, sizeof(email), stdin) == NULL)
		return vadm_fail(&v, "no address given");
	len = strcspn(email, "\r\n");
	email[len] = '\0';
	if (vadm_read_password(&v, "Enter old password: ", 0, old,
	    sizeof(old)) < 0 ||
	    vadm_read_password(&v, "Enter new password: ", 1, pw, sizeof(pw)) < 0)
		goto out;
	if (vadm_check_password(&v, pw) < 0)
		goto out;
	memset(&u, 0, sizeof(u));
	ok = 0;
	r = 0;
	if (name_split_login(email, len, NULL, user, given, &why) == 0 &&
	    strchr(email, '@') != NULL) {
		if (vadm_db(&v) < 0 || vadm_real_domain(&v, given, domain, NULL) < 0)
			goto out;
		r = user_get(&v, user, domain, &u);
		if (r < 0)
			goto out;
	}
	/* Unknown users cost what known ones do, and get the same answer. */
	if (r == 1)
		ok = passwd_verify(u.passwd, u.clear, old, strlen(old));
	else
		passwd_burn(old, strlen(old));
	if (!ok) {
		vadm_fail(&v, "the address or the old password is wrong");
		goto out;
	}
	if (u.flags & VPW_NO_PASSWD_CHNG) {
		vadm_fail(&v, "%s may not change the password", email);
		goto out;
	}
	if (vadm_hash(&v, pw, hash, sizeof(hash)) < 0)
		goto out;
	copy(clear, sizeof(clear), v.conf.store_clear ? pw : "");
	rc = set_password(&v, user, domain, hash, clear);
	if (rc == 0)
		printf("Password changed for %s@%s\n", user, domain);
out:
	explicit_bzero(old, sizeof(old));
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(clear, sizeof(clear));
	explicit_bzero(&u, sizeof(u));
	vadm_end(&v);
	return rc;
}

const struct vadmin_cmd user_cmds[] = {
	{ "vadduser", run_vadduser,
	    USAGE_VADDUSER,
	    "add a user (MySQL row, home directory, Maildir)" },
	{ "vdeluser", run_vdeluser, USAGE_VDELUSER,
	    "delete a user, its aliases and its home directory" },
	{ "vpasswd", run_vpasswd, USAGE_VPASSWD,
	    "set a user's password" },
	{ "vmoduser", run_vmoduser,
	    USAGE_VMODUSER,
	    "set a user's (or a domain's users') flags, quota, comment" },
	{ "vsetuserquota", run_vsetuserquota, USAGE_VSETUSERQUOTA,
	    "set the quota of a user or of every user of a domain" },
	{ "vuserinfo", run_vuserinfo, USAGE_VUSERINFO,
	    "show a user, or every user of a domain" },
	{ "vchangepw", run_vchangepw, USAGE_VCHANGEPW,
	    "change one's own password, giving the old one" },
	{ NULL, NULL, NULL, NULL },
};
