"""The GCP billing export (BigQuery `gcp_billing_export_v1_*` / `_resource_v1_*`).

Read as exported to JSON (newline-delimited, nested records) or CSV (nested fields as
dotted columns such as `service.description`, `credits` as a JSON string). Mapping:

| FOCUS | GCP export |
|---|---|
| BilledCost, EffectiveCost | `cost` (one row per export row) |
| credits | each entry of the `credits` array becomes its own row: ChargeCategory Credit, amount = credits.amount, label from credits.type (COMMITTED_USAGE_DISCOUNT*: commitment_used, SUSTAINED_USAGE_DISCOUNT / DISCOUNT: discount, others: credit) |
| ChargeCategory | cost_type regular: Usage; tax: Tax; adjustment: Adjustment (ChargeClass Correction); rounding error: Adjustment |
| ChargePeriodStart/End | usage_start_time / usage_end_time |
| BillingPeriodStart/End | invoice.month (YYYYMM): the calendar month in US Pacific time, Google's billing time zone (so 07:00 or 08:00 UTC on the 1st) |
| ResourceId | resource.global_name, else resource.name |
| ServiceName, SkuId | service.description, sku.id |
| BillingCurrency | currency |
| Tags | labels (ARRAY<STRUCT<key, value>>) |

So net cost = cost + sum of credits holds on the normalized rows, and credits are never
merged away.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from infercost.errors import InputError
from infercost.ingest.billrows import (
    check_row_fields,
    clean_str,
    finish,
    is_null,
    parse_amounts,
    parse_tags,
    parse_times,
    require,
)

SERVICE_CATEGORY = {
    "Compute Engine": "Compute", "Kubernetes Engine": "Compute", "Cloud Run": "Compute",
    "Cloud Storage": "Storage", "Networking": "Networking", "Cloud CDN": "Networking",
    "Vertex AI": "AI and Machine Learning", "Cloud SQL": "Databases", "BigQuery": "Analytics",
    "Cloud Logging": "Management and Governance", "Cloud Monitoring": "Management and Governance",
}  # fmt: skip


def _get(rec: dict, dotted: str):
    """`service.description` from a nested record or a flattened column."""
    if dotted in rec:
        return rec[dotted]
    cur = rec
    for part in dotted.split("."):
        if isinstance(cur, str) and cur.strip().startswith("{"):
            try:
                cur = json.loads(cur)
            except json.JSONDecodeError:
                return None
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def normalize(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Map a GCP export table onto `BILL_COLUMNS`, one extra row per credit."""
    require(raw, ["cost", "currency"], source, "GCP billing export")
    has_start = "usage_start_time" in raw.columns
    if not has_start:
        raise InputError("GCP billing export: missing required column usage_start_time", source)
    records = raw.to_dict("records")
    out = []
    for i, rec in enumerate(records, start=1):
        base = {
            "row": i,
            "source": source,
            "provider": "Google Cloud",
            "currency": _s(rec.get("currency")),
            "service_name": _s(_get(rec, "service.description")),
            "sku_id": _s(_get(rec, "sku.id")),
            "resource_id": _s(_get(rec, "resource.global_name")) or _s(_get(rec, "resource.name")),
            "resource_name": _s(_get(rec, "resource.name")),
            "description": _s(_get(rec, "sku.description")),
            "pricing_unit": _s(_get(rec, "usage.pricing_unit")),
            "cs": rec.get("usage_start_time"),
            "ce": rec.get("usage_end_time"),
            "month": _s(_get(rec, "invoice.month")) or "",  # "", not NaN, when absent
            "tags": parse_tags(rec.get("labels")),
            "charge_frequency": "Usage-Based",
        }
        ct = (_s(rec.get("cost_type")) or "regular").lower()
        cat, cls, label = {
            "regular": ("Usage", None, "usage"),
            "tax": ("Tax", None, "tax"),
            "adjustment": ("Adjustment", "Correction", "correction"),
            "rounding error": ("Adjustment", None, "adjustment"),
        }.get(ct, ("Adjustment", None, "adjustment"))
        out.append({**base, "amount": rec.get("cost"), "charge_category": cat,
                    "charge_class": cls, "label": label, "commitment_status": None})
        credits = _credits(rec.get("credits"), f"{source}: row {i}")
        for c in credits:
            ctype = str(c.get("type") or "").upper()
            lab = ("commitment_used" if ctype.startswith("COMMITTED_USAGE_DISCOUNT")
                   else "discount" if ctype in ("SUSTAINED_USAGE_DISCOUNT", "DISCOUNT")
                   else "credit")
            out.append({**base, "amount": c.get("amount"), "charge_category": "Credit",
                        "charge_class": None, "label": lab,
                        "commitment_status": "Used" if lab == "commitment_used" else None,
                        "description": _s(c.get("full_name")) or _s(c.get("name"))})
    df = pd.DataFrame(out)
    rows = df["row"]
    amounts = parse_amounts(df["amount"], "cost", source, rows)
    none = df["amount"].map(is_null).to_numpy(dtype=bool)
    notes = []
    if none.any():  # (a credit row's amount is credits[].amount)
        n = int(none.sum())
        notes.append(f"{source}: {n} cost or credit amount{'s' if n > 1 else ''} missing "
                     f"(first: row {rows.iloc[int(np.flatnonzero(none)[0])]}): taken as 0")
    df["billed_cost"] = amounts
    df["effective_cost"] = amounts
    df["currency"] = df["currency"].map(lambda c: c.upper() if isinstance(c, str) and c else None)
    df["charge_start"] = parse_times(df["cs"], "usage_start_time", source, rows)
    df["charge_end"] = parse_times(df["ce"], "usage_end_time", source, rows)
    bad = df["month"].map(lambda m: bool(m) and not (len(m) == 6 and m.isdigit()
                                                     and 1 <= int(m[4:]) <= 12))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
        raise InputError(f"column invoice.month: expected YYYYMM (as 202610), got "
                         f"{df['month'].iloc[i]!r}", f"{source}: row {rows.iloc[i]}")
    month = df["month"].map(lambda m: f"{m[:4]}-{m[4:6]}-01" if m else None)
    bs = parse_times(month, "invoice.month", source, rows)  # local midnight, as naive
    df["billing_start"] = _pacific_to_utc(bs)
    df["billing_end"] = _pacific_to_utc(
        bs.map(lambda t: t + pd.offsets.MonthBegin(1) if not pd.isna(t) else t))
    df["service_category"] = df["service_name"].map(  # a missing name is NaN here
        lambda s: SERVICE_CATEGORY.get(s, "Other") if isinstance(s, str) and s else None
    )
    df["commitment_id"] = None
    df["resource_id"] = clean_str(df["resource_id"])
    check_row_fields(df, source, "currency", ("invoice.month", "invoice.month"))
    out = finish(df)
    out.attrs["notes"] = notes
    return out


BILLING_TZ = "America/Los_Angeles"  #: Google Cloud invoices in US Pacific time


def _pacific_to_utc(local: pd.Series) -> pd.Series:
    """Naive US Pacific wall-clock times as naive UTC (DST by the tz database)."""
    t = pd.to_datetime(local).dt.tz_localize(BILLING_TZ)
    return t.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")


def _s(v) -> str | None:
    if v is None or (not isinstance(v, (list, dict)) and is_null(v)):
        return None
    return str(v).strip()


def _credits(v, where: str) -> list[dict]:
    """The `credits` array of one row (a JSON string in CSV exports) as a list of dicts."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    if v is None or (isinstance(v, (str, float)) and is_null(v)):
        return []
    if isinstance(v, str):
        try:
            v = json.loads(v)
        except json.JSONDecodeError as e:
            raise InputError(f"credits: invalid JSON ({e.msg})", where) from None
    if not isinstance(v, list) or not all(isinstance(c, dict) for c in v):
        raise InputError("credits: expected a list of {name, amount, type} records", where)
    return v
