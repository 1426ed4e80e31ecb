/* replay.c: runs a fuzz target over its seed corpus without libFuzzer (make check). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Inputs over this are not seeds anyone meant; the targets cap lower. */
#define REPLAY_MAX_INPUT (1 << 20)

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET=\"name\""
#endif

static int
replay_file(const char *path)
{
	unsigned char *buf;
	struct stat st;
	FILE *f;
	size_t n;

	f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	if (fstat(fileno(f), &st) < 0 || st.st_size > REPLAY_MAX_INPUT) {
		fclose(f);
		errno = EFBIG;
		return -1;
	}
	/* Exactly the input's size, so that the sanitizer build catches a
	 * read past its end. */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

/* Replays every regular file in dir; returns how many, or -1. */
static int
replay_dir(const char *dir, int *failed)
{
	char path[4096];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int n = 0;

	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    de->d_name) >= sizeof(path) || stat(path, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (replay_file(path) < 0) {
			printf("FAIL %s: %s\n", path, strerror(errno));
			(*failed)++;
			continue;
		}
		n++;
	}
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	const char *def[] = { "fuzz/corpus/" FUZZ_TARGET };
	const char **dirs = def;
	int i, n, ndirs = 1, passed = 0, failed = 0;

	if (argc > 1) {
		dirs = (const char **)(argv + 1);
		ndirs = argc - 1;
	}
	for (i = 0; i < ndirs; i++) {
		n = replay_dir(dirs[i], &failed);
		if (n < 0) {
			printf("FAIL %s: %s\n", dirs[i], strerror(errno));
			failed++;
			continue;
		}
		passed += n;
	}
	/* Getting here means no input crashed the target. */
	printf("fuzz-%s: replayed %d inputs\n", FUZZ_TARGET, passed);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0 || passed == 0;
}
