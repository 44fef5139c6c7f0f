"""Energy and carbon of an attributed bill: the fleet's billed GPU-hours at the measured load.

Per fleet resource (rule R1, the same fleet as the allocation): its billed resource-hours
(rule R2: distinct charged hours), its instance type (the catalog instance whose name
appears in the row's SKU, description or resource name; the longest match wins), hence
its hardware and GPUs per instance, and its load = 1 - idle cost / billed cost of that
resource (the attribution's own idle). `econ.energy.fleet_energy` turns these into kWh
and gCO2e. Resources no catalog instance matches are named in a note, not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

from infercost.core.catalog import Catalog, InstancePrice
from infercost.econ.energy import DEFAULT_REGION, ResourceGpuHours, fleet_energy
from infercost.ingest.billrows import Bill, quoted_id

#: drivers whose idle is the unused share of each paid hour (others: hours without requests)
MEASURED_IDLE = ("capacity", "gpu_time")
#: the bill columns read here
_COLUMNS = ("resource_id", "sku_id", "description", "resource_name", "provider")


def _texts(rows: pd.DataFrame) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Per fleet resource: its distinct SKU ids, then descriptions, then resource names
    (in the order they appear), and the provider of its first row naming one."""
    out: dict[str, list[str]] = {}
    for col in ("sku_id", "description", "resource_name"):
        pairs = rows[["resource_id", col]].dropna().drop_duplicates()
        for rid, text in zip(pairs["resource_id"].tolist(), pairs[col].tolist(), strict=True):
            out.setdefault(rid, []).append(text)
    for rid in rows["resource_id"].drop_duplicates().tolist():
        out.setdefault(rid, [])
    prov = rows[["resource_id", "provider"]].dropna().drop_duplicates("resource_id")
    return out, {str(r): str(p) for r, p in zip(prov["resource_id"], prov["provider"],
                                                strict=True)}


def match_instance(texts: list[str], provider: str, catalog: Catalog) -> InstancePrice | None:
    """The catalog instance whose name appears in one of `texts` (SKU, description, name):
    the longest name wins, then the bill's provider; None when none appears."""
    low = [t.lower() for t in texts if isinstance(t, str)]
    hits = [i for i in catalog.instances
            if i.provider != "owned" and any(i.instance.lower() in t for t in low)]
    if not hits:
        return None
    prov = (provider or "").lower()
    return max(hits, key=lambda i: (len(i.instance), prov.startswith(i.provider), i.provider))


@dataclass
class FleetResources:
    """Per fleet resource what its energy needs of the bill alone: its texts (SKU ids,
    descriptions, names) and provider, its billed resource-hours and its billed cost."""

    texts: dict[str, list[str]]
    providers: dict[str, str]
    hours: pd.Series
    billed: dict


def fleet_resources(bill: Bill, fleet_mask, cost: pd.Series,
                    hours_billed: pd.DataFrame) -> FleetResources | None:
    """The bill side of `attribution_energy` (None: no fleet row names a resource)."""
    used = [c for c in _COLUMNS if c in bill.rows]  # not a copy of every bill column
    rows = bill.rows.loc[fleet_mask, used]
    rows = rows[rows["resource_id"].notna()]
    if rows.empty:
        return None
    hours = hours_billed.groupby("resource_id")["hour"].nunique()
    billed = {r: sum(g, Decimal(0)) for r, g in cost.loc[rows.index].groupby(rows["resource_id"])}
    texts_of, provider_of = _texts(rows)
    return FleetResources(texts_of, provider_of, hours, billed)


def attribution_energy(bill: Bill, fleet_mask, cost: pd.Series, allocations: pd.DataFrame,
                       summary: dict, catalog: Catalog,
                       hours_billed: pd.DataFrame,
                       fleet: FleetResources | None | bool = False) -> dict[str, Any]:
    """summary.json's `energy` block (see the module doc): kWh and gCO2e, per 1k requests,
    per resource, and the notes stating each assumption. `hours_billed`: the fleet's
    (resource_id, hour) rows of rule R2 (`engine.Attribution.fleet_hours`); `fleet`:
    `fleet_resources` of the same arguments, when the caller made it already."""
    if fleet is False:
        fleet = fleet_resources(bill, fleet_mask, cost, hours_billed)
    notes: list[str] = []
    if fleet is None:
        return {**fleet_energy(catalog, [], 0), "notes": ["no fleet resource in the bill: no energy"]}
    hours, billed = fleet.hours, fleet.billed
    idle_rows = allocations[allocations["kind"] == "idle"] if "kind" in allocations else allocations.iloc[0:0]
    idle = {r: sum(g, Decimal(0)) for r, g in idle_rows["cost"].groupby(idle_rows["detail"])}
    fleet_idle = Decimal(str(summary.get("idle_share") or 0))
    driver = summary.get("driver", "")
    parts, unmatched = [], []
    texts_of, provider_of = fleet.texts, fleet.providers
    for rid in sorted(texts_of):
        inst = match_instance(texts_of[rid], provider_of.get(rid, ""), catalog)
        hw = catalog.hardware.get(inst.hardware) if inst is not None else None
        if inst is None or hw is None or not hw.tdp_w:
            unmatched.append(str(rid))
            continue
        c = billed.get(rid, Decimal(0))
        busy = (1 - idle.get(rid, Decimal(0)) / c) if c > 0 else 1 - fleet_idle
        region = inst.region or DEFAULT_REGION
        if not inst.region:
            notes.append(f"{quoted_id(str(rid))}: no region in the catalog listing: grid of "
                         f"{DEFAULT_REGION} assumed")
        parts.append(ResourceGpuHours(str(rid), inst.instance, inst.hardware, inst.gpus,
                                      Decimal(int(hours.get(rid, 0))), min(Decimal(1), max(Decimal(0), busy)),
                                      region))
    if unmatched:
        notes.append(f"{len(unmatched)} fleet resource(s) whose SKU matches no catalog instance with a "
                     f"powered GPU, energy not counted: "
                     f"{', '.join(quoted_id(r) for r in unmatched[:5])}"
                     + (" ..." if len(unmatched) > 5 else ""))
    notes.append("GPU-hours = billed resource-hours x the catalog's GPUs per instance; load per "
                 "resource = 1 - idle cost / billed cost (the attribution's idle)"
                 + ("" if driver in MEASURED_IDLE else
                    f"; driver {driver} counts only hours without requests as idle, so the load is an "
                    "upper bound"))
    requests = int((summary.get("unit_costs") or {}).get("requests") or 0)
    return fleet_energy(catalog, parts, requests, notes)
