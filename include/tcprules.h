/* tcprules.h: tcpserver's access rules: tcprules' text, the cdb, the lookup.
 *
 * The text is what ucspi-tcp 0.88's tcprules reads (Debian's ucspi-tcp):
 * one rule a line, "ADDRESS:allow" or "ADDRESS:deny", then any number of
 * ",NAME=qVALUEq" where q is any one character (usually a double quote).
 * A line starting with '#' is a comment; a line without a ':' is ignored,
 * as tcprules ignores it. ADDRESS is everything before the first ':' and
 * "1.2.3.37-53" (no '=' and no '@' in it) stands for 1.2.3.37 ... 1.2.3.53.
 *
 * The cdb holds one record a rule (ranges expanded), in the order of the
 * text: key ADDRESS, value "D\0" for deny, then "+NAME=VALUE\0" for each
 * variable. tcpserver looks up, in order, INFO@IP, INFO@=HOST, IP, =HOST,
 * the prefixes of IP ending in '.', the suffixes of HOST starting with '.'
 * (as =.SUFFIX), "=", and the empty key; the first record found wins.
 */
#ifndef VAUTH_TCPRULES_H
#define VAUTH_TCPRULES_H

#include <stddef.h>

#define TCPRULES_MAX_FILE  (4 * 1024 * 1024)	/* the text, in bytes */
#define TCPRULES_MAX_LINE  8192			/* one rule line */
#define TCPRULES_MAX_KEY   (TCPRULES_MAX_LINE + 8)
#define TCPRULES_MAX_CHECK 1024			/* ip, host, info to check */
#define TCPRULES_MAX_ADDR  45			/* an IPv6 address in text */
#define TCPRULES_ERR_LEN   256

/* Receives each record tcprules would write, in order. Returns 0, or -1
 * with errno to stop the parse. */
typedef int (*tcprules_add_fn)(void *arg, const char *key, size_t klen,
    const char *data, size_t dlen);

/* Parses text exactly as tcprules does, calling add for each record.
 * Returns the number of records, or -1 with err naming the line
 * ("line N: unable to parse this line: ...") and errno EINVAL, or the
 * errno of a failed add. */
long tcprules_parse(const char *text, size_t len, tcprules_add_fn add,
    void *arg, char *err, size_t errlen);

/* The record of an open relay: key ip, the value of
 * ip:allow,RELAYCLIENT="". */
int tcprules_add_relay(tcprules_add_fn add, void *arg, const char *ip);

/* Canonical text of an address for a rule key and the relay table: an
 * IPv4 dotted quad, an IPv6 address as inet_ntop writes it, an
 * IPv4-mapped IPv6 address as its IPv4 address. Returns 0, or -1 (errno
 * EINVAL) when s[0..len) is not an address. */
int tcprules_addr_canon(const char *s, size_t len,
    char out[TCPRULES_MAX_ADDR + 1]);

/* Reads a rules text file into buf (cap bytes); a missing file is empty.
 * Returns 0, or -1 with err. */
int tcprules_read(const char *path, char *buf, size_t cap, size_t *len,
    char *err, size_t errlen);

/* Writes cdb_path whole (atomic_begin/commit, mode 0644 when new): the
 * rules of text, then one relay record per relay[i]. On any error, and
 * on a malformed line, cdb_path is untouched. Returns the number of
 * records, or -1 with err. */
long tcprules_write(const char *cdb_path, const char *text, size_t len,
    const char *const *relay, size_t nrelay, char *err, size_t errlen);

/* Keeps, in place and in order, the ips already in canonical form
 * (tcprules_addr_canon): anything else in a relay table (a hand edit, an
 * address cut short by a narrow column) would be a rule nobody meant.
 * Returns how many were kept. */
size_t tcprules_keep_canon(const char **ips, size_t n);

/* tcprules_write from the rules file rules_path ("" for none; a missing
 * file is empty) and the relay addresses. Returns the number of records,
 * or -1 with err ("PATH: line N: ...") and cdb_path untouched. */
long tcprules_rebuild(const char *rules_path, const char *cdb_path,
    const char *const *relay, size_t nrelay, char *err, size_t errlen);

/* Takes the lock beside cdb_path (cdb_path.lock) that every writer of
 * that cdb holds while it reads its sources and writes. Run as root, it
 * gives a new lock file the owner of its directory, so that vauthd, which
 * runs as that owner, can take it later. Returns the fd for atomic_unlock,
 * or -1 with errno. */
int tcprules_lock(const char *cdb_path, int timeout_ms);

/* Writes into out what tcprulescheck prints for a connection from ip
 * with the given remote host and info (NULL when unset), byte for byte:
 * "rule KEY:\n" and the instructions, or "default:\nallow connection\n".
 * Returns the length, or -1 with errno (unreadable cdb, ENOSPC when out
 * is too small, ENAMETOOLONG for an argument over TCPRULES_MAX_CHECK). */
long tcprules_check(const char *cdb_path, const char *ip, const char *host,
    const char *info, char *out, size_t cap);

#endif
