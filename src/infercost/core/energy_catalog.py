"""The energy catalog (catalog_data/energy.yaml): power curve, electricity, PUE, grid carbon
intensity per region and public TCO references. Every figure carries `source` and `as_of`.

`load_energy()` returns an `EnergyCatalog`; `grid(region)` raises `InputError` naming the
known regions when a region is not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources

import yaml

from infercost.errors import InputError


@dataclass(frozen=True)
class Sourced:
    """A figure with its source and the date it was read."""

    value: Decimal
    source: str
    as_of: date


@dataclass(frozen=True)
class TcoReference:
    """Public per-GPU TCO constants: USD per GPU-hour and all-in kW per GPU."""

    hardware: str
    hyperscaler: Decimal
    neocloud: Decimal
    rental_3y: Decimal
    all_in_kw: Decimal
    currency: str
    source: str
    as_of: date


@dataclass(frozen=True)
class EnergyCatalog:
    idle_share_of_tdp: Sourced
    electricity_price_per_kwh: Sourced  # in `electricity_currency`
    electricity_currency: str
    pue: Sourced
    grid_gco2_per_kwh: dict[str, Sourced]
    tco_references: dict[str, TcoReference]

    def grid(self, region: str, where: str = "finance.cloud_region") -> Sourced:
        if region not in self.grid_gco2_per_kwh:
            known = ", ".join(sorted(self.grid_gco2_per_kwh))
            raise InputError(f"no grid carbon intensity for region {region!r}; known: {known}", where)
        return self.grid_gco2_per_kwh[region]


def _d(v) -> Decimal:
    return Decimal(str(v))


def _date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v))


@lru_cache(maxsize=1)
def load_energy() -> EnergyCatalog:
    """The bundled energy catalog."""
    text = (resources.files("infercost.core") / "catalog_data" / "energy.yaml").read_text()
    # libyaml where PyYAML has it: the objects safe_load builds (tests/test_catalog.py)
    e = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))["energy"]  # noqa: S506
    pc, el, pue = e["power_curve"], e["electricity"], e["pue"]
    grid = {g["region"]: Sourced(_d(g["gco2_per_kwh"]), g["source"], _date(g["as_of"])) for g in e["grid"]}
    refs = {r["hardware"]: TcoReference(r["hardware"], _d(r["hyperscaler"]), _d(r["neocloud"]),
                                        _d(r["rental_3y"]), _d(r["all_in_kw"]), r["currency"],
                                        r["source"], _date(r["as_of"]))
            for r in e["tco_references"]}
    return EnergyCatalog(
        Sourced(_d(pc["idle_share_of_tdp"]), pc["source"], _date(pc["as_of"])),
        Sourced(_d(el["price_per_kwh"]), el["source"], _date(el["as_of"])), el["currency"],
        Sourced(_d(pue["value"]), pue["source"], _date(pue["as_of"])), grid, refs)
