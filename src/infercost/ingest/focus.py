"""FOCUS 1.0, 1.1 and 1.2 bills (CSV or Parquet) onto the normalized bill.

Tolerated, because real exports contain them: timestamps without `T`/`Z` (UTC by the
spec), the literal `NULL`, empty strings, enum values in mixed case (`Usage-based`),
provider columns without the `x_` prefix (kept out of the way, never fatal), Tags as a
JSON object with stray spaces in keys. Columns are matched case-insensitively.

Stated fallbacks (each one a note in the summary, with its row count; never silent):

- EffectiveCost null, empty or `NULL` on a row with a non-zero BilledCost: the row's
  BilledCost is taken (FOCUS 1.0 defines EffectiveCost as BilledCost plus amortisation
  of commitment purchases; a row that names no commitment has none).
- BillingCurrency empty: the one currency the other rows of the file carry; a file with
  no currency at all is an error (FOCUS requires BillingCurrency).
- FOCUS preview exports (0.5, 1.0-preview) with `ChargeType` instead of ChargeCategory,
  and commitment, credit and refund only in `ChargeSubcategory` (Used Commitment, Unused
  Commitment, Refund, Credit, Rounding Error, General Adjustment): labelled from the
  subcategory.
- Azure Resource Manager ids (`/subscriptions/...`) are case-insensitive: compared in
  lower case (as the usage log's are).

Refused (InputError naming the file and row): a ChargeCategory (or a preview's ChargeType)
that is empty or none of Usage, Purchase, Tax, Credit, Adjustment in any case: FOCUS
requires one of these in every row, and reading such a row as usage would book a tax
(`Taxes`) or a refund (`Refund`) as usage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from infercost.errors import InputError
from infercost.ingest.billrows import (
    _CATEGORY,
    _CLASS,
    _FREQUENCY,
    _STATUS,
    azure_lower_all,
    canon,
    check_row_fields,
    clean_str,
    finish,
    label_rows,
    parse_amounts,
    parse_tags,
    parse_times,
    require,
    unread_tags_note,
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
    "PricingUnit": "pricing_unit",
}
#: FOCUS columns read only through `clean_str` or `canon` (each distinct value once): a
#: caller may give them as pandas Categorical (the engine's reduced bill does)
TEXT_ONLY = (*_STRINGS, "ChargeCategory", "ChargeClass", "ChargeFrequency",
             "CommitmentDiscountStatus", "ChargeSubcategory", "ConsumedUnit")
REQUIRED = ["BilledCost", "EffectiveCost", "BillingCurrency", "ChargeCategory",
            "ChargePeriodStart", "ChargePeriodEnd"]  # fmt: skip


def normalize(raw: pd.DataFrame, source: str, reduced: bool = False) -> pd.DataFrame:
    """Map a FOCUS table (any of 1.0, 1.1, 1.2) onto `BILL_COLUMNS`. `reduced`: the rows
    are sums the engine made (`bill_engine`), which counted the rows with neither
    amount (`neither_note`) and checked each row's amounts itself."""
    lower = {c.lower(): c for c in raw.columns}
    raw = raw.rename(columns={lower[k.lower()]: k for k in _all_known() if k.lower() in lower})
    # pre-1.0 exports call the provider "Provider"
    if "ProviderName" not in raw.columns and "Provider" in raw.columns:
        raw = raw.rename(columns={"Provider": "ProviderName"})
    # FOCUS preview (0.5) calls ChargeCategory "ChargeType"
    if "ChargeCategory" not in raw.columns and "chargetype" in lower:
        raw = raw.rename(columns={lower["chargetype"]: "ChargeCategory"})
    require(raw, REQUIRED, source, "FOCUS bill")
    notes: list[str] = []
    rows = pd.Series(range(1, len(raw) + 1), index=raw.index)
    df = pd.DataFrame(index=raw.index)
    df["row"] = rows
    df["source"] = source
    then = {"currency": _upper, "resource_id": azure_lower_all}
    for src, dst in _STRINGS.items():
        df[dst] = (clean_str(raw[src], src, source, then=then.get(dst))
                   if src in raw.columns else None)
    _fill_currency(df, source, notes)
    df["billed_cost"] = parse_amounts(raw["BilledCost"], "BilledCost", source, rows,
                                      bounded=not reduced)
    df["effective_cost"] = parse_amounts(raw["EffectiveCost"], "EffectiveCost", source, rows,
                                         bounded=not reduced)
    no_eff = _missing(raw["EffectiveCost"])
    neither = no_eff & _missing(raw["BilledCost"]) if no_eff.any() else no_eff
    if neither.any() and not reduced:
        notes.append(neither_note(source, int(neither.sum())))
    if no_eff.any():
        no_eff &= df["billed_cost"] != 0
    if no_eff.any():
        n = int(no_eff.sum())
        df.loc[no_eff, "effective_cost"] = df.loc[no_eff, "billed_cost"]
        first = int(df.loc[no_eff, "row"].iloc[0])
        notes.append(f"{source}: {n} row{'s' if n > 1 else ''} with a non-zero BilledCost "
                     f"and no EffectiveCost (first: row {first}): BilledCost taken as their "
                     "EffectiveCost (FOCUS: no commitment amortisation on those rows)")
    df["charge_category"] = canon(raw["ChargeCategory"], _CATEGORY)
    _check_category(df, source)
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
        parsed = np.empty(len(uniq) + 1, dtype=object)
        parsed[:-1] = [parse_tags(v) for v in uniq]
        parsed[-1] = {}  # code -1, a missing cell: no tags (one empty dict, read only)
        df["tags"] = parsed[codes]
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
    if "Tags" in raw.columns and (note := unread_tags_note(df["tags"], rows, source)):
        notes.append(note)
    if "PricingUnit" not in raw.columns and "ConsumedUnit" in raw.columns:
        df["pricing_unit"] = clean_str(raw["ConsumedUnit"], "ConsumedUnit", source)
    if "ChargeSubcategory" in raw.columns:
        _from_subcategory(df, clean_str(raw["ChargeSubcategory"]))
    check_row_fields(df, source, "BillingCurrency", ("BillingPeriodStart", "BillingPeriodEnd"))
    out = finish(df)
    out.attrs["notes"] = notes
    return out


#: FOCUS preview ChargeSubcategory (lower case) -> (label, commitment status)
_SUBCATEGORY = {
    "used commitment": ("commitment_used", "Used"),
    "unused commitment": ("commitment_unused", "Unused"),
    "refund": ("refund", None),
    "credit": ("credit", None),
    "rounding error": ("adjustment", None),
    "general adjustment": ("adjustment", None),
}


def _from_subcategory(df: pd.DataFrame, sub: pd.Series) -> None:
    """Labels from a preview export's ChargeSubcategory where it names one."""
    key = sub.map(lambda v: v.lower() if isinstance(v, str) else None)
    hit = key.isin(list(_SUBCATEGORY)).to_numpy()
    if not hit.any():
        return
    labels = label_rows(df)
    status = df["commitment_status"].astype(object).copy()
    for k, (lab, st) in _SUBCATEGORY.items():
        m = (key == k).to_numpy()
        labels[m] = lab
        if st is not None:
            status[m] = st
    df["commitment_status"] = status
    df["label"] = labels


def _check_category(df: pd.DataFrame, source: str) -> None:
    """InputError naming the first row whose ChargeCategory is empty or none of the FOCUS
    values (Usage, Purchase, Tax, Credit, Adjustment; any case). Such a row was read as
    usage: a `Taxes` row became shared usage, a `Refund` row was netted into the hour."""
    cat = df["charge_category"]
    allowed = list(_CATEGORY.values())
    bad = ~cat.isin(allowed).to_numpy(dtype=bool)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    got = cat.iloc[i]
    what = "empty" if got is None else f"{got!r} is not a FOCUS ChargeCategory"
    raise InputError(f"column ChargeCategory: {what}; expected one of {', '.join(allowed)} "
                     "(FOCUS requires a value in every row)",
                     f"{source}: row {df['row'].iloc[i]}")


def _upper(values: list) -> list:
    """Text in upper case as pandas' string methods spell it, None kept (for
    `clean_str(..., then=)`)."""
    up = pd.Series(values, dtype=object).astype("string").str.upper()
    return list(up.astype(object).where(up.notna(), None))


def neither_note(source: str, n: int) -> str:
    """The note for `n` rows with neither BilledCost nor EffectiveCost (both readers)."""
    return (f"{source}: {n} row{'s' if n > 1 else ''} with neither BilledCost nor "
            "EffectiveCost: taken as costing 0 (FOCUS: BilledCost is never null)")


def _missing(col: pd.Series) -> pd.Series:
    """True where a cell is null, empty or a null spelling (each distinct text once)."""
    if pd.api.types.infer_dtype(col, skipna=True) != "string":
        return col.isna()
    return clean_str(col).isna()


def _fill_currency(df: pd.DataFrame, source: str, notes: list[str]) -> None:
    """Empty BillingCurrency: the one currency of the other rows (noted), else an error."""
    miss = df["currency"].isna()
    if not miss.any():
        return
    known = sorted(set(df.loc[~miss, "currency"]))
    first = int(df.loc[miss, "row"].iloc[0])
    if len(known) != 1:
        raise InputError(
            "column BillingCurrency: empty, and the other rows do not name one currency "
            f"({', '.join(known) or 'none'}); FOCUS requires an ISO 4217 code",
            f"{source}: row {first}")
    n = int(miss.sum())
    df.loc[miss, "currency"] = known[0]
    notes.append(f"{source}: {n} row{'s' if n > 1 else ''} with an empty BillingCurrency "
                 f"(first: row {first}) taken as {known[0]}, the currency of every other row")


def _all_known() -> list[str]:
    return list(_STRINGS) + REQUIRED + [
        "ChargeClass", "ChargeFrequency", "CommitmentDiscountStatus", "BillingPeriodStart",
        "BillingPeriodEnd", "Tags", "ChargeSubcategory", "ConsumedUnit",
    ]  # fmt: skip
