"""test_dovecot.py: a real Dovecot 2.3 logs vauth users in through vchkpw.

Dovecot is started as root from a config built from etc/dovecot/10-vauth.conf
plus test-only settings (its own base_dir and log, 127.0.0.1 on free high
ports, no SSL), and stopped by its PID. It asks a vauthd of its own, whose
config names dovecot in lookup_users, so that these tests can stop it
without disturbing the others.
"""
import imaplib
import os
import poplib
import pwd
import re
import socket
import subprocess

from harness import (ROOT, VCHKPW, VIRTUAL_GID, VIRTUAL_UID, Vauthd,
                     stop_pid, vchkpw_input, wait_for)

SAMPLE = os.path.join(ROOT, "etc", "dovecot", "10-vauth.conf")
REPLY = "/usr/lib/dovecot/checkpassword-reply"
DOVECOT_UID = pwd.getpwnam("dovecot").pw_uid
NOBODY_UID = pwd.getpwnam("nobody").pw_uid

# What one Env's Dovecot tests share; set up by the first test.
state = {}


def free_port():
    """A port nothing listens on now (the kernel's choice), on loopback."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def dovecot_conf(dir, vauthd_socket, pop3_port, imap_port):
    """The sample, pointed at our vchkpw and vauthd, plus what a test needs."""
    with open(SAMPLE) as fh:
        sample = fh.read()
    assert "args = /usr/local/bin/vchkpw\n" in sample
    sample = sample.replace("args = /usr/local/bin/vchkpw\n",
                            "args = %s -S %s\n" % (VCHKPW, vauthd_socket))
    return """# test-only settings
base_dir = %(dir)s/run
state_dir = %(dir)s/state
log_path = %(dir)s/dovecot.log
instance_name = vauth-test-%(pid)d
protocols = pop3 imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_verbose = yes
auth_failure_delay = 0
shutdown_clients = yes
# No address-space cap: vchkpw built with ASan (make check's second pass)
# reserves terabytes of shadow memory and dies under the 256M default.
default_vsz_limit = 0
service pop3-login {
  inet_listener pop3 {
    port = %(pop3)d
  }
  inet_listener pop3s {
    port = 0
  }
}
service imap-login {
  inet_listener imap {
    port = %(imap)d
  }
  inet_listener imaps {
    port = 0
  }
}
# etc/dovecot/10-vauth.conf follows
%(sample)s""" % {"dir": dir, "pid": os.getpid(), "pop3": pop3_port,
                 "imap": imap_port, "sample": sample}


class Dovecot:
    """dovecot -F with a private config, stopped by its PID."""

    def __init__(self, dir, vauthd_socket):
        self.dir = dir
        os.makedirs(os.path.join(dir, "state"), exist_ok=True)
        os.chmod(dir, 0o755)
        self.log = os.path.join(dir, "dovecot.log")
        self.conf = os.path.join(dir, "dovecot.conf")
        self.pop3_port = free_port()
        self.imap_port = free_port()
        with open(self.conf, "w") as fh:
            fh.write(dovecot_conf(dir, vauthd_socket, self.pop3_port,
                               self.imap_port))
        self.proc = None

    def start(self):
        with open(self.log + ".stderr", "ab") as err:
            self.proc = subprocess.Popen(["dovecot", "-F", "-c", self.conf],
                                         stdout=subprocess.DEVNULL,
                                         stderr=err)
        wait_for(self._ready, 30, "dovecot to listen")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("dovecot exited %d:\n%s" % (
                self.proc.returncode, self.read_log()))
        for port in (self.pop3_port, self.imap_port):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                return False
            finally:
                s.close()
        return True

    def stop(self):
        stop_pid(self.proc)
        self.proc = None

    def read_log(self):
        text = ""
        for path in (self.log, self.log + ".stderr"):
            try:
                with open(path, "rb") as fh:
                    text += fh.read().decode("latin-1")
            except FileNotFoundError:
                pass
        return text


def from_source(client):
    """poplib's or imaplib's client, connecting from a given loopback
    address, so that a failed login in one test does not add to Dovecot's
    per-address penalty (a growing delay) in the next."""

    class FromSource(client):
        def __init__(self, host, port, source):
            self.source = source
            client.__init__(self, host, port, timeout=30)

        def _create_socket(self, timeout):
            return socket.create_connection((self.host, self.port), timeout,
                                            source_address=(self.source, 0))

    return FromSource


POP3From = from_source(poplib.POP3)
IMAPFrom = from_source(imaplib.IMAP4)


def pop3(src):
    return POP3From("127.0.0.1", state["dovecot"].pop3_port, src)


def imap(src):
    return IMAPFrom("127.0.0.1", state["dovecot"].imap_port, src)


def deliver(home, name, text):
    """Puts a message into a Maildir as qmail would, owned by the user."""
    path = os.path.join(home, "Maildir", "new", name)
    with open(path, "w") as fh:
        fh.write(text)
    os.chown(path, VIRTUAL_UID, VIRTUAL_GID)
    return len(text.replace("\n", "\r\n"))


def reply_run(socket_path, login, secret, env=None, user=None):
    """vchkpw -> Dovecot's own checkpassword-reply, the way Dovecot's auth
    process runs it: login on fd 3, the reply read from fd 4 (here our
    stdout). Returns (exit code, fields of the reply, stderr)."""
    uid = 0 if user is None else user
    e = {"PATH": "/usr/bin:/bin", "ORIG_UID": str(uid), "PROTO": "TCP",
         "SERVICE": "imap"}
    if env:
        e.update(env)
    cmd = ["/bin/sh", "-c", 'exec "$0" "$@" 3<&0 4>&1', VCHKPW,
           "-S", socket_path, REPLY]
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
               "--clear-groups"] + cmd
    r = subprocess.run(cmd, input=vchkpw_input(login, secret),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                       timeout=30)
    fields = {}
    for item in r.stdout.decode("latin-1").split("\t"):
        if "=" in item:
            k, v = item.split("=", 1)
            fields[k] = v
    return r.returncode, fields, r.stderr.decode("latin-1")


def test_dovecot_setup(t):
    dir = os.path.join(t.top, "dovecot")
    v = Vauthd(os.path.join(t.top, "vauthd-dovecot"), t.mysql,
               extra="lookup_users = dovecot\n")
    v.start()
    t.extra_procs.append(v.proc)  # Env.close() stops them by PID
    state["vauthd"] = v
    d = Dovecot(dir, v.socket)
    state["dovecot"] = d
    d.start()
    t.extra_procs.append(d.proc)
    home = t.add_user("dove", "example.com", "dove-pw")
    state["home"] = home
    state["sizes"] = [deliver(home, "1000000000.M1P1.test", "Subject: one\n\nfirst\n"),
                      deliver(home, "1000000001.M2P2.test", "Subject: two\n\nsecond message\n")]
    t.add_user("nopop", "example.com", "nopop-pw", flags=0x02)


def test_dovecot_reply_auth_fields(t):
    """What vchkpw hands checkpassword-reply in an authentication, and what
    checkpassword-reply makes of it for Dovecot."""
    rc, f, err = reply_run(state["vauthd"].socket, "Dove@Example.COM", "dove-pw")
    assert rc == 0, (rc, err)
    home = state["home"]
    assert f == {"user": "dove@example.com", "userdb_home": home,
                 "userdb_uid": str(VIRTUAL_UID),
                 "userdb_gid": str(VIRTUAL_GID),
                 "userdb_mail": "maildir:" + home + "/Maildir"}, f
    rc, f, err = reply_run(state["vauthd"].socket, "dove@example.com", "nope")
    assert rc == 1 and f == {}, (rc, f, err)
    rc, f, err = reply_run(state["vauthd"].socket, "ghost@example.com", "dove-pw")
    assert rc == 1 and f == {}, (rc, f, err)


def test_dovecot_reply_lookup(t):
    """A userdb lookup (AUTHORIZED=1) as Dovecot's auth user: 2 with the
    fields when found, 3 when not, 111 when vauthd refuses the peer."""
    look = {"AUTHORIZED": "1"}
    rc, f, err = reply_run(state["vauthd"].socket, "dove@example.com", "",
                           env=look, user=DOVECOT_UID)
    assert rc == 2, (rc, f, err)
    assert f["userdb_uid"] == str(VIRTUAL_UID) and f["userdb_home"] == state["home"], f
    rc, f, err = reply_run(state["vauthd"].socket, "ghost@example.com", "",
                           env=look, user=DOVECOT_UID)
    assert rc == 3 and f == {}, (rc, f, err)
    # A login service's flags apply to its lookups; lmtp's lookups have none.
    rc, f, err = reply_run(state["vauthd"].socket, "nopop@example.com", "",
                           env=dict(look, SERVICE="pop3"), user=DOVECOT_UID)
    assert rc == 3, (rc, f, err)
    rc, f, err = reply_run(state["vauthd"].socket, "nopop@example.com", "",
                           env=dict(look, SERVICE="lmtp"), user=DOVECOT_UID)
    assert rc == 2 and f["user"] == "nopop@example.com", (rc, f, err)
    # The shared vauthd has no lookup_users: nobody may connect, not look up.
    rc, f, err = reply_run(t.vauthd.socket, "dove@example.com", "",
                           env=look, user=NOBODY_UID)
    assert rc == 111 and f == {}, (rc, f, err)
    assert "lookup refused" in t.vauthd.read_log()


def test_dovecot_credentials_lookup_is_refused(t):
    """CRAM-MD5 and friends would need the stored password: never given."""
    rc, f, err = reply_run(state["vauthd"].socket, "dove@example.com", "",
                           env={"AUTHORIZED": "1", "CREDENTIALS_LOOKUP": "1",
                                "SCHEME": "CRAM-MD5"}, user=DOVECOT_UID)
    assert rc == 111 and f == {}, (rc, f, err)
    assert "auth_mechanisms" in err, err


def test_dovecot_pop3_login_stat_list(t):
    c = pop3("127.0.0.11")
    try:
        c.user("dove@example.com")
        c.pass_("dove-pw")
        count, size = c.stat()
        assert count == 2 and size == sum(state["sizes"]), (count, size)
        resp, lines, _ = c.list()
        assert resp.startswith(b"+OK"), resp
        assert [int(x.split()[1]) for x in lines] == state["sizes"], lines
        resp, lines, _ = c.retr(2)
        assert b"second message" in lines, lines
    finally:
        c.quit()
    # Dovecot's mail process ran as the uid vchkpw handed it.
    st = os.stat(os.path.join(state["home"], "Maildir", "dovecot-uidlist"))
    assert (st.st_uid, st.st_gid) == (VIRTUAL_UID, VIRTUAL_GID), st


def test_dovecot_imap_login(t):
    c = imap("127.0.0.12")
    try:
        typ, _ = c.login("dove@example.com", "dove-pw")
        assert typ == "OK"
        typ, data = c.select("INBOX", readonly=True)
        assert typ == "OK" and int(data[0]) == 2, (typ, data)
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"Subject: one" in data[0][1], data
    finally:
        c.logout()


def pop3_refused(src, user, password):
    c = pop3(src)
    try:
        c.user(user)
        try:
            c.pass_(password)
        except poplib.error_proto as e:
            return e.args[0].decode("latin-1")
        raise AssertionError("POP3 login of %s accepted" % user)
    finally:
        c.close()


def imap_refused(src, user, password):
    c = imap(src)
    try:
        try:
            c.login(user, password)
        except imaplib.IMAP4.error as e:
            return str(e)
        raise AssertionError("IMAP login of %s accepted" % user)
    finally:
        c.shutdown()


def test_dovecot_wrong_password_refused(t):
    msg = pop3_refused("127.0.0.13", "dove@example.com", "wrong-pw")
    assert "[AUTH] Authentication failed" in msg, msg
    msg = imap_refused("127.0.0.14", "dove@example.com", "wrong-pw")
    assert "AUTHENTICATIONFAILED" in msg, msg


def test_dovecot_unknown_user_refused(t):
    msg = pop3_refused("127.0.0.15", "ghost@example.com", "dove-pw")
    assert "[AUTH] Authentication failed" in msg, msg
    msg = imap_refused("127.0.0.16", "ghost@nowhere.example", "dove-pw")
    assert "AUTHENTICATIONFAILED" in msg, msg


def test_dovecot_service_flag(t):
    """NO_POP bars POP3 (Dovecot's SERVICE reaches vchkpw), not IMAP."""
    msg = pop3_refused("127.0.0.17", "nopop@example.com", "nopop-pw")
    assert "[AUTH] Authentication failed" in msg, msg
    c = imap("127.0.0.21")
    try:
        typ, _ = c.login("nopop@example.com", "nopop-pw")
        assert typ == "OK"
    finally:
        c.logout()


def test_dovecot_doveadm_user_lookup(t):
    """The userdb alone, as doveadm and LMTP use it: no password."""
    d = state["dovecot"]
    r = subprocess.run(["doveadm", "-c", d.conf, "user", "dove@example.com"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = r.stdout.decode("latin-1")
    assert r.returncode == 0, out
    assert re.search(r"uid\s+%d\b" % VIRTUAL_UID, out), out
    assert re.search(r"home\s+%s\b" % re.escape(state["home"]), out), out
    r = subprocess.run(["doveadm", "-c", d.conf, "user", "ghost@example.com"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    # 67 is EX_NOUSER: "user doesn't exist", not an internal error.
    assert r.returncode == 67, (r.returncode, r.stdout)
    # doveadm (like lmtp) is no login service: NO_POP does not hide a user.
    r = subprocess.run(["doveadm", "-c", d.conf, "user", "nopop@example.com"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    assert r.returncode == 0, r.stdout


def test_dovecot_vauthd_down_is_temporary(t):
    v = state["vauthd"]
    v.stop()
    try:
        msg = pop3_refused("127.0.0.18", "dove@example.com", "dove-pw")
        assert "[SYS/TEMP]" in msg and "Temporary" in msg, msg
        msg = imap_refused("127.0.0.19", "dove@example.com", "dove-pw")
        assert "UNAVAILABLE" in msg, msg
    finally:
        v.start()
        t.extra_procs.append(v.proc)
    c = pop3("127.0.0.20")
    try:
        c.user("dove@example.com")
        c.pass_("dove-pw")
    finally:
        c.quit()


def test_dovecot_teardown(t):
    state["dovecot"].stop()
    state["vauthd"].stop()
