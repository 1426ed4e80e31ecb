/* user.c: vadmin's user commands (to be filled in). */
#include <stddef.h>

#include "vadmin.h"

const struct vadmin_cmd user_cmds[] = {
	{ NULL, NULL, NULL, NULL },
};
