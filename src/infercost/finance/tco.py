"""Total cost of ownership over a horizon: rent (cloud plans) against buy (owned), month by month.

Inputs (`TcoInputs`) come from the scenario's `finance:` section and one month of modelled
capacity usage (`CapacityUsage` from `capacity.estimate` or `sim.simulate`), so utilisation
is modelled, not assumed. Month m = 0 .. horizon-1; traffic factor f_m = (1 + growth)^m.

- busy replica-hours_m = busy_0 x f_m; rented replica-hours_m = provisioned_0 x f_m (rented
  capacity follows demand at today's modelled utilisation);
- fleet_m (owned or committed replicas) = max(fleet_{m-1}, replicas_0,
  ceil(busy_m / (730 x max_utilization))); owned-fleet utilisation u_m = busy_m / (fleet_m x 730);
- on-demand: rented GPU-h x price x (1 - negotiated discount);
- spot: rented GPU-h x (1 + interruption overhead) x spot price;
- commitment (term T months, from month 0, renewed): the fleet at the term's start is committed
  at the committed rate; rented hours above it are paid on demand. Payment none: monthly;
  upfront: T months at the term's start; partial: half at the start, half monthly. Prepaid
  months after the horizon are credited back in its last month;
- owned: capex when GPUs are added and again at end of life (refresh, residual received),
  each month power, colocation and maintenance from `econ.owned.owned_gpu_month` at u_m,
  plus network and staff; the book value of GPUs still in use is credited in the last month.

Cash flows are what is paid each month (currency); `expense` spreads capex and prepayments
over their life (cost per inference per year uses it). Raises `InputError` when growth makes
the fleet exceed `finance.owned.max_gpus`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal

from infercost.core.catalog import Catalog
from infercost.core.scenario import Scenario
from infercost.core.scenario_finance import Finance
from infercost.econ.cost import to_scenario_currency
from infercost.econ.owned import (
    HOURS,
    OwnedInputs,
    board_power,
    board_watts,
    host_power,
    owned_gpu_month,
    owned_inputs,
)
from infercost.econ.usage import CapacityUsage
from infercost.errors import InputError
from infercost.finance.cashflow import monthly_rate, npv

OWNED = "owned"


@dataclass(frozen=True)
class CommitmentInputs:
    name: str
    term_months: int
    payment: str  # upfront | partial | none
    rate: Decimal  # per GPU-hour, after the commitment's own discount


@dataclass(frozen=True)
class TcoInputs:
    """Everything the monthly model needs (the workbook's assumptions sheet mirrors it)."""

    currency: str
    horizon: int
    discount_rate: Decimal  # annual
    growth: Decimal  # per month
    max_utilization: Decimal
    gpus_per_replica: int
    base_replicas: int
    base_busy_hours: Decimal  # replica-hours per month, month 0
    base_rented_hours: Decimal  # provisioned replica-hours per month, month 0
    base_inferences: Decimal  # per month, month 0
    base_tokens: Decimal
    on_demand: Decimal | None  # per GPU-hour, list
    negotiated_discount: Decimal
    spot: Decimal | None
    spot_overhead: Decimal
    commitments: tuple[CommitmentInputs, ...] = ()
    owned: OwnedInputs | None = None
    cloud_idle_w: Decimal = Decimal(0)  # power model of the rented GPUs (same hardware)
    cloud_full_w: Decimal = Decimal(0)
    cloud_host_w: Decimal = Decimal(0)  # host share per GPU (catalog, where known)
    cloud_pue: Decimal = Decimal(1)
    cloud_grid: Decimal | None = None  # gCO2e/kWh
    notes: tuple[str, ...] = ()

    @property
    def base_utilization(self) -> Decimal:
        return self.base_busy_hours / (Decimal(self.base_replicas) * HOURS)


@dataclass(frozen=True)
class OptionFlows:
    """One option's monthly figures over the horizon."""

    name: str
    cash: tuple[Decimal, ...]  # paid each month
    expense: tuple[Decimal, ...]  # capex and prepayments spread over their life
    kwh: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.cash, Decimal(0))


@dataclass(frozen=True)
class TcoModel:
    """The month-by-month result of `run_model`."""

    inputs: TcoInputs
    inferences: tuple[Decimal, ...]
    tokens: tuple[Decimal, ...]
    fleet_gpus: tuple[int, ...]
    utilization: tuple[Decimal, ...]
    options: dict[str, OptionFlows] = field(default_factory=dict)

    def npv(self, name: str) -> Decimal:
        return npv(monthly_rate(self.inputs.discount_rate), self.options[name].cash)

    @property
    def rented(self) -> list[str]:
        return [n for n in self.options if n != OWNED]

    def best_rented(self) -> str:
        return min(self.rented, key=self.npv)


def _traffic(inp: TcoInputs) -> list[Decimal]:
    g = 1 + inp.growth
    return [g ** m for m in range(inp.horizon)]


def fleet(inp: TcoInputs) -> list[int]:
    """Replicas held (owned / committed) each month; never shrinks."""
    out, cur = [], inp.base_replicas
    cap = HOURS * inp.max_utilization
    for f in _traffic(inp):
        need = math.ceil(inp.base_busy_hours * f / cap) if cap > 0 else cur
        cur = max(cur, need)
        out.append(cur)
    return out


def run_model(inp: TcoInputs) -> TcoModel:
    """Monthly cash flows, expenses and energy of every option (see the module doc)."""
    if inp.horizon < 1:
        raise InputError("horizon_months must be at least 1", "finance.horizon_months")
    f = _traffic(inp)
    h = inp.horizon
    gpr = Decimal(inp.gpus_per_replica)
    reps = fleet(inp)
    gpus = [r * inp.gpus_per_replica for r in reps]
    if inp.owned is not None and inp.owned.max_gpus is not None and gpus[-1] > inp.owned.max_gpus:
        month = next(m for m, g in enumerate(gpus) if g > inp.owned.max_gpus)
        raise InputError(
            f"growth of {inp.growth:.2%} a month needs {gpus[month]} GPUs in month {month + 1}, "
            f"more than the stated capacity of {inp.owned.max_gpus} (finance.owned.max_gpus)",
            "finance.growth_per_month")
    busy = [inp.base_busy_hours * x for x in f]
    rented = [inp.base_rented_hours * x for x in f]  # replica-hours
    util = [min(Decimal(1), b / (Decimal(r) * HOURS)) for b, r in zip(busy, reps, strict=True)]
    infs = tuple(inp.base_inferences * x for x in f)
    toks = tuple(inp.base_tokens * x for x in f)
    model = TcoModel(inp, infs, toks, tuple(gpus), tuple(util))
    u_cloud = min(Decimal(1), inp.base_busy_hours / inp.base_rented_hours) if inp.base_rented_hours else Decimal(0)
    cloud_kwh_per_gpu_h = ((board_watts(inp.cloud_idle_w, inp.cloud_full_w, u_cloud) + inp.cloud_host_w)
                           * inp.cloud_pue / 1000)
    od = None if inp.on_demand is None else inp.on_demand * (1 - inp.negotiated_discount)

    if od is not None:
        cash = tuple(r * gpr * od for r in rented)
        model.options["on-demand"] = OptionFlows("on-demand", cash, cash,
                                                 tuple(r * gpr * cloud_kwh_per_gpu_h for r in rented))
    if inp.spot is not None:
        k = 1 + inp.spot_overhead
        cash = tuple(r * k * gpr * inp.spot for r in rented)
        model.options["spot"] = OptionFlows("spot", cash, cash,
                                            tuple(r * k * gpr * cloud_kwh_per_gpu_h for r in rented))
    for c in inp.commitments:
        if od is None:
            break
        cash_l = [Decimal(0)] * h
        exp_l = [Decimal(0)] * h
        kwh_l = [Decimal(0)] * h
        for start in range(0, h, c.term_months):
            committed = Decimal(reps[start]) * HOURS  # replica-hours per month
            monthly = committed * gpr * c.rate
            share_up = {"upfront": Decimal(1), "partial": Decimal("0.5"), "none": Decimal(0)}[c.payment]
            cash_l[start] += monthly * c.term_months * share_up
            end = min(h, start + c.term_months)
            for m in range(start, end):
                over = max(Decimal(0), rented[m] - committed)
                cash_l[m] += monthly * (1 - share_up) + over * gpr * od
                exp_l[m] += monthly + over * gpr * od
                kwh_l[m] += max(committed, rented[m]) * gpr * cloud_kwh_per_gpu_h
            unexpired = start + c.term_months - h
            if unexpired > 0:  # prepaid months after the horizon are an asset: credit them
                cash_l[h - 1] -= monthly * unexpired * share_up
        model.options[c.name] = OptionFlows(c.name, tuple(cash_l), tuple(exp_l), tuple(kwh_l))
    if inp.owned is not None:
        model.options[OWNED] = _owned_flows(inp, gpus, util)
    if not model.options:
        raise InputError("no option to compare: no cloud price and no `finance.owned`", "finance")
    return model


def purchases(inp: TcoInputs, gpus: list[int]) -> list[int]:
    """GPUs bought each month: additions plus refreshes at end of life."""
    o = inp.owned
    assert o is not None
    buys = []
    for m, g in enumerate(gpus):
        added = g - (gpus[m - 1] if m else 0)
        refresh = buys[m - o.life_months] if m >= o.life_months else 0
        buys.append(added + refresh)
    return buys


def terminal_value(inp: TcoInputs, buys: list[int]) -> Decimal:
    """Book value at the horizon of GPUs bought and not yet refreshed (straight line to residual)."""
    o = inp.owned
    assert o is not None
    h, life = inp.horizon, o.life_months
    tv = Decimal(0)
    for p, k in enumerate(buys):
        age = h - p
        if k and age <= life:
            tv += k * o.capex_per_gpu * (1 - (1 - o.residual) * Decimal(age) / Decimal(life))
    return tv


def _owned_flows(inp: TcoInputs, gpus: list[int], util: list[Decimal]) -> OptionFlows:
    o = inp.owned
    assert o is not None
    buys = purchases(inp, gpus)
    cash, exp, kwh = [], [], []
    for m, (g, u) in enumerate(zip(gpus, util, strict=True)):
        per = owned_gpu_month(o, u)
        refresh = buys[m - o.life_months] if m >= o.life_months else 0
        fixed = o.network_per_month + o.staff_per_month
        c = (buys[m] * o.capex_per_gpu - refresh * o.capex_per_gpu * o.residual
             + g * per.cash_opex + fixed)
        cash.append(c)
        exp.append(g * per.total + fixed)
        kwh.append(g * per.kwh)
    cash[-1] -= terminal_value(inp, buys)
    return OptionFlows(OWNED, tuple(cash), tuple(exp), tuple(kwh))


# -- building the inputs from a scenario -----------------------------------------------------

def _price(scenario: Scenario, catalog: Catalog, provider: str, plan: str,
           override: Decimal | None, notes: list[str]) -> Decimal | None:
    if override is not None:
        return override
    pr = scenario.deployment.pricing
    if pr.price_per_gpu_hour is not None and pr.plan == plan and pr.provider == provider:
        return pr.price_per_gpu_hour
    hw = scenario.deployment.hardware
    rows = [i for i in catalog.instances if i.provider == provider and i.hardware == hw
            and plan in i.per_gpu_hour]
    if not rows:
        notes.append(f"{provider} lists no {plan} price for {hw}: option left out")
        return None
    m, inst = catalog.gpu_hour_price(provider, hw, plan, "finance.cloud_provider")
    notes.append(f"{plan}: {provider} {inst.instance}, catalog as of {inst.as_of.isoformat()}")
    return to_scenario_currency(m, scenario, f"{provider} {hw} {plan}").amount


def build_inputs(scenario: Scenario, catalog: Catalog, usage: CapacityUsage) -> TcoInputs:
    """TcoInputs from the scenario's `finance:` section and a modelled usage period."""
    from infercost.core.energy_catalog import load_energy

    fin = scenario.finance or Finance()
    dep = scenario.deployment
    if not dep.hardware:
        raise InputError("tco needs `deployment.hardware` (priced and powered from the catalog)",
                         "deployment.hardware")
    hw = catalog.get_hardware(dep.hardware)
    from infercost.perf.service import DEFAULT_TOKENS_NOTE

    notes: list[str] = [n for n in usage.notes if n.startswith(DEFAULT_TOKENS_NOTE)]  # an LLM's assumed size
    k = Decimal(str(HOURS)) / Decimal(str(usage.period_hours))  # to one month
    busy = Decimal(str(round(usage.total(usage.busy_hours), 9))) * k
    prov = Decimal(str(round(usage.provisioned_hours - usage.total(usage.others_busy_hours), 9))) * k
    if not isinstance(dep.replicas, int):  # autoscaled: a ReplicaRange
        reps = max(1, math.ceil(prov / HOURS))
    else:
        reps = int(dep.replicas)
    if prov <= 0:
        raise InputError("the modelled usage provisions no replica-hours", "deployment.replicas")
    provider = fin.cloud_provider or (dep.pricing.provider if dep.pricing.provider != "owned" else "aws")
    od = _price(scenario, catalog, provider, "on-demand", fin.on_demand_price_per_gpu_hour, notes)
    spot = _price(scenario, catalog, provider, "spot", fin.spot_price_per_gpu_hour, notes)
    if fin.spot_interruption_overhead is not None:
        ovh = Decimal(str(fin.spot_interruption_overhead))
    elif dep.spot is not None and dep.spot.preemptions_per_hour > 0:
        warm = dep.spot.warmup_s if dep.spot.warmup_s is not None else (
            dep.autoscaling.warmup_s if dep.autoscaling else 120.0)
        ovh = Decimal(str(dep.spot.preemptions_per_hour * warm / 3600))
        notes.append(f"spot overhead {ovh:.2%}: {dep.spot.preemptions_per_hour:g} preemptions/h x {warm:g} s warm-up")
    else:
        ovh = Decimal("0.05")
        notes.append("spot overhead 5% of hours (assumed: no deployment.spot preemption rate given)")
    commits = []
    for c in fin.commitments:
        plan = f"reserved-{c.term_years}y"
        rate = _price(scenario, catalog, provider, plan, c.price_per_gpu_hour, notes)
        if rate is None:
            continue
        name = f"{c.term_years}y-{c.payment}"
        commits.append(CommitmentInputs(name, 12 * c.term_years, c.payment,
                                        rate * (1 - Decimal(str(c.discount)))))
    owned = owned_inputs(scenario, catalog) if fin.owned is not None else None
    if owned is not None:
        notes.extend(owned.notes)
        if owned.life_months > fin.horizon_months and owned.residual == 0:
            notes.append("owned life is longer than the horizon: the book value left is credited")
    en = load_energy()
    ref = en.tco_references.get(hw.id)
    if ref is not None:
        mine = ""
        if owned is not None and busy > 0:
            from infercost.econ.owned import owned_gpu_month

            per = owned_gpu_month(owned, min(Decimal(1), busy / (Decimal(reps) * HOURS)))
            mine = f"; this scenario's owned GPU costs {per.total / HOURS:.3f}/GPU-h (before network and staff)"
        notes.append(f"public reference for {hw.id}: {ref.hyperscaler} (hyperscaler) / {ref.neocloud} (neocloud) "
                     f"{ref.currency}/GPU-h TCO, all-in {ref.all_in_kw} kW per GPU [{ref.source}, "
                     f"as of {ref.as_of.isoformat()}]{mine}")
    idle, full = board_power(catalog, hw.id)[:2] if hw.tdp_w else (Decimal(0), Decimal(0))
    grid = en.grid(fin.cloud_region).value if fin.cloud_region else None
    host, host_note = host_power(catalog, hw.id) if hw.tdp_w else (Decimal(0), "no power figure")
    notes.append(f"rented GPUs' energy: {host_note} x PUE {en.pue.value} ({en.pue.source})")
    if grid is None:
        notes.append("no finance.cloud_region: rented options' carbon not computed")
    notes.append("the scenario's other costs (costs:) are the same under every option and left out")
    return TcoInputs(
        currency=scenario.currency, horizon=fin.horizon_months,
        discount_rate=Decimal(str(fin.discount_rate)), growth=Decimal(str(fin.growth_per_month)),
        max_utilization=Decimal(str(fin.max_utilization)), gpus_per_replica=dep.gpus_per_replica,
        base_replicas=reps, base_busy_hours=busy, base_rented_hours=prov,
        base_inferences=Decimal(str(round(usage.inferences, 6))) * k,
        base_tokens=Decimal(str(round(usage.input_tokens + usage.output_tokens, 6))) * k,
        on_demand=od, negotiated_discount=Decimal(str(fin.negotiated_discount)), spot=spot,
        spot_overhead=ovh, commitments=tuple(commits), owned=owned,
        cloud_idle_w=idle, cloud_full_w=full, cloud_host_w=host, cloud_pue=en.pue.value, cloud_grid=grid,
        notes=tuple(notes))


def scale_traffic(inp: TcoInputs, s: Decimal) -> TcoInputs:
    """The same inputs with month-0 traffic (busy and rented hours, inferences, tokens) x s."""
    return replace(inp, base_busy_hours=inp.base_busy_hours * s, base_rented_hours=inp.base_rented_hours * s,
                   base_inferences=inp.base_inferences * s, base_tokens=inp.base_tokens * s)
