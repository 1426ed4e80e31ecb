/* main.c: vadmin's dispatcher: by subcommand, or by the name it was run as. */
#include <stdio.h>
#include <string.h>

#include "vadmin.h"

static const struct vadmin_cmd *const families[] = {
	domain_cmds, user_cmds, alias_cmds, relay_cmds, daemon_cmds,
	throttle_cmds, NULL,
};

static const struct vadmin_cmd *
find(const char *name)
{
	const struct vadmin_cmd *c;
	size_t i;

	for (i = 0; families[i] != NULL; i++)
		for (c = families[i]; c->name != NULL; c++)
			if (strcmp(c->name, name) == 0)
				return c;
	return NULL;
}

static int
help(FILE *f)
{
	const struct vadmin_cmd *c;
	size_t i;

	fputs("usage: vadmin COMMAND [ARGS...], or run as COMMAND\n"
	    "commands:\n", f);
	for (i = 0; families[i] != NULL; i++)
		for (c = families[i]; c->name != NULL; c++)
			fprintf(f, "  %-18s %s\n", c->name, c->summary);
	return f == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	const struct vadmin_cmd *c;
	const char *base;

	base = strrchr(argv[0], '/');
	base = base != NULL ? base + 1 : argv[0];
	if (strcmp(base, "vadmin") != 0) {
		c = find(base);
		if (c == NULL) {
			fprintf(stderr, "vadmin: unknown command name %s\n", base);
			return 2;
		}
		return c->run(argc, argv);
	}
	if (argc < 2)
		return help(stderr);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return help(stdout);
	c = find(argv[1]);
	if (c == NULL) {
		fprintf(stderr, "vadmin: unknown command %s (see vadmin help)\n",
		    argv[1]);
		return 2;
	}
	return c->run(argc - 1, argv + 1);
}
