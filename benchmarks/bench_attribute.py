"""Benchmark `infercost attribute` against its floor, in one run.

    python benchmarks/bench_attribute.py --rows 100000000 --bill-rows 10000000

Generates the month if absent (gen_attribute_data.py), then measures, each in its own
process (wall time, peak RSS of that process):

  ours_full   run_attribution: every output, duplicate check included; the bill read and
              reduced in the engine (bill_rows_in_python: what reached pandas) (compare with
              floor_req, which also writes per-request costs, or floor + floor_req)
  ours_lean   the same without requests.parquet and without the duplicate check
  floor       one hand-written DuckDB SQL query computing the same default allocation
              (busy-time split of each fleet resource-hour, aggregated by day, model,
              version, endpoint, tenant); floats, no validation, no idle/shared report
  floor_req   the same query writing per-request costs to Parquet (what requests.parquet is)
  pandas      pandas doing the default allocation on a --pandas-rows slice (default 10 M)

and prints the ratios: ours / floor (target <= 1.5; a phase given twice, as in
`--phases floor,ours_lean,floor,ours_lean`, counts by its median run, and each lean run
is also set against the floor run before it), pandas per-row time / ours per-row
time (target > 10), peak memory (target < 8 GB), and each phase's CPU-seconds (user +
system, every thread: cpu_s / cores is the wall time a phase could reach with every core
busy). DuckDB gets the same memory limit in
every phase (--memory-limit, default 6GB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FLOOR_SQL = """
WITH w AS (
  SELECT resource_id, date_trunc('hour', timestamp) AS hour, sum(duration_ms) AS W
  FROM read_parquet('{usage}') GROUP BY ALL
),
fleet AS (
  SELECT ResourceId AS resource_id, date_trunc('hour', ChargePeriodStart) AS hour,
         sum(CAST(EffectiveCost AS DOUBLE)) AS cost
  FROM read_parquet('{bill}')
  WHERE ResourceId IN (SELECT resource_id FROM w)
  GROUP BY ALL
),
rate AS (SELECT resource_id, hour, cost / W AS per_ms FROM w JOIN fleet USING (resource_id, hour))
{select}
"""
FLOOR_AGG = """
SELECT CAST(u.timestamp AS DATE) AS day, model, model_version, endpoint, tenant,
       count(*) AS requests, sum(input_tokens) AS input_tokens,
       sum(output_tokens) AS output_tokens, sum(u.duration_ms * r.per_ms) AS cost
FROM read_parquet('{usage}') u
JOIN rate r ON u.resource_id = r.resource_id AND date_trunc('hour', u.timestamp) = r.hour
GROUP BY ALL
"""
FLOOR_REQ = """
SELECT u.*, u.duration_ms * r.per_ms AS cost
FROM read_parquet('{usage}') u
JOIN rate r ON u.resource_id = r.resource_id AND date_trunc('hour', u.timestamp) = r.hour
"""


def phase(name: str, args: argparse.Namespace, data: Path) -> dict:
    """Run one phase in a child process; returns its JSON result plus wall time and RSS."""
    code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import bench_attribute as b; " \
           f"b.child({name!r}, {str(data)!r}, {args.pandas_rows}, {args.memory_limit!r})"
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={**os.environ, "INFERCOST_DUCKDB_MEMORY": args.memory_limit})
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{p.stderr[-3000:]}")
    lines = [x for x in p.stdout.splitlines() if x.startswith('{"phase"')]
    res = json.loads(lines[-1])
    res["process_wall_s"] = round(wall, 2)
    return res


def child(name: str, data: str, pandas_rows: int, memory_limit: str) -> None:
    import resource

    data_p = Path(data)
    usage = str(data_p / "usage" / "*.parquet")
    bill = str(data_p / "bill.parquet")
    out = data_p / f"out-{name}"
    t0 = time.perf_counter()
    extra: dict = {}
    if name.startswith("ours"):
        from infercost.allocation.run import run_attribution

        full = name == "ours_full"
        s = run_attribution(bill, usage, out, check_duplicates=full, write_requests=full)
        extra = {"allocated": str(s["totals"]["allocated"]), "idle": str(s["totals"]["idle"]),
                 "conservation": s["conservation"]["holds"], "rows": s["rows"]["usage_read"],
                 "timings": s["_timings_s"],
                 "bill_rows_in_python": s["_bill_reader"]["rows_in_python"],
                 "bill_in_engine": bool(s["_bill_reader"]["engine"])}
    elif name.startswith("floor"):
        import duckdb

        con = duckdb.connect()
        con.execute("SET TimeZone='UTC'")
        con.execute(f"SET memory_limit='{memory_limit}'")
        con.execute("SET preserve_insertion_order=false")
        con.execute("SET enable_progress_bar=false")
        if name == "floor":
            q = FLOOR_SQL.format(usage=usage, bill=bill,
                                 select=FLOOR_AGG.format(usage=usage))
            df = con.execute(q).df()
            extra = {"allocated": f"{df['cost'].sum():.6f}", "rows": int(df["requests"].sum())}
        else:
            out.mkdir(exist_ok=True)
            q = FLOOR_SQL.format(usage=usage, bill=bill,
                                 select=FLOOR_REQ.format(usage=usage))
            con.execute(f"COPY ({q}) TO '{out / 'requests.parquet'}' (FORMAT parquet, "
                        "COMPRESSION zstd)")
    elif name == "pandas":
        import pandas as pd
        import pyarrow.dataset as ds

        d = ds.dataset(str(data_p / "usage"), format="parquet")
        u = d.head(pandas_rows).to_pandas()
        b = pd.read_parquet(bill)
        t_load = time.perf_counter()  # wall_s includes reading, like the other phases
        u["hour"] = u["timestamp"].dt.floor("h")
        b = b[b["ResourceId"].isin(set(u["resource_id"].unique()))].copy()
        b["hour"] = pd.to_datetime(b["ChargePeriodStart"]).dt.floor("h")
        b["cost"] = b["EffectiveCost"].astype(float)
        f = b.groupby(["ResourceId", "hour"], as_index=False)["cost"].sum().rename(
            columns={"ResourceId": "resource_id"})
        w = u.groupby(["resource_id", "hour"], as_index=False)["duration_ms"].sum().rename(
            columns={"duration_ms": "W"})
        j = u.merge(w, on=["resource_id", "hour"]).merge(f, on=["resource_id", "hour"])
        j["share"] = j["cost"] * j["duration_ms"] / j["W"]
        j["day"] = j["timestamp"].dt.date
        agg = j.groupby(["day", "model", "model_version", "endpoint", "tenant"],
                        as_index=False).agg(requests=("share", "size"),
                                            input_tokens=("input_tokens", "sum"),
                                            output_tokens=("output_tokens", "sum"),
                                            cost=("share", "sum"))
        extra = {"rows": len(u), "groups": len(agg),
                 "compute_only_s": round(time.perf_counter() - t_load, 2)}
    wall = time.perf_counter() - t0
    use = resource.getrusage(resource.RUSAGE_SELF)
    rss = use.ru_maxrss * 1024
    # CPU-seconds of every thread (user + system): on a machine of few cores, the wall
    # time a phase could reach with every core busy is cpu_s / cores
    print(json.dumps({"phase": name, "wall_s": round(wall, 2), "peak_rss_gb":
                      round(rss / 1e9, 2), "cpu_s": round(use.ru_utime + use.ru_stime, 1),
                      **extra}))


def main() -> None:
    ap = argparse.ArgumentParser(description="benchmark infercost attribute")
    ap.add_argument("--rows", type=int, default=100_000_000)
    ap.add_argument("--bill-rows", type=int, default=10_000_000)
    ap.add_argument("--resources", type=int, default=1000)
    ap.add_argument("--pandas-rows", type=int, default=None)
    ap.add_argument("--memory-limit", default="6GB")
    ap.add_argument("--phases", default="ours_full,ours_lean,floor,floor_req,pandas")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args()
    args.pandas_rows = args.pandas_rows or min(args.rows, 10_000_000)
    data = HERE / "data" / f"attr-{args.rows}-{args.bill_rows}"
    if not (data / "bill.parquet").exists():
        sys.path.insert(0, str(HERE))
        from gen_attribute_data import generate

        print("generating", generate(data, args.rows, args.bill_rows, args.resources),
              flush=True)
    runs: dict[str, list[dict]] = {}
    for name in args.phases.split(","):
        runs.setdefault(name, []).append(phase(name, args, data))
        print(json.dumps(runs[name][-1]), flush=True)
    # a phase given more than once (floor,ours_lean,floor,ours_lean): its median run
    # (wall time) stands for it in the ratios; every run is kept in the JSON
    r = {k: sorted(v, key=lambda x: x["wall_s"])[(len(v) - 1) // 2] for k, v in runs.items()}
    report = {"rows": args.rows, "bill_rows": args.bill_rows, "pandas_rows": args.pandas_rows,
              "cpus": os.cpu_count()}
    if "floor" in r:
        for k in ("ours_full", "ours_lean"):
            if k in r:
                report[f"{k}_vs_floor"] = round(r[k]["wall_s"] / r["floor"]["wall_s"], 2)
        if "ours_full" in r and "floor_req" in r:
            report["ours_full_vs_floor_plus_floor_req"] = round(
                r["ours_full"]["wall_s"] / (r["floor"]["wall_s"] + r["floor_req"]["wall_s"]), 2)
    if "ours_full" in r and "floor_req" in r:
        # the fair floor for a run that writes per-request costs writes them too
        report["ours_full_vs_floor_req"] = round(
            r["ours_full"]["wall_s"] / r["floor_req"]["wall_s"], 2)
    if "pandas" in r:
        per_row_pd = r["pandas"]["wall_s"] / args.pandas_rows
        for k in ("ours_full", "ours_lean"):
            if k in r:
                report[f"pandas_per_row_vs_{k}"] = round(per_row_pd / (r[k]["wall_s"] / args.rows), 1)
    if "floor" in r and "ours_lean" in r:
        report["ours_lean_cpu_vs_floor_cpu"] = round(
            r["ours_lean"]["cpu_s"] / r["floor"]["cpu_s"], 2)
    if len(runs.get("floor", [])) > 1 and len(runs.get("ours_lean", [])) > 1:
        # each lean run against the floor run just before it (the same minutes)
        report["ours_lean_vs_floor_each"] = [
            round(o["wall_s"] / f["wall_s"], 2)
            for f, o in zip(runs["floor"], runs["ours_lean"], strict=False)]
    report["peak_rss_gb"] = {k: max(x["peak_rss_gb"] for x in v) for k, v in runs.items()}
    report["cpu_s"] = {k: [x["cpu_s"] for x in v] if len(v) > 1 else v[0]["cpu_s"]
                       for k, v in runs.items()}
    report["wall_s"] = {k: [x["wall_s"] for x in v] if len(v) > 1 else v[0]["wall_s"]
                        for k, v in runs.items()}
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps({"report": report, "phases": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
