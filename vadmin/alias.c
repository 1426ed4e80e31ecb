/* alias.c: vadmin's alias commands (to be filled in). */
#include <stddef.h>

#include "vadmin.h"

const struct vadmin_cmd alias_cmds[] = {
	{ NULL, NULL, NULL, NULL },
};
