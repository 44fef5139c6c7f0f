"""The headline figures of one infercost result, for trackers that chart numbers.

`load_figures(path)` turns a scenario file (estimated, or simulated with
`simulate=True`) or an attribution folder (`infercost attribute --out`, its
summary.json) into `CostFigures`: cost per request and per 1k requests, monthly cost,
throughput, p99 latency when the source has one, and the monthly cost of every
breakdown component. Everything comes from `infercost.api` results' `.to_dict()` (or
the summary.json that `api.attribute` writes), never from the engines.

Money stays `Decimal` here (exact); a tracker that stores floats converts at its edge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from infercost.errors import InputError

#: Where the figures came from, as written in the `infercost.source` tag.
SOURCES = ("estimate", "simulate", "attribution")


@dataclass(frozen=True)
class CostFigures:
    """The figures of one result.

    `source`: "estimate", "simulate" or "attribution". `name`: the scenario's name, or
    "bill" / the slice of an attribution. `currency`: ISO 4217 code of every money
    figure. `cost_per_request`, `cost_per_1k_requests`: total cost of the period over
    the requests (inferences) served in it (None when none were served);
    `monthly_cost`: the total per month of 730 h. `requests`: inferences in the period;
    `period_hours`: the period's length, hours. `throughput_rps`: requests served per
    second averaged over the period (requests / (period_hours x 3600)).
    `p99_latency_ms`: request latency, 99th percentile, ms (simulate only; None
    otherwise). `components`: monthly cost by breakdown component name (lines of the
    same name summed). `notes`: what the source does not give (e.g. no latency).
    `left_out`: the parts of the bill the money figures do not include: an
    attribution slice whose summary reported idle, shared or unallocated cost for the
    whole bill instead of spreading it over the slices (rules `idle: report`, `shared:
    report`) holds ("idle", "shared", "unallocated") as they apply; empty for a fully
    loaded figure. `result`: the full JSON-ready result the figures were read from.
    """

    source: str
    name: str
    currency: str
    cost_per_request: Decimal | None
    cost_per_1k_requests: Decimal | None
    monthly_cost: Decimal
    requests: Decimal
    period_hours: Decimal
    throughput_rps: float | None
    p99_latency_ms: float | None
    components: dict[str, Decimal]
    notes: tuple[str, ...] = ()
    result: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    left_out: tuple[str, ...] = ()

    @property
    def money_prefix(self) -> str:
        """Prefix of the money figures' names: "allocated_" when `left_out` is not
        empty (allocated_cost_per_request, ...), else "" (the fully loaded figure)."""
        return "allocated_" if self.left_out else ""


def load_figures(path: str | Path, *, simulate: bool = False, seed: int = 0,
                 catalog: Any = None, option: str | None = None,
                 overrides: dict[str, Any] | None = None,
                 slice_key: dict[str, str] | None = None) -> CostFigures:
    """The figures of a scenario file or an attribution folder.

    A folder is an attribution (`infercost attribute --out`): its summary.json's whole
    bill breakdown, or with `slice_key` (e.g. {"model_version": "3"}) the one slice whose
    key has those values. A file is a scenario: `api.estimate`, or `api.simulate` with
    `simulate=True` (seed `seed`); `catalog`, `option` and `overrides` as for those.
    Raises `InputError` for bad input: a folder without summary.json or breakdowns, a
    slice that matches no slice or several, a bad scenario.
    """
    from infercost import api

    p = Path(path)
    if p.is_dir():
        if simulate or option or overrides or catalog:
            raise InputError("--simulate, --option, --set and --catalog go with a scenario, "
                             "not an attribution folder", str(p))
        return attribution_figures(read_attribution(p), slice_key=slice_key, where=str(p))
    if slice_key:
        raise InputError("--slice goes with an attribution folder, not a scenario", str(p))
    if simulate:
        return simulation_figures(api.simulate(p, seed=seed, catalog=catalog, option=option,
                                               **(overrides or {})).to_dict(series=False))
    return estimate_figures(api.estimate(p, catalog=catalog, option=option,
                                         **(overrides or {})).to_dict())


def read_attribution(folder: str | Path) -> dict[str, Any]:
    """summary.json of an attribution folder, as parsed JSON. Raises `InputError` when it
    is absent, not JSON, or without `breakdowns` (written by `infercost attribute`)."""
    p = Path(folder) / "summary.json"
    if not p.is_file():
        raise InputError("no summary.json here; expected the --out folder of "
                         "`infercost attribute`", str(folder))
    try:
        s = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"not JSON ({e})", str(p)) from None
    if not isinstance(s, dict) or not isinstance(s.get("breakdowns"), dict) \
            or not isinstance(s["breakdowns"].get("bill"), dict):
        raise InputError("no `breakdowns.bill` in this summary; re-run `infercost attribute`",
                         str(p))
    return s


def estimate_figures(d: dict[str, Any]) -> CostFigures:
    """Figures of `api.estimate(...).to_dict()`. An estimate uses means: no latency."""
    return _from_breakdown(d, "estimate", d["scenario"], None, d["scenario"],
                           notes=("p99_latency_ms: estimate uses means and models no latency; "
                                  "log a simulation (--simulate) for it",), result=d)


def simulation_figures(d: dict[str, Any]) -> CostFigures:
    """Figures of `api.simulate(...).to_dict()`: the simulated cost and latency p99."""
    if not d.get("cost"):
        raise InputError("the simulation has no cost (no prices for this deployment)",
                         d.get("scenario", "simulate"))
    lat = d.get("latency_ms") or {}
    p99 = lat.get("p99")
    notes = () if p99 is not None else ("p99_latency_ms: no request was served",)
    return _from_breakdown(d["cost"], "simulate", d["scenario"],
                           None if p99 is None else float(p99), d["scenario"], notes=notes,
                           result=d)


def attribution_figures(s: dict[str, Any], *, slice_key: dict[str, str] | None = None,
                        where: str = "summary.json") -> CostFigures:
    """Figures of an attribution summary (summary.json): the whole bill's breakdown
    (allocated + idle + shared + unallocated over the requests), or one slice's."""
    b = s["breakdowns"]
    name = "bill"
    bd = b["bill"]
    if slice_key:
        hits = [x for x in b.get("slices") or []
                if all(str((x.get("key") or {}).get(k)) == v for k, v in slice_key.items())]
        want = ",".join(f"{k}={v}" for k, v in slice_key.items())
        if len(hits) != 1:
            keys = sorted({",".join(f"{k}={v}" for k, v in (x.get("key") or {}).items())
                           for x in b.get("slices") or []})
            raise InputError(f"--slice {want} matches {len(hits)} slices; expected one of: "
                             + ("; ".join(keys) or "(none)"), where)
        bd, name = hits[0]["breakdown"], want
    notes: tuple[str, ...] = ("p99_latency_ms: an attribution has no latency",)
    left_out: tuple[str, ...] = ()
    if slice_key:
        left_out, note = _slice_left_out(s, name)
        notes += (note,) if note else ()
    f = _from_breakdown(bd, "attribution", name, None, where, notes=notes, result=s)
    return replace(f, left_out=left_out)


def _slice_left_out(s: dict[str, Any], name: str) -> tuple[tuple[str, ...], str | None]:
    """(parts of the bill a slice's figures leave out, the note saying so): idle,
    shared and unallocated cost the summary's `totals` still hold after spreading are
    reported for the whole bill only, in no slice."""
    totals = s.get("totals") or {}
    bill = _dec(totals.get("bill"), "summary.json: totals.bill") or Decimal(0)
    cur = s.get("currency") or (s["breakdowns"]["bill"].get("currency", ""))
    parts: list[tuple[str, Decimal]] = []
    for part in ("idle", "shared", "unallocated"):
        v = _dec(totals.get(part), f"summary.json: totals.{part}") or Decimal(0)
        if v > 0:
            parts.append((part, v))
    if not parts:
        return (), None
    said = ", ".join(f"{p} {v:,.2f} {cur}" + (f" ({v / bill:.1%} of the bill)" if bill > 0
                                               else "") for p, v in parts)
    per = (s["breakdowns"]["bill"].get("total") or {}).get("per_inference")
    whole = f"; the whole bill is {Decimal(per):.4g} {cur} per request" if per else ""
    note = (f"{name}: the cost allocated to this slice only (allocated_* figures): the bill's {said} "
            "are reported for the whole bill, not spread over slices (attribution rules "
            "`idle: share` and `shared: requests|cost|even` spread them)" + whole)
    return tuple(p for p, _ in parts), note


def _dec(v: Any, where: str) -> Decimal | None:
    if v is None:
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        raise InputError(f"expected a decimal number, got {v!r}", where) from None


def _from_breakdown(bd: dict[str, Any], source: str, name: str, p99: float | None,
                    where: str, *, notes: tuple[str, ...], result: dict[str, Any]) -> CostFigures:
    try:
        total = bd["total"]
        comps: dict[str, Decimal] = {}
        for c in bd["components"]:
            comps[c["name"]] = comps.get(c["name"], Decimal(0)) + \
                _dec(c["monthly_cost"], f"{where}: components.{c['name']}")
        requests = _dec(bd["inferences"], f"{where}: inferences") or Decimal(0)
        hours = _dec(bd["period_hours"], f"{where}: period_hours") or Decimal(0)
        figures = CostFigures(
            source=source, name=name, currency=bd["currency"],
            cost_per_request=_dec(total.get("per_inference"), f"{where}: total.per_inference"),
            cost_per_1k_requests=_dec(total.get("per_1k_inferences"),
                                      f"{where}: total.per_1k_inferences"),
            monthly_cost=_dec(total["monthly_cost"], f"{where}: total.monthly_cost"),
            requests=requests, period_hours=hours,
            throughput_rps=float(requests / (hours * 3600)) if hours > 0 else None,
            p99_latency_ms=p99, components=comps, result=result,
            notes=notes + (() if requests > 0 else
                           ("cost_per_request: no requests served in the period",)),
        )
    except (KeyError, TypeError) as e:
        raise InputError(f"not an infercost cost breakdown (missing {e})", where) from None
    return figures
