/* name.c: what a virtual user name and a mail domain may look like. */
#include <string.h>

#include "name.h"

static int
fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return -1;
}

void
name_fold(char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/* Letters, digits and ._-+= only: no '/', no control or 8-bit bytes, no
 * shell or SQL metacharacters, nothing that means something in a path. */
int
name_check_user(const char *s, size_t len, const char **why)
{
	size_t i;
	unsigned char c;

	if (len == 0)
		return fail(why, "user name is empty");
	if (len > NAME_MAX_USER)
		return fail(why, "user name is over 32 bytes");
	if (s[0] == '.' || s[0] == '-')
		return fail(why, "user name starts with '.' or '-'");
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			return fail(why, "user name has a control or non-ASCII byte");
		if (c == '/')
			return fail(why, "user name has a '/'");
		if (c == '.' && i + 1 < len && s[i + 1] == '.')
			return fail(why, "user name has '..'");
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || c == '+' || c == '='))
			return fail(why, "user name has a character other than "
			    "letters, digits and ._-+=");
	}
	return 0;
}

/* RFC 1035 host names: labels of letters, digits and inner hyphens. */
int
name_check_domain(const char *s, size_t len, const char **why)
{
	size_t i, label = 0;
	unsigned char c;

	if (len == 0)
		return fail(why, "domain is empty");
	if (len > NAME_MAX_DOMAIN)
		return fail(why, "domain is over 253 bytes");
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0)
				return fail(why, "domain has an empty label");
			if (s[i - 1] == '-')
				return fail(why, "domain label ends with '-'");
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return fail(why, "domain has a character other than "
			    "letters, digits, '-' and '.'");
		if (c == '-' && label == 0)
			return fail(why, "domain label starts with '-'");
		if (++label > NAME_MAX_LABEL)
			return fail(why, "domain label is over 63 bytes");
	}
	if (label == 0)
		return fail(why, "domain ends with '.'");
	if (s[len - 1] == '-')
		return fail(why, "domain label ends with '-'");
	return 0;
}

int
name_split_login(const char *login, size_t len, const char *default_domain,
    char *user, char *domain, const char **why)
{
	size_t ulen = len, dlen;
	const char *d = NULL;
	size_t i;

	for (i = 0; i < len; i++) {
		if (login[i] == '@' || login[i] == '%') {
			ulen = i;
			d = login + i + 1;
			break;
		}
	}
	if (ulen > NAME_MAX_USER)
		return fail(why, "user name is over 32 bytes");
	if (name_check_user(login, ulen, why) < 0)
		return -1;
	if (d != NULL) {
		dlen = len - ulen - 1;
	} else {
		if (default_domain == NULL || *default_domain == '\0')
			return fail(why, "no domain and no default domain");
		d = default_domain;
		dlen = strlen(default_domain);
	}
	if (dlen > NAME_MAX_DOMAIN)
		return fail(why, "domain is over 253 bytes");
	if (name_check_domain(d, dlen, why) < 0)
		return -1;
	memcpy(user, login, ulen);
	user[ulen] = '\0';
	name_fold(user, ulen);
	memcpy(domain, d, dlen);
	domain[dlen] = '\0';
	name_fold(domain, dlen);
	return 0;
}
