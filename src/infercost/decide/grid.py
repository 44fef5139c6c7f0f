"""The optimizer's candidate grid: configurations (hardware x precision x GPUs per replica),
their service-time tables, and the pricing plans each one can be bought on.

A configuration's service time comes from `perf.service.service_time` on the scenario
with that hardware, precision and GPU count (the stable engine seam), tabulated at
batch sizes 1, 2, 4, ... up to its memory cap; the screen interpolates between them.
A scenario with a measured `service:` block keeps its own hardware, precision and GPUs
(a measured time does not move across hardware) and the notes say so.
Configurations the model cannot run on (does not fit, no such precision) are counted
in the notes, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from infercost.core.catalog import Catalog
from infercost.core.scenario import Scenario, set_path, validate
from infercost.errors import InputError
from infercost.perf.service import service_time

BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
PRECISIONS = ("bf16", "fp8", "int8", "int4")
GPUS = (1, 2, 4, 8)
SPOT_MIX = (0.25, 0.5, 0.75)  # spot share of the fleet, the rest on demand (fallback)


@dataclass(frozen=True)
class Config:
    hardware: str
    precision: str
    gpus: int
    max_batch: int  # memory cap and the batch grid's top
    seconds: np.ndarray  # batch time, s, at BATCHES (padded with the last value)
    prefill: np.ndarray | None  # LLMs: prefill time, s, at BATCHES (TTFT)
    is_llm: bool


@dataclass(frozen=True)
class Plan:
    """A way to pay for GPU-hours: provider, plan, spot share, price per GPU-hour."""

    provider: str
    plan: str
    spot_fraction: float
    per_gpu_hour: Decimal

    @property
    def label(self) -> str:
        if self.spot_fraction and self.plan != "spot":
            return f"{self.provider} {self.plan}+{self.spot_fraction:.0%} spot"
        return f"{self.provider} {self.plan}"


@dataclass
class Grid:
    configs: list[Config]
    plans: dict[str, list[Plan]]  # hardware -> plans
    notes: list[str] = field(default_factory=list)


def variant(scenario: Scenario, sets: dict) -> Scenario:
    raw = scenario.model_dump(mode="python", exclude_none=True)
    for k, v in sets.items():
        raw = set_path(raw, k, v, "optimize")
    return validate(raw, f"{scenario.name} (optimize)")


def plans_for(catalog: Catalog, hardware: str, currency: str, need_services: bool = False) -> list[Plan]:
    """Every (provider, plan) with a price for `hardware`, cheapest listing, plus spot mixes.

    need_services: only providers with CPU / storage / network prices (`prices.services`).
    """
    out: list[Plan] = []
    for provider in sorted({i.provider for i in catalog.instances if i.hardware == hardware}):
        if need_services and provider not in catalog.services:
            continue
        prices: dict[str, Decimal] = {}
        for i in catalog.instances:
            if i.provider == provider and i.hardware == hardware and i.currency == currency:
                for plan, p in i.per_gpu_hour.items():
                    prices[plan] = min(p, prices.get(plan, p))
        for plan, p in sorted(prices.items()):
            out.append(Plan(provider, plan, 1.0 if plan == "spot" else 0.0, p))
        if "on-demand" in prices and "spot" in prices:
            for f in SPOT_MIX:
                fd = Decimal(repr(f))
                out.append(Plan(provider, "on-demand", f, (1 - fd) * prices["on-demand"] + fd * prices["spot"]))
    return out


def build_grid(scenario: Scenario, catalog: Catalog, *, hardware: list[str] | None = None,
               precisions: tuple[str, ...] = PRECISIONS, gpus: tuple[int, ...] = GPUS) -> Grid:
    """All runnable configurations and their plans (module doc)."""
    notes: list[str] = []
    dep = scenario.deployment
    if scenario.service is not None:
        hws = [dep.hardware or ""]
        precisions, gpus = (scenario.model.precision,), (dep.gpus_per_replica,)
        notes.append("service: is measured on deployment.hardware: hardware, precision and GPUs "
                     "per replica stay fixed (name model.id to search them with the perf model)")
    else:
        priced = {i.hardware for i in catalog.instances}
        hws = sorted(h for h in (hardware or catalog.hardware) if h in priced)
    configs: list[Config] = []
    plans: dict[str, list[Plan]] = {}
    skipped = 0
    co = scenario.costs
    need = bool(co.storage or co.egress or co.preprocessing)
    if need:
        lacking = sorted({i.provider for i in catalog.instances} - set(catalog.services))
        notes.append(f"providers without CPU/storage/network prices left out (the scenario's "
                     f"storage, egress or preprocessing needs them): {', '.join(lacking)}")
    override = dep.pricing.price_per_gpu_hour
    if override is not None:
        notes.append(f"deployment.pricing.price_per_gpu_hour {override} {scenario.currency} is used for "
                     f"every hardware: pricing plans are not searched")
    for hw in hws:
        if override is not None:
            ps = [Plan(dep.pricing.provider, dep.pricing.plan, 0.0, Decimal(str(override)))]
        else:
            ps = plans_for(catalog, hw, scenario.currency, need)
        if not ps:
            continue
        for prec in precisions:
            for g in gpus:
                sets = {"deployment.hardware": hw, "model.precision": prec,
                        "deployment.gpus_per_replica": g, "deployment.batching.max_batch": BATCHES[-1]}
                if scenario.service is None:
                    sets["deployment.tp"] = g
                try:
                    sc = variant(scenario, sets)
                    svc = service_time(sc, catalog)
                except (InputError, ValueError, ZeroDivisionError):
                    skipped += 1
                    continue
                top = svc.max_batch if scenario.service is None else min(svc.max_batch, BATCHES[-1])
                sec = np.array([svc.batch_seconds(min(b, top)) for b in BATCHES], dtype=float)
                pre = None
                if svc.is_llm and svc.profile is not None:
                    req = sc.workload.request
                    isl = int(round(req.prompt_tokens.mean)) if req.prompt_tokens else 512
                    pre = np.array([svc.profile.prefill_seconds(min(b, top), isl) for b in BATCHES])
                configs.append(Config(hw, prec, g, top, sec, pre, svc.is_llm))
        plans[hw] = ps
    if skipped:
        notes.append(f"{skipped} hardware x precision x GPU configurations cannot run this model "
                     f"(memory, precision or parallelism) and were left out")
    if not configs:
        raise InputError("no hardware in the catalog can serve this model with a price", "deployment.hardware")
    return Grid(configs, plans, notes)
