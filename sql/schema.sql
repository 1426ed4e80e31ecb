-- schema.sql: the tables of a vpopmail 5.4 MySQL database, as vpopmail
-- creates them. An existing vpopmail database already satisfies this file;
-- vauth reads and writes it without any migration. What vauth adds on top
-- lives in migrations/, each file idempotent, applied in name order.

CREATE TABLE IF NOT EXISTS vpopmail (
  pw_name char(32) NOT NULL,
  pw_domain char(96) NOT NULL,
  pw_passwd char(40),
  pw_uid int,
  pw_gid int,
  pw_gecos char(48),
  pw_dir char(160),
  pw_shell char(20),
  pw_clear_passwd char(16),
  PRIMARY KEY (pw_name, pw_domain)
);

CREATE TABLE IF NOT EXISTS lastauth (
  user char(32) NOT NULL,
  domain char(96) NOT NULL,
  remote_ip char(18) NOT NULL,
  timestamp bigint DEFAULT 0 NOT NULL,
  PRIMARY KEY (user, domain)
);

CREATE TABLE IF NOT EXISTS relay (
  ip_addr char(18) NOT NULL,
  timestamp char(12),
  PRIMARY KEY (ip_addr)
);

CREATE TABLE IF NOT EXISTS aliasdomains (
  alias varchar(100) NOT NULL,
  domain varchar(100) NOT NULL,
  PRIMARY KEY (alias)
);

CREATE TABLE IF NOT EXISTS valias (
  alias char(32) NOT NULL,
  domain char(96) NOT NULL,
  valias_line text NOT NULL,
  INDEX (alias, domain)
);

CREATE TABLE IF NOT EXISTS limits (
  domain char(64) PRIMARY KEY,
  maxpopaccounts int(10) NOT NULL DEFAULT -1,
  maxaliases int(10) NOT NULL DEFAULT -1,
  maxforwards int(10) NOT NULL DEFAULT -1,
  maxautoresponders int(10) NOT NULL DEFAULT -1,
  maxmailinglists int(10) NOT NULL DEFAULT -1,
  diskquota bigint unsigned NOT NULL DEFAULT 0,
  maxmsgcount bigint unsigned NOT NULL DEFAULT 0,
  defaultquota bigint NOT NULL DEFAULT 0,
  defaultmaxmsgcount bigint unsigned NOT NULL DEFAULT 0,
  disable_pop tinyint(1) NOT NULL DEFAULT 0,
  disable_imap tinyint(1) NOT NULL DEFAULT 0,
  disable_dialup tinyint(1) NOT NULL DEFAULT 0,
  disable_passwordchanging tinyint(1) NOT NULL DEFAULT 0,
  disable_webmail tinyint(1) NOT NULL DEFAULT 0,
  disable_relay tinyint(1) NOT NULL DEFAULT 0,
  disable_smtp tinyint(1) NOT NULL DEFAULT 0,
  disable_spamassassin tinyint(1) NOT NULL DEFAULT 0,
  delete_spam tinyint(1) NOT NULL DEFAULT 0,
  disable_maildrop tinyint(1) NOT NULL DEFAULT 0,
  perm_account tinyint(2) NOT NULL DEFAULT 0,
  perm_alias tinyint(2) NOT NULL DEFAULT 0,
  perm_forward tinyint(2) NOT NULL DEFAULT 0,
  perm_autoresponder tinyint(2) NOT NULL DEFAULT 0,
  perm_maillist tinyint(4) NOT NULL DEFAULT 0,
  perm_quota tinyint(2) NOT NULL DEFAULT 0,
  perm_defaultquota tinyint(2) NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS dir_control (
  domain char(96) NOT NULL,
  cur_users int,
  level_cur int,
  level_max int,
  level_start0 int, level_start1 int, level_start2 int,
  level_end0 int, level_end1 int, level_end2 int,
  level_mod0 int, level_mod1 int, level_mod2 int,
  level_index0 int, level_index1 int, level_index2 int,
  the_dir char(160),
  PRIMARY KEY (domain)
);
