"""Bill files that overlap: the same hour of a ResourceId's charges billed for the same
SkuId and ChargeCategory by more than one file (a month exported twice in parts, a file
and a slice of it), or for the same ChargeCategory by files of two formats (a FOCUS
export beside the CUR of the same account); charges without a ResourceId (tax) for the
same SkuId. Their charges are all
counted, as given: no figure can say which copy is right. This module finds them for a
note. Bills of one file are not looked at (rows alike within a file are legitimate in
FOCUS, which has no row id); identical files, byte copies and the same charges twice
are refused by the bill reader before this.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from infercost.ingest.billrows import quoted_id

#: hours of charges beyond which the check is left out (a note says so): the hours of
#: every row compared are listed
MAX_HOURS = 20_000_000


def overlap_notes(rows: pd.DataFrame, fleet_mask: np.ndarray, hour_rows: Any,
                  formats: dict[str, str] | None = None,
                  reduced: list[str] | tuple[str, ...] = ()) -> list[str]:
    """A note when hours of charges are billed twice by more than one bill file: for the
    same ResourceId, SkuId and ChargeCategory, or for the same ResourceId and
    ChargeCategory by files of two formats (a FOCUS export beside the CUR of the same
    account name their SKUs apart). `rows`: the bill's normalized rows, with `source`;
    `fleet_mask`: rule R1's rows; `hour_rows`: the engine's hourly entries of reduced
    fleet rows (`engine.FleetHourRows`) or None; `formats`: each source's format
    (`Bill.formats`); `reduced`: the files the engine reduced, whose rows outside the
    fleet that stand for several bill rows are not compared here. Hours are the clock hours a row's
    charge period touches. [] when the bill is one file or nothing overlaps."""
    if rows["source"].nunique(dropna=True) < 2 or not len(rows):
        return []
    # (a reduced file's row standing for one bill row keeps its charge period; the rows
    # the engine summed are compared in the engine, `bill_engine.shared_charges_note`)
    one_row = ~rows["period_dropped"].to_numpy(dtype=bool) & (
        rows["nrows"].to_numpy(dtype="int64") == 1)
    cand = fleet_mask | one_row | ~rows["source"].isin(list(reduced)).to_numpy(dtype=bool)
    if not cand.any():
        return []
    sub = rows.loc[cand, ["source", "resource_id", "sku_id", "charge_category",
                          "charge_start", "charge_end"]].reset_index(drop=True)
    one = np.ones(len(sub), dtype=bool)  # rows whose own period gives their hours
    parts = []
    if hour_rows is not None and len(hour_rows.row):
        at = np.flatnonzero(fleet_mask[cand])[hour_rows.row]  # fleet position -> sub's
        one[at] = False
        parts.append(pd.DataFrame({"i": at, "hour": hour_rows.hour.astype("datetime64[us]")}))
    own = sub[one]
    start = pd.to_datetime(own["charge_start"]).dt.floor("h")
    end = pd.to_datetime(own["charge_end"]).dt.ceil("h")
    ok = (start.notna() & end.notna() & (end > start)).to_numpy()
    hours = ((end - start)[ok] // pd.Timedelta(hours=1)).to_numpy(dtype=np.int64)
    if int(hours.sum()) + sum(len(p) for p in parts) > MAX_HOURS:
        return [f"bill files not compared for overlapping charges: their rows cover over "
                f"{MAX_HOURS:,} hours"]
    idx = np.repeat(np.flatnonzero(one)[ok], hours)
    step = np.arange(int(hours.sum())) - np.repeat(np.cumsum(hours) - hours, hours)
    first = np.repeat(start[ok].to_numpy().astype("datetime64[us]"), hours)
    parts.append(pd.DataFrame({"i": idx, "hour": first + step.astype("timedelta64[h]")}))
    h = pd.concat(parts, ignore_index=True)
    for c in ("source", "resource_id", "sku_id", "charge_category"):
        h[c] = sub[c].to_numpy(dtype=object)[h["i"].to_numpy()]
    codes, files = pd.factorize(h["source"], use_na_sentinel=False)
    h["format"] = np.array([(formats or {}).get(f, "") for f in files], dtype=object)[codes]
    hour = ["resource_id", "hour", "charge_category"]
    key = [*hour, "sku_id"]
    h = h.drop(columns="i").drop_duplicates([*key, "source"])
    same_sku = h.groupby(key, dropna=False)["source"].transform("size").to_numpy() > 1
    # (files of two formats: for a ResourceId's hour; charges without one, such as tax,
    # only for the same SkuId)
    two_formats = (h.groupby(hour, dropna=False)["format"].transform("nunique").to_numpy() > 1
                   ) & h["resource_id"].notna().to_numpy()
    twice = h[same_sku | two_formats]
    if twice.empty:
        return []
    first_key = twice.sort_values(["hour", "resource_id"], kind="stable").iloc[0]
    same = twice[(twice["resource_id"].fillna("\0") == (first_key["resource_id"] or "\0"))
                 & (twice["hour"] == first_key["hour"])]
    n = len(twice.drop_duplicates(hour))
    names = " and ".join(sorted(str(s) for s in same["source"].unique())[:3])
    rid = first_key["resource_id"]
    what = (f"ResourceId {quoted_id(str(rid))}" if rid is not None and rid == rid
            else f"no ResourceId, {first_key['charge_category']}")
    return [f"{n:,} hour{'s' if n > 1 else ''} of charges billed by more than one bill "
            f"file, for the same SkuId or by files of two formats (first: {what}, hour "
            f"{pd.Timestamp(first_key['hour']):%Y-%m-%dT%H:%MZ}, in {names}): if the files "
            "overlap, those charges are counted twice (every copy is allocated as billed)"]
