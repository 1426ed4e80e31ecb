/* daemon.c: vadmin's commands that talk to a running vauthd: stats, flush. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conf.h"
#include "proto.h"
#include "daemon.h"
#include "vadmin.h"

#define DEFAULT_CONF "/etc/vauth/vauthd.conf"
#define EXIT_TEMP    111

/* -S wins, then $VAUTHD_SOCKET (as for vchkpw), then the socket named in
 * the config file (-f, else the default one when it is there), then the
 * compiled-in default. */
int
daemon_socket(const char *opt_socket, const char *opt_conf, char *out,
    size_t cap)
{
	static struct conf cf;
	char err[CONF_ERR_LEN];
	const char *s = opt_socket;

	if (s == NULL)
		s = getenv("VAUTHD_SOCKET");
	if (s == NULL && (opt_conf != NULL || access(DEFAULT_CONF, R_OK) == 0)) {
		conf_defaults(&cf);
		if (conf_load(&cf, opt_conf != NULL ? opt_conf : DEFAULT_CONF,
		    err, sizeof(err)) < 0) {
			fprintf(stderr, "vadmin: %s\n", err);
			return -1;
		}
		explicit_bzero(cf.mysql_password, sizeof(cf.mysql_password));
		s = cf.socket;
	}
	if (s == NULL)
		s = VAUTHD_SOCKET;
	if (strlen(s) >= cap) {
		fprintf(stderr, "vadmin: socket path too long: %s\n", s);
		return -1;
	}
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int
daemon_ask(const char *name, const char *sock, const struct proto_request *req,
    struct proto_response *resp, unsigned char *buf, size_t cap)
{
	if (client_call(sock, req, resp, buf, cap, CLIENT_TIMEOUT_MS) < 0) {
		fprintf(stderr, "vadmin: %s: unable to ask vauthd at %s: %s\n",
		    name, sock, strerror(errno));
		return EXIT_TEMP;
	}
	if (resp->result == AUTH_OK)
		return 0;
	if (resp->result == AUTH_NO) {
		fprintf(stderr, "vadmin: %s: vauthd refused (only root may "
		    "ask)\n", name);
		return 1;
	}
	fprintf(stderr, "vadmin: %s: vauthd answered a temporary failure\n",
	    name);
	return EXIT_TEMP;
}

int
daemon_options(int argc, char **argv, const char **sock, const char **conf,
    int *prom, int *all)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-S") == 0 && i + 1 < argc)
			*sock = argv[++i];
		else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			*conf = argv[++i];
		else if (prom != NULL && (strcmp(argv[i], "--prometheus") == 0 ||
		    strcmp(argv[i], "-p") == 0))
			*prom = 1;
		else if (all != NULL && strcmp(argv[i], "-a") == 0)
			*all = 1;
		else if (strcmp(argv[i], "--") == 0)
			return i + 1;
		else
			return -1;
	}
	return i;
}

int
daemon_print(const char *name, const char *sock,
    const struct proto_request *req)
{
	static unsigned char buf[PROTO_MAX_RESPONSE + 2];
	struct proto_response resp;
	int rc;

	rc = daemon_ask(name, sock, req, &resp, buf, sizeof(buf));
	if (rc != 0)
		return rc;
	if (fwrite(resp.text.p, 1, resp.text.len, stdout) != resp.text.len ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "vadmin: %s: unable to write: %s\n", name,
		    strerror(errno));
		return EXIT_TEMP;
	}
	return 0;
}

static int
cmd_stats(int argc, char **argv)
{
	struct proto_request req;
	const char *sock = NULL, *conf = NULL;
	char path[sizeof(((struct conf *)0)->socket)];
	int prom = 0;

	if (daemon_options(argc, argv, &sock, &conf, &prom, NULL) != argc) {
		fprintf(stderr, "usage: vadmin stats [--prometheus] "
		    "[-S socket] [-f config]\n");
		return 2;
	}
	if (daemon_socket(sock, conf, path, sizeof(path)) < 0)
		return 2;
	memset(&req, 0, sizeof(req));
	req.op = PROTO_STATS;
	req.format.p = prom ? "prometheus" : "text";
	req.format.len = strlen(req.format.p);
	return daemon_print("stats", path, &req);
}

static int
cmd_flush(int argc, char **argv)
{
	unsigned char buf[64];
	struct proto_request req;
	struct proto_response resp;
	const char *sock = NULL, *conf = NULL;
	char path[sizeof(((struct conf *)0)->socket)];
	int rc;

	if (daemon_options(argc, argv, &sock, &conf, NULL, NULL) != argc) {
		fprintf(stderr, "usage: vadmin flush [-S socket] [-f config]\n");
		return 2;
	}
	if (daemon_socket(sock, conf, path, sizeof(path)) < 0)
		return 2;
	memset(&req, 0, sizeof(req));
	req.op = PROTO_FLUSH;
	rc = daemon_ask("flush", path, &req, &resp, buf, sizeof(buf));
	if (rc == 0)
		puts("vauthd: login cache flushed");
	return rc;
}

const struct vadmin_cmd daemon_cmds[] = {
	{ "stats", cmd_stats, "vadmin stats [--prometheus] [-S socket] "
	    "[-f config]", "print vauthd's counters (text or Prometheus)" },
	{ "flush", cmd_flush, "vadmin flush [-S socket] [-f config]",
	    "make vauthd forget its cached logins" },
	{ NULL, NULL, NULL, NULL },
};
