"""The CapEx vs OpEx decision over a `TcoModel`: NPV per option, IRR and payback of buying
against the best rented option, the break-even utilisation (owned cost per GPU-hour / the
cheapest hourly rented price: a property of the prices, `breakeven`), the monthly growth
above which owning wins (bisection), the negotiated discount at which renting matches
owning, cost per inference per year, a sensitivity table (each driver +-20%, largest swing
first) and energy / carbon per inference.

`decide(inputs)` returns a `TcoDecision`; every money figure is Decimal in the inputs'
currency, rates are floats (shares), energy in kWh, carbon in gCO2e.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from infercost.econ.owned import HOURS
from infercost.errors import InputError
from infercost.finance.cashflow import annualise, irr, monthly_rate, npv, payback_period
from infercost.finance.tco import OWNED, TcoInputs, TcoModel, run_model, scale_traffic

SWING = Decimal("0.2")


@dataclass(frozen=True)
class Sensitivity:
    driver: str
    low: Decimal  # owning's NPV advantage with the driver at -20% (rented NPV - owned NPV)
    high: Decimal  # ... at +20%

    @property
    def swing(self) -> Decimal:
        return abs(self.high - self.low)


@dataclass(frozen=True)
class Energy:
    option: str
    kwh_per_inference: Decimal
    kwh_per_million_tokens: Decimal | None
    gco2_per_inference: Decimal | None
    gco2_per_million_tokens: Decimal | None


@dataclass(frozen=True)
class TcoDecision:
    model: TcoModel
    npv: dict[str, Decimal]
    recommended: str
    best_rented: str | None
    irr_annual: float | None  # of buying vs the best rented option
    payback_month: int | None  # 1-based month in which buying has paid for itself
    breakeven_utilization: float | None  # share of hours (`breakeven`); may pass 1
    breakeven_growth: float | None
    matching_discount: float | None  # on-demand discount at which renting matches owning
    cost_per_inference: dict[str, list[Decimal]]  # by option, one per year (expense basis)
    sensitivity: list[Sensitivity]
    energy: list[Energy]
    text: list[str]
    breakeven: Breakeven | None = None


def advantage(inp: TcoInputs) -> Decimal:
    """Best rented NPV minus owned NPV (> 0: owning is cheaper)."""
    m = run_model(inp)
    return m.npv(m.best_rented()) - m.npv(OWNED)


def _bisect(fn: Callable[[Decimal], Decimal], lo: Decimal, hi: Decimal, steps: int = 60) -> Decimal | None:
    """A root of fn in [lo, hi] by bisection, or None when fn does not change sign there."""
    flo, fhi = fn(lo), fn(hi)
    if flo == 0:
        return lo
    if (flo > 0) == (fhi > 0):
        return None
    for _ in range(steps):
        mid = (lo + hi) / 2
        fm = fn(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class Breakeven:
    """Owned cost per GPU-hour against the cheapest hourly rented price, and their ratio."""

    owned_per_gpu_hour: Decimal  # NPV of the owned option / NPV of its GPU-hours
    rented_per_gpu_hour: Decimal  # on-demand after the negotiated discount, or spot with its overhead
    rented_option: str
    utilization: Decimal  # owned / rented: the share of hours above which owning wins


def breakeven(model: TcoModel) -> Breakeven | None:
    """The break-even utilisation, a property of the prices: owning a GPU costs the same
    whether it is busy or not, renting it by the hour costs only the hours it is needed, so
    owning wins when a GPU is needed more than owned cost per GPU-hour / hourly rented price
    of the hours. Owned cost per GPU-hour = NPV of the owned option (capex, refreshes, book
    value, power, hosting, maintenance, network and staff) / NPV of its GPU-hours (fleet GPUs
    x 730 h a month, discounted alike); hourly price = the cheaper of on-demand x (1 - negotiated
    discount) and spot x (1 + interruption overhead). None without the owned option or an
    hourly rented option. The ratio may pass 1 (renting every hour is then cheaper)."""
    inp = model.inputs
    if OWNED not in model.options:
        return None
    hourly = {}
    if "on-demand" in model.options and inp.on_demand is not None:
        hourly["on-demand"] = inp.on_demand * (1 - inp.negotiated_discount)
    if "spot" in model.options and inp.spot is not None:
        hourly["spot"] = inp.spot * (1 + inp.spot_overhead)
    if not hourly:
        return None
    name = min(hourly, key=lambda n: (hourly[n], n))
    if hourly[name] <= 0:
        return None
    gpu_hours = npv(monthly_rate(inp.discount_rate), [g * HOURS for g in model.fleet_gpus])
    per = model.npv(OWNED) / gpu_hours
    return Breakeven(per, hourly[name], name, per / hourly[name])


def _feasible(inp: TcoInputs) -> bool:
    try:
        run_model(inp)
        return True
    except InputError:  # past the stated capacity (finance.owned.max_gpus)
        return False


def breakeven_growth(inp: TcoInputs, lo: float = -0.05, hi: float = 0.15) -> float | None:
    """Monthly traffic growth at which owning and the best rented option cost the same, searched
    from `lo` up to `hi` or the highest growth the stated capacity allows."""
    glo, ghi = Decimal(str(lo)), Decimal(str(hi))
    if not _feasible(replace(inp, growth=ghi)):
        a, b = glo, ghi
        for _ in range(40):
            mid = (a + b) / 2
            a, b = (mid, b) if _feasible(replace(inp, growth=mid)) else (a, mid)
        ghi = a
    g = _bisect(lambda g: advantage(replace(inp, growth=g)), glo, ghi, 40)
    return None if g is None else float(g)


def matching_discount(model: TcoModel) -> float | None:
    """Negotiated on-demand discount d with NPV(on-demand at d) = NPV(owned); linear in (1 - d)."""
    inp = model.inputs
    if OWNED not in model.options or "on-demand" not in model.options:
        return None
    list_npv = model.npv("on-demand") / (1 - inp.negotiated_discount) if inp.negotiated_discount < 1 else None
    if not list_npv:
        return None
    return float(1 - model.npv(OWNED) / list_npv)


DRIVERS: dict[str, Callable[[TcoInputs, Decimal], TcoInputs]] = {
    "traffic": lambda i, k: scale_traffic(i, k),
    "growth per month": lambda i, k: replace(i, growth=i.growth * k),
    "on-demand price": lambda i, k: replace(i, on_demand=None if i.on_demand is None else i.on_demand * k),
    "spot price": lambda i, k: replace(i, spot=None if i.spot is None else i.spot * k),
    "committed rates": lambda i, k: replace(i, commitments=tuple(replace(c, rate=c.rate * k) for c in i.commitments)),
    "capex per GPU": lambda i, k: replace(i, owned=replace(i.owned, capex_per_gpu=i.owned.capex_per_gpu * k)),
    "power price": lambda i, k: replace(i, owned=replace(i.owned, price_per_kwh=i.owned.price_per_kwh * k)),
    "PUE": lambda i, k: replace(i, owned=replace(i.owned, pue=max(Decimal(1), i.owned.pue * k))),
    "colocation": lambda i, k: replace(i, owned=replace(i.owned, colo_per_kw_month=i.owned.colo_per_kw_month * k)),
    "maintenance": lambda i, k: replace(i, owned=replace(i.owned, maintenance=i.owned.maintenance * k)),
    "staff": lambda i, k: replace(i, owned=replace(i.owned, staff_per_month=i.owned.staff_per_month * k)),
    "residual value": lambda i, k: replace(i, owned=replace(i.owned, residual=min(Decimal(1), i.owned.residual * k))),
    "discount rate": lambda i, k: replace(i, discount_rate=i.discount_rate * k),
}


def sensitivity(inp: TcoInputs) -> list[Sensitivity]:
    """Owning's NPV advantage with each driver at -20% and +20%, largest swing first."""
    out = []
    for name, fn in DRIVERS.items():
        try:
            lo = advantage(fn(inp, 1 - SWING))
            hi = advantage(fn(inp, 1 + SWING))
        except InputError:
            continue
        out.append(Sensitivity(name, lo, hi))
    return sorted(out, key=lambda s: (-s.swing, s.driver))


def energy(model: TcoModel) -> list[Energy]:
    """kWh and gCO2e per inference and per 1M tokens, per option, over the horizon."""
    inp = model.inputs
    n = sum(model.inferences, Decimal(0))
    t = sum(model.tokens, Decimal(0))
    out = []
    for name, o in model.options.items():
        kwh = sum(o.kwh, Decimal(0))
        grid = (inp.owned.grid_gco2_per_kwh if name == OWNED and inp.owned else inp.cloud_grid)
        per_inf = kwh / n if n else Decimal(0)
        per_mt = kwh / t * 1_000_000 if t else None
        out.append(Energy(name, per_inf, per_mt,
                          None if grid is None else per_inf * grid,
                          None if grid is None or per_mt is None else per_mt * grid))
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def decide(inp: TcoInputs, flips: bool = True) -> TcoDecision:
    """Run the model and every analysis on it (see the module doc)."""
    model = run_model(inp)
    npvs = {n: model.npv(n) for n in model.options}
    recommended = min(npvs, key=lambda n: npvs[n])
    best = model.best_rented() if model.rented else None
    cur = inp.currency
    irr_a = pay = bu = bg = md = None
    if OWNED in model.options and best is not None:
        diff = [r - o for r, o in zip(model.options[best].cash, model.options[OWNED].cash, strict=True)]
        irr_a = annualise(irr(diff))
        p = payback_period(diff)
        pay = None if p is None else p + 1
        if flips:
            bg = breakeven_growth(inp)
        md = matching_discount(model)
    be = breakeven(model)
    if be is not None:
        bu = float(be.utilization)
    years = (inp.horizon + 11) // 12
    cpi = {}
    for name, o in model.options.items():
        row = []
        for y in range(years):
            sl = slice(12 * y, min(inp.horizon, 12 * (y + 1)))
            n = sum(model.inferences[sl], Decimal(0))
            row.append(sum(o.expense[sl], Decimal(0)) / n if n else Decimal(0))
        cpi[name] = row
    sens = sensitivity(inp) if (flips and OWNED in model.options and best) else []
    text = [f"Recommendation: {recommended} (NPV {npvs[recommended]:,.0f} {cur} over {inp.horizon} months "
            f"at {float(inp.discount_rate):.1%} a year)."]
    if OWNED not in model.options:
        text.append("No `finance.owned`: only rented plans are compared (add it to weigh buying).")
    if OWNED in model.options and best is not None:
        adv = npvs[best] - npvs[OWNED]
        u0 = float(model.utilization[0])
        who = "owning" if adv > 0 else f"renting ({best})"
        text.append(f"Owning vs {best}: {who} is cheaper by {abs(adv):,.0f} {cur} in NPV; "
                    f"modelled utilisation of the month-0 fleet {u0:.0%}.")
        if be is not None:
            verdict = (f"owning wins when a GPU is needed more than {be.utilization:.0%} of the hours"
                       if be.utilization < 1 else "renting by the hour is cheaper even when a GPU is needed every hour")
            text.append(f"Break-even utilisation: an owned GPU costs {be.owned_per_gpu_hour:,.2f} {cur}/GPU-h (NPV over "
                        f"its hours) against {be.rented_per_gpu_hour:,.2f} {cur}/GPU-h {be.rented_option}: {verdict}.")
        if bg is not None:
            text.append(f"Owning wins against {best} with traffic growth above {bg:.1%} a month.")
        elif flips:
            text.append(f"No growth flip: {who} wins at every growth rate searched (-5% to 15% a month, "
                        "within the stated capacity).")
        if md is not None:
            if md > 0:
                text.append(f"Renting on demand matches owning at a negotiated discount of {md:.1%}.")
            else:
                text.append("On-demand at list price is already cheaper than owning.")
        if pay is not None:
            text.append(f"Buying pays back in month {pay}; IRR of buying vs {best}: {_pct(irr_a)} a year.")
        else:
            text.append(f"Buying does not pay back within {inp.horizon} months.")
    return TcoDecision(model, npvs, recommended, best, irr_a, pay, bu, bg, md, cpi, sens, energy(model), text, be)


def _s(d: Decimal | None, q: str = "0.000001") -> str | None:
    return None if d is None else str(d.quantize(Decimal(q)))


def to_dict(d: TcoDecision) -> dict:
    """JSON-ready dict: money as strings (to the millionth), rates as floats."""
    m, inp = d.model, d.model.inputs
    opts = {}
    for name, o in m.options.items():
        cum, acc = [], Decimal(0)
        for c in o.cash:
            acc += c
            cum.append(_s(acc, "0.01"))
        opts[name] = {
            "npv": _s(d.npv[name], "0.01"), "total_cash": _s(o.total, "0.01"),
            "monthly_cash": [_s(c, "0.01") for c in o.cash], "cumulative_cash": cum,
            "cost_per_inference_by_year": [_s(x, "0.0000001") for x in d.cost_per_inference[name]],
        }
    return {
        "currency": inp.currency, "horizon_months": inp.horizon,
        "discount_rate": float(inp.discount_rate), "growth_per_month": float(inp.growth),
        "utilization_month0": round(float(m.utilization[0]), 6),
        "fleet_gpus": list(m.fleet_gpus),
        "inferences_per_month": [_s(x, "1") for x in m.inferences],
        "options": opts, "recommended": d.recommended, "best_rented": d.best_rented,
        "irr_annual_buy_vs_rent": None if d.irr_annual is None else round(d.irr_annual, 6),
        "payback_month": d.payback_month,
        "breakeven_utilization": None if d.breakeven_utilization is None else round(d.breakeven_utilization, 4),
        "owned_cost_per_gpu_hour": None if d.breakeven is None else _s(d.breakeven.owned_per_gpu_hour),
        "hourly_rent_per_gpu_hour": None if d.breakeven is None else _s(d.breakeven.rented_per_gpu_hour),
        "hourly_rent_option": None if d.breakeven is None else d.breakeven.rented_option,
        "breakeven_growth_per_month": None if d.breakeven_growth is None else round(d.breakeven_growth, 4),
        "matching_on_demand_discount": None if d.matching_discount is None else round(d.matching_discount, 4),
        "sensitivity": [{"driver": s.driver, "minus_20pct": _s(s.low, "0.01"), "plus_20pct": _s(s.high, "0.01"),
                         "swing": _s(s.swing, "0.01")} for s in d.sensitivity],
        "sensitivity_metric": "owning's NPV advantage: best rented NPV - owned NPV",
        "energy": [{"option": e.option, "kwh_per_inference": _s(e.kwh_per_inference, "0.000000001"),
                    "kwh_per_million_tokens": _s(e.kwh_per_million_tokens, "0.0001"),
                    "gco2e_per_inference": _s(e.gco2_per_inference, "0.000001"),
                    "gco2e_per_million_tokens": _s(e.gco2_per_million_tokens, "0.01")} for e in d.energy],
        "decision": d.text, "notes": list(inp.notes),
    }
