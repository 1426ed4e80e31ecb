/* vadmin.h: how vadmin's command families plug into its dispatcher. */
#ifndef VADMIN_H
#define VADMIN_H

/* One command: invoked as "vadmin NAME args..." or through a link named
 * NAME (vpopmail's command names). run gets argv with argv[0] == NAME and
 * returns the exit status. */
struct vadmin_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;	/* vpopmail's usage line, without "usage: " */
	const char *summary;	/* one line for "vadmin help" */
};

/* Each family file defines one table, ended by an entry with name NULL. */
extern const struct vadmin_cmd domain_cmds[];
extern const struct vadmin_cmd user_cmds[];
extern const struct vadmin_cmd alias_cmds[];
extern const struct vadmin_cmd relay_cmds[];
extern const struct vadmin_cmd daemon_cmds[];
extern const struct vadmin_cmd throttle_cmds[];

#endif
