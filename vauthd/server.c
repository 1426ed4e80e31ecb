/* server.c: the socket side of vauthd: accept, frame, hand off, reply. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "errbuf.h"
#include "io.h"
#include "log.h"
#include "server.h"

#define MAX_ALLOWED_UIDS 256
#define SWEEP_MS         200

/* C_HELD: the answer is ready but the brute-force defence holds it until
 * send_at; a timer in this loop, not a sleeping worker. */
enum conn_state { C_READING, C_WORKING, C_HELD, C_WRITING };

struct conn {
	int fd;
	enum conn_state state;
	struct peer peer;
	unsigned char in[PROTO_MAX_REQUEST + 2];
	size_t have;
	unsigned char *out;
	size_t outlen, outoff;
	long long deadline;		/* for reading and writing */
	long long queued_at;
	long long send_at;		/* C_HELD until then */
	struct conn *prev, *next;	/* all connections */
	struct conn *qnext;		/* job or done queue */
};

static struct {
	uid_t uids[MAX_ALLOWED_UIDS];
	int n;
	gid_t gid;
	int have_gid;
	uid_t lookup_uids[CONF_MAX_ALLOW];	/* besides root */
	int n_lookup;
} allowed;

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct conn *jobs_head, *jobs_tail;
	struct conn *done;
	int stop;
	int efd;
} q = { .lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER };

static const struct request_ctx *rctx;
static struct conn *conns;
static int nconns;
static long long next_due = LLONG_MAX;	/* the earliest held answer */

static void
allow_uid(uid_t uid)
{
	if (allowed.n < MAX_ALLOWED_UIDS)
		allowed.uids[allowed.n++] = uid;
}

int
server_peers_init(const struct conf *cf, char *err, size_t errlen)
{
	struct passwd *pw;
	struct group *gr;
	char **m;
	int i;

	allowed.n = 0;
	allowed.n_lookup = 0;
	allow_uid(0);
	for (i = 0; i < cf->n_allow_users; i++) {
		pw = getpwnam(cf->allow_users[i]);
		if (pw == NULL)
			return errf(err, errlen, "allow_users: no such user %s",
			    cf->allow_users[i]);
		allow_uid(pw->pw_uid);
	}
	/* Whoever may look users up may also connect. */
	for (i = 0; i < cf->n_lookup_users; i++) {
		pw = getpwnam(cf->lookup_users[i]);
		if (pw == NULL)
			return errf(err, errlen, "lookup_users: no such user "
			    "%s", cf->lookup_users[i]);
		allowed.lookup_uids[allowed.n_lookup++] = pw->pw_uid;
		allow_uid(pw->pw_uid);
	}
	if (cf->socket_group[0] != '\0') {
		gr = getgrnam(cf->socket_group);
		if (gr == NULL)
			return errf(err, errlen, "socket_group: no such group "
			    "%s", cf->socket_group);
		allowed.gid = gr->gr_gid;
		allowed.have_gid = 1;
		/* Members by /etc/group, whatever their primary group. */
		for (m = gr->gr_mem; *m != NULL; m++)
			if ((pw = getpwnam(*m)) != NULL)
				allow_uid(pw->pw_uid);
	}
	return 0;
}

static int
peer_allowed(const struct peer *p)
{
	int i;

	if (p->uid == geteuid())
		return 1;
	if (allowed.have_gid && p->gid == allowed.gid)
		return 1;
	for (i = 0; i < allowed.n; i++)
		if (allowed.uids[i] == p->uid)
			return 1;
	return 0;
}

static int
peer_may_lookup(const struct peer *p)
{
	int i;

	if (p->uid == 0)
		return 1;
	for (i = 0; i < allowed.n_lookup; i++)
		if (allowed.lookup_uids[i] == p->uid)
			return 1;
	return 0;
}

/* Opens the socket's directory, making it 0755 if missing, and checks it
 * through the descriptor: not a symlink, owned by root or us, writable by
 * nobody else. Everything after works relative to that descriptor, so no
 * path can be swapped between the check and the use. Returns the fd. */
static int
socket_dir(const char *dir, uid_t owner, char *err, size_t errlen)
{
	struct stat st;
	int made, dfd;

	made = mkdir(dir, 0755) == 0;
	if (!made && errno != EEXIST)
		return errf(err, errlen, "unable to create %s: %s", dir,
		    strerror(errno));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return errf(err, errlen, "%s: %s", dir, errno == ELOOP ||
		    errno == ENOTDIR ? "is not a directory (a symlink?)" :
		    strerror(errno));
	/* Made 0755 whatever the umask: clients must reach the socket. */
	if (made && (fchown(dfd, owner, (gid_t)-1) < 0 ||
	    fchmod(dfd, 0755) < 0)) {
		close(dfd);
		return errf(err, errlen, "unable to chown %s: %s", dir,
		    strerror(errno));
	}
	/* Whoever may write the directory may put their own socket where
	 * clients look for ours. */
	if (fstat(dfd, &st) < 0 || (st.st_uid != 0 && st.st_uid != owner) ||
	    (st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) && st.st_gid != 0)) {
		close(dfd);
		return errf(err, errlen, "%s is writable by others, or owned "
		    "by someone other than root or uid %ld", dir, (long)owner);
	}
	return dfd;
}

int
server_listen(const struct conf *cf, uid_t owner, char *err, size_t errlen)
{
	char dir[sizeof(cf->socket)], *slash;
	const char *base;
	struct sockaddr_un sun;
	struct stat st;
	struct group *gr;
	gid_t gid = (gid_t)-1;
	mode_t old;
	int fd, dfd, cwd, rc;

	snprintf(dir, sizeof(dir), "%s", cf->socket);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir || slash[1] == '\0')
		return errf(err, errlen, "socket: need an absolute path in a "
		    "directory of its own: %s", cf->socket);
	*slash = '\0';
	base = slash + 1;
	if (cf->socket_group[0] != '\0') {
		gr = getgrnam(cf->socket_group);
		if (gr == NULL)
			return errf(err, errlen, "no such group %s",
			    cf->socket_group);
		gid = gr->gr_gid;
	}
	dfd = socket_dir(dir, owner, err, errlen);
	if (dfd < 0)
		return -1;
	fd = -1;
	cwd = -1;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errf(err, errlen, "%s exists and is not a socket",
			    cf->socket);
			goto fail;
		}
		if (unlinkat(dfd, base, 0) < 0) {
			errf(err, errlen, "unable to remove %s: %s", cf->socket,
			    strerror(errno));
			goto fail;
		}
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, base, strlen(base) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || cwd < 0 || fchdir(dfd) < 0) {
		errf(err, errlen, "unable to set up %s: %s", cf->socket,
		    strerror(errno));
		goto fail;
	}
	/* Bound by a name relative to the checked directory, born private,
	 * opened up to the configured mode only after. Still single-threaded
	 * here, so the brief change of directory affects nothing else. */
	old = umask(0077);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (fchdir(cwd) < 0 || rc < 0) {
		errf(err, errlen, "unable to bind %s: %s", cf->socket,
		    strerror(errno));
		goto fail;
	}
	if (fchownat(dfd, base, owner, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(dfd, base, cf->socket_mode, 0) < 0 ||
	    listen(fd, 512) < 0) {
		errf(err, errlen, "unable to set up %s: %s", cf->socket,
		    strerror(errno));
		goto fail;
	}
	close(cwd);
	close(dfd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	if (cwd >= 0)
		close(cwd);
	close(dfd);
	return -1;
}

static void
conn_close(struct conn *c)
{
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	explicit_bzero(c->in, sizeof(c->in));
	free(c->out);
	free(c);
	nconns--;
}

/* At the connection cap, the connection that has waited longest for its
 * request makes room: a real client sends as soon as it connects, so
 * idle or trickling connections cannot keep it out. Returns 1 when one
 * was closed. */
static int
evict_idle(void)
{
	static long long last_log;
	struct conn *c, *oldest = NULL;
	long long now;

	/* The analyzer loses c->prev == NULL once c has been handed to
	 * epoll_ctl in accept_all, and then sees a freed head here. */
	for (c = conns; c != NULL; c = c->next)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		if (c->state == C_READING)
			oldest = c;	/* the list is newest first */
	if (oldest == NULL)
		return 0;
	now = io_now_ms();
	if (now - last_log >= 10000) {
		last_log = now;
		log_msg(LOG_WARNING, "%d connections, the most allowed: closing "
		    "the longest idle ones (pid %ld first)", nconns,
		    (long)oldest->peer.pid);
	}
	conn_close(oldest);
	return 1;
}

static int conn_read(struct conn *, int, int);

static void
accept_all(int lfd, int ep)
{
	const struct conf *cf = rctx->conf;
	struct epoll_event ev;
	struct ucred cred;
	socklen_t len;
	struct conn *c;
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_msg(LOG_WARNING, "accept: %s",
				    strerror(errno));
			return;
		}
		if (nconns >= cf->max_connections && !evict_idle()) {
			close(fd);	/* the client sees EOF: TEMP */
			continue;
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->peer.pid = cred.pid;
		c->peer.uid = cred.uid;
		c->peer.gid = cred.gid;
		c->peer.may_lookup = peer_may_lookup(&c->peer);
		if (!peer_allowed(&c->peer)) {
			log_msg(LOG_WARNING, "refused peer uid=%ld gid=%ld "
			    "pid=%ld", (long)cred.uid, (long)cred.gid,
			    (long)cred.pid);
			close(fd);
			free(c);
			continue;
		}
		c->state = C_READING;
		c->deadline = io_now_ms() + cf->client_timeout_ms;
		c->prev = NULL;
		c->next = conns;
		if (conns != NULL)
			conns->prev = c;
		conns = c;
		nconns++;
		/* vchkpw sends its request as soon as it is connected, so it
		 * is often here already: then it goes to a worker at once,
		 * without a round through epoll (two epoll_ctl calls and a
		 * wake-up saved on most logins). */
		if (conn_read(c, ep, 0))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			conn_close(c);
	}
}

static void
job_push(struct conn *c)
{
	c->queued_at = io_now_ms();
	c->qnext = NULL;
	pthread_mutex_lock(&q.lock);
	if (q.jobs_tail != NULL)
		q.jobs_tail->qnext = c;
	else
		q.jobs_head = c;
	q.jobs_tail = c;
	pthread_cond_signal(&q.more);
	pthread_mutex_unlock(&q.lock);
}

/* Reads what is there; hands a whole frame to the workers. registered:
 * the fd is in the epoll set. Returns 0 when more is to come, else 1 (the
 * frame went to a worker, or the connection was closed). */
static int
conn_read(struct conn *c, int ep, int registered)
{
	size_t need;
	ssize_t r;

	for (;;) {
		need = c->have < 2 ? 2 : 2 + proto_frame_len(c->in);
		if (c->have >= 2 && (need == 2 || need > sizeof(c->in))) {
			conn_close(c);		/* empty or oversized frame */
			return 1;
		}
		if (c->have == need)
			break;
		r = read(c->fd, c->in + c->have, need - c->have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r <= 0) {
			conn_close(c);
			return 1;
		}
		c->have += (size_t)r;
	}
	c->state = C_WORKING;
	if (registered)
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	job_push(c);
	return 1;
}

/* Writes what is left of the answer; then waits for the next request. */
static void
conn_write(struct conn *c, int ep)
{
	struct epoll_event ev;
	ssize_t r;

	while (c->outoff < c->outlen) {
		r = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			conn_close(c);
			return;
		}
		c->outoff += (size_t)r;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.ptr = c;
	if (c->outoff < c->outlen) {
		ev.events = EPOLLOUT;
		if (c->state != C_WRITING) {
			c->state = C_WRITING;
			c->deadline = io_now_ms() + rctx->conf->client_timeout_ms;
			epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
		}
		return;
	}
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	c->have = 0;
	ev.events = EPOLLIN;
	if (epoll_ctl(ep, c->state == C_WRITING ? EPOLL_CTL_MOD :
	    EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		conn_close(c);
		return;
	}
	c->state = C_READING;
	c->deadline = io_now_ms() + rctx->conf->client_timeout_ms;
}

static void
done_all(int ep)
{
	struct conn *c, *next;
	uint64_t v;

	(void)!read(q.efd, &v, sizeof(v));
	pthread_mutex_lock(&q.lock);
	c = q.done;
	q.done = NULL;
	pthread_mutex_unlock(&q.lock);
	for (; c != NULL; c = next) {
		next = c->qnext;
		if (c->out == NULL) {
			conn_close(c);
		} else if (c->send_at > io_now_ms()) {
			c->state = C_HELD;
			if (c->send_at < next_due)
				next_due = c->send_at;
		} else {
			conn_write(c, ep);
		}
	}
}

/* Sends the held answers that are due; finds when the next one is. */
static void
release_held(int ep)
{
	long long now = io_now_ms();
	struct conn *c, *next;

	next_due = LLONG_MAX;
	for (c = conns; c != NULL; c = next) {
		next = c->next;
		if (c->state != C_HELD)
			continue;
		if (c->send_at <= now) {
			c->state = C_WORKING;	/* not in epoll: conn_write adds */
			conn_write(c, ep);
		} else if (c->send_at < next_due) {
			next_due = c->send_at;
		}
	}
}

/* Waits at most until the next sweep or the next held answer. */
static int
wait_ms(void)
{
	long long left;

	if (next_due == LLONG_MAX)
		return SWEEP_MS;
	left = next_due - io_now_ms();
	return left <= 0 ? 0 : left < SWEEP_MS ? (int)left : SWEEP_MS;
}

static void
sweep(void)
{
	long long now = io_now_ms();
	struct conn *c, *next;

	for (c = conns; c != NULL; c = next) {
		next = c->next;
		if (c->state != C_WORKING && c->state != C_HELD &&
		    now > c->deadline)
			conn_close(c);
	}
}

static void
work(struct conn *c, char *text, size_t cap)
{
	struct proto_request req;
	struct proto_response resp;
	unsigned char *out;
	int n, delay = 0;

	memset(&resp, 0, sizeof(resp));
	if (proto_decode_request(c->in + 2, c->have - 2, &req) < 0) {
		log_msg(LOG_WARNING, "malformed request from pid %ld",
		    (long)c->peer.pid);
		return;			/* no answer: the connection closes */
	}
	if (io_now_ms() - c->queued_at > rctx->conf->queue_timeout_ms)
		resp.result = AUTH_TEMP;	/* the client has given up */
	else
		delay = request_handle(rctx, &c->peer, &req, &resp, text, cap);
	explicit_bzero(c->in, sizeof(c->in));
	out = malloc(PROTO_MAX_RESPONSE + 2);
	if (out == NULL)
		return;
	n = proto_encode_response(req.op, &resp, out, PROTO_MAX_RESPONSE + 2);
	if (n < 0) {
		resp.result = AUTH_TEMP;
		n = proto_encode_response(req.op, &resp, out,
		    PROTO_MAX_RESPONSE + 2);
	}
	c->out = out;
	c->outlen = (size_t)n;
	c->outoff = 0;
	c->send_at = delay > 0 ? io_now_ms() + delay : 0;
}

static void *
worker(void *arg)
{
	static __thread char text[PROTO_MAX_TEXT];
	struct conn *c;
	uint64_t one = 1;
	int wake;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&q.lock);
		while (q.jobs_head == NULL && !q.stop)
			pthread_cond_wait(&q.more, &q.lock);
		if (q.stop) {
			pthread_mutex_unlock(&q.lock);
			return NULL;
		}
		c = q.jobs_head;
		q.jobs_head = c->qnext;
		if (q.jobs_head == NULL)
			q.jobs_tail = NULL;
		pthread_mutex_unlock(&q.lock);

		work(c, text, sizeof(text));

		pthread_mutex_lock(&q.lock);
		wake = q.done == NULL;
		c->qnext = q.done;
		q.done = c;
		pthread_mutex_unlock(&q.lock);
		/* done_all() takes the whole list each time it wakes, so only
		 * the first answer since then need wake it: under load that
		 * spares a wake-up, a costly thing, for most answers. */
		if (wake)
			(void)!write(q.efd, &one, sizeof(one));
	}
}

void
server_block_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
server_run(const struct request_ctx *ctx, int lfd, int nworkers)
{
	struct epoll_event ev, evs[64];
	struct signalfd_siginfo si;
	pthread_t *th;
	sigset_t mask;
	long long next_sweep = 0;
	struct conn *cc, *next;
	int ep, sfd, i, n, stop = 0, rc = 0, pending;

	rctx = ctx;
	server_block_signals();
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	q.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || q.efd < 0 || ep < 0) {
		log_msg(LOG_ERR, "unable to set up the event loop: %s",
		    strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = &lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.ptr = &q.efd;
	epoll_ctl(ep, EPOLL_CTL_ADD, q.efd, &ev);

	th = calloc((size_t)nworkers, sizeof(*th));
	if (th == NULL)
		return -1;
	for (i = 0; i < nworkers; i++)
		if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
			log_msg(LOG_ERR, "unable to start worker threads");
			return -1;
		}
	log_msg(LOG_NOTICE, "ready on %s with %d workers", ctx->conf->socket,
	    nworkers);

	while (!stop) {
		n = epoll_wait(ep, evs, 64, wait_ms());
		if (n < 0 && errno != EINTR) {
			log_msg(LOG_ERR, "epoll_wait: %s", strerror(errno));
			rc = -1;
			break;
		}
		pending = 0;
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;

			if (p == &lfd) {
				pending = 1;
			} else if (p == &sfd) {
				while (read(sfd, &si, sizeof(si)) ==
				    sizeof(si))
					if (si.ssi_signo != SIGHUP)
						stop = 1;
			} else if (p == &q.efd) {
				done_all(ep);
			} else {
				struct conn *c = p;

				if (c->state == C_READING)
					(void)conn_read(c, ep, 1);
				else if (c->state == C_WRITING)
					conn_write(c, ep);
			}
		}
		/* After the batch: accepting may close an idle connection
		 * that the batch still names. */
		if (pending)
			accept_all(lfd, ep);
		if (io_now_ms() >= next_due)
			release_held(ep);
		if (io_now_ms() >= next_sweep) {
			sweep();
			next_sweep = io_now_ms() + SWEEP_MS;
		}
	}
	log_msg(LOG_NOTICE, "stopping");
	close(lfd);
	pthread_mutex_lock(&q.lock);
	q.stop = 1;
	pthread_cond_broadcast(&q.more);
	pthread_mutex_unlock(&q.lock);
	for (i = 0; i < nworkers; i++)
		pthread_join(th[i], NULL);
	free(th);
	/* Workers are gone: every connection, queued or held, is ours. */
	for (cc = conns; cc != NULL; cc = next) {
		next = cc->next;
		conn_close(cc);
	}
	close(ep);
	close(sfd);
	close(q.efd);
	return rc;
}
