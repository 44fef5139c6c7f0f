"""Hybrid edge / cloud placement of a pipeline, per customer segment.

Every assignment of components to placement options is enumerated (pipelines are small) and
checked against the segment's constraints; the cheapest valid one wins. For a segment with
`requests_per_month` N and `sites` S:

- a component may run on an option only if `service_ms` names that option; edge (on-site)
  options need S > 0; when the segment's data must stay on site, components marked
  `must_stay_on_site` must run on an on-site option;
- cloud compute per month = N x service_ms / 3.6e6 GPU-h x price per GPU-hour / max_utilization
  (capacity provisioned at that busy share);
- edge compute per month = S x nodes per site x (capex / (life x 12) + node W x 730 / 1000 x
  price per kWh), nodes per site = ceil(N / S x GPU-ms on that option / (730 x 3.6e6 x
  max_utilization x GPUs per node)), at least 1 when anything runs there;
- transfers: bytes moved site -> cloud cost `upload_per_gb`, cloud -> site or user `egress_per_gb`;
  the user is on site when S > 0; each crossing between site and cloud adds `wan_ms`;
- latency = the first component's option `network_latency_ms` + sum of service_ms + crossings
  x wan_ms, checked against the segment's `latency_budget_ms`.

`place(pipeline, segment)` returns a `Placement` or raises `InputError` naming the
constraint that left no valid option.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from infercost.core.scenario_finance import Pipeline, PlacementOption, Segment
from infercost.errors import InputError

MS_PER_HOUR = Decimal(3_600_000)
HOURS = Decimal(730)
GB = Decimal(1_000_000_000)
USER = "user"


@dataclass(frozen=True)
class Placement:
    segment: str
    assignment: dict[str, str]  # component -> option
    compute_per_month: Decimal
    transfer_per_month: Decimal
    latency_ms: float
    edge_nodes: dict[str, int]  # option -> nodes per site
    edge_depreciation_per_month: Decimal
    requests_per_month: Decimal
    notes: tuple[str, ...] = ()
    energy: Any = None  # finance.placement_energy.PlacementEnergy, set by `api.place`

    @property
    def total_per_month(self) -> Decimal:
        return self.compute_per_month + self.transfer_per_month

    @property
    def per_request(self) -> Decimal:
        return self.total_per_month / self.requests_per_month if self.requests_per_month else Decimal(0)

    def to_dict(self) -> dict:
        q = Decimal("0.000001")
        return {"segment": self.segment, "assignment": self.assignment,
                "compute_per_month": str(self.compute_per_month.quantize(Decimal("0.01"))),
                "transfer_per_month": str(self.transfer_per_month.quantize(Decimal("0.01"))),
                "total_per_month": str(self.total_per_month.quantize(Decimal("0.01"))),
                "cost_per_request": str(self.per_request.quantize(q)),
                "latency_ms": round(self.latency_ms, 3), "edge_nodes_per_site": self.edge_nodes,
                "edge_depreciation_per_month": str(self.edge_depreciation_per_month.quantize(Decimal("0.01"))),
                "energy": None if self.energy is None else self.energy.to_dict(),
                "notes": list(self.notes)}


def _d(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def _edge_node_month(o: PlacementOption) -> tuple[Decimal, Decimal]:
    """(depreciation, power) of one edge node per month."""
    dep = (o.capex_per_node or Decimal(0)) / (_d(o.depreciation_years) * 12)
    power = _d(o.node_watts) * HOURS / 1000 * o.power_price_per_kwh
    return dep, power


def _cost(p: Pipeline, seg: Segment, assign: dict[str, str]) -> tuple[Decimal, Decimal, float, dict, Decimal]:
    opts = {o.name: o for o in p.options}
    n = _d(seg.requests_per_month)
    compute = Decimal(0)
    edge_ms: dict[str, Decimal] = {}
    for comp in p.components:
        o = opts[assign[comp.name]]
        ms = _d(comp.service_ms[o.name])
        if o.kind == "cloud":
            if o.price_per_gpu_hour is None:
                raise InputError(f"cloud option {o.name!r} needs price_per_gpu_hour", "pipeline.options")
            compute += n * ms / MS_PER_HOUR * o.price_per_gpu_hour / _d(o.max_utilization)
        else:
            edge_ms[o.name] = edge_ms.get(o.name, Decimal(0)) + ms
    nodes: dict[str, int] = {}
    dep_total = Decimal(0)
    for name, ms in edge_ms.items():
        o = opts[name]
        per_site = n / Decimal(seg.sites) * ms / MS_PER_HOUR  # GPU-hours per site per month
        k = max(1, math.ceil(per_site / (HOURS * _d(o.max_utilization) * o.gpus_per_node)))
        nodes[name] = k
        dep, power = _edge_node_month(o)
        compute += Decimal(seg.sites * k) * (dep + power)
        dep_total += Decimal(seg.sites * k) * dep

    def where(x: str) -> str:
        if x == USER:
            return "site" if seg.sites > 0 else "internet"
        o = opts[assign[x]]
        return "site" if o.on_site else "cloud"

    transfer = Decimal(0)
    crossings = 0
    for t in p.transfers:
        a, b = where(t.source), where(t.target)
        gb = n * _d(t.bytes_per_request) / GB
        if a == "site" and b == "cloud":
            transfer += gb * p.upload_per_gb
        elif a == "cloud" and b != "cloud":
            transfer += gb * p.egress_per_gb
        if {a, b} == {"site", "cloud"}:
            crossings += 1
    first = opts[assign[p.components[0].name]]
    latency = first.network_latency_ms + sum(c.service_ms[assign[c.name]] for c in p.components) \
        + crossings * p.wan_ms
    return compute, transfer, latency, nodes, dep_total


def place(p: Pipeline, seg: Segment) -> Placement:
    """The cheapest valid placement of `p` for `seg` (see the module doc)."""
    names = {o.name for o in p.options}
    comp_names = {c.name for c in p.components} | {USER}
    for t in p.transfers:
        for end in (t.source, t.target):
            if end not in comp_names:
                raise InputError(f"transfer names unknown component {end!r}; known: {', '.join(sorted(comp_names))}",
                                 "pipeline.transfers")
    choices = []
    for c in p.components:
        bad = sorted(set(c.service_ms) - names)
        if bad:
            raise InputError(f"component {c.name!r} names unknown option(s) {', '.join(bad)}",
                             "pipeline.components.service_ms")
        allowed = []
        for o in p.options:
            if o.name not in c.service_ms:
                continue
            if o.on_site and seg.sites == 0:
                continue
            if seg.data_on_site and c.must_stay_on_site and not o.on_site:
                continue
            allowed.append(o.name)
        if not allowed:
            why = ("its data must stay on site and no on-site option runs it" if seg.data_on_site and
                   c.must_stay_on_site else "no option it can run on is available to a segment with "
                   f"{seg.sites} site(s)")
            raise InputError(f"segment {seg.name!r}: no valid placement for component {c.name!r}: {why}",
                             "pipeline")
        choices.append(allowed)
    best = None
    fastest = None
    for combo in itertools.product(*choices):
        assign = dict(zip((c.name for c in p.components), combo, strict=True))
        compute, transfer, lat, nodes, dep = _cost(p, seg, assign)
        fastest = lat if fastest is None else min(fastest, lat)
        if seg.latency_budget_ms is not None and lat > seg.latency_budget_ms:
            continue
        key = (compute + transfer, lat, combo)
        if best is None or key < best[0]:
            best = (key, assign, compute, transfer, lat, nodes, dep)
    if best is None:
        raise InputError(f"segment {seg.name!r}: no valid placement within the latency budget of "
                         f"{seg.latency_budget_ms:g} ms (the fastest valid placement takes {fastest:g} ms)",
                         "segments.latency_budget_ms")
    _, assign, compute, transfer, lat, nodes, dep = best
    notes = ("keeping models consistent across sites (version rollout, sync traffic) is not modelled",)
    return Placement(seg.name, assign, compute, transfer, lat, nodes, dep, _d(seg.requests_per_month), notes)
