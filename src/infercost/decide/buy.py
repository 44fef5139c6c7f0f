"""Build vs buy: self-hosted cost per 1M input / output tokens against hosted API prices.

Self-hosted figures come from the scenario sized to its own fleet (`decide.compare`):
its monthly cost split between input and output tokens (`decide.tokens`).
API cost of the same traffic, per request (tokens from the scenario's workload):

    standard:     isl x input_per_1m / 1e6 + osl x output_per_1m / 1e6
    cached input: the cached share of the prompt at cached_input_per_1m, the rest at input
    batch API:    isl x batch_input_per_1m / 1e6 + osl x batch_output_per_1m / 1e6

(tiers the catalog lacks for a provider are left out, never guessed).

Energy and carbon: the self-hosted fleet's (`econ.energy` through `decide.compare`, as
`infercost estimate`) per 1M tokens (input + output) and per 1,000 inferences; hosted APIs
have none (providers publish no energy figure): None, never 0.

Only what self-hosting itself costs is compared: the accelerator lines (with experiment
copies), engineering, storage and model licensing. Lines that apply however the model is
served (human review, preprocessing, egress) are left out of both sides, and a note says
how much they are.

Break-even monthly volume V* (requests a month), at an assumed utilisation u of each
replica: a replica serves at most cap = B / S(B) requests/s (compare's capacity of the
sized fleet / its replicas), and experiment copies take a share f of what it serves, so
Vr = u x cap x 3600 x 730 / (1 + f) requests a month per replica costing R. By default u
is the sized fleet's own: its mean offered load (copies included) / its capacity, so Vr is
the requests a month each of its replicas carries (the fleet's accelerator cost per replica-month);
components priced per month (unit month, FTE-month, GB-month) are fixed, E; every other
component is per request, v. Self-hosting costs ceil(V / Vr) R + E + V v; the API costs
V a. With k = max(1, ceil(E / (Vr (a - v) - R))) replicas at the crossing,
V* = max((k - 1) Vr, (k R + E) / (a - v)); never, when a <= v + R / Vr.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from infercost.core.catalog import ApiPrice, Catalog
from infercost.core.scenario import Scenario
from infercost.decide.compare import VariantRow, evaluate
from infercost.decide.energy import per_1k
from infercost.decide.tokens import input_share
from infercost.errors import InputError

MILLION = Decimal(1_000_000)
SECONDS_PER_MONTH = Decimal(3600 * 730)
FIXED_UNITS = {"month", "FTE-month", "GB-month"}
SELF_HOSTING = {"engineering", "storage", "licensing", "experiments"}  # + the accelerator group


@dataclass(frozen=True)
class ApiTier:
    """One hosted price tier and what the scenario's traffic would cost on it."""

    provider: str
    model: str
    tier: str  # standard, cached input, batch
    input_per_1m: Decimal
    output_per_1m: Decimal
    per_request: Decimal
    monthly: Decimal  # at the scenario's volume
    breakeven_requests: Decimal | None  # a month; None: self-hosting never breaks even
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "tier": self.tier,
                "input_per_1m": _s(self.input_per_1m), "output_per_1m": _s(self.output_per_1m),
                "per_request": _s(self.per_request, 10), "monthly_cost": _s(self.monthly, 2),
                "breakeven_requests_per_month": None if self.breakeven_requests is None
                else _s(self.breakeven_requests, 0), "source": self.source}


def _s(d: Decimal, places: int | None = None) -> str:
    if places is not None:
        d = d.quantize(Decimal(1).scaleb(-places))
    t = format(d, "f")
    return t.rstrip("0").rstrip(".") if "." in t else t


def tiers(p: ApiPrice, cached_share: Decimal) -> list[tuple[str, Decimal, Decimal]]:
    """(tier, effective input price, output price) per 1M tokens for the tiers p has."""
    out = [("standard", p.input_per_1m, p.output_per_1m)]
    if p.cached_input_per_1m is not None:
        eff = cached_share * p.cached_input_per_1m + (1 - cached_share) * p.input_per_1m
        out.append((f"cached {_s(cached_share * 100)}%", eff, p.output_per_1m))
    if p.batch_input_per_1m is not None and p.batch_output_per_1m is not None:
        out.append(("batch API", p.batch_input_per_1m, p.batch_output_per_1m))
    return out


def breakeven(a: Decimal, v: Decimal, R: Decimal, E: Decimal, Vr: Decimal) -> Decimal | None:
    """Requests a month where self-hosting starts to cost no more than the API (module doc)."""
    margin = Vr * (a - v) - R
    if margin <= 0:
        return None
    k = max(1, math.ceil(E / margin)) if E > 0 else 1
    return max((k - 1) * Vr, (k * R + E) / (a - v))


@dataclass(frozen=True)
class BuildVsBuy:
    scenario: str
    currency: str
    self_hosted: VariantRow
    self_hosted_monthly: Decimal  # the self-hosting lines only (module doc)
    per_1m_input: Decimal | None
    per_1m_output: Decimal | None
    utilization: float  # assumed per replica for the break-even
    capacity_per_replica_s: float  # B / S(B), as compare states it
    replica_month: Decimal  # R
    fixed_monthly: Decimal  # E
    variable_per_request: Decimal  # v
    requests_per_replica_month: Decimal  # Vr
    apis: list[ApiTier]
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        sh = self.self_hosted
        return {
            "scenario": self.scenario, "currency": self.currency,
            "self_hosted": {
                "hardware": sh.hardware, "replicas": sh.replicas,
                "per_1m_input_tokens": None if self.per_1m_input is None else _s(self.per_1m_input, 6),
                "per_1m_output_tokens": None if self.per_1m_output is None else _s(self.per_1m_output, 6),
                "monthly_cost": _s(self.self_hosted_monthly, 2),
                "all_lines_monthly_cost": sh.monthly_cost.to_json(),
                "requests_per_month": _s(Decimal(repr(sh.served_per_s)) * SECONDS_PER_MONTH, 0),
                "energy": per_1k(sh.energy),
            },
            "breakeven_assumes": {
                "utilization": round(self.utilization, 4),
                "capacity_per_replica_s": round(self.capacity_per_replica_s, 3),
                "replica_month": _s(self.replica_month, 2),
                "fixed_monthly": _s(self.fixed_monthly, 2),
                "variable_per_request": _s(self.variable_per_request, 10),
                "requests_per_replica_month": _s(self.requests_per_replica_month, 0),
            },
            "apis": [a.to_dict() for a in self.apis],
            "notes": self.notes,
        }


def build_vs_buy(scenario: Scenario, catalog: Catalog, *, utilization: float | None = None,
                 cached_share: Decimal = Decimal("0.5"), apis: list[str] | None = None) -> BuildVsBuy:
    """Self-hosted token costs, each API tier's cost for the same traffic, break-even volumes."""
    req = scenario.workload.request
    isl = Decimal(repr(req.prompt_tokens.mean)) if req.prompt_tokens else Decimal(0)
    osl = Decimal(repr(req.output_tokens.mean)) if req.output_tokens else Decimal(0)
    if isl + osl == 0:
        raise InputError("build-vs-buy compares token prices: give prompt_tokens and output_tokens",
                         "workload.request")
    if utilization is not None and not 0 < utilization <= 1:
        raise InputError(f"expected a utilisation in (0, 1], got {utilization}", "--utilization")
    from infercost.perf.service import service_time

    row = evaluate(scenario, catalog, size=True, label="self-hosted")
    bd = row.breakdown
    svc = service_time(scenario, catalog)
    # one source of truth with compare: the sized fleet's capacity and utilisation
    cap_s = row.capacity_per_replica_s
    cap = Decimal(repr(cap_s))
    u = utilization if utilization is not None else row.load_share
    if not u:
        u = 0.7
    exp = scenario.costs.experiments
    copies = Decimal(repr(exp.shadow_fraction)) if exp else Decimal(0)
    notes = list(row.notes)
    if row.energy is None:
        notes.append(f"self-hosted energy not modelled: no power figure (tdp_w) for {scenario.deployment.hardware} "
                     "or no grid intensity for its region")
    notes.append("hosted APIs: no energy or carbon figure (providers publish none): shown '-'")
    if utilization is None:
        notes.append(f"break-even assumes the sized fleet's utilisation, {u:.1%} of {cap_s:,.2f} req/s per "
                     f"replica ({row.peak_replicas} replicas, capacity {row.capacity_per_s:,.1f} req/s, "
                     f"{row.served_per_s:,.1f} req/s served"
                     + (f" + {float(copies):.0%} experiment copies" if copies else "")
                     + "; --utilization to change)")
        asked = scenario.deployment.replicas
        if isinstance(asked, int) and asked != row.peak_replicas:
            notes.append(f"self-hosted side sized to the load and SLO: {row.peak_replicas} "
                         f"replicas, where the scenario fixes {asked} (build-vs-buy compares "
                         "the fleet the traffic needs, as `compare` sizes it)")
    acc = [c for c in bd.components if c.group == "accelerator" and c.quantity]
    gpu_h = sum((c.quantity for c in acc), Decimal(0))
    acc_cost = sum((c.cost.amount for c in acc), Decimal(0))
    gpus = scenario.deployment.gpus_per_replica
    R = (acc_cost / gpu_h * gpus * Decimal(730)) if gpu_h else Decimal(0)
    mf = bd.month_factor
    own = [c for c in bd.components if c.group == "accelerator" or c.name in SELF_HOSTING]
    shared = [c for c in bd.components if c not in own]
    if shared:
        amt = sum((c.cost.amount * mf for c in shared), Decimal(0))
        notes.append(f"left out of both sides (they apply however the model is served): "
                     f"{', '.join(sorted({c.name for c in shared}))}, {amt:,.2f} "
                     f"{scenario.currency} a month")
    own_monthly = sum((c.cost.amount * mf for c in own), Decimal(0))
    fixed = sum((c.cost.amount * mf for c in own if c not in acc and c.unit in FIXED_UNITS), Decimal(0))
    variable_month = sum((c.cost.amount * mf for c in own if c not in acc
                          and c.unit not in FIXED_UNITS), Decimal(0))
    monthly_req = bd.inferences * mf
    share, _basis = input_share(scenario, svc)
    tin, tout = monthly_req * isl, monthly_req * osl
    p_in = (own_monthly * share / tin * MILLION) if tin else None
    p_out = (own_monthly * (1 - share) / tout * MILLION) if tout else None
    v = variable_month / monthly_req if monthly_req else Decimal(0)
    Vr = Decimal(repr(u)) * cap * SECONDS_PER_MONTH / (1 + copies)
    chosen = catalog.api_tokens
    if apis:
        want = set(apis)
        chosen = [p for p in chosen if f"{p.provider}/{p.model}" in want]
        missing = want - {f"{p.provider}/{p.model}" for p in chosen}
        if missing:
            known = ", ".join(f"{p.provider}/{p.model}" for p in catalog.api_tokens)
            raise InputError(f"unknown API {', '.join(sorted(missing))}; known: {known}", "--api")
    out = []
    for p in chosen:
        if p.currency != scenario.currency:
            notes.append(f"{p.provider}/{p.model} priced in {p.currency}, not {scenario.currency}: left out")
            continue
        for tier, pin, pout in tiers(p, cached_share):
            a = (isl * pin + osl * pout) / MILLION
            out.append(ApiTier(p.provider, p.model, tier, pin, pout, a, a * monthly_req,
                               breakeven(a, v, R, fixed, Vr), p.source.split(",")[0]))
    return BuildVsBuy(scenario.name, scenario.currency, row, own_monthly, p_in, p_out, u, cap_s, R, fixed,
                      v, Vr, out, notes)
