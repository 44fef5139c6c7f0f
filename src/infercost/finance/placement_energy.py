"""Energy and carbon of a segment's placement (`infercost place`, `infercost pnl`).

Per option used by the placement, kWh per month:

- edge: sites x nodes per site x `node_watts` x 730 h / 1000: the node's average draw, the
  same figure the placement's power cost uses (the whole node; no PUE: the site's cooling
  is not modelled); carbon at the segment's `grid_gco2_per_kwh` (the operator's figure for
  its sites), else the energy catalog's us-east-1 intensity (stated in a note);
- cloud: busy GPU-hours = requests x GPU-ms of its components / 3.6e6, provisioned =
  busy / max_utilization (as the cost is), idle = provisioned - busy; kWh through
  `econ.energy.gpu_kwh` with the option's `hardware` board power curve, its host share where
  the catalog knows it and the catalog PUE; carbon at the option's `region` grid intensity,
  else us-east-1 (stated). An option without `hardware` has no power figure: its energy and
  the segment's total are None (shown "-", never 0) and a note says why.

Per 1,000 requests = kWh / requests x 1000; per 1M tokens = kWh / (requests x tokens per
request) x 1e6 where the scenario's model is an LLM (tokens per request given), else None.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from infercost.core.catalog import Catalog
from infercost.core.energy_catalog import load_energy
from infercost.core.scenario_finance import Pipeline, Segment
from infercost.econ.energy import DEFAULT_REGION, gpu_kwh
from infercost.econ.owned import board_power, host_power
from infercost.errors import InputError

MS_PER_HOUR = Decimal(3_600_000)
HOURS = Decimal(730)


@dataclass(frozen=True)
class OptionEnergy:
    """One option's energy per month (kWh) and carbon (gCO2e); None where not modelled."""

    option: str
    kind: str
    kwh_per_month: Decimal | None
    grid_g_per_kwh: Decimal | None
    gco2e_per_month: Decimal | None


@dataclass(frozen=True)
class PlacementEnergy:
    """A placement's energy and carbon per month, per 1,000 requests and per 1M tokens."""

    options: tuple[OptionEnergy, ...]
    requests_per_month: Decimal
    tokens_per_request: Decimal | None
    notes: tuple[str, ...] = ()

    def _total(self, attr: str) -> Decimal | None:
        vals = [getattr(o, attr) for o in self.options]
        return None if not vals or any(v is None for v in vals) else sum(vals, Decimal(0))

    @property
    def kwh_per_month(self) -> Decimal | None:
        return self._total("kwh_per_month")

    @property
    def gco2e_per_month(self) -> Decimal | None:
        return self._total("gco2e_per_month")

    def per_1k(self, x: Decimal | None) -> Decimal | None:
        return None if x is None or not self.requests_per_month else x / self.requests_per_month * 1000

    def per_1m_tokens(self, x: Decimal | None) -> Decimal | None:
        tok = self.tokens_per_request
        return None if x is None or not tok or not self.requests_per_month else \
            x / (self.requests_per_month * tok) * 1_000_000

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: figures as floats (9 significant digits), None where not modelled."""
        kwh, g = self.kwh_per_month, self.gco2e_per_month
        return {"kwh_per_month": _f(kwh), "gco2e_per_month": _f(g),
                "kwh_per_1k_inferences": _f(self.per_1k(kwh)), "gco2e_per_1k_inferences": _f(self.per_1k(g)),
                "kwh_per_1m_tokens": _f(self.per_1m_tokens(kwh)), "gco2e_per_1m_tokens": _f(self.per_1m_tokens(g)),
                "options": [{"option": o.option, "kind": o.kind, "kwh_per_month": _f(o.kwh_per_month),
                             "grid_g_per_kwh": _f(o.grid_g_per_kwh), "gco2e_per_month": _f(o.gco2e_per_month)}
                            for o in self.options],
                "notes": list(self.notes)}


def _f(x: Decimal | None) -> float | None:
    return None if x is None else float(f"{x:.9g}")


def _d(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def placement_energy(p: Pipeline, seg: Segment, assignment: dict[str, str], edge_nodes: dict[str, int],
                     catalog: Catalog, tokens_per_request: Decimal | None = None) -> PlacementEnergy:
    """Energy of `seg`'s placement `assignment` (component -> option) with `edge_nodes`
    (option -> nodes per site), see the module doc. Raises InputError for a cloud option's
    `hardware` missing from the catalog or without a power figure."""
    en = load_energy()
    opts = {o.name: o for o in p.options}
    at = {o.name: i for i, o in enumerate(p.options)}  # errors name the option's index
    n = _d(seg.requests_per_month)
    notes: list[str] = []
    busy: dict[str, Decimal] = {}
    for c in p.components:
        o = assignment[c.name]
        busy[o] = busy.get(o, Decimal(0)) + n * _d(c.service_ms[o]) / MS_PER_HOUR
    out = []
    for name in dict.fromkeys(assignment.values()):
        o = opts[name]
        if o.kind == "edge":
            # node_watts > 0 on every edge option (the scenario schema refuses 0)
            kwh = Decimal(seg.sites * edge_nodes.get(name, 0)) * _d(o.node_watts) * HOURS / 1000
            if seg.grid_gco2_per_kwh is not None:
                grid = _d(seg.grid_gco2_per_kwh)
            else:
                grid = en.grid(DEFAULT_REGION).value
                notes.append(f"no grid_gco2_per_kwh for the segment's sites: grid intensity of "
                             f"{DEFAULT_REGION} ({grid} g/kWh) assumed")
            notes.append(f"{name}: node_watts x 730 h per node, no PUE (the site's cooling not modelled)")
        else:
            if not o.hardware:
                out.append(OptionEnergy(name, o.kind, None, None, None))
                notes.append(f"{name}: no hardware named: energy not modelled")
                continue
            where = f"pipeline.options[{at[name]}].hardware"
            catalog.get_hardware(o.hardware, where)  # unknown hardware: InputError naming the key
            try:
                idle_w, full_w, note = board_power(catalog, o.hardware)
            except InputError as e:
                raise InputError(f"option {name!r}: {e.message}", where) from e
            if note:
                notes.append(f"{o.hardware}: {note}")
            host, host_note = host_power(catalog, o.hardware)
            pue = en.pue.value
            notes.append(f"{name}: {host_note} x PUE {pue}; provisioned at max_utilization, "
                         "busy GPU-hours at full board power, the rest at idle")
            b = busy[name]
            kwh = gpu_kwh(idle_w, full_w, host, pue, b, b / _d(o.max_utilization) - b)
            region = o.region or DEFAULT_REGION
            if not o.region:
                notes.append(f"{name}: no region: grid intensity of {DEFAULT_REGION} assumed")
            grid = en.grid(region, f"pipeline.options[{at[name]}].region").value
        out.append(OptionEnergy(name, o.kind, kwh, grid, None if kwh is None else kwh * grid))
    return PlacementEnergy(tuple(out), n, tokens_per_request, tuple(dict.fromkeys(notes)))
