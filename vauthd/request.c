/* request.c: handle one decoded request: route, look up, verify, answer. */
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "conf.h"
#include "io.h"
#include "lastauth.h"
#include "log.h"
#include "name.h"
#include "passwd.h"
#include "penalty.h"
#include "pool.h"
#include "rehash.h"
#include "relay.h"
#include "request.h"
#include "stats.h"
#include "vpopmail.h"

/* Room for an escaped login or address in a log line. */
#define LOG_FIELD 160

static const char *
result_name(enum auth_result r)
{
	return r == AUTH_OK ? "ok" : r == AUTH_NO ? "no" : "temp";
}

static int
service_disabled(enum proto_service svc, uint32_t flags)
{
	switch (svc) {
	case SVC_POP3:
		return (flags & VPW_NO_POP) != 0;
	case SVC_IMAP:
		return (flags & VPW_NO_IMAP) != 0;
	case SVC_SMTP:
		return (flags & VPW_NO_SMTP) != 0;
	case SVC_WEBMAIL:
		return (flags & VPW_NO_WEBMAIL) != 0;
	case SVC_NONE:
		break;
	}
	return 1;
}

/* Secrets that look like a digest: 32 hex digits. */
static int
is_hex32(const char *s, size_t len)
{
	size_t i;

	if (len != 32)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static void
fill_user(const struct conf *cf, const struct pool_user *row,
    struct proto_user *u)
{
	snprintf(u->user, sizeof(u->user), "%s", row->name);
	name_fold(u->user, strlen(u->user));
	snprintf(u->domain, sizeof(u->domain), "%s", row->domain);
	name_fold(u->domain, strlen(u->domain));
	snprintf(u->home, sizeof(u->home), "%s", row->dir);
	snprintf(u->quota, sizeof(u->quota), "%s", row->shell);
	u->uid = (uint32_t)cf->virtual_uid;
	u->gid = (uint32_t)cf->virtual_gid;
	u->flags = row->pw_gid;
}

/* AUTH and LOOKUP share this path; a lookup (pt NULL) skips the password
 * and the throttle. */
static enum auth_result
login(const struct request_ctx *ctx, const struct proto_request *req,
    struct penalty_ticket *pt, struct proto_user *out, const char **reason)
{
	char user[NAME_MAX_USER + 1], domain[NAME_MAX_DOMAIN + 1];
	struct pool_user row;
	struct pool_conn *conn;
	enum pool_status st;
	int lookup = pt == NULL, match, locked;

	if (name_split_login(req->login.p, req->login.len,
	    ctx->conf->default_domain, user, domain, reason) < 0)
		return AUTH_NO;
	conn = pool_acquire(ctx->pool, ctx->conf->queue_timeout_ms);
	if (conn == NULL) {
		*reason = "no database connection came free";
		return AUTH_TEMP;
	}
	st = pool_user_lookup(conn, user, domain, &row);
	pool_release(ctx->pool, conn);
	if (st == POOL_ERROR) {
		*reason = "database lookup failed";
		return AUTH_TEMP;
	}
	if (st == POOL_NOTFOUND) {
		if (!lookup)
			cache_burn(req->secret.p, req->secret.len);
		*reason = "unknown user";
		return AUTH_NO;
	}
	if (lookup) {
		match = 1;
	} else if (penalty_rekey(pt, row.name, row.domain, io_now_ms())) {
		explicit_bzero(&row, sizeof(row));
		*reason = "throttled: too many failures";
		return AUTH_NO;
	} else {
		/* A locked hash refuses every kind of secret, digests too. */
		locked = row.passwd[0] == '!' || row.passwd[0] == '*';
		match = cache_verify(row.name, row.domain, row.passwd,
		    row.clear, req->secret.p, req->secret.len, NULL);
		if (match)
			rehash_if_weak(ctx, &row, req->secret.p,
			    req->secret.len);
		if (!match && !locked && req->extra.len > 0 &&
		    is_hex32(req->secret.p, req->secret.len))
			match = passwd_verify_digest(req->service, row.clear,
			    req->secret.p, req->secret.len, req->extra.p,
			    req->extra.len);
		/* A row cheaper to check than the dummy hash (locked, clear
		 * only, or a weaker scheme) must not answer faster than an
		 * unknown user does, or its speed would tell that it exists. */
		if (!match && (locked || passwd_is_weaker(row.passwd,
		    ctx->conf->hash_prefix)))
			cache_burn(req->secret.p, req->secret.len);
	}
	explicit_bzero(row.passwd, sizeof(row.passwd));
	explicit_bzero(row.clear, sizeof(row.clear));
	if (!match) {
		*reason = "wrong password";
		return AUTH_NO;
	}
	/* A lookup for no login service (mail delivery, doveadm) must find
	 * a user whatever services they may log in to. */
	if (!(lookup && req->service == SVC_NONE) &&
	    service_disabled(req->service, row.pw_gid)) {
		*reason = "service disabled for this user";
		return AUTH_NO;
	}
	if (row.dir[0] != '/') {
		*reason = "user has no absolute home directory";
		return AUTH_TEMP;
	}
	fill_user(ctx->conf, &row, out);
	*reason = lookup ? "userdb lookup" : "password ok";
	return AUTH_OK;
}

static void
log_login(const struct proto_request *req, const struct peer *peer,
    enum auth_result r, const char *reason)
{
	char who[LOG_FIELD], ip[LOG_FIELD];

	log_escape(req->login.p, req->login.len, who, sizeof(who));
	log_escape(req->remote_ip.p, req->remote_ip.len, ip, sizeof(ip));
	log_msg(r == AUTH_TEMP ? LOG_WARNING : LOG_INFO,
	    "%s service=%s user=%s ip=%s result=%s reason=%s pid=%ld",
	    req->op == PROTO_LOOKUP ? "lookup" : "login",
	    proto_service_name(req->service), who, ip[0] ? ip : "-",
	    result_name(r), reason, (long)peer->pid);
}

int
request_handle(const struct request_ctx *ctx, const struct peer *peer,
    const struct proto_request *req, struct proto_response *resp,
    char *text, size_t cap)
{
	struct penalty_ticket pt;
	const char *reason = "";
	long long t0 = stats_now_us();
	int n;

	memset(resp, 0, sizeof(*resp));
	resp->result = AUTH_TEMP;
	switch (req->op) {
	case PROTO_AUTH:
		if (penalty_check(req, ctx->conf->default_domain, io_now_ms(),
		    &pt)) {
			resp->result = AUTH_NO;
			reason = "throttled: too many failures";
		} else {
			resp->result = login(ctx, req, &pt, &resp->user, &reason);
		}
		penalty_note(&pt, resp->result, io_now_ms());
		if (resp->result == AUTH_OK) {
			lastauth_note(resp->user.user, resp->user.domain,
			    req->remote_ip.p, req->remote_ip.len);
			relay_note(req->remote_ip.p, req->remote_ip.len,
			    resp->user.user, resp->user.domain,
			    resp->user.flags, req->service);
		}
		stats_login(req->service, resp->result);
		stats_latency(stats_now_us() - t0);
		log_login(req, peer, resp->result, reason);
		return pt.delay_ms;
	case PROTO_LOOKUP:
		/* TEMP, not NO: a refusal says nothing about the user, and a
		 * userdb told "no such user" would bounce mail. */
		if (!peer->may_lookup) {
			resp->result = AUTH_TEMP;
			reason = "lookup refused: peer is neither root nor in "
			    "lookup_users";
		} else {
			resp->result = login(ctx, req, NULL, &resp->user, &reason);
		}
		log_login(req, peer, resp->result, reason);
		break;
	case PROTO_STATS:
		if (peer->uid != 0) {
			resp->result = AUTH_NO;
			break;
		}
		n = stats_format(req->format.p, req->format.len, ctx->pool,
		    text, cap);
		if (n < 0) {
			resp->result = AUTH_NO;
			break;
		}
		resp->text.p = text;
		resp->text.len = (size_t)n;
		resp->result = AUTH_OK;
		break;
	case PROTO_FLUSH:
		resp->result = peer->uid == 0 ? AUTH_OK : AUTH_NO;
		if (resp->result == AUTH_OK)
			cache_flush();
		break;
	case PROTO_PING:
		resp->result = AUTH_OK;
		break;
	case PROTO_THROTTLES:
		if (peer->uid != 0) {
			resp->result = AUTH_NO;
			break;
		}
		resp->text.p = text;
		resp->text.len = penalty_list(text, cap, io_now_ms());
		resp->result = AUTH_OK;
		break;
	case PROTO_UNTHROTTLE:
		if (peer->uid != 0) {
			resp->result = AUTH_NO;
			break;
		}
		n = penalty_clear(req->key.p, req->key.len);
		resp->result = n > 0 ? AUTH_OK : AUTH_NO;
		log_msg(LOG_NOTICE, "throttle: %d cleared by uid 0 pid %ld", n,
		    (long)peer->pid);
		break;
	}
	return 0;
}
