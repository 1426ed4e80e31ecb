/* conf.h: the vauth configuration (vauthd.conf), read by vauthd and vadmin. */
#ifndef VAUTH_CONF_H
#define VAUTH_CONF_H

#include <stddef.h>
#include <sys/types.h>

#include "name.h"

#define CONF_MAX_FILE     65536	/* a config file, in bytes */
#define CONF_MAX_LINE     1024
#define CONF_MAX_PATH     256
#define CONF_MAX_WORD     128
#define CONF_MAX_ALLOW    16	/* entries in allow_users, lookup_users */
#define CONF_MAX_WORKERS  256
#define CONF_ERR_LEN      256

struct conf {
	char socket[108];		/* fits sockaddr_un.sun_path */
	unsigned socket_mode;
	char socket_group[CONF_MAX_WORD];
	char user[CONF_MAX_WORD];	/* drop to this user when started as root */
	char allow_users[CONF_MAX_ALLOW][CONF_MAX_WORD];
	int n_allow_users;
	/* Users besides root whose peers may ask LOOKUP (user fields
	 * without a password): Dovecot's auth process, for its userdb. */
	char lookup_users[CONF_MAX_ALLOW][CONF_MAX_WORD];
	int n_lookup_users;
	int workers;
	int max_connections;
	int client_timeout_ms;		/* a client must send its request in this */
	int queue_timeout_ms;		/* a request waiting longer gets TEMP */
	char mysql_host[CONF_MAX_WORD];
	unsigned mysql_port;
	char mysql_socket[CONF_MAX_PATH];
	char mysql_user[CONF_MAX_WORD];
	char mysql_password[CONF_MAX_WORD];
	char mysql_database[CONF_MAX_WORD];
	char mysql_file[CONF_MAX_PATH];	/* vpopmail.mysql */
	int mysql_timeout;		/* seconds, connect/read/write */
	char default_domain[NAME_MAX_DOMAIN + 1];
	char virtual_user[CONF_MAX_WORD];	/* whose uid/gid users run as */
	char hash_prefix[16];
	int lastauth;
	int cache_size;			/* verified logins kept; 0: no cache */
	int cache_ttl;			/* seconds an entry is trusted */
	char log[16];			/* "syslog" or "stderr" */
	uid_t virtual_uid;
	gid_t virtual_gid;
	/* Brute-force defence (vauthd/penalty.c). */
	int penalty;			/* on or off */
	int penalty_window;		/* seconds failures are counted over */
	int penalty_free;		/* failures before answers are delayed */
	int penalty_delay_ms;		/* the first delay, doubled per failure */
	int penalty_delay_max_ms;
	int penalty_threshold;		/* failures that start a cool-down */
	int penalty_cooldown;		/* seconds */
	int penalty_entries;		/* addresses and accounts tracked */
	/* vadmin: where qmail and vpopmail live, and how it writes there. */
	char qmail_dir[CONF_MAX_PATH];
	char vpopmail_dir[CONF_MAX_PATH];	/* domains under its domains/ */
	char lock_file[CONF_MAX_PATH];	/* "" means vpopmail_dir/etc/vadmin.lock */
	int lock_timeout;		/* seconds to wait for lock_file */
	int store_clear;		/* keep pw_clear_passwd (CRAM-MD5, APOP) */
	int dir_control;		/* user dirs per directory before hashing */
	/* Relay control (vauthd/relay.c): SMTP-after-POP into tcp.smtp.cdb. */
	char tcp_smtp[CONF_MAX_PATH];	/* the admin's rules, tcprules text */
	char tcp_smtp_cdb[CONF_MAX_PATH];	/* "" turns relay control off */
	int relay_expiry;		/* seconds an opened address stays */
	int relay_max;			/* entries in the relay table at most */
	int relay_rebuild_interval;	/* ms between two rebuilds at least */
	int relay_poll;			/* seconds between expiry checks */
};

/* Fills in every default. */
void conf_defaults(struct conf *c);

/* Parses "key = value" lines (# comments, blank lines) over what *c holds.
 * Returns 0, or -1 with a message naming the line in err. */
int conf_parse(struct conf *c, const char *text, size_t len, char *err,
    size_t errlen);

/* Parses vpopmail's vpopmail.mysql: the first line that is not a comment,
 * "host|port|user|password|database". Returns 0 or -1 with err. */
int conf_parse_vpopmail(struct conf *c, const char *text, size_t len,
    char *err, size_t errlen);

/* Reads path (refusing one that others may read, since it may hold the
 * MySQL password), then mysql_file if set, and resolves virtual_user.
 * Returns 0 or -1 with err. */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

#endif
