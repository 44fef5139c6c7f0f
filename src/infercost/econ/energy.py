"""Energy and carbon of a modelled usage period, beside its cost (`estimate`, `simulate`).

`energy(scenario, catalog, usage)` is the one function. It uses the board power curve of
`econ.owned` (`board_watts`: idle + (full - idle) x u, full = the hardware's TDP, idle from
the catalog or `idle_share_of_tdp` x TDP) and the energy catalog's PUE and grid intensity,
the same figures `infercost tco` uses (both take the power curve from `econ.owned.board_power`). GPU-hours by state come from the usage (`econ.cost.accelerator_gpu_hours`,
GPUs per replica included): busy and warm-up at full-load board power, idle at idle power;
kWh = W x h / 1000 x PUE; gCO2e = kWh x grid g/kWh.

Energy is a physical quantity: the same GPUs at the same load draw the same kWh whatever
the pricing plan. Board power always, plus the host's share per GPU wherever the catalog
knows it (`prices.owned_hardware` host_watts_per_gpu, `econ.owned.host_power`; board power
only otherwise), x the catalog PUE; the note says which. Plan `owned` with `finance.owned`
uses that site's own figures (host W, PUE) instead.
Grid: plan `owned` runs on your own site: `finance.owned.grid_gco2_per_kwh`, else
`finance.owned.region`, else us-east-1 (stated), never the cloud provider's region. Other
plans: `finance.cloud_region`, else the region of the catalog listing of the scenario's
provider and hardware, else us-east-1 (stated in the notes).
No money figure is touched.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from infercost.core.catalog import Catalog
from infercost.core.energy_catalog import load_energy
from infercost.econ.cost import accelerator_gpu_hours
from infercost.econ.owned import board_power, board_watts, host_power, owned_inputs
from infercost.econ.usage import CapacityUsage
from infercost.errors import InputError

if TYPE_CHECKING:  # annotations only (importing it costs pydantic)
    from infercost.core.scenario import Scenario

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class Energy:
    """Energy (kWh) and carbon (gCO2e) of a usage period; per-unit figures None when undefined."""

    kwh: Decimal
    kwh_per_inference: Decimal | None
    kwh_per_1m_tokens: Decimal | None
    gco2e: Decimal | None
    gco2e_per_inference: Decimal | None
    gco2e_per_1m_tokens: Decimal | None
    pue: Decimal
    grid_g_per_kwh: Decimal | None
    region: str
    idle_w: Decimal
    full_w: Decimal
    host_w: Decimal
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: Decimals as floats (rounded to 9 significant digits), notes as a list."""
        out: dict[str, Any] = {}
        for k, v in asdict(self).items():
            if isinstance(v, Decimal):
                out[k] = float(f"{v:.9g}")
            elif isinstance(v, tuple):
                out[k] = list(v)
            else:
                out[k] = v
        return out


def _region(scenario: Scenario, catalog: Catalog, notes: list[str]) -> str:
    fin = scenario.finance
    if fin is not None and fin.cloud_region:
        return fin.cloud_region
    dep = scenario.deployment
    provider = (fin.cloud_provider if fin is not None and fin.cloud_provider else dep.pricing.provider)
    rows = [i for i in catalog.instances if i.provider == provider and i.hardware == dep.hardware and i.region]
    if rows:
        return sorted(i.region for i in rows)[0]
    notes.append(f"no finance.cloud_region: grid intensity of {DEFAULT_REGION} assumed")
    return DEFAULT_REGION


def gpu_kwh(idle_w: Decimal, full_w: Decimal, host_w: Decimal, pue: Decimal,
            busy_h: Decimal, idle_h: Decimal) -> Decimal:
    """kWh of GPUs busy `busy_h` GPU-hours at full board power and idle `idle_h` at idle
    power, each with `host_w` W of host, x `pue`: the one energy formula of infercost.

    (busy_h x (full + host) + idle_h x (idle + host)) x PUE / 1000; W, hours, kWh."""
    full = board_watts(idle_w, full_w, Decimal(1)) + host_w
    idle = board_watts(idle_w, full_w, Decimal(0)) + host_w
    return (busy_h * full + idle_h * idle) * pue / 1000


@dataclass(frozen=True)
class ResourceGpuHours:
    """One billed resource (instance) of a fleet: its hardware, GPU-hours and busy share."""

    resource_id: str
    instance: str
    hardware: str
    gpus: int
    resource_hours: Decimal
    busy_share: Decimal  # 0-1: the busy share of its paid time
    region: str


def fleet_energy(catalog: Catalog, parts: list[ResourceGpuHours], requests: int,
                 notes: list[str] | None = None) -> dict[str, Any]:
    """Energy and carbon of billed GPU-hours at a measured load (`infercost attribute`).

    Per resource: GPU-hours = resource-hours x GPUs per instance (catalog), split busy /
    idle by `busy_share`, through `gpu_kwh` with the hardware's board power curve plus the
    host share where the catalog knows it (`econ.owned.host_power`) and the catalog PUE; gCO2e at the resource's region's
    grid intensity (None where the region has none). Returns a JSON-ready dict: totals,
    per 1k requests, per resource, and the notes (assumptions stated)."""
    en = load_energy()
    pue = en.pue.value
    notes = list(notes or [])
    rows, kwh_t, g_t, g_known = [], Decimal(0), Decimal(0), True
    for p in parts:
        idle, full, note = board_power(catalog, p.hardware)
        if note:
            notes.append(f"{p.hardware}: {note}")
        host, host_note = host_power(catalog, p.hardware)
        notes.append(f"{p.hardware}: {host_note}")
        gh = p.resource_hours * p.gpus
        kwh = gpu_kwh(idle, full, host, pue, gh * p.busy_share, gh * (1 - p.busy_share))
        try:
            grid = en.grid(p.region).value
        except InputError:
            grid = None
            notes.append(f"{p.resource_id}: no grid carbon intensity for region {p.region!r}: carbon not counted")
        g = None if grid is None else kwh * grid
        kwh_t += kwh
        if g is None:
            g_known = False
        else:
            g_t += g
        rows.append({"resource_id": p.resource_id, "instance": p.instance, "hardware": p.hardware,
                     "gpus": p.gpus, "resource_hours": _f(p.resource_hours), "gpu_hours": _f(gh),
                     "busy_share": _f(p.busy_share), "idle_w": _f(idle), "full_w": _f(full), "host_w": _f(host),
                     "region": p.region, "grid_g_per_kwh": None if grid is None else _f(grid),
                     "kwh": _f(kwh), "gco2e": None if g is None else _f(g)})
    notes.append(f"x PUE {pue} ({en.pue.source}); busy GPU-hours at full board power (TDP), idle at "
                 "idle power, the host share at any load")
    gco2e = g_t if g_known and parts else None
    k = Decimal(requests) / 1000 if requests else None
    return {"kwh": _f(kwh_t), "gco2e": None if gco2e is None else _f(gco2e),
            "kwh_per_1k_requests": None if not k else _f(kwh_t / k),
            "gco2e_per_1k_requests": None if not k or gco2e is None else _f(gco2e / k),
            "pue": _f(pue), "resources": rows, "notes": list(dict.fromkeys(notes))}


def _f(x: Decimal) -> float:
    return float(f"{x:.9g}")


def energy(scenario: Scenario, catalog: Catalog, usage: CapacityUsage) -> Energy:
    """Energy and carbon of `usage` (see the module doc). Raises InputError without a
    powered hardware (`deployment.hardware` with `tdp_w`)."""
    dep = scenario.deployment
    if not dep.hardware:
        raise InputError("energy needs `deployment.hardware` (for its power)", "deployment.hardware")
    en = load_energy()
    notes: list[str] = []
    fin = scenario.finance
    own_site = dep.pricing.plan == "owned"
    if own_site and fin is not None and fin.owned is not None:
        inp = owned_inputs(scenario, catalog)
        idle, full, host, pue = inp.idle_w, inp.full_w, inp.host_w, inp.pue
        notes.extend(n for n in inp.notes if n.startswith("idle board power"))
        what = f"board power + host share {float(host):g} W per GPU" if host else "board power only (no host watts)"
        notes.append(f"{what} x PUE {pue} (your site: finance.owned)")
        grid = inp.grid_gco2_per_kwh
        region = fin.owned.region or ""
    else:
        idle, full, note = board_power(catalog, dep.hardware)
        if note:
            notes.append(note)
        host, host_note = host_power(catalog, dep.hardware)
        pue = en.pue.value
        notes.append(f"{host_note} x PUE {pue} ({en.pue.source})")
        grid = None
        region = "" if own_site else _region(scenario, catalog, notes)
    if grid is None:
        if own_site and not region:
            region = DEFAULT_REGION
            notes.append(f"owned site without finance.owned.region or grid_gco2_per_kwh: grid intensity "
                         f"of {DEFAULT_REGION} assumed (not the cloud provider's region)")
        grid = en.grid(region, "finance.owned.region" if own_site else "finance.cloud_region").value
    gh = accelerator_gpu_hours(scenario, usage)
    busy = sum((h["busy"] for h in gh.values()), Decimal(0))
    idle_h = sum((h["idle"] for h in gh.values()), Decimal(0))
    warm = sum((h["warmup"] for h in gh.values()), Decimal(0))
    kwh = gpu_kwh(idle, full, host, pue, busy + warm, idle_h)
    if usage.others_busy_hours and usage.total(usage.others_busy_hours) > 0:
        notes.append("co-tenants' busy time is theirs: not counted")
    n = Decimal(str(usage.inferences))
    tok = Decimal(str(usage.input_tokens)) + Decimal(str(usage.output_tokens))
    gco2 = None if grid is None else kwh * grid

    def per(x: Decimal | None) -> Decimal | None:
        return None if x is None or n <= 0 else x / n

    def per_m(x: Decimal | None) -> Decimal | None:
        return None if x is None or tok <= 0 else x / tok * 1_000_000

    return Energy(kwh, per(kwh), per_m(kwh), gco2, per(gco2), per_m(gco2), pue, grid, region,
                  idle, full, host, tuple(notes))


def energy_facts(scenario: Scenario, catalog: Catalog, usage: CapacityUsage) -> dict[str, Any] | None:
    """`energy(...).to_dict()`, or None when the scenario has no powered hardware."""
    try:
        return energy(scenario, catalog, usage).to_dict()
    except InputError:
        return None
