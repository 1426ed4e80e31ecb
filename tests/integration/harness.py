"""harness.py: real MariaDB, vauthd and vchkpw in a scratch directory, stopped by PID.

Every server a test needs is started here, in a directory of its own under
$TMPDIR, and stopped by the PID it was started with. Nothing listens on a
network address: MariaDB and vauthd use Unix sockets only.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.environ.get("BIN", os.path.join(ROOT, "build", "bin")))
VCHKPW = os.path.join(BIN, "vchkpw")
VAUTHD = os.path.join(BIN, "vauthd")
MKHASH = os.path.join(BIN, "mkhash")

DB_USER = "vauth"
DB_PASSWORD = "test-db-pw"
VIRTUAL_UID = 89
VIRTUAL_GID = 89


def wait_for(pred, timeout=20.0, what="condition"):
    """Polls pred every 20 ms, at most timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def stop_pid(proc, timeout=20.0):
    """SIGTERM the process we started, then SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


class MariaDB:
    """A private mariadbd on a Unix socket in dir, with an empty data dir."""

    def __init__(self, dir):
        self.dir = dir
        self.datadir = os.path.join(dir, "data")
        self.socket = os.path.join(dir, "mysql.sock")
        self.log = os.path.join(dir, "mysqld.log")
        self.proc = None
        os.makedirs(dir, exist_ok=True)
        os.chmod(dir, 0o755)
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--datadir=" + self.datadir,
             "--user=root", "--auth-root-authentication-method=normal",
             "--skip-test-db"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self.start()
        self.sql("CREATE USER '%s'@'localhost' IDENTIFIED BY '%s';"
                 "GRANT ALL ON *.* TO '%s'@'localhost';"
                 % (DB_USER, DB_PASSWORD, DB_USER))

    def start(self):
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--datadir=" + self.datadir,
             "--socket=" + self.socket, "--skip-networking", "--user=root",
             "--log-error=" + self.log, "--pid-file=" + os.path.join(self.dir, "pid"),
             "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M",
             "--innodb-flush-log-at-trx-commit=2", "--skip-log-bin",
             "--max-connections=500"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.alive, 60, "mariadbd to accept connections")
        os.chmod(self.socket, 0o777)

    def alive(self):
        if self.proc.poll() is not None:
            raise AssertionError("mariadbd exited; see " + self.log)
        r = subprocess.run(["mariadb-admin", "--no-defaults", "-uroot",
                            "-S", self.socket, "ping"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def stop(self):
        stop_pid(self.proc, 60)
        self.proc = None

    def sql(self, text, db=None):
        """Runs SQL as root; returns tab-separated rows."""
        cmd = ["mariadb", "--no-defaults", "-uroot", "-S", self.socket,
               "-N", "-B"]
        if db:
            cmd.append(db)
        r = subprocess.run(cmd, input=text.encode(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise AssertionError("SQL failed: %s\n%s" % (r.stderr.decode(), text[:500]))
        return [line.split("\t") for line in r.stdout.decode().splitlines()]

    def load(self, db, files):
        self.sql("DROP DATABASE IF EXISTS %s; CREATE DATABASE %s;" % (db, db))
        for f in files:
            with open(os.path.join(ROOT, f)) as fh:
                self.sql(fh.read(), db)


def q(s):
    """SQL string literal for test data (test code only: the product uses
    prepared statements)."""
    if s is None:
        return "NULL"
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def mkhash(prefix, password):
    return subprocess.run([MKHASH, prefix, password], check=True,
                          stdout=subprocess.PIPE).stdout.decode().strip()


class Vauthd:
    """vauthd with its own config, socket and log under dir."""

    def __init__(self, dir, mysql, db="vpopmail", extra=""):
        self.dir = dir
        os.makedirs(dir, exist_ok=True)
        os.chmod(dir, 0o755)
        self.socket = os.path.join(dir, "run", "socket")
        self.conf = os.path.join(dir, "vauthd.conf")
        self.log = os.path.join(dir, "vauthd.log")
        self.mysql = mysql
        self.proc = None
        self.write_conf(db, extra)

    def write_conf(self, db, extra=""):
        text = (
            "socket = %s\n"
            "socket_mode = 0666\n"
            "user = nobody\n"
            "allow_users = nobody\n"
            "log = stderr\n"
            "mysql_socket = %s\n"
            "mysql_user = %s\n"
            "mysql_password = %s\n"
            "mysql_database = %s\n"
            "mysql_timeout = 3\n"
            "virtual_user = %d:%d\n"
            "default_domain = example.com\n"
            "hash_prefix = $6$\n"
            # The shared daemon sees many wrong passwords from one test
            # address; test_hardening.py runs its own with the defence on.
            "penalty = no\n"
            "%s" % (self.socket, self.mysql.socket, DB_USER, DB_PASSWORD, db,
                    VIRTUAL_UID, VIRTUAL_GID, extra))
        fd = os.open(self.conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(self.conf, 0o600)

    def start(self):
        self.log_offset = len(self.read_log())
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([VAUTHD, "-f", self.conf],
                                     stdout=logf, stderr=logf)
        logf.close()
        wait_for(lambda: self._ready(), 20, "vauthd socket")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("vauthd exited %d:\n%s" % (self.proc.returncode, self.read_log()))
        return "ready on" in self.read_log()[self.log_offset:]

    def stop(self):
        stop_pid(self.proc)
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def read_log(self):
        try:
            with open(self.log, "rb") as fh:
                return fh.read().decode("latin-1")
        except FileNotFoundError:
            return ""


def vchkpw_input(login, secret, extra=None):
    data = login.encode("latin-1") + b"\0" + secret.encode("latin-1") + b"\0"
    if extra is not None:
        data += extra.encode("latin-1") + b"\0"
    return data


def run_vchkpw(socket, data, args=None, env=None, user=None, timeout=30):
    """Runs vchkpw with data on fd 3; returns (exit code, stdout, stderr).
    args: vchkpw's arguments (default: print the environment and ids)."""
    if args is None:
        args = ["/bin/sh", "-c", 'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) cwd=$(pwd)"; env']
    e = {"PATH": "/usr/bin:/bin", "VAUTHD_SOCKET": socket}
    if env:
        e.update(env)
    cmd = ["/bin/sh", "-c", 'exec "$0" "$@" 3<&0', VCHKPW] + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
               "--clear-groups"] + cmd
    r = subprocess.run(cmd, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=e, timeout=timeout)
    return r.returncode, r.stdout.decode("latin-1"), r.stderr.decode("latin-1")


def parse_env(out):
    env = {}
    for line in out.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env.setdefault(k, v)
    return env


class Env:
    """What the tests share: one MariaDB, one database, one vauthd."""

    def __init__(self):
        self.top = tempfile.mkdtemp(prefix="vauth-test-")
        os.chmod(self.top, 0o755)
        self.mysql = MariaDB(os.path.join(self.top, "mysql"))
        self.mysql.load("vpopmail", ["sql/schema.sql",
                                     "sql/migrations/001-widen-columns.sql"])
        self.home = os.path.join(self.top, "vpopmail")
        os.makedirs(os.path.join(self.home, "domains"), exist_ok=True)
        self.vauthd = Vauthd(os.path.join(self.top, "vauthd"), self.mysql)
        self.vauthd.start()
        self.extra_procs = []

    def add_user(self, user, domain, password=None, prefix="$6$", clear=None,
                 flags=0, hashed=None, db="vpopmail", mkdir=True):
        """Inserts a row as vpopmail would; returns its home directory."""
        home = os.path.join(self.home, "domains", domain, user)
        if mkdir:
            os.makedirs(os.path.join(home, "Maildir", "new"), exist_ok=True)
            os.makedirs(os.path.join(home, "Maildir", "cur"), exist_ok=True)
            os.makedirs(os.path.join(home, "Maildir", "tmp"), exist_ok=True)
            for dp, dn, fn in os.walk(home):
                os.chown(dp, VIRTUAL_UID, VIRTUAL_GID)
            os.chmod(os.path.join(self.home, "domains"), 0o755)
        if hashed is None:
            hashed = mkhash(prefix, password) if password is not None else ""
        self.mysql.sql(
            "REPLACE INTO vpopmail (pw_name, pw_domain, pw_passwd, pw_uid, "
            "pw_gid, pw_gecos, pw_dir, pw_shell, pw_clear_passwd) VALUES "
            "(%s, %s, %s, 0, %d, %s, %s, 'NOQUOTA', %s);"
            % (q(user), q(domain), q(hashed), flags, q(user), q(home),
               q(clear or "")), db)
        return home

    def login(self, login, secret, extra=None, **kw):
        return run_vchkpw(self.vauthd.socket, vchkpw_input(login, secret, extra), **kw)

    def close(self):
        for p in self.extra_procs:
            stop_pid(p)
        if self.vauthd:
            self.vauthd.stop()
        self.mysql.stop()
        if os.environ.get("KEEP_SCRATCH"):
            print("scratch kept in", self.top)
        else:
            shutil.rmtree(self.top, ignore_errors=True)
