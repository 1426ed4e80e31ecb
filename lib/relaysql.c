/* relaysql.c: the relay table's SQL (SMTP-after-POP), one text for vauthd and vadmin. */
#include "relaysql.h"

const char relaysql_columns[] =
    "SELECT COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH FROM "
    "information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
    "TABLE_NAME = 'relay'";
const char relaysql_put_user[] =
    "INSERT INTO relay (ip_addr, timestamp, user) VALUES (?, ?, ?) "
    "ON DUPLICATE KEY UPDATE timestamp = VALUES(timestamp), "
    "user = VALUES(user)";
const char relaysql_put[] =
    "INSERT INTO relay (ip_addr, timestamp) VALUES (?, ?) "
    "ON DUPLICATE KEY UPDATE timestamp = VALUES(timestamp)";
const char relaysql_close[] =
    "DELETE FROM relay WHERE ip_addr = ?";
/* CAST, not a string comparison: vpopmail's char(12) holds numbers of
 * any width. */
const char relaysql_expire[] =
    "DELETE FROM relay WHERE timestamp IS NULL OR "
    "CAST(timestamp AS SIGNED) < ?";
const char relaysql_count[] =
    "SELECT COUNT(*) FROM relay";
const char relaysql_evict[] =
    "DELETE FROM relay ORDER BY CAST(timestamp AS SIGNED), ip_addr LIMIT ?";
#define LIST(user) "SELECT ip_addr, CAST(timestamp AS SIGNED), " user \
    " FROM relay ORDER BY ip_addr"
const char relaysql_list_user[] = LIST("COALESCE(user, '')");
const char relaysql_list[] = LIST("''");
const char relaysql_list_user_limit[] = LIST("COALESCE(user, '')") " LIMIT ?";
const char relaysql_list_limit[] = LIST("''") " LIMIT ?";
#undef LIST
