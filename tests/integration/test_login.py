"""test_login.py: the core login path, vchkpw -> vauthd -> MariaDB, for real."""
import hashlib
import hmac
import os
import subprocess
import threading
import time

from harness import (VIRTUAL_GID, VIRTUAL_UID, Vauthd, mkhash, parse_env,
                     run_vchkpw, vchkpw_input, wait_for)

POP = {"TCPLOCALPORT": "110", "TCPREMOTEIP": "127.0.0.7"}
SMTP = {"TCPLOCALPORT": "25", "TCPREMOTEIP": "127.0.0.8"}
IMAP = {"TCPLOCALPORT": "143", "TCPREMOTEIP": "127.0.0.9"}


def expect(result, code, what=""):
    rc, out, err = result
    assert rc == code, "%s: exit %d, wanted %d\nstdout: %s\nstderr: %s" % (
        what, rc, code, out[:400], err[:400])
    return out


def test_setup_users(t):
    t.add_user("alice", "example.com", "alice-pw")
    t.add_user("bob", "example.net", "bob-pw", prefix="$y$")


def test_each_hash_scheme(t):
    for i, prefix in enumerate(["$y$", "$2b$", "$6$", "$5$", "$1$", "ab"]):
        user = "scheme%d" % i
        t.add_user(user, "example.com", "pw-%d" % i, prefix=prefix)
        expect(t.login(user + "@example.com", "pw-%d" % i, env=POP), 0, prefix)
        expect(t.login(user + "@example.com", "pw-%d!" % i, env=POP), 1, prefix)


def test_plain_success_sets_environment_and_ids(t):
    home = t.add_user("carol", "example.com", "carol-pw")
    out = expect(t.login("carol@example.com", "carol-pw", env=POP), 0)
    env = parse_env(out)
    assert env["USER"] == "carol@example.com", env
    assert env["HOME"] == home, env
    assert env["SHELL"] == "/bin/false", env
    assert env["VPOPUSER"] == "carol" and env["VPOPDOMAIN"] == "example.com"
    assert env["MAILDIR"] == home + "/Maildir"
    first = out.splitlines()[0]
    assert first == "uid=%d gid=%d groups=%d cwd=%s" % (
        VIRTUAL_UID, VIRTUAL_GID, VIRTUAL_GID, home), first


def test_wrong_password_unknown_user_unknown_domain(t):
    expect(t.login("alice@example.com", "nope", env=POP), 1, "wrong password")
    expect(t.login("nobody@example.com", "alice-pw", env=POP), 1, "unknown user")
    expect(t.login("alice@unknown.example", "alice-pw", env=POP), 1, "unknown domain")
    expect(t.login("alice@example.com", "", env=POP), 1, "empty password")


def test_default_domain_and_case_folding(t):
    out = expect(t.login("alice", "alice-pw", env=POP), 0, "default domain")
    assert parse_env(out)["USER"] == "alice@example.com"
    out = expect(t.login("ALICE@Example.COM", "alice-pw", env=POP), 0, "case")
    assert parse_env(out)["USER"] == "alice@example.com"
    expect(t.login("alice%example.com", "alice-pw", env=POP), 0, "percent form")
    expect(t.login("alice@example.com", "ALICE-PW", env=POP), 1, "password case")


def test_alias_domain(t):
    t.mysql.sql("REPLACE INTO aliasdomains (alias, domain) VALUES "
                "('alias.example', 'example.com');", "vpopmail")
    out = expect(t.login("alice@alias.example", "alice-pw", env=POP), 0)
    env = parse_env(out)
    assert env["USER"] == "alice@example.com", env
    assert env["VPOPDOMAIN"] == "example.com"


def test_clear_password_fallback_only_without_hash(t):
    t.add_user("clearonly", "example.com", hashed="", clear="clear-pw")
    expect(t.login("clearonly@example.com", "clear-pw", env=POP), 0)
    expect(t.login("clearonly@example.com", "clear-pX", env=POP), 1)
    # A hash wins over the clear copy; a locked hash never matches.
    t.add_user("both", "example.com", "hash-pw", clear="clear-pw")
    expect(t.login("both@example.com", "clear-pw", env=POP), 1)
    expect(t.login("both@example.com", "hash-pw", env=POP), 0)
    for h in ("!" + "x" * 10, "*", "*LK*"):
        t.add_user("locked", "example.com", hashed=h, clear="clear-pw")
        expect(t.login("locked@example.com", "clear-pw", env=POP), 1, h)
    # Nor over APOP or CRAM-MD5, which check the clear copy.
    ts = "<4711.1700000000@pop.example.com>"
    apop = hashlib.md5((ts + "clear-pw").encode()).hexdigest()
    cram = hmac.new(b"clear-pw", ts.encode(), hashlib.md5).hexdigest()
    for h in ("!" + mkhash("$6$", "clear-pw"), "*"):
        t.add_user("locked", "example.com", hashed=h, clear="clear-pw")
        expect(t.login("locked@example.com", apop, ts, env=POP), 1, "APOP " + h)
        expect(t.login("locked@example.com", cram, ts, env=SMTP, args=["/bin/true"]), 1,
               "CRAM-MD5 " + h)
    t.add_user("empty", "example.com", hashed="", clear="")
    expect(t.login("empty@example.com", "", env=POP), 1)


def test_cram_md5(t):
    t.add_user("cram", "example.com", "cram-pw", clear="cram-pw")
    chal = "<12345.1700000000@mail.example.com>"
    resp = hmac.new(b"cram-pw", chal.encode(), hashlib.md5).hexdigest()
    expect(t.login("cram@example.com", resp, chal, env=SMTP, args=["/bin/true"]), 0)
    bad = hmac.new(b"cram-px", chal.encode(), hashlib.md5).hexdigest()
    expect(t.login("cram@example.com", bad, chal, env=SMTP, args=["/bin/true"]), 1)
    # No clear password stored: CRAM-MD5 cannot succeed.
    t.add_user("nocram", "example.com", "cram-pw")
    expect(t.login("nocram@example.com", resp, chal, env=SMTP, args=["/bin/true"]), 1)
    # Plain AUTH LOGIN through the same patch: an empty third field.
    expect(t.login("cram@example.com", "cram-pw", "", env=SMTP, args=["/bin/true"]), 0)


def test_apop(t):
    t.add_user("apop", "example.com", "apop-pw", clear="apop-pw")
    ts = "<4711.1700000000@pop.example.com>"
    digest = hashlib.md5((ts + "apop-pw").encode()).hexdigest()
    expect(t.login("apop@example.com", digest, ts, env=POP), 0)
    bad = hashlib.md5((ts + "apop-px").encode()).hexdigest()
    expect(t.login("apop@example.com", bad, ts, env=POP), 1)
    # qmail-popup passes its timestamp with USER/PASS logins too.
    expect(t.login("apop@example.com", "apop-pw", ts, env=POP), 0)


def test_service_flags(t):
    flags = {"nopop": 0x02, "noimap": 0x08, "nosmtp": 0x800, "nowebmail": 0x04}
    for user, bit in flags.items():
        t.add_user(user, "example.com", "pw", flags=bit)
    expect(t.login("nopop@example.com", "pw", env=POP), 1, "NO_POP over pop3")
    expect(t.login("nopop@example.com", "pw", env=IMAP), 0, "NO_POP over imap")
    expect(t.login("noimap@example.com", "pw", env=IMAP), 1, "NO_IMAP over imap")
    expect(t.login("noimap@example.com", "pw", env=POP), 0, "NO_IMAP over pop3")
    expect(t.login("nosmtp@example.com", "pw", env=SMTP, args=["/bin/true"]), 1)
    expect(t.login("nosmtp@example.com", "pw", env=POP), 0)
    expect(t.login("nowebmail@example.com", "pw", args=["-s", "webmail", "/bin/true"]), 1)
    expect(t.login("nowebmail@example.com", "pw", env=POP), 0)


def test_service_detection(t):
    # Dovecot's SERVICE beats the port; -s beats both; else vpopmail's guess.
    expect(t.login("nopop@example.com", "pw", env={"SERVICE": "pop3", "TCPLOCALPORT": "143"}), 1)
    expect(t.login("nopop@example.com", "pw", env={"SERVICE": "imap", "TCPLOCALPORT": "110"}), 0)
    expect(t.login("nopop@example.com", "pw", env={"SERVICE": "imap"},
                   args=["-s", "pop3", "/bin/true"]), 1)
    expect(t.login("nosmtp@example.com", "pw", args=["/bin/true"]), 1, "guess smtp")
    imapd = os.path.join(t.top, "fake-imapd")
    if not os.path.exists(imapd):
        os.symlink("/bin/true", imapd)
    expect(t.login("nopop@example.com", "pw", args=[imapd]), 0, "guess imap")
    expect(t.login("nopop@example.com", "pw", args=["/var/qmail/bin/qmail-pop3d"]), 1, "guess pop3")
    for port in ("465", "587"):
        expect(t.login("nosmtp@example.com", "pw", env={"TCPLOCALPORT": port}), 1, port)
    for port in ("995",):
        expect(t.login("nopop@example.com", "pw", env={"TCPLOCALPORT": port}), 1, port)
    expect(t.login("noimap@example.com", "pw", env={"TCPLOCALPORT": "993"}), 1)


def test_usage_errors_exit_2(t):
    sock = t.vauthd.socket
    expect(run_vchkpw(sock, b"a" * 513), 2, "oversize")
    expect(run_vchkpw(sock, b"alice@example.com\0" + b"x" * 600 + b"\0"), 2, "oversize fields")
    expect(run_vchkpw(sock, b"alice@example.com\0alice-pw"), 2, "truncated")
    expect(run_vchkpw(sock, b"alice@example.com"), 2, "no NUL")
    expect(run_vchkpw(sock, b""), 2, "empty")
    expect(run_vchkpw(sock, b"alice@example.com\0alice-pw\0", args=[]), 2, "no program")
    expect(run_vchkpw(sock, b"alice@example.com\0alice-pw\0", args=["-s", "gopher", "/bin/true"]), 2)
    # fd 3 not open at all.
    r = subprocess.run([os.environ.get("BIN", "build/bin") + "/vchkpw", "/bin/true"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env={"VAUTHD_SOCKET": sock})
    assert r.returncode == 2, r


def test_fd3_never_closed_is_misuse_not_a_hang(t):
    # The caller writes its input and keeps fd 3 open: vchkpw gives up
    # after its read timeout (5 s) with exit 2, and never asks vauthd.
    bindir = os.environ.get("BIN", "build/bin")
    p = subprocess.Popen(["/bin/sh", "-c", 'exec "$0" "$@" 3<&0',
                          os.path.join(bindir, "vchkpw"), "/bin/true"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE,
                         env={"VAUTHD_SOCKET": t.vauthd.socket, "TCPLOCALPORT": "110"})
    try:
        p.stdin.write(vchkpw_input("alice@example.com", "alice-pw"))
        p.stdin.flush()
        rc = p.wait(timeout=30)
        err = p.stderr.read().decode()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stdin.close()
    assert rc == 2 and "timed out" in err, (rc, err)


def test_hostile_logins_refused_and_logged_safely(t):
    hostile = [
        "' OR '1'='1", "alice' -- @example.com", "alice@example.com' OR 1=1 -- ",
        "x" * 300, "a" * 33 + "@example.com", "alice@" + "d" * 254,
        "../../etc/passwd@example.com", "alice@../../etc", "alice@example.com/..",
        "", "\xe9l\xe8ve@example.com", "alice@exampl\xe9.com",
        "evil\nvauthd: info: login service=pop3 user=alice@example.com result=ok",
        "alice\r@example.com", "%example.com", "@", "alice@@example.com",
    ]
    for login in hostile:
        expect(t.login(login, "alice-pw", env=POP), 1, repr(login))
    expect(t.login("alice@example.com", "' OR '1'='1", env=POP), 1)
    log = t.vauthd.read_log()
    for line in log.splitlines():
        assert line.startswith("vauthd: "), "forged or broken line: %r" % line
    assert "\\x0avauthd" in log, "newline was not escaped"
    assert "alice-pw" not in log, "a password reached the log"


def test_passwords_never_logged(t):
    expect(t.login("alice@example.com", "Sekr1t-Never-Logged", env=POP), 1)
    expect(t.login("nosuchuser@example.com", "Sekr1t-Never-Logged", env=POP), 1)
    log = t.vauthd.read_log()
    assert "Sekr1t" not in log
    assert "result=no reason=wrong password" in log
    assert "reason=unknown user" in log


def test_lastauth_recorded(t):
    expect(t.login("bob@example.net", "bob-pw", env={"TCPLOCALPORT": "110",
                                                     "TCPREMOTEIP": "127.0.0.42"}), 0)
    wait_for(lambda: t.mysql.sql(
        "SELECT remote_ip FROM lastauth WHERE user='bob' AND domain='example.net'",
        "vpopmail") == [["127.0.0.42"]], 10, "lastauth row")
    expect(t.login("bob@example.net", "bob-pw", env={"TCPLOCALPORT": "110",
                                                     "TCPREMOTEIP": "::1"}), 0)
    wait_for(lambda: t.mysql.sql(
        "SELECT remote_ip FROM lastauth WHERE user='bob' AND domain='example.net'",
        "vpopmail") == [["::1"]], 10, "lastauth IPv6 row")


def test_non_root_caller_needs_no_privileges(t):
    # qmail-smtpd runs vchkpw as qmaild: no uid switch, no chdir.
    out = expect(t.login("alice@example.com", "alice-pw", env=SMTP, user=65534), 0)
    first = out.splitlines()[0]
    assert first.startswith("uid=65534 gid=65534"), first
    expect(t.login("alice@example.com", "wrong", env=SMTP, user=65534), 1)


def test_peer_not_allowed_is_refused(t):
    # uid 1 (daemon) is neither root, nor allowed, nor in the socket group.
    expect(t.login("alice@example.com", "alice-pw", env=SMTP, user=1), 111)
    assert "refused peer uid=1" in t.vauthd.read_log()


def test_concurrent_200(t):
    t.add_user("many", "example.com", "many-pw", prefix="$5$")
    results = [None] * 200
    errors = []

    def one(i):
        good = i % 3 != 0
        pw = "many-pw" if good else "wrong-%d" % i
        try:
            rc, _, err = run_vchkpw(t.vauthd.socket, vchkpw_input("many@example.com", pw),
                                    args=["/bin/true"], env=POP, timeout=120)
            results[i] = (rc, 0 if good else 1, err)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(180)
    assert not errors, errors[:3]
    wrong = [(i, r) for i, r in enumerate(results) if r is None or r[0] != r[1]]
    assert not wrong, wrong[:5]


def test_unmigrated_vpopmail_database(t):
    # A database exactly as vpopmail made it, without aliasdomains even.
    t.mysql.load("vpopraw", ["sql/schema.sql"])
    t.mysql.sql("DROP TABLE aliasdomains;", "vpopraw")
    t.add_user("old", "legacy.example", "old-pw", prefix="$1$", db="vpopraw")
    t.add_user("des", "legacy.example", "des-pw", prefix="ab", db="vpopraw")
    d = Vauthd(os.path.join(t.top, "vauthd-raw"), t.mysql, db="vpopraw")
    d.start()
    try:
        expect(run_vchkpw(d.socket, vchkpw_input("old@legacy.example", "old-pw"), env=POP), 0)
        expect(run_vchkpw(d.socket, vchkpw_input("des@legacy.example", "des-pw"), env=POP), 0)
        expect(run_vchkpw(d.socket, vchkpw_input("old@legacy.example", "x"), env=POP), 1)
        # IPv6 does not fit vpopmail's char(18); the login still succeeds.
        expect(run_vchkpw(d.socket, vchkpw_input("old@legacy.example", "old-pw"),
                          env={"TCPLOCALPORT": "110",
                               "TCPREMOTEIP": "2001:db8::1234:5678:9abc:def0"}), 0)
    finally:
        d.stop()


def test_temp_when_vauthd_stopped(t):
    t.vauthd.stop()
    try:
        expect(t.login("alice@example.com", "alice-pw", env=POP), 111, "no daemon")
    finally:
        t.vauthd.start()
    expect(t.login("alice@example.com", "alice-pw", env=POP), 0)


def test_temp_when_mysql_down_then_recovers(t):
    expect(t.login("alice@example.com", "alice-pw", env=POP), 0)
    t.mysql.stop()
    try:
        expect(t.login("alice@example.com", "alice-pw", env=POP), 111, "mysql down")
        expect(t.login("alice@example.com", "wrong", env=POP), 111, "never a NO")
        expect(t.login("nosuch@example.com", "x", env=POP), 111)
    finally:
        t.mysql.start()
    # Same vauthd process: it reconnects by itself.
    pid = t.vauthd.proc.pid
    expect(t.login("alice@example.com", "alice-pw", env=POP), 0, "after restart")
    expect(t.login("alice@example.com", "wrong", env=POP), 1)
    assert t.vauthd.proc.pid == pid and t.vauthd.proc.poll() is None


def test_vauthd_refuses_world_readable_config(t):
    d = Vauthd(os.path.join(t.top, "vauthd-perm"), t.mysql)
    os.chmod(d.conf, 0o644)
    r = subprocess.run([os.path.join(os.environ.get("BIN", "build/bin"), "vauthd"), "-f", d.conf],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    assert r.returncode == 2 and b"accessible to others" in r.stderr, r


def test_slow_query_gives_temp_not_hang(t):
    # A session holding the table's write lock makes every lookup wait: vauthd
    # must give up after its MySQL timeout and answer TEMP, not hang, and
    # answer normally once the lock is gone.
    locker = subprocess.Popen(
        ["mariadb", "--no-defaults", "-uroot", "-S", t.mysql.socket, "vpopmail"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t.extra_procs.append(locker)
    try:
        locker.stdin.write(b"LOCK TABLES vpopmail WRITE;\nSELECT SLEEP(60);\n")
        locker.stdin.flush()
        wait_for(lambda: t.mysql.sql(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
            "WHERE INFO LIKE 'SELECT SLEEP%'") == [["1"]], 10, "the table lock")
        start = time.monotonic()
        expect(t.login("alice@example.com", "alice-pw", env=POP), 111, "locked table")
        assert time.monotonic() - start < 14
    finally:
        locker.kill()
        locker.wait()
    wait_for(lambda: t.login("alice@example.com", "alice-pw", env=POP)[0] == 0, 30,
             "logins after the lock is released")
