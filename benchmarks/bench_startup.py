"""Start-up speed: `infercost --help` (target < 0.3 s) and `estimate` (target < 1 s).

Baseline in the same run: a bare `python -c pass`, so the ratio shows what infercost
adds on top of the interpreter itself. Run: `.venv/bin/python benchmarks/bench_startup.py`.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).with_name("infercost")


def timed(cmd: list[str], reps: int = 7) -> float:
    """Median wall seconds of `reps` runs (after one warm-up run)."""
    subprocess.run(cmd, capture_output=True, check=False, cwd=ROOT)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"{cmd} failed: {r.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> None:
    base = timed([sys.executable, "-c", "pass"])
    rows = [
        ("infercost --help", [str(EXE), "--help"], 0.3),
        ("infercost estimate chatbot", [str(EXE), "estimate", "examples/chatbot.yaml"], 1.0),
        ("infercost estimate chatbot --json", [str(EXE), "estimate", "examples/chatbot.yaml", "--json"], 1.0),
    ]
    print(f"{'command':38} {'median s':>9} {'x python':>9} {'target s':>9}  ok")
    print(f"{'python -c pass (baseline)':38} {base:9.3f} {1.0:9.1f}")
    ok = True
    for name, cmd, target in rows:
        t = timed(cmd)
        ok &= t < target
        print(f"{name:38} {t:9.3f} {t / base:9.1f} {target:9.2f}  {'yes' if t < target else 'NO'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
