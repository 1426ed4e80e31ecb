/* fuzz-control.c: fuzz target for vadmin's control-file and users/assign parsing, editing and cdb building. */
#include <cdb.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "control.h"
#include "fuzz.h"

/* Control files are the admin's, but vadmin must never crash or write
 * past a buffer whatever they hold. */
#define FUZZ_MAX_INPUT 65536

static int
count(void *arg, const struct assign_entry *e)
{
	FUZZ_ASSERT(strlen(e->name) <= NAME_MAX_DOMAIN);
	(*(int *)arg)++;
	return 0;
}

/* Builds a cdb into fd from scratch; 1 when cdb accepts what was built. */
static int
readable(int fd)
{
	struct cdb c;
	int ok;

	if (cdb_init(&c, fd) != 0)
		return 0;
	ok = cdb_find(&c, "!x", 2) >= 0;
	cdb_free(&c);
	return ok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum ctl_kind kinds[] = { CTL_HOSTS, CTL_VIRTUAL,
	    CTL_ASSIGN };
	static const char *const lines[] = { "a.test", "a.test:a.test",
	    "+a.test-:a.test:1:1:/d:-::" };
	struct ctl_buf out = { NULL, 0, 0 };
	struct assign_entry e;
	const char *text;
	char err[256];
	size_t len, k;
	int fd, n = 0;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	k = data[0] % 3;
	text = (const char *)data + 1;
	len = size - 1;

	(void)ctl_count_hosts(text, len);
	(void)assign_each(text, len, count, &n);
	(void)assign_find(text, len, "a.test", &e);

	/* Removing an entry leaves none; adding it back makes one. */
	FUZZ_ASSERT(ctl_remove(text, len, kinds[k], "a.test", &out) >= 0);
	FUZZ_ASSERT(out.len <= len);
	FUZZ_ASSERT(!ctl_has(out.p, out.len, kinds[k], "a.test"));
	FUZZ_ASSERT(ctl_append(&out, kinds[k], lines[k]) == 0);
	FUZZ_ASSERT(ctl_has(out.p, out.len, kinds[k], "a.test"));
	if (kinds[k] == CTL_ASSIGN)
		FUZZ_ASSERT(assign_find(out.p, out.len, "a.test", &e) == 1 &&
		    e.uid == 1 && strcmp(e.dir, "/d") == 0);

	fd = memfd_create("fuzz-control", 0);
	FUZZ_ASSERT(fd >= 0);
	if (ctl_build_users_cdb(text, len, fd, err, sizeof(err)) == 0)
		FUZZ_ASSERT(readable(fd));
	FUZZ_ASSERT(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	if (ctl_build_hosts_cdb(text, len, fd) == 0)
		FUZZ_ASSERT(readable(fd));
	close(fd);
	ctl_buf_free(&out);
	return 0;
}
