"""Re-check named mutants of a `make mutate` scratch copy against ONE test file, fast.

mutmut re-runs every test that reaches a mutated function, and a mutant that survives
costs the sum of those tests; on a small shared machine a group's time box ends with
mutants not checked. This script checks them (or re-checks survivors after new tests)
against one test file, in one pytest session: `stats` records which tests of the file
reach which function (mutmut's own trampolines, mode "stats"); `run` forks one child per
mutant that runs only those tests, in file order, and stops at the first failure or error
(killed), or passes them all (survived), or finds none (no tests); a child past 60 s is a
timeout. Run it inside the scratch copy's `mutants/` folder, with the test file copied
into `mutants/tests/`:

  cd $MUTATE_DIR/<group>/mutants
  PYTHONPATH=src:. python $REPO/scripts/mutants_recheck.py stats tests/T.py STATS.json
  PYTHONPATH=src:. python $REPO/scripts/mutants_recheck.py run tests/T.py STATS.json \
      NAMES.txt RESULTS.json        # NAMES.txt: one mutant name a line

`ONLY_TESTS=FILE` (one test function name a line) restricts `run` to those tests, e.g.
the ones added or changed since the survivors were found (only they can kill them).
RESULTS.json maps each name to killed / survived / no tests / timeout and is resumed if
it exists. One job at a time; nothing outside the scratch copy is written.
"""
import json
import os
import signal
import sys
import time

import pytest

mode = sys.argv[1]
testfile = sys.argv[2]

if mode == "stats":
    import mutmut.mutation.trampoline as tr

    hits: dict[str, dict[str, None]] = {}  # function -> tests, in the order they ran
    current = {"id": None}

    def record(name, caller=None):
        if current["id"]:
            hits.setdefault(name, {})[current["id"]] = None

    tr.record_trampoline_hit = record

    class Plugin:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_protocol(self, item, nextitem):
            current["id"] = item.nodeid
            yield
            current["id"] = None

    os.environ["MUTANT_UNDER_TEST"] = "stats"
    rc = pytest.main(["-q", "-p", "no:randomly", "-p", "no:cacheprovider", testfile],
                     plugins=[Plugin()])
    with open(sys.argv[3], "w") as fh:
        json.dump({k: list(v) for k, v in hits.items()}, fh, indent=1)
    print("stats rc", rc, len(hits), "functions")
    sys.exit(0)


from _pytest.runner import runtestprotocol  # noqa: E402

stats_path, names_path, out_path = sys.argv[3:6]
stats = json.load(open(stats_path))
names = [ln.strip() for ln in open(names_path) if ln.strip()]
results = json.load(open(out_path)) if os.path.exists(out_path) else {}
#: ONLY_TESTS=FILE: run only these test functions (one name a line), e.g. the tests added
#: or changed since the survivors were found (only those can kill them)
only = ({ln.strip() for ln in open(os.environ["ONLY_TESTS"]) if ln.strip()}
        if os.environ.get("ONLY_TESTS") else None)


class Loop:
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        # in a child: the first error or failure is a kill; exit before pytest formats a
        # traceback through the (very large) mutated source files
        if os.environ.get("MUTANT_UNDER_TEST", "none") != "none" and call.excinfo is not None \
                and not call.excinfo.errisinstance(pytest.skip.Exception):
            os._exit(1)
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        by_id = {it.nodeid: it for it in session.items}
        t0 = time.monotonic()
        for n in names:
            if n in results:
                continue
            func = n.rsplit("__mutmut_", 1)[0]
            items = [by_id[t] for t in stats.get(func, []) if t in by_id and (
                only is None or by_id[t].originalname in only)]
            if not items:
                results[n] = "no tests"
            else:
                pid = os.fork()
                if pid == 0:
                    os.environ["MUTANT_UNDER_TEST"] = n
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, 1)
                    os.dup2(devnull, 2)
                    code = 0
                    for i, it in enumerate(items):
                        nxt = items[i + 1] if i + 1 < len(items) else None
                        reps = runtestprotocol(it, nextitem=nxt, log=False)
                        if any(r.failed for r in reps):
                            code = 1
                            break
                    os._exit(code)
                deadline = time.monotonic() + 60
                status = None
                while time.monotonic() < deadline:
                    done, st = os.waitpid(pid, os.WNOHANG)
                    if done:
                        status = os.waitstatus_to_exitcode(st)
                        break
                    time.sleep(0.01)
                if status is None:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    results[n] = "timeout"
                else:
                    results[n] = "survived" if status == 0 else "killed"
            print(n, results[n], f"{time.monotonic() - t0:.0f}s", flush=True, file=sys.__stderr__)
            json.dump(results, open(out_path, "w"), indent=0)
        return True


os.environ["MUTANT_UNDER_TEST"] = "none"
sys.exit(pytest.main(["-q", "-p", "no:randomly", "-p", "no:cacheprovider", testfile],
                     plugins=[Loop()]))
