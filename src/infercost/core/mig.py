"""MIG slices (NVIDIA Multi-Instance GPU): a fraction of one GPU as hardware of its own.

The profiles (catalog_data/mig.yaml, each with `source` and `as_of`) give a slice's
fraction of the GPU's SMs and of its memory slices. A slice, as the performance model and
the price list see it (`slice_hardware`, `slice_price_fraction`):

- compute: every dense peak (TFLOP/s) x the SM fraction;
- memory: memory_gb, memory bandwidth (GB/s) and L2 x the memory fraction (NVIDIA
  partitions memory controllers and L2 with the memory slices);
- power: TDP and idle watts x the larger of the two fractions; no interconnect (a slice
  serves one replica alone: tensor parallelism 1);
- price: the GPU-hour x the larger of the two fractions (the share of the GPU the slice
  keeps others from using: 1g.10gb on an A100 80GB is max(1/7, 1/8) = 1/7 of its price,
  3g.40gb max(3/7, 4/8) = 1/2).

A slice's id is ``<hardware>:<profile>``, e.g. ``a100-80gb-sxm:1g.10gb``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from importlib import resources

from infercost.core.catalog import Hardware
from infercost.errors import InputError


@dataclass(frozen=True)
class MigProfile:
    """One MIG profile of one GPU model (fractions are exact)."""

    hardware: str  # catalog hardware id of the whole GPU
    name: str  # e.g. 1g.10gb
    sm_fraction: Fraction
    memory_fraction: Fraction
    instances: int  # how many of this profile fit on one GPU
    source: str
    as_of: date

    @property
    def id(self) -> str:
        return f"{self.hardware}:{self.name}"

    @property
    def price_fraction(self) -> Fraction:
        """Share of the GPU-hour a slice pays: max(SM fraction, memory fraction)."""
        return max(self.sm_fraction, self.memory_fraction)


def _fraction(v, where: str) -> Fraction:
    try:
        f = Fraction(str(v))
    except (ValueError, ZeroDivisionError):
        raise InputError(f"expected a fraction like 3/7, got {v!r}", where) from None
    if not 0 < f <= 1:
        raise InputError(f"expected a fraction in (0, 1], got {v!r}", where)
    return f


@lru_cache(maxsize=1)
def load_mig() -> dict[str, tuple[MigProfile, ...]]:
    """Hardware id -> its MIG profiles (bundled catalog_data/mig.yaml)."""
    from infercost.core.yamlio import load_yaml

    text = (resources.files("infercost.core") / "catalog_data" / "mig.yaml").read_text()
    out: dict[str, tuple[MigProfile, ...]] = {}
    for i, entry in enumerate(load_yaml(text, "catalog_data/mig.yaml")["mig"]):
        as_of = entry["as_of"] if isinstance(entry["as_of"], date) else date.fromisoformat(str(entry["as_of"]))
        for hw in entry["hardware"]:
            out[hw] = tuple(
                MigProfile(hw, str(p["name"]), _fraction(p["sm_fraction"], f"mig[{i}].{p['name']}"),
                           _fraction(p["memory_fraction"], f"mig[{i}].{p['name']}"), int(p["instances"]),
                           str(entry["source"]), as_of)
                for p in entry["profiles"])
    return out


def known_profiles() -> list[str]:
    """Every profile name in the MIG catalog (sorted)."""
    return sorted({p.name for ps in load_mig().values() for p in ps})


def check_profiles(names: list[str], where: str = "--mig") -> None:
    """InputError naming the known profiles when a name is not one of them."""
    known = known_profiles()
    for n in names:
        if n not in known:
            raise InputError(f"unknown MIG profile {n!r}; known: {', '.join(known)}", where)


def slice_hardware(hw: Hardware, p: MigProfile) -> Hardware:
    """The slice as Hardware: the GPU's figures scaled by the profile's fractions (module doc)."""
    sm, mem = float(p.sm_fraction), float(p.memory_fraction)
    share = float(p.price_fraction)
    return replace(
        hw, id=p.id, name=f"{hw.name}, MIG {p.name}",
        peak_tflops={k: v * sm for k, v in hw.peak_tflops.items()},
        memory_gb=hw.memory_gb * mem, memory_bw_gbps=hw.memory_bw_gbps * mem, l2_mb=hw.l2_mb * mem,
        tdp_w=hw.tdp_w * share, idle_watts=hw.idle_watts * share, interconnect=None,
        interconnect_gbps=0.0,
        source=f"{hw.source}; MIG {p.name}: {p.sm_fraction} of the SMs, {p.memory_fraction} of the "
               f"memory ({p.source})",
        as_of=min(hw.as_of, p.as_of),
        notes=f"MIG slice of {hw.id}: compute x {p.sm_fraction}, memory, bandwidth and L2 x "
              f"{p.memory_fraction}, priced at {p.price_fraction} of the GPU-hour")


def slice_price(per_gpu_hour: Decimal, p: MigProfile) -> Decimal:
    """Price of one slice-hour: the GPU-hour x price_fraction (exact to 28 digits)."""
    f = p.price_fraction
    return per_gpu_hour * Decimal(f.numerator) / Decimal(f.denominator)
