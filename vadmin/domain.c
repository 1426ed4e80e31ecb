/* domain.c: vadmin's domain commands (to be filled in). */
#include <stddef.h>

#include "vadmin.h"

const struct vadmin_cmd domain_cmds[] = {
	{ NULL, NULL, NULL, NULL },
};
