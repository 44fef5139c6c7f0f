"""Check mutmut's mutants in one pytest session: collect once, map tests once, fork per mutant.

`mutmut run` starts a pytest session for every mutant; on a busy machine that costs more
than the tests themselves. This driver runs inside a scratch folder's `mutants/` (made by
`scripts/mutate.py` / `mutmut run`, which generates the mutants and their trampolines):

1. collects the given test files once;
2. runs every test once with `MUTANT_UNDER_TEST=stats` and records the mutated functions
   it reaches (mutmut's own trampoline hook) and its clean duration; a test that fails
   clean is reported and never used;
3. for every mutant (names from mutmut's `*.py.meta` files, or those given), forks a child
   that activates the mutant and runs the tests reaching its function, fastest first,
   each with its fixtures set up and torn down (`runtestprotocol`, nextitem None),
   stopping at the first failure; the tests that killed the function's earlier mutants
   go first (on a resumed run, those recorded in OUT.jsonl, most kills first).

Verdicts (the same as mutmut's): `killed` (a test failed or errored), `survived` (all
passed), `survived (budget spent)` (MUTATE_BUDGET_S set, and the next test's clean time
would take the mutant past it before all its tests ran: not killed, so counted as surviving), `no tests` (no test reaches the function), `timeout` (past max(60 s, 10 x the
tests' clean time); counted with killed in the score, as mutmut does), `suspicious` (the
child died otherwise). Results go to OUT.jsonl, one line per mutant, appended, so a run
can be stopped and resumed (mutants already in the file are skipped).

    cd $MUTATE_DIR/allocation/mutants
    PYTHONPATH=src:. python $REPO/scripts/mutate_inproc.py OUT.jsonl \
        tests/test_a.py tests/test_b.py [--only NAME_OR_PREFIX ...]

`--only` takes mutant names or name prefixes (in the order given); a name ending in `$`
matches that mutant alone (`..._mutmut_13$`, not `..._mutmut_130`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

#: MUTATE_BUDGET_S: seconds of tests per mutant (0: no limit); a test is not started when its
#: clean time would take the mutant past it; a mutant whose tests are not all run is
#: `survived (budget spent)`: not killed, a conservative verdict
BUDGET_S = float(os.environ.get("MUTATE_BUDGET_S", "0"))


def mutant_names(root: Path) -> list[str]:
    names = []
    for meta in sorted(root.glob("src/**/*.py.meta")):
        names.extend(json.loads(meta.read_text())["exit_code_by_key"])
    return names


class Driver:
    def __init__(self, out: Path, only: list[str]):
        self.out = out
        self.only = only

    def pytest_runtestloop(self, session):  # noqa: C901  (one loop, kept in one place)
        import mutmut.mutation.trampoline as tr
        from _pytest.runner import runtestprotocol

        items = list(session.items)
        hits: set[str] = set()
        tr.record_trampoline_hit = lambda name, caller=None: hits.add(name)
        reach: dict[str, list] = {}
        clean_s: dict[str, float] = {}
        broken = []
        os.environ["MUTANT_UNDER_TEST"] = "stats"
        for it in items:
            hits.clear()
            t0 = time.perf_counter()
            reports = runtestprotocol(it, nextitem=None, log=False)
            clean_s[it.nodeid] = time.perf_counter() - t0
            if any(r.failed for r in reports):
                broken.append(it.nodeid)
                continue
            for h in hits:
                reach.setdefault(h, []).append(it)
        if broken:
            print(f"tests failing without a mutant (not used): {broken}", flush=True)
        for lst in reach.values():
            lst.sort(key=lambda i: clean_s[i.nodeid])
        done = set()
        by_id = {it.nodeid: it for it in items}
        seen: dict[str, Counter] = {}  # function -> its killers so far (a resumed run)
        if self.out.exists():
            for line in self.out.read_text().splitlines():
                if line:
                    v = json.loads(line)
                    done.add(v["mutant"])
                    if v.get("killer") in by_id:
                        seen.setdefault(v["mutant"].rsplit("__mutmut_", 1)[0],
                                        Counter())[v["killer"]] += 1
        names = mutant_names(Path.cwd())
        if self.only:  # in the order given
            names = list(dict.fromkeys(n for o in self.only for n in names
                                       if n == o.rstrip("$") or (
                                           not o.endswith("$") and n.startswith(o))))
        todo = [n for n in names if n not in done]
        print(f"{len(items)} tests, {len(names)} mutants, {len(todo)} to check", flush=True)
        killers: dict[str, list] = {f: [by_id[t] for t, _ in c.most_common()]
                                    for f, c in seen.items()}
        with self.out.open("a") as f:
            for k, name in enumerate(todo, 1):
                func = name.rsplit("__mutmut_", 1)[0]
                tests = reach.get(func, [])
                t0 = time.perf_counter()
                killer = None
                if not tests:
                    status = "no tests"
                else:  # the tests that killed this function's earlier mutants go first
                    first = killers.setdefault(func, [])
                    tests = first + [i for i in tests if i not in first]
                    limit = max(60, int(10 * sum(clean_s[i.nodeid] for i in tests)))
                    status, k_idx = self._check(name, tests, limit, runtestprotocol,
                                                [clean_s[i.nodeid] for i in tests])
                    if k_idx is not None:
                        killer = tests[k_idx]
                        if killer in first:
                            first.remove(killer)
                        first.insert(0, killer)
                f.write(json.dumps({"mutant": name, "status": status, "tests": len(tests),
                                    "killer": killer.nodeid if killer else None,
                                    "s": round(time.perf_counter() - t0, 2)}) + "\n")
                f.flush()
                if k % 50 == 0:
                    print(f"{k}/{len(todo)}", flush=True)
        return True

    @staticmethod
    def _check(name, tests, limit, runtestprotocol, clean) -> tuple[str, int | None]:
        pid = os.fork()
        if pid == 0:  # the child: the mutant active, first failure ends it
            code = 0
            try:
                os.environ["MUTANT_UNDER_TEST"] = name
                signal.alarm(limit)
                t0 = time.monotonic()
                for k, it in enumerate(tests):  # no traceback text: pytest parses the
                    # (huge) mutated source file for every frame of it
                    if BUDGET_S and k and time.monotonic() - t0 + clean[k] > BUDGET_S:
                        code = 250  # the next test would not end within the budget
                        break
                    it.repr_failure = it._repr_failure_py = _no_repr
                    if any(r.failed for r in runtestprotocol(it, nextitem=None, log=False)):
                        code = 1 + k if k < 199 else 201  # 1..199: that test failed first
                        break
            except BaseException:  # noqa: BLE001  (anything escaping the runner: killed)
                code = 201
            os._exit(code)
        _, st = os.waitpid(pid, 0)
        if os.WIFSIGNALED(st):
            return ("timeout" if os.WTERMSIG(st) == signal.SIGALRM else "suspicious"), None
        code = os.WEXITSTATUS(st)
        if code == 0:
            return "survived", None
        if code == 250:
            return "survived (budget spent)", None
        if 1 <= code <= 201:
            return "killed", (code - 1 if code < 200 else None)
        return "suspicious", None


def _no_repr(*_args, **_kw) -> str:
    return "failed (traceback not formatted)"


def main(argv: list[str]) -> int:
    import pytest

    out, rest = Path(argv[0]), argv[1:]
    only = []
    if "--only" in rest:
        i = rest.index("--only")
        rest, only = rest[:i], rest[i + 1:]
    args = ["-q", "-p", "no:randomly", "-p", "no:cacheprovider", *rest]
    return pytest.main(args, plugins=[Driver(out.resolve(), only)])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
