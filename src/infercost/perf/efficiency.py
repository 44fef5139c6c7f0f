"""The efficiency model: what a real engine achieves beyond the roofline.

A step's time is built from three parts (see `roofline.step_time`):

1. **Device time** D = sum over op groups g of ``smax(F_g / C_g, B_g / M_g; p_dev)``, where
   F, B are the group's FLOPs and bytes (`arch`), C the achievable compute rate
   (datasheet peak x `compute_eff[precision]`, x `attn_eff` for attention, x `conv_eff`
   for convolutions) and M the achievable bandwidth (datasheet x `bw_eff`); the weights W
   that matmuls stream go at M x `gemm_bw_eff`: memory time = (B - W) / M + W / (M x gemm_bw_eff).
   ``smax(a, b; p) = (a^p + b^p)^(1/p)`` is a smooth
   maximum: p -> infinity is the plain roofline max, p = 1 the sum (no overlap of compute
   and memory); model steps multiply D by `dev_scale` (1 unless calibrated: what the
   counted work misses, e.g. extra copies and matmul shapes slower than a square GEMM). All-reduces add ``count x latency(link, tp) + 2 (tp-1)/tp x bytes / (link x link eff x comm_eff)`` (`vendors.LINKS`).
2. **Host time** H = ``(t_step + kernels x t_kernel) x host_factor[phase]`` (x
   `fp32_host_factor` for fp32/tf32 runs: on the H200 set, fp32 eager forwards of BERT and
   ResNet-50 at batch 1 were ~30% faster than bf16 ones, a host-side effect): the launch-bound regime. `kernels` is the
   number of framework ops / kernel launches counted per layer in `arch`.
3. **Overlap**: step time = ``smax(H, D; p_host)``. The host enqueues kernels while the
   GPU runs earlier ones, so large batches hide the host (p_host large) and small ones
   are host-bound; p_host = 1 means no overlap at all.

Units: seconds, FLOP/s, bytes/s; fractions are of the datasheet figure in the catalog.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

from infercost.perf.arch import Traffic


@dataclass(frozen=True)
class Efficiency:
    """Parameters of the efficiency model (one engine on one kind of hardware)."""

    name: str
    compute_eff: dict[str, float] = field(default_factory=lambda: {"default": 0.7})
    achieved_tflops: dict[str, float] = field(default_factory=dict)  # measured, overrides eff x peak
    bw_eff: float = 0.85
    achieved_bw_gbps: float | None = None  # measured device bandwidth (read + write)
    gemm_bw_eff: float = 0.8  # weight streaming in matmuls, fraction of achievable bandwidth
    attn_eff: float = 0.6  # attention FLOP rate / matmul FLOP rate
    conv_eff: float = 0.6  # convolution FLOP rate / matmul FLOP rate
    p_dev: float = 1.5  # compute-memory overlap exponent inside an op group
    dev_scale: float = 1.0  # multiplies model device time (unmodelled copies, matmul shapes)
    t_kernel: float = 0.0  # host seconds per kernel launch / framework op
    t_step: float = 0.0  # host seconds per step (scheduler, sampling, input prep)
    host_factor: dict[str, float] = field(default_factory=dict)  # per phase multiplier
    fp32_host_factor: float = 1.0
    p_host: float = 4.0  # host-device overlap exponent
    traffic: Traffic = Traffic()
    comm_eff: float = 1.0  # multiplies the interconnect's all-reduce efficiency (vendors.LINKS)
    comm_latency_s: float = 8e-6
    mem_util: float = 0.9  # usable fraction of device memory
    reserve_gb: float = 2.0  # runtime reserve per device (context, workspace), GB
    max_batch: int = 2048  # engine cap on concurrent sequences
    max_tokens: int = 8192  # engine cap on tokens per step (prefill chunking)
    kv_bytes: float | None = None  # KV cache element bytes; None = activation bytes
    kv_fp8: bool = False  # FP8 KV cache when the weights are fp8 (FP8 checkpoints carry KV scales)
    kv_reserve: str = "full"  # max-load concurrency: KV reserved for the full isl+osl, or the mean
    act_passes_override: bool = False
    sources: dict[str, str] = field(default_factory=dict)
    # -- engine identity ---------------------------------------------------------------
    version: str = ""  # the release the parameters represent (e.g. "0.10" for vLLM)
    represents: str = ""  # one line: engine, release, settings the profile stands for
    fitted_family: str = "hopper"  # hardware family the efficiencies were fitted on (`vendors`)
    # -- precision per operation -------------------------------------------------------
    lowp_acts: bool = False  # int8/fp8 (-wa) activations stay 1 byte between fused kernels
    matmul_tf32: bool = False  # fp32 matmuls on TF32 tensor cores (PyTorch default: off)
    conv_tf32: bool = True  # fp32 convolutions on TF32 (PyTorch default cudnn.allow_tf32: on)
    # -- overlap, caches, attention ----------------------------------------------------
    p_dev_fused: float | None = None  # overlap exponent for encoder/vision forwards (None: p_dev)
    p_host_fused: float | None = None  # host/device overlap for encoder/vision/generic forwards (None: p_host)
    cache_residency: bool = True  # activations whose working set fits in L2 are not charged to HBM
    l2_frac: float = 0.5  # fraction of L2 a working set may use and stay resident
    kv_serial: bool = False  # decode KV-cache attention time adds to the step (not hidden under host)
    decode_q_tile: float = 1.0  # query rows a decode attention kernel computes per query head
    # -- mixture of experts ------------------------------------------------------------
    moe_m_half: float = 32.0  # tokens per expert per step at which expert GEMMs reach half speed
    moe_kernels_per_layer: float = 6.0  # router top-k, permute, unpermute, grouped GEMM launches
    fused_compute_scale: float = 1.0  # encoder/vision/generic forwards: compute rate x this (no LLM overheads)
    conv_eff_simt: float | None = None  # fp32 convolutions on CUDA cores (no TF32): fraction of the fp32 peak
    vendor_dev_scale: dict[str, float] = field(default_factory=dict)  # hardware family -> device-time factor
    gather_eff: float = 0.5  # embedding-row gathers (random rows of 0.1-1 KB), fraction of bandwidth

    def with_(self, **kw) -> Efficiency:
        return replace(self, **kw)

    def eff(self, precision: str) -> float:
        return self.compute_eff.get(precision, self.compute_eff.get("default", 0.7))

    def factor(self, phase: str) -> float:
        return self.host_factor.get(phase, self.host_factor.get("default", 1.0))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["traffic"] = asdict(self.traffic)
        return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in d.items()}


def smax(a: float, b: float, p: float) -> float:
    """Smooth maximum (a^p + b^p)^(1/p); p >= 60 is the plain max, p = 1 the sum."""
    if a <= 0:
        return max(b, 0.0)
    if b <= 0:
        return a
    if p >= 60:
        return max(a, b)
    hi = max(a, b)
    return hi * ((a / hi) ** p + (b / hi) ** p) ** (1.0 / p)
