"""Roofline with efficiencies: the time of one step's work on one device.

    t_group = smax(F / C, (B - W - R) / M + W / (M x gemm_bw_eff); p_dev)   W = weights streamed by matmuls
              R = activation traffic whose working set fits in L2 (not charged to HBM), else 0
              C = peak(precision of the op) x efficiency x eff_scale of the group
    D       = sum of t_group  (+ all-reduce time: latency(link, tp) x calls + 2 (tp-1)/tp x bytes / link rate)
    H       = (t_step + kernels x t_kernel) x host_factor[phase] (x fp32_host_factor for fp32/tf32)
    t_step  = smax(H, D - S; p_host) + S
              S = decode attention time over the KV cache when the engine serialises it with
              the host (`kv_serial`: eager DynamicCache re-allocates the whole cache every
              step; growing allocations make the caching allocator synchronise), else 0

`Rates` holds the achievable compute (FLOP/s by precision) and bandwidth (bytes/s) of
the device group a step runs on: datasheet x efficiency, or the measured figures of a
calibration file.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.perf.arch import StepWork
from infercost.perf.efficiency import Efficiency, smax
from infercost.perf.precision import Precision
from infercost.perf.vendors import LINKS, Link

_FALLBACK = {"int4": ["int4", "int8", "fp8", "fp16", "bf16"], "int8": ["int8", "fp8", "fp16", "bf16"],
             "fp8": ["fp8", "fp16", "bf16"], "bf16": ["bf16", "fp16"], "fp16": ["fp16", "bf16"],
             "tf32": ["tf32", "fp32"], "fp32": ["fp32"]}


@dataclass(frozen=True)
class Rates:
    """Achievable rates of one device: FLOP/s by precision, bytes/s, link bytes/s."""

    flops: dict[str, float]
    bw: float
    link_bw: float = 0.0
    link: Link = LINKS["nvlink"]
    l2: float = 0.0  # on-chip cache bytes (L2 residency)

    def compute(self, precision: str) -> float:
        for p in _FALLBACK.get(precision, [precision]):
            if p in self.flops and self.flops[p] > 0:
                return self.flops[p]
        return max(self.flops.values())


def rates_for(hardware, eff: Efficiency, units: float = 1.0, vendor_scale: bool = False) -> Rates:
    """Achievable rates: measured figures where the profile has them, else datasheet x eff.

    `units` multiplies per-vCPU figures for CPU targets (the number of vCPUs).
    `vendor_scale`: carry the engine's efficiencies from the family they were fitted on
    (`eff.fitted_family`) to `hardware`'s family (`vendors.scale_to`).
    """
    from infercost.perf.vendors import l2_bytes, link_of, scale_to

    cs, bs = ({"default": 1.0}, 1.0)
    if vendor_scale and hardware.kind != "cpu":
        cs, bs = scale_to(hardware, eff.fitted_family)
    flops = {}
    for p, tf in (hardware.peak_tflops or {}).items():
        flops[p] = tf * 1e12 * eff.eff(p) * units * cs.get(p, cs["default"])
    for p, tf in eff.achieved_tflops.items():
        flops[p] = tf * 1e12 * (units if hardware.per == "vcpu" else 1.0)
    if eff.achieved_bw_gbps:
        bw = eff.achieved_bw_gbps * 1e9 * (units if hardware.per == "vcpu" else 1.0)
    else:
        bw = hardware.memory_bw_gbps * 1e9 * eff.bw_eff * units * bs
    l2 = l2_bytes(hardware) * (units if hardware.per == "vcpu" else 1.0)
    return Rates(flops, bw, hardware.interconnect_gbps * 1e9, link_of(hardware), l2)


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


def op_precision(kind: str, prec: Precision, eff: Efficiency) -> str:
    """The peak an op group runs at: fp32 matmuls / convolutions on TF32 when the engine
    allows it (PyTorch: `allow_tf32` off for matmuls, on for cuDNN convolutions; TensorRT: on
    for both); attention and elementwise work in 16-bit unless activations are fp32."""
    c = prec.compute
    if c == "fp32" and ((kind == "gemm" and eff.matmul_tf32) or (kind == "conv" and eff.conv_tf32)):
        return "tf32"
    if kind in ("attn", "elem"):
        return "bf16" if prec.act_bytes <= 2 else c
    return c


def step_time(work: StepWork, prec: Precision, rates: Rates, eff: Efficiency, *, tp: int = 1) -> StepTime:
    """Seconds for one step of `work` (formulas in the module docstring)."""
    device = comp = mem = comm = serial = 0.0
    fused_phase = work.phase in ("encoder", "vision", "generic")
    fused = fused_phase and eff.p_dev_fused is not None
    p_dev = eff.p_dev_fused if fused else eff.p_dev
    for g in work.groups:
        if g.kind == "comm":
            if tp > 1:
                link = rates.link
                bw = rates.link_bw * link.eff * eff.comm_eff
                t = g.count * link.latency(tp) + (2.0 * (tp - 1) / tp * g.bytes / bw if bw > 0 else 0.0)
                comm += t
                device += t
            continue
        op = op_precision(g.kind, prec, eff)
        if op == "tf32" and not rates.flops.get("tf32"):
            op = "fp32"  # no TF32 tensor cores (Turing and older, CPUs): CUDA-core fp32
        c = rates.compute(op) * g.eff_scale
        m = rates.bw
        if fused_phase and g.kind != "elem":
            c *= eff.fused_compute_scale
        if g.kind == "attn":
            c *= eff.attn_eff
        elif g.kind == "conv":
            c *= eff.conv_eff_simt if (op == "fp32" and eff.conv_eff_simt is not None) else eff.conv_eff
        elif g.kind == "gather":
            m *= eff.gather_eff
        tc = g.flops / c if g.flops else 0.0
        charged = g.bytes - g.weight_bytes
        if eff.cache_residency and g.resident_bytes and g.working_set <= rates.l2 * eff.l2_frac:
            charged -= g.resident_bytes
        tm = max(charged, 0.0) / m if g.bytes else 0.0
        if g.weight_bytes and g.kind == "gemm":
            tm += g.weight_bytes / (m * eff.gemm_bw_eff)  # weights streamed by matmuls
        elif g.weight_bytes:
            tm += g.weight_bytes / m
        comp += tc
        mem += tm
        t = smax(tc, tm, p_dev)
        device += t
        if g.kind == "attn" and eff.kv_serial and work.phase == "decode":
            serial += t
    device *= eff.dev_scale
    comp *= eff.dev_scale
    mem *= eff.dev_scale
    serial *= eff.dev_scale
    host = (eff.t_step + work.kernels * eff.t_kernel) * eff.factor(work.phase)
    if prec.act_bytes > 2:
        host *= eff.fp32_host_factor
    p_host = eff.p_host_fused if (fused_phase and eff.p_host_fused is not None) else eff.p_host
    total = smax(host, device - serial, p_host) + serial
    return StepTime(total, device, host, comp, mem, comm)
