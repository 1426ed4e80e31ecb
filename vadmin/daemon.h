/* daemon.h: asking a running vauthd, shared by vadmin's daemon and throttle commands. */
#ifndef VADMIN_DAEMON_H
#define VADMIN_DAEMON_H

#include <stddef.h>

#include "proto.h"

/* Where vauthd listens: opt_socket (-S), else $VAUTHD_SOCKET, else the
 * socket named in opt_conf (-f) or the default config, else the built-in
 * default. Returns 0, or -1 after saying why on stderr. */
int daemon_socket(const char *opt_socket, const char *opt_conf, char *out,
    size_t cap);

/* The options of the commands that ask vauthd: -S socket, -f config,
 * "--"; also --prometheus (-p) when prom is not NULL, -a when all is not
 * NULL. Returns the index of the first operand, or -1. */
int daemon_options(int argc, char **argv, const char **sock,
    const char **conf, int *prom, int *all);

/* Sends req and writes the text of vauthd's 'O' to stdout. Returns the
 * exit status, as daemon_ask. */
int daemon_print(const char *name, const char *sock,
    const struct proto_request *req);

/* Sends req; says on stderr what went wrong. Returns the exit status: 0
 * for 'O', 1 for 'N', 111 when vauthd could not be asked or said 'T'. */
int daemon_ask(const char *name, const char *sock,
    const struct proto_request *req, struct proto_response *resp,
    unsigned char *buf, size_t cap);

#endif
