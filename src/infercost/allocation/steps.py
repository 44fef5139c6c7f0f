"""The assembly after the engine passes, one step per rule (R0, R3-R7 of `rules`).

`engine.attribute` runs the passes over the usage log and the bill-side rules R1-R2,
then hands two named inputs to `assemble`:

- `BillSide`: what R0-R2 made of the bill (bounded by the number of bill rows);
- `UsageSide`: what the passes over the usage log returned (bounded by resource-hours
  and allocation rows, never by requests).

`assemble` calls one function per rule, in order, each returning a small dataclass:
`r0_costs` (cost basis, sums by fleet/label/category), `r3_allocated` (the allocation
rows), `r4_idle` (idle per resource and day, and the rounding row), `r4_share_idle`
(`idle: share`), `r5_shared` (shared rows and their spread), `r6_unallocated_cost`,
`r7_conservation`, then `allocation_table` and `build_summary`. Money is `Decimal` in
the bill currency; quanta are int64 units of 1e-10 of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from infercost.allocation.quanta import (
    QUANTUM,
    q2d,
    spread,
    sum_by,
)
from infercost.allocation.rules import Rules
from infercost.ingest.bill import Bill

ALLOCATED = "allocated"
#: the one reason for usage that has a bill row but weighs nothing under the driver
#: (no tokens under `tokens`, zero busy time under `duration_ms`, ...)
ZERO_WEIGHT = "zero weight under the driver"
GROUP = ["day", "model", "model_version", "endpoint", "tenant"]
#: fleet usage in these ServiceCategories is not instance time (drivers)
NOT_INSTANCE_TIME = ("Storage", "Networking")
#: allocations.csv / .parquet columns
OUT_COLUMNS = [
    "period", "model", "model_version", "endpoint", "tenant", "requests", "input_tokens",
    "output_tokens", "cost", "cost_per_1k_requests", "cost_per_1m_tokens", "kind", "detail",
    "currency", "direct_cost", "idle_cost", "shared_cost",
]  # fmt: skip


@dataclass(frozen=True)
class BillSide:
    """The bill after R0-R2.

    `cost`: the cost-basis column (Decimal per bill row); `quanta`: column name ->
    (int64 quanta per row, whether every amount was a whole number of quanta);
    `fleet_mask`: bool per bill row (R1); `hours`: (resource_id, hour, cost_q) per billed
    fleet resource-hour (R2); `rest`: (resource_id, day, rest) sub-quantum rests;
    `no_period`/`no_period_cost`: fleet rows without a usable charge period."""

    bill: Bill
    rules: Rules
    currency: str
    basis: str
    cost: pd.Series
    quanta: dict
    fleet_mask: np.ndarray
    hours: pd.DataFrame
    rest: pd.DataFrame
    no_period: pd.DataFrame
    no_period_cost: pd.Series
    period: tuple[Any, Any]

    @property
    def period_text(self) -> str:
        ps, pe = self.period
        return f"{ps.date()}/{pe.date()}" if ps is not None else ""


@dataclass(frozen=True)
class UsageSide:
    """What the passes over the usage log returned.

    `aggregate`: requests, tokens and cost_q by day, model, version, endpoint, tenant and
    `allocation` (status text); `handed_out`: (resource_id, day, cost_q) what each billed
    resource-hour handed out before per-request rounding; `resource_hours`: pass 1
    (resource_id, hour, n, n_ok, W); `share_idle`: the engine's R4 `idle: share` query
    (idle Decimal per resource -> (rows by GROUP with idle_q, spread per resource))."""

    aggregate: pd.DataFrame
    handed_out: pd.DataFrame
    resource_hours: pd.DataFrame
    rows_read: int
    duplicates: int | None  # None: not checked (--no-duplicate-check)
    share_idle: Callable[[dict], tuple[pd.DataFrame, dict]]
    #: the billed fleet resource-hours (rule R2) holding an accepted request: summary.json's
    #: `fleet.resource_hours_with_requests`, at most `resource_hours_billed`
    billed_hours_with_requests: int = 0


@dataclass
class Costs:
    """R0: exact cost per (is_fleet, label, category) and the bill total."""

    by_key: dict
    total: Decimal


@dataclass
class Allocated:
    """R3: allocated usage (`usage`, status allocated) and its rows by GROUP with
    `direct`, `idle_part`, `shared_part` (Decimal) columns."""

    usage: pd.DataFrame
    rows: pd.DataFrame
    direct_total: Decimal


@dataclass
class Idle:
    """R4: idle per (resource, day) (day None: the whole period), fleet cost."""

    by_key: dict
    fleet_total: Decimal
    before_spread: Decimal
    spread: Decimal = Decimal(0)

    @property
    def left(self) -> Decimal:
        return self.before_spread - self.spread


@dataclass
class Shared:
    """R5: shared cost per (category, label), before and after spreading."""

    by_key: dict
    before_spread: Decimal
    spread: Decimal

    @property
    def left(self) -> Decimal:
        return self.before_spread - self.spread


@dataclass
class BillSteps:
    """What the rules need of the bill side and of the resource-hours alone (R0 and R4's
    per resource and day sums): `bill_steps` makes it while the engine runs pass 4."""

    costs: Costs
    #: R4: per (resource, day) its fleet cost (Decimal), and the quanta its hours hand out
    fleet_by_day: dict
    handed_out_by_day: dict
    handed_out_q: int


def bill_steps(b: BillSide, handed_out: pd.DataFrame) -> BillSteps:
    """R0 and the per (resource, day) sums of R4 (`handed_out`: UsageSide.handed_out)."""
    return BillSteps(r0_costs(b), *r4_sums(b, handed_out))


def r4_sums(b: BillSide, handed_out: pd.DataFrame) -> tuple[dict, dict, int]:
    """R4's sums per (resource, day): the fleet cost (Decimal; rule R2's hours plus the
    sub-quantum rests), what the hours hand out (Decimal), and that in all (quanta)."""
    hq = b.hours
    fday = hq.assign(day=hq["hour"].dt.floor("D"))
    fcost = {}
    for (r, d), q in fday.groupby(["resource_id", "day"], dropna=False)["cost_q"].sum().items():
        fcost[(r, d)] = q2d(q)
    for r, d, rest in zip(b.rest["resource_id"], b.rest["day"], b.rest["rest"], strict=True):
        fcost[(r, pd.Timestamp(d))] = fcost.get((r, pd.Timestamp(d)), Decimal(0)) + rest
    used = handed_out.groupby(["resource_id", "day"], dropna=False)["cost_q"].sum()
    usedmap = {(r, pd.Timestamp(d)): q2d(q) for (r, d), q in used.items()}
    return fcost, usedmap, int(sum(used)) if len(used) else 0


def assemble(b: BillSide, u: UsageSide, pre: BillSteps | None = None) -> tuple[pd.DataFrame, dict]:
    """Allocation table and summary from the two sides, rule by rule (`pre`: `bill_steps`
    of the same sides, when the caller made it already)."""
    pre = pre or bill_steps(b, u.handed_out)
    costs = pre.costs
    al = r3_allocated(u)
    idle = r4_idle(b, u, al, pre)
    if b.rules.idle == "share" and len(al.rows):
        idle = r4_share_idle(idle, al, u)
    shared = r5_shared(b, costs, al)
    unalloc = r6_unallocated_cost(b)
    cons = r7_conservation(costs.total, al, idle, shared, unalloc, b.currency)
    table = allocation_table(b, u, al, idle, shared, unalloc)
    return table, build_summary(b, u, costs, al, idle, shared, unalloc, cons)


def r0_costs(b: BillSide) -> Costs:
    """R0: one exact grouping of the cost basis by fleet, label and ServiceCategory (small:
    a few hundred keys), used for shared rows, drivers and the bill total."""
    br = b.bill.rows
    cat = br["service_category"].astype(object).where(br["service_category"].notna(), None)
    keyed = pd.DataFrame({"fleet": b.fleet_mask, "label": br["label"].to_numpy(dtype=object),
                          "category": cat.to_numpy(dtype=object)})
    by_cost = sum_by(keyed, b.cost, b.quanta[b.basis])
    return Costs(by_cost, sum(by_cost.values(), Decimal(0)))


def r3_allocated(u: UsageSide) -> Allocated:
    """R3: the allocation rows by day, model, version, endpoint, tenant (direct cost)."""
    al = u.aggregate[u.aggregate["allocation"] == ALLOCATED]
    rows = (al.groupby(GROUP, dropna=False, sort=True)[
        ["requests", "input_tokens", "output_tokens", "cost_q"]].sum().reset_index())
    for c in GROUP:
        rows[c] = rows[c].astype(object).where(rows[c].notna(), None)
    rows["direct"] = [q2d(x) for x in rows["cost_q"]]
    rows["idle_part"] = [Decimal(0)] * len(rows)
    rows["shared_part"] = [Decimal(0)] * len(rows)
    return Allocated(al, rows, sum(rows["direct"], Decimal(0)))


def r4_idle(b: BillSide, u: UsageSide, al: Allocated, pre: BillSteps | None = None) -> Idle:
    """R4: per resource and day, its cost minus what its hours handed out; plus the
    per-request rounding row (what the hours handed out minus what requests got).
    `pre`: `bill_steps` of the same sides, when made already."""
    fcost, usedmap, handed_q = ((pre.fleet_by_day, pre.handed_out_by_day, pre.handed_out_q)
                                if pre is not None else r4_sums(b, u.handed_out))
    idle = {k: v - usedmap.get(k, Decimal(0)) for k, v in fcost.items()}
    got = int(al.usage["cost_q"].sum())
    dust = q2d(handed_q - got)
    if dust < 0:  # a bug, never the input
        raise AssertionError(f"requests got more than their resource-hours: {dust}")
    if dust:
        idle[("rounding: sub-quantum request shares", None)] = dust
    return Idle(idle, sum(fcost.values(), Decimal(0)), sum(idle.values(), Decimal(0)))


def r4_share_idle(idle: Idle, al: Allocated, u: UsageSide) -> Idle:
    """R4 `idle: share`: each resource's idle to the allocation rows that used it (in the
    engine, in proportion to their allocated quanta there, each row's share floored to a
    quantum); what the floors leave of a resource's idle (under one quantum per row it
    went to, plus any sub-quantum rest) goes to the largest row (by direct cost; ties to
    the first) of the days the resource handed out cost, so none of it stays idle. What
    cannot be spread (a resource that handed out nothing) stays idle, per resource for
    the whole period."""
    rows = al.rows
    per_res: dict = {}
    for (r, _d), v in idle.by_key.items():
        per_res[r] = per_res.get(r, Decimal(0)) + v
    parts, spread_by_res = u.share_idle(per_res)
    spread_by_res = dict(spread_by_res)
    index = {tuple(k): i for i, k in enumerate(rows[GROUP].itertuples(index=False))}
    for rec in parts.itertuples(index=False):
        key = tuple(getattr(rec, c) for c in GROUP)
        key = tuple(None if (isinstance(x, float) and x != x) else x for x in key)
        rows.at[index[key], "idle_part"] += q2d(int(rec.idle_q))
    for r, rest, i in _share_rests(per_res, spread_by_res, rows, u.handed_out):
        rows.at[i, "idle_part"] += rest
        spread_by_res[r] = per_res[r]
    left = {(r, None): per_res[r] - spread_by_res.get(r, Decimal(0)) for r in per_res}
    return Idle(left, idle.fleet_total, idle.before_spread,
                sum(spread_by_res.values(), Decimal(0)))


def _share_rests(per_res: dict, spread_by_res: dict, rows: pd.DataFrame,
                 handed_out: pd.DataFrame | None) -> list[tuple[Any, Decimal, int]]:
    """For `idle: share`: (resource, what the engine's spread left of its idle, the
    position of the row that takes it) for each resource the engine spreads (its hours
    handed out more than zero in all, as `share_idle` requires) with a rest: the largest
    allocation row by direct cost (ties to the first) among those of the days the
    resource handed out cost on."""
    if handed_out is None or not len(rows) or not len(handed_out):
        return []
    total = handed_out.groupby("resource_id")["cost_q"].sum()
    live = handed_out.loc[handed_out["cost_q"] > 0, ["resource_id", "day"]]
    live = live.assign(day=pd.to_datetime(live["day"]).dt.strftime("%Y-%m-%d")
                       ).drop_duplicates()  # (one per resource and day, not per hour)
    days = {r: set(g) for r, g in live.groupby("resource_id")["day"]}
    best: dict = {}  # day -> (-direct, position) of its largest row
    for i, (d, direct) in enumerate(zip(rows["day"].tolist(), rows["direct"].tolist(),
                                        strict=True)):
        key = (-direct, i)
        if d not in best or key < best[d]:
            best[d] = key
    out = []
    for r, amount in per_res.items():
        rest = amount - spread_by_res.get(r, Decimal(0))
        if not rest or int(total.get(r, 0)) <= 0 or r not in days:
            continue
        keys = [best[d] for d in days[r] if d in best]
        if keys:
            out.append((r, rest, min(keys)[1]))
    return out


def r5_shared(b: BillSide, costs: Costs, al: Allocated) -> Shared:
    """R5: bill rows outside the fleet by ServiceCategory and label; spread over the
    allocation rows by `shared: requests | cost | even` (exact, largest remainder)."""
    shared: dict = {}
    for (is_fleet, lab, c), v in costs.by_key.items():
        if not is_fleet:
            k = (c or "(none)", lab)
            shared[k] = shared.get(k, Decimal(0)) + v
    shared = dict(sorted(shared.items()))
    total = sum(shared.values(), Decimal(0))
    done = Decimal(0)
    rows = al.rows
    if b.rules.shared != "report" and len(rows):
        if b.rules.shared == "requests":
            w = [int(x) for x in rows["requests"]]
        elif b.rules.shared == "cost":
            w = [max(int(x), 0) for x in rows["cost_q"]]
        else:
            w = [1] * len(rows)
        for k, amount in shared.items():
            parts = spread(amount, w)
            if parts is None:
                continue
            rows["shared_part"] = [a + p for a, p in zip(rows["shared_part"], parts, strict=True)]
            done += amount
            shared[k] = Decimal(0)
    return Shared(shared, total, done)


def r6_unallocated_cost(b: BillSide) -> Decimal:
    """R6: fleet cost that R2 could not place (no usable charge period)."""
    return sum(b.no_period_cost, Decimal(0))


def r7_conservation(total: Decimal, al: Allocated, idle: Idle, shared: Shared,
                    unalloc: Decimal, currency: str) -> dict:
    """R7: allocated + idle + shared + unallocated = bill, exactly."""
    allocated = al.direct_total + idle.spread + shared.spread
    diff = total - (allocated + idle.left + shared.left + unalloc)
    return {
        "equation": "allocated + idle + shared + unallocated = bill",
        "holds": diff == 0, "difference": diff,
        "line": f"{_f(allocated)} + {_f(idle.left)} + {_f(shared.left)} + "
                f"{_f(unalloc)} = {_f(total)} {currency}",
    }


def allocation_table(b: BillSide, u: UsageSide, al: Allocated, idle: Idle, shared: Shared,
                     unalloc: Decimal) -> pd.DataFrame:
    """allocations.csv rows: allocated, then idle, shared and unallocated rows."""
    rows, currency, pstr = al.rows, b.currency, b.period_text
    costs = [a + x + c for a, x, c in zip(rows["direct"], rows["idle_part"],
                                          rows["shared_part"], strict=True)]
    nreq = rows["requests"].astype("int64").tolist()
    ntok = (rows["input_tokens"] + rows["output_tokens"]).astype("int64").tolist()
    first = pd.DataFrame({
        "period": rows["day"].to_numpy(dtype=object),
        "model": rows["model"].to_numpy(dtype=object),
        "model_version": rows["model_version"].to_numpy(dtype=object),
        "endpoint": rows["endpoint"].to_numpy(dtype=object),
        "tenant": rows["tenant"].to_numpy(dtype=object),
        "requests": nreq,
        "input_tokens": rows["input_tokens"].astype("int64").tolist(),
        "output_tokens": rows["output_tokens"].astype("int64").tolist(),
        "cost": costs,
        "cost_per_1k_requests": [(c * 1000 / n).quantize(QUANTUM) if n else None
                                 for c, n in zip(costs, nreq, strict=True)],
        "cost_per_1m_tokens": [(c * 1_000_000 / t).quantize(QUANTUM) if t else None
                               for c, t in zip(costs, ntok, strict=True)],
        "kind": "allocated", "detail": None, "currency": currency,
        "direct_cost": rows["direct"].to_numpy(dtype=object),
        "idle_cost": rows["idle_part"].to_numpy(dtype=object),
        "shared_cost": rows["shared_part"].to_numpy(dtype=object),
    }, columns=OUT_COLUMNS)
    out = []
    for (r, d), v in sorted(idle.by_key.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        if v == 0:
            continue
        per = pstr if d is None else str(pd.Timestamp(d).date())
        out.append(_row(per, "__idle__", 0, 0, 0, v, "idle", r, currency))
    for (c, lab), v in sorted(shared.by_key.items()):
        if v == 0 and b.rules.shared != "report":
            continue
        out.append(_row(pstr, "__shared__", 0, 0, 0, v, "shared", f"{c} / {lab}", currency))
    adf = u.aggregate
    un = adf[adf["allocation"] != ALLOCATED]
    ug = un.groupby(["day", "allocation"], dropna=False)[
        ["requests", "input_tokens", "output_tokens"]].sum().reset_index()
    for rec in ug.itertuples(index=False):
        out.append(_row(rec.day, "__unallocated__", int(rec.requests), int(rec.input_tokens),
                        int(rec.output_tokens), Decimal(0), "unallocated", rec.allocation,
                        currency))
    if len(b.no_period):  # a period ending before it starts or of zero length, apart
        # from a missing one (the last takes the rest: the rows add up to R6 exactly)
        nrows, back, zero = _no_period_kinds(b.no_period)
        back_cost = sum(b.no_period_cost[back], Decimal(0))
        zero_cost = sum(b.no_period_cost[zero], Decimal(0))
        for m, v, what in ((back, back_cost, "with a charge period that ends before it "
                            "starts"), (zero, zero_cost, "with a charge period of zero length"),
                           (~(back | zero), unalloc - back_cost - zero_cost,
                            "without a charge period")):
            if m.any():
                out.append(_row(pstr, "__unallocated__", 0, 0, 0, v, "unallocated",
                                f"fleet bill rows {what} ({int(nrows[m].sum())})", currency))
    rest_table = pd.DataFrame(out, columns=OUT_COLUMNS)
    table = (pd.concat([first, rest_table], ignore_index=True) if len(rest_table)
             else first) if len(first) else rest_table
    table["detail"] = table["detail"].astype(object).where(table["detail"].notna(), None)
    return table


def build_summary(b: BillSide, u: UsageSide, costs: Costs, al: Allocated, idle: Idle,
                  shared: Shared, unalloc: Decimal, conservation: dict) -> dict:
    """summary.json (money Decimal): totals, conservation, drivers, unit costs, charges."""
    bill, rules, bq, total = b.bill, b.rules, b.quanta, costs.total
    adf = u.aggregate
    counts = adf.groupby("allocation")["requests"].sum().to_dict()
    rejected = {k: int(v) for k, v in counts.items() if k.startswith("rejected")}
    lab_only = bill.rows[["label"]].astype(object)
    billed = sum_by(lab_only, bill.rows["billed_cost"], bq["billed_cost"])
    effective = sum_by(lab_only, bill.rows["effective_cost"], bq["effective_cost"])
    nrows = bill.rows["nrows"].groupby(bill.rows["label"]).sum()
    labels = {lab: {"rows": int(nrows[lab]), "billed_cost": billed[(lab,)],
                    "effective_cost": effective[(lab,)]} for lab in sorted(nrows.index)}
    n_alloc = int(counts.get(ALLOCATED, 0))
    tokens = int(al.usage["input_tokens"].sum() + al.usage["output_tokens"].sum())
    allocated = al.direct_total + idle.spread + shared.spread
    ps, pe = b.period
    return {
        "currency": b.currency,
        "cost_basis": rules.cost_basis,
        "driver": rules.driver,
        "rules": rules.to_dict(),
        "billing_period": {"start": ps, "end": pe},
        "totals": {"bill": total, "allocated": allocated, "idle": idle.left,
                   "shared": shared.left, "unallocated": unalloc,
                   "allocated_direct": al.direct_total, "idle_spread": idle.spread,
                   "shared_spread": shared.spread, "idle_before_spread": idle.before_spread,
                   "shared_before_spread": shared.before_spread},
        "conservation": conservation,
        "fleet": {"resources": int(bill.rows.loc[b.fleet_mask, "resource_id"].nunique()),
                  "bill_rows": int(bill.rows["nrows"].to_numpy()[b.fleet_mask].sum()), "cost": idle.fleet_total,
                  "resource_hours_billed": len(b.hours),
                  "resource_hours_with_requests": u.billed_hours_with_requests,
                  "usage_resource_hours_with_requests":
                      int((u.resource_hours["n_ok"] > 0).sum()),
                  "idle_share": _ratio(idle.before_spread, idle.fleet_total)},
        "idle_share": _ratio(idle.before_spread, idle.fleet_total),
        "drivers": drivers(costs, total),
        "unit_costs": {
            "requests": n_alloc, "tokens": tokens,
            "cost_per_request": _div(allocated, n_alloc),
            "cost_per_1k_requests": _div(allocated * 1000, n_alloc),
            "cost_per_1m_tokens": _div(allocated * 1_000_000, tokens),
            "bill_per_request": _div(total, n_alloc),
        },
        "charges": labels,
        "by_provider": _by_provider(bill, bq),
        "by_service": by_service(b),
        "top_resources": top_resources(b),
        "rows": {
            "bill_read": bill.rows_read, "bill_rows_normalized": bill.row_count,
            "bill_rejected": 0,
            "usage_read": u.rows_read, "usage_allocated": n_alloc,
            "usage_rejected": sum(rejected.values()), "usage_rejected_by_reason": rejected,
            "usage_outside_period": int(counts.get("outside billing period", 0)),
            "usage_without_bill_row": int(counts.get("no bill row for resource-hour", 0)),
            "usage_zero_weight": int(counts.get(ZERO_WEIGHT, 0)),
            "duplicate_request_ids": u.duplicates,
        },
        "notes": [*bill.notes, *period_notes(b, unalloc)],
    }


def _no_period_kinds(no_period: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of R2's fleet rows without a usable charge period: the bill rows each stands for
    (nrows), and whether its period ends before it starts, or ends as it starts (the
    others have no ChargePeriodStart or no ChargePeriodEnd)."""
    nrows = (no_period["nrows"].to_numpy(dtype=np.int64) if "nrows" in no_period
             else np.ones(len(no_period), dtype=np.int64))
    start, end = no_period["charge_start"], no_period["charge_end"]
    both = (start.notna() & end.notna()).to_numpy(bool)
    back = both & (end < start).to_numpy(bool)
    zero = both & (end == start).to_numpy(bool)
    return nrows, back, zero


def period_notes(b: BillSide, unalloc: Decimal) -> list[str]:
    """Notes for bill rows whose charge period is unusable: fleet rows R2 could not place
    on any hour (their cost is unallocated: how many, why, the amount, the first one's
    ResourceId), and rows outside the fleet whose period ends before it starts (shared
    as billed, which needs no period, but the bill is malformed there). An engine-reduced
    bill, on DuckDB or Spark, keeps every row whose period may end before it starts with
    its period (`bill_engine`), so both give the notes of the row-by-row reader."""
    notes = []
    cur = b.currency
    if len(b.no_period):
        nrows, back, zero = _no_period_kinds(b.no_period)
        n = int(nrows.sum())
        kinds = [(int(nrows[m].sum()), what) for m, what in (
            (~(back | zero), "missing"), (back, "ending before it starts"),
            (zero, "of zero length")) if m.any()]
        why = (kinds[0][1] if len(kinds) == 1
               else ", ".join(f"{k} {what}" for k, what in kinds))
        rid = b.no_period["resource_id"].iloc[0] if "resource_id" in b.no_period else None
        rid = "no ResourceId" if rid is None or pd.isna(rid) else f"ResourceId {rid}"
        notes.append(f"{n} fleet bill row{'s have' if n > 1 else ' has'} no usable charge "
                     f"period ({why}): {'their' if n > 1 else 'its'} {_f(unalloc)} {cur} is "
                     f"unallocated ({'first: ' if n > 1 else ''}{rid})")
    rows = b.bill.rows
    if {"charge_start", "charge_end"} <= set(rows.columns):
        start, end = rows["charge_start"], rows["charge_end"]
        back = (~np.asarray(b.fleet_mask, dtype=bool) & start.notna().to_numpy(bool)
                & end.notna().to_numpy(bool))
        if back.any():
            back &= (end < start).to_numpy(bool)
        if back.any():
            nr = (rows["nrows"].to_numpy(dtype=np.int64) if "nrows" in rows
                  else np.ones(len(rows), dtype=np.int64))
            n = int(nr[back].sum())
            amount = sum(b.cost[back], Decimal(0))
            first = rows.loc[back].iloc[0]
            what = [f"{name} {first[c]}" for c, name in (("service_name", "ServiceName"),
                                                         ("resource_id", "ResourceId"))
                    if c in rows and first[c] is not None and not pd.isna(first[c])]
            what += [f"ChargePeriodStart {pd.Timestamp(first['charge_start']):%Y-%m-%dT%H:%M:%SZ}",
                     f"ChargePeriodEnd {pd.Timestamp(first['charge_end']):%Y-%m-%dT%H:%M:%SZ}"]
            notes.append(f"{n} bill row{'s' if n > 1 else ''} outside the fleet ha"
                         f"{'ve' if n > 1 else 's'} a charge period that ends before it starts "
                         f"({'first: ' if n > 1 else ''}{', '.join(what)}): "
                         f"{'their' if n > 1 else 'its'} {_f(amount)} {cur} is shared as "
                         "billed, but the bill is malformed there")
    return notes


def drivers(costs: Costs, total: Decimal) -> list[dict]:
    """The cost drivers: fleet usage is instance time (a fleet row whose ServiceCategory
    is Storage or Networking, such as a tagged volume of a fleet node, is named by its
    category); other usage by ServiceCategory; other charges by label; largest first,
    with their share of the bill."""
    out: dict = {}
    for (is_fleet, lab, c), v in costs.by_key.items():
        if lab in ("usage", "commitment_used"):
            if is_fleet:
                name = (f"{c.lower()} (fleet)" if c in NOT_INSTANCE_TIME
                        else "instance time (fleet)")
            else:
                name = c or "other"
        else:
            name = lab.replace("_", " ") + (" (fleet)" if is_fleet else "")
        out[name] = out.get(name, Decimal(0)) + v
    return [{"driver": k, "cost": v, "share": _pct(v, total)}
            for k, v in sorted(out.items(), key=lambda kv: (-abs(kv[1]), kv[0]))]


def by_service(b: BillSide) -> list[dict]:
    """The cost basis per ServiceName (exact), largest first, with its ServiceCategory."""
    keys = b.bill.rows[["service_name", "service_category"]].astype(object)
    sums = sum_by(keys, b.cost, b.quanta[b.basis])
    return [{"service": k[0], "category": k[1], "cost": v} for k, v in
            sorted(sums.items(), key=lambda kv: (-abs(kv[1]), str(kv[0])))]


def top_resources(b: BillSide, n: int = 10) -> list[dict]:
    """The `n` ResourceIds with the largest cost basis (exact sums), and whether each is
    in the fleet; ranked on integer quanta, summed exactly for the ones shown."""
    codes, uniq = pd.factorize(b.bill.rows["resource_id"], use_na_sentinel=True)
    if not len(uniq):
        return []
    has = codes >= 0
    # rank on exact sums (integer quanta when every amount is a whole number of them,
    # else Decimal: a sub-quantum amount still ranks), ties by ResourceId (the same
    # order whatever the row order), then sum the shown ones exactly
    q, exact = b.quanta[b.basis]
    if exact:
        sums = pd.Series(q[has]).groupby(codes[has]).sum()
        key = -sums.abs().to_numpy()
    else:
        sums = pd.Series(b.cost.to_numpy(dtype=object)[has]).groupby(codes[has]).sum()
        key = [-abs(v) for v in sums.tolist()]
    rank = pd.DataFrame({"a": key, "r": [str(uniq[c]) for c in sums.index]},
                        index=sums.index.to_numpy())
    order = rank.sort_values(["a", "r"], kind="stable").index[:n]
    out = []
    for c in order.tolist():
        m = codes == c
        out.append({"resource_id": uniq[c], "cost": sum(b.cost[m], Decimal(0)),
                    "fleet": bool(b.fleet_mask[m].any())})
    return out


def _by_provider(bill: Bill, bq: dict) -> dict:
    keys = bill.rows[["provider"]]
    bt = sum_by(keys, bill.rows["billed_cost"], bq["billed_cost"])
    et = sum_by(keys, bill.rows["effective_cost"], bq["effective_cost"])
    return {p[0]: {"billed_cost": bt[p], "effective_cost": et[p]}
            for p in sorted(k for k in bt if isinstance(k[0], str))}


def _f(d: Decimal) -> str:
    from infercost.core.money import format_decimal

    return format_decimal(d)


def _pct(v: Decimal, total: Decimal) -> str:
    if total == 0:
        return "n/a"
    return f"{(v / total * 100).quantize(Decimal('0.1'))}%"


def _ratio(a: Decimal, b: Decimal) -> Decimal | None:
    if b == 0:
        return None
    return (a / b).quantize(Decimal("0.000001"))


def _div(a: Decimal, n: int) -> Decimal | None:
    if not n:
        return None
    return (a / n).quantize(QUANTUM)


def _row(period, model, requests, tin, tout, cost, kind, detail, currency) -> dict:
    """One idle, shared or unallocated row (no model labels, no unit costs)."""
    return {
        "period": period, "model": model, "model_version": None, "endpoint": None,
        "tenant": None, "requests": requests, "input_tokens": tin, "output_tokens": tout,
        "cost": cost, "cost_per_1k_requests": None, "cost_per_1m_tokens": None,
        "kind": kind, "detail": detail, "currency": currency,
        "direct_cost": None, "idle_cost": None, "shared_cost": None,
    }
