/* rehash.c: upgrade a weak stored hash after a login that proved the password. */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "passwd.h"
#include "rehash.h"

/* The bytes of a password that traditional DES crypt reads. */
#define DES_PASSWORD_MAX 8

/* Room for an escaped user@domain in a log line. */
#define LOG_NAME (4 * (NAME_MAX_USER + 1 + NAME_MAX_DOMAIN) + 1)

void
rehash_if_weak(const struct request_ctx *ctx, const struct pool_user *row,
    const char *secret, size_t slen)
{
	const char *prefix = ctx->conf->hash_prefix;
	char pw[PROTO_MAX_SECRET + 1], hash[PASSWD_MAX_HASH + 1];
	char who[LOG_NAME], raw[NAME_MAX_USER + 1 + NAME_MAX_DOMAIN + 1];
	struct pool_conn *conn;
	int r;

	if (!passwd_is_weaker(row->passwd, prefix) || slen == 0 ||
	    slen > PROTO_MAX_SECRET)
		return;
	/* Traditional DES reads 8 bytes: "abcdefghJUNK" matches the hash of
	 * "abcdefgh", and rehashing what was typed would replace the user's
	 * password with it. */
	if (row->passwd[0] != '\0' && row->passwd[0] != '$' &&
	    slen > DES_PASSWORD_MAX)
		return;
	memcpy(pw, secret, slen);
	pw[slen] = '\0';
	r = passwd_hash(prefix, pw, hash, sizeof(hash));
	explicit_bzero(pw, sizeof(pw));
	if (r < 0)
		return;
	snprintf(raw, sizeof(raw), "%s@%s", row->name, row->domain);
	log_escape(raw, strlen(raw), who, sizeof(who));
	conn = pool_acquire(ctx->pool, ctx->conf->queue_timeout_ms);
	if (conn == NULL) {
		log_msg(LOG_WARNING, "rehash %s: no database connection came "
		    "free; will try at the next login", who);
		return;
	}
	r = pool_rehash(conn, row->name, row->domain, row->passwd, hash);
	pool_release(ctx->pool, conn);
	/* The scheme is named, never the hash. */
	if (r == 1)
		log_msg(LOG_NOTICE, "rehash %s: upgraded the stored password "
		    "hash from %s to %s", who, row->passwd[0] == '\0' ?
		    "clear text only" : row->passwd[0] == '$' ? "MD5-crypt" :
		    "DES", prefix);
	else if (r == 0)
		log_msg(LOG_INFO, "rehash %s: the row changed meanwhile; left "
		    "as it is", who);
	else
		log_msg(LOG_WARNING, "rehash %s: not upgraded (database "
		    "error); will try at the next login", who);
}
