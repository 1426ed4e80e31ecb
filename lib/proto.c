/* proto.c: encode and decode the vchkpw <-> vauthd frames (see proto.h). */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "proto.h"

struct rd {
	const unsigned char *p;
	size_t left;
};

struct wr {
	unsigned char *p;
	size_t len, cap;
};

static int
rd_byte(struct rd *r, unsigned char *out)
{
	if (r->left < 1)
		return -1;
	*out = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

static int
rd_u32(struct rd *r, uint32_t *out)
{
	if (r->left < 4)
		return -1;
	*out = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

/* string: u16 length, bytes; at most max bytes, no NUL inside. */
static int
rd_str(struct rd *r, size_t max, struct proto_str *out)
{
	size_t n;

	if (r->left < 2)
		return -1;
	n = (size_t)r->p[0] << 8 | r->p[1];
	if (n > max || n > r->left - 2)
		return -1;
	if (n > 0 && memchr(r->p + 2, '\0', n) != NULL)
		return -1;
	out->p = (const char *)r->p + 2;
	out->len = n;
	r->p += 2 + n;
	r->left -= 2 + n;
	return 0;
}

/* Copies a decoded string into a fixed buffer of max+1 bytes. */
static int
rd_strcpy(struct rd *r, size_t max, char *dst)
{
	struct proto_str s;

	if (rd_str(r, max, &s) < 0)
		return -1;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

static int
wr_byte(struct wr *w, unsigned char c)
{
	if (w->len + 1 > w->cap)
		return -1;
	w->p[w->len++] = c;
	return 0;
}

static int
wr_u32(struct wr *w, uint32_t v)
{
	if (w->len + 4 > w->cap)
		return -1;
	w->p[w->len++] = v >> 24;
	w->p[w->len++] = v >> 16;
	w->p[w->len++] = v >> 8;
	w->p[w->len++] = v;
	return 0;
}

static int
wr_str(struct wr *w, const char *s, size_t n, size_t max)
{
	if (n > max || w->len + 2 + n > w->cap)
		return -1;
	if (n > 0 && memchr(s, '\0', n) != NULL)
		return -1;
	w->p[w->len++] = n >> 8;
	w->p[w->len++] = n;
	if (n > 0)
		memcpy(w->p + w->len, s, n);
	w->len += n;
	return 0;
}

static int
wr_cstr(struct wr *w, const char *s, size_t max)
{
	return wr_str(w, s, strlen(s), max);
}

/* Fills in the 2-byte header once the body is written. */
static int
wr_finish(struct wr *w, size_t maxbody)
{
	size_t body = w->len - 2;

	if (body > maxbody)
		return -1;
	w->p[0] = body >> 8;
	w->p[1] = body;
	return (int)w->len;
}

static int
valid_service(unsigned char c)
{
	return c == SVC_POP3 || c == SVC_IMAP || c == SVC_SMTP ||
	    c == SVC_WEBMAIL;
}

size_t
proto_frame_len(const unsigned char hdr[2])
{
	return (size_t)hdr[0] << 8 | hdr[1];
}

/* version op [service login secret extra remote_ip | service login | format
 * | key] */
int
proto_decode_request(const unsigned char *buf, size_t len,
    struct proto_request *req)
{
	struct rd r = { buf, len };
	unsigned char v, op, svc;

	memset(req, 0, sizeof(*req));
	if (len < 2 || len > PROTO_MAX_REQUEST)
		goto bad;
	if (rd_byte(&r, &v) < 0 || v != PROTO_VERSION || rd_byte(&r, &op) < 0)
		goto bad;
	switch (op) {
	case PROTO_AUTH:
		if (rd_byte(&r, &svc) < 0 || !valid_service(svc) ||
		    rd_str(&r, PROTO_MAX_LOGIN, &req->login) < 0 ||
		    rd_str(&r, PROTO_MAX_SECRET, &req->secret) < 0 ||
		    rd_str(&r, PROTO_MAX_EXTRA, &req->extra) < 0 ||
		    rd_str(&r, PROTO_MAX_IP, &req->remote_ip) < 0)
			goto bad;
		req->service = svc;
		break;
	case PROTO_LOOKUP:
		if (rd_byte(&r, &svc) < 0 ||
		    !(svc == SVC_NONE || valid_service(svc)) ||
		    rd_str(&r, PROTO_MAX_LOGIN, &req->login) < 0)
			goto bad;
		req->service = svc;
		break;
	case PROTO_STATS:
		if (rd_str(&r, PROTO_MAX_FORMAT, &req->format) < 0)
			goto bad;
		break;
	case PROTO_UNTHROTTLE:
		if (rd_str(&r, PROTO_MAX_KEY, &req->key) < 0)
			goto bad;
		break;
	case PROTO_FLUSH:
	case PROTO_PING:
	case PROTO_THROTTLES:
		break;
	default:
		goto bad;
	}
	if (r.left != 0)
		goto bad;
	req->op = op;
	return 0;
bad:
	memset(req, 0, sizeof(*req));
	errno = EPROTO;
	return -1;
}

int
proto_encode_request(const struct proto_request *req, unsigned char *buf,
    size_t cap)
{
	struct wr w = { buf, 2, cap };

	if (cap < 2)
		goto full;
	if (wr_byte(&w, PROTO_VERSION) < 0 || wr_byte(&w, req->op) < 0)
		goto full;
	switch (req->op) {
	case PROTO_AUTH:
		if (!valid_service(req->service) ||
		    wr_byte(&w, req->service) < 0 ||
		    wr_str(&w, req->login.p, req->login.len, PROTO_MAX_LOGIN) < 0 ||
		    wr_str(&w, req->secret.p, req->secret.len, PROTO_MAX_SECRET) < 0 ||
		    wr_str(&w, req->extra.p, req->extra.len, PROTO_MAX_EXTRA) < 0 ||
		    wr_str(&w, req->remote_ip.p, req->remote_ip.len, PROTO_MAX_IP) < 0)
			goto full;
		break;
	case PROTO_LOOKUP:
		if (!(req->service == SVC_NONE ||
		    valid_service(req->service)) ||
		    wr_byte(&w, req->service) < 0 ||
		    wr_str(&w, req->login.p, req->login.len, PROTO_MAX_LOGIN) < 0)
			goto full;
		break;
	case PROTO_STATS:
		if (wr_str(&w, req->format.p, req->format.len, PROTO_MAX_FORMAT) < 0)
			goto full;
		break;
	case PROTO_UNTHROTTLE:
		if (wr_str(&w, req->key.p, req->key.len, PROTO_MAX_KEY) < 0)
			goto full;
		break;
	case PROTO_FLUSH:
	case PROTO_PING:
	case PROTO_THROTTLES:
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (wr_finish(&w, PROTO_MAX_REQUEST) < 0)
		goto full;
	return (int)w.len;
full:
	errno = EMSGSIZE;
	return -1;
}

/* version status [user domain home quota uid gid flags | text] */
int
proto_decode_response(enum proto_op op, const unsigned char *buf, size_t len,
    struct proto_response *resp)
{
	struct rd r = { buf, len };
	unsigned char v, st;
	struct proto_user *u = &resp->user;

	memset(resp, 0, sizeof(*resp));
	if (len < 2 || len > PROTO_MAX_RESPONSE)
		goto bad;
	if (rd_byte(&r, &v) < 0 || v != PROTO_VERSION || rd_byte(&r, &st) < 0)
		goto bad;
	if (st == 'O') {
		if (op == PROTO_AUTH || op == PROTO_LOOKUP) {
			if (rd_strcpy(&r, PROTO_MAX_USER, u->user) < 0 ||
			    rd_strcpy(&r, PROTO_MAX_DOMAIN, u->domain) < 0 ||
			    rd_strcpy(&r, PROTO_MAX_HOME, u->home) < 0 ||
			    rd_strcpy(&r, PROTO_MAX_QUOTA, u->quota) < 0 ||
			    rd_u32(&r, &u->uid) < 0 ||
			    rd_u32(&r, &u->gid) < 0 ||
			    rd_u32(&r, &u->flags) < 0)
				goto bad;
		} else if (op == PROTO_STATS || op == PROTO_THROTTLES) {
			if (rd_str(&r, PROTO_MAX_TEXT, &resp->text) < 0)
				goto bad;
		}
	} else if (st != 'N' && st != 'T') {
		goto bad;
	}
	if (r.left != 0)
		goto bad;
	/* Only an explicit, well-formed 'O' is ever AUTH_OK. */
	resp->result = st == 'O' ? AUTH_OK : st == 'N' ? AUTH_NO : AUTH_TEMP;
	return 0;
bad:
	memset(resp, 0, sizeof(*resp));
	errno = EPROTO;
	return -1;
}

int
proto_encode_response(enum proto_op op, const struct proto_response *resp,
    unsigned char *buf, size_t cap)
{
	struct wr w = { buf, 2, cap };
	const struct proto_user *u = &resp->user;
	unsigned char st;

	if (cap < 2)
		goto full;
	switch (resp->result) {
	case AUTH_OK:
		st = 'O';
		break;
	case AUTH_NO:
		st = 'N';
		break;
	case AUTH_TEMP:
	default:
		st = 'T';
		break;
	}
	if (wr_byte(&w, PROTO_VERSION) < 0 || wr_byte(&w, st) < 0)
		goto full;
	if (st == 'O' && (op == PROTO_AUTH || op == PROTO_LOOKUP)) {
		if (wr_cstr(&w, u->user, PROTO_MAX_USER) < 0 ||
		    wr_cstr(&w, u->domain, PROTO_MAX_DOMAIN) < 0 ||
		    wr_cstr(&w, u->home, PROTO_MAX_HOME) < 0 ||
		    wr_cstr(&w, u->quota, PROTO_MAX_QUOTA) < 0 ||
		    wr_u32(&w, u->uid) < 0 || wr_u32(&w, u->gid) < 0 ||
		    wr_u32(&w, u->flags) < 0)
			goto full;
	} else if (st == 'O' && (op == PROTO_STATS ||
	    op == PROTO_THROTTLES)) {
		if (wr_str(&w, resp->text.p, resp->text.len, PROTO_MAX_TEXT) < 0)
			goto full;
	}
	if (wr_finish(&w, PROTO_MAX_RESPONSE) < 0)
		goto full;
	return (int)w.len;
full:
	errno = EMSGSIZE;
	return -1;
}

static const struct {
	const char *name;
	enum proto_service svc;
} services[] = {
	{ "pop3", SVC_POP3 }, { "pop", SVC_POP3 }, { "pop3s", SVC_POP3 },
	{ "imap", SVC_IMAP }, { "imaps", SVC_IMAP },
	{ "smtp", SVC_SMTP }, { "submission", SVC_SMTP },
	{ "smtps", SVC_SMTP },
	{ "webmail", SVC_WEBMAIL },
};

enum proto_service
proto_service_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcasecmp(name, services[i].name) == 0)
			return services[i].svc;
	return SVC_NONE;
}

const char *
proto_service_name(enum proto_service svc)
{
	switch (svc) {
	case SVC_POP3:
		return "pop3";
	case SVC_IMAP:
		return "imap";
	case SVC_SMTP:
		return "smtp";
	case SVC_WEBMAIL:
		return "webmail";
	case SVC_NONE:
		break;
	}
	return "none";
}
