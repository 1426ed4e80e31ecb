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
FUZZ    ?=
# override: BUILD usually comes from the command line, and the sanitizer
# and fuzzer objects must never land in the plain build's directory.
ifeq ($(SAN),1)
override BUILD := $(BUILD)-san
CFLAGS   = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
           -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
HARDEN   =
endif
ifeq ($(FUZZ),1)
override BUILD := $(BUILD)-fuzz
CC       = clang
CFLAGS   = -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all \
           -fsanitize=fuzzer-no-link,address,undefined
LDFLAGS += -fsanitize=fuzzer,address,undefined
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
             $(BUILD)/vauthd/pool.o $(BUILD)/vauthd/penalty.o \
             $(BUILD)/vauthd/rehash.o \
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

.PHONY: all check check-one unit-check integration-check san-check clean \
        install bench fuzz
all: $(PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/vauthd/pool.o: ALL_CFLAGS += $(MYSQL_CFLAGS)
$(BUILD)/vauthd/relaydb.o: ALL_CFLAGS += $(MYSQL_CFLAGS)

# VCHKPW_LDFLAGS=-static saves the dynamic loader's ~0.17 ms per login
# (measured by make bench), at the price of a rebuild for libc updates.
VCHKPW_LDFLAGS ?=
$(BIN)/vchkpw: $(BUILD)/vchkpw.o $(CLIENT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(VCHKPW_LDFLAGS) -o $@ $^

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
$(BUILD)/tests/test-penalty: $(BUILD)/vauthd/penalty.o
$(BUILD)/tests/test-control: $(BUILD)/vadmin/control.o $(BUILD)/vadmin/userdir.o
$(BUILD)/tests/test-control: ALL_CFLAGS += -Ivadmin

# The cache's unit test needs the module itself.
$(BUILD)/tests/test-cache: $(BUILD)/vauthd/cache.o

TOOLS      = $(BIN)/mkhash
$(BUILD)/tests/test-tcprules: $(BUILD)/lib/tcprules.o

# Fuzz targets: fuzz/fuzz-NAME.c, seeds in fuzz/corpus/NAME/. make check
# replays the seeds through each target built with fuzz/replay.c instead
# of libFuzzer; make fuzz runs libFuzzer (clang) on each for FUZZ_SECONDS.
# The targets link from an archive, so each takes only what it calls.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = $(patsubst fuzz/fuzz-%.c,%,$(wildcard fuzz/fuzz-*.c))
FUZZ_REPLAY  = $(patsubst %,$(BUILD)/tests/test-fuzz-%,$(FUZZ_TARGETS))
FUZZ_BINS    = $(patsubst %,$(BUILD)/fuzz/fuzz-%,$(FUZZ_TARGETS))
FUZZ_LIB     = $(BUILD)/fuzz/libvauth.a
FUZZ_LIBOBJ  = $(LIB_OBJ) $(BUILD)/lib/tcprules.o \
               $(filter-out $(BUILD)/vadmin/main.o,$(VADMIN_OBJ))

$(FUZZ_LIB): $(FUZZ_LIBOBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/tests/test-fuzz-%: fuzz/fuzz-%.c fuzz/replay.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ifuzz -Ivadmin -DFUZZ_TARGET='"$*"' $(LDFLAGS) \
	    -o $@ fuzz/fuzz-$*.c fuzz/replay.c $(FUZZ_LIB) -lcdb -lcrypt

$(BUILD)/fuzz/fuzz-%: fuzz/fuzz-%.c $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Ifuzz -Ivadmin $(LDFLAGS) -o $@ $< $(FUZZ_LIB) \
	    -lcdb -lcrypt

ifeq ($(FUZZ),1)
fuzz: $(FUZZ_BINS)
	scripts/fuzz $(FUZZ_SECONDS) $(BUILD)/fuzz $(FUZZ_TARGETS)
else
fuzz:
	$(MAKE) FUZZ=1 fuzz
endif

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

# make check: the suite, then the suite again built with ASan and UBSan
# (CHECK_SAN=0 skips that); the last line is the total of both.
CHECK_SAN ?= 1
check-one: all $(UNIT_TESTS) $(FUZZ_REPLAY) $(TOOLS)
	BIN=$(BIN) BUILD=$(BUILD) tests/run

ifeq ($(SAN)$(CHECK_SAN),1)
check:
	tests/run-both "$(MAKE)"
else
check: check-one
endif

clean:
	rm -rf build build-san build-fuzz

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
	install -m 644 vchkpw.8 vauthd/vauthd.8 vadmin/vadmin.8 $(DESTDIR)$(MANDIR)/man8/
	# Run scripts for daemontools, also what the systemd units start.
	for s in vauthd qmail-smtpd qmail-pop3d; do \
	    install -d $(DESTDIR)$(PREFIX)/share/vauth/run/$$s/log && \
	    install -m 755 etc/run/$$s/run $(DESTDIR)$(PREFIX)/share/vauth/run/$$s/ && \
	    install -m 755 etc/run/$$s/log/run \
	        $(DESTDIR)$(PREFIX)/share/vauth/run/$$s/log/ || exit 1; done
	install -m 644 etc/tcp.smtp $(DESTDIR)$(PREFIX)/share/vauth/tcp.smtp
