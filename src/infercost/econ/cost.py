"""Itemised cost per inference: CapacityUsage + scenario `costs:` -> CostBreakdown.

Every line is `quantity unit x rate = amount` (econ.breakdown.CostLine), for the usage's
period (docs/cost-model.md):

- accelerator_busy: busy GPU-hours of user requests x price per GPU-hour of the plan,
  one line per plan (GPU-hours = replica-hours x gpus_per_replica, or the usage's own
  exact `gpu_hours` when the simulator counted each pool with its own GPUs);
- experiments: the shadow / A-B share of busy GPU-hours, busy x shadow / (1 + shadow);
- accelerator_idle: our share of idle GPU-hours (shared replicas: split by the idle rule:
  proportional to busy time, evenly, or all to the owner);
- accelerator_warmup: our share of warm-up GPU-hours;
- licensing: inferences / 1000 x per_1k_inferences, and months x per_month (two lines);
- human_review: fraction x inferences x minutes_each / 60 review-hours x hourly_rate;
- preprocessing: cpu_ms_per_request x inferences / 3.6e6 vCPU-hours x price per vCPU-hour;
- storage: gb x months GB-months x price per GB-month;
- egress: max(0, bytes_per_response x inferences / 1e9 - free GB a month x months) GB x
  price per GB (the free tier comes with a catalog price, never with an override);
- engineering: fte x months FTE-months x annual_cost_per_fte / 12;
where months = period_hours / 730. Accelerator time becomes money in one function,
`accelerator_cost`, which the simulator's per-minute series uses too. Prices come from
the catalog (source and date kept in the driver text) unless the scenario overrides
them; a catalog price in another currency than the scenario's needs an `fx:` rate, else
it is an error.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from infercost.core.catalog import Catalog
from infercost.core.money import Money, to_decimal
from infercost.econ.breakdown import CostBreakdown, CostLine, q, quantity
from infercost.econ.owned import has_owned_inputs, owned_gpu_hour_price
from infercost.econ.usage import HOURS_PER_MONTH, CapacityUsage
from infercost.errors import CurrencyError, InputError

if TYPE_CHECKING:  # annotations only (importing it costs pydantic)
    from infercost.core.scenario import Scenario


def _d(x: float) -> Decimal:
    return to_decimal(float(x))


def _hours(x: float) -> Decimal:
    """Replica-hours as Decimal, rounded to 1e-9 h (3.6 microseconds) to shed float noise."""
    return to_decimal(round(float(x), 9))


def to_scenario_currency(m: Money, scenario: Scenario, what: str) -> Money:
    """Convert a catalog price into the scenario's currency with its `fx:` table."""
    if m.currency == scenario.currency:
        return m
    rate = scenario.fx.get(m.currency)
    if rate is None:
        raise CurrencyError(
            f"{what} is priced in {m.currency} but the scenario is in {scenario.currency}; "
            f"add `fx: {{{m.currency}: <{scenario.currency} per {m.currency}>}}`",
            "currency",
        )
    return m.convert(rate, scenario.currency)


def gpu_hour_price(scenario: Scenario, catalog: Catalog, plan: str,
                   sources: dict[str, str] | None = None) -> tuple[Money, str]:
    """Price of one GPU-hour on `plan` in the scenario currency and a short label for it.

    The catalog's full source text is added to `sources` (label -> source) when given.
    """
    pr = scenario.deployment.pricing
    if pr.price_per_gpu_hour is not None and plan == pr.plan:
        return Money(pr.price_per_gpu_hour, scenario.currency), "scenario override"
    hw = scenario.deployment.hardware
    if not hw:
        raise InputError(
            "set `deployment.hardware` (priced from the catalog) or "
            "`deployment.pricing.price_per_gpu_hour`", "deployment")
    catalog.get_hardware(hw)
    m, inst = catalog.gpu_hour_price(pr.provider, hw, plan)
    src = f"{inst.provider} {inst.instance} {plan}, catalog as of {inst.as_of.isoformat()}"
    if sources is not None:
        sources[src] = inst.source
    return to_scenario_currency(m, scenario, f"{pr.provider} {hw}"), src


def _service_price(scenario: Scenario, catalog: Catalog, field: str, override,
                   sources: dict[str, str]) -> tuple[Money, str]:
    if override is not None:
        return Money(override, scenario.currency), "scenario override"
    sp = catalog.get_services(scenario.deployment.pricing.provider)
    m = Money(getattr(sp, field), sp.currency)
    src = f"{sp.provider} services, catalog as of {sp.as_of.isoformat()}"
    sources[src] = sp.source
    return to_scenario_currency(m, scenario, f"{sp.provider} {field}"), src


def accelerator_rates(scenario: Scenario, catalog: Catalog, plans,
                      sources: dict[str, str] | None = None,
                      utilization: float = 0.0) -> dict[str, tuple[Money, str]]:
    """Price per GPU-hour (scenario currency) and its short source, for each plan in `plans`.

    The `owned` plan is priced by `econ.owned` (capex amortised over its life, power at
    `utilization` (0-1) x PUE, hosting, maintenance) from the scenario's `finance.owned`,
    else (unless `deployment.pricing.price_per_gpu_hour` overrides it) from the catalog's
    `prices.owned_hardware` entry of the hardware; only a hardware with neither falls back
    to a flat catalog `owned` rate (its label says so). Every other plan from the catalog
    (or the scenario's override).
    """
    fin = getattr(scenario, "finance", None)
    pr = scenario.deployment.pricing
    out = {}
    for plan in sorted(set(plans)):
        overridden = pr.price_per_gpu_hour is not None and plan == pr.plan
        if plan == "owned" and ((fin is not None and fin.owned is not None)
                                or (not overridden and has_owned_inputs(scenario, catalog))):
            rate, label = owned_gpu_hour_price(scenario, catalog, utilization)
            if sources is not None and (fin is None or fin.owned is None):
                oh = catalog.owned[scenario.deployment.hardware]
                sources[label] = oh.source
            out[plan] = (rate, label)
        elif plan == "owned" and not overridden:
            rate, label = gpu_hour_price(scenario, catalog, plan, sources)
            out[plan] = (rate, label + " (flat rate: no owned-hardware inputs for this hardware; "
                                       "set finance.owned to price capex, power, hosting and maintenance)")
        else:
            out[plan] = gpu_hour_price(scenario, catalog, plan, sources)
    return out


def accelerator_cost(rates: dict[str, Money], gpu_hours: dict[str, Decimal], currency: str) -> Money:
    """Accelerator time priced: sum over plans of GPU-hours x price per GPU-hour (USD/GPU-h).

    The one place accelerator time becomes money: `itemise` prices its lines with it and
    the simulator its per-minute series, so the two agree to the last digit. `gpu_hours`
    maps plan -> Decimal GPU-hours; a plan with no rate in `rates` raises KeyError.
    """
    total = Money.zero(currency)
    for plan, h in gpu_hours.items():
        if h:
            total += rates[plan] * h
    return q(total)


def accelerator_gpu_hours(scenario: Scenario, usage: CapacityUsage) -> dict[str, dict[str, Decimal]]:
    """GPU-hours by plan and state (busy, idle, warmup) before any idle share, exact Decimal.

    The usage's own `gpu_hours` when it has them (the simulator counts each pool with its own
    GPU count); else replica-hours x `deployment.gpus_per_replica`, idle taken as provisioned
    less busy less co-tenants' busy so busy + idle is the paid time exactly.
    """
    if usage.gpu_hours is not None:
        return {p: {k: usage.gpu_hours[p].get(k, Decimal(0)) for k in ("busy", "idle", "warmup")}
                for p in sorted(usage.gpu_hours)}
    gpus = Decimal(scenario.deployment.gpus_per_replica)
    out: dict[str, dict[str, Decimal]] = {}
    for plan in sorted(set(usage.busy_hours) | set(usage.idle_hours) | set(usage.warmup_hours)):
        b = _hours(usage.busy_hours.get(plan, 0.0))
        o = _hours(usage.others_busy_hours.get(plan, 0.0))
        prov = _hours(usage.busy_hours.get(plan, 0.0) + usage.idle_hours.get(plan, 0.0)
                      + usage.others_busy_hours.get(plan, 0.0))
        out[plan] = {"busy": b * gpus, "idle": max(Decimal(0), prov - b - o) * gpus,
                     "warmup": _hours(usage.warmup_hours.get(plan, 0.0)) * gpus}
    return out


def itemise(scenario: Scenario, catalog: Catalog, usage: CapacityUsage) -> CostBreakdown:
    """The itemised CostBreakdown of `usage` under `scenario`'s prices and other costs.

    Every line is `quantity unit x rate = amount` (econ.breakdown.CostLine). Accelerator
    lines are in GPU-hours at the plan's price per GPU-hour, one set per pricing plan
    (`detail` names the plan). Raises InputError for a missing price, CurrencyError for a
    catalog price in another currency without an `fx:` rate.
    """
    cur = scenario.currency
    dep = scenario.deployment
    costs = scenario.costs
    sources: dict[str, str] = {}
    months = _d(usage.period_hours) / _d(HOURS_PER_MONTH)
    n = to_decimal(round(float(usage.inferences), 6))  # fluid counts: to a millionth
    gpus = dep.gpus_per_replica
    comps: list[CostLine] = []

    def add(line: CostLine, note: str = "") -> None:
        driver = line.formula() + (f"; {note}" if note else "")
        comps.append(replace(line, driver=driver))

    # -- accelerator -----------------------------------------------------------------
    gh = accelerator_gpu_hours(scenario, usage)
    rates = accelerator_rates(scenario, catalog, gh, sources, usage.utilization)
    share_idle = _idle_share(scenario, usage)
    shadow = _d(costs.experiments.shadow_fraction) if costs.experiments else Decimal(0)
    busy, exps, idles, warms = [], [], [], []
    for plan, h in gh.items():
        rate, src = rates[plan]
        tag = f" ({plan})" if len(gh) > 1 else ""  # one set of lines per plan: say which
        per = f"{plan} [{src}]"
        busy_h = h["busy"]
        exp_h = _round_h(busy_h * shadow / (1 + shadow)) if shadow > 0 else Decimal(0)
        user_h = busy_h - exp_h
        hw = catalog.hardware.get(dep.hardware or "")
        unit = "vCPU" if hw is not None and hw.kind == "cpu" else "GPU"  # CPU serving: vCPU-hours
        g = f"{unit}-h"
        per_gpu = f"{gpus} {unit}/replica" if usage.gpu_hours is None else f"each pool's {unit}s/replica"
        busy.append((CostLine.priced("accelerator_busy", "Accelerator time, serving" + tag, user_h, g, rate,
                                     "", detail=plan),
                     f"busy {g} of user requests ({per_gpu}); {per}"))
        if shadow > 0:
            exps.append((CostLine.priced("experiments", "Experiments (shadow / A-B traffic)" + tag, exp_h, g,
                                         rate, "", detail=plan),
                         f"{float(shadow):.0%} extra traffic: {_h(busy_h)} busy {g} x "
                         f"{shadow}/(1+{shadow}); {per}"))
        idle_h = _round_h(h["idle"] * share_idle)
        share_txt = f"our share {float(share_idle):.0%} of " if share_idle != 1 else ""
        idles.append((CostLine.priced("accelerator_idle", "Accelerator time, idle" + tag, idle_h, g, rate, "",
                                      detail=plan), f"{share_txt}idle {g}; {per}"))
        if usage.warmup_hours or (usage.gpu_hours is not None and h["warmup"]):
            warm_h = _round_h(h["warmup"] * share_idle)
            warms.append((CostLine.priced("accelerator_warmup", "Accelerator time, warming up" + tag, warm_h, g,
                                          rate, "", detail=plan), f"{share_txt}warm-up {g}; {per}"))
    if not gh:  # nothing provisioned: still say so in a zero line
        busy.append((CostLine("accelerator_busy", "Accelerator time, serving", Money.zero(cur), "",
                              "accelerator"), "no replica-hours"))
    for line, note in busy + exps + idles + warms:
        add(line, note)

    # -- the rest of the bill ----------------------------------------------------------
    if costs.licensing:
        lic = costs.licensing
        per_1k, per_month = Money(lic.per_1k_inferences, cur), Money(lic.per_month, cur)
        both = bool(per_1k.amount and per_month.amount)
        if per_1k.amount or not per_month.amount:
            add(CostLine.priced("licensing", "Licensing, per 1k" if both else "Licensing", n / 1000, "1k inferences", per_1k, "",
                                detail="per 1k inferences"))
        if per_month.amount:
            add(CostLine.priced("licensing", "Licensing, monthly" if both else "Licensing", quantity(months), "month", per_month, "",
                                detail="per month"))
    if costs.human_review:
        hr = costs.human_review
        hours = quantity(n * _d(hr.fraction) * _d(hr.minutes_each) / 60)
        add(CostLine.priced("human_review", "Human review", hours, "review-h", Money(hr.hourly_rate, cur), ""),
            f"{hr.fraction * 100:.4g}% of inferences x {hr.minutes_each:g} min")
    if costs.preprocessing:
        pp = costs.preprocessing
        price, src = _service_price(scenario, catalog, "vcpu_hour", pp.price_per_vcpu_hour, sources)
        vcpu_h = quantity(n * _d(pp.cpu_ms_per_request) / Decimal(3_600_000))
        add(CostLine.priced("preprocessing", "Preprocessing (CPU)", vcpu_h, "vCPU-h", price, ""),
            f"{pp.cpu_ms_per_request:g} CPU-ms/request [{src}]")
    if costs.storage:
        st = costs.storage
        price, src = _service_price(scenario, catalog, "storage_gb_month", st.price_per_gb_month, sources)
        add(CostLine.priced("storage", "Storage", quantity(_d(st.gb) * months), "GB-month", price, ""),
            f"{st.gb:g} GB for {_h(months, 3)} month [{src}]")
    if costs.egress:
        eg = costs.egress
        price, src = _service_price(scenario, catalog, "egress_gb", eg.price_per_gb, sources)
        gb = n * _d(eg.bytes_per_response) / Decimal(1_000_000_000)
        free = Decimal(0)
        if eg.price_per_gb is None:
            free = quantity(catalog.get_services(dep.pricing.provider).egress_free_gb_month * months)
        billed = max(Decimal(0), gb - free)
        note = f"{eg.bytes_per_response:g} B/response = {_h(gb)} GB sent"
        if free:
            note += f", less {_h(free)} GB free ({_h(free / months if months else free)} GB/month)"
        add(CostLine.priced("egress", "Network egress", billed, "GB", price, ""), f"{note} [{src}]")
    if costs.engineering:
        en = costs.engineering
        add(CostLine.priced("engineering", "Engineering", quantity(_d(en.fte) * months), "FTE-month",
                            q(Money(en.annual_cost_per_fte, cur) / 12), ""),
            f"{en.fte:g} FTE x {en.annual_cost_per_fte}/year / 12")

    tokens = None
    if usage.input_tokens or usage.output_tokens:
        tokens = _d(usage.input_tokens) + _d(usage.output_tokens)
    facts = {
        "source": usage.source,
        "provisioned_replica_hours": round(usage.provisioned_hours, 6),
        "busy_replica_hours": round(usage.total(usage.busy_hours), 6),
        "idle_replica_hours": round(usage.total(usage.idle_hours), 6),
        "warmup_replica_hours": round(usage.total(usage.warmup_hours), 6),
        "utilization": round(usage.utilization, 6),
        "dropped_requests": round(usage.dropped, 3),
        "shadow_requests": round(usage.shadow_inferences, 3),
        "notes": list(usage.notes),
        "sources": dict(sorted(sources.items())),
    }
    return CostBreakdown(scenario.name, cur, _d(usage.period_hours), n, tuple(comps), tokens, facts)


def _idle_share(scenario: Scenario, usage: CapacityUsage) -> Decimal:
    sh = scenario.deployment.sharing
    if sh is None:
        return Decimal(1)
    if sh.idle_rule == "owner":
        return Decimal(1)
    if sh.idle_rule == "even":
        return Decimal(1) / Decimal(sh.tenants)
    ours = _hours(usage.total(usage.busy_hours))
    theirs = _hours(usage.total(usage.others_busy_hours))
    return ours / (ours + theirs) if ours + theirs > 0 else Decimal(1) / Decimal(sh.tenants)


def _h(x: Decimal, places: int = 1) -> str:
    return f"{float(x):,.{places}f}"


def _round_h(x: Decimal) -> Decimal:
    """GPU-hours to 1e-9 h (3.6 microseconds), half-even."""
    return quantity(x, 9)
