#!/usr/bin/env python3
"""run.py: make bench's driver: a private MariaDB and vauthd in a scratch
directory, 10,000 users loaded, then bench/vbench's table; everything it
started is stopped by PID. Usage: BIN=build/bin BUILD=build bench/run.py
BENCH_CONF may hold extra vauthd.conf lines, to try other settings."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "integration"))
import harness  # noqa: E402

BUILD = os.environ.get("BUILD", "build")
BIN = harness.BIN
TOOLS = os.path.abspath(os.path.join(BUILD, "bench"))
BUDGET = 280            # seconds for the whole bench, set-up included
TEARDOWN = 20           # kept back for stopping MariaDB and vauthd
ROWS_PER_INSERT = 1000


def load_users(mysql, tsv, home):
    """Bulk insert (1,000 rows a statement) and a home per user, as
    vadduser would leave them."""
    rows = []
    with open(tsv) as fh:
        lines = [line.rstrip("\n").split("\t") for line in fh]
    for user, domain, hashed in lines:
        d = os.path.join(home, "domains", domain, user)
        os.makedirs(d, exist_ok=True)
        os.chown(d, harness.VIRTUAL_UID, harness.VIRTUAL_GID)
        rows.append("(%s, %s, %s, 0, 0, %s, %s, 'NOQUOTA', '')" % (
            harness.q(user), harness.q(domain), harness.q(hashed),
            harness.q(user), harness.q(d)))
    stmts = []
    for i in range(0, len(rows), ROWS_PER_INSERT):
        stmts.append("INSERT INTO vpopmail (pw_name, pw_domain, pw_passwd, "
                     "pw_uid, pw_gid, pw_gecos, pw_dir, pw_shell, "
                     "pw_clear_passwd) VALUES " +
                     ",\n".join(rows[i:i + ROWS_PER_INSERT]) + ";")
    mysql.sql("\n".join(stmts), "vpopmail")
    return len(lines)


def main():
    t0 = time.monotonic()

    def left():
        return max(5, BUDGET - TEARDOWN - (time.monotonic() - t0))
    top = tempfile.mkdtemp(prefix="vauth-bench-")
    os.chmod(top, 0o755)
    mysql = vauthd = None
    rc = 1
    try:
        print("vauth bench: set-up in %s" % top)
        sys.stdout.flush()
        mysql = harness.MariaDB(os.path.join(top, "mysql"))
        mysql.load("vpopmail", ["sql/schema.sql",
                                "sql/migrations/001-widen-columns.sql"])
        tsv = os.path.join(top, "users.tsv")
        with open(tsv, "w") as fh:
            subprocess.run([os.path.join(TOOLS, "genusers")], stdout=fh,
                           check=True, timeout=left())
        home = os.path.join(top, "vpopmail")
        os.makedirs(os.path.join(home, "domains"))
        for d in (top, home, os.path.join(home, "domains")):
            os.chmod(d, 0o755)
        n = load_users(mysql, tsv, home)
        # Logging as a busy site would (one line a login, to a file);
        # everything else at vauthd's defaults, but for hash_prefix: at $1$
        # no stored hash is weaker, so rehash-on-login (a one-time cost
        # per user of a migrating site) stays out of cold and warm.
        vauthd = harness.Vauthd(os.path.join(top, "vauthd"), mysql,
                                extra="hash_prefix = $1$\n" +
                                os.environ.get("BENCH_CONF", ""))
        vauthd.start()
        setup = time.monotonic() - t0
        print("set-up: %d users loaded in %.0f s" % (n, setup))
        sys.stdout.flush()
        r = subprocess.run(
            [os.path.join(TOOLS, "vbench"), "-c", vauthd.conf,
             "-p", str(vauthd.proc.pid), "-m", str(mysql.proc.pid),
             "-v", harness.VCHKPW,
             "-k", os.path.join(TOOLS, "classic"), "-u", tsv,
             "-d", top, "-t", "%.0f" % max(5, left() - 10)],
            timeout=left())
        rc = r.returncode
    finally:
        if vauthd is not None:
            vauthd.stop()
        if mysql is not None:
            mysql.stop()
        shutil.rmtree(top, ignore_errors=True)
    print("bench: %.0f s in all" % (time.monotonic() - t0))
    return rc


if __name__ == "__main__":
    sys.exit(main())
