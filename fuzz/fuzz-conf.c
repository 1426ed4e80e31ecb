/* fuzz-conf.c: fuzz target for the vauthd.conf parser (conf_parse). */
#include <string.h>

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;
	char err[CONF_ERR_LEN];

	conf_defaults(&c);
	err[0] = '\0';
	if (conf_parse(&c, (const char *)data, size, err, sizeof(err)) < 0) {
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof(err)));
		return 0;
	}
	/* Every string setting stays terminated inside its buffer. */
	FUZZ_ASSERT(memchr(c.socket, '\0', sizeof(c.socket)) != NULL);
	FUZZ_ASSERT(memchr(c.mysql_password, '\0',
	    sizeof(c.mysql_password)) != NULL);
	FUZZ_ASSERT(memchr(c.default_domain, '\0',
	    sizeof(c.default_domain)) != NULL);
	FUZZ_ASSERT(c.n_allow_users >= 0 && c.n_allow_users <= CONF_MAX_ALLOW);
	FUZZ_ASSERT(c.socket_mode <= 0777);
	return 0;
}
