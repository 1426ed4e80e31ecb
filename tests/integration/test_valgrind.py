"""test_valgrind.py: vauthd and vchkpw under valgrind memcheck: no errors, no leaks."""
import os
import shutil
import socket
import subprocess

from harness import VAUTHD, VCHKPW, Vauthd, stop_pid, vchkpw_input, wait_for

VG_ERROR = 97
VALGRIND = ["valgrind", "--quiet", "--vgdb=no", "--error-exitcode=%d" % VG_ERROR,
            "--leak-check=full", "--show-leak-kinds=definite,indirect",
            "--errors-for-leak-kinds=definite,indirect"]


def sanitized(path):
    """Binaries built with ASan (make check's second pass) cannot run
    under valgrind; that pass has its own checks."""
    out = subprocess.run(["readelf", "-d", path], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    return "libasan" in out


def usable():
    return shutil.which("valgrind") and not sanitized(VAUTHD)


def test_valgrind_vauthd_and_vchkpw(t):
    if not usable():
        print("  (skipped: no valgrind, or a sanitizer build)")
        return
    t.add_user("vg", "example.com", "vg-pw", prefix="$1$")
    d = Vauthd(os.path.join(t.top, "vauthd-valgrind"), t.mysql,
               extra="penalty = yes\npenalty_free = 1\npenalty_delay = 50\n"
                     "penalty_delay_max = 100\npenalty_threshold = 4\n"
                     "client_timeout = 2000\n")
    vglog = os.path.join(d.dir, "valgrind.log")
    logf = open(d.log, "ab")
    d.proc = subprocess.Popen(VALGRIND + ["--log-file=" + vglog, VAUTHD, "-f", d.conf],
                              stdout=logf, stderr=logf)
    logf.close()
    try:
        wait_for(lambda: "ready on" in d.read_log(), 120, "vauthd under valgrind")

        def vchkpw(who, pw, ip, vg=False):
            prog = (VALGRIND + ["--log-file=" + vglog + ".vchkpw.%p", VCHKPW]
                    if vg else [VCHKPW])
            r = subprocess.run(["/bin/sh", "-c", 'exec "$0" "$@" 3<&0'] + prog +
                               ["/bin/true"], input=vchkpw_input(who, pw),
                               env={"PATH": "/usr/bin:/bin", "VAUTHD_SOCKET": d.socket,
                                    "TCPLOCALPORT": "110", "TCPREMOTEIP": ip},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=120)
            return r.returncode

        # vchkpw itself: success (up to the exec), failure, malformed input.
        assert vchkpw("vg@example.com", "vg-pw", "127.0.0.70", vg=True) == 0
        assert vchkpw("vg@example.com", "nope", "127.0.0.70", vg=True) == 1
        # vauthd: a rehash, unknown users, throttling with held answers,
        # a cool-down, a malformed frame and an idle connection cut off.
        for i in range(6):
            assert vchkpw("nobody%d@example.com" % i, "x", "127.0.0.71") == 1
        assert vchkpw("vg@example.com", "vg-pw", "127.0.0.72") == 0
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.socket)
        s.sendall(b"\x00\x03\x01Zz")
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(d.socket)
        idle.settimeout(60)
        assert idle.recv(1) == b""
        s.close()
        idle.close()
    finally:
        stop_pid(d.proc, 120)
    rc = d.proc.returncode
    d.proc = None
    reports = ""
    logs = [n for n in os.listdir(d.dir) if n.startswith("valgrind.log")]
    assert len(logs) == 3, logs  # vauthd and two vchkpw runs
    for name in logs:
        with open(os.path.join(d.dir, name)) as fh:
            reports += fh.read()
    log = d.read_log()
    for path in ("rehash vg@example.com: upgraded", "throttle: address 127.0.0.71",
                 "reason=throttled", "malformed request", "stopping"):
        assert path in log, (path, log[-3000:])
    assert rc == 0, "vauthd under valgrind exited %d\n%s" % (rc, reports[-4000:])
    # --quiet: valgrind writes nothing unless it found something.
    assert not reports.strip(), reports[-4000:]
