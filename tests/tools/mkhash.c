/* mkhash.c: test helper: print a fresh libcrypt hash: mkhash PREFIX PASSWORD. */
#include <stdio.h>

#include "passwd.h"

int
main(int argc, char **argv)
{
	char out[PASSWD_MAX_HASH];

	if (argc != 3) {
		fputs("usage: mkhash prefix password\n", stderr);
		return 2;
	}
	if (passwd_hash(argv[1], argv[2], out, sizeof(out)) < 0) {
		perror("mkhash");
		return 1;
	}
	puts(out);
	return 0;
}
