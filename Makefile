# vauth: plain Makefile. make, make check, make bench, make fuzz, make install.
PREFIX  ?= /usr/local
DESTDIR ?=
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?= -Werror
WARN     = -std=c11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wvla $(WERROR)
HARDEN   = -fstack-protector-strong -D_FORTIFY_SOURCE=2
BUILD   ?= build
SAN     ?=
ifeq ($(SAN),1)
BUILD   := $(BUILD)-san
CFLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
HARDEN   =
endif

MYSQL_CFLAGS := $(shell mysql_config --cflags 2>/dev/null)
MYSQL_LIBS   := $(shell mysql_config --libs 2>/dev/null || echo -lmariadb)
ALL_CFLAGS    = $(WARN) $(HARDEN) $(CFLAGS) -D_GNU_SOURCE -Iinclude $(CPPFLAGS)

# Linked into vchkpw: no MySQL, no libcrypt.
CLIENT_OBJ = $(BUILD)/lib/proto.o $(BUILD)/lib/chkpw.o $(BUILD)/lib/io.o \
             $(BUILD)/lib/client.o
# Shared by the daemon and the admin tools.
LIB_OBJ    = $(CLIENT_OBJ) $(BUILD)/lib/name.o $(BUILD)/lib/passwd.o \
             $(BUILD)/lib/md5.o $(BUILD)/lib/sha256.o $(BUILD)/lib/atomic.o \
             $(BUILD)/lib/errbuf.o $(BUILD)/lib/conf.o
VAUTHD_OBJ = $(BUILD)/vauthd/main.o $(BUILD)/vauthd/log.o \
             $(BUILD)/vauthd/pool.o \
             $(BUILD)/vauthd/request.o $(BUILD)/vauthd/server.o \
             $(BUILD)/vauthd/lastauth.o $(BUILD)/vauthd/stats.o \
             $(BUILD)/vauthd/cache.o \
             $(BUILD)/vauthd/relay.o $(BUILD)/vauthd/relaydb.o
# Relay control: tcp.smtp rules (tinycdb) and the relay table's SQL.
RELAY_OBJ  = $(BUILD)/lib/tcprules.o $(BUILD)/lib/relaysql.o
VADMIN_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(wildcard vadmin/*.c))
UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test-*.c))
BIN        = $(BUILD)/bin
PROGS      = $(BIN)/vchkpw $(BIN)/vauthd $(BIN)/vadmin

.PHONY: all check unit-check integration-check san-check clean install bench fuzz
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/vauthd/pool.o: ALL_CFLAGS += $(MYSQL_CFLAGS)
$(BUILD)/vauthd/relaydb.o: ALL_CFLAGS += $(MYSQL_CFLAGS)

$(BIN)/vchkpw: $(BUILD)/vchkpw.o $(CLIENT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(BIN)/vadmin: $(VADMIN_OBJ) $(LIB_OBJ) $(RELAY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(MYSQL_LIBS) -lcdb -lcrypt

$(BUILD)/vadmin/%.o: ALL_CFLAGS += $(MYSQL_CFLAGS) -Ivadmin

$(BIN)/vauthd: $(VAUTHD_OBJ) $(LIB_OBJ) $(RELAY_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(MYSQL_LIBS) -lcdb -lcrypt -lpthread

$(BUILD)/tests/%: tests/unit/%.c $(LIB_OBJ) $(BUILD)/vauthd/log.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -Ivauthd $(LDFLAGS) -o $@ $^ -lcrypt -lcdb

# Unit tests of a vauthd or vadmin module link that module too.
$(BUILD)/tests/test-control: $(BUILD)/vadmin/control.o $(BUILD)/vadmin/userdir.o
$(BUILD)/tests/test-control: ALL_CFLAGS += -Ivadmin

TOOLS      = $(BIN)/mkhash
$(BUILD)/tests/test-tcprules: $(BUILD)/lib/tcprules.o

$(BIN)/mkhash: $(BUILD)/tests/tools/mkhash.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcrypt

# make bench: bench/run.py starts its own MariaDB and vauthd, then runs
# bench/vbench; classic is the per-login-process design it compares with.
BENCH_BIN  = $(BUILD)/bench
BENCH_DB   = $(BUILD)/vauthd/pool.o $(BUILD)/vauthd/log.o $(LIB_OBJ)

$(BUILD)/bench/%.o: ALL_CFLAGS += $(MYSQL_CFLAGS) -Ivauthd

$(BENCH_BIN)/genusers: $(BUILD)/bench/genusers.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lcrypt -lpthread

$(BENCH_BIN)/classic: $(BUILD)/bench/classic.o $(BENCH_DB)
	$(CC) $(LDFLAGS) -o $@ $^ $(MYSQL_LIBS) -lcrypt

$(BENCH_BIN)/vbench: $(BUILD)/bench/vbench.o $(BENCH_DB)
	$(CC) $(LDFLAGS) -o $@ $^ $(MYSQL_LIBS) -lcrypt -lpthread

bench: all $(BENCH_BIN)/genusers $(BENCH_BIN)/classic $(BENCH_BIN)/vbench
	BIN=$(BIN) BUILD=$(BUILD) bench/run.py

check: all $(UNIT_TESTS) $(TOOLS)
	BIN=$(BIN) BUILD=$(BUILD) tests/run

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR)
	install -m 755 $(BIN)/vauthd $(DESTDIR)$(SBINDIR)/vauthd
	install -m 755 $(BIN)/vchkpw $(DESTDIR)$(BINDIR)/vchkpw
	install -m 755 $(BIN)/vadmin $(DESTDIR)$(SBINDIR)/vadmin
	# vpopmail's command names (vadddomain, ..., clearopensmtp): links to
	# vadmin, which acts on the name it is run as; the list is its help.
	for c in $$($(BIN)/vadmin help | awk 'NR > 2 && ($$1 ~ /^v/ || \
	    $$1 == "clearopensmtp") { print $$1 }'); do \
	    ln -sf vadmin $(DESTDIR)$(SBINDIR)/$$c || exit 1; done
	install -d $(DESTDIR)$(MANDIR)/man8
	install -m 644 vchkpw.8 vauthd/vauthd.8 $(DESTDIR)$(MANDIR)/man8/
	# Run scripts for daemontools, also what the systemd units start.
	for s in vauthd qmail-smtpd qmail-pop3d; do \
	    install -d $(DESTDIR)$(PREFIX)/share/vauth/run/$$s/log && \
	    install -m 755 etc/run/$$s/run $(DESTDIR)$(PREFIX)/share/vauth/run/$$s/ && \
	    install -m 755 etc/run/$$s/log/run \
	        $(DESTDIR)$(PREFIX)/share/vauth/run/$$s/log/ || exit 1; done
	install -m 644 etc/tcp.smtp $(DESTDIR)$(PREFIX)/share/vauth/tcp.smtp
