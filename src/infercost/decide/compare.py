"""Compare a scenario's baseline with every `options:` variant, each sized to its own fleet.

For each variant (the baseline first): apply the option's `set:`, size the fleet
(`decide.sizing`: the fewest replicas, or autoscaling bounds, meeting the p99 SLO and,
for an LLM on the performance model, the TTFT SLO at the peak, as optimize screens them) unless the option's own `set:` names `deployment.replicas` or `keep_replicas` is
asked (then the baseline's replicas are kept), run `capacity.estimate` for the monthly
cost, and optionally `sim.simulate` for measured p99, TTFT and each stated SLO's attainment.
Rows hold hardware, replicas, throughput, cost per inference (per 1M input / output
tokens when the workload has tokens), cost per month, p99, SLO met, quality, the
change against the baseline, and energy and carbon (`econ.energy`, the same figures as
`estimate`: kWh and gCO2e per 1,000 inferences). Money is Decimal throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infercost.capacity.estimate import estimate
from infercost.core.catalog import Catalog
from infercost.core.money import Money
from infercost.core.scenario import ReplicaRange, Scenario, apply_option
from infercost.decide.bound import Bound, bound_at
from infercost.decide.energy import per_1k
from infercost.decide.sizing import Sizing, size_fleet, ttft_note, with_replicas
from infercost.decide.tokens import input_share, token_costs
from infercost.econ.breakdown import CostBreakdown
from infercost.errors import InputError
from infercost.perf.service import service_time


@dataclass(frozen=True)
class VariantRow:
    """One variant, sized and costed. Money in the scenario currency, per month (730 h)."""

    name: str
    hardware: str
    precision: str
    plan: str
    replicas: str  # "4" or "3-14" (autoscaling bounds)
    sized: str  # how the replicas were chosen
    capacity_per_s: float  # requests/s the fleet can serve at its peak size (max batch)
    served_per_s: float  # mean requests/s served over the month
    cost_per_inference: Money
    per_1m_input: Money | None
    per_1m_output: Money | None
    monthly_cost: Money
    p99_ms: float  # analytic, at the peak rate (inf when overloaded)
    slo_p99_ms: float | None
    slo_met: bool | None  # every latency SLO checked (p99, and TTFT for an LLM on the perf model)
    quality: float | None
    quality_metric: str | None
    breakdown: CostBreakdown
    delta_per_inference_pct: float | None = None  # vs the baseline, percent
    delta_monthly: Money | None = None
    sim: dict[str, Any] | None = None  # p99_ms, slo_attainment, cost_per_inference, monthly_cost
    notes: tuple[str, ...] = ()
    peak_replicas: int = 1  # replicas at the peak; capacity_per_s / peak_replicas per replica
    utilization: float = 0.0  # busy / (busy + idle) of the replicas run, time-averaged (as estimate)
    load_share: float = 0.0  # mean offered load (experiment copies included) / the full-batch
    # capacity of the replicas the fleet runs on average (an autoscaled fleet: fewer than at peak)
    energy: dict[str, Any] | None = None  # econ.energy facts of the month (None: no powered hardware)
    bound: Bound | None = None  # what limits a replica at the peak (perf model only)
    ttft_ms: float | None = None  # analytic TTFT p99 at the peak (LLMs on the perf model; inf: overloaded)
    slo_ttft_ms: float | None = None  # slo.ttft_ms when checked

    @property
    def capacity_per_replica_s(self) -> float:
        """Requests/s one replica serves at full batches: B / S(B), whatever the fleet size."""
        return self.capacity_per_s / self.peak_replicas

    def to_dict(self) -> dict[str, Any]:
        def m(x: Money | None):
            return x.to_json() if x is not None else None
        return {
            "name": self.name, "hardware": self.hardware, "precision": self.precision,
            "plan": self.plan, "replicas": self.replicas, "sized": self.sized,
            "capacity_per_s": round(self.capacity_per_s, 3),
            "served_per_s": round(self.served_per_s, 3),
            "capacity_per_replica_s": round(self.capacity_per_replica_s, 3),
            "utilization": round(self.utilization, 4),
            "cost_per_inference": m(self.cost_per_inference),
            "cost_per_1k_inferences": m(self.cost_per_inference * 1000),
            "per_1m_input_tokens": m(self.per_1m_input),
            "per_1m_output_tokens": m(self.per_1m_output),
            "monthly_cost": m(self.monthly_cost),
            "p99_ms": None if self.p99_ms == float("inf") else round(self.p99_ms, 3),
            "ttft_ms": (None if self.ttft_ms is None or self.ttft_ms == float("inf")
                        else round(self.ttft_ms, 3)),
            "slo_p99_ms": self.slo_p99_ms, "slo_ttft_ms": self.slo_ttft_ms, "slo_met": self.slo_met,
            "quality": self.quality, "quality_metric": self.quality_metric,
            "delta_per_inference_pct": (None if self.delta_per_inference_pct is None
                                        else round(self.delta_per_inference_pct, 4)),
            "delta_monthly": m(self.delta_monthly),
            "simulated": self.sim,
            "energy": per_1k(self.energy),
            "notes": list(self.notes),
            "bound_at_peak": None if self.bound is None else self.bound.to_dict(),
        }


@dataclass(frozen=True)
class Comparison:
    scenario: str
    currency: str
    rows: list[VariantRow]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "currency": self.currency,
                "variants": [r.to_dict() for r in self.rows], "notes": self.notes}


def names_replicas(option_set: dict[str, Any]) -> bool:
    """True when an option's `set:` fixes the replicas itself."""
    return any(k == "deployment.replicas" or k.startswith("deployment.replicas.") for k in option_set)


def evaluate(scenario: Scenario, catalog: Catalog, *, size: bool = True, label: str | None = None,
             simulate: bool = False, seed: int = 0) -> VariantRow:
    """Size (unless `size` is False) and cost one scenario; see the module doc."""
    svc = service_time(scenario, catalog)
    notes: list[str] = []
    if svc.is_llm:
        # continuous batching up to max_batch concurrent sequences (the KV cache's bound when
        # lower), as the simulator serves it; whether the fleet is sized or kept, so capacity
        # per replica never depends on the replica count
        kv = f"; the KV cache holds {svc.memory_cap}" if svc.memory_cap else ""
        notes.append(f"LLM served with continuous batching of up to {svc.max_batch} sequences "
                     f"(batching.max_batch {scenario.deployment.batching.max_batch}{kv})")
    sizing = size_fleet(scenario, svc)
    if size:
        sized_sc = with_replicas(scenario, sizing.replicas)
        how = sizing.rule
    else:
        sized_sc = scenario
        how = "replicas as given"
        # latency of the fleet as given, at the peak
        n = _peak_replicas(scenario, sizing)
        from infercost.decide.latency import (
            first_token_fn,
            fleet_latency,
            queue_factor,
            service_tail_factor,
        )
        dep = scenario.deployment
        lat = fleet_latency(sizing.peak_rate_per_s, n, svc, dep.batching.max_wait_ms / 1000.0,
                            service_tail_factor(scenario),
                            1.0 - (dep.sharing.others_utilization if dep.sharing else 0.0),
                            queue_factor(scenario), first_token_fn(scenario, svc))
        slo, ttft = sizing.slo_p99_ms, sizing.slo_ttft_ms
        met = None if slo is None and ttft is None else (
            (slo is None or lat.p99_s * 1000.0 <= slo)
            and (ttft is None or (lat.ttft_s or 0.0) * 1000.0 <= ttft))
        sizing = Sizing(n, sizing.peak_rate_per_s, lat, slo, met, how, ttft)
    unchecked = ttft_note(scenario, svc)
    if unchecked:
        notes.append(unchecked)
    est = estimate(sized_sc, catalog)
    bd = est.breakdown
    monthly = bd.monthly_total
    u = est.usage
    share, basis = input_share(sized_sc, svc)
    tc = token_costs(monthly, u.input_tokens, u.output_tokens, share, basis) if (
        u.input_tokens or u.output_tokens) else None
    if tc is not None:
        notes.append(f"per-1M-token costs: {basis}")
    notes.extend(u.notes)
    dep = sized_sc.deployment
    B = svc.max_batch
    cap = sizing.replicas * B / svc.batch_seconds(B)
    # replicas warm on average over the month (an autoscaled fleet runs fewer than at its peak)
    mean_reps = (u.total(u.busy_hours) + u.total(u.idle_hours) + u.total(u.others_busy_hours)) / float(
        u.period_hours)
    served = float(u.inferences) / (float(u.period_hours) * 3600.0)
    exp = sized_sc.costs.experiments
    offered = served * (1.0 + (exp.shadow_fraction if exp else 0.0))
    q = scenario.model.quality
    sim = None
    if simulate:
        from infercost.sim.run import simulate as run_sim

        res = run_sim(sized_sc, catalog, seed=seed)
        lat_ms = res.latency_ms or {}
        sim = {
            "p99_ms": lat_ms.get("p99"),
            "slo_attainment": res.slo.get("attainment"),
            "ttft_p99_ms": (res.ttft_ms or {}).get("p99"),
            "ttft_slo_attainment": res.slo.get("ttft_attainment"),
            "cost_per_inference": res.cost.cost_per_inference.to_json(),
            "monthly_cost": res.cost.monthly_total.to_json(),
            "seed": seed,
        }
    return VariantRow(
        name=label or scenario.name,
        hardware=dep.hardware or "-",
        precision=sized_sc.model.precision,
        plan=dep.pricing.plan + (f"+{dep.pricing.spot_fraction:.0%} spot" if dep.pricing.spot_fraction else ""),
        replicas=_replicas_text(dep.replicas),
        sized=how,
        capacity_per_s=cap,
        served_per_s=served,
        cost_per_inference=bd.cost_per_inference,
        per_1m_input=tc.per_1m_input if tc else None,
        per_1m_output=tc.per_1m_output if tc else None,
        monthly_cost=monthly,
        p99_ms=sizing.latency.p99_s * 1000.0,
        ttft_ms=None if sizing.latency.ttft_s is None else sizing.latency.ttft_s * 1000.0,
        slo_p99_ms=sizing.slo_p99_ms,
        slo_ttft_ms=sizing.slo_ttft_ms,
        slo_met=sizing.slo_met,
        quality=q.value if q else None,
        quality_metric=q.metric if q else None,
        breakdown=bd,
        sim=sim,
        notes=tuple(notes),
        peak_replicas=sizing.replicas,
        utilization=u.utilization,
        load_share=offered / (mean_reps * B / svc.batch_seconds(B)) if mean_reps else 0.0,
        energy=bd.facts.get("energy"),
        bound=bound_at(sized_sc, svc, sizing.latency.batch),
    )


def _peak_replicas(scenario: Scenario, sizing: Sizing) -> int:
    reps = scenario.deployment.replicas
    if isinstance(reps, ReplicaRange):
        return max(reps.min, min(reps.max, sizing.replicas))
    return int(reps)


def _replicas_text(reps) -> str:
    if isinstance(reps, ReplicaRange):
        return f"{reps.min}-{reps.max}"
    return str(reps)


def compare(scenario: Scenario, catalog: Catalog, *, keep_replicas: bool = False,
            simulate: bool = False, seed: int = 0) -> Comparison:
    """The baseline and every option, sized, costed and set against the baseline."""
    if seed < 0:
        raise InputError(f"must be a whole number >= 0, got {seed}", "seed")
    base = evaluate(scenario, catalog, size=not keep_replicas, label="baseline",
                    simulate=simulate, seed=seed)
    rows = [base]
    for opt in scenario.options:
        variant = apply_option(scenario, opt.name)
        fixed = names_replicas(opt.set)
        if keep_replicas and not fixed:
            variant = _with_replicas_of(variant, scenario)
        row = evaluate(variant, catalog, size=not (fixed or keep_replicas), label=opt.name,
                       simulate=simulate, seed=seed)
        if fixed:
            row = _replace(row, sized="replicas set by the option")
        elif keep_replicas:
            row = _replace(row, sized="baseline's replicas (--keep-replicas)")
        rows.append(row)
    out = [rows[0]] + [_vs(r, base) for r in rows[1:]]
    from infercost.decide.latency import arrivals_note

    notes = ["p99 is analytic at the peak arrival rate (Erlang C queue + batch fill + service "
             "tail); --simulate measures it", arrivals_note(scenario)]
    if any(r.ttft_ms is not None for r in out):
        notes[0] = ("p99 and TTFT p99 are analytic at the peak arrival rate (Erlang C queue + batch "
                    "fill + service tail; TTFT: + one decode step and the prompt's prefill); SLO: "
                    "every stated latency SLO met; --simulate measures them")
    return Comparison(scenario.name, scenario.currency, out, notes)


def _with_replicas_of(variant: Scenario, base: Scenario) -> Scenario:
    from infercost.core.scenario import set_path, validate

    raw = variant.model_dump(mode="python", exclude_none=True)
    reps = base.deployment.replicas
    value = reps.model_dump(exclude_none=True) if isinstance(reps, ReplicaRange) else reps
    return validate(set_path(raw, "deployment.replicas", value, "--keep-replicas"), variant.name)


def _replace(row: VariantRow, **kw) -> VariantRow:
    from dataclasses import replace

    return replace(row, **kw)


def _vs(row: VariantRow, base: VariantRow) -> VariantRow:
    b = base.cost_per_inference.amount
    pct = float((row.cost_per_inference.amount - b) / b * 100) if b else None
    return _replace(row, delta_per_inference_pct=pct,
                    delta_monthly=row.monthly_cost - base.monthly_cost)


