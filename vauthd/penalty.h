/* penalty.h: brute-force defence: failures per address and per account. */
#ifndef VAUTHD_PENALTY_H
#define VAUTHD_PENALTY_H

#include <stddef.h>

#include "name.h"
#include "proto.h"

struct conf;

/* A key is "a:" plus an address (IPv6 grouped by /64) or "u:" plus a
 * folded user@domain. */
#define PENALTY_MAX_KEY (2 + NAME_MAX_USER + 1 + NAME_MAX_DOMAIN)

/* What penalty_check decided for one AUTH request, handed back to
 * penalty_note once the answer is known. */
struct penalty_ticket {
	char addr[PENALTY_MAX_KEY + 1];		/* "" when none */
	char account[PENALTY_MAX_KEY + 1];	/* "" when the login is malformed */
	int blocked;		/* fail without checking the password */
	int delay_ms;		/* hold the answer this long */
};

/* How the defence behaves; filled from struct conf by penalty_init. */
struct penalty_conf {
	int enabled;
	int window_ms;		/* failures count over this sliding window */
	int free;		/* failures in the window before any delay */
	int delay_ms;		/* the first delay; each failure doubles it */
	int delay_max_ms;
	int threshold;		/* failures in the window that start a cool-down */
	int cooldown_ms;
	int max_entries;	/* addresses and accounts tracked at once */
};

/* Sets the parameters and allocates the table. Call once before threads
 * start; again (after penalty_end) in tests. Returns 0, or -1 (ENOMEM). */
int penalty_init(const struct penalty_conf *pc);
void penalty_conf_from(const struct conf *cf, struct penalty_conf *pc);
void penalty_end(void);

/* Before an AUTH is checked: fills *t from the request's remote address
 * and login. Returns 1 (t->blocked) when the address, or the account from
 * an address that has failed too, is cooling down: answer NO without
 * looking at the password. now_ms is a monotonic clock. */
int penalty_check(const struct proto_request *req, const char *default_domain,
    long long now_ms, struct penalty_ticket *t);

/* Once the database has named the real account (an alias domain, a '%'
 * login): switches *t to that account's key, so that failures through any
 * alias count against one budget, and decides again. Returns t->blocked. */
int penalty_rekey(struct penalty_ticket *t, const char *user,
    const char *domain, long long now_ms);

/* After the answer: a NO counts against the address and the account, an
 * OK forgets the account's failures; TEMP and blocked attempts count for
 * nothing. Logs once when a key starts being delayed and once when it
 * starts cooling down. */
void penalty_note(const struct penalty_ticket *t, enum auth_result r,
    long long now_ms);

/* Writes one line per throttled key ("addr 127.0.0.9 failures 12 delay
 * 4000ms cooldown 57s") into out, at most cap bytes. Returns the length;
 * keys that do not fit are summed up in a last line. */
size_t penalty_list(char *out, size_t cap, long long now_ms);

/* Forgets the key matching what (an address or a login, as penalty_list
 * shows it), or every key when len is 0. Returns how many were dropped. */
int penalty_clear(const char *what, size_t len);

#endif
