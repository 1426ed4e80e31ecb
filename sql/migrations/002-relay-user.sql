-- 002-relay-user.sql: who opened each relay entry (SMTP-after-POP).
-- vpopmail's relay table has only the address and the time; vauthd also
-- records user@domain so that "vadmin relay-list" can say whose login
-- opened it. vauthd works on a table without the column. Running this file
-- twice changes nothing.

ALTER TABLE relay ADD COLUMN IF NOT EXISTS user varchar(290) NULL;

CREATE TABLE IF NOT EXISTS vauth_migrations (
  name varchar(128) NOT NULL PRIMARY KEY,
  applied_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT IGNORE INTO vauth_migrations (name) VALUES ('002-relay-user');
