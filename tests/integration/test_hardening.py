"""test_hardening.py: vauthd under attack: guessing, hostile clients, privileges, rehash."""
import contextlib
import hashlib
import os
import resource
import shutil
import socket
import subprocess
import threading

from harness import VAUTHD, Vauthd, run_vchkpw, vchkpw_input, wait_for
from test_login import expect

POP = {"TCPLOCALPORT": "110"}

# Small delays: the tests show the mechanism, not the production figures.
PENALTY = ("penalty = yes\npenalty_free = 3\npenalty_delay = 10\n"
           "penalty_delay_max = 80\npenalty_threshold = 10\n"
           "penalty_cooldown = 600\n")


def pop_from(ip):
    e = dict(POP)
    e["TCPREMOTEIP"] = ip
    return e


@contextlib.contextmanager
def daemon(t, name, extra):
    """A vauthd of its own, stopped (by PID) whatever happens."""
    d = Vauthd(os.path.join(t.top, name), t.mysql, extra=extra)
    d.start()
    try:
        yield d
    finally:
        rc = d.stop()
        assert rc == 0, "vauthd did not stop cleanly on SIGTERM: %s" % rc
        assert "Sanitizer" not in d.read_log(), d.read_log()[-3000:]


def login(d, who, pw, ip, **kw):
    return run_vchkpw(d.socket, vchkpw_input(who, pw), args=["/bin/true"],
                      env=pop_from(ip), **kw)


def vadmin(d, cmd, *args):
    r = subprocess.run([os.path.join(os.path.dirname(VAUTHD), "vadmin"), cmd,
                        "-S", d.socket] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


# Brute-force defence -------------------------------------------------------

def test_fifty_wrong_then_right_from_another_address(t):
    t.add_user("brute", "example.com", "brute-pw")
    with daemon(t, "vauthd-penalty", PENALTY) as d:
        for i in range(50):
            expect(login(d, "brute@example.com", "guess-%d" % i, "127.0.0.9"), 1, i)
        # Cooling down: even the right password is not looked at.
        expect(login(d, "brute@example.com", "brute-pw", "127.0.0.9"), 1,
               "throttled address")
        expect(login(d, "other@example.com", "x", "127.0.0.9"), 1)
        # The owner, from elsewhere, gets in.
        expect(login(d, "brute@example.com", "brute-pw", "127.0.0.10"), 0,
               "right password from a clean address")
        log = d.read_log()
        # One line when delays start and one when the cool-down starts,
        # per key: not one per attempt.
        assert log.count("throttle: address 127.0.0.9: 4 failures in 600s, "
                         "delaying answers") == 1, log[-3000:]
        assert log.count("throttle: address 127.0.0.9:") == 2, log[-3000:]
        assert log.count("throttle: account brute@example.com:") == 2, log[-3000:]
        throttled = log.count("reason=throttled")
        # Ten failures were checked; the other 40 and the two after were not.
        assert throttled == 42, throttled

        # vadmin lists and clears; then the address may try again.
        rc, out, err = vadmin(d, "throttles")
        assert rc == 0, err
        assert "addr 127.0.0.9 failures 50" not in out  # blocked ones do not count
        assert "addr 127.0.0.9 failures 10 delay 80ms cooldown" in out, out
        rc, out, err = vadmin(d, "unthrottle", "127.0.0.9")
        assert rc == 0, err
        rc, out, err = vadmin(d, "unthrottle", "127.0.0.9")
        assert rc == 1, "nothing left to clear"
        expect(login(d, "brute@example.com", "brute-pw", "127.0.0.9"), 0,
               "after unthrottle")
        rc, out, err = vadmin(d, "throttles")
        assert rc == 0 and "127.0.0.9" not in out, out


def test_alias_domains_share_one_account_budget(t):
    # user@alias1, user@alias2, USER@real: one row, so one failure budget.
    t.add_user("aliased", "example.com", "aliased-pw")
    aliases = ["brute-alias%d.example" % i for i in range(4)]
    t.mysql.sql("".join("REPLACE INTO aliasdomains (alias, domain) VALUES "
                        "('%s', 'example.com');" % a for a in aliases), "vpopmail")
    with daemon(t, "vauthd-penalty-alias", PENALTY) as d:
        for i in range(12):
            who = "aliased@" + aliases[i % len(aliases)]
            expect(login(d, who, "guess-%d" % i, "127.0.1.%d" % (i + 1)), 1, who)
        rc, out, err = vadmin(d, "throttles")
        assert rc == 0, err
        assert "account aliased@example.com failures 12 delay 80ms cooldown" in out, out
        for a in aliases:
            assert "aliased@" + a not in out, out
        # A failed address is now refused for the real account, whatever
        # the alias; a clean address still gets in.
        expect(login(d, "aliased@" + aliases[0], "aliased-pw", "127.0.1.2"), 1)
        expect(login(d, "aliased@" + aliases[1], "aliased-pw", "127.0.1.99"), 0)


def test_without_the_defence_guessing_is_never_refused(t):
    # The shared daemon runs with penalty = no: the 51st try is checked.
    t.add_user("open", "example.com", "open-pw")
    for i in range(50):
        expect(t.login("open@example.com", "guess-%d" % i,
                       env=pop_from("127.0.0.9")), 1)
    expect(t.login("open@example.com", "open-pw", env=pop_from("127.0.0.9")), 0)
    assert "throttle:" not in t.vauthd.read_log()


def test_delay_holds_the_answer_not_a_worker(t):
    t.add_user("slowed", "example.com", "slowed-pw")
    t.add_user("quick", "example.com", "quick-pw")
    extra = ("workers = 1\npenalty = yes\npenalty_free = 0\n"
             "penalty_delay = 6000\npenalty_delay_max = 6000\n"
             "penalty_threshold = 100\n")
    with daemon(t, "vauthd-delay", extra) as d:
        expect(login(d, "slowed@example.com", "bad", "127.0.0.21"), 1)
        # The next answer to 127.0.0.21 is held six seconds ...
        held = subprocess.Popen(
            ["/bin/sh", "-c", 'exec "$0" "$@" 3<&0', os.path.join(
                os.path.dirname(VAUTHD), "vchkpw"), "/bin/true"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={"PATH": "/usr/bin:/bin", "VAUTHD_SOCKET": d.socket,
                 "TCPLOCALPORT": "110", "TCPREMOTEIP": "127.0.0.21"})
        try:
            held.stdin.write(vchkpw_input("slowed@example.com", "bad2"))
            held.stdin.close()
            wait_for(lambda: d.read_log().count("user=slowed@example.com "
                                                "ip=127.0.0.21") == 2,
                     30, "the held login to be decided")
            # ... while the only worker is free for everyone else.
            expect(login(d, "quick@example.com", "quick-pw", "127.0.0.22"), 0)
            assert held.poll() is None, "the held answer came early"
            assert held.wait(60) == 1
        finally:
            if held.poll() is None:
                held.kill()
                held.wait()


# Upgrade on login ----------------------------------------------------------

def test_weak_hash_rehashed_once_on_login(t):
    # The shared daemon's hash_prefix is $6$.
    t.add_user("weakmd5", "example.com", "md5-pw", prefix="$1$")
    t.add_user("weakdes", "example.com", "des-pw", prefix="ab")
    t.add_user("weakclear", "example.com", hashed="", clear="clear-pw")
    t.add_user("strong", "example.com", "y-pw", prefix="$y$")
    before = t.mysql.sql("SELECT pw_passwd FROM vpopmail WHERE pw_name='strong'",
                         "vpopmail")
    for user, pw in (("weakmd5", "md5-pw"), ("weakdes", "des-pw"),
                     ("weakclear", "clear-pw"), ("strong", "y-pw")):
        expect(t.login(user + "@example.com", pw, env=POP), 0, user)
        row = t.mysql.sql("SELECT pw_passwd, pw_clear_passwd FROM vpopmail "
                          "WHERE pw_name=%s" % ("'" + user + "'"), "vpopmail")
        if user == "strong":
            assert row[0][0] == before[0][0], "a stronger hash was touched"
            continue
        assert row[0][0].startswith("$6$"), (user, row)
        # Again: still the same password, and no second upgrade.
        expect(t.login(user + "@example.com", pw, env=POP), 0, user)
        expect(t.login(user + "@example.com", pw + "x", env=POP), 1, user)
        log = t.vauthd.read_log()
        assert log.count("rehash %s@example.com: upgraded" % user) == 1, log[-2000:]
    log = t.vauthd.read_log()
    assert "from MD5-crypt to $6$" in log and "from DES to $6$" in log
    assert "from clear text only to $6$" in log
    assert "md5-pw" not in log and "des-pw" not in log
    # The clear copy stays for APOP.
    stamp = "<99.1@host.example>"
    digest = hashlib.md5((stamp + "clear-pw").encode()).hexdigest()
    expect(t.login("weakclear@example.com", digest, extra=stamp, env=POP), 0, "apop")


def test_des_not_rehashed_from_a_longer_password(t):
    # DES reads 8 bytes: "desdes12-typo" logs in against the hash of
    # "desdes12", but must not become the stored password.
    t.add_user("weakdes8", "example.com", "desdes12", prefix="ab")
    expect(t.login("weakdes8@example.com", "desdes12-typo", env=POP), 0)
    row = t.mysql.sql("SELECT pw_passwd FROM vpopmail WHERE pw_name='weakdes8'", "vpopmail")
    assert not row[0][0].startswith("$"), row
    expect(t.login("weakdes8@example.com", "desdes12", env=POP), 0)
    row = t.mysql.sql("SELECT pw_passwd FROM vpopmail WHERE pw_name='weakdes8'", "vpopmail")
    assert row[0][0].startswith("$6$"), row
    expect(t.login("weakdes8@example.com", "desdes12-typo", env=POP), 1)


def test_no_rehash_after_a_wrong_password(t):
    t.add_user("weak2", "example.com", "weak2-pw", prefix="$1$")
    expect(t.login("weak2@example.com", "nope", env=POP), 1)
    row = t.mysql.sql("SELECT pw_passwd FROM vpopmail WHERE pw_name='weak2'", "vpopmail")
    assert row[0][0].startswith("$1$"), row


# Privileges ----------------------------------------------------------------

def run_vauthd(conf):
    return subprocess.run([VAUTHD, "-f", conf], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=30)


def test_root_without_user_refuses_to_start(t):
    d = Vauthd(os.path.join(t.top, "vauthd-nouser"), t.mysql, extra="user =\n")
    r = run_vauthd(d.conf)
    assert r.returncode == 2 and b"running as root needs 'user'" in r.stderr, r
    d.write_conf("vpopmail", "user = root\n")
    r = run_vauthd(d.conf)
    assert r.returncode == 2 and b"is root" in r.stderr, r
    # With a user it starts, and runs as that user.
    d.write_conf("vpopmail", "user = nobody\n")
    d.start()
    try:
        with open("/proc/%d/status" % d.proc.pid) as fh:
            ids = {line.split(":")[0]: line.split()[1:] for line in fh
                   if line.startswith(("Uid", "Gid", "Groups"))}
        assert ids["Uid"] == ["65534"] * 4, ids
        assert ids["Gid"] == ["65534"] * 4, ids
        assert ids["Groups"] == ["65534"], ids
    finally:
        assert d.stop() == 0


def test_credentials_readable_by_others_refused(t):
    creds = os.path.join(t.top, "vpopmail.mysql")
    with open(creds, "w") as fh:
        fh.write("localhost|0|vpopmail|secret|vpopmail\n")
    d = Vauthd(os.path.join(t.top, "vauthd-creds"), t.mysql,
               extra="mysql_file = %s\n" % creds)
    for mode in (0o644, 0o604, 0o606):
        os.chmod(creds, mode)
        r = run_vauthd(d.conf)
        assert r.returncode == 2 and b"accessible to others" in r.stderr, (oct(mode), r)
    # Group-readable is how vpopmail ships it; that is allowed.
    os.chmod(creds, 0o640)
    r = subprocess.run([VAUTHD, "-t", "-f", d.conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r


def test_socket_directory_checked(t):
    base = os.path.join(t.top, "sockdir")
    os.makedirs(base, exist_ok=True)
    real = os.path.join(base, "real")
    os.makedirs(real, exist_ok=True)
    os.chmod(real, 0o755)
    cases = []
    # A symlink where the directory should be.
    link = os.path.join(base, "link")
    os.symlink(real, link)
    cases.append((link, b"not a directory"))
    # A directory anyone may write.
    open_dir = os.path.join(base, "open")
    os.makedirs(open_dir, exist_ok=True)
    os.chmod(open_dir, 0o777)
    cases.append((open_dir, b"writable by others"))
    # A directory that belongs to someone else.
    theirs = os.path.join(base, "theirs")
    os.makedirs(theirs, exist_ok=True)
    os.chmod(theirs, 0o755)
    os.chown(theirs, 12345, 12345)
    cases.append((theirs, b"owned by someone other"))
    # Something that is not a socket where the socket goes.
    os.makedirs(os.path.join(base, "file"), exist_ok=True)
    with open(os.path.join(base, "file", "socket"), "w") as fh:
        fh.write("not a socket")
    cases.append((os.path.join(base, "file"), b"is not a socket"))
    for i, (dir, why) in enumerate(cases):
        d = Vauthd(os.path.join(t.top, "vauthd-sock%d" % i), t.mysql)
        d.socket = os.path.join(dir, "socket")
        d.write_conf("vpopmail")
        r = run_vauthd(d.conf)
        assert r.returncode == 111 and why in r.stderr, (dir, r)
    # A fresh directory is made 0755, the socket gets the configured mode.
    d = Vauthd(os.path.join(t.top, "vauthd-sockok"), t.mysql, extra="socket_mode = 0660\n")
    d.start()
    try:
        st = os.stat(os.path.dirname(d.socket))
        assert st.st_mode & 0o777 == 0o755, oct(st.st_mode)
        assert os.stat(d.socket).st_mode & 0o777 == 0o660
        assert os.stat(d.socket).st_uid == 65534
    finally:
        assert d.stop() == 0


def test_peer_refused_by_uid_and_allowed_by_group(t):
    t.add_user("peer", "example.com", "peer-pw")
    smtp = {"TCPLOCALPORT": "25", "TCPREMOTEIP": "127.0.0.30"}
    # uid 12345 is neither root, nor allowed, nor in the socket's group.
    expect(t.login("peer@example.com", "peer-pw", env=smtp, user=12345), 111)
    assert "refused peer uid=12345 gid=12345" in t.vauthd.read_log()
    # The same uid is let in once its gid is the socket's group.
    with daemon(t, "vauthd-group", "socket_group = nogroup\n") as d:
        r = run_vchkpw(d.socket, vchkpw_input("peer@example.com", "peer-pw"),
                       args=["/bin/true"], env=smtp, user=None)
        expect(r, 0, "root")
        cmd = ["setpriv", "--reuid=12345", "--regid=65534", "--clear-groups",
               "/bin/sh", "-c", 'exec "$0" "$@" 3<&0',
               os.path.join(os.path.dirname(VAUTHD), "vchkpw"), "/bin/true"]
        p = subprocess.run(cmd, input=vchkpw_input("peer@example.com", "peer-pw"),
                           env={"PATH": "/usr/bin:/bin", "VAUTHD_SOCKET": d.socket,
                                "TCPLOCALPORT": "25"},
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert p.returncode == 0, p


# Protocol abuse ------------------------------------------------------------

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def closed_by_peer(s, timeout=30):
    """True when the daemon closes s without sending anything."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def test_hostile_frames_closed_without_answer(t):
    t.add_user("frames", "example.com", "frames-pw")
    with daemon(t, "vauthd-frames", "client_timeout = 1000\n") as d:
        idle = connect(d.socket)
        partial = connect(d.socket)
        partial.sendall(b"\x00\x64" + b"\x01A" + b"x" * 8)
        oversized = connect(d.socket)
        oversized.sendall(b"\xff\xff" + b"\x01" * 100)
        empty = connect(d.socket)
        empty.sendall(b"\x00\x00")
        garbage = connect(d.socket)
        garbage.sendall(b"\x00\x05\x01Zabc")
        # A real login meanwhile.
        expect(login(d, "frames@example.com", "frames-pw", "127.0.0.40"), 0)
        for s in (oversized, empty, garbage, partial, idle):
            assert closed_by_peer(s), s
            s.close()
        assert "malformed request" in d.read_log()


def test_slow_sender_cut_off_while_logins_succeed(t):
    t.add_user("trickle", "example.com", "trickle-pw")
    with daemon(t, "vauthd-slow", "client_timeout = 1000\n") as d:
        s = connect(d.socket)
        cut = False
        frame = b"\x00\x64" + b"\x01P" + b"x" * 98
        for i, b in enumerate(frame):
            try:
                s.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            if i == 2:
                expect(login(d, "trickle@example.com", "trickle-pw", "127.0.0.41"), 0)
            s.settimeout(0.25)
            try:
                if s.recv(1) == b"":
                    cut = True
                    break
            except socket.timeout:
                pass
        assert cut, "a one-byte-at-a-time sender was never cut off"
        s.close()


def raise_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def test_thousand_idle_connections_and_over_the_cap(t):
    t.add_user("crowd", "example.com", "crowd-pw")
    raise_fd_limit(4096)  # inherited by the daemon started below
    socks = []
    try:
        with daemon(t, "vauthd-crowd", "client_timeout = 60000\n"
                    "max_connections = 1024\n") as d:
            for _ in range(1000):
                socks.append(connect(d.socket))
            expect(login(d, "crowd@example.com", "crowd-pw", "127.0.0.50"), 0,
                   "with 1000 idle connections")
            # Past the cap the longest idle ones make room, so real
            # clients still get in.
            for _ in range(200):
                socks.append(connect(d.socket))
            expect(login(d, "crowd@example.com", "crowd-pw", "127.0.0.50"), 0,
                   "over the cap")
            assert "connections, the most allowed" in d.read_log()
            assert closed_by_peer(socks[0], 30), "the oldest was not evicted"
    finally:
        for s in socks:
            s.close()


def test_systemd_unit_sandboxed_and_valid(t):
    unit = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "etc", "vauthd.service")
    with open(unit) as fh:
        text = fh.read()
    for opt in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                "PrivateDevices=yes", "ProtectHome=read-only",
                "RestrictSUIDSGID=yes", "SystemCallFilter=@system-service",
                "RuntimeDirectoryMode=0755", "CapabilityBoundingSet="):
        assert opt in text, opt
    # The drop to `user` needs these and nothing more.
    caps = [l for l in text.splitlines() if l.startswith("CapabilityBoundingSet=")][0]
    assert set(caps.split("=", 1)[1].split()) == {
        "CAP_SETUID", "CAP_SETGID", "CAP_CHOWN", "CAP_FOWNER",
        "CAP_DAC_READ_SEARCH"}, caps
    if not shutil.which("systemd-analyze"):
        return
    d = os.path.join(t.top, "unit")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vauthd.service"), "w") as fh:
        fh.write(text.replace("/usr/local/sbin/vauthd", VAUTHD))
    r = subprocess.run(["systemd-analyze", "verify", os.path.join(d, "vauthd.service")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    out = r.stdout.decode()
    # Only complaints about this unit count (the host's own units may have some).
    mine = [l for l in out.splitlines() if "vauthd.service" in l]
    assert r.returncode == 0 and not mine, out
