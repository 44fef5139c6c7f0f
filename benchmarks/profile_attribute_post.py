"""Where a lean attribution run spends its Python time after the engine passes.

    PYTHONPATH=src python benchmarks/profile_attribute_post.py \
        benchmarks/data/attr-1000000-300000 [--out DIR] [--runs N]

Runs `run_attribution(..., check_duplicates=False, write_requests=False)` on a month made
by gen_attribute_data.py and prints, per run, the wall and CPU seconds of the steps after
the engine: the breakdowns (built, then `to_dict`), the energy block (catalog load
included) and `write_outputs` (allocations.csv, allocations.parquet, summary.json). The
first run of a process is what the CLI sees (catalog parse, first imports); later runs
are warm. CPU seconds are the steadier figure on a shared machine. Not a `bench_*` file:
it has no target, only a breakdown (compare two checkouts in the same minutes).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("INFERCOST_DUCKDB_MEMORY", "5GB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("month", help="folder with bill.parquet and usage/*.parquet")
    ap.add_argument("--out", help="output folder (default: a temporary one)")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()

    import infercost.allocation.breakdowns as bd
    import infercost.allocation.run as run

    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(owner, name: str, key: str) -> None:
        f = getattr(owner, name)

        def wrapper(*a, **k):
            t, c = time.perf_counter(), time.process_time()
            try:
                return f(*a, **k)
            finally:
                wall[key] = wall.get(key, 0.0) + time.perf_counter() - t
                cpu[key] = cpu.get(key, 0.0) + time.process_time() - c

        setattr(owner, name, wrapper)

    timed(bd, "attribution_breakdowns", "breakdowns_build")
    timed(bd.AttributionBreakdowns, "to_dict", "breakdowns_to_dict")
    timed(run, "_energy", "energy")
    timed(run, "write_outputs", "write_outputs")
    tmp = None if args.out else tempfile.TemporaryDirectory(prefix="attr-post-")
    out = args.out or tmp.name
    for i in range(args.runs):
        wall.clear()
        cpu.clear()
        t = time.perf_counter()
        run.run_attribution(f"{args.month}/bill.parquet", f"{args.month}/usage/*.parquet", out,
                            check_duplicates=False, write_requests=False)
        total = time.perf_counter() - t
        print(f"run {i + 1}: whole run {total:.2f} s wall")
        print(f"  {'step':20s} {'wall s':>8s} {'cpu s':>8s}")
        for k in wall:
            print(f"  {k:20s} {wall[k]:8.3f} {cpu[k]:8.3f}")
        print(f"  {'after the engine':20s} {sum(wall.values()):8.3f} {sum(cpu.values()):8.3f}")
    sys.stdout.flush()
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
