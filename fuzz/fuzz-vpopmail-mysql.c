/* fuzz-vpopmail-mysql.c: fuzz target for vpopmail.mysql (conf_parse_vpopmail). */
#include <string.h>

#include "conf.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c;
	char err[CONF_ERR_LEN];

	conf_defaults(&c);
	if (conf_parse_vpopmail(&c, (const char *)data, size, err,
	    sizeof(err)) < 0)
		return 0;
	FUZZ_ASSERT(memchr(c.mysql_host, '\0', sizeof(c.mysql_host)) != NULL);
	FUZZ_ASSERT(memchr(c.mysql_socket, '\0', sizeof(c.mysql_socket)) != NULL);
	FUZZ_ASSERT(memchr(c.mysql_password, '\0',
	    sizeof(c.mysql_password)) != NULL);
	FUZZ_ASSERT(c.mysql_port <= 65535);
	return 0;
}
