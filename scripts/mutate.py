"""`make mutate`: mutation testing with mutmut 3, one group of modules at a time.

Each group names the pure-Python modules it mutates and the fast tests that cover them,
so a mutant runs in seconds (mutmut runs only the tests that reach the mutated function).
Numba kernels (@njit) are never mutated: mutmut skips decorated functions, and the
kernels are covered by hand-planted mutants in the tests instead.

Each group runs in its own scratch copy of the repo (src, tests, examples, pyproject.toml
with a generated [tool.mutmut] section) under $MUTATE_DIR, so the project's pyproject.toml
is never edited. The whole run is time-boxed by MUTATE_MINUTES (default 60); groups are
run in order until the time is spent and the rest are reported as not run.

Environment:
  MUTATE_MINUTES  total wall-clock budget, minutes (default 60)
  MUTATE_GROUPS   comma-separated group names (default: all in the order below but the
                  overlapping perf3 and ingest, `NAMED_ONLY`)
  MUTATE_JOBS     parallel mutant workers (default: number of CPUs)
  MUTATE_DIR      scratch folder (default: $TMPDIR/infercost-mutate)
  MUTATE_MUTMUT   the mutmut executable (default: mutmut next to this Python)

Prints, per group: mutants generated, killed, survived, timeout, no tests, the score
(killed + timeout) / (total - skipped - not checked), so a mutant no test reaches
counts as surviving, and the surviving mutant names (`mutmut show NAME` in the group's folder prints the diff). Writes the same as JSON to
$MUTATE_DIR/summary.json. Exit code 0 (the score is information, not a gate).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Group:
    """Modules to mutate (globs relative to the repo root) and the tests that cover them."""

    name: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]


GROUPS: tuple[Group, ...] = (
    Group("money", ("src/infercost/core/money.py",),
          ("tests/test_money.py", "tests/test_mutants_money.py")),
    Group("econ", ("src/infercost/econ/*.py",),
          ("tests/test_estimate.py", "tests/test_mutants_econ.py", "tests/test_cost_contract.py",
           "tests/test_energy.py", "tests/test_pin_owned.py", "tests/test_pin_warmup.py",
           "tests/test_pin_shadow.py", "tests/test_pin_cascade_mix.py",
           "tests/test_pin_commitments.py", "tests/test_compare_energy.py",
           "tests/test_spanprice.py", "tests/test_attribute_energy.py",
           "tests/test_finance_tco.py", "tests/test_cpu_pricing.py",
           "tests/test_mutants_econ_contract.py")),
    Group("perf", ("src/infercost/perf/arch.py", "src/infercost/perf/memory.py",
                   "src/infercost/perf/precision.py", "src/infercost/perf/roofline.py",
                   "src/infercost/perf/throughput.py", "src/infercost/perf/efficiency.py",
                   "src/infercost/perf/service.py", "src/infercost/perf/profile.py"),
          ("tests/test_perf_arch.py", "tests/test_perf_throughput.py",
           "tests/test_perf_profile.py", "tests/test_estimate.py", "tests/test_mutants_perf.py")),
    # the three perf modules arch, throughput and service on their own, with the fast perf tests
    Group("perf3", ("src/infercost/perf/arch.py", "src/infercost/perf/throughput.py",
                    "src/infercost/perf/service.py"),
          ("tests/test_perf_arch.py", "tests/test_perf_throughput.py", "tests/test_perf_families.py",
           "tests/test_pin_perf_throughput.py", "tests/test_perf_cli.py", "tests/test_mutants_perf.py",
           "tests/test_mutants_perf3.py")),
    Group("sim", ("src/infercost/sim/run.py", "src/infercost/sim/entities.py",
                  "src/infercost/sim/arrivals.py"),
          ("tests/test_sim_features.py", "tests/test_sim_scenario.py", "tests/test_sim_theory.py",
           "tests/test_mutants_sim.py")),
    Group("allocation", ("src/infercost/allocation/quanta.py", "src/infercost/allocation/steps.py",
                         "src/infercost/allocation/rules.py", "src/infercost/allocation/engine.py"),
          ("tests/test_mutants_allocation.py", "tests/test_attribute_rules.py",
           "tests/test_attribute_counts.py", "tests/test_attribute_conservation.py",
           "tests/test_attribute_cli.py")),  # the CLI tests read rules files (load_rules)
    # ingest is split in two so that each fits a time box on a small machine; `ingest`
    # keeps the whole package (with the engine reader and its backends) for the record:
    # its test_bill_engine has a Spark test of about a minute, too slow for a per-mutant run.
    Group("ingest_bill", ("src/infercost/ingest/billrows.py", "src/infercost/ingest/focus.py",
                          "src/infercost/ingest/cur.py", "src/infercost/ingest/gcp.py",
                          "src/infercost/ingest/bill.py"),
          ("tests/test_mutants_ingest.py", "tests/test_ingest_focus.py",
           "tests/test_ingest_cur_gcp.py", "tests/test_ingest_real_exports.py",
           "tests/test_bad_ingest.py")),
    Group("ingest_usage", ("src/infercost/ingest/usage.py", "src/infercost/ingest/counts.py",
                           "src/infercost/ingest/spans.py", "src/infercost/ingest/otel.py",
                           "src/infercost/ingest/trace.py"),
          ("tests/test_mutants_ingest.py", "tests/test_ingest_usage.py",
           "tests/test_ingest_real_exports.py", "tests/test_bad_ingest.py",
           "tests/test_attribute_counts.py", "tests/test_otel_readers.py")),
    Group("ingest", ("src/infercost/ingest/billrows.py", "src/infercost/ingest/focus.py",
                     "src/infercost/ingest/cur.py", "src/infercost/ingest/gcp.py",
                     "src/infercost/ingest/bill.py", "src/infercost/ingest/bill_engine.py",
                     "src/infercost/ingest/backends.py", "src/infercost/ingest/usage.py",
                     "src/infercost/ingest/counts.py", "src/infercost/ingest/spans.py",
                     "src/infercost/ingest/otel.py", "src/infercost/ingest/trace.py"),
          ("tests/test_mutants_ingest.py", "tests/test_ingest_focus.py",
           "tests/test_ingest_cur_gcp.py", "tests/test_ingest_usage.py",
           "tests/test_ingest_real_exports.py", "tests/test_bad_ingest.py",
           "tests/test_attribute_counts.py", "tests/test_otel_readers.py",
           "tests/test_bill_engine.py")),
)


@dataclass
class GroupResult:
    name: str
    status: str  # done | timed out | not run | failed
    seconds: float = 0.0
    total: int = 0
    killed: int = 0
    survived: int = 0
    timeout: int = 0
    no_tests: int = 0
    skipped: int = 0
    suspicious: int = 0
    not_checked: int = 0
    survivors: list[str] = field(default_factory=list)

    @property
    def counted(self) -> int:
        """Mutants that count: all but skipped and not yet checked (no tests = not killed)."""
        return self.total - self.skipped - self.not_checked

    @property
    def score(self) -> float | None:
        """(killed + timeout) / counted mutants, percent; a mutant no test reaches survives."""
        return 100.0 * (self.killed + self.timeout) / self.counted if self.counted else None


def _toml_list(items) -> str:
    return "[" + ", ".join(json.dumps(str(i)) for i in items) + "]"


def prepare(group: Group, work: Path) -> None:
    """A scratch copy of the repo with a [tool.mutmut] section for `group`."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in ("src", "tests", "examples", "benchmarks"):  # some tests run a benchmark script
        shutil.copytree(ROOT / name, work / name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    tests = [t for t in group.tests if (ROOT / t).exists()]
    text = (ROOT / "pyproject.toml").read_text()
    text += (
        "\n[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = {_toml_list(group.modules)}\n"
        'also_copy = ["examples", "benchmarks"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        'pytest_add_cli_args = ["-q", "-x", "-p", "no:randomly"]\n'
        "timeout_multiplier = 5.0\n"
        "timeout_constant = 10.0\n"
        "use_git_change_detection = false\n"
    )
    (work / "pyproject.toml").write_text(text)


def _mutmut() -> str:
    exe = os.environ.get("MUTATE_MUTMUT") or str(Path(sys.executable).with_name("mutmut"))
    if not Path(exe).exists() and not shutil.which(exe):
        sys.exit("error: mutmut is not installed; run: pip install 'mutmut>=3,<4'")
    return exe


def collect(work: Path, res: GroupResult, exe: str, env: dict) -> None:
    """Counts from mutmut's own files (results survive a time-out: they are per mutant)."""
    subprocess.run([exe, "export-cicd-stats"], cwd=work, env=env, capture_output=True, timeout=600)
    stats = work / "mutants" / "mutmut-cicd-stats.json"
    if stats.exists():
        s = json.loads(stats.read_text())
        for k in ("total", "killed", "survived", "timeout", "no_tests", "skipped", "suspicious"):
            setattr(res, k, int(s.get(k, 0)))
    out = subprocess.run([exe, "results", "--all", "true"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=600).stdout
    for line in out.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if status in ("survived", "no tests"):
            res.survivors.append(name)
        elif status == "not checked":
            res.not_checked += 1


def run_group(group: Group, base: Path, budget_s: float, jobs: int, exe: str) -> GroupResult:
    res = GroupResult(group.name, "done")
    work = base / group.name
    prepare(group, work)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.setdefault("INFERCOST_SHARED", str(ROOT.parent / "shared"))
    env["HYPOTHESIS_PROFILE"] = "mutate"
    t0 = time.monotonic()
    log = (work / "mutmut.log").open("w")
    proc = subprocess.Popen([exe, "run", "--max-children", str(jobs)], cwd=work, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        rc = proc.wait(timeout=max(budget_s, 1))
        if rc != 0:
            res.status = f"failed (mutmut exit {rc}; see {work / 'mutmut.log'})"
    except subprocess.TimeoutExpired:
        res.status = "timed out (partial counts)"
    finally:  # also on Ctrl-C / SIGTERM: never leave mutmut's workers behind
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    log.close()
    res.seconds = round(time.monotonic() - t0, 1)
    collect(work, res, exe, env)
    return res


#: groups that overlap others: run only when MUTATE_GROUPS names them
NAMED_ONLY = frozenset({"perf3", "ingest"})


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally clauses
    minutes = float(os.environ.get("MUTATE_MINUTES", "60"))
    wanted = [g.strip() for g in os.environ.get("MUTATE_GROUPS", "").split(",") if g.strip()]
    known = {g.name: g for g in GROUPS}
    unknown = [w for w in wanted if w not in known]
    if unknown:
        print(f"error: MUTATE_GROUPS: unknown group(s) {', '.join(unknown)}; "
              f"known: {', '.join(known)}", file=sys.stderr)
        return 2
    # by default each module once: perf3 re-runs three of perf's modules, and ingest is
    # ingest_bill + ingest_usage + bill_engine and backends (named, they run)
    groups = [known[w] for w in wanted] if wanted else [
        g for g in GROUPS if g.name not in NAMED_ONLY]
    jobs = int(os.environ.get("MUTATE_JOBS", str(os.cpu_count() or 1)))
    base = Path(os.environ.get("MUTATE_DIR") or Path(tempfile.gettempdir()) / "infercost-mutate")
    exe = _mutmut()
    deadline = time.monotonic() + minutes * 60
    results: list[GroupResult] = []
    for g in groups:
        left = deadline - time.monotonic()
        if left < 30:
            results.append(GroupResult(g.name, "not run (time box spent)"))
            continue
        print(f"== {g.name}: mutating {', '.join(g.modules)} ({left / 60:.0f} min left)", flush=True)
        r = run_group(g, base, left, jobs, exe)
        results.append(r)
        _print(r)
    base.mkdir(parents=True, exist_ok=True)
    (base / "summary.json").write_text(json.dumps(
        [asdict(r) | {"score": r.score} for r in results], indent=2))
    print("\ngroup        total killed survived timeout no-tests  score  status")
    for r in results:
        score = f"{r.score:5.1f}%" if r.score is not None else "    -"
        print(f"{r.name:<12} {r.total:5} {r.killed:6} {r.survived:8} {r.timeout:7} "
              f"{r.no_tests:8} {score}  {r.status}")
    print(f"details: {base / 'summary.json'}")
    return 0


def _print(r: GroupResult) -> None:
    score = f"{r.score:.1f}%" if r.score is not None else "n/a"
    print(f"   {r.status} in {r.seconds:.0f} s: {r.total} mutants, {r.killed} killed, "
          f"{r.survived} survived, {r.timeout} timeout, {r.no_tests} no tests, "
          f"{r.not_checked} not checked; score {score}", flush=True)
    for s in r.survivors:
        print(f"   survived: {s}")


if __name__ == "__main__":
    sys.exit(main())
