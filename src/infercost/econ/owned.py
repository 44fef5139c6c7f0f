"""Owned hardware priced in one place: capex amortised over its life, power at the modelled
utilisation x PUE, colocation per provisioned kW, and maintenance.

`owned_gpu_month(inputs, utilization)` is the one function: the cost of one owned GPU for
one month (730 h), split into named parts. `estimate`/`simulate` price plan `owned` with it
through `owned_gpu_hour_price` at the modelled utilisation, and the TCO engine
(`infercost.finance.tco`) uses it month by month. Inputs: the scenario's `finance.owned`
when given, else the catalog's `prices.owned_hardware` entry of the hardware (capex,
life, residual, host W, hosting per kW-month, maintenance; electricity and PUE from the
energy catalog). Power follows the board power curve `idle + (full - idle) x u` (W; full
= the hardware's TDP, idle = its sourced `idle_watts`, else an assumed share of TDP),
plus the host's share, times PUE; energy in kWh, money in the scenario currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from infercost.core.catalog import Catalog
from infercost.core.energy_catalog import load_energy
from infercost.core.money import Money
from infercost.econ.usage import HOURS_PER_MONTH
from infercost.errors import InputError

if TYPE_CHECKING:  # annotations only (importing it costs pydantic)
    from infercost.core.scenario import Scenario

HOURS = Decimal(str(HOURS_PER_MONTH))


@dataclass(frozen=True)
class OwnedInputs:
    """Per-GPU figures of the owned option (Decimal; W, kWh, currency units)."""

    capex_per_gpu: Decimal
    life_months: int
    residual: Decimal  # share of capex left at the end of the life
    idle_w: Decimal
    full_w: Decimal
    host_w: Decimal
    pue: Decimal
    price_per_kwh: Decimal
    colo_per_kw_month: Decimal
    maintenance: Decimal  # per year, share of capex
    network_per_month: Decimal = Decimal(0)  # fleet-level
    staff_per_month: Decimal = Decimal(0)  # fleet-level
    max_gpus: int | None = None
    grid_gco2_per_kwh: Decimal | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OwnedMonth:
    """One owned GPU for one month: cost parts (currency) and energy (kWh)."""

    depreciation: Decimal
    power: Decimal
    colo: Decimal
    maintenance: Decimal
    kwh: Decimal

    @property
    def cash_opex(self) -> Decimal:
        """Power + colocation + maintenance: what is paid monthly (capex is paid up front)."""
        return self.power + self.colo + self.maintenance

    @property
    def total(self) -> Decimal:
        return self.depreciation + self.cash_opex


def board_watts(idle_w: Decimal, full_w: Decimal, utilization: Decimal) -> Decimal:
    """Average board power (W) at `utilization` (busy share, clamped to 0..1)."""
    u = min(Decimal(1), max(Decimal(0), utilization))
    return idle_w + (full_w - idle_w) * u


def board_power(catalog: Catalog, hardware: str) -> tuple[Decimal, Decimal, str]:
    """(idle W, full-load W, note) of one board of `hardware`: full = TDP, idle = the catalog's
    `idle_watts` or `idle_share_of_tdp` x TDP (the note says so; empty otherwise)."""
    hw = catalog.get_hardware(hardware)
    if not hw.tdp_w:
        raise InputError(f"hardware {hardware!r} has no tdp_w in the catalog; power cannot be modelled",
                         "deployment.hardware")
    full = Decimal(str(hw.tdp_w))
    if hw.idle_watts:
        return Decimal(str(hw.idle_watts)), full, ""
    share = load_energy().idle_share_of_tdp.value
    idle = full * share
    return idle, full, f"idle board power {idle:.0f} W = {share} x TDP (assumed; see energy.yaml power_curve)"


def host_power(catalog: Catalog, hardware: str) -> tuple[Decimal, str]:
    """(host W per GPU, note) of one board of `hardware`, drawn at any load: the server's share
    (CPU, memory, NICs, fans) from the catalog's `prices.owned_hardware` entry of the hardware
    (`host_watts_per_gpu`), the same figure whoever owns the server; 0 W where the catalog has
    no entry (the note says board power only). Never raises."""
    oh = catalog.owned.get(hardware)
    if oh is None:
        return Decimal(0), (f"board power only: host share of {hardware} unknown "
                            "(no prices.owned_hardware entry in the catalog)")
    return Decimal(str(oh.host_watts_per_gpu)), (
        f"board power + host share {oh.host_watts_per_gpu:g} W per GPU ({hardware}, catalog "
        f"prices.owned_hardware, as of {oh.as_of})")


def owned_gpu_month(inp: OwnedInputs, utilization: Decimal) -> OwnedMonth:
    """The cost of one owned GPU over one month (730 h) at `utilization`.

    depreciation = capex x (1 - residual) / life_months; kWh = (board W + host W) x PUE x
    730 / 1000; power = kWh x price; colo = (full W + host W) / 1000 x colo per kW-month;
    maintenance = capex x maintenance / 12.
    """
    dep = inp.capex_per_gpu * (1 - inp.residual) / Decimal(inp.life_months)
    kwh = (board_watts(inp.idle_w, inp.full_w, utilization) + inp.host_w) * inp.pue * HOURS / 1000
    colo = (inp.full_w + inp.host_w) / 1000 * inp.colo_per_kw_month
    return OwnedMonth(dep, kwh * inp.price_per_kwh, colo, inp.capex_per_gpu * inp.maintenance / 12, kwh)


def has_owned_inputs(scenario: Scenario, catalog: Catalog) -> bool:
    """True when plan `owned` can be priced here: `finance.owned`, or a catalog
    `prices.owned_hardware` entry for `deployment.hardware`."""
    fin = scenario.finance
    if fin is not None and fin.owned is not None:
        return True
    return bool(scenario.deployment.hardware) and scenario.deployment.hardware in catalog.owned


def _electricity(scenario: Scenario, notes: list[str], where: str) -> Decimal:
    en = load_energy()
    if en.electricity_currency != scenario.currency:
        rate = scenario.fx.get(en.electricity_currency)
        if rate is None:
            raise InputError(f"the catalog electricity price is in {en.electricity_currency}; "
                             f"set {where} or add `fx: {{{en.electricity_currency}: <rate>}}`", where)
        price = en.electricity_price_per_kwh.value * Decimal(str(rate))
    else:
        price = en.electricity_price_per_kwh.value
    notes.append(f"electricity {en.electricity_price_per_kwh.value}/kWh: {en.electricity_price_per_kwh.source}")
    return price


def _catalog_inputs(scenario: Scenario, catalog: Catalog, hw_id: str) -> OwnedInputs:
    """OwnedInputs from the catalog's `prices.owned_hardware` entry of `hw_id`, converted to
    the scenario currency with its `fx:` table (InputError naming `fx` when a rate is missing)."""
    oh = catalog.owned[hw_id]
    fx = Decimal(1)
    if oh.currency != scenario.currency:
        rate = scenario.fx.get(oh.currency)
        if rate is None:
            raise InputError(f"the catalog owned-hardware inputs of {hw_id} are in {oh.currency} but the "
                             f"scenario is in {scenario.currency}; add `fx: {{{oh.currency}: <rate>}}`", "fx")
        fx = Decimal(str(rate))
    en = load_energy()
    idle, full, note = board_power(catalog, hw_id)
    notes = [note] if note else []
    kwh_price = _electricity(scenario, notes, "fx")
    notes.append(f"owned {hw_id} priced from the catalog (prices.owned_hardware, as of {oh.as_of}): "
                 f"capex {oh.capex_per_gpu} {oh.currency} per GPU over {oh.depreciation_years:g} years, "
                 f"residual {oh.residual:g}, host {oh.host_watts_per_gpu:g} W, hosting "
                 f"{oh.colo_per_kw_month} {oh.currency}/kW-month, maintenance {oh.maintenance:.0%} of capex "
                 f"a year, PUE {en.pue.value}; set finance.owned to use your own figures")
    return OwnedInputs(
        capex_per_gpu=oh.capex_per_gpu * fx, life_months=max(1, round(oh.depreciation_years * 12)),
        residual=Decimal(str(oh.residual)), idle_w=idle, full_w=full,
        host_w=Decimal(str(oh.host_watts_per_gpu)), pue=en.pue.value, price_per_kwh=kwh_price,
        colo_per_kw_month=oh.colo_per_kw_month * fx, maintenance=Decimal(str(oh.maintenance)),
        notes=tuple(notes))


def owned_inputs(scenario: Scenario, catalog: Catalog) -> OwnedInputs:
    """Resolve `finance.owned` (else the catalog's `prices.owned_hardware` entry of the
    hardware) with the hardware's board power curve and the energy catalog's defaults.

    Raises InputError without `deployment.hardware`, or when neither is there."""
    hw_id = scenario.deployment.hardware
    if not hw_id:
        raise InputError("the owned option needs `deployment.hardware` (for its power)", "deployment.hardware")
    fin = scenario.finance
    if fin is None or fin.owned is None:
        if hw_id in catalog.owned:
            return _catalog_inputs(scenario, catalog, hw_id)
        raise InputError(f"the owned option needs `finance.owned` (capex_per_gpu, ...): the catalog has no "
                         f"owned-hardware inputs for {hw_id!r}", "finance.owned")
    o = fin.owned
    en = load_energy()
    idle, full, note = board_power(catalog, hw_id)
    notes = [note] if note else []
    if o.power_price_per_kwh is not None:
        kwh_price = o.power_price_per_kwh
    else:
        if en.electricity_currency != scenario.currency:
            raise InputError(f"the catalog electricity price is in {en.electricity_currency}; "
                             "set finance.owned.power_price_per_kwh", "finance.owned.power_price_per_kwh")
        kwh_price = _electricity(scenario, notes, "finance.owned.power_price_per_kwh")
    grid = None
    if o.grid_gco2_per_kwh is not None:
        grid = Decimal(str(o.grid_gco2_per_kwh))
    elif o.region:
        grid = en.grid(o.region, "finance.owned.region").value
    life = round(o.depreciation_years * 12)
    if life < 1:
        raise InputError("depreciation_years must be at least one month", "finance.owned.depreciation_years")
    return OwnedInputs(
        capex_per_gpu=o.capex_per_gpu, life_months=life,
        residual=Decimal(str(o.residual or 0.0)), idle_w=idle, full_w=full,
        host_w=Decimal(str(o.host_watts_per_gpu)), pue=Decimal(str(o.pue)), price_per_kwh=kwh_price,
        colo_per_kw_month=o.colo_per_kw_month, maintenance=Decimal(str(o.maintenance)),
        network_per_month=o.network_per_month,
        staff_per_month=o.annual_cost_per_fte * Decimal(str(o.staff_fte)) / 12,
        max_gpus=o.max_gpus, grid_gco2_per_kwh=grid, notes=tuple(notes))


def owned_gpu_hour_price(scenario: Scenario, catalog: Catalog, utilization: float) -> tuple[Money, str]:
    """Price of one owned GPU-hour at `utilization` (0-1, busy share) in the scenario currency:
    the per-GPU parts of `owned_gpu_month` / 730, and a short label for the cost line.

    Inputs from `owned_inputs` (finance.owned, else the catalog). Fleet-level network and
    staff are not in it (`costs.engineering` carries people). Raises InputError as
    `owned_inputs` does.
    """
    inp = owned_inputs(scenario, catalog)
    m = owned_gpu_month(inp, Decimal(str(utilization)))
    fin = scenario.finance
    whose = "" if fin is not None and fin.owned is not None else " (catalog owned_hardware)"
    label = (f"owned{whose}: capex {inp.capex_per_gpu} over {inp.life_months} months, "
             f"power at {utilization:.0%} utilisation x PUE {inp.pue}")
    return Money(m.total / HOURS, scenario.currency), label
