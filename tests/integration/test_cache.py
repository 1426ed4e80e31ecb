"""test_cache.py: vauthd's verified-login cache: a changed password wins at
once, flush works, a hit never accepts a wrong password, the cache is
bounded and entries expire; the stats request that reports it."""
import os
import subprocess
import time

from harness import BIN, Vauthd, mkhash, q, run_vchkpw, vchkpw_input, wait_for

VADMIN = os.path.join(BIN, "vadmin")
SMTP = {"TCPLOCALPORT": "25"}


def login(socket, who, password, ip):
    env = dict(SMTP, TCPREMOTEIP=ip)
    rc, out, err = run_vchkpw(socket, vchkpw_input(who, password),
                              args=["/bin/true"], env=env)
    return rc


def vadmin(socket, *args, user=None):
    cmd = [VADMIN] + list(args) + ["-S", socket]
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
               "--clear-groups"] + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def stats(socket):
    rc, out, err = vadmin(socket, "stats")
    assert rc == 0, (rc, err)
    values = {}
    for line in out.splitlines():
        k, v = line.split(" ", 1)
        values[k] = int(v)
    return values


def test_cache_hit_then_raw_sql_password_change(t):
    sock = t.vauthd.socket
    t.add_user("cache1", "example.com", "old-secret", prefix="$y$")
    before = stats(sock)
    assert login(sock, "cache1@example.com", "old-secret", "127.0.1.1") == 0
    assert login(sock, "cache1@example.com", "old-secret", "127.0.1.1") == 0
    after = stats(sock)
    assert after["cache.misses"] - before["cache.misses"] == 1, (before, after)
    assert after["cache.hits"] - before["cache.hits"] == 1, (before, after)
    # Changed behind vauthd's back, as a webmail or phpMyAdmin would.
    t.mysql.sql("UPDATE vpopmail SET pw_passwd = %s WHERE pw_name = 'cache1' "
                "AND pw_domain = 'example.com';"
                % q(mkhash("$y$", "new-secret")), "vpopmail")
    assert login(sock, "cache1@example.com", "old-secret", "127.0.1.2") == 1
    assert login(sock, "cache1@example.com", "new-secret", "127.0.1.2") == 0
    assert login(sock, "cache1@example.com", "new-secret", "127.0.1.2") == 0
    # Even a change back to the very same password with a fresh salt is a
    # new hash: the entry verified against the old one never answers.
    t.mysql.sql("UPDATE vpopmail SET pw_passwd = %s WHERE pw_name = 'cache1' "
                "AND pw_domain = 'example.com';"
                % q(mkhash("$6$", "new-secret")), "vpopmail")
    mid = stats(sock)
    assert login(sock, "cache1@example.com", "new-secret", "127.0.1.3") == 0
    end = stats(sock)
    assert end["cache.misses"] - mid["cache.misses"] == 1, (mid, end)


def test_cache_locked_account_is_not_served_from_cache(t):
    sock = t.vauthd.socket
    t.add_user("cache2", "example.com", "lock-me", prefix="$6$")
    assert login(sock, "cache2@example.com", "lock-me", "127.0.2.1") == 0
    assert login(sock, "cache2@example.com", "lock-me", "127.0.2.1") == 0
    t.mysql.sql("UPDATE vpopmail SET pw_passwd = CONCAT('!', pw_passwd) "
                "WHERE pw_name = 'cache2';", "vpopmail")
    assert login(sock, "cache2@example.com", "lock-me", "127.0.2.2") == 1


def test_cache_hit_never_accepts_a_wrong_password(t):
    sock = t.vauthd.socket
    t.add_user("cache3", "example.com", "Right-Horse-9", prefix="$1$")
    for _ in range(2):
        assert login(sock, "cache3@example.com", "Right-Horse-9", "127.0.3.1") == 0
    # Three wrong tries (below any throttling), each from its own address.
    wrong = ["Right-Horse-", "right-horse-9", "Right-Horse-9x"]
    for i, pw in enumerate(wrong):
        assert login(sock, "cache3@example.com", pw, "127.0.3.%d" % (10 + i)) == 1, pw
    # Another user with the same password is not served by this entry.
    t.add_user("cache4", "example.com", "Other-Pass", prefix="$1$")
    assert login(sock, "cache4@example.com", "Right-Horse-9", "127.0.3.20") == 1
    assert login(sock, "cache3@example.com", "Right-Horse-9", "127.0.3.1") == 0


def test_cache_flush_over_the_socket(t):
    sock = t.vauthd.socket
    t.add_user("cache5", "example.com", "flush-me", prefix="$6$")
    assert login(sock, "cache5@example.com", "flush-me", "127.0.4.1") == 0
    assert stats(sock)["cache.entries"] > 0
    # Only root may flush; vauthd allows "nobody" to connect in the tests.
    rc, out, err = vadmin(sock, "flush", user=65534)
    assert rc == 1, (rc, out, err)
    assert stats(sock)["cache.entries"] > 0
    rc, out, err = vadmin(sock, "flush")
    assert rc == 0, (rc, out, err)
    s = stats(sock)
    assert s["cache.entries"] == 0 and s["cache.flushes"] >= 1, s
    before = s["cache.misses"]
    assert login(sock, "cache5@example.com", "flush-me", "127.0.4.1") == 0
    assert stats(sock)["cache.misses"] == before + 1


def test_cache_bounded_and_expires(t):
    d = Vauthd(os.path.join(t.top, "vauthd-cache"), t.mysql,
               extra="cache_size = 8\ncache_ttl = 2\n")
    d.start()
    try:
        for i in range(24):
            t.add_user("bound%d" % i, "example.org", "pw-%d" % i, prefix="$1$")
        for rnd in range(2):
            for i in range(24):
                assert login(d.socket, "bound%d@example.org" % i, "pw-%d" % i,
                             "127.0.5.1") == 0, (rnd, i)
        s = stats(d.socket)
        assert s["cache.capacity"] == 8, s
        assert 0 < s["cache.entries"] <= 8, s
        assert s["cache.evictions"] > 0, s
        # An entry is trusted cache_ttl seconds after its crypt().
        assert login(d.socket, "bound0@example.org", "pw-0", "127.0.5.2") == 0
        assert login(d.socket, "bound0@example.org", "pw-0", "127.0.5.2") == 0
        hits = stats(d.socket)["cache.hits"]
        time.sleep(2.5)
        s = stats(d.socket)
        assert login(d.socket, "bound0@example.org", "pw-0", "127.0.5.2") == 0
        s2 = stats(d.socket)
        assert s2["cache.hits"] == hits, (s, s2)
        assert s2["cache.expired"] > s["cache.expired"], (s, s2)
    finally:
        d.stop()


def test_cache_off(t):
    d = Vauthd(os.path.join(t.top, "vauthd-nocache"), t.mysql,
               extra="cache_size = 0\n")
    d.start()
    try:
        t.add_user("nocache", "example.org", "pw-nc", prefix="$1$")
        for _ in range(2):
            assert login(d.socket, "nocache@example.org", "pw-nc", "127.0.6.1") == 0
        assert login(d.socket, "nocache@example.org", "pw-nC", "127.0.6.1") == 1
        s = stats(d.socket)
        assert s["cache.hits"] == 0 and s["cache.capacity"] == 0, s
    finally:
        d.stop()


def test_stats_text_and_prometheus(t):
    sock = t.vauthd.socket
    s = stats(sock)
    for key in ("logins.smtp.ok", "logins.pop3.no", "mysql.errors",
                "mysql.reconnects", "cache.hits", "cache.misses",
                "latency.count", "latency.p50_us", "latency.p99_us"):
        assert key in s, key
    assert s["logins.smtp.ok"] > 0 and s["latency.count"] > 0, s
    assert s["latency.p50_us"] <= s["latency.p99_us"], s
    rc, out, err = vadmin(sock, "stats", "--prometheus")
    assert rc == 0, err
    names = set()
    for line in out.splitlines():
        if line.startswith("# TYPE "):
            parts = line.split()
            assert parts[3] in ("counter", "gauge", "summary"), line
            continue
        name, value = line.rsplit(" ", 1)
        float(value)
        names.add(name.split("{")[0])
    for n in ("vauthd_logins_total", "vauthd_cache_hits_total",
              "vauthd_cache_misses_total", "vauthd_mysql_errors_total",
              "vauthd_mysql_reconnects_total", "vauthd_login_duration_seconds",
              "vauthd_login_duration_seconds_count"):
        assert n in names, (n, out)
    assert 'vauthd_login_duration_seconds{quantile="0.99"}' in out
    # Not root: refused, and nothing printed.
    rc, out, err = vadmin(sock, "stats", user=65534)
    assert rc == 1 and out == "", (rc, out, err)
    # The socket can come from vauthd.conf instead of -S.
    r = subprocess.run([VADMIN, "stats", "-f", t.vauthd.conf],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert r.returncode == 0 and b"cache.hits" in r.stdout, r
    # No vauthd there: a temporary failure, not a crash.
    rc, out, err = vadmin(os.path.join(t.top, "no-such-socket"), "stats")
    assert rc == 111, (rc, out, err)


def test_lastauth_repeat_within_interval_not_rewritten(t):
    sock = t.vauthd.socket
    t.add_user("la1", "example.com", "la-pw", prefix="$1$")

    def row():
        return t.mysql.sql("SELECT remote_ip FROM lastauth WHERE user='la1' "
                           "AND domain='example.com'", "vpopmail")
    before = stats(sock)["lastauth.skipped"]
    assert login(sock, "la1@example.com", "la-pw", "127.0.7.1") == 0
    wait_for(lambda: row() == [["127.0.7.1"]], 10, "lastauth row")
    # A client polling again from the same address: no second write.
    assert login(sock, "la1@example.com", "la-pw", "127.0.7.1") == 0
    assert stats(sock)["lastauth.skipped"] == before + 1
    # A new address is news: written at once.
    assert login(sock, "la1@example.com", "la-pw", "127.0.7.2") == 0
    wait_for(lambda: row() == [["127.0.7.2"]], 10, "lastauth new address")
