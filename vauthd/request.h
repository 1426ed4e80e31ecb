/* request.h: decode-independent handling of one request: route, check, answer. */
#ifndef VAUTHD_REQUEST_H
#define VAUTHD_REQUEST_H

#include <sys/types.h>

#include "proto.h"

struct conf;
struct pool;

struct peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	int may_lookup;		/* root or one of lookup_users */
};

struct request_ctx {
	const struct conf *conf;
	struct pool *pool;
};

/* Answers req from peer into *resp. For STATS and THROTTLES, the text is
 * written into text (cap bytes) and resp->text points at it. Never fails:
 * anything that goes wrong is AUTH_TEMP. Returns how many milliseconds the
 * answer must be held back (the brute-force defence's delay), usually 0. */
int request_handle(const struct request_ctx *ctx, const struct peer *peer,
    const struct proto_request *req, struct proto_response *resp,
    char *text, size_t cap);

#endif
