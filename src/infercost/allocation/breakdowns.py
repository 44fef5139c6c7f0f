"""Attribution results as `econ.CostBreakdown`s: the whole bill and one per slice.

Input: the allocation table and summary that `allocation.engine.attribute` produces
(rules R1-R7). Output: one breakdown for the whole bill and one per combination of model,
model version, endpoint and tenant (`by="combination"`), or per day and combination
(`by="day"`). Bill rows map to lines by the table in docs/attribution.md:

- allocated rows: `direct_cost` -> accelerator_busy, `idle_cost` -> accelerator_idle
  (idle spread by `idle: share`), `shared_cost` -> shared_services (spread by rule);
- idle rows -> accelerator_idle, detail = resource id (whole bill only);
- a fleet resource's usage rows in ServiceCategory Storage or Networking (a volume of a
  fleet node, its data transfer: the summary's drivers `storage (fleet)`,
  `networking (fleet)`) -> storage, egress, detail `fleet resources`: the engine allocates
  them with the resource's instance time, so their amount is taken back out of the
  accelerator lines in proportion to those lines (`fleet_category_parts`);
- shared rows ("ServiceCategory / label") -> storage, egress, shared_services by
  category; credits, commitments, tax, adjustments by label;
- unallocated rows -> unallocated, detail = the reason.

Bill lines carry the amount only (quantity, unit, rate None). Conservation holds per
breakdown, exactly: the lines of a slice sum to the `cost` of its rows, the whole-bill
lines to the bill; a break raises AssertionError (a bug, never the input).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from infercost.core.money import Money
from infercost.econ.breakdown import GROUPS, CostBreakdown, CostLine
from infercost.ingest.billrows import escape_invisible

SLICE_KEYS = ("model", "model_version", "endpoint", "tenant")
BY = ("combination", "day")

_LABEL_LINES = {"credit": "credits", "refund": "credits", "commitment_purchase": "commitments",
                "commitment_unused": "commitments", "tax": "tax", "adjustment": "adjustments",
                "correction": "adjustments"}
_LABELS = {
    "accelerator_busy": "Accelerator time, serving",
    "accelerator_idle": "Accelerator time, idle",
    "storage": "Storage",
    "egress": "Network egress",
    "shared_services": "Shared services",
    "credits": "Credits",
    "commitments": "Commitments",
    "tax": "Tax",
    "adjustments": "Adjustments and corrections",
    "unallocated": "Unallocated",
}


@dataclass(frozen=True)
class Slice:
    """One slice of the bill: its key (model, model_version, endpoint, tenant[, day])."""

    key: dict[str, Any]
    breakdown: CostBreakdown

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "breakdown": self.breakdown.to_dict()}


@dataclass(frozen=True)
class AttributionBreakdowns:
    bill: CostBreakdown
    by: str
    slices: tuple[Slice, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"bill": self.bill.to_dict(), "by": self.by,
                "slices": [s.to_dict() for s in self.slices]}


def shared_line_name(detail: str) -> str:
    """Component of a shared row from its detail "ServiceCategory / label"."""
    cat, _, label = str(detail).rpartition(" / ")
    if label in _LABEL_LINES:
        return _LABEL_LINES[label]
    c = cat.strip().lower()
    if c == "storage":
        return "storage"
    if c in ("networking", "network"):
        return "egress"
    return "shared_services"


def _line(name: str, amount: Decimal, currency: str, detail: str, driver: str) -> CostLine:
    return CostLine(name, _LABELS[name], Money(amount, currency), driver,
                    GROUPS.get(name, "shared"), detail=detail)


def _lines(parts: dict[tuple[str, str], Decimal], currency: str, drivers: dict) -> tuple[CostLine, ...]:
    return tuple(_line(n, v, currency, d, drivers.get((n, d), "from the bill"))
                 for (n, d), v in parts.items())


def _add(parts: dict, key: tuple[str, str], v: Decimal) -> None:
    parts[key] = parts.get(key, Decimal(0)) + v


def _allocated_parts(rows: pd.DataFrame, shared_rule: str) -> dict[tuple[str, str], Decimal]:
    def total(col: str) -> Decimal:
        vals = rows[col].tolist()
        if rows[col].isna().any():  # None among them (NaN too: added, as ever)
            vals = [x for x in vals if x is not None]
        return sum(vals, Decimal(0))

    return _parts_of(total("direct_cost"), total("idle_cost"), total("shared_cost"),
                     shared_rule)


def _period_hours(summary: dict) -> Decimal:
    bp = summary.get("billing_period") or {}
    s, e = bp.get("start"), bp.get("end")
    if s is None or e is None:
        return Decimal(0)
    return Decimal(int((pd.Timestamp(e) - pd.Timestamp(s)).total_seconds())) / 3600


def _tokens(rows: pd.DataFrame) -> Decimal | None:
    t = int(rows["input_tokens"].sum() + rows["output_tokens"].sum())
    return Decimal(t) if t else None


def idle_not_measured(summary: dict) -> bool:
    """Whether a run's idle share of instance time is not measured: call counts split by
    request count (driver `requests`), which knows no busy time; only billed hours
    without any request are idle then."""
    return bool((summary.get("inputs") or {}).get("counts")) and (
        summary.get("driver") == "requests")


def attribution_breakdowns(table: pd.DataFrame, summary: dict, by: str = "combination",
                           name: str = "bill") -> AttributionBreakdowns:
    """The whole bill's CostBreakdown and one per slice (see the module docstring).

    `table`: allocations as from `allocation.engine.attribute` (money Decimal); `summary`:
    its summary (currency, rules, billing_period, totals). `by`: combination or day.
    Raises ValueError for another `by`, AssertionError if conservation breaks.
    """
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}, got {by!r}")
    cur = summary["currency"]
    shared_rule = summary.get("rules", {}).get("shared", "report")
    idle_rule = summary.get("rules", {}).get("idle", "report")
    hours = _period_hours(summary)
    kind = table["kind"]
    al = table[kind == "allocated"]
    drivers = {
        ("accelerator_busy", ""): "fleet instance time spent serving, by request duration (R2-R3)",
        ("accelerator_idle", "spread to users"): "fleet idle time spread by `idle: share` (R4)",
    }
    parts = _allocated_parts(al, shared_rule)
    for rec in table[kind != "allocated"].itertuples(index=False):
        if rec.kind == "idle":
            key = ("accelerator_idle", str(rec.detail))
            drivers[key] = "fleet instance time not serving (R4)"
        elif rec.kind == "shared":
            key = (shared_line_name(rec.detail), str(rec.detail))
            drivers[key] = "bill rows outside the fleet, by ServiceCategory / label (R5)"
        else:
            key = ("unallocated", str(rec.detail))
            drivers[key] = "not allocated: " + str(rec.detail)
        _add(parts, key, rec.cost)
    fleet_parts = fleet_category_parts(parts, summary)
    for (line, key), v in fleet_parts.items():
        _add(parts, key, -v)
        _add(parts, (line, FLEET_DETAIL), v)
        drivers[(line, FLEET_DETAIL)] = _FLEET_DRIVER[line]
    n_all = Decimal(int(al["requests"].sum()))
    facts = {"source": "attribute", "slice": {}, "notes": [
        "bill lines carry amounts only: a bill's rates are per SKU and resource"]}
    unmeasured = idle_not_measured(summary)
    if unmeasured:  # (call counts split by request count: "0% idle" would mislead)
        facts["idle_elsewhere"] = "is not measured (call counts split by request count)"
    bill = CostBreakdown(name, cur, hours, n_all, _lines(parts, cur, drivers), _tokens(al), facts)
    billed = summary["totals"]["bill"]
    if not _conserved(bill, billed):
        raise AssertionError(f"bill breakdown {bill.total.amount} != bill {billed}")

    keys = list(SLICE_KEYS) if by == "combination" else ["period", *SLICE_KEYS]
    slices = []
    h = Decimal(24) if by == "day" else hours
    sums = _slice_sums(al, keys)
    slice_fleet = _slice_fleet_parts(fleet_parts, list(sums.values()))
    for (key, g), fp in zip(sums.items(), slice_fleet, strict=True):
        key = {("day" if k == "period" else k): _text(v) for k, v in zip(keys, key, strict=True)}
        p = _parts_of(g["direct"], g["idle"], g["shared"], shared_rule)
        for (line, k), v in fp.items():
            _add(p, k, -v)
            _add(p, (line, FLEET_DETAIL), v)
        label = " / ".join(f"{k}={'(none)' if v is None else escape_invisible(v)}"
                           for k, v in key.items())  # (a U+200B inside: \u200b)
        facts: dict = {"source": "attribute", "slice": key, "notes": []}
        if idle_rule == "report":  # (a slice's idle is none of its own: "0% idle" misled)
            facts["idle_elsewhere"] = "is reported for the whole fleet, not per slice"
        elif unmeasured:
            facts["idle_elsewhere"] = "is not measured (call counts split by request count)"
        b = CostBreakdown(label, cur, h, Decimal(g["requests"]), _lines(p, cur, drivers),
                          Decimal(g["tokens"]) if g["tokens"] else None, facts)
        if not _conserved(b, g["cost"]):
            raise AssertionError(f"slice {label}: lines {b.total.amount} != its rows {g['cost']}")
        slices.append(Slice(key, b))
    return AttributionBreakdowns(bill, by, tuple(slices))


#: the detail of the storage and egress lines booked from fleet resources' own rows
FLEET_DETAIL = "fleet resources"
#: a fleet driver (`steps.drivers`: a fleet usage row of a ServiceCategory that is not
#: instance time) -> its breakdown line
_FLEET_LINES = {"storage (fleet)": "storage", "networking (fleet)": "egress"}
_FLEET_DRIVER = {
    "storage": "fleet resources' usage rows in ServiceCategory Storage (a volume of a fleet "
               "node), taken out of their instance time in proportion",
    "egress": "fleet resources' usage rows in ServiceCategory Networking (their data "
              "transfer), taken out of their instance time in proportion",
}
#: what a proportional share is rounded to before the largest line takes the rest
_SHARE_QUANTUM = Decimal("1e-10")
_ACCELERATOR = ("accelerator_busy", "accelerator_idle")


def fleet_category_parts(parts: dict[tuple[str, str], Decimal],
                         summary: dict) -> dict[tuple[str, tuple[str, str]], Decimal]:
    """How much of each whole-bill accelerator line of `parts` is a fleet resource's
    Storage or Networking usage (money, exact in sum): {(line, accelerator key): amount}.

    The engine allocates such rows with their resource's instance time (rules R2-R4), so
    they sit in the busy and idle amounts; the summary's drivers (`storage (fleet)`,
    `networking (fleet)`) hold their exact sums. Each is taken out of the accelerator lines
    in proportion to them (each share rounded to 1e-10, the largest line taking the rest,
    so the shares add up to the amount exactly). When fleet rows went unallocated (no
    usable charge period: `totals.unallocated`), only the allocated and idle part of the
    amount, amount x (busy + idle) / (busy + idle + unallocated), is taken (the rest stays
    in `unallocated`). Empty when the fleet has no such rows or no instance time."""
    amounts: dict[str, Decimal] = {}
    for d in summary.get("drivers") or []:
        line = _FLEET_LINES.get(d.get("driver"))
        if line is not None:
            amounts[line] = amounts.get(line, Decimal(0)) + Decimal(str(d["cost"]))
    keys = [k for k in parts if k[0] in _ACCELERATOR]
    booked = sum((parts[k] for k in keys), Decimal(0))
    if not amounts or not booked:
        return {}
    unalloc = Decimal(str((summary.get("totals") or {}).get("unallocated") or 0))
    out: dict = {}
    for line, amount in amounts.items():
        if unalloc:
            amount = (amount * booked / (booked + unalloc)).quantize(_SHARE_QUANTUM)
        shares = _apportion(amount, [parts[k] for k in keys])
        if shares is None:
            continue
        for k, v in zip(keys, shares, strict=True):
            if v:
                out[(line, k)] = v
    return out


def _slice_fleet_parts(fleet_parts: dict, groups: list[dict]) -> list[dict]:
    """The whole bill's storage and egress shares of its busy line and of its idle spread
    to users (`fleet_category_parts`), split over the slices (`_slice_sums` values) in
    proportion to each slice's direct and idle cost; per slice {(line, slice key):
    amount}. The slices' shares add up to the bill's exactly."""
    out: list[dict] = [{} for _ in groups]
    for (line, key), amount in fleet_parts.items():
        col = {("accelerator_busy", ""): "direct",
               ("accelerator_idle", "spread to users"): "idle"}.get(key)
        if col is None:  # (an idle row of a resource: the whole bill's alone)
            continue
        shares = _apportion(amount, [g[col] for g in groups])
        for i, v in enumerate(shares or []):
            if v:
                out[i][(line, key)] = v
    return out


def _apportion(total: Decimal, weights: list[Decimal]) -> list[Decimal] | None:
    """`total` split in proportion to `weights`: each share rounded half-even to 1e-10,
    the weight largest in size (the first of equals) taking the rest, so the shares add
    up to `total` exactly. None when the weights add up to zero."""
    from decimal import localcontext

    w = sum(weights, Decimal(0))
    if not w or not weights:
        return None
    big = max(range(len(weights)), key=lambda i: (abs(weights[i]), -i))
    with localcontext() as ctx:
        ctx.prec = 80  # (exact products; the shares are then rounded to 1e-10)
        shares = [Decimal(0) if i == big or not x else (x * total / w).quantize(_SHARE_QUANTUM)
                  for i, x in enumerate(weights)]
        shares[big] = total - sum(shares, Decimal(0))
    return shares


def _slice_sums(al: pd.DataFrame, keys: list[str]) -> dict[tuple, dict]:
    """Per slice (the values of `keys`, missing as None; sorted with None first): the
    sums of direct, idle, shared and total cost (exact), requests and tokens. The rows
    are grouped once (a stable sort by slice, so each slice keeps its rows' order), then
    each sum is `sum(its values in row order, Decimal(0))` (a pandas group per slice was
    most of the time; the sums are the same additions, in the same order)."""
    if not len(al):
        return {}
    ids, codes = _slice_codes(al, keys)
    order = np.argsort(codes, kind="stable")
    ends = np.cumsum(np.bincount(codes, minlength=len(ids))).tolist()
    starts = [0, *ends[:-1]]
    zero = Decimal(0)
    sums: dict[str, list] = {}
    for name, col in (("direct", "direct_cost"), ("idle", "idle_cost"),
                      ("shared", "shared_cost"), ("cost", "cost")):
        vals = al[col].to_numpy(dtype=object)[order].tolist()
        if al[col].isna().any():  # None among them (NaN too: added, as ever)
            sums[name] = [sum((v for v in vals[a:b] if v is not None), zero)
                          for a, b in zip(starts, ends, strict=True)]
        else:
            sums[name] = [sum(vals[a:b], zero) for a, b in zip(starts, ends, strict=True)]
    for name, vals in (("requests", al["requests"].astype("int64")),
                       ("tokens", al["input_tokens"].astype("int64")
                        + al["output_tokens"].astype("int64"))):
        vals = vals.to_numpy()[order].tolist()
        sums[name] = [sum(vals[a:b]) for a, b in zip(starts, ends, strict=True)]
    out = {key: {name: sums[name][i] for name in sums} for key, i in ids.items()}
    return dict(sorted(out.items(), key=lambda kv: tuple(_k(v) for v in kv[0])))


def _slice_codes(al: pd.DataFrame, keys: list[str]) -> tuple[dict[tuple, int], np.ndarray]:
    """Each row's slice number (int64 array) and the slices' keys (values of `keys`,
    missing as None) -> number, numbered in order of first appearance. The key columns
    are factorized one by one (missing: a value of its own) and their codes combined;
    where pandas tells apart keys that Python holds equal (1 and 1.0), a dict over the
    rows' key tuples decides, as it always did."""
    def values(rows: pd.DataFrame) -> list[list]:
        return [rows[k].astype(object).where(rows[k].notna(), None).tolist() for k in keys]

    codes = np.zeros(len(al), np.int64)
    for k in keys:
        c, uniques = pd.factorize(al[k])
        codes = pd.factorize(codes * (len(uniques) + 1) + (c + 1))[0]
    firsts = np.unique(codes, return_index=True)[1]  # each slice's first row
    ids = {key: g for g, key in enumerate(zip(*values(al.iloc[firsts]), strict=True))}
    if len(ids) == len(firsts):
        return ids, codes
    rows = list(zip(*values(al), strict=True))
    ids = {}
    for key in rows:
        if key not in ids:
            ids[key] = len(ids)
    return ids, np.fromiter(map(ids.__getitem__, rows), np.int64, len(rows))


def _parts_of(direct: Decimal, idle: Decimal, shared: Decimal,
              shared_rule: str) -> dict[tuple[str, str], Decimal]:
    """A slice's lines: busy always, idle and shared spreads when not zero."""
    parts = {("accelerator_busy", ""): direct}
    if idle:
        parts[("accelerator_idle", "spread to users")] = idle
    if shared:
        parts[("shared_services", f"spread by rule {shared_rule}")] = shared
    return parts


def _conserved(b: CostBreakdown, exact: Decimal) -> bool:
    """Whether the lines of `b` add up to `exact`: to the digit, except that a cost line
    holds PLACES (18) decimals, so a bill with longer amounts (a currency converted at a
    long rate) differs by at most half a unit of the 18th decimal per line."""
    from infercost.econ.breakdown import PLACES

    diff = abs(b.total.amount - exact)
    return diff == 0 or diff <= len(b.components) * Decimal(1).scaleb(-PLACES) / 2


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    return str(v)


def _k(v: Any) -> str:
    """A sortable group key (None sorts first)."""
    return "" if v is None else "\x01" + str(v)
