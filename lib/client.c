/* client.c: one request to vauthd over its Unix socket, with a deadline. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "io.h"

int
client_call(const char *path, const struct proto_request *req,
    struct proto_response *resp, unsigned char *buf, size_t cap,
    int timeout_ms)
{
	unsigned char out[PROTO_MAX_REQUEST + 2];
	long long deadline = io_now_ms() + timeout_ms;
	size_t body;
	int fd, n, saved;

	memset(resp, 0, sizeof(*resp));
	n = proto_encode_request(req, out, sizeof(out));
	if (n < 0)
		return -1;
	fd = io_unix_connect(path);
	if (fd < 0)
		goto fail_wipe;
	/* send(), not write(): a daemon that hung up must give EPIPE, not
	 * a SIGPIPE that kills the caller before it can say TEMP. */
	if (send(fd, out, (size_t)n, MSG_NOSIGNAL) != n)
		goto fail;
	explicit_bzero(out, sizeof(out));
	if (cap < 2 || io_read_exact_by(fd, buf, 2, deadline) < 0)
		goto fail;
	body = proto_frame_len(buf);
	if (body > cap || body > PROTO_MAX_RESPONSE) {
		errno = EMSGSIZE;
		goto fail;
	}
	if (io_read_exact_by(fd, buf, body, deadline) < 0)
		goto fail;
	close(fd);
	return proto_decode_response(req->op, buf, body, resp);
fail:
	saved = errno;
	close(fd);
	errno = saved;
fail_wipe:
	saved = errno;
	explicit_bzero(out, sizeof(out));
	errno = saved;
	return -1;
}
