"""test_linkage.py: vchkpw needs no shared library beyond libc and carries
no MySQL or libcrypt code: it cannot touch the database or a hash."""
import subprocess

from harness import VCHKPW


def test_vchkpw_links_only_libc(t):
    out = subprocess.run(["readelf", "-d", VCHKPW], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    needed = [line.split("[", 1)[1].rstrip("]").strip()
              for line in out.splitlines() if "(NEEDED)" in line]
    # The sanitizer pass of make check adds the sanitizers' runtimes.
    needed = [n for n in needed if not n.startswith(("libasan.so", "libubsan.so"))]
    assert all(n.startswith("libc.so") for n in needed), needed


def test_vchkpw_has_no_mysql_or_crypt_symbols(t):
    out = subprocess.run(["nm", "-D", VCHKPW], check=True,
                         stdout=subprocess.PIPE).stdout.decode()
    out += subprocess.run(["nm", VCHKPW], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.decode()
    bad = [line for line in out.splitlines()
           if any(s in line.split()[-1] for s in ("mysql", "mariadb", "crypt"))]
    assert not bad, bad
