/* domain.c: vadmin's domain commands: vadddomain, vdeldomain, vaddaliasdomain, vdominfo, vlistdomains. */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "io.h"
#include "passwd.h"
#include "user.h"
#include "userdir.h"
#include "vadmin.h"

#define USAGE_VADDDOMAIN "[-q quota] [-b] [-e email|user] [-u user] " \
	"[-i uid] [-g gid] [-d dir] [-r[len]] domain [postmaster-password]"
#define USAGE_VDELDOMAIN "[-f] domain"
#define USAGE_VADDALIASDOMAIN "alias_domain real_domain (either order)"
#define USAGE_VDOMINFO "[--json] [-anugdtr] [domain]"
#define USAGE_VLISTDOMAINS "[--json]"

/* Most alias domains one real domain may have that vdeldomain removes. */
#define DOMAIN_MAX_ALIASES 256

/* .qmail-default: vpopmail's delivery agent for every address of the
 * domain; without a catch-all, mail to unknown users bounces. */
static int
write_qmail_default(struct vadmin *v, const char *domdir, const char *catchall,
    uid_t uid, gid_t gid)
{
	char path[PATH_MAX], text[PATH_MAX * 2 + 64];
	struct atomic_file af;
	int n;

	if (catchall == NULL)
		n = snprintf(text, sizeof(text), "| %s/bin/vdelivermail '' "
		    "bounce-no-mailbox\n", v->conf.vpopmail_dir);
	else if (strchr(catchall, '@') != NULL)
		n = snprintf(text, sizeof(text), "| %s/bin/vdelivermail '' %s\n",
		    v->conf.vpopmail_dir, catchall);
	else
		n = snprintf(text, sizeof(text), "| %s/bin/vdelivermail '' "
		    "%s/%s\n", v->conf.vpopmail_dir, domdir, catchall);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    snprintf(path, sizeof(path), "%s/.qmail-default", domdir) >=
	    (int)sizeof(path))
		return vadm_fail(v, "path too long for %s/.qmail-default",
		    domdir), -1;
	/* fchown on the temp file, not chown on the path: the directory
	 * belongs to the virtual uid, which could put a symlink there. */
	if (atomic_begin(&af, path, 0600) < 0)
		return vadm_fail(v, "unable to write %s: %s", path,
		    strerror(errno)), -1;
	if (fchown(af.fd, uid, gid) < 0 ||
	    io_write_all(af.fd, text, (size_t)n) < 0) {
		atomic_abort(&af);
		return vadm_fail(v, "unable to write %s: %s", path,
		    strerror(errno)), -1;
	}
	if (atomic_commit(&af) < 0)
		return vadm_fail(v, "unable to write %s: %s", path,
		    strerror(errno)), -1;
	return 0;
}

/* A uid or gid option: a number. Returns 0 or -1. */
static int
parse_id(const char *s, unsigned long *out)
{
	char *end;

	*out = strtoul(s, &end, 10);
	return end == s || *end != '\0' ? -1 : 0;
}

static int
run_vadddomain(int argc, char **argv)
{
	char domain[NAME_MAX_DOMAIN + 1], quota[VADMIN_MAX_QUOTA + 1] =
	    "NOQUOTA", base[PATH_MAX], domdir[PATH_MAX], err[VADMIN_ERR_LEN];
	char pw[VADMIN_MAX_PASSWORD + 2], hash[PASSWD_MAX_HASH];
	char clear[VADMIN_MAX_PASSWORD + 2], prompt[NAME_MAX_DOMAIN + 64];
	const char *catchall = NULL, *basedir = NULL;
	unsigned long uid, gid;
	struct assign_entry dom;
	struct ctl_txn txn;
	struct passwd *pwd;
	struct user_new u;
	struct vadmin v;
	size_t rlen = VADMIN_RANDOM_PASSWORD;
	int c, r, random = 0, rc = 1, made_dir = 0, in_txn = 0, dirfd;

	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	uid = v.conf.virtual_uid;
	gid = v.conf.virtual_gid;
	while ((c = getopt(argc, argv, "q:be:u:vi:g:d:Or::")) != -1) {
		switch (c) {
		case 'v': case 'O': case 'b':
			break;
		case 'q':
			if (vadm_quota(&v, optarg, quota, sizeof(quota)) < 0)
				return 1;
			break;
		case 'e':
			catchall = optarg;
			break;
		case 'u':
			pwd = getpwnam(optarg);
			if (pwd == NULL)
				return vadm_fail(&v, "user %s not found", optarg);
			uid = pwd->pw_uid;
			gid = pwd->pw_gid;
			break;
		case 'i':
			if (parse_id(optarg, &uid) < 0)
				return vadm_usage(argv[0], USAGE_VADDDOMAIN);
			break;
		case 'g':
			if (parse_id(optarg, &gid) < 0)
				return vadm_usage(argv[0], USAGE_VADDDOMAIN);
			break;
		case 'd':
			basedir = optarg;
			break;
		case 'r':
			random = 1;
			if (vadm_random_len(&v, optarg, &rlen) < 0)
				return 1;
			break;
		default:
			return vadm_usage(argv[0], USAGE_VADDDOMAIN);
		}
	}
	if (optind >= argc || argc - optind > 2)
		return vadm_usage(argv[0], USAGE_VADDDOMAIN);
	/* vauthd runs every virtual user as virtual_user: a domain owned by
	 * another uid would hold mail its users could not read. */
	if (uid != v.conf.virtual_uid || gid != v.conf.virtual_gid)
		return vadm_fail(&v, "every domain runs as virtual_user (%lu:%lu); "
		    "other uids or gids per domain are not supported",
		    (unsigned long)v.conf.virtual_uid,
		    (unsigned long)v.conf.virtual_gid);
	if (vadm_domain_name(&v, argv[optind], domain) < 0)
		return 1;
	if (catchall != NULL && (strpbrk(catchall, " \t\r\n'\\/") != NULL ||
	    strlen(catchall) > NAME_MAX_USER + NAME_MAX_DOMAIN + 1))
		return vadm_fail(&v, "invalid catch-all %s", catchall);
	if (basedir == NULL)
		basedir = v.conf.vpopmail_dir;
	if (basedir[0] != '/' || strpbrk(basedir, ":\n") != NULL)
		return vadm_fail(&v, "-d %s: give an absolute path without ':'",
		    basedir);
	if (snprintf(base, sizeof(base), "%s/domains", basedir) >=
	    (int)sizeof(base) || snprintf(domdir, sizeof(domdir), "%s/%s",
	    base, domain) >= (int)sizeof(domdir))
		return vadm_fail(&v, "domain directory path too long");
	snprintf(prompt, sizeof(prompt), "postmaster@%s", domain);
	clear[0] = '\0';
	if (user_new_password(&v, optind + 1 < argc ? argv[optind + 1] : NULL,
	    random, rlen, prompt, pw, sizeof(pw), hash, sizeof(hash), clear,
	    sizeof(clear)) < 0)
		goto out;

	if (vadm_db(&v) < 0 || vadm_lock(&v) < 0)
		goto out;
	r = vadm_find_domain(&v, domain, &dom);
	if (r != 0) {
		if (r > 0)
			vadm_fail(&v, "domain %s already exists%s%s", domain,
			    strcmp(dom.real, domain) != 0 ? " as an alias of " :
			    "", strcmp(dom.real, domain) != 0 ? dom.real : "");
		goto out;
	}
	r = db_query(v.db, "SELECT 1 FROM vpopmail WHERE pw_domain = ? LIMIT 1",
	    (const char *[]){ domain }, 1, NULL, NULL);
	if (r != 0) {
		if (r > 0)
			vadm_fail(&v, "domain %s already has users in MySQL; "
			    "it is not in users/assign", domain);
		else
			vadm_fail(&v, "MySQL: %s", db_error(v.db));
		goto out;
	}
	if (db_query(v.db, "SELECT 1 FROM aliasdomains WHERE alias = ?",
	    (const char *[]){ domain }, 1, NULL, NULL) > 0) {
		vadm_fail(&v, "domain %s already exists as an alias (aliasdomains)",
		    domain);
		goto out;
	}

	/* Files first under a new directory, then rows, then qmail's files;
	 * MySQL commits last, and any failure undoes everything. */
	if (userdir_mkdirs("/", base, (uid_t)uid, (gid_t)gid, 0750) < 0) {
		vadm_fail(&v, "unable to create %s: %s", base, strerror(errno));
		goto out;
	}
	/* Directories without mail, left by a killed vadddomain. */
	if (access(domdir, F_OK) == 0 && userdir_is_skeleton(domdir))
		(void)userdir_remove(domdir);
	dirfd = userdir_mkdir_owned(domdir, 0750, (uid_t)uid, (gid_t)gid);
	if (dirfd < 0) {
		vadm_fail(&v, errno == EEXIST ? "%s already exists: move it away "
		    "first" : "unable to create %s: %s", domdir, strerror(errno));
		goto out;
	}
	close(dirfd);
	made_dir = 1;
	if (write_qmail_default(&v, domdir, catchall, (uid_t)uid,
	    (gid_t)gid) < 0)
		goto out;
	memset(&dom, 0, sizeof(dom));
	snprintf(dom.name, sizeof(dom.name), "%s", domain);
	snprintf(dom.real, sizeof(dom.real), "%s", domain);
	snprintf(dom.dir, sizeof(dom.dir), "%s", domdir);
	dom.uid = uid;
	dom.gid = gid;
	if (db_begin(v.db) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		goto out;
	}
	in_txn = 1;
	/* A dir_control row left by an earlier domain of that name would
	 * place the first users in hashed subdirectories. */
	if (db_exec(v.db, "DELETE FROM dir_control WHERE domain = ?",
	    (const char *[]){ domain }, 1, NULL) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		goto out;
	}
	memset(&u, 0, sizeof(u));
	u.user = "postmaster";
	u.domain = domain;
	u.dom = &dom;
	u.hash = hash;
	u.clear = clear;
	u.quota = quota;
	u.gecos = "Postmaster";
	if (user_create(&v, &u) < 0)
		goto out;
	memset(&txn, 0, sizeof(txn));
	if (ctl_add_domain(&txn, &v.conf, domain, domain, uid, gid, domdir,
	    v.err, sizeof(v.err)) < 0) {
		vadm_fail(&v, "%s", v.err);
		if (ctl_txn_rollback(&txn, err, sizeof(err)) < 0)
			vadm_fail(&v, "%s", err);
		goto out;
	}
	if (db_commit(v.db) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		if (ctl_txn_rollback(&txn, err, sizeof(err)) < 0)
			vadm_fail(&v, "%s", err);
		goto out;
	}
	in_txn = 0;
	ctl_txn_done(&txn);
	made_dir = 0;
	rc = 0;
	vadm_hup_qmail_send();
	if (random)
		printf("Random password: %s\n", pw);
out:
	if (in_txn)
		db_rollback(v.db);
	if (made_dir)
		(void)userdir_remove(domdir);
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(clear, sizeof(clear));
	vadm_end(&v);
	return rc;
}

/* Alias domains of one real domain, from users/assign and aliasdomains. */
struct alias_list {
	const char *real;
	int n;
	char names[DOMAIN_MAX_ALIASES][NAME_MAX_DOMAIN + 1];
};

static int
add_alias(struct alias_list *l, const char *name)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return 0;
	if (l->n == DOMAIN_MAX_ALIASES)
		return -1;
	snprintf(l->names[l->n++], NAME_MAX_DOMAIN + 1, "%s", name);
	return 0;
}

static int
alias_from_assign(void *arg, const struct assign_entry *e)
{
	struct alias_list *l = arg;

	if (strcmp(e->real, l->real) == 0 && strcmp(e->name, l->real) != 0)
		return add_alias(l, e->name);
	return 0;
}

static int
alias_from_sql(void *arg, int ncols, char **vals)
{
	if (ncols != 1 || strlen(vals[0]) > NAME_MAX_DOMAIN)
		return -1;
	name_fold(vals[0], strlen(vals[0]));
	return add_alias(arg, vals[0]);
}

static int
find_aliases(struct vadmin *v, const char *real, struct alias_list *l)
{
	struct ctl_buf b = { NULL, 0, 0 };
	char path[PATH_MAX];
	int r;

	l->real = real;
	l->n = 0;
	if (ctl_path(&v->conf, "users/assign", path, sizeof(path)) < 0 ||
	    ctl_read(path, &b) < 0) {
		ctl_buf_free(&b);
		return vadm_fail(v, "unable to read users/assign: %s",
		    strerror(errno)), -1;
	}
	r = assign_each(b.p, b.len, alias_from_assign, l);
	ctl_buf_free(&b);
	if (r < 0 || db_query(v->db, "SELECT alias FROM aliasdomains WHERE "
	    "domain = ?", (const char *[]){ real }, 1, alias_from_sql, l) < 0)
		return vadm_fail(v, "more than %d alias domains, or MySQL: %s",
		    DOMAIN_MAX_ALIASES, db_error(v->db)), -1;
	return 0;
}

/* Removes what earlier runs killed after moving dir aside left:
 * siblings named ".deleted-BASE.PID" (userdir_trash's names). The domain
 * is deleted now, so its mail in them goes too. Returns how many. */
static int
remove_old_trash(const struct vadmin *v, const char *dir)
{
	int n = 0;

	char parent[PATH_MAX], prefix[NAME_MAX_DOMAIN + 16], path[PATH_MAX * 2];
	const char *slash = strrchr(dir, '/');
	struct dirent *de;
	size_t plen;
	DIR *d;

	if (slash == NULL || slash == dir)
		return 0;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dir), dir);
	snprintf(prefix, sizeof(prefix), ".deleted-%s.", slash + 1);
	plen = strlen(prefix);
	d = opendir(parent);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    de->d_name[plen] == '\0' ||
		    strspn(de->d_name + plen, "0123456789") !=
		    strlen(de->d_name + plen))
			continue;
		snprintf(path, sizeof(path), "%s/%s", parent, de->d_name);
		if (userdir_remove(path) < 0)
			fprintf(stderr, "%s: warning: unable to remove %s: %s\n",
			    v->prog, path, strerror(errno));
		n++;
	}
	closedir(d);
	return n;
}

static int
run_vdeldomain(int argc, char **argv)
{
	static const char *const tables[] = {
		"DELETE FROM vpopmail WHERE pw_domain = ?",
		"DELETE FROM valias WHERE domain = ?",
		"DELETE FROM dir_control WHERE domain = ?",
		"DELETE FROM aliasdomains WHERE domain = ? OR alias = ?",
		NULL,
	};
	static const char *const optional[] = {
		"DELETE FROM lastauth WHERE domain = ?",
		"DELETE FROM limits WHERE domain = ?",
		NULL,
	};
	char domain[NAME_MAX_DOMAIN + 1], trash[PATH_MAX], err[VADMIN_ERR_LEN];
	struct alias_list *aliases = NULL;
	struct assign_entry dom;
	struct ctl_txn txn;
	struct vadmin v;
	int c, r, i, force = 0, rc = 1, trashed = 0, in_txn = 0;

	memset(&txn, 0, sizeof(txn));
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "vf")) != -1) {
		if (c == 'f')
			force = 1;
		else if (c != 'v')
			return vadm_usage(argv[0], USAGE_VDELDOMAIN);
	}
	if (argc - optind != 1)
		return vadm_usage(argv[0], USAGE_VDELDOMAIN);
	if (vadm_domain_name(&v, argv[optind], domain) < 0 || vadm_db(&v) < 0 ||
	    vadm_lock(&v) < 0)
		goto out;
	r = vadm_find_domain(&v, domain, &dom);
	if (r < 0)
		goto out;
	if (r == 0) {
		/* Rows without a users/assign entry: a domain made by SQL, or
		 * what a vdeldomain killed before its commit left. Delete
		 * what there is, so that running it again always finishes. */
		r = db_query(v.db, "SELECT 1 FROM vpopmail WHERE pw_domain = ? "
		    "LIMIT 1", (const char *[]){ domain }, 1, NULL, NULL);
		if (r < 0) {
			vadm_fail(&v, "MySQL: %s", db_error(v.db));
			goto out;
		}
		memset(&dom, 0, sizeof(dom));
		snprintf(dom.name, sizeof(dom.name), "%s", domain);
		snprintf(dom.real, sizeof(dom.real), "%s", domain);
		if (snprintf(dom.dir, sizeof(dom.dir), "%s/domains/%s",
		    v.conf.vpopmail_dir, domain) >= (int)sizeof(dom.dir)) {
			vadm_fail(&v, "domain directory path too long");
			goto out;
		}
		/* Killed after its commit: only the directory was left. */
		if (r == 0) {
			if (remove_old_trash(&v, dom.dir) > 0)
				rc = 0;
			else
				vadm_fail(&v, "domain %s does not exist", domain);
			goto out;
		}
	}
	aliases = calloc(1, sizeof(*aliases));
	if (aliases == NULL) {
		vadm_fail(&v, "out of memory");
		goto out;
	}
	if (strcmp(dom.real, domain) != 0) {
		/* An alias domain: only its own entries go. */
		aliases->n = 0;
	} else {
		if (find_aliases(&v, domain, aliases) < 0)
			goto out;
		if (aliases->n > 0 && !force) {
			vadm_fail(&v, "domain %s has %d alias domain%s (%s%s); "
			    "use -f to delete them too", domain, aliases->n,
			    aliases->n > 1 ? "s" : "", aliases->names[0],
			    aliases->n > 1 ? ", ..." : "");
			goto out;
		}
	}
	if (db_begin(v.db) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		goto out;
	}
	in_txn = 1;
	if (strcmp(dom.real, domain) != 0) {
		if (db_exec(v.db, "DELETE FROM aliasdomains WHERE alias = ?",
		    (const char *[]){ domain }, 1, NULL) < 0) {
			vadm_fail(&v, "MySQL: %s", db_error(v.db));
			goto out;
		}
	} else {
		for (i = 0; tables[i] != NULL; i++) {
			if (db_exec(v.db, tables[i], (const char *[]){ domain,
			    domain }, strstr(tables[i], "OR") ? 2 : 1,
			    NULL) < 0) {
				vadm_fail(&v, "MySQL: %s", db_error(v.db));
				goto out;
			}
		}
		/* Tables a vpopmail database may lack. */
		for (i = 0; optional[i] != NULL; i++)
			(void)db_exec(v.db, optional[i],
			    (const char *[]){ domain }, 1, NULL);
	}
	for (i = 0; i < aliases->n; i++) {
		if (ctl_del_domain(&txn, &v.conf, aliases->names[i], v.err,
		    sizeof(v.err)) < 0) {
			vadm_fail(&v, "%s", v.err);
			goto undo;
		}
	}
	if (ctl_del_domain(&txn, &v.conf, domain, v.err, sizeof(v.err)) < 0) {
		vadm_fail(&v, "%s", v.err);
		goto undo;
	}
	/* The domain's directory goes aside, back if the commit fails. */
	if (strcmp(dom.real, domain) == 0 && dom.dir[0] == '/' &&
	    strcmp(dom.dir, "/") != 0 && access(dom.dir, F_OK) == 0) {
		if (userdir_trash(dom.dir, trash, sizeof(trash)) < 0) {
			vadm_fail(&v, "unable to move %s aside: %s", dom.dir,
			    strerror(errno));
			goto undo;
		}
		trashed = 1;
	}
	if (db_commit(v.db) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		if (trashed && rename(trash, dom.dir) < 0)
			vadm_fail(&v, "unable to move %s back to %s: %s", trash,
			    dom.dir, strerror(errno));
		goto undo;
	}
	in_txn = 0;
	ctl_txn_done(&txn);
	if (trashed && userdir_remove(trash) < 0)
		fprintf(stderr, "%s: warning: unable to remove %s: %s\n",
		    v.prog, trash, strerror(errno));
	if (strcmp(dom.real, domain) == 0)
		(void)remove_old_trash(&v, dom.dir);
	vadm_hup_qmail_send();
	vadm_flush(&v);
	rc = 0;
	goto out;
undo:
	if (ctl_txn_rollback(&txn, err, sizeof(err)) < 0)
		vadm_fail(&v, "%s", err);
out:
	if (in_txn)
		db_rollback(v.db);
	free(aliases);
	vadm_end(&v);
	return rc;
}

static int
run_vaddaliasdomain(int argc, char **argv)
{
	char a[NAME_MAX_DOMAIN + 1], b[NAME_MAX_DOMAIN + 1], err[VADMIN_ERR_LEN];
	struct assign_entry ea, eb, *real;
	const char *alias;
	struct ctl_txn txn;
	struct vadmin v;
	int c, ra, rb, rc = 1;

	memset(&txn, 0, sizeof(txn));
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "v")) != -1)
		if (c != 'v')
			return vadm_usage(argv[0], USAGE_VADDALIASDOMAIN);
	if (argc - optind != 2)
		return vadm_usage(argv[0], USAGE_VADDALIASDOMAIN);
	if (vadm_domain_name(&v, argv[optind], a) < 0 ||
	    vadm_domain_name(&v, argv[optind + 1], b) < 0)
		return 1;
	if (strcmp(a, b) == 0)
		return vadm_fail(&v, "the alias and the real domain are the same");
	if (vadm_db(&v) < 0 || vadm_lock(&v) < 0)
		goto out;
	/* vpopmail takes the two in either order: the one that exists is
	 * the real domain. */
	ra = vadm_find_domain(&v, a, &ea);
	rb = ra < 0 ? -1 : vadm_find_domain(&v, b, &eb);
	if (ra < 0 || rb < 0)
		goto out;
	if (ra && rb) {
		vadm_fail(&v, "both %s and %s already exist", a, b);
		goto out;
	}
	if (!ra && !rb) {
		vadm_fail(&v, "neither %s nor %s exists: add the real domain "
		    "first", a, b);
		goto out;
	}
	real = ra ? &ea : &eb;
	alias = ra ? b : a;
	if (strcmp(real->real, real->name) != 0) {
		vadm_fail(&v, "%s is itself an alias of %s", real->name,
		    real->real);
		goto out;
	}
	if (db_query(v.db, "SELECT 1 FROM vpopmail WHERE pw_domain = ? LIMIT 1",
	    (const char *[]){ alias }, 1, NULL, NULL) > 0) {
		vadm_fail(&v, "%s has users in MySQL; it cannot become an alias",
		    alias);
		goto out;
	}
	if (db_begin(v.db) < 0 ||
	    db_exec(v.db, "DELETE FROM aliasdomains WHERE alias = ?",
	    (const char *[]){ alias }, 1, NULL) < 0 ||
	    db_exec(v.db, "INSERT INTO aliasdomains (alias, domain) VALUES "
	    "(?, ?)", (const char *[]){ alias, real->name }, 2, NULL) < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		db_rollback(v.db);
		goto out;
	}
	if (ctl_add_domain(&txn, &v.conf, alias, real->name, real->uid,
	    real->gid, real->dir, v.err, sizeof(v.err)) < 0 ||
	    db_commit(v.db) < 0) {
		vadm_fail(&v, "%s", v.err[0] ? v.err : db_error(v.db));
		db_rollback(v.db);
		if (ctl_txn_rollback(&txn, err, sizeof(err)) < 0)
			vadm_fail(&v, "%s", err);
		goto out;
	}
	ctl_txn_done(&txn);
	vadm_hup_qmail_send();
	vadm_flush(&v);
	rc = 0;
out:
	vadm_end(&v);
	return rc;
}

/* What vdominfo and vlistdomains print. */
struct dom_print {
	struct vadmin *v;
	int name, uid, gid, dir, total, real, any, json, list, count;
	const char *only;		/* one domain, or NULL for all */
};

static int
count_col(void *arg, int ncols, char **vals)
{
	if (ncols != 1)
		return -1;
	*(long *)arg = strtol(vals[0], NULL, 10);
	return 0;
}

static int
print_domain(void *arg, const struct assign_entry *e)
{
	struct dom_print *p = arg;
	int alias = strcmp(e->name, e->real) != 0;
	long users = 0;

	if (p->only != NULL && strcmp(p->only, e->name) != 0)
		return 0;
	p->count++;
	if (p->list) {
		if (p->json) {
			printf("%s{\"domain\":", p->count > 1 ? ",\n" : "");
			vadm_json_str(stdout, e->name);
			printf(",\"alias_of\":");
			if (alias)
				vadm_json_str(stdout, e->real);
			else
				printf("null");
			printf("}");
		} else if (alias) {
			printf("%s (alias of %s)\n", e->name, e->real);
		} else {
			printf("%s\n", e->name);
		}
		return 0;
	}
	if (db_query(p->v->db, "SELECT COUNT(*) FROM vpopmail WHERE "
	    "pw_domain = ?", (const char *[]){ e->real }, 1, count_col,
	    &users) < 0)
		return -1;
	if (p->json) {
		printf("%s{\"domain\":", p->count > 1 ? ",\n" : "");
		vadm_json_str(stdout, e->name);
		printf(",\"real\":");
		vadm_json_str(stdout, e->real);
		printf(",\"uid\":%lu,\"gid\":%lu,\"dir\":", e->uid, e->gid);
		vadm_json_str(stdout, e->dir);
		printf(",\"users\":%ld}", users);
		return 0;
	}
	if (p->any) {
		if (p->name) printf("%s\n", e->name);
		if (p->uid) printf("%lu\n", e->uid);
		if (p->gid) printf("%lu\n", e->gid);
		if (p->dir) printf("%s\n", e->dir);
		if (p->total) printf("%ld\n", users);
		if (p->real) printf("%s\n", e->real);
		return 0;
	}
	if (p->count > 1)
		printf("\n");
	if (alias)
		printf("domain: %s (alias of %s)\n", e->name, e->real);
	else
		printf("domain: %s\n", e->name);
	printf("uid:    %lu\n", e->uid);
	printf("gid:    %lu\n", e->gid);
	printf("dir:    %s\n", e->dir);
	printf("users:  %ld\n", users);
	return 0;
}

/* vdominfo and vlistdomains: walk users/assign. */
static int
show_domains(struct dom_print *p)
{
	struct ctl_buf b = { NULL, 0, 0 };
	char path[PATH_MAX];
	int r;

	if (ctl_path(&p->v->conf, "users/assign", path, sizeof(path)) < 0 ||
	    ctl_read(path, &b) < 0) {
		ctl_buf_free(&b);
		return vadm_fail(p->v, "unable to read users/assign: %s",
		    strerror(errno));
	}
	if (p->json)
		printf(p->only != NULL ? "" : "[");
	r = assign_each(b.p, b.len, print_domain, p);
	ctl_buf_free(&b);
	if (r < 0)
		return vadm_fail(p->v, "MySQL: %s", db_error(p->v->db));
	if (p->json)
		printf(p->only != NULL ? "\n" : "]\n");
	if (p->only != NULL && p->count == 0)
		return vadm_fail(p->v, "domain %s does not exist", p->only);
	return 0;
}

static int
run_vdominfo(int argc, char **argv)
{
	char domain[NAME_MAX_DOMAIN + 1];
	struct dom_print p;
	struct vadmin v;
	int c, rc = 1;

	memset(&p, 0, sizeof(p));
	p.json = vadm_take_flag(&argc, argv, "--json");
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	p.v = &v;
	while ((c = getopt(argc, argv, "vanugdtr")) != -1) {
		switch (c) {
		case 'v': case 'a': break;
		case 'n': p.name = p.any = 1; break;
		case 'u': p.uid = p.any = 1; break;
		case 'g': p.gid = p.any = 1; break;
		case 'd': p.dir = p.any = 1; break;
		case 't': p.total = p.any = 1; break;
		case 'r': p.real = p.any = 1; break;
		default: return vadm_usage(argv[0], USAGE_VDOMINFO);
		}
	}
	if (argc - optind > 1)
		return vadm_usage(argv[0], USAGE_VDOMINFO);
	if (argc - optind == 1) {
		if (vadm_domain_name(&v, argv[optind], domain) < 0)
			return 1;
		p.only = domain;
	}
	if (vadm_db(&v) == 0)
		rc = show_domains(&p);
	vadm_end(&v);
	return rc;
}

static int
run_vlistdomains(int argc, char **argv)
{
	struct dom_print p;
	struct vadmin v;
	int rc;

	memset(&p, 0, sizeof(p));
	p.json = vadm_take_flag(&argc, argv, "--json");
	if (argc != 1)
		return vadm_usage(argv[0], USAGE_VLISTDOMAINS);
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	p.v = &v;
	p.list = 1;
	rc = show_domains(&p);
	vadm_end(&v);
	return rc;
}

const struct vadmin_cmd domain_cmds[] = {
	{ "vadddomain", run_vadddomain, USAGE_VADDDOMAIN,
	    "add a domain: directory, postmaster, qmail's control files" },
	{ "vdeldomain", run_vdeldomain, USAGE_VDELDOMAIN,
	    "delete a domain, its users and directory (-f: and its aliases)" },
	{ "vaddaliasdomain", run_vaddaliasdomain, USAGE_VADDALIASDOMAIN,
	    "make a domain an alias of an existing one" },
	{ "vdominfo", run_vdominfo, USAGE_VDOMINFO,
	    "show a domain (or all): ids, directory, user count" },
	{ "vlistdomains", run_vlistdomains, USAGE_VLISTDOMAINS,
	    "list the domains and alias domains" },
	{ NULL, NULL, NULL, NULL },
};
