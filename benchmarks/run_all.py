"""Run every benchmark (`benchmarks/bench_*.py`) in turn: `make bench` or
`.venv/bin/python benchmarks/run_all.py [--only NAME] [-- extra args for each]`.

Each benchmark prints its own table with ratios against a baseline measured in the same
run; this runner only sequences them and reports which failed their targets.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="substring of the benchmark file name")
    ap.add_argument("extra", nargs="*", help="arguments passed to each benchmark")
    args = ap.parse_args()
    failed = []
    for f in sorted(HERE.glob("bench_*.py")):
        if args.only and args.only not in f.name:
            continue
        print(f"\n=== {f.name} ===", flush=True)
        t = time.perf_counter()
        r = subprocess.run([sys.executable, str(f), *args.extra])
        print(f"--- {f.name}: exit {r.returncode} in {time.perf_counter() - t:.1f} s", flush=True)
        if r.returncode != 0:
            failed.append(f.name)
    if failed:
        print(f"\nmissed targets or failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
