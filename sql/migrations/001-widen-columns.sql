-- 001-widen-columns.sql: room for modern hashes and IPv6 addresses.
-- vpopmail's char(40) pw_passwd cannot hold a yescrypt ($y$, ~73 bytes) or
-- SHA-512 ($6$, ~106 bytes) hash, nor char(18) an IPv6 address. Widening
-- keeps every value; running this file twice changes nothing.

ALTER TABLE vpopmail
  MODIFY pw_passwd varchar(255),
  MODIFY pw_clear_passwd varchar(128),
  MODIFY pw_dir varchar(255);

ALTER TABLE lastauth MODIFY remote_ip varchar(46) NOT NULL;

ALTER TABLE relay MODIFY ip_addr varchar(46) NOT NULL;

CREATE TABLE IF NOT EXISTS vauth_migrations (
  name varchar(128) NOT NULL PRIMARY KEY,
  applied_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT IGNORE INTO vauth_migrations (name) VALUES ('001-widen-columns');
