"""test_vadmin.py: vadmin's commands against a real MariaDB, a scratch qmail
tree and a scratch vpopmail home; users log in through vchkpw."""
import fcntl
import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import time

from harness import BIN, VIRTUAL_GID, VIRTUAL_UID, mkhash, parse_env, q

VADMIN = os.path.join(BIN, "vadmin")
POP = {"TCPLOCALPORT": "110", "TCPREMOTEIP": "127.0.0.7"}
SMTP = {"TCPLOCALPORT": "25", "TCPREMOTEIP": "127.0.0.8"}
DB = "vpopmail"
MANAGED = ["control/rcpthosts", "control/morercpthosts",
           "control/morercpthosts.cdb", "control/virtualdomains",
           "control/locals", "users/assign", "users/cdb"]


class Admin:
    """A qmail tree, a vpopmail home and a config file for vadmin."""

    def __init__(self, t, name, extra=""):
        self.t = t
        self.dir = os.path.join(t.top, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.qmail = os.path.join(self.dir, "qmail")
        self.vpop = os.path.join(self.dir, "vpopmail")
        os.makedirs(os.path.join(self.qmail, "control"))
        os.makedirs(os.path.join(self.qmail, "users"))
        os.makedirs(self.vpop)
        for d in (self.dir, self.qmail, self.vpop):
            os.chmod(d, 0o755)
        self.conf = os.path.join(self.dir, "vauthd.conf")
        self.write_conf(extra)

    def write_conf(self, extra=""):
        with open(self.t.vauthd.conf) as fh:
            base = fh.read()
        text = base + ("qmail_dir = %s\nvpopmail_dir = %s\nlock_timeout = 30\n%s"
                       % (self.qmail, self.vpop, extra))
        fd = os.open(self.conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)

    def env(self):
        return {"PATH": "/usr/bin:/bin", "VAUTH_CONF": self.conf}

    def run(self, *args, input=None, prefix=None):
        cmd = (prefix or []) + [VADMIN] + list(args)
        r = subprocess.run(cmd, input=input.encode() if input else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=self.env(), timeout=120)
        return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")

    def ok(self, *args, **kw):
        rc, out, err = self.run(*args, **kw)
        assert rc == 0, "%s: exit %d\n%s%s" % (args, rc, out, err)
        return out

    def refused(self, want, *args, **kw):
        """Runs a command that must fail with one line naming want."""
        before = self.snapshot()
        rc, out, err = self.run(*args, **kw)
        assert rc != 0, "%s: exit 0, wanted a refusal\n%s" % (args, out)
        lines = err.strip().splitlines()
        assert len(lines) == 1, "%s: want one line on stderr, got %r" % (args, err)
        assert lines[0].startswith(args[0] + ": "), lines
        assert want in lines[0], "%s: %r lacks %r" % (args, lines[0], want)
        after = self.snapshot()
        assert before == after, "%s changed something:\n%s" % (
            args, diff(before, after))
        return lines[0]

    def path(self, rel):
        return os.path.join(self.qmail, rel)

    def read(self, rel):
        try:
            with open(self.path(rel), "rb") as fh:
                return fh.read().decode("latin-1")
        except FileNotFoundError:
            return None

    def snapshot(self):
        """Every managed file, the vpopmail home's tree, and the rows."""
        snap = {}
        for rel in MANAGED:
            snap[rel] = self.read(rel)
        for dp, dn, fn in os.walk(self.vpop):
            for n in dn + fn:
                p = os.path.join(dp, n)
                if n == "vadmin.lock":
                    continue
                snap[p] = os.lstat(p).st_mode
        for table in ("vpopmail", "aliasdomains", "valias", "dir_control"):
            snap[table] = sorted(map(tuple, self.t.mysql.sql(
                "SELECT * FROM %s" % table, DB)))
        return snap


def diff(a, b):
    out = []
    for k in sorted(set(a) | set(b), key=str):
        if a.get(k) != b.get(k):
            out.append("%s: %r -> %r" % (k, a.get(k), b.get(k)))
    return "\n".join(out[:20])


_admins = {}


def admin(t, name="vadmin", extra=""):
    """One Admin per test environment and name."""
    key = (id(t), name)
    if key not in _admins:
        _admins[key] = Admin(t, name, extra)
    return _admins[key]


def expect_login(t, login, password, code, env=POP, extra=None):
    rc, out, err = t.login(login, password, extra, env=env,
                           args=None if env is POP else ["/bin/true"])
    assert rc == code, "%s/%s: exit %d, wanted %d\n%s%s" % (
        login, password, rc, code, out[:300], err[:300])
    return out


def rows(t, sql):
    return t.mysql.sql(sql, DB)


def user_row(t, user, domain):
    r = rows(t, "SELECT pw_passwd, pw_gid, pw_dir, pw_shell, pw_clear_passwd, "
             "pw_gecos FROM vpopmail WHERE pw_name=%s AND pw_domain=%s"
             % (q(user), q(domain)))
    return r[0] if r else None


def cdb_dump(path):
    """The records of a cdb as (key, data) byte pairs, via tinycdb's cdb -d."""
    out = subprocess.run(["cdb", "-d", path], check=True,
                         stdout=subprocess.PIPE).stdout
    recs, i = [], 0
    while i < len(out) and out[i:i + 1] == b"+":
        comma = out.index(b",", i)
        colon = out.index(b":", comma)
        klen, dlen = int(out[i + 1:comma]), int(out[comma + 1:colon])
        k = out[colon + 1:colon + 1 + klen]
        j = colon + 1 + klen + 2          # "->"
        recs.append((k, out[j:j + dlen]))
        i = j + dlen + 1
    return recs


def newu_records(assign):
    """What qmail-newu(8) puts in users/cdb for users/assign text, as its
    man page and source describe: an independent model of the format."""
    recs, wild = [], b""
    for line in assign.encode("latin-1").split(b"\n"):
        if line.startswith(b"."):
            break
        i = line.index(b":")
        if line.startswith(b"+"):
            key = b"!" + line[1:i].lower()
            if i >= 2 and line[i - 1:i] not in wild:
                wild += line[i - 1:i]
        else:
            key = b"!" + line[1:i].lower() + b"\0"
        fields = line[i + 1:].split(b":")
        recs.append((key, b"\0".join(fields[:6])))
    recs.append((b"", wild))
    return recs


def newmrh_records(text):
    recs = []
    for line in text.encode("latin-1").split(b"\n"):
        line = line.lower().rstrip(b" \t")
        if line and not line.startswith(b"#"):
            recs.append((line, b""))
    return recs


def check_consistent(a):
    """users/cdb and morercpthosts.cdb are what qmail-newu and qmail-newmrh
    would build from their sources; no temp file is left behind."""
    assign = a.read("users/assign")
    if assign is not None:
        assert cdb_dump(a.path("users/cdb")) == newu_records(assign)
    more = a.read("control/morercpthosts")
    if more is not None:
        assert cdb_dump(a.path("control/morercpthosts.cdb")) == newmrh_records(more)
    else:
        assert a.read("control/morercpthosts.cdb") is None
    for d in ("control", "users"):
        left = [n for n in os.listdir(a.path(d)) if ".tmp." in n]
        assert not left, left


def hosts(text):
    return [l for l in (text or "").splitlines() if l and not l.startswith("#")]


# ---------------------------------------------------------------------------

def test_vadmin_help_lists_every_command(t):
    a = admin(t)
    out = a.ok("help")
    for name in ("vadddomain", "vdeldomain", "vaddaliasdomain", "vadduser",
                 "vdeluser", "vpasswd", "vmoduser", "vsetuserquota",
                 "vuserinfo", "vdominfo", "vlistdomains", "vchangepw",
                 "valias"):
        assert "  " + name + " " in out, (name, out)


def test_vauthd_accepts_vadmins_config_keys(t):
    a = admin(t, "vadmin-keys", "store_clear = no\ndir_control = 50\n"
              "lock_file = /tmp/unused.lock\nlock_timeout = 5\n")
    r = subprocess.run([os.path.join(BIN, "vauthd"), "-t", "-f", a.conf],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    # A missing or unreadable config is one clear line, exit 1.
    r = subprocess.run([VADMIN, "vlistdomains"],
                       env={"VAUTH_CONF": a.conf + ".missing"},
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = r.stderr.decode()
    assert r.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith("vlistdomains: unable to open"), err


def test_vadddomain_creates_everything(t):
    a = admin(t)
    # Unrelated lines and comments are kept byte for byte.
    with open(a.path("control/rcpthosts"), "w") as fh:
        fh.write("# local names\nlocalhost\n")
    with open(a.path("control/locals"), "w") as fh:
        fh.write("localhost\nalpha.test\n")
    a.ok("vadddomain", "Alpha.TEST", "pm-secret")
    home = os.path.join(a.vpop, "domains", "alpha.test")
    assert a.read("control/rcpthosts") == "# local names\nlocalhost\nalpha.test\n"
    assert a.read("control/virtualdomains") == "alpha.test:alpha.test\n"
    assert a.read("control/locals") == "localhost\n"
    assert a.read("users/assign") == (
        "+alpha.test-:alpha.test:%d:%d:%s:-::\n.\n" % (VIRTUAL_UID, VIRTUAL_GID, home))
    for rel in ("control/rcpthosts", "control/virtualdomains", "users/assign",
                "users/cdb"):
        assert stat.S_IMODE(os.stat(a.path(rel)).st_mode) == 0o644, rel
    check_consistent(a)
    data = subprocess.run(["cdb", "-q", a.path("users/cdb"), "!alpha.test-"],
                          check=True, stdout=subprocess.PIPE).stdout
    assert data == b"alpha.test\0%d\0%d\0%s\0-\0" % (
        VIRTUAL_UID, VIRTUAL_GID, home.encode())
    st = os.stat(home)
    assert (st.st_uid, st.st_gid) == (VIRTUAL_UID, VIRTUAL_GID)
    assert stat.S_IMODE(st.st_mode) == 0o750
    with open(os.path.join(home, ".qmail-default")) as fh:
        assert fh.read() == "| %s/bin/vdelivermail '' bounce-no-mailbox\n" % a.vpop
    pm = user_row(t, "postmaster", "alpha.test")
    assert pm is not None and pm[0].startswith("$6$"), pm
    assert pm[2] == os.path.join(home, "postmaster") and pm[3] == "NOQUOTA"
    assert pm[4] == "", "clear password kept although store_clear is off"
    for sub in ("", "/Maildir", "/Maildir/new", "/Maildir/cur", "/Maildir/tmp"):
        st = os.stat(pm[2] + sub)
        assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (
            VIRTUAL_UID, VIRTUAL_GID, 0o700), sub
    expect_login(t, "postmaster@alpha.test", "pm-secret", 0)
    expect_login(t, "postmaster@alpha.test", "pm-secreT", 1)


def test_user_by_command_and_by_sql_both_log_in(t):
    a = admin(t)
    a.ok("vadduser", "-c", "Carol C", "-q", "10M", "carol@alpha.test", "carol-pw")
    r = user_row(t, "carol", "alpha.test")
    assert r[3] == "10485760S" and r[5] == "Carol C", r
    out = expect_login(t, "carol@alpha.test", "carol-pw", 0)
    env = parse_env(out)
    assert env["HOME"] == r[2] and env["MAILDIR"] == r[2] + "/Maildir"
    # Plain SQL, a libcrypt hash, no tool run: logs in at once.
    home = os.path.join(a.vpop, "domains", "alpha.test", "sqluser")
    os.makedirs(home + "/Maildir/new")
    os.chown(home, VIRTUAL_UID, VIRTUAL_GID)
    rows(t, "INSERT INTO vpopmail (pw_name, pw_domain, pw_passwd, pw_uid, "
         "pw_gid, pw_gecos, pw_dir, pw_shell, pw_clear_passwd) VALUES "
         "('sqluser', 'alpha.test', %s, 0, 0, 'SQL', %s, 'NOQUOTA', '')"
         % (q(mkhash("$y$", "sql-pw")), q(home)))
    expect_login(t, "sqluser@alpha.test", "sql-pw", 0)
    # vadmin sees and manages such a user too.
    assert "sqluser" in a.ok("vuserinfo", "-n", "sqluser@alpha.test")
    a.ok("vpasswd", "sqluser@alpha.test", "sql-pw2")
    expect_login(t, "sqluser@alpha.test", "sql-pw", 1)
    expect_login(t, "sqluser@alpha.test", "sql-pw2", 0)


def test_vadduser_options_random_hashed_and_prompt(t):
    a = admin(t)
    out = a.ok("vadduser", "-r", "rnd@alpha.test")
    pw = out.split("Random password: ")[1].strip()
    assert len(pw) == 12, out
    expect_login(t, "rnd@alpha.test", pw, 0)
    out = a.ok("vadduser", "-r20", "rnd20@alpha.test")
    assert len(out.split(": ")[1].strip()) == 20
    a.ok("vadduser", "-e", mkhash("$2b$", "bcrypt-pw"), "hashed@alpha.test")
    expect_login(t, "hashed@alpha.test", "bcrypt-pw", 0)
    # No password argument: read from stdin (a terminal prompts twice).
    a.ok("vadduser", "piped@alpha.test", input="piped-pw\n")
    expect_login(t, "piped@alpha.test", "piped-pw", 0)
    # The vpopmail name works through a link to vadmin.
    link = os.path.join(a.dir, "vadduser")
    if not os.path.exists(link):
        os.symlink(VADMIN, link)
    r = subprocess.run([link, "linked@alpha.test", "linked-pw"],
                       env=a.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 0, r.stderr
    expect_login(t, "linked@alpha.test", "linked-pw", 0)


def test_vpasswd_vmoduser_vsetuserquota_vuserinfo(t):
    a = admin(t)
    a.ok("vadduser", "dave@alpha.test", "dave-pw")
    expect_login(t, "dave@alpha.test", "dave-pw", 0)   # now cached by vauthd
    a.ok("vpasswd", "dave@alpha.test", "dave-new")
    expect_login(t, "dave@alpha.test", "dave-pw", 1)
    expect_login(t, "dave@alpha.test", "dave-new", 0)
    a.ok("vmoduser", "-p", "dave@alpha.test")
    assert int(user_row(t, "dave", "alpha.test")[1]) == 0x02
    expect_login(t, "dave@alpha.test", "dave-new", 1)
    a.ok("vmoduser", "-s", "-i", "dave@alpha.test")
    assert int(user_row(t, "dave", "alpha.test")[1]) == 0x02 | 0x800 | 0x08
    expect_login(t, "dave@alpha.test", "dave-new", 1, env=SMTP)
    a.ok("vmoduser", "-x", "dave@alpha.test")
    assert int(user_row(t, "dave", "alpha.test")[1]) == 0
    expect_login(t, "dave@alpha.test", "dave-new", 0)
    a.ok("vmoduser", "-x", "-w", "-r", "-d", "-c", "Dave D", "dave@alpha.test")
    r = user_row(t, "dave", "alpha.test")
    assert int(r[1]) == 0x04 | 0x20 | 0x01 and r[5] == "Dave D", r
    a.ok("vsetuserquota", "dave@alpha.test", "1G")
    assert user_row(t, "dave", "alpha.test")[3] == "1073741824S"
    a.ok("vsetuserquota", "dave@alpha.test", "5000000S,100C")
    assert user_row(t, "dave", "alpha.test")[3] == "5000000S,100C"
    a.ok("vsetuserquota", "alpha.test", "NOQUOTA")
    assert set(r[0] for r in rows(t, "SELECT DISTINCT pw_shell FROM vpopmail "
                                    "WHERE pw_domain='alpha.test'")) == {"NOQUOTA"}
    # Domain-wide flags, as vpopmail's vmoduser DOMAIN does.
    a.ok("vmoduser", "-u", "alpha.test")
    assert all(int(r[0]) & 0x40 for r in rows(
        t, "SELECT pw_gid FROM vpopmail WHERE pw_domain='alpha.test'"))
    out = a.ok("vuserinfo", "dave@alpha.test")
    assert "name:   dave\n" in out and "NO_PASSWD_CHNG" in out, out
    assert "last auth: " in out
    assert a.ok("vuserinfo", "-d", "dave@alpha.test").strip() == r[2]
    assert a.ok("vuserinfo", "-q", "dave@alpha.test").strip() == "NOQUOTA"
    info = json.loads(a.ok("vuserinfo", "--json", "dave@alpha.test"))
    assert info["name"] == "dave" and info["domain"] == "alpha.test"
    assert info["dir"] == r[2] and "passwd" not in info
    assert "last_auth" in info     # vauthd records logins in batches
    everyone = json.loads(a.ok("vuserinfo", "--json", "-D", "alpha.test"))
    assert "dave" in [u["name"] for u in everyone]
    assert "postmaster" in [u["name"] for u in everyone]


def test_vdeluser(t):
    a = admin(t)
    a.ok("vadduser", "erin@alpha.test", "erin-pw")
    a.ok("valias", "-i", "erin-fwd@example.org", "erin@alpha.test")
    expect_login(t, "erin@alpha.test", "erin-pw", 0)
    home = user_row(t, "erin", "alpha.test")[2]
    a.ok("vdeluser", "erin@alpha.test")
    assert user_row(t, "erin", "alpha.test") is None
    assert not os.path.exists(home)
    assert not [n for n in os.listdir(os.path.dirname(home)) if n.startswith(".deleted")]
    assert rows(t, "SELECT * FROM valias WHERE alias='erin'") == []
    expect_login(t, "erin@alpha.test", "erin-pw", 1)


def test_vchangepw(t):
    a = admin(t)
    a.ok("vadduser", "fay@alpha.test", "fay-old")
    rc, out, err = a.run("vchangepw", input="fay@alpha.test\nfay-old\nfay-new\n")
    assert rc == 0, err
    expect_login(t, "fay@alpha.test", "fay-new", 0)
    expect_login(t, "fay@alpha.test", "fay-old", 1)
    before = user_row(t, "fay", "alpha.test")
    for inp in ("fay@alpha.test\nwrong\nx-new-pw\n",
                "nobody@alpha.test\nfay-new\nx-new-pw\n"):
        rc, out, err = a.run("vchangepw", input=inp)
        assert rc != 0 and "the address or the old password is wrong" in err, err
    a.ok("vmoduser", "-d", "fay@alpha.test")
    rc, out, err = a.run("vchangepw", input="fay@alpha.test\nfay-new\nx-new-pw\n")
    assert rc != 0 and "may not change" in err, err
    assert user_row(t, "fay", "alpha.test")[0] == before[0]


def test_alias_domain(t):
    a = admin(t)
    a.ok("vadduser", "gus@alpha.test", "gus-pw")
    a.ok("vaddaliasdomain", "alpha-alias.test", "alpha.test")
    # vpopmail 5.4's order (real first) works too.
    a.ok("vaddaliasdomain", "alpha.test", "alpha-two.test")
    home = os.path.join(a.vpop, "domains", "alpha.test")
    assign = a.read("users/assign")
    assert "+alpha-alias.test-:alpha.test:%d:%d:%s:-::\n" % (
        VIRTUAL_UID, VIRTUAL_GID, home) in assign
    assert "alpha-two.test:alpha-two.test\n" in a.read("control/virtualdomains")
    assert "alpha-alias.test" in hosts(a.read("control/rcpthosts"))
    assert rows(t, "SELECT domain FROM aliasdomains WHERE alias='alpha-two.test'") == [["alpha.test"]]
    check_consistent(a)
    out = expect_login(t, "gus@alpha-alias.test", "gus-pw", 0)
    assert parse_env(out)["USER"] == "gus@alpha.test"
    a.refused("is an alias of alpha.test", "vadduser", "hal@alpha-alias.test", "x-pw-1")
    a.refused("already exist", "vaddaliasdomain", "alpha-alias.test", "alpha.test")
    # Commands on a user through an alias act on the real domain.
    a.ok("vpasswd", "gus@alpha-two.test", "gus-pw2")
    expect_login(t, "gus@alpha.test", "gus-pw2", 0)
    listing = json.loads(a.ok("vlistdomains", "--json"))
    assert {"domain": "alpha-two.test", "alias_of": "alpha.test"} in listing
    assert "alpha-alias.test (alias of alpha.test)" in a.ok("vlistdomains")
    info = json.loads(a.ok("vdominfo", "--json", "alpha.test"))
    assert info["users"] >= 3 and info["dir"] == home
    assert a.ok("vdominfo", "-d", "alpha.test").strip() == home
    # Deleting the alias leaves the real domain alone.
    a.ok("vdeldomain", "alpha-two.test")
    assert "alpha-two.test" not in a.read("users/assign")
    assert rows(t, "SELECT * FROM aliasdomains WHERE alias='alpha-two.test'") == []
    expect_login(t, "gus@alpha.test", "gus-pw2", 0)
    check_consistent(a)


def test_valias(t):
    a = admin(t)
    a.ok("valias", "-i", "someone@example.org", "info@alpha.test")
    a.ok("valias", "-i", "|/usr/bin/true", "info@alpha.test")
    a.ok("valias", "-i", "someone@example.org", "info@alpha.test")   # no duplicate
    out = a.ok("valias", "-s", "info@alpha.test")
    assert out.splitlines() == ["info@alpha.test -> someone@example.org",
                                "info@alpha.test -> |/usr/bin/true"] or \
        sorted(out.splitlines()) == sorted(["info@alpha.test -> someone@example.org",
                                            "info@alpha.test -> |/usr/bin/true"]), out
    got = json.loads(a.ok("valias", "--json", "alpha.test"))
    assert sorted(x["line"] for x in got if x["alias"] == "info") == [
        "someone@example.org", "|/usr/bin/true"]
    assert "info@alpha.test" in a.ok("valias", "-n", "alpha.test")
    a.ok("valias", "-d", "info@alpha.test")
    assert rows(t, "SELECT * FROM valias WHERE alias='info'") == []
    a.refused("no alias", "valias", "-d", "info@alpha.test")
    a.refused("control character", "valias", "-i", "a\nb", "x@alpha.test")
    a.refused("does not exist", "valias", "-i", "a@b.c", "x@nowhere.test")


def test_refusals_change_nothing(t):
    a = admin(t)
    for bad, why in (("-bad.test", "label starts with '-'"),
                     ("bad-.test", "ends with '-'"),
                     ("a..test", "empty label"),
                     ("bad_domain.test", "character other than"),
                     ("x" * 64 + ".test", "over 63"),
                     (("a" * 60 + ".") * 5 + "test", "over 253"),
                     ("nodot", "no '.'"),
                     ("sl/ash.test", "character other than")):
        a.refused(why, "vadddomain", "--", bad, "pw-123456")
    for bad, why in (("a/b", "'/'"), ("a..b", "'..'"), ("a\x01b", "control"),
                     ("u" * 33, "over 32 bytes"), (".dot", "starts with")):
        a.refused(why, "vadduser", bad + "@alpha.test", "pw-123456")
    a.refused("already exists", "vadddomain", "alpha.test", "pw-123456")
    a.refused("already exists", "vadduser", "carol@alpha.test", "pw-123456")
    a.refused("already exists", "vadduser", "CAROL@Alpha.Test", "pw-123456")
    a.refused("does not exist", "vadduser", "x@missing.test", "pw-123456")
    a.refused("does not exist", "vdeldomain", "missing.test")
    a.refused("no such user", "vdeluser", "nobody@alpha.test")
    a.refused("no such user", "vpasswd", "nobody@alpha.test", "pw-123456")
    a.refused("last postmaster", "vdeluser", "postmaster@alpha.test")
    a.refused("over 128 bytes", "vadduser", "long@alpha.test", "p" * 129)
    a.refused("over 128 bytes", "vpasswd", "carol@alpha.test", "p" * 129)
    a.refused("over 128 bytes", "vadddomain", "long.test", "p" * 129)
    a.refused("alias domain", "vdeldomain", "alpha.test")
    a.refused("invalid quota", "vsetuserquota", "carol@alpha.test", "lots")
    a.refused("other uids", "vadddomain", "-i", "12345", "uid.test", "pw-123456")
    for args in (["vadduser"], ["vadduser", "-Z", "x@alpha.test"],
                 ["vdeldomain", "a.test", "b.test"]):
        rc, out, err = a.run(*args)
        assert rc == 2 and err.startswith(args[0] + ": usage: " + args[0] + " "), err
        assert err.count("\n") == 1, err
    expect_login(t, "carol@alpha.test", "carol-pw", 0)


def test_store_clear_keeps_clear_copy_for_cram_md5(t):
    a = admin(t, "vadmin-clear", "store_clear = yes\n")
    a.ok("vadddomain", "clear.test", "pm-pw-123")
    a.ok("vadduser", "cram@clear.test", "cram-pw")
    assert user_row(t, "cram", "clear.test")[4] == "cram-pw"
    chal = "<1.2@mail.example.com>"
    resp = hmac.new(b"cram-pw", chal.encode(), hashlib.md5).hexdigest()
    expect_login(t, "cram@clear.test", resp, 0, env=SMTP, extra=chal)
    a.ok("vdeldomain", "clear.test")


def test_dir_control_spreads_user_directories(t):
    a = admin(t, "vadmin-hash", "dir_control = 10\n")
    a.ok("vadddomain", "hashed.test", "pm-pw-123")
    for i in range(24):
        a.ok("vadduser", "-e", "x", "u%02d@hashed.test" % i)
    dom = os.path.join(a.vpop, "domains", "hashed.test")
    # postmaster + u00..u08 in the domain directory, then 10 per subdir.
    top = sorted(n for n in os.listdir(dom) if not n.startswith("."))
    assert top == ["-0", "-1", "postmaster"] + ["u%02d" % i for i in range(9)], top
    assert sorted(os.listdir(os.path.join(dom, "-0"))) == ["u%02d" % i for i in range(9, 19)]
    assert sorted(os.listdir(os.path.join(dom, "-1"))) == ["u%02d" % i for i in range(19, 24)]
    st = os.stat(os.path.join(dom, "-1"))
    assert (st.st_uid, st.st_gid) == (VIRTUAL_UID, VIRTUAL_GID)
    assert user_row(t, "u20", "hashed.test")[2] == os.path.join(dom, "-1", "u20")
    a.ok("vdeldomain", "hashed.test")
    assert not os.path.exists(dom)


def test_no_symlink_followed_in_the_virtual_users_directories(t):
    # The domain directory belongs to the virtual uid, which every POP/IMAP
    # session runs as: a symlink it plants where vadmin (root) will create
    # and chown a directory must not hand root's chown a target elsewhere.
    a = admin(t, "vadmin-symlink", "dir_control = 10\n")
    a.ok("vadddomain", "trap.test", "pm-pw-123")
    for i in range(9):    # postmaster and these fill the domain directory
        a.ok("vadduser", "-e", "x", "u%d@trap.test" % i)
    dom = os.path.join(a.vpop, "domains", "trap.test")
    target = os.path.join(a.dir, "root-owned")
    os.mkdir(target, 0o755)
    os.symlink(target, os.path.join(dom, "-0"))
    rc, out, err = a.run("vadduser", "-e", "x", "next@trap.test")
    assert rc != 0, out
    assert os.listdir(target) == [] and os.stat(target).st_uid == 0
    assert user_row(t, "next", "trap.test") is None
    os.unlink(os.path.join(dom, "-0"))
    a.ok("vadduser", "-e", "x", "next@trap.test")
    assert os.stat(os.path.join(dom, "-0")).st_uid == VIRTUAL_UID


def test_sixty_domains_cross_rcpthosts_boundary_and_back(t):
    a = admin(t, "vadmin-60")
    names = ["d%02d.test" % i for i in range(60)]
    for n in names:
        a.ok("vadddomain", "-O", n, "pm-pw-123")
    rh, more = hosts(a.read("control/rcpthosts")), hosts(a.read("control/morercpthosts"))
    assert rh == names[:50] and more == names[50:], (len(rh), len(more))
    check_consistent(a)
    for n in names[50:]:
        r = subprocess.run(["cdb", "-q", a.path("control/morercpthosts.cdb"), n])
        assert r.returncode == 0, n
    r = subprocess.run(["cdb", "-q", a.path("control/morercpthosts.cdb"), names[0]])
    assert r.returncode == 100
    assert len(json.loads(a.ok("vlistdomains", "--json"))) == 60
    # Delete from both ends so that each file shrinks and empties.
    order = names[55:] + names[:50] + names[50:55]
    for i, n in enumerate(order):
        a.ok("vdeldomain", n)
        left = set(order[i + 1:])
        assert set(hosts(a.read("control/rcpthosts"))) | set(
            hosts(a.read("control/morercpthosts"))) == left
        if i % 7 == 0:
            check_consistent(a)
    assert a.read("control/morercpthosts") is None
    assert a.read("control/morercpthosts.cdb") is None
    assert a.read("control/rcpthosts") == ""
    assert a.read("users/assign") == ".\n"
    check_consistent(a)
    assert rows(t, "SELECT COUNT(*) FROM vpopmail WHERE pw_domain LIKE 'd%.test'") == [["0"]]


def test_failure_read_only_control_dir_changes_nothing(t):
    a = admin(t, "vadmin-ro")
    a.ok("vadddomain", "first.test", "pm-pw-123")
    # Root ignores modes: a read-only bind mount, private to the command.
    ro = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" "$0" && '
          'mount -o remount,ro,bind "$0" && exec "$@"', a.path("control")]
    before = a.snapshot()
    rc, out, err = a.run("vadddomain", "second.test", "pm-pw-123", prefix=ro)
    assert rc == 1 and "vadddomain: unable to write" in err, (rc, err)
    assert "Read-only file system" in err, err
    assert a.snapshot() == before, diff(before, a.snapshot())
    rc, out, err = a.run("vdeldomain", "first.test", prefix=ro)
    assert rc == 1 and "Read-only" in err, err
    assert a.snapshot() == before, diff(before, a.snapshot())
    check_consistent(a)
    a.ok("vadddomain", "second.test", "pm-pw-123")
    expect_login(t, "postmaster@second.test", "pm-pw-123", 0)


def test_failure_lock_held_by_another_process(t):
    a = admin(t, "vadmin-lock", "lock_timeout = 1\n")
    lock = os.path.join(a.vpop, "etc", "vadmin.lock")
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    holder = subprocess.Popen(
        ["python3", "-c", "import fcntl,os,sys,time\n"
         "f=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT,0o600)\n"
         "fcntl.flock(f,fcntl.LOCK_EX)\nprint('locked',flush=True)\n"
         "sys.stdin.read()", lock],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        a.refused("another vadmin holds", "vadddomain", "locked.test", "pm-pw-123")
    finally:
        holder.stdin.close()
        holder.wait(timeout=20)
    a.ok("vadddomain", "locked.test", "pm-pw-123")


def test_failure_killed_half_way_leaves_no_partial_files(t):
    a = admin(t, "vadmin-kill")
    a.ok("vadddomain", "base.test", "pm-pw-123")
    rng = random.Random(7)
    for i in range(12):
        name = "kill%02d.test" % i
        p = subprocess.Popen([VADMIN, "vadddomain", "-e", "x", name, "pm-pw-123"],
                             env=a.env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.15))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=20)
        # The next command takes the lock, removes the dead run's temp files
        # and rebuilds the cdbs from their sources.
        a.ok("vadddomain", "after%02d.test" % i, "pm-pw-123")
        check_consistent(a)
        for rel in ("control/rcpthosts", "control/virtualdomains", "users/assign"):
            text = a.read(rel)
            assert text is None or text.endswith("\n"), (rel, text)
        # Whatever the kill left, vdeldomain clears it, and the name can
        # be added again (a leftover directory without mail is reused).
        rc, out, err = a.run("vdeldomain", name)
        assert rc == 0 or "does not exist" in err, err
        assert name not in a.read("users/assign")
        a.ok("vadddomain", name, "pm-pw-123")
        a.ok("vdeldomain", name)
    check_consistent(a)


def test_sigterm_during_a_change_waits_for_its_end(t):
    a = admin(t, "vadmin-kill")
    for i in range(6):
        name = "term%02d.test" % i
        p = subprocess.Popen([VADMIN, "vadddomain", "-e", "x", name, "pm-pw-123"],
                             env=a.env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        time.sleep(0.01 * i)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=60)
        # Either it ended before taking the lock, or it finished the change.
        present = ("+%s-:" % name) in (a.read("users/assign") or "")
        rows_ = rows(t, "SELECT COUNT(*) FROM vpopmail WHERE pw_domain=%s" % q(name))
        assert rows_ == [["1" if present else "0"]], (name, present, rows_)
        assert os.path.isdir(os.path.join(a.vpop, "domains", name)) == present
        check_consistent(a)
        if present:
            a.ok("vdeldomain", name)


def test_killed_vdeldomain_finishes_when_run_again(t):
    a = admin(t, "vadmin-kill")
    rng = random.Random(11)
    domains = os.path.join(a.vpop, "domains")
    for i in range(10):
        name = "gone%02d.test" % i
        a.ok("vadddomain", name, "pm-pw-123")
        for u in range(5):
            a.ok("vadduser", "-e", "x", "u%d@%s" % (u, name))
        p = subprocess.Popen([VADMIN, "vdeldomain", name], env=a.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.08))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=20)
        rc, out, err = a.run("vdeldomain", name)
        assert rc == 0 or "does not exist" in err, err
        check_consistent(a)
        assert name not in a.read("users/assign")
        assert name not in (a.read("control/virtualdomains") or "")
        assert rows(t, "SELECT COUNT(*) FROM vpopmail WHERE pw_domain=%s" % q(name)) == [["0"]]
        left = [n for n in os.listdir(domains) if name in n]
        assert not left, left


def test_stale_users_cdb_is_rebuilt_by_the_next_command(t):
    a = admin(t, "vadmin-kill")
    # As a run killed between users/assign and users/cdb leaves it, or an
    # admin who edited users/assign by hand and forgot qmail-newu.
    assign = a.read("users/assign")
    with open(a.path("users/assign"), "w") as fh:
        fh.write("=hand:hand:1:1:/home/hand:::\n" + assign)
    a.ok("vadduser", "-e", "x", "late@base.test")
    check_consistent(a)
    assert (b"!hand\0", b"hand\x001\x001\x00/home/hand\x00\x00") in cdb_dump(
        a.path("users/cdb"))


def test_leftover_directory_with_mail_is_kept(t):
    a = admin(t, "vadmin-kill")
    dom = os.path.join(a.vpop, "domains", "kept.test")
    os.makedirs(os.path.join(dom, "postmaster", "Maildir", "new"))
    with open(os.path.join(dom, "postmaster", "Maildir", "new", "1.mail"), "w") as fh:
        fh.write("Subject: keep me\n\n")
    a.refused("already exists: move it away", "vadddomain", "kept.test", "pm-pw-123")
    assert os.path.exists(os.path.join(dom, "postmaster", "Maildir", "new", "1.mail"))
    shutil.rmtree(dom)


def test_concurrent_100_vaddusers_into_one_domain(t):
    a = admin(t, "vadmin-conc")
    a.ok("vadddomain", "many.test", "pm-pw-123")
    procs = [subprocess.Popen([VADMIN, "vadduser", "-e", "x", "c%03d@many.test" % i],
                              env=a.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for i in range(100)]
    fails = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        if p.returncode != 0:
            fails.append(err.decode())
    assert not fails, fails[:3]
    got = rows(t, "SELECT pw_name, pw_dir FROM vpopmail WHERE pw_domain='many.test'")
    assert len(got) == 101
    dirs = [r[1] for r in got]
    assert len(set(dirs)) == 101
    for d in dirs:
        assert os.path.isdir(os.path.join(d, "Maildir", "new")), d
    assert rows(t, "SELECT cur_users FROM dir_control WHERE domain='many.test'") == [["101"]]
    # Concurrent domain adds lose no control-file entry.
    procs = [subprocess.Popen([VADMIN, "vadddomain", "-e", "x", "par%02d.test" % i,
                               "pm-pw-123"], env=a.env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for i in range(20)]
    for p in procs:
        p.communicate(timeout=300)
        assert p.returncode == 0
    assign = a.read("users/assign")
    for i in range(20):
        assert assign.count("+par%02d.test-:" % i) == 1
    lines = hosts(a.read("control/rcpthosts"))
    assert len(lines) == len(set(lines)) == 21
    check_consistent(a)


def test_vmoduser_e_drops_the_old_clear_copy(t):
    # A migrated vpopmail row usually has pw_clear_passwd filled in: a new
    # hash set with -e must take the old clear password with it.
    a = admin(t)
    a.ok("vadduser", "clearmod@alpha.test", "clearmod-pw")
    t.mysql.sql("UPDATE vpopmail SET pw_clear_passwd = 'clearmod-old' WHERE "
                "pw_name = 'clearmod' AND pw_domain = 'alpha.test'", "vpopmail")
    a.ok("vmoduser", "-e", mkhash("$6$", "clearmod-new"), "clearmod@alpha.test")
    assert rows(t, "SELECT pw_clear_passwd FROM vpopmail WHERE pw_name = "
                   "'clearmod' AND pw_domain = 'alpha.test'") == [[""]]
    expect_login(t, "clearmod@alpha.test", "clearmod-new", 0)
    expect_login(t, "clearmod@alpha.test", "clearmod-old", 1)
