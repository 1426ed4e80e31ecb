"""test_relay.py: SMTP-after-POP: logins open relay in tcp.smtp.cdb, which
Debian's tcprules, tcprulescheck and tcpserver must read as their own."""
import os
import shutil
import socket
import struct
import subprocess
import threading
import time

from harness import (ROOT, BIN, DB_PASSWORD, DB_USER, Vauthd, run_vchkpw,
                     stop_pid, vchkpw_input, wait_for)

VADMIN = os.path.join(BIN, "vadmin")
DB = "vrelay"
OLD_DB = "vrelay_old"
SAMPLE = os.path.join(ROOT, "etc", "tcp.smtp")
NOBODY = 65534
BURST = 1000


def pop(ip):
    return {"TCPLOCALPORT": "110", "TCPREMOTEIP": ip}


class Relay:
    """A vauthd of its own with relay control on, and a vadmin config."""

    def __init__(self, t, name, db=DB, extra=""):
        self.t = t
        self.dir = os.path.join(t.top, name)
        self.cdbdir = os.path.join(self.dir, "cdb")
        os.makedirs(self.cdbdir, exist_ok=True)
        # vauthd runs as nobody: the cdb's directory must be its own.
        os.chown(self.cdbdir, NOBODY, NOBODY)
        self.rules = os.path.join(self.dir, "tcp.smtp")
        shutil.copyfile(SAMPLE, self.rules)
        self.cdb = os.path.join(self.cdbdir, "tcp.smtp.cdb")
        self.db = db
        self.d = Vauthd(self.dir, t.mysql, db=db)
        self.configure(extra)

    def configure(self, extra=""):
        self.d.write_conf(self.db, "tcp_smtp = %s\ntcp_smtp_cdb = %s\n%s"
                          % (self.rules, self.cdb, extra))

    def start(self):
        self.d.start()
        wait_for(lambda: os.path.exists(self.cdb), 20, "the first cdb")

    def stop(self):
        self.d.stop()

    def login(self, login, password, env):
        return run_vchkpw(self.d.socket, vchkpw_input(login, password),
                          args=["/bin/true"], env=env)

    def log(self):
        return self.d.read_log()

    def vadmin(self, *args):
        env = {"PATH": "/usr/bin:/bin", "VAUTH_CONF": self.d.conf}
        r = subprocess.run([VADMIN] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=60)
        return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def rulescheck(cdb, ip):
    """Debian's tcprulescheck, as tcpserver would decide."""
    r = subprocess.run(["tcprulescheck", cdb], env={"TCPREMOTEIP": ip},
                       stdout=subprocess.PIPE, check=True, timeout=30)
    return r.stdout.decode("latin-1")


def relaying(cdb, ip):
    return "set environment variable RELAYCLIENT=" in rulescheck(cdb, ip)


def cdb_dump(path):
    """The records of a cdb, in file order, as (key, value) byte pairs."""
    out = subprocess.run(["cdb", "-d", path], stdout=subprocess.PIPE,
                         check=True).stdout
    recs, i = [], 0
    while i < len(out) and out[i:i + 1] == b"+":
        comma = out.index(b",", i)
        colon = out.index(b":", comma)
        klen = int(out[i + 1:comma])
        dlen = int(out[comma + 1:colon])
        key = out[colon + 1:colon + 1 + klen]
        j = colon + 1 + klen
        assert out[j:j + 2] == b"->", out[j:j + 10]
        val = out[j + 2:j + 2 + dlen]
        recs.append((key, val))
        i = j + 2 + dlen + 1      # the record's newline
    return recs


def cdb_keys(path):
    return {k.decode("latin-1") for k, _ in cdb_dump(path)}


def relay_rows(t, db=DB):
    return {r[0]: r for r in t.mysql.sql("SELECT ip_addr, timestamp FROM relay;", db)}


def tcprules_from(text, dir):
    """Debian's tcprules on text; returns the cdb's bytes."""
    cdb = os.path.join(dir, "ref.cdb")
    subprocess.run(["tcprules", cdb, cdb + ".tmp"], input=text.encode(),
                   check=True, timeout=30)
    with open(cdb, "rb") as fh:
        return fh.read()


def merged_text(t, rules, db=DB):
    """What vauthd compiles: the admin's rules, then one line per open
    address in the database's address order."""
    with open(rules) as fh:
        text = fh.read()
    if text and not text.endswith("\n"):
        text += "\n"
    for (ip,) in t.mysql.sql("SELECT ip_addr FROM relay ORDER BY ip_addr;", db):
        text += '%s:allow,RELAYCLIENT=""\n' % ip
    return text


def wait_open(r, ip, timeout=30):
    wait_for(lambda: relaying(r.cdb, ip), timeout, "%s to be open" % ip)


def wait_closed(r, ip, timeout=60):
    wait_for(lambda: not relaying(r.cdb, ip), timeout, "%s to be closed" % ip)


# The shared instance: created by the first test, used by the others.
R = {}


def test_relay_setup(t):
    t.mysql.load(DB, ["sql/schema.sql", "sql/migrations/001-widen-columns.sql",
                      "sql/migrations/002-relay-user.sql",
                      "sql/migrations/002-relay-user.sql"])   # idempotent
    t.add_user("roamer", "example.com", "roam-pw", db=DB)
    t.add_user("stay", "example.com", "stay-pw", flags=0x20, db=DB)  # NO_RELAY
    r = Relay(t, "relay-a", extra="relay_rebuild_interval = 200\n"
              "relay_poll = 2\n")
    r.start()
    t.extra_procs.append(r.d.proc)
    R["a"] = r
    # Only the sample's static rules so far.
    assert relaying(r.cdb, "127.0.0.1")
    assert not relaying(r.cdb, "127.0.0.5")


def test_pop_login_opens_relay_for_that_address_only(t):
    r = R["a"]
    rc, out, err = r.login("roamer@example.com", "roam-pw", pop("127.0.0.5"))
    assert rc == 0, err
    wait_open(r, "127.0.0.5")
    out = rulescheck(r.cdb, "127.0.0.5")
    assert out == ("rule 127.0.0.5:\nset environment variable RELAYCLIENT=\n"
                   "allow connection\n"), out
    assert rulescheck(r.cdb, "127.0.0.6") == "rule :\nallow connection\n"
    rows = t.mysql.sql("SELECT ip_addr, user FROM relay;", DB)
    assert ["127.0.0.5", "roamer@example.com"] in rows, rows
    rc, out, err = r.vadmin("relay-list")
    assert rc == 0, err
    line = [l for l in out.splitlines() if l.startswith("127.0.0.5 ")]
    assert line and line[0].split()[-1] == "roamer@example.com", out
    # A wrong password opens nothing.
    rc, _, _ = r.login("roamer@example.com", "nope", pop("127.0.0.7"))
    assert rc == 1


def test_relay_check_answers_as_tcprulescheck(t):
    r = R["a"]
    for ip in ["127.0.0.5", "127.0.0.6", "127.0.0.1", "192.0.2.7",
               "192.0.3.1", "0.0.0.0", "::1", "garbage"]:
        rc, out, err = r.vadmin("relay-check", ip)
        assert rc == 0, err
        assert out == rulescheck(r.cdb, ip), (ip, out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _serve_env(cdb):
    """tcpserver -x cdb on 127.0.0.1, running env; returns (proc, port)."""
    port = free_port()
    proc = subprocess.Popen(["tcpserver", "-R", "-H", "-l", "0", "-x", cdb,
                             "127.0.0.1", str(port), "/usr/bin/env"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port


def _env_from(port, src):
    """Connects from source address src; returns what env printed."""
    def once():
        c = socket.socket()
        c.settimeout(10)
        try:
            c.bind((src, 0))
            c.connect(("127.0.0.1", port))
            data = b""
            while True:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.decode("latin-1")
        except ConnectionRefusedError:
            return None
        finally:
            c.close()
    out = []
    wait_for(lambda: out.append(once()) or out[-1] is not None, 20,
             "tcpserver to listen")
    return out[-1]


def test_tcpserver_sets_relayclient_only_for_the_opened_address(t):
    r = R["a"]
    proc, port = _serve_env(r.cdb)
    try:
        five = _env_from(port, "127.0.0.5")
        six = _env_from(port, "127.0.0.6")
        assert "TCPREMOTEIP=127.0.0.5" in five, five
        assert "RELAYCLIENT=" in five.splitlines(), five
        assert "TCPREMOTEIP=127.0.0.6" in six, six
        assert not any(l.startswith("RELAYCLIENT") for l in six.splitlines()), six
    finally:
        stop_pid(proc)


def test_merged_cdb_equals_tcprules_output(t):
    r = R["a"]
    for ip in ["127.0.0.10", "127.0.0.11", "127.0.0.12"]:
        assert r.login("roamer@example.com", "roam-pw", pop(ip))[0] == 0
    wait_open(r, "127.0.0.12")
    wait_open(r, "127.0.0.10")
    ref = tcprules_from(merged_text(t, r.rules), r.dir)
    with open(r.cdb, "rb") as fh:
        ours = fh.read()
    assert cdb_dump(r.cdb) == cdb_dump(os.path.join(r.dir, "ref.cdb"))
    assert ours == ref


def test_no_relay_user_and_smtp_auth_open_nothing(t):
    r = R["a"]
    assert r.login("stay@example.com", "stay-pw", pop("127.0.0.20"))[0] == 0
    smtp = {"TCPLOCALPORT": "25", "TCPREMOTEIP": "127.0.0.21"}
    assert r.login("roamer@example.com", "roam-pw", smtp)[0] == 0
    # A later login that does open: the queue is in order, so once it is
    # in the cdb the two before it have been handled.
    assert r.login("roamer@example.com", "roam-pw", pop("127.0.0.22"))[0] == 0
    wait_open(r, "127.0.0.22")
    rows = relay_rows(t)
    assert "127.0.0.20" not in rows and "127.0.0.21" not in rows, rows
    assert not relaying(r.cdb, "127.0.0.20")
    assert not relaying(r.cdb, "127.0.0.21")


def test_invalid_address_never_enters_the_relay_table(t):
    r = R["a"]
    for bad in ["not-an-ip", "127.0.0.1:allow", "1.2.3", "127.0.0.300",
                "::1\n", " 127.0.0.23"]:
        assert r.login("roamer@example.com", "roam-pw", pop(bad))[0] == 0
    assert r.login("roamer@example.com", "roam-pw", pop("127.0.0.24"))[0] == 0
    wait_open(r, "127.0.0.24")
    for ip in relay_rows(t):
        assert socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
    rc, _, err = r.vadmin("relay-open", "127.0.0.256")
    assert rc == 1 and "not an IPv4 or IPv6 address" in err, err
    # A row put in by hand that is no address never becomes a rule.
    t.mysql.sql("INSERT INTO relay (ip_addr, timestamp) VALUES "
                "('127.0.0.', UNIX_TIMESTAMP()), ('x', UNIX_TIMESTAMP());", DB)
    rc, _, err = r.vadmin("relay-rebuild")
    assert rc == 0 and "not IP addresses" in err, err
    keys = cdb_keys(r.cdb)
    assert "127.0.0." not in keys and "x" not in keys, keys
    t.mysql.sql("DELETE FROM relay WHERE ip_addr IN ('127.0.0.', 'x');", DB)


def test_vadmin_open_close_and_clearopensmtp(t):
    r = R["a"]
    rc, _, err = r.vadmin("relay-open", "127.0.0.40", "roamer@example.com")
    assert rc == 0, err
    assert relaying(r.cdb, "127.0.0.40")
    rc, _, err = r.vadmin("relay-close", "127.0.0.40")
    assert rc == 0, err
    assert not relaying(r.cdb, "127.0.0.40")
    rc, _, err = r.vadmin("relay-close", "127.0.0.40")
    assert rc == 1 and "not open" in err, err
    # clearopensmtp drops what is older than relay_expiry (1800 s).
    t.mysql.sql("INSERT INTO relay (ip_addr, timestamp) VALUES "
                "('127.0.0.41', UNIX_TIMESTAMP() - 7200), "
                "('127.0.0.42', UNIX_TIMESTAMP());", DB)
    rc, _, err = r.vadmin("relay-rebuild")
    assert rc == 0 and relaying(r.cdb, "127.0.0.41"), err
    rc, _, err = r.vadmin("clearopensmtp")
    assert rc == 0, err
    assert not relaying(r.cdb, "127.0.0.41")
    assert relaying(r.cdb, "127.0.0.42")
    assert "127.0.0.41" not in relay_rows(t)


def test_malformed_tcp_smtp_keeps_the_previous_cdb(t):
    r = R["a"]
    with open(r.rules) as fh:
        good = fh.read()
    with open(r.cdb, "rb") as fh:
        before = fh.read()
    with open(r.rules, "a") as fh:
        fh.write("10.0.0.1:allow RELAYCLIENT=\"\"\n")
    bad_line = good.count("\n") + 1
    assert r.login("roamer@example.com", "roam-pw", pop("127.0.0.50"))[0] == 0
    wait_for(lambda: "line %d: unable to parse" % bad_line in r.log(), 30,
             "the malformed line to be reported")
    with open(r.cdb, "rb") as fh:
        assert fh.read() == before
    assert not relaying(r.cdb, "127.0.0.50")
    rc, _, err = r.vadmin("relay-rebuild")
    assert rc == 1 and ("line %d:" % bad_line) in err, err
    with open(r.cdb, "rb") as fh:
        assert fh.read() == before
    assert [f for f in os.listdir(r.cdbdir) if ".tmp" in f] == []
    with open(r.rules, "w") as fh:
        fh.write(good)
    wait_open(r, "127.0.0.50")


def _auth_frame(login, password, ip):
    def s(b):
        return struct.pack(">H", len(b)) + b
    body = (bytes([1, ord("A"), ord("p")]) + s(login.encode()) +
            s(password.encode()) + s(b"") + s(ip.encode()))
    return struct.pack(">H", len(body)) + body


def _recv_exact(c, n):
    data = b""
    while len(data) < n:
        chunk = c.recv(n - len(data))
        if not chunk:
            raise AssertionError("vauthd closed the connection")
        data += chunk
    return data


def test_burst_of_1000_logins_from_1000_addresses(t):
    r = R["a"]
    ips = ["127.1.%d.%d" % (i // 250, i % 250 + 1) for i in range(BURST)]
    results = []
    writes_before = r.log().count("relay: wrote ")

    def worker(part):
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(60)
        c.connect(r.d.socket)
        ok = 0
        for ip in part:
            c.sendall(_auth_frame("roamer@example.com", "roam-pw", ip))
            n = struct.unpack(">H", _recv_exact(c, 2))[0]
            body = _recv_exact(c, n)
            ok += body[1:2] == b"O"
        c.close()
        results.append(ok)

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(ips[i::8],))
               for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert sum(results) == BURST, results
    wait_for(lambda: set(ips) <= cdb_keys(r.cdb), 60, "all 1000 addresses")
    elapsed = time.monotonic() - t0
    writes = r.log().count("relay: wrote ") - writes_before
    # Debounced: at most one rebuild per 200 ms interval, plus the first
    # and one for the poll.
    assert writes <= elapsed / 0.2 + 3, (writes, elapsed)
    assert writes < BURST / 10, writes
    rows = relay_rows(t)
    assert set(ips) <= set(rows), len(set(ips) - set(rows))
    # One consistent cdb: what tcprules builds from the same sources.
    ref = tcprules_from(merged_text(t, r.rules), r.dir)
    with open(r.cdb, "rb") as fh:
        assert fh.read() == ref
    print("    burst: %d logins, %d rebuilds, %.1fs" % (BURST, writes, elapsed))


def test_two_hosts_share_the_relay_table(t):
    b = Relay(t, "relay-b", extra="relay_poll = 1\n")
    b.start()
    t.extra_procs.append(b.d.proc)
    try:
        assert R["a"].login("roamer@example.com", "roam-pw",
                            pop("127.0.0.60"))[0] == 0
        # Opened through host A, seen by host B's own cdb.
        wait_open(b, "127.0.0.60")
        assert relaying(R["a"].cdb, "127.0.0.60")
    finally:
        b.stop()


FAKE = {
    # Stand-ins for qmail's programs, so that etc/run's scripts run as
    # they are: qmail-popup hands a fixed login to its checkpassword.
    "qmail-popup": "#!/bin/sh\nshift\nprintf 'roamer@example.com\\0roam-pw\\0\\0' |"
                   " \"$@\" 3<&0 </dev/null\n",
    "qmail-pop3d": "#!/bin/sh\necho \"+OK $USER $TCPREMOTEIP\"\n",
    "qmail-smtpd": "#!/bin/sh\necho \"args: $*\"\nenv\n",
}


def _run_script(name, env):
    e = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}
    e.update(env)
    return subprocess.Popen([os.path.join(ROOT, "etc", "run", name, "run")],
                            env=e, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_etc_run_scripts_pop_login_then_smtp_relay(t):
    r = R["a"]
    qmail = os.path.join(t.top, "fakeqmail")
    os.makedirs(os.path.join(qmail, "bin"), exist_ok=True)
    os.makedirs(os.path.join(qmail, "control"), exist_ok=True)
    for name, text in FAKE.items():
        path = os.path.join(qmail, "bin", name)
        with open(path, "w") as fh:
            fh.write(text)
        os.chmod(path, 0o755)
    with open(os.path.join(qmail, "control", "me"), "w") as fh:
        fh.write("mail.example.com\n")
    for d in [qmail, os.path.join(qmail, "bin")]:
        os.chmod(d, 0o755)
    pport, sport = free_port(), free_port()
    common = {"QMAIL": qmail, "VCHKPW": os.path.join(BIN, "vchkpw"),
              "IP": "127.0.0.1", "VAUTHD_SOCKET": r.d.socket}
    pop3d = _run_script("qmail-pop3d", dict(common, PORT=str(pport)))
    smtpd = _run_script("qmail-smtpd", dict(
        common, PORT=str(sport), TCP_SMTP_CDB=r.cdb, QMAILDUID=str(NOBODY),
        SOCKETGID=str(NOBODY)))
    t.extra_procs += [pop3d, smtpd]
    try:
        before = _env_from(sport, "127.0.0.90")
        assert ("args: mail.example.com %s /bin/true" % common["VCHKPW"]
                in before), before
        assert not any(l.startswith("RELAYCLIENT") for l in before.splitlines())
        out = _env_from(pport, "127.0.0.90")
        assert out.strip() == "+OK roamer@example.com 127.0.0.90", out
        wait_open(r, "127.0.0.90")
        after = _env_from(sport, "127.0.0.90")
        assert "RELAYCLIENT=" in after.splitlines(), after
        other = _env_from(sport, "127.0.0.91")
        assert not any(l.startswith("RELAYCLIENT") for l in other.splitlines())
    finally:
        stop_pid(pop3d)
        stop_pid(smtpd)


def test_cap_evicts_the_oldest_entries(t):
    c = Relay(t, "relay-c", extra="relay_max = 5\nrelay_poll = 1\n")
    t.mysql.sql("DELETE FROM relay;", DB)
    t.mysql.sql("INSERT INTO relay (ip_addr, timestamp) VALUES " + ", ".join(
        "('127.0.2.%d', UNIX_TIMESTAMP() - %d)" % (i, 100 - i)
        for i in range(1, 11)) + ";", DB)
    c.start()
    t.extra_procs.append(c.d.proc)
    try:
        wait_for(lambda: "over relay_max = 5: the 5 oldest entries evicted"
                 in c.log(), 30, "eviction to be logged")
        assert sorted(relay_rows(t)) == ["127.0.2.%d" % i for i in (10, 6, 7, 8, 9)], relay_rows(t)
        wait_for(lambda: relaying(c.cdb, "127.0.2.10"), 30, "the cdb")
        assert not relaying(c.cdb, "127.0.2.1")
    finally:
        c.stop()


def test_unmigrated_vpopmail_relay_table(t):
    t.mysql.load(OLD_DB, ["sql/schema.sql"])      # char(18), no user column
    # vpopmail's char(40) pw_passwd holds an MD5-crypt hash, not SHA-512.
    t.add_user("roamer", "example.com", "roam-pw", prefix="$1$", db=OLD_DB)
    o = Relay(t, "relay-old", db=OLD_DB)
    o.start()
    t.extra_procs.append(o.d.proc)
    try:
        assert o.login("roamer@example.com", "roam-pw", pop("127.0.0.70"))[0] == 0
        assert o.login("roamer@example.com", "roam-pw",
                       pop("2001:db8:aaaa:bbbb:cccc:dddd:eeee:1"))[0] == 0
        assert o.login("roamer@example.com", "roam-pw", pop("::1"))[0] == 0
        assert o.login("roamer@example.com", "roam-pw", pop("127.0.0.71"))[0] == 0
        wait_open(o, "127.0.0.71")
        rows = relay_rows(t, OLD_DB)
        assert "127.0.0.70" in rows and "::1" in rows, rows
        assert not any(ip.startswith("2001:") for ip in rows), rows
        assert "too long for the relay table" in o.log()
        rc, out, err = o.vadmin("relay-list")
        assert rc == 0 and "127.0.0.70" in out, err
        assert [l.split()[-1] for l in out.splitlines()
                if l.startswith("127.0.0.70")] == ["-"], out
    finally:
        o.stop()


def test_unwritable_cdb_directory_is_reported_and_logins_go_on(t):
    w = Relay(t, "relay-ro", extra="relay_poll = 1\n")
    os.chown(w.cdbdir, 0, 0)          # not vauthd's (nobody's) to write
    os.chmod(w.cdbdir, 0o755)
    w.d.start()
    t.extra_procs.append(w.d.proc)
    try:
        assert w.login("roamer@example.com", "roam-pw", pop("127.0.0.95"))[0] == 0
        wait_for(lambda: "relay: unable to lock %s.lock: Permission denied"
                 % w.cdb in w.log(), 30, "the error to be logged")
        assert not os.path.exists(w.cdb)
        assert w.login("roamer@example.com", "roam-pw", pop("127.0.0.96"))[0] == 0
    finally:
        w.stop()


def test_expiry_closes_relay_without_cron(t):
    r = R["a"]
    r.stop()
    # Expiry in seconds here, so that the test sees an address open, then
    # closed by vauthd's own timer.
    r.configure("relay_rebuild_interval = 200\nrelay_expiry = 5\nrelay_poll = 1\n")
    r.start()
    t.extra_procs.append(r.d.proc)
    assert r.login("roamer@example.com", "roam-pw", pop("127.0.0.5"))[0] == 0
    wait_open(r, "127.0.0.5")
    wait_closed(r, "127.0.0.5")
    assert not relaying(r.cdb, "127.0.0.6")
    assert "127.0.0.5" not in relay_rows(t)
    proc, port = _serve_env(r.cdb)
    try:
        for src in ["127.0.0.5", "127.0.0.6"]:
            env = _env_from(port, src)
            assert "TCPREMOTEIP=" + src in env, env
            assert not any(l.startswith("RELAYCLIENT") for l in env.splitlines()), env
    finally:
        stop_pid(proc)
        r.stop()
