/* test.h: a minimal table-friendly test harness; main() prints the summary. */
#ifndef VAUTH_TEST_H
#define VAUTH_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed;

#define CHECK(cond) do { \
	if (cond) { \
		test_passed++; \
	} else { \
		test_failed++; \
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_MSG(cond, ...) do { \
	if (cond) { \
		test_passed++; \
	} else { \
		test_failed++; \
		printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		printf(__VA_ARGS__); \
		putchar('\n'); \
	} \
} while (0)

static inline int
test_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, test_passed, test_failed);
	printf("%d passed, %d failed\n", test_passed, test_failed);
	return test_failed != 0;
}

#endif
