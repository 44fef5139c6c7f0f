"""The two scans of the usage log, each against the floor's matching query, in one run.

    python benchmarks/bench_attribute_passes.py [--rows 100000000 --bill-rows 10000000]
        [--reps 3]

On the month `bench_attribute.py` generates (run that first), on one DuckDB connection,
alternating, `--reps` times each:

  pass1    `allocation.engine.resource_hours`: per (resource_id, hour) rows, accepted rows
           and the driver weight (without per-row reasons when the footers allow)
  pass1c   the same, always with the per-row rejection reasons (the checked query)
  floorW   the floor's matching subquery: sum(duration_ms) per resource and hour
  pass4    `aggregate_costs(request_costs(...))`: every usage row joined to its
           resource-hour (exact integer split, status codes), summed by day, model,
           version, endpoint, tenant and status (the lean run's aggregate)
  floor2   the floor's join and aggregate (floats), against the same resource-hour table

The resource-hour table both join is made once from pass 1 and the bill's fleet rows
(hourly sums of EffectiveCost, in 1e-10 quanta). Prints each time (wall and CPU-seconds
of every thread) and the median ratios pass1/floorW (pass1c/floorW) and pass4/floor2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description="time the usage passes against the floor's")
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--bill-rows", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--memory-limit", default="5GB")
    args = ap.parse_args()
    data = HERE / "data" / f"attr-{args.rows}-{args.bill_rows}"
    if not (data / "bill.parquet").exists():
        raise SystemExit(f"no data in {data}: run bench_attribute.py with the same sizes first")
    os.environ.setdefault("INFERCOST_DUCKDB_MEMORY", args.memory_limit)
    import pandas as pd

    from infercost.allocation import engine as E
    from infercost.allocation.rules import load_rules
    from infercost.ingest.backends import connect, to_arrow
    from infercost.ingest.usage import read_usage

    usage_glob = str(data / "usage" / "*.parquet")
    con = connect("duckdb")
    usage = read_usage(con, usage_glob)
    rules = load_rules(None)
    gdf, _ = E.resource_hours(con, usage, rules)
    clean = int(gdf["n"].sum()) == int(gdf["n_ok"].sum())
    con.create_table("bench_w", gdf[["resource_id", "hour", "W"]], temp=True, overwrite=True)
    con.raw_sql(f"""CREATE OR REPLACE TEMP TABLE bench_rh AS
        WITH c AS (SELECT ResourceId AS resource_id,
                          date_trunc('hour', ChargePeriodStart) AS hour,
                          CAST(floor(sum(CAST(EffectiveCost AS DOUBLE)) * 1e10) AS BIGINT) AS cq
                   FROM read_parquet('{data / "bill.parquet"}')
                   WHERE ResourceId IN (SELECT resource_id FROM bench_w) GROUP BY ALL)
        SELECT c.resource_id, CAST(c.hour AS TIMESTAMP) AS hour,
               CAST(CASE WHEN w.W > 0 THEN c.cq // w.W ELSE 0 END AS BIGINT) AS q,
               CAST(CASE WHEN w.W > 0 THEN c.cq % w.W ELSE 0 END AS BIGINT) AS r,
               CAST(CASE WHEN w.W > 0 THEN w.W ELSE 1 END AS BIGINT) AS den,
               coalesce(w.W, 0) > 0 AS live, CAST(0 AS TINYINT) AS wk
        FROM c LEFT JOIN bench_w w USING (resource_id, hour)""")
    rht = con.table("bench_rh")
    u = E.prepared(usage, rules, clean=clean)
    ps, pe = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-11-01")
    pass4 = E.aggregate_costs(E.request_costs(u, rht, False, ps, pe))
    floor_w = (f"SELECT resource_id, date_trunc('hour', timestamp) AS hour, "
               f"sum(duration_ms) AS W FROM read_parquet('{usage_glob}') GROUP BY ALL")
    floor_2 = (f"SELECT CAST(u.timestamp AS DATE) AS day, model, model_version, endpoint, "
               f"tenant, count(*) AS requests, sum(input_tokens) AS input_tokens, "
               f"sum(output_tokens) AS output_tokens, sum(u.duration_ms * r.q) AS cost "
               f"FROM read_parquet('{usage_glob}') u JOIN bench_rh r "
               f"ON u.resource_id = r.resource_id "
               f"AND date_trunc('hour', u.timestamp) = r.hour GROUP BY ALL")
    raw = con.con

    def checked():
        plan = E.plan_resource_hours(con, usage, rules)
        plan.unchecked = None
        return E.run_resource_hours(plan)

    runs = {
        "pass1": lambda: E.resource_hours(con, usage, rules),
        "pass1c": lambda: checked(),
        "floorW": lambda: raw.sql(floor_w).to_arrow_table(),
        "pass4": lambda: to_arrow(con, pass4),
        "floor2": lambda: raw.sql(floor_2).to_arrow_table(),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.reps):
        for name, fn in runs.items():
            c0, t0 = _cpu_s(), time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(_cpu_s() - c0)
            print(f"{name:7s} {times[name][-1]:6.2f} s  {cpu[name][-1]:6.2f} CPU-s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"clean log: {clean}; medians: " + ", ".join(
        f"{k} {v:.2f} s ({statistics.median(cpu[k]):.1f} CPU-s)" for k, v in med.items()))
    print(f"pass1 / floorW {med['pass1'] / med['floorW']:.2f}x (checked "
          f"{med['pass1c'] / med['floorW']:.2f}x), "
          f"pass4 / floor2 {med['pass4'] / med['floor2']:.2f}x, "
          f"both / floor's two {(med['pass1'] + med['pass4']) / (med['floorW'] + med['floor2']):.2f}x")


def _cpu_s() -> float:
    """CPU-seconds of this process so far (user + system, every thread)."""
    import resource

    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


if __name__ == "__main__":
    main()
