/* throttle.c: vadmin's throttle commands: list and clear vauthd's brute-force throttles. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "daemon.h"
#include "proto.h"
#include "vadmin.h"

#define EXIT_TEMP 111

static int
cmd_throttles(int argc, char **argv)
{
	struct proto_request req;
	const char *sock = NULL, *conf = NULL;
	char path[sizeof(((struct conf *)0)->socket)];

	if (daemon_options(argc, argv, &sock, &conf, NULL, NULL) != argc) {
		fprintf(stderr, "usage: vadmin throttles [-S socket] "
		    "[-f config]\n");
		return 2;
	}
	if (daemon_socket(sock, conf, path, sizeof(path)) < 0)
		return 2;
	memset(&req, 0, sizeof(req));
	req.op = PROTO_THROTTLES;
	return daemon_print("throttles", path, &req);
}

/* 'N' to UNTHROTTLE means nothing matched, so this one reads the answer
 * itself; only root is answered at all, checked first for a clear error. */
static int
unthrottle(const char *sock, const char *key)
{
	unsigned char buf[64];
	struct proto_request req;
	struct proto_response resp;

	memset(&req, 0, sizeof(req));
	req.op = PROTO_UNTHROTTLE;
	req.key.p = key;
	req.key.len = strlen(key);
	if (req.key.len > PROTO_MAX_KEY) {
		fprintf(stderr, "vadmin: unthrottle: over %d bytes: %s\n",
		    PROTO_MAX_KEY, key);
		return 2;
	}
	if (client_call(sock, &req, &resp, buf, sizeof(buf),
	    CLIENT_TIMEOUT_MS) < 0) {
		fprintf(stderr, "vadmin: unthrottle: unable to ask vauthd at "
		    "%s: %s\n", sock, strerror(errno));
		return EXIT_TEMP;
	}
	switch (resp.result) {
	case AUTH_OK:
		printf("vauthd: cleared %s\n", key[0] != '\0' ? key :
		    "every throttle");
		return 0;
	case AUTH_NO:
		fprintf(stderr, "vadmin: unthrottle: nothing throttled for "
		    "%s\n", key[0] != '\0' ? key : "anyone");
		return 1;
	case AUTH_TEMP:
		break;
	}
	fprintf(stderr, "vadmin: unthrottle: vauthd answered a temporary "
	    "failure\n");
	return EXIT_TEMP;
}

static int
cmd_unthrottle(int argc, char **argv)
{
	const char *sock = NULL, *conf = NULL;
	char path[sizeof(((struct conf *)0)->socket)];
	int i, all = 0, rc = 0, r;

	i = daemon_options(argc, argv, &sock, &conf, NULL, &all);
	if (i < 0 || (all == (i < argc))) {
		fprintf(stderr, "usage: vadmin unthrottle [-S socket] "
		    "[-f config] -a | address|user@domain ...\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "vadmin: unthrottle: vauthd answers only "
		    "root\n");
		return 1;
	}
	if (daemon_socket(sock, conf, path, sizeof(path)) < 0)
		return 2;
	if (all)
		return unthrottle(path, "");
	for (; i < argc; i++) {
		if (argv[i][0] == '\0')
			continue;	/* "" would mean everyone: use -a */
		r = unthrottle(path, argv[i]);
		if (r > rc)
			rc = r;
	}
	return rc;
}

const struct vadmin_cmd throttle_cmds[] = {
	{ "throttles", cmd_throttles, "vadmin throttles [-S socket] "
	    "[-f config]", "list the addresses and accounts vauthd is "
	    "slowing down or refusing" },
	{ "unthrottle", cmd_unthrottle, "vadmin unthrottle [-S socket] "
	    "[-f config] -a | address|user@domain ...",
	    "forget the failed logins of an address or account (-a: all)" },
	{ NULL, NULL, NULL, NULL },
};
