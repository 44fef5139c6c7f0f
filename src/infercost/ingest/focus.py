"""FOCUS 1.0, 1.1 and 1.2 bills (CSV or Parquet) onto the normalized bill.

Tolerated, because real exports contain them: timestamps without `T`/`Z` (UTC by the
spec), the literal `NULL`, empty strings, enum values in mixed case (`Usage-based`),
provider columns without the `x_` prefix (kept out of the way, never fatal), Tags as a
JSON object with stray spaces in keys. Columns are matched case-insensitively.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infercost.ingest.billrows import (
    _CATEGORY,
    _CLASS,
    _FREQUENCY,
    _STATUS,
    canon,
    clean_str,
    finish,
    parse_amounts,
    parse_tags,
    parse_times,
    require,
)

#: FOCUS column -> normalized column (strings).
_STRINGS = {
    "ProviderName": "provider",
    "BillingCurrency": "currency",
    "CommitmentDiscountId": "commitment_id",
    "ServiceCategory": "service_category",
    "ServiceName": "service_name",
    "SkuId": "sku_id",
    "ResourceId": "resource_id",
    "ResourceName": "resource_name",
    "ChargeDescription": "description",
}
REQUIRED = ["BilledCost", "EffectiveCost", "BillingCurrency", "ChargeCategory",
            "ChargePeriodStart", "ChargePeriodEnd"]  # fmt: skip


def normalize(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Map a FOCUS table (any of 1.0, 1.1, 1.2) onto `BILL_COLUMNS`."""
    lower = {c.lower(): c for c in raw.columns}
    raw = raw.rename(columns={lower[k.lower()]: k for k in _all_known() if k.lower() in lower})
    # pre-1.0 exports call the provider "Provider"
    if "ProviderName" not in raw.columns and "Provider" in raw.columns:
        raw = raw.rename(columns={"Provider": "ProviderName"})
    require(raw, REQUIRED, source, "FOCUS bill")
    rows = pd.Series(range(1, len(raw) + 1), index=raw.index)
    df = pd.DataFrame(index=raw.index)
    df["row"] = rows
    df["source"] = source
    for src, dst in _STRINGS.items():
        df[dst] = clean_str(raw[src]) if src in raw.columns else None
    cur = df["currency"].astype("string").str.upper()
    df["currency"] = cur.astype(object).where(cur.notna(), None)
    df["billed_cost"] = parse_amounts(raw["BilledCost"], "BilledCost", source, rows)
    df["effective_cost"] = parse_amounts(raw["EffectiveCost"], "EffectiveCost", source, rows)
    df["charge_category"] = canon(raw["ChargeCategory"], _CATEGORY)
    df["charge_class"] = canon(raw["ChargeClass"], _CLASS) if "ChargeClass" in raw else None
    df["charge_frequency"] = (
        canon(raw["ChargeFrequency"], _FREQUENCY) if "ChargeFrequency" in raw else None
    )
    df["commitment_status"] = (
        canon(raw["CommitmentDiscountStatus"], _STATUS)
        if "CommitmentDiscountStatus" in raw
        else None
    )
    for src, dst in (
        ("ChargePeriodStart", "charge_start"),
        ("ChargePeriodEnd", "charge_end"),
        ("BillingPeriodStart", "billing_start"),
        ("BillingPeriodEnd", "billing_end"),
    ):
        if src in raw.columns:
            df[dst] = parse_times(raw[src], src, source, rows)
        else:
            df[dst] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    if "Tags" in raw.columns and pd.api.types.infer_dtype(raw["Tags"], skipna=True) in (
            "string", "empty"):
        # JSON text (or missing) in every row: each distinct text parsed once
        codes, uniq = pd.factorize(raw["Tags"], use_na_sentinel=True)
        parsed = np.empty(len(uniq), dtype=object)
        parsed[:] = [parse_tags(v) for v in uniq]
        missing = codes < 0
        tags = parsed[np.where(missing, 0, codes)] if len(uniq) else np.empty(len(raw), object)
        if missing.any():
            tags[missing] = [{} for _ in range(int(missing.sum()))]
        df["tags"] = tags
    elif "Tags" in raw.columns:
        cache: dict = {}
        tags = []
        for v in raw["Tags"].tolist():
            if v is None or v is pd.NA or isinstance(v, float):
                tags.append({})
            elif isinstance(v, str):
                t = cache.get(v)
                if t is None:
                    t = cache[v] = parse_tags(v)
                tags.append(t)
            else:
                tags.append(parse_tags(v))
        df["tags"] = tags
    else:
        df["tags"] = [{}] * len(raw)
    return finish(df)


def _all_known() -> list[str]:
    return list(_STRINGS) + REQUIRED + [
        "ChargeClass", "ChargeFrequency", "CommitmentDiscountStatus", "BillingPeriodStart",
        "BillingPeriodEnd", "Tags",
    ]  # fmt: skip
