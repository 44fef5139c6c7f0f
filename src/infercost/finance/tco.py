"""Total cost of ownership over a horizon: rent (cloud plans) against buy (owned), month by month.

Inputs (`TcoInputs`) come from the scenario's `finance:` section and one month of modelled
capacity usage (`CapacityUsage` from `capacity.estimate` or `sim.simulate`), so utilisation
is modelled, not assumed. Month m = 0 .. horizon-1; traffic factor f_m = (1 + growth)^m.

Every option is sized by one rule, on the same capacity:

- busy replica-hours_m = busy_0 x f_m (busy_0: the whole offered load; when the modelled
  deployment is overloaded, the busy time of the requests it could not serve is added);
- replicas needed R_m = max(replicas_0, ceil(busy_m / (730 x max_utilization))), where
  replicas_0 is the scenario's fixed replica count (the autoscaler's mean, rounded up);
- rented (on-demand, spot): R_m replicas each month, 730 h each (renting follows the need,
  up and down);
- owned: fleet_m = max(fleet_{m-1}, R_m) (GPUs bought are kept); its utilisation
  u_m = busy_m / (fleet_m x 730);
- commitment (term T months, from month 0, renewed): each term commits the replica count
  K that minimises the term's NPV given R_m over the term (`commit_level`); R_m - K above it
  is rented on demand. Payment none: monthly; upfront: T months at the term's start;
  partial: half at the start, half monthly. Prepaid months after the horizon are credited
  back in its last month.

Costs: on-demand = rented GPU-h x price x (1 - negotiated discount); spot = rented GPU-h x
(1 + interruption overhead) x spot price; owned = capex when GPUs are added and again at
end of life (refresh, residual received), each month power, colocation and maintenance from
`econ.owned.owned_gpu_month` at u_m, plus network and staff; the book value of GPUs still in
use is credited in the last month. More traffic never costs less in any option.

Cash flows are what is paid each month (currency); `expense` spreads capex and prepayments
over their life (cost per inference per year uses it). `run_model` raises `InputError` when
growth makes the fleet exceed `finance.owned.max_gpus`, or an option's money over the
horizon reaches the 1e15 bound of scenario amounts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from decimal import Decimal

from infercost.core.catalog import Catalog, _unknown
from infercost.core.scenario import Scenario
from infercost.core.scenario_finance import MAX_AMOUNT, Finance
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
    base_replicas: int  # the floor of every option's replicas (the scenario's replicas)
    base_busy_hours: Decimal  # replica-hours per month, month 0, the whole offered load
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


def needed(inp: TcoInputs) -> list[int]:
    """Replicas the load needs each month: max(replicas_0, ceil(busy_m / (730 x max_utilization)))."""
    cap = HOURS * inp.max_utilization
    return [max(inp.base_replicas, math.ceil(inp.base_busy_hours * f / cap)) for f in _traffic(inp)]


def fleet(inp: TcoInputs) -> list[int]:
    """Replicas owned each month: the replicas needed, never shrinking (GPUs bought are kept)."""
    out, cur = [], 0
    for n in needed(inp):
        cur = max(cur, n)
        out.append(cur)
    return out


_UPFRONT = {"upfront": Decimal(1), "partial": Decimal("0.5"), "none": Decimal(0)}


def commit_level(inp: TcoInputs, c: CommitmentInputs, need: list[int], start: int) -> int:
    """Replicas committed for the term of `c` starting in month `start`: the count K that
    minimises the term's NPV, K x committed payments + on-demand for max(0, R_m - K).

    Raising K by one replica adds the NPV of one committed replica's payments for the term
    and saves on-demand in the months with R_m > K, so the cost is convex in K and its
    minimum is the smallest K in {0} and the term's R_m whose saving no longer exceeds the
    payment (a tie commits less). Because each K's cost never falls with more traffic,
    neither does the minimum. Needs an on-demand price."""
    assert inp.on_demand is not None
    h, t = inp.horizon, c.term_months
    v = 1 / (1 + monthly_rate(inp.discount_rate))
    end = min(h, start + t)
    months = list(range(start, end))
    disc = {m: v ** m for m in (*months, h - 1)}  # discount factor of each month
    up = _UPFRONT[c.payment]
    unit = HOURS * inp.gpus_per_replica  # GPU-hours of one replica for one month
    pay = c.rate * unit * (up * t * disc[start] + (1 - up) * sum((disc[m] for m in months), Decimal(0)))
    unexpired = start + t - h
    if unexpired > 0:
        pay -= c.rate * unit * up * unexpired * disc[h - 1]
    od = inp.on_demand * (1 - inp.negotiated_discount) * unit
    for k in sorted({0, *(need[m] for m in months)}):
        saving = od * sum((disc[m] for m in months if need[m] > k), Decimal(0))
        if saving <= pay:
            return k
    return max(need[m] for m in months)  # pragma: no cover - the largest R_m saves nothing


def _check_money(inp: TcoInputs, options: dict[str, OptionFlows]) -> None:
    for name, o in options.items():
        total = sum((abs(c) for c in o.cash), Decimal(0))
        if total >= MAX_AMOUNT:
            key = "finance.growth_per_month" if inp.growth > 0 else "finance"
            raise InputError(
                f"the {name} option's cash over {inp.horizon} months reaches {total:.3e} {inp.currency}, past "
                f"the 1e15 bound on money (growth {inp.growth:.0%} a month): lower finance.growth_per_month "
                "or finance.horizon_months", key)


def run_model(inp: TcoInputs) -> TcoModel:
    """Monthly cash flows, expenses and energy of every option (see the module doc).

    Raises `InputError` for a horizon below 1 month, a fleet past `finance.owned.max_gpus`,
    money past the 1e15 bound, or no option to compare."""
    if inp.horizon < 1:
        raise InputError("horizon_months must be at least 1", "finance.horizon_months")
    f = _traffic(inp)
    h = inp.horizon
    gpr = Decimal(inp.gpus_per_replica)
    need = needed(inp)
    reps = fleet(inp)
    gpus = [r * inp.gpus_per_replica for r in reps]
    if inp.owned is not None and inp.owned.max_gpus is not None and gpus[-1] > inp.owned.max_gpus:
        month = next(m for m, g in enumerate(gpus) if g > inp.owned.max_gpus)
        raise InputError(
            f"growth of {inp.growth:.2%} a month needs {gpus[month]} GPUs in month {month + 1}, "
            f"more than the stated capacity of {inp.owned.max_gpus} (finance.owned.max_gpus)",
            "finance.growth_per_month")
    busy = [inp.base_busy_hours * x for x in f]
    rented = [Decimal(n) * HOURS for n in need]  # replica-hours
    util = [min(Decimal(1), b / (Decimal(r) * HOURS)) for b, r in zip(busy, reps, strict=True)]
    infs = tuple(inp.base_inferences * x for x in f)
    toks = tuple(inp.base_tokens * x for x in f)
    model = TcoModel(inp, infs, toks, tuple(gpus), tuple(util))

    def kwh_per_gpu_h(m: int, replicas: Decimal) -> Decimal:  # rented GPUs at month m's busy share
        u = min(Decimal(1), busy[m] / (replicas * HOURS)) if replicas else Decimal(0)
        return (board_watts(inp.cloud_idle_w, inp.cloud_full_w, u) + inp.cloud_host_w) * inp.cloud_pue / 1000

    od = None if inp.on_demand is None else inp.on_demand * (1 - inp.negotiated_discount)
    cloud_kwh = [r * gpr * kwh_per_gpu_h(m, Decimal(n)) for m, (r, n) in enumerate(zip(rented, need, strict=True))]
    if od is not None:
        cash = tuple(r * gpr * od for r in rented)
        model.options["on-demand"] = OptionFlows("on-demand", cash, cash, tuple(cloud_kwh))
    if inp.spot is not None:
        k = 1 + inp.spot_overhead
        cash = tuple(r * k * gpr * inp.spot for r in rented)
        model.options["spot"] = OptionFlows("spot", cash, cash, tuple(x * k for x in cloud_kwh))
    for c in inp.commitments:
        if od is None:
            break
        cash_l = [Decimal(0)] * h
        exp_l = [Decimal(0)] * h
        kwh_l = [Decimal(0)] * h
        share_up = _UPFRONT[c.payment]
        for start in range(0, h, c.term_months):
            level = commit_level(inp, c, need, start)
            committed = Decimal(level) * HOURS  # replica-hours per month
            monthly = committed * gpr * c.rate
            cash_l[start] += monthly * c.term_months * share_up
            end = min(h, start + c.term_months)
            for m in range(start, end):
                over = max(Decimal(0), rented[m] - committed)
                cash_l[m] += monthly * (1 - share_up) + over * gpr * od
                exp_l[m] += monthly + over * gpr * od
                running = Decimal(max(level, need[m]))  # committed replicas run, needed or not
                kwh_l[m] += running * HOURS * gpr * kwh_per_gpu_h(m, running)
            unexpired = start + c.term_months - h
            if unexpired > 0:  # prepaid months after the horizon are an asset: credit them
                cash_l[h - 1] -= monthly * unexpired * share_up
        model.options[c.name] = OptionFlows(c.name, tuple(cash_l), tuple(exp_l), tuple(kwh_l))
    if inp.owned is not None:
        model.options[OWNED] = _owned_flows(inp, gpus, util)
    if not model.options:
        raise InputError("no option to compare: no cloud price and no `finance.owned`", "finance")
    _check_money(inp, model.options)
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
    from infercost.econ.energy import DEFAULT_REGION

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
    if prov <= 0:
        raise InputError("the modelled usage provisions no replica-hours", "deployment.replicas")
    mean_reps = math.ceil(round(prov / HOURS, 6))  # the modelled deployment's replicas (a cascade's pool in)
    reps = max(mean_reps, dep.replicas) if isinstance(dep.replicas, int) else max(1, mean_reps)
    served = Decimal(str(round(usage.inferences, 6)))
    offered = served + Decimal(str(round(usage.dropped, 6)))
    load = offered / served if served > 0 and usage.dropped > 0 else Decimal(1)
    if load > 1:  # the modelled fleet is overloaded: size every option for the whole load
        busy *= load
        notes.append(f"overloaded: the scenario's {reps} replicas cannot serve {1 - 1 / load:.1%} of requests "
                     f"({usage.source or 'the model'}); every option is sized for the whole load (busy time, "
                     f"inferences and tokens x {load:.4f})")
    provider = fin.cloud_provider or (dep.pricing.provider if dep.pricing.provider != "owned" else "aws")
    known = sorted({i.provider for i in catalog.instances})
    if fin.cloud_provider and fin.cloud_provider not in known:
        raise InputError(_unknown("provider", fin.cloud_provider, known), "finance.cloud_provider")
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
    # the rented options' grid, as estimate's: finance.cloud_region, else the region of the
    # catalog listing of the provider and hardware, else us-east-1 (docs/cost-model.md)
    region = fin.cloud_region
    if not region:
        listed = sorted(i.region for i in catalog.instances if i.provider == provider and i.hardware == hw.id
                        and i.region)
        region = listed[0] if listed else DEFAULT_REGION
        notes.append(f"no finance.cloud_region: grid intensity of {region} assumed"
                     + (f" (the catalog's {provider} {hw.id} listing)" if listed else ""))
    grid = en.grid(region, "finance.cloud_region").value
    host, host_note = host_power(catalog, hw.id) if hw.tdp_w else (Decimal(0), "no power figure")
    notes.append(f"rented GPUs' energy: {host_note} x PUE {en.pue.value} ({en.pue.source})")
    notes.append("the scenario's other costs (costs:) are the same under every option and left out")
    return TcoInputs(
        currency=scenario.currency, horizon=fin.horizon_months,
        discount_rate=Decimal(str(fin.discount_rate)), growth=Decimal(str(fin.growth_per_month)),
        max_utilization=Decimal(str(fin.max_utilization)), gpus_per_replica=dep.gpus_per_replica,
        base_replicas=reps, base_busy_hours=busy,
        base_inferences=served * k * load,
        base_tokens=Decimal(str(round(usage.input_tokens + usage.output_tokens, 6))) * k * load,
        on_demand=od, negotiated_discount=Decimal(str(fin.negotiated_discount)), spot=spot,
        spot_overhead=ovh, commitments=tuple(commits), owned=owned,
        cloud_idle_w=idle, cloud_full_w=full, cloud_host_w=host, cloud_pue=en.pue.value, cloud_grid=grid,
        notes=tuple(notes))


def scale_traffic(inp: TcoInputs, s: Decimal) -> TcoInputs:
    """The same inputs with month-0 traffic (busy hours, inferences, tokens) x s."""
    return replace(inp, base_busy_hours=inp.base_busy_hours * s,
                   base_inferences=inp.base_inferences * s, base_tokens=inp.base_tokens * s)
