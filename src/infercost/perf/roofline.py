"""Roofline with efficiencies: the time of one step's work on one device.

    t_group = smax(F / C, (B - W) / M + W / (M x gemm_bw_eff); p_dev)   W = weights streamed by matmuls
    D       = sum of t_group  (+ all-reduce time)
    H       = (t_step + kernels x t_kernel) x host_factor[phase] (x fp32_host_factor for fp32/tf32)
    t_step  = smax(H, D; p_host)

`Rates` holds the achievable compute (FLOP/s by precision) and bandwidth (bytes/s) of
the device group a step runs on: datasheet x efficiency, or the measured figures of a
calibration file.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.perf.arch import StepWork
from infercost.perf.efficiency import Efficiency, smax
from infercost.perf.precision import Precision

_FALLBACK = {"int4": ["int4", "int8", "fp8", "fp16", "bf16"], "int8": ["int8", "fp8", "fp16", "bf16"],
             "fp8": ["fp8", "fp16", "bf16"], "bf16": ["bf16", "fp16"], "fp16": ["fp16", "bf16"],
             "tf32": ["tf32", "fp32"], "fp32": ["fp32"]}


@dataclass(frozen=True)
class Rates:
    """Achievable rates of one device: FLOP/s by precision, bytes/s, link bytes/s."""

    flops: dict[str, float]
    bw: float
    link_bw: float = 0.0

    def compute(self, precision: str) -> float:
        for p in _FALLBACK.get(precision, [precision]):
            if p in self.flops and self.flops[p] > 0:
                return self.flops[p]
        return max(self.flops.values())


def rates_for(hardware, eff: Efficiency, units: float = 1.0) -> Rates:
    """Achievable rates: measured figures where the profile has them, else datasheet x eff.

    `units` multiplies per-vCPU figures for CPU targets (the number of vCPUs).
    """
    flops = {}
    for p, tf in (hardware.peak_tflops or {}).items():
        flops[p] = tf * 1e12 * eff.eff(p) * units
    for p, tf in eff.achieved_tflops.items():
        flops[p] = tf * 1e12 * (units if hardware.per == "vcpu" else 1.0)
    if eff.achieved_bw_gbps:
        bw = eff.achieved_bw_gbps * 1e9 * (units if hardware.per == "vcpu" else 1.0)
    else:
        bw = hardware.memory_bw_gbps * 1e9 * eff.bw_eff * units
    return Rates(flops, bw, hardware.interconnect_gbps * 1e9)


@dataclass
class StepTime:
    """A step's time and its parts (seconds)."""

    seconds: float
    device: float
    host: float
    compute: float  # sum of pure compute times of the groups
    memory: float  # sum of pure memory times of the groups
    comm: float

    @property
    def bound(self) -> str:
        """What bounds the step: overhead (host), compute or bandwidth."""
        if self.host >= self.device:
            return "overhead"
        return "compute" if self.compute >= self.memory else "bandwidth"


def step_time(work: StepWork, prec: Precision, rates: Rates, eff: Efficiency, *, tp: int = 1) -> StepTime:
    """Seconds for one step of `work` (formulas in the module docstring)."""
    attn_prec = "bf16" if prec.act_bytes <= 2 else prec.compute
    device = comp = mem = comm = 0.0
    for g in work.groups:
        if g.kind == "comm":
            if tp > 1:
                link = rates.link_bw * eff.comm_eff
                t = g.count * eff.comm_latency_s + (2.0 * (tp - 1) / tp * g.bytes / link if link > 0 else 0.0)
                comm += t
                device += t
            continue
        if g.kind == "gemm":
            c = rates.compute(prec.compute)
            m = rates.bw
        elif g.kind == "attn":
            c = rates.compute(attn_prec) * eff.attn_eff
            m = rates.bw
        elif g.kind == "conv":
            c = rates.compute(prec.compute) * eff.conv_eff
            m = rates.bw
        else:
            c = rates.compute(attn_prec)
            m = rates.bw
        tc = g.flops / c if g.flops else 0.0
        tm = (g.bytes - g.weight_bytes) / m if g.bytes else 0.0
        if g.weight_bytes and g.kind == "gemm":
            tm += g.weight_bytes / (m * eff.gemm_bw_eff)  # weights streamed by matmuls
        elif g.weight_bytes:
            tm += g.weight_bytes / m
        comp += tc
        mem += tm
        device += smax(tc, tm, eff.p_dev)
    device *= eff.dev_scale
    comp *= eff.dev_scale
    mem *= eff.dev_scale
    host = (eff.t_step + work.kernels * eff.t_kernel) * eff.factor(work.phase)
    if prec.act_bytes > 2:
        host *= eff.fp32_host_factor
    total = smax(host, device, eff.p_host)
    return StepTime(total, device, host, comp, mem, comm)
