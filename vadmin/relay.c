/* relay.c: vadmin's relay commands (to be filled in). */
#include <stddef.h>

#include "vadmin.h"

const struct vadmin_cmd relay_cmds[] = {
	{ NULL, NULL, NULL, NULL },
};
