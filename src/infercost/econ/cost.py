"""Itemised cost per inference: CapacityUsage + scenario `costs:` -> CostBreakdown.

Components (DESIGN.md, "the cost model in one screen"), each for the usage's period:

- accelerator_busy: busy replica-hours x price per replica-hour (gpus_per_replica x
  price per GPU-hour of the plan), less the experiments share below;
- experiments: the busy cost of shadow / A-B copies, busy x shadow / (1 + shadow);
- accelerator_idle: our share of idle replica-hours x price (shared replicas: split by
  the idle rule: proportional to busy time, evenly, or all to the owner);
- accelerator_warmup: our share of warm-up replica-hours x price;
- licensing: per_1k_inferences x inferences / 1000 + per_month x months;
- human_review: fraction x inferences x minutes_each / 60 x hourly_rate;
- preprocessing: cpu_ms_per_request x inferences / 3.6e6 x price per vCPU-hour;
- storage: gb x price per GB-month x months;
- egress: bytes_per_response x inferences / 1e9 x price per GB;
- engineering: fte x annual_cost_per_fte / 12 x months;
where months = period_hours / 730. Prices come from the catalog (source and date kept
in the driver text) unless the scenario overrides them; a catalog price in another
currency than the scenario's needs an `fx:` rate, else it is an error.
"""

from __future__ import annotations

from decimal import Decimal

from infercost.core.catalog import Catalog
from infercost.core.money import Money, to_decimal
from infercost.core.scenario import Scenario
from infercost.econ.breakdown import GROUPS, Component, CostBreakdown
from infercost.econ.owned import owned_gpu_hour_price
from infercost.econ.usage import HOURS_PER_MONTH, CapacityUsage
from infercost.errors import CurrencyError, InputError


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


def itemise(scenario: Scenario, catalog: Catalog, usage: CapacityUsage) -> CostBreakdown:
    """The itemised CostBreakdown of `usage` under `scenario`'s prices and other costs."""
    cur = scenario.currency
    dep = scenario.deployment
    costs = scenario.costs
    sources: dict[str, str] = {}
    months = _d(usage.period_hours) / _d(HOURS_PER_MONTH)
    n = to_decimal(round(float(usage.inferences), 6))  # fluid counts: to a millionth
    gpus = Decimal(dep.gpus_per_replica)
    comps: list[Component] = []

    def add(name: str, label: str, cost: Money, driver: str) -> None:
        comps.append(Component(name, label, cost, driver, GROUPS.get(name, "operations")))

    # -- accelerator -----------------------------------------------------------------
    plans = sorted(set(usage.busy_hours) | set(usage.idle_hours) | set(usage.warmup_hours))
    busy_c = idle_c = warm_c = Money.zero(cur)
    busy_h = idle_h = warm_h = Decimal(0)
    price_notes = []
    share_idle = _idle_share(scenario, usage)
    for plan in plans:
        if plan == "owned" and scenario.finance is not None and scenario.finance.owned is not None:
            price, src = owned_gpu_hour_price(scenario, catalog, usage.utilization)
        else:
            price, src = gpu_hour_price(scenario, catalog, plan, sources)
        per_replica = price * gpus
        b = _hours(usage.busy_hours.get(plan, 0.0))
        o = _hours(usage.others_busy_hours.get(plan, 0.0))
        # idle = provisioned - busy - others, in Decimal, so busy + idle is the paid time exactly
        prov = _hours(usage.busy_hours.get(plan, 0.0) + usage.idle_hours.get(plan, 0.0)
                      + usage.others_busy_hours.get(plan, 0.0))
        i = max(Decimal(0), prov - b - o) * share_idle
        w = _hours(usage.warmup_hours.get(plan, 0.0)) * share_idle
        busy_c += per_replica * b
        idle_c += per_replica * i
        warm_c += per_replica * w
        busy_h += b
        idle_h += i
        warm_h += w
        price_notes.append(f"{plan} {price.quantize(4)}/GPU-h x {dep.gpus_per_replica} GPU [{src}]")
    price_txt = "; ".join(price_notes)
    shadow = costs.experiments.shadow_fraction if costs.experiments else 0.0
    if shadow > 0:
        exp_c = busy_c * (_d(shadow) / (1 + _d(shadow)))
        busy_c = busy_c - exp_c
    add("accelerator_busy", "Accelerator time, serving", busy_c,
        f"{_h(busy_h)} busy replica-h; {price_txt}")
    if shadow > 0:
        add("experiments", "Experiments (shadow / A-B traffic)", exp_c,
            f"{shadow:.0%} extra traffic: busy cost x {shadow:g}/(1+{shadow:g})")
    add("accelerator_idle", "Accelerator time, idle", idle_c,
        f"{_h(idle_h)} idle replica-h (our share {float(share_idle):.0%})")
    if usage.warmup_hours:
        add("accelerator_warmup", "Accelerator time, warming up", warm_c,
            f"{_h(warm_h)} warm-up replica-h")

    # -- the rest of the bill ----------------------------------------------------------
    if costs.licensing:
        lic = costs.licensing
        c = Money(lic.per_1k_inferences, cur) * (n / 1000) + Money(lic.per_month, cur) * months
        add("licensing", "Licensing", c,
            f"{lic.per_1k_inferences} per 1k inferences + {lic.per_month} per month")
    if costs.human_review:
        hr = costs.human_review
        hours = n * _d(hr.fraction) * _d(hr.minutes_each) / 60
        add("human_review", "Human review", Money(hr.hourly_rate, cur) * hours,
            f"{hr.fraction:.1%} of inferences x {hr.minutes_each:g} min x {hr.hourly_rate}/h")
    if costs.preprocessing:
        pp = costs.preprocessing
        price, src = _service_price(scenario, catalog, "vcpu_hour", pp.price_per_vcpu_hour, sources)
        vcpu_h = n * _d(pp.cpu_ms_per_request) / Decimal(3_600_000)
        add("preprocessing", "Preprocessing (CPU)", price * vcpu_h,
            f"{pp.cpu_ms_per_request:g} CPU-ms/request = {_h(vcpu_h)} vCPU-h x {price.quantize(4)} [{src}]")
    if costs.storage:
        st = costs.storage
        price, src = _service_price(scenario, catalog, "storage_gb_month", st.price_per_gb_month, sources)
        add("storage", "Storage", price * _d(st.gb) * months,
            f"{st.gb:g} GB x {price.quantize(4)}/GB-month [{src}]")
    if costs.egress:
        eg = costs.egress
        price, src = _service_price(scenario, catalog, "egress_gb", eg.price_per_gb, sources)
        gb = n * _d(eg.bytes_per_response) / Decimal(1_000_000_000)
        add("egress", "Network egress", price * gb,
            f"{eg.bytes_per_response:g} B/response = {_h(gb)} GB x {price.quantize(4)}/GB [{src}]")
    if costs.engineering:
        en = costs.engineering
        add("engineering", "Engineering", Money(en.annual_cost_per_fte, cur) * _d(en.fte) / 12 * months,
            f"{en.fte:g} FTE x {en.annual_cost_per_fte}/year")

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


def _h(x: Decimal) -> str:
    return f"{float(x):,.1f}"
