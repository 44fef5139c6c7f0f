"""Benchmark `infercost optimize`: candidates screened per second vs one `estimate` per candidate.

    python benchmarks/bench_optimize.py [--rate 300] [--estimates 40] [--finalists 20] [--backend ray]

On examples/sentiment-bert.yaml (perf-model service time, so hardware or MIG slice,
precision, engine and GPUs are searched; diurnal traffic, so autoscaling bounds too) at
--rate requests/s, in one run:

  screen     the vectorised grid screen (grid build included), candidates and seconds
  estimate   `capacity.estimate.estimate` on --estimates candidates of the same grid, one
             call each: the per-candidate baseline the screen replaces
  total      optimize() end to end: screen + the top --finalists simulated

Prints per-candidate times, the ratio estimate / screen per candidate (how many times
faster the screen is), and whether the target holds: >= 100,000 candidates screened plus
the top 20 simulated in < 60 s. Ratios, not absolute times, are what to compare across
machines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, default=300.0)
    ap.add_argument("--estimates", type=int, default=40)
    ap.add_argument("--finalists", type=int, default=20)
    ap.add_argument("--backend", default="local", help="local or ray (optimize end to end)")
    args, _ = ap.parse_known_args()  # run_all passes every benchmark the same extras

    import numpy as np

    from infercost.capacity.estimate import estimate
    from infercost.core.catalog import load_catalog
    from infercost.core.scenario import load_scenario
    from infercost.decide.grid import build_grid, variant
    from infercost.decide.optimize import _candidate, optimize, precision_quality, screen_grid

    cat = load_catalog()
    sc = load_scenario(ROOT / "examples" / "sentiment-bert.yaml", [f"workload.arrivals.rate_per_s={args.rate}"])

    t = time.perf_counter()
    grid = build_grid(sc, cat)
    s, _, _ = screen_grid(sc, grid)
    screen_s = time.perf_counter() - t
    n = len(s)
    cat = grid.catalog  # with the MIG slices

    rng = np.random.default_rng(0)
    pick = rng.choice(n, size=args.estimates, replace=False)
    q = precision_quality(sc)
    t = time.perf_counter()
    for i in pick:
        c = _candidate(grid, s, int(i), q)
        sets = c.sets()
        sets["deployment.tp"] = c.gpus_per_replica
        if c.autoscaled:
            sets["deployment.replicas"] = c.replicas
        estimate(variant(sc, sets), cat)
    est_s = (time.perf_counter() - t) / args.estimates

    t = time.perf_counter()
    res = optimize(sc, load_catalog(), finalists=args.finalists, backend=args.backend)
    total_s = time.perf_counter() - t
    auto = s.min_replicas < s.replicas
    mig = np.array([c.mig is not None for c in grid.configs])[s.config]

    per_screen = screen_s / n
    out = {
        "candidates": n,
        "configurations": len(grid.configs),
        "engines": sorted({c.engine for c in grid.configs}),
        "candidates_mig": int(mig.sum()),
        "candidates_autoscaled": int(auto.sum()),
        "backend": args.backend,
        "screen_s": round(screen_s, 3),
        "screen_per_candidate_us": round(per_screen * 1e6, 3),
        "candidates_per_s": round(n / screen_s),
        "estimate_per_candidate_ms": round(est_s * 1e3, 3),
        "ratio_estimate_over_screen": round(est_s / per_screen),
        "optimize_total_s": round(total_s, 3),
        "finalists_simulated": len(res.finalists),
        "target_met": bool(n >= 100_000 and len(res.finalists) >= min(20, args.finalists) and total_s < 60),
        "winner": res.winner.label,
    }
    print(json.dumps(out, indent=2))
    return 0 if out["target_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
