/* client.h: one request to vauthd over its Unix socket, with a deadline. */
#ifndef VAUTH_CLIENT_H
#define VAUTH_CLIENT_H

#include "proto.h"

/* How long a client waits for vauthd before calling it a temporary failure.
 * Longer than vauthd's own MySQL timeouts, so vauthd answers TEMP first. */
#define CLIENT_TIMEOUT_MS 15000

/* Sends req to the daemon at path and decodes its answer into *resp.
 * buf (cap bytes, at least PROTO_MAX_RESPONSE + 2 for STATS) holds the raw
 * response, which resp's strings may point into. Returns 0, or -1 with
 * errno when the daemon could not be reached, timed out or misbehaved:
 * the caller treats -1 as AUTH_TEMP. */
int client_call(const char *path, const struct proto_request *req,
    struct proto_response *resp, unsigned char *buf, size_t cap,
    int timeout_ms);

#endif
