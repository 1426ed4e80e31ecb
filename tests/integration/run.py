"""run.py: runs every test_* function of tests/integration/test_*.py against
one shared harness.Env, then prints 'N passed, N failed'.

Usage: run.py [substring ...]   (only tests whose name contains one of them)
"""
import glob
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    wanted = sys.argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    tests = []
    for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
        mod = importlib.import_module(os.path.basename(path)[:-3])
        for name in dir(mod):
            fn = getattr(mod, name)
            if name.startswith("test_") and callable(fn):
                full = mod.__name__ + "." + name
                if not wanted or any(w in full for w in wanted):
                    tests.append((full, fn, getattr(fn, "__code__").co_firstlineno))
    # Definition order within a module, modules in name order.
    tests.sort(key=lambda t: (t[0].split(".")[0], t[2]))
    passed = failed = 0
    t0 = time.monotonic()
    env = harness.Env()
    try:
        for full, fn, _ in tests:
            start = time.monotonic()
            try:
                fn(env)
            except Exception:
                failed += 1
                print("FAIL %s (%.1fs)" % (full, time.monotonic() - start))
                print("  " + traceback.format_exc().replace("\n", "\n  "))
                sys.stdout.flush()
                # A test that broke the shared servers must not break the rest.
                if env.vauthd.proc is None or env.vauthd.proc.poll() is not None:
                    env.vauthd.start()
                if env.mysql.proc is None:
                    env.mysql.start()
                continue
            passed += 1
            print("ok   %s (%.1fs)" % (full, time.monotonic() - start))
            sys.stdout.flush()
    finally:
        # The shared vauthd must stop cleanly on SIGTERM, and, in the
        # sanitizer build, without a report (a leak shows only at exit).
        rc = env.vauthd.stop() if env.vauthd else 0
        log = env.vauthd.read_log() if env.vauthd else ""
        if rc != 0 or "Sanitizer" in log or "runtime error:" in log:
            failed += 1
            print("FAIL shared vauthd: exit %s on SIGTERM\n  %s" % (
                rc, "\n  ".join(l for l in log.splitlines()
                                  if "Sanitizer" in l or "runtime error" in l
                                  or l.startswith(("    #", "Direct", "Indirect")))[:4000]))
        env.close()
    print("integration: %.0fs" % (time.monotonic() - t0))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
