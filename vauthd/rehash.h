/* rehash.h: upgrade a weak stored hash after a login that proved the password. */
#ifndef VAUTHD_REHASH_H
#define VAUTHD_REHASH_H

#include <stddef.h>

#include "pool.h"
#include "request.h"

/* When row's hash is weaker than the configured hash_prefix ($1$, DES, or
 * none but a clear password) and secret was just verified against it,
 * stores secret hashed in the configured scheme in that row, unless the
 * row changed meanwhile, and logs it. Failures are logged and otherwise
 * ignored: the login itself has already succeeded. */
void rehash_if_weak(const struct request_ctx *ctx, const struct pool_user *row,
    const char *secret, size_t slen);

#endif
