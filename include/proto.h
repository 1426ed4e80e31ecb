/* proto.h: the vchkpw <-> vauthd wire protocol; this comment is its spec.
 *
 * Version 1.
 *
 * Transport: a SOCK_STREAM Unix socket (default VAUTHD_SOCKET). Who may
 * connect is decided by the socket's owner, group and mode, and vauthd checks
 * the peer's credentials (SO_PEERCRED) on every accept. A connection carries
 * one or more exchanges, strictly alternating request, response.
 *
 * Frame: a 2-byte big-endian body length N, then N bytes of body.
 *   requests:  1 <= N <= PROTO_MAX_REQUEST
 *   responses: 2 <= N <= PROTO_MAX_RESPONSE
 * A longer or shorter frame is a protocol error: the peer closes the
 * connection without answering.
 *
 * Body: version (1 byte, PROTO_VERSION), opcode or status (1 byte), then the
 * opcode's items in order. An item is either
 *   a string: 2-byte big-endian length L, then L bytes; no NUL inside; or
 *   a number: 4 bytes big-endian, unsigned.
 * Each string has its own maximum (PROTO_MAX_*). Bytes after the last item
 * are an error.
 *
 * Requests:
 *   'A' AUTH    service (1 byte, enum proto_service), string login,
 *               string secret, string extra, string remote_ip
 *               extra is the checkpassword third field: empty for a plain
 *               password, the challenge for CRAM-MD5 (SMTP), the APOP
 *               timestamp (POP3). remote_ip may be empty.
 *   'L' LOOKUP  service, string login
 *               User fields without a password (Dovecot's userdb lookup).
 *               service may be 0 (SVC_NONE) for a lookup on behalf of no
 *               login service (delivery, doveadm): no per-service flag
 *               applies then.
 *               Answered only to peers with uid 0 or a uid named in
 *               vauthd.conf's lookup_users; others get 'T'.
 *   'F' FLUSH   no items: forget cached state. uid 0 peers only.
 *   'S' STATS   string format ("text" or "prometheus"). uid 0 peers only.
 *   'P' PING    no items.
 *   'H' THROTTLES  no items: the addresses and accounts the brute-force
 *               defence is delaying or refusing, as text, one a line:
 *               "addr|account KEY failures N delay Nms cooldown Ns".
 *               uid 0 peers only.
 *   'U' UNTHROTTLE string key: forget the failures of that address or
 *               login (user@domain); an empty key forgets all. 'O' when
 *               something was forgotten, 'N' when nothing matched.
 *               uid 0 peers only.
 *
 * Responses: version, status ('O' ok, 'N' no, 'T' temporary failure),
 * then, for an 'O' answer to AUTH or LOOKUP:
 *   string user (local part, folded), string domain (the real domain, after
 *   alias resolution), string home, string quota (vpopmail's pw_shell),
 *   number uid, number gid (system ids to run as), number flags (pw_gid bits)
 * for an 'O' answer to STATS or THROTTLES: string text. Every other answer has no items.
 * A client never learns why an answer was 'N'; vauthd logs the reason.
 */
#ifndef VAUTH_PROTO_H
#define VAUTH_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION      1
#define PROTO_MAX_REQUEST  1024
#define PROTO_MAX_RESPONSE 65535
#define PROTO_MAX_LOGIN    256
#define PROTO_MAX_SECRET   256
#define PROTO_MAX_EXTRA    256
#define PROTO_MAX_IP       64
#define PROTO_MAX_USER     64
#define PROTO_MAX_DOMAIN   255
#define PROTO_MAX_HOME     1024
#define PROTO_MAX_QUOTA    64
#define PROTO_MAX_FORMAT   16
#define PROTO_MAX_KEY      PROTO_MAX_LOGIN	/* UNTHROTTLE's key */
#define PROTO_MAX_TEXT     (PROTO_MAX_RESPONSE - 8)

#ifndef VAUTHD_SOCKET
#define VAUTHD_SOCKET "/run/vauthd/socket"
#endif

enum proto_op {
	PROTO_AUTH = 'A',
	PROTO_LOOKUP = 'L',
	PROTO_FLUSH = 'F',
	PROTO_STATS = 'S',
	PROTO_PING = 'P',
	PROTO_THROTTLES = 'H',
	PROTO_UNTHROTTLE = 'U',
};

/* The one answer that flows from the database to vchkpw's exit code.
 * TEMP is zero so that anything left unset is a temporary failure. */
enum auth_result {
	AUTH_TEMP = 0,
	AUTH_NO = 1,
	AUTH_OK = 2,
};

enum proto_service {
	SVC_NONE = 0,
	SVC_POP3 = 'p',
	SVC_IMAP = 'i',
	SVC_SMTP = 's',
	SVC_WEBMAIL = 'w',
};

/* A length-bounded string view into a frame; never NUL-terminated. */
struct proto_str {
	const char *p;
	size_t len;
};

struct proto_request {
	enum proto_op op;
	enum proto_service service;
	struct proto_str login, secret, extra, remote_ip, format;
	struct proto_str key;		/* UNTHROTTLE */
};

struct proto_user {
	char user[PROTO_MAX_USER + 1];
	char domain[PROTO_MAX_DOMAIN + 1];
	char home[PROTO_MAX_HOME + 1];
	char quota[PROTO_MAX_QUOTA + 1];
	uint32_t uid, gid, flags;
};

struct proto_response {
	enum auth_result result;
	struct proto_user user;            /* AUTH/LOOKUP with AUTH_OK */
	struct proto_str text;             /* STATS, THROTTLES with AUTH_OK */
};

/* The body is buf[0..len), the frame header already removed. Strings in
 * *req point into buf. Returns 0, or -1 (errno EPROTO) on any malformation. */
int proto_decode_request(const unsigned char *buf, size_t len,
    struct proto_request *req);

/* Writes a whole frame (header included) into buf of size cap. Returns the
 * frame length, or -1 (errno EMSGSIZE or EINVAL) when a field is over its
 * limit or the frame does not fit. */
int proto_encode_request(const struct proto_request *req,
    unsigned char *buf, size_t cap);

/* op is the request's opcode, which decides what an 'O' carries.
 * Returns 0, or -1 (errno EPROTO) on any malformation. */
int proto_decode_response(enum proto_op op, const unsigned char *buf,
    size_t len, struct proto_response *resp);

/* Writes a whole frame. Returns its length, or -1 (errno EMSGSIZE). */
int proto_encode_response(enum proto_op op, const struct proto_response *resp,
    unsigned char *buf, size_t cap);

/* Body length from a 2-byte frame header. */
size_t proto_frame_len(const unsigned char hdr[2]);

/* Maps a service name ("pop3", "imap", "smtp", "webmail", ...) to the enum;
 * SVC_NONE when unknown. */
enum proto_service proto_service_parse(const char *name);
const char *proto_service_name(enum proto_service svc);

#endif
