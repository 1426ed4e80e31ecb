/* daemon.c: vadmin's daemon commands (to be filled in). */
#include <stddef.h>

#include "vadmin.h"

const struct vadmin_cmd daemon_cmds[] = {
	{ NULL, NULL, NULL, NULL },
};
