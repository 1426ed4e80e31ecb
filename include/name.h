/* name.h: what a virtual user name and a mail domain may look like. */
#ifndef VAUTH_NAME_H
#define VAUTH_NAME_H

#include <stddef.h>

/* vpopmail's pw_name is char(32). */
#define NAME_MAX_USER   32
/* RFC 1035: 253 characters in text form, 63 a label. */
#define NAME_MAX_DOMAIN 253
#define NAME_MAX_LABEL  63

/* Each returns 0 when s[0..len) is acceptable, or -1 with *why set to a
 * short reason naming the rule that failed. Case is not checked: callers
 * fold first (name_fold). */
int name_check_user(const char *s, size_t len, const char **why);
int name_check_domain(const char *s, size_t len, const char **why);

/* ASCII lower-case in place. */
void name_fold(char *s, size_t len);

/* Splits login ("user@domain", "user%domain" or "user") into folded,
 * checked user and domain buffers of NAME_MAX_USER+1 and NAME_MAX_DOMAIN+1
 * bytes; a login without a domain gets default_domain (NULL or "" for
 * none). Returns 0, or -1 with *why set. */
int name_split_login(const char *login, size_t len, const char *default_domain,
    char *user, char *domain, const char **why);

#endif
