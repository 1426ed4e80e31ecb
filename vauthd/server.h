/* server.h: the socket side of vauthd: accept, frame, hand off, reply. */
#ifndef VAUTHD_SERVER_H
#define VAUTHD_SERVER_H

#include <sys/types.h>

#include "request.h"

/* Creates the listening socket at conf->socket: the directory must exist
 * or is made 0755, must not be a symlink, must belong to root or owner and
 * be writable by nobody else; a stale socket is replaced. The socket gets conf->socket_mode and the group
 * socket_group. Returns the fd, or -1 with a message in err. */
int server_listen(const struct conf *conf, uid_t owner, char *err,
    size_t errlen);

/* Resolves who may connect (root, ourselves, allow_users, lookup_users,
 * members of the socket's group) and who may ask LOOKUP (root and
 * lookup_users). Call before dropping privileges. Returns 0 or -1. */
int server_peers_init(const struct conf *conf, char *err, size_t errlen);

/* Blocks SIGTERM, SIGINT and SIGHUP (server_run takes them from a
 * signalfd) and ignores SIGPIPE. Call before starting any thread. */
void server_block_signals(void);

/* Runs the event loop and the workers until SIGTERM or SIGINT. Returns 0
 * on a clean stop, -1 on a fatal error (logged). */
int server_run(const struct request_ctx *ctx, int listen_fd, int workers);

#endif
