"""Generate a benchmark month for `infercost attribute`: a FOCUS bill and a usage log.

Everything is produced inside DuckDB (`COPY (SELECT ... FROM range(n)) TO ...`), so the
100 M-row log never sits in Python memory. Deterministic: values come from hash(i).

    python benchmarks/gen_attribute_data.py --rows 100000000 --bill-rows 1000000

Layout under --out (default benchmarks/data/attr-<rows>-<bill rows>): bill.parquet, usage/*.parquet.
Fleet: `--resources` instances (default 1000) billed every hour of October 2026 (744 h),
so the fleet is resources x 744 bill rows; the rest of --bill-rows are non-fleet rows
(storage, networking, tax, credits). Each instance idles one hour in ten.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

HOURS = 744  # October 2026


def generate(out: Path, rows: int, bill_rows: int, resources: int = 1000,
             threads: int | None = None) -> dict:
    import duckdb

    out.mkdir(parents=True, exist_ok=True)
    (out / "usage").mkdir(exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone='UTC'")
    con.execute("SET preserve_insertion_order=false")
    if threads:
        con.execute(f"SET threads={threads}")
    t0 = time.perf_counter()
    fleet_rows = min(resources * HOURS, bill_rows)
    other = max(bill_rows - fleet_rows, 0)
    con.execute(f"""
    COPY (
      SELECT
        CAST(rate AS DECIMAL(18, 10)) AS BilledCost,
        CAST(rate * 0.9 AS DECIMAL(18, 10)) AS EffectiveCost,
        'USD' AS BillingCurrency,
        TIMESTAMP '2026-10-01' AS BillingPeriodStart,
        TIMESTAMP '2026-11-01' AS BillingPeriodEnd,
        TIMESTAMP '2026-10-01' + to_hours(h) AS ChargePeriodStart,
        TIMESTAMP '2026-10-01' + to_hours(h + 1) AS ChargePeriodEnd,
        'Usage' AS ChargeCategory, NULL::VARCHAR AS ChargeClass,
        'Usage-Based' AS ChargeFrequency, 'AWS' AS ProviderName,
        'i-' || lpad(CAST(r AS VARCHAR), 6, '0') AS ResourceId,
        'Compute' AS ServiceCategory, 'Amazon Elastic Compute Cloud' AS ServiceName,
        'BoxUsage:g6e.xlarge' AS SkuId, NULL::VARCHAR AS Tags
      FROM (SELECT i // {HOURS} AS r, i % {HOURS} AS h,
                   1.861 + (i // {HOURS}) % 7 * 0.5 + ((hash(i) % 1000) / 1e7) AS rate
            FROM range({fleet_rows}) t(i))
      UNION ALL
      SELECT
        CAST(v AS DECIMAL(18, 10)), CAST(v AS DECIMAL(18, 10)), 'USD',
        TIMESTAMP '2026-10-01', TIMESTAMP '2026-11-01',
        TIMESTAMP '2026-10-01' + to_hours(i % {HOURS}),
        TIMESTAMP '2026-10-01' + to_hours(i % {HOURS} + 1),
        CASE WHEN i % 997 = 0 THEN 'Tax' WHEN i % 991 = 0 THEN 'Credit' ELSE 'Usage' END,
        NULL, 'Usage-Based', 'AWS',
        CASE WHEN i % 3 = 0 THEN NULL ELSE 'bucket-' || CAST(i % 5000 AS VARCHAR) END,
        CASE i % 3 WHEN 0 THEN 'Networking' WHEN 1 THEN 'Storage' ELSE 'Databases' END,
        'Other service', 'SKU-' || CAST(i % 50 AS VARCHAR), NULL
      FROM (SELECT i, CASE WHEN i % 991 = 0 THEN -((hash(i) % 1000) / 1e4)
                           ELSE (hash(i) % 100000) / 1e6 END AS v
            FROM range({other}) t(i))
    ) TO '{out / "bill.parquet"}' (FORMAT parquet, COMPRESSION zstd)
    """)
    t_bill = time.perf_counter() - t0
    models = "['llama-3.1-8b','llama-3.1-70b','mistral-7b','qwen2.5-7b','gemma-2-9b','phi-3','mixtral-8x7b','all-minilm']"
    con.execute(f"""
    COPY (
      SELECT
        TIMESTAMP '2026-10-01' + to_microseconds(CAST(i * ({HOURS} * 3600000000 // {rows}) AS BIGINT))
          AS timestamp,
        'req-' || CAST(i AS VARCHAR) AS request_id,
        {models}[1 + (hash(i) % 8)::INT] AS model,
        'v' || CAST(1 + hash(i + 1) % 3 AS VARCHAR) AS model_version,
        ['/v1/chat/completions','/v1/completions','/v1/embeddings','/v1/responses'][1 + (hash(i + 2) % 4)::INT] AS endpoint,
        'tenant-' || CAST(hash(i + 3) % 50 AS VARCHAR) AS tenant,
        'i-' || lpad(CAST(CASE WHEN ((i * {HOURS} // {rows}) + res) % 10 = 0
                                 THEN (res + 5) % {resources} ELSE res END AS VARCHAR), 6, '0')
          AS resource_id,
        CAST(20 + hash(i + 4) % 5000 AS DOUBLE) / 4 AS duration_ms,
        CAST(hash(i + 5) % 4000 AS BIGINT) AS input_tokens,
        CAST(hash(i + 6) % 800 AS BIGINT) AS output_tokens,
        'ok' AS status
      FROM (SELECT i, hash(i + 7) % {resources} AS res FROM range({rows}) t(i))
    ) TO '{out / "usage"}' (FORMAT parquet, COMPRESSION zstd, PER_THREAD_OUTPUT true,
                            OVERWRITE_OR_IGNORE true)
    """)
    t_usage = time.perf_counter() - t0 - t_bill
    return {"out": str(out), "usage_rows": rows, "bill_rows": fleet_rows + other,
            "fleet_rows": fleet_rows, "resources": resources,
            "seconds": {"bill": round(t_bill, 1), "usage": round(t_usage, 1)}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000_000, help="usage rows")
    ap.add_argument("--bill-rows", type=int, default=1_000_000)
    ap.add_argument("--resources", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    out = a.out or Path(__file__).parent / "data" / f"attr-{a.rows}-{a.bill_rows}"
    print(generate(out, a.rows, a.bill_rows, a.resources))


if __name__ == "__main__":
    main()
