"""Small builders shared by the attribution tests: FOCUS bills and usage logs in memory."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd

H0 = pd.Timestamp("2026-10-01 00:00:00")


def hour(h: float) -> str:
    return str(H0 + pd.Timedelta(hours=h))


def focus_row(cost, resource=None, start=0, hours=1, category="Usage", service="Compute",
              billed=None, currency="USD", provider="AWS", tags=None, **extra) -> dict:
    """One FOCUS row costing `cost` (EffectiveCost) from hour `start` for `hours` hours."""
    import json

    row = {
        "BilledCost": str(billed if billed is not None else cost),
        "EffectiveCost": str(cost),
        "BillingCurrency": currency,
        "ChargeCategory": category,
        "ChargePeriodStart": hour(start),
        "ChargePeriodEnd": hour(start + hours),
        "BillingPeriodStart": "2026-10-01 00:00:00",
        "BillingPeriodEnd": "2026-11-01 00:00:00",
        "ResourceId": resource if resource is not None else "NULL",
        "ServiceCategory": service,
        "ServiceName": extra.pop("ServiceName", "Amazon Elastic Compute Cloud"),
        "ProviderName": provider,
        "Tags": json.dumps(tags) if tags else "NULL",
    }
    row.update(extra)
    return row


def usage_row(rid, resource, at_hour, duration_ms, model="m", version="1", endpoint="/e",
              tenant="t", tin=0, tout=0, **extra) -> dict:
    return {
        "timestamp": H0 + pd.Timedelta(hours=at_hour),
        "request_id": rid, "model": model, "model_version": version, "endpoint": endpoint,
        "tenant": tenant, "resource_id": resource, "duration_ms": duration_ms,
        "input_tokens": tin, "output_tokens": tout, **extra,
    }


def make_bill(rows: list[dict]):
    from infercost.ingest.bill import Bill
    from infercost.ingest.focus import normalize

    df = pd.DataFrame(rows).astype(object)
    b = Bill(rows=normalize(df, "bill.csv"), sources=["bill.csv"], format="focus",
             rows_read=len(df))
    return b


def make_usage(con, rows: list[dict]):
    import ibis
    import pyarrow as pa

    from infercost.ingest.usage import Usage, normalize

    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame({k: pd.Series(dtype=t) for k, t in (
            ("timestamp", "datetime64[us]"), ("request_id", object), ("model", object),
            ("model_version", object), ("endpoint", object), ("tenant", object),
            ("resource_id", object), ("duration_ms", "float64"), ("input_tokens", "int64"),
            ("output_tokens", "int64"))})
    df["timestamp"] = pd.to_datetime(df["timestamp"]).astype("datetime64[us]")
    t = pa.Table.from_pandas(df, preserve_index=False)
    raw = ibis.memtable(t) if con.name == "duckdb" else con.create_table(
        "usage_test", df, overwrite=True)
    return Usage(table=normalize(raw), files=[Path("usage.parquet")], kinds=["parquet"],
                 has_gpu_ms="gpu_ms" in df.columns, has_tokens=True)


def attribute_rows(bill_rows, usage_rows, rules: dict | None = None, con=None, with_requests=False):
    """Run the engine on in-memory rows; returns the Attribution (and requests if asked)."""
    from infercost.allocation.engine import attribute
    from infercost.allocation.rules import parse_rules
    from infercost.ingest.backends import connect

    con = con or connect("duckdb")
    bill = make_bill(bill_rows)
    usage = make_usage(con, usage_rows)
    with tempfile.TemporaryDirectory() as tmp:
        res = attribute(bill, usage, parse_rules(rules or {}), con, Path(tmp))
        if with_requests:
            import pyarrow.parquet as pq

            req = pq.read_table(Path(tmp) / "requests.parquet").to_pandas()
            return res, req
    return res


def alloc(res, **match) -> Decimal:
    """Sum of `cost` over allocation rows matching the given column values."""
    t = res.allocations
    m = pd.Series(True, index=t.index)
    for k, v in match.items():
        m &= t[k] == v
    return sum(t.loc[m, "cost"], Decimal(0))


def D(x) -> Decimal:
    return Decimal(str(x))


def attribute_fails(cli, *args) -> str:
    """The one error line of an `infercost attribute` run that must exit 2 (no
    traceback), without its `error: ` prefix."""
    code, out, err = cli("attribute", *map(str, args))
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0][len("error: "):]


def attribute_json(cli, *args) -> dict:
    """The summary (`--json`) of an `infercost attribute` run that must exit 0."""
    import json

    code, out, err = cli("attribute", *map(str, args), "--json")
    assert code == 0, err
    return json.loads(out)
