/* alias.c: vadmin's alias command: valias, forwards and aliases in the valias table. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"
#include "vadmin.h"

#define USAGE_VALIAS "[--json] [-s | -n | -d | -i alias_line] " \
	"alias@domain|domain"
/* Longest alias line (a forward address or a |program line) vadmin
 * stores: what it can read back. */
#define ALIAS_MAX_LINE 1000

struct alias_show {
	int json, names, count;
	char last[NAME_MAX_USER + 1];
};

/* alias, domain, line */
static int
show_row(void *arg, int ncols, char **vals)
{
	struct alias_show *s = arg;

	if (ncols != 3)
		return -1;
	if (s->names) {
		/* Rows come sorted: print each alias name once. */
		if (strcmp(s->last, vals[0]) == 0)
			return 0;
		snprintf(s->last, sizeof(s->last), "%s", vals[0]);
	}
	s->count++;
	if (s->json) {
		printf("%s{\"alias\":", s->count > 1 ? ",\n" : "");
		vadm_json_str(stdout, vals[0]);
		printf(",\"domain\":");
		vadm_json_str(stdout, vals[1]);
		if (!s->names) {
			printf(",\"line\":");
			vadm_json_str(stdout, vals[2]);
		}
		printf("}");
	} else if (s->names) {
		printf("%s@%s\n", vals[0], vals[1]);
	} else {
		printf("%s@%s -> %s\n", vals[0], vals[1], vals[2]);
	}
	return 0;
}

/* An alias line: one address or |program, no line breaks or control
 * bytes. Returns 0 or -1 (printed). */
static int
check_line(const struct vadmin *v, const char *line)
{
	size_t i, len = strlen(line);

	if (len == 0 || len > ALIAS_MAX_LINE) {
		vadm_fail(v, "the alias line must be 1 to %d bytes",
		    ALIAS_MAX_LINE);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f) {
			vadm_fail(v, "the alias line has a control character "
			    "or line break");
			return -1;
		}
	}
	return 0;
}

static int
run_valias(int argc, char **argv)
{
	char user[NAME_MAX_USER + 1], given[NAME_MAX_DOMAIN + 1];
	char domain[NAME_MAX_DOMAIN + 1];
	const char *insert = NULL;
	unsigned long long n = 0;
	struct alias_show s;
	struct vadmin v;
	int c, r, rc = 1, del = 0, whole;

	memset(&s, 0, sizeof(s));
	s.json = vadm_take_flag(&argc, argv, "--json");
	if (vadm_init(&v, argv[0]) < 0)
		return 1;
	while ((c = getopt(argc, argv, "vnsdi:")) != -1) {
		switch (c) {
		case 'v': case 's': break;
		case 'n': s.names = 1; break;
		case 'd': del = 1; break;
		case 'i': insert = optarg; break;
		default: return vadm_usage(argv[0], USAGE_VALIAS);
		}
	}
	if (argc - optind != 1 || (del && insert != NULL))
		return vadm_usage(argv[0], USAGE_VALIAS);
	whole = strchr(argv[optind], '@') == NULL;
	if (whole) {
		if (del || insert != NULL)
			return vadm_fail(&v, "-d and -i need alias@domain");
		if (vadm_domain_name(&v, argv[optind], given) < 0)
			return 1;
		user[0] = '\0';
	} else if (vadm_email(&v, argv[optind], user, given) < 0) {
		return 1;
	}
	if (insert != NULL && check_line(&v, insert) < 0)
		return 1;
	if (vadm_db(&v) < 0)
		goto out;
	if ((del || insert != NULL) && vadm_lock(&v) < 0)
		goto out;
	r = vadm_real_domain(&v, given, domain, NULL);
	if (r <= 0) {
		if (r == 0)
			vadm_fail(&v, "domain %s does not exist", given);
		goto out;
	}
	if (insert != NULL) {
		/* The same line twice would deliver twice. */
		r = db_query(v.db, "SELECT 1 FROM valias WHERE alias = ? AND "
		    "domain = ? AND valias_line = ?",
		    (const char *[]){ user, domain, insert }, 3, NULL, NULL);
		if (r == 0 && db_exec(v.db, "INSERT INTO valias (alias, domain, "
		    "valias_line) VALUES (?, ?, ?)",
		    (const char *[]){ user, domain, insert }, 3, NULL) < 0)
			r = -1;
		if (r < 0) {
			vadm_fail(&v, "MySQL: %s", db_error(v.db));
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (del) {
		if (db_exec(v.db, "DELETE FROM valias WHERE alias = ? AND "
		    "domain = ?", (const char *[]){ user, domain }, 2, &n) < 0) {
			vadm_fail(&v, "MySQL: %s", db_error(v.db));
			goto out;
		}
		if (n == 0) {
			vadm_fail(&v, "no alias %s@%s", user, domain);
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (s.json)
		printf("[");
	r = db_query(v.db, "SELECT alias, domain, valias_line FROM valias "
	    "WHERE domain = ? AND (? = '' OR alias = ?) ORDER BY alias",
	    (const char *[]){ domain, user, user }, 3, show_row, &s);
	if (r < 0) {
		vadm_fail(&v, "MySQL: %s", db_error(v.db));
		goto out;
	}
	if (s.json)
		printf("]\n");
	if (!whole && s.count == 0 && !s.json) {
		vadm_fail(&v, "no alias %s@%s", user, domain);
		goto out;
	}
	rc = 0;
out:
	vadm_end(&v);
	return rc;
}

const struct vadmin_cmd alias_cmds[] = {
	{ "valias", run_valias, USAGE_VALIAS,
	    "show (-s, -n), add (-i) or delete (-d) forwards and aliases" },
	{ NULL, NULL, NULL, NULL },
};
