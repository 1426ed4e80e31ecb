/* relaysql.h: the relay table's SQL (SMTP-after-POP), one text for vauthd and vadmin.
 *
 * The table is vpopmail's: relay (ip_addr char(18) PRIMARY KEY,
 * timestamp char(12)), the time as decimal seconds since the epoch.
 * Migration 002 adds "user" (who opened it); every statement has a form
 * for a table without it. Parameters are in the order of the '?'s.
 */
#ifndef VAUTH_RELAYSQL_H
#define VAUTH_RELAYSQL_H

/* The relay table's columns: COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH. No
 * row means no table. */
extern const char relaysql_columns[];
/* ip, timestamp, user / ip, timestamp: insert or refresh. */
extern const char relaysql_put_user[];
extern const char relaysql_put[];
/* ip */
extern const char relaysql_close[];
/* before: drops entries older than that (and any without a time). */
extern const char relaysql_expire[];
extern const char relaysql_count[];
/* n: drops the n oldest entries. */
extern const char relaysql_evict[];
/* ip, timestamp, user ("" without the column), by address; the _limit
 * forms take the most rows to return. */
extern const char relaysql_list_user[];
extern const char relaysql_list[];
extern const char relaysql_list_user_limit[];
extern const char relaysql_list_limit[];

#endif
