/* test-penalty.c: the brute-force defence's counting, delays, cool-downs, bounds. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "penalty.h"
#include "test.h"

static struct penalty_conf
conf(void)
{
	struct penalty_conf pc = {
		.enabled = 1, .window_ms = 60000, .free = 2, .delay_ms = 100,
		.delay_max_ms = 1000, .threshold = 10, .cooldown_ms = 30000,
		.max_entries = 1024,
	};

	return pc;
}

static struct proto_request
req(const char *ip, const char *login)
{
	struct proto_request r;

	memset(&r, 0, sizeof(r));
	r.op = PROTO_AUTH;
	r.service = SVC_POP3;
	r.login.p = login;
	r.login.len = strlen(login);
	r.remote_ip.p = ip;
	r.remote_ip.len = strlen(ip);
	return r;
}

/* One attempt with the given outcome; returns the ticket's verdict. */
static struct penalty_ticket
attempt(const char *ip, const char *login, enum auth_result r, long long now)
{
	struct proto_request q = req(ip, login);
	struct penalty_ticket t;

	penalty_check(&q, "example.com", now, &t);
	penalty_note(&t, t.blocked ? AUTH_NO : r, now);
	return t;
}

static int
lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_off(void)
{
	struct penalty_conf pc = conf();
	struct penalty_ticket t;
	int i;

	pc.enabled = 0;
	CHECK(penalty_init(&pc) == 0);
	for (i = 0; i < 100; i++)
		t = attempt("127.0.0.9", "alice", AUTH_NO, 1000 + i);
	CHECK(!t.blocked && t.delay_ms == 0);
	penalty_end();
}

static void
test_delays_double_then_block(void)
{
	static const int want[] = { 0, 0, 0, 100, 200, 400, 800, 1000, 1000,
	    1000 };
	struct penalty_conf pc = conf();
	struct penalty_ticket t;
	long long now = 1000;
	int i;

	CHECK(penalty_init(&pc) == 0);
	/* Each attempt sees the failures before it. */
	for (i = 0; i < 10; i++) {
		t = attempt("127.0.0.9", "alice", AUTH_NO, now + i);
		CHECK_MSG(!t.blocked && t.delay_ms == want[i],
		    "attempt %d: blocked %d delay %d", i, t.blocked, t.delay_ms);
	}
	/* Ten failures: the address cools down, answered at once. */
	t = attempt("127.0.0.9", "alice", AUTH_OK, now + 20);
	CHECK(t.blocked && t.delay_ms == 0);
	t = attempt("127.0.0.9", "bob", AUTH_OK, now + 20);
	CHECK(t.blocked);
	/* The owner, from an address that has not failed, still gets in,
	 * though delayed; the OK clears the account. */
	t = attempt("127.0.0.10", "alice@example.com", AUTH_OK, now + 30);
	CHECK(!t.blocked && t.delay_ms == 1000);
	t = attempt("127.0.0.10", "alice", AUTH_OK, now + 40);
	CHECK(!t.blocked && t.delay_ms == 0);
	/* The address stays blocked until its cool-down ends ... */
	t = attempt("127.0.0.9", "carol", AUTH_NO, now + 29000);
	CHECK(t.blocked);
	/* ... and, still over the threshold in the window, its next failure
	 * starts another. */
	t = attempt("127.0.0.9", "carol", AUTH_NO, now + 31000);
	CHECK(!t.blocked && t.delay_ms == 1000);
	t = attempt("127.0.0.9", "carol", AUTH_OK, now + 31001);
	CHECK(t.blocked);
	penalty_end();
}

static void
test_account_lock(void)
{
	struct penalty_conf pc = conf();
	struct penalty_ticket t;
	char ip[32];
	int i;

	CHECK(penalty_init(&pc) == 0);
	/* Ten addresses, one failure each, against one account. */
	for (i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		t = attempt(ip, "dave@example.com", AUTH_NO, 5000 + i);
		CHECK(!t.blocked);
	}
	/* An address that failed is refused for this account ... */
	t = attempt("10.0.0.1", "dave@example.com", AUTH_OK, 5100);
	CHECK(t.blocked);
	/* ... not for another one ... */
	t = attempt("10.0.0.1", "erin@example.com", AUTH_OK, 5100);
	CHECK(!t.blocked);
	/* ... and a clean address is let through, delayed. */
	t = attempt("10.0.1.1", "dave@example.com", AUTH_NO, 5200);
	CHECK(!t.blocked && t.delay_ms == 1000);
	/* Without an address there is no telling the owner from the rest. */
	t = attempt("", "dave@example.com", AUTH_OK, 5300);
	CHECK(t.blocked);
	penalty_end();
}

static void
test_window_slides(void)
{
	struct penalty_conf pc = conf();
	struct penalty_ticket t;
	int i;

	CHECK(penalty_init(&pc) == 0);
	for (i = 0; i < 5; i++)
		attempt("127.0.0.5", "x@example.com", AUTH_NO, 1000);
	t = attempt("127.0.0.5", "y@example.com", AUTH_NO, 1000);
	CHECK(t.delay_ms == 400);
	/* Half a window later, half the old failures still count. */
	t = attempt("127.0.0.5", "y@example.com", AUTH_NO, 1000 + 60000 + 30000);
	CHECK_MSG(t.delay_ms == 100, "delay %d", t.delay_ms);
	/* Two windows of quiet forget everything. */
	t = attempt("127.0.0.5", "z@example.com", AUTH_NO, 1000 + 300000);
	CHECK(t.delay_ms == 0);
	penalty_end();
}

static void
test_ipv6_by_64(void)
{
	struct penalty_conf pc = conf();
	struct penalty_ticket t;
	char ip[64];
	int i;

	CHECK(penalty_init(&pc) == 0);
	for (i = 0; i < 10; i++) {
		snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
		attempt(ip, "u@example.com", AUTH_NO, 1000);
	}
	t = attempt("2001:db8:1:2:ffff::1", "v@example.com", AUTH_OK, 1001);
	CHECK(t.blocked);
	t = attempt("2001:db8:1:3::1", "v@example.com", AUTH_OK, 1001);
	CHECK(!t.blocked);
	penalty_end();
}

static void
test_bounded_and_listed(void)
{
	struct penalty_conf pc = conf();
	struct penalty_ticket t;
	char ip[32], text[4096], small[200];
	size_t n;
	int i, saved, null;

	pc.max_entries = 16;
	pc.free = 0;
	CHECK(penalty_init(&pc) == 0);
	/* A thousand episodes start here: keep their lines out of the way. */
	saved = dup(2);
	null = open("/dev/null", O_WRONLY);
	dup2(null, 2);
	close(null);
	for (i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
		attempt(ip, "", AUTH_NO, 1000 + i);
	}
	n = penalty_list(text, sizeof(text), 2000);
	CHECK(n == strlen(text));
	CHECK_MSG(lines(text) == 16, "%d lines", lines(text));
	CHECK(strstr(text, "addr 10.1.3.249 failures 1 delay 100ms cooldown 0s\n")
	    != NULL);
	/* Truncated listings say how much is missing. */
	n = penalty_list(small, sizeof(small), 2000);
	CHECK(n < sizeof(small) && strstr(small, " more\n") != NULL);
	/* Clearing: one address, then everything. */
	CHECK(penalty_clear("10.1.3.249", 10) == 1);
	CHECK(penalty_clear("10.1.3.249", 10) == 0);
	CHECK(penalty_clear("", 0) == 15);
	n = penalty_list(text, sizeof(text), 2000);
	CHECK(n == 0);
	/* Accounts by their full name. */
	for (i = 0; i < 3; i++)
		attempt("", "Frank@Example.COM", AUTH_NO, 3000);
	CHECK(penalty_list(text, sizeof(text), 3000) > 0 &&
	    strstr(text, "account frank@example.com failures 3") != NULL);
	CHECK(penalty_clear("frank@example.com", 17) == 1);
	t = attempt("", "frank@example.com", AUTH_NO, 3001);
	CHECK(t.delay_ms == 0);
	penalty_end();
	dup2(saved, 2);
	close(saved);
}

/* One log line when delays start and one when the cool-down starts, not
 * one per attempt. */
static void
test_logged_once_per_episode(void)
{
	struct penalty_conf pc = conf();
	char path[] = "/tmp/test-penalty-XXXXXX", buf[4096];
	int fd, saved, i;
	ssize_t n;

	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	unlink(path);
	saved = dup(2);
	dup2(fd, 2);
	log_open(1);
	CHECK(penalty_init(&pc) == 0);
	for (i = 0; i < 50; i++)
		attempt("127.0.0.9", "", AUTH_NO, 1000 + i);
	penalty_end();
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_MSG(lines(buf) == 2, "%s", buf);
	CHECK(strstr(buf, "throttle: address 127.0.0.9: 3 failures in 60s, "
	    "delaying answers") != NULL);
	CHECK(strstr(buf, "throttle: address 127.0.0.9: 10 failures in 60s, "
	    "refusing logins while it cools down") != NULL);
}

int
main(void)
{
	log_open(1);
	test_off();
	test_delays_double_then_block();
	test_account_lock();
	test_window_slides();
	test_ipv6_by_64();
	test_bounded_and_listed();
	test_logged_once_per_episode();
	return test_done("test-penalty");
}
