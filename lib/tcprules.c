/* tcprules.c: tcpserver's access rules: tcprules' text, the cdb, the lookup. */
#include <arpa/inet.h>
#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "errbuf.h"
#include "io.h"
#include "tcprules.h"

/* A line shown in an error: its first bytes, anything unprintable as '?'
 * (the text is the admin's, but an error may end up in a log). */
#define SHOW_MAX 80

static const char relay_data[] = "+RELAYCLIENT=";

struct rule {
	char data[TCPRULES_MAX_LINE + 2];
	size_t dlen;
	char key[TCPRULES_MAX_KEY];
};

static void
show(const char *s, size_t len, char *out)
{
	size_t i, n = len < SHOW_MAX ? len : SHOW_MAX;

	for (i = 0; i < n; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[n] = '\0';
}

/* Digits as ucspi-tcp's scan_ulong reads them (wrapping on overflow); the
 * field must end there or at a NUL, as tcprules' getnum demands. */
static int
getnum(const char *s, size_t len, unsigned long *u)
{
	unsigned long r = 0;
	size_t i = 0;

	while (i < len && (unsigned char)(s[i] - '0') < 10) {
		r = r * 10 + (unsigned long)(s[i] - '0');
		i++;
	}
	if (i < len && s[i] != '\0')
		return -1;
	*u = r;
	return 0;
}

/* ADDRESS without '=' or '@' and with a '-': "a.b.c.BOT-TOP.rest" becomes
 * one key per number, TOP capped at 255. Returns records added, -1 with
 * errno from add, -2 for a malformed number. */
static long
add_address(const char *a, size_t alen, struct rule *r, tcprules_add_fn add,
    void *arg)
{
	const char *dash;
	size_t i, left, right, klen;
	unsigned long bot, top;
	long n = 0;
	int dl;

	if (memchr(a, '=', alen) != NULL || memchr(a, '@', alen) != NULL ||
	    (dash = memchr(a, '-', alen)) == NULL)
		return add(arg, a, alen, r->data, r->dlen) < 0 ? -1 : 1;
	i = (size_t)(dash - a);
	for (left = i; left > 0 && a[left - 1] != '.'; left--)
		;
	right = i + 1;
	while (right < alen && a[right] != '.')
		right++;
	if (getnum(a + left, i - left, &bot) < 0 ||
	    getnum(a + i + 1, right - i - 1, &top) < 0)
		return -2;
	if (top > 255)
		top = 255;
	for (; bot <= top; bot++) {
		memcpy(r->key, a, left);
		dl = snprintf(r->key + left, 4, "%lu", bot);
		klen = left + (size_t)dl;
		memcpy(r->key + klen, a + right, alen - right);
		klen += alen - right;
		if (add(arg, r->key, klen, r->data, r->dlen) < 0)
			return -1;
		n++;
	}
	return n;
}

/* ADDRESS:allow|deny[,NAME=qVALUEq]... after trailing blanks are cut. The
 * instructions become "D\0" and "+NAME=VALUE\0" items in r->data.
 * Returns 0, -1 for a malformed line. */
static int
parse_instructions(const char *x, size_t len, struct rule *r)
{
	const char *eq, *end;
	size_t i;
	char q;

	r->dlen = 0;
	if (len >= 4 && memcmp(x, "deny", 4) == 0) {
		memcpy(r->data, "D", 2);
		r->dlen = 2;
		x += 4;
		len -= 4;
	} else if (len >= 5 && memcmp(x, "allow", 5) == 0) {
		x += 5;
		len -= 5;
	} else {
		return -1;
	}
	while (len > 0) {
		if (*x != ',')
			return -1;
		eq = memchr(x, '=', len);
		if (eq == NULL)
			return -1;
		i = (size_t)(eq - x);
		r->data[r->dlen++] = '+';
		memcpy(r->data + r->dlen, x + 1, i);	/* NAME= */
		r->dlen += i;
		x += i + 1;
		len -= i + 1;
		if (len == 0)
			return -1;
		q = *x++;
		len--;
		end = memchr(x, q, len);
		if (end == NULL)
			return -1;
		i = (size_t)(end - x);
		memcpy(r->data + r->dlen, x, i);
		r->dlen += i;
		r->data[r->dlen++] = '\0';
		x += i + 1;
		len -= i + 1;
	}
	return 0;
}

long
tcprules_parse(const char *text, size_t len, tcprules_add_fn add, void *arg,
    char *err, size_t errlen)
{
	static __thread struct rule r;
	char shown[SHOW_MAX + 1];
	const char *x, *nl, *colon;
	size_t pos = 0, n;
	unsigned long lineno = 0;
	long total = 0, k;

	if (len > TCPRULES_MAX_FILE) {
		errno = EFBIG;
		return errf(err, errlen, "over %d bytes", TCPRULES_MAX_FILE);
	}
	while (pos < len) {
		lineno++;
		x = text + pos;
		nl = memchr(x, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - x) + 1 : len - pos;
		pos += n;
		if (x[0] == '#' || x[0] == '\n')
			continue;
		while (n > 0 && (x[n - 1] == '\n' || x[n - 1] == ' ' ||
		    x[n - 1] == '\t'))
			n--;
		if (n > TCPRULES_MAX_LINE) {
			errno = EINVAL;
			return errf(err, errlen, "line %lu: longer than %d bytes",
			    lineno, TCPRULES_MAX_LINE);
		}
		colon = memchr(x, ':', n);
		if (colon == NULL)
			continue;
		k = -2;
		if (parse_instructions(colon + 1, n - (size_t)(colon - x) - 1,
		    &r) == 0)
			k = add_address(x, (size_t)(colon - x), &r, add, arg);
		if (k == -1)
			return errf(err, errlen, "line %lu: unable to add a "
			    "record: %s", lineno, strerror(errno));
		if (k == -2) {
			show(x, n, shown);
			errno = EINVAL;
			return errf(err, errlen, "line %lu: unable to parse this "
			    "line: %s", lineno, shown);
		}
		total += k;
	}
	return total;
}

int
tcprules_add_relay(tcprules_add_fn add, void *arg, const char *ip)
{
	return add(arg, ip, strlen(ip), relay_data, sizeof(relay_data));
}

int
tcprules_addr_canon(const char *s, size_t len, char out[TCPRULES_MAX_ADDR + 1])
{
	char in[TCPRULES_MAX_ADDR + 1];
	unsigned char a[16];

	if (len == 0 || len > TCPRULES_MAX_ADDR || memchr(s, '\0', len))
		goto bad;
	memcpy(in, s, len);
	in[len] = '\0';
	if (inet_pton(AF_INET, in, a) == 1) {
		if (inet_ntop(AF_INET, a, out, TCPRULES_MAX_ADDR + 1) == NULL)
			goto bad;
		return 0;
	}
	if (inet_pton(AF_INET6, in, a) != 1)
		goto bad;
	if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
		if (inet_ntop(AF_INET, a + 12, out, TCPRULES_MAX_ADDR + 1) ==
		    NULL)
			goto bad;
		return 0;
	}
	if (inet_ntop(AF_INET6, a, out, TCPRULES_MAX_ADDR + 1) == NULL)
		goto bad;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

int
tcprules_read(const char *path, char *buf, size_t cap, size_t *len,
    char *err, size_t errlen)
{
	ssize_t got;
	int fd;

	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return errf(err, errlen, "unable to open %s: %s", path,
		    strerror(errno));
	got = io_read_all(fd, buf, cap);
	if (got < 0) {
		errf(err, errlen, "unable to read %s: %s", path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if ((size_t)got == cap)
		return errf(err, errlen, "%s: over %zu bytes", path, cap - 1);
	*len = (size_t)got;
	return 0;
}

static int
add_cdb(void *arg, const char *key, size_t klen, const char *data,
    size_t dlen)
{
	return cdb_make_add(arg, key, (unsigned)klen, data, (unsigned)dlen);
}

long
tcprules_write(const char *cdb_path, const char *text, size_t len,
    const char *const *relay, size_t nrelay, char *err, size_t errlen)
{
	struct atomic_file af;
	struct cdb_make cm;
	long n;
	size_t i;

	if (atomic_begin(&af, cdb_path, 0644) < 0)
		return errf(err, errlen, "unable to create a temporary file "
		    "for %s: %s", cdb_path, strerror(errno));
	if (cdb_make_start(&cm, af.fd) < 0) {
		errf(err, errlen, "unable to start %s: %s", cdb_path,
		    strerror(errno));
		goto fail;
	}
	n = tcprules_parse(text, len, add_cdb, &cm, err, errlen);
	if (n < 0)
		goto fail_make;
	for (i = 0; i < nrelay; i++, n++)
		if (tcprules_add_relay(add_cdb, &cm, relay[i]) < 0) {
			errf(err, errlen, "unable to write %s: %s", cdb_path,
			    strerror(errno));
			goto fail_make;
		}
	if (cdb_make_finish(&cm) < 0) {
		errf(err, errlen, "unable to write %s: %s", cdb_path,
		    strerror(errno));
		goto fail;
	}
	if (atomic_commit(&af) < 0)
		return errf(err, errlen, "unable to replace %s: %s", cdb_path,
		    strerror(errno));
	return n;
fail_make:
	/* tinycdb frees its record lists only in finish; the temp file it
	 * writes is removed below. */
	(void)cdb_make_finish(&cm);
fail:
	atomic_abort(&af);
	return -1;
}

size_t
tcprules_keep_canon(const char **ips, size_t n)
{
	char canon[TCPRULES_MAX_ADDR + 1];
	size_t i, kept = 0;

	for (i = 0; i < n; i++)
		if (tcprules_addr_canon(ips[i], strlen(ips[i]), canon) == 0 &&
		    strcmp(canon, ips[i]) == 0)
			ips[kept++] = ips[i];
	return kept;
}

long
tcprules_rebuild(const char *rules_path, const char *cdb_path,
    const char *const *relay, size_t nrelay, char *err, size_t errlen)
{
	char sub[TCPRULES_ERR_LEN], *text;
	size_t len = 0;
	long n;

	text = malloc(TCPRULES_MAX_FILE + 1);
	if (text == NULL)
		return errf(err, errlen, "out of memory");
	if (rules_path[0] != '\0' && tcprules_read(rules_path, text,
	    TCPRULES_MAX_FILE + 1, &len, err, errlen) < 0) {
		free(text);
		return -1;
	}
	n = tcprules_write(cdb_path, text, len, relay, nrelay, sub,
	    sizeof(sub));
	free(text);
	if (n < 0)
		errf(err, errlen, "%s: %s", rules_path[0] != '\0' ? rules_path :
		    cdb_path, sub);
	return n;
}

int
tcprules_lock(const char *cdb_path, int timeout_ms)
{
	char lock[PATH_MAX], dir[PATH_MAX];
	struct stat dst, lst;
	int fd;

	if (snprintf(lock, sizeof(lock), "%s.lock", cdb_path) >=
	    (int)sizeof(lock)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = atomic_lock(lock, timeout_ms);
	if (fd < 0 || geteuid() != 0)
		return fd;
	atomic_dir_of(cdb_path, dir);
	if (stat(dir, &dst) == 0 && fstat(fd, &lst) == 0 &&
	    (lst.st_uid != dst.st_uid || lst.st_gid != dst.st_gid) &&
	    fchown(fd, dst.st_uid, dst.st_gid) < 0) {
		atomic_unlock(fd);
		return -1;
	}
	return fd;
}

/* What tcprulescheck prints, collected in a bounded buffer. */
struct out {
	char *p;
	size_t cap, len;
	int full;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* One record: "D\0" stops at a deny; "+NAME=VALUE\0" sets a variable;
 * bytes after the last NUL are not an item. */
static void
print_found(struct out *o, const char *key, size_t klen, const char *d,
    size_t dlen)
{
	const char *nul;

	puts_(o, "rule ");
	put(o, key, klen);
	puts_(o, ":\n");
	while ((nul = memchr(d, '\0', dlen)) != NULL) {
		if (d[0] == 'D') {
			puts_(o, "deny connection\n");
			return;
		}
		if (d[0] == '+') {
			puts_(o, "set environment variable ");
			puts_(o, d + 1);
			puts_(o, "\n");
		}
		dlen -= (size_t)(nul - d) + 1;
		d = nul + 1;
	}
	puts_(o, "allow connection\n");
}

/* 1 found (and printed), 0 not found, -1 error. */
static int
try_key(struct cdb *c, struct out *o, const char *key, size_t klen)
{
	const char *d;
	unsigned dlen;
	int r;

	r = cdb_find(c, key, (unsigned)klen);
	if (r <= 0)
		return r < 0 ? -1 : 0;
	dlen = cdb_datalen(c);
	d = cdb_get(c, dlen, cdb_datapos(c));
	if (d == NULL)
		return -1;
	print_found(o, key, klen, d, dlen);
	return 1;
}

/* The order of ucspi-tcp's rules.c. */
static int
lookup(struct cdb *c, struct out *o, const char *ip, const char *host,
    const char *info)
{
	char key[3 * TCPRULES_MAX_CHECK + 4];
	size_t n, k;
	int r;

	if (info != NULL) {
		n = (size_t)snprintf(key, sizeof(key), "%s@%s", info, ip);
		if ((r = try_key(c, o, key, n)) != 0)
			return r;
		if (host != NULL) {
			n = (size_t)snprintf(key, sizeof(key), "%s@=%s", info,
			    host);
			if ((r = try_key(c, o, key, n)) != 0)
				return r;
		}
	}
	if ((r = try_key(c, o, ip, strlen(ip))) != 0)
		return r;
	if (host != NULL) {
		n = (size_t)snprintf(key, sizeof(key), "=%s", host);
		if ((r = try_key(c, o, key, n)) != 0)
			return r;
	}
	for (k = strlen(ip); k > 0; k--)
		if (ip[k - 1] == '.' && (r = try_key(c, o, ip, k)) != 0)
			return r;
	if (host != NULL) {
		for (; *host != '\0'; host++) {
			if (*host != '.')
				continue;
			n = (size_t)snprintf(key, sizeof(key), "=%s", host);
			if ((r = try_key(c, o, key, n)) != 0)
				return r;
		}
		if ((r = try_key(c, o, "=", 1)) != 0)
			return r;
	}
	return try_key(c, o, "", 0);
}

long
tcprules_check(const char *cdb_path, const char *ip, const char *host,
    const char *info, char *outbuf, size_t cap)
{
	struct out o = { outbuf, cap, 0, 0 };
	struct cdb c;
	int fd, r;

	if (strlen(ip) > TCPRULES_MAX_CHECK ||
	    (host != NULL && strlen(host) > TCPRULES_MAX_CHECK) ||
	    (info != NULL && strlen(info) > TCPRULES_MAX_CHECK)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(cdb_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (cdb_init(&c, fd) < 0) {
		r = errno;
		close(fd);
		errno = r != 0 ? r : EPROTO;
		return -1;
	}
	r = lookup(&c, &o, ip, host, info);
	cdb_free(&c);
	close(fd);
	if (r < 0) {
		errno = EPROTO;
		return -1;
	}
	if (r == 0)
		puts_(&o, "default:\nallow connection\n");
	if (o.full) {
		errno = ENOSPC;
		return -1;
	}
	return (long)o.len;
}
