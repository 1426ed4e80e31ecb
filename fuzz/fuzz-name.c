/* fuzz-name.c: fuzz target for login splitting (name_split_login) and the name rules. */
#include <string.h>

#include "fuzz.h"
#include "name.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	const char *why = NULL;
	size_t ul, dl;

	if (name_split_login((const char *)data, size, "example.com", user,
	    domain, &why) < 0) {
		FUZZ_ASSERT(why != NULL);
		return 0;
	}
	ul = strlen(user);
	dl = strlen(domain);
	/* What comes out obeys the rules it was checked by. */
	FUZZ_ASSERT(ul <= NAME_MAX_USER && dl <= NAME_MAX_DOMAIN);
	FUZZ_ASSERT(name_check_user(user, ul, NULL) == 0);
	FUZZ_ASSERT(name_check_domain(domain, dl, NULL) == 0);
	FUZZ_ASSERT(strpbrk(user, "/@%\\'\"") == NULL);
	FUZZ_ASSERT(strpbrk(user, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == NULL);
	return 0;
}
