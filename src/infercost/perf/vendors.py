"""Vendor-aware ceilings: achievable fractions of datasheet compute and bandwidth per
hardware family, on-chip cache sizes, and the interconnect an all-reduce runs over.

A catalog `Hardware` entry may carry these optional fields (read with a fallback here, so
entries without them still work):

- ``vendor_family``: ``hopper`` ``blackwell`` ``ampere`` ``ada`` ``turing`` ``cdna3``
  ``gaudi`` ``neuron`` ``tpu`` ``cpu`` (default: inferred from the id / name / vendor);
- ``l2_mb``: last-level on-chip cache in MB (L2 on NVIDIA, Infinity Cache on AMD, SRAM on
  TPU/Neuron; per vCPU for CPUs);
- ``interconnect``: an object with ``kind`` (``nvlink`` ``infinity-fabric`` ``pcie`` ``ici``
  ``neuronlink`` ``ethernet``) and ``gbps``, or just the kind as a string (default:
  NVLink / Infinity Fabric when `interconnect_gbps` >= 100 GB/s, else PCIe).

`Ceiling.compute` / `Ceiling.bw` are the best fraction of the dense datasheet peak a large
square matmul / a device copy reaches on that family (sources in `SOURCES`). An engine
profile's own efficiencies were fitted on one family (Hopper); on another family they are
scaled by the ratio of the two families' ceilings (`scale_to`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Ceiling:
    """Achievable fractions of datasheet figures on one hardware family."""

    compute: float  # large bf16 GEMM, fraction of dense peak
    bw: float  # device copy (read + write), fraction of datasheet bandwidth
    fp8_compute: float | None = None  # FP8 GEMM, when it differs from the bf16 fraction
    l2_mb: float = 0.0  # default on-chip cache, MB


CEILINGS: dict[str, Ceiling] = {
    "hopper": Ceiling(0.80, 0.89, 0.72, 50.0),
    "blackwell": Ceiling(0.78, 0.88, 0.72, 126.0),
    "ampere": Ceiling(0.86, 0.88, None, 40.0),
    "ada": Ceiling(0.62, 0.85, 0.60, 96.0),
    "turing": Ceiling(0.45, 0.80, None, 4.0),
    "cdna3": Ceiling(0.60, 0.81, 0.45, 256.0),
    "gaudi": Ceiling(0.65, 0.80, 0.55, 96.0),
    "neuron": Ceiling(0.55, 0.75, None, 24.0),
    "tpu": Ceiling(0.65, 0.85, None, 128.0),
    "cpu": Ceiling(0.50, 0.60, None, 2.0),
}

SOURCES = {
    "hopper": "bf16: H100 SXM MAMF 792.1 / 989 TFLOP/s = 80.1% (stas00/ml-engineering "
              "compute/accelerator/README.md, 'Maximum Achievable Matmul FLOPS comparison table', "
              "CUDA 12.1); fp8 72% and copy 89%: H200 in shared/data/calibration/h200-hf-eager.jsonl "
              "(1,429 / 1,979 TFLOP/s; 4.27 / 4.8 TB/s); L2 50 MB (H100 whitepaper)",
    "ampere": "A100 SXM MAMF 267.9 / 312 = 85.9% (same table); copy ~88% assumed as Hopper; L2 40 MB",
    "blackwell": "assumption: Hopper-like fractions (no public MAMF row when written); L2 126 MB",
    "ada": "assumption: power-limited cards (L40S 350 W, L4 72 W) do not hold boost clocks under "
           "tensor load; 62% of dense peak, GDDR6 copy 85%; L2 96 MB (L40S) / 48 MB (L4)",
    "turing": "fitted (0.45) on the T4 BERT TensorRT `fit` rows of perf/data/public_throughput.jsonl: "
              "T4 (70 W) cannot hold its boost clock under tensor load; L2 4 MB",
    "cdna3": "bf16: MI300X MAMF 781.9 / 1,300 = 60.1% (ROCm 6.2, same table); fp8 ~45% and "
             "bandwidth ~81% of 5.3 TB/s (aiweekly.co, 'AMD MI300X hits only 45% of peak FLOPs "
             "in practice', summarising SemiAnalysis measurements); Infinity Cache 256 MB",
    "gaudi": "assumption: between Ampere-class and CDNA3 fractions; SRAM 96 MB (Gaudi 3 white paper)",
    "neuron": "assumption: Neuron compiler reaches ~55% of dense peak on transformer GEMMs; "
              "24 MB SBUF per NeuronCore-v2",
    "tpu": "assumption: XLA matmuls ~65% of peak on v5e/v6e; 128 MB CMEM/VMEM order",
    "cpu": "same as the CPU engine defaults (oneDNN ~50% of peak, ~60% of STREAM); calibrate with "
           "`infercost bench`",
}

_PATTERNS = [
    ("blackwell", r"\b(b200|b100|gb200|b300|rtx.?pro.?6000|blackwell)"),
    ("hopper", r"\b(h100|h200|h20|gh200|h800|hopper)"),
    ("ampere", r"\b(a100|a10g|a10|a30|a40|a800|ampere)\b"),
    ("ada", r"\b(l4|l40s|l40|rtx.?4090|rtx.?6000.?ada|ada)\b"),
    ("turing", r"\b(t4|turing)\b"),
    ("cdna3", r"\b(mi300x|mi300a|mi325x|mi300|cdna3)"),
    ("gaudi", r"gaudi"),
    ("neuron", r"(inferentia|trainium|inf2|trn1|trn2|neuron)"),
    ("tpu", r"tpu"),
]


def hardware_family(hw) -> str:
    """The hardware family of a catalog `Hardware` (its `vendor_family` field, else inferred).

    Unknown GPUs fall back to ``hopper`` (the family the engine profiles were fitted on)."""
    fam = getattr(hw, "vendor_family", None) or getattr(hw, "arch_family", None)
    if fam:
        return str(fam).lower()
    if getattr(hw, "kind", "gpu") == "cpu":
        return "cpu"
    text = f"{hw.id} {getattr(hw, 'name', '')}".lower()
    for name, pat in _PATTERNS:
        if re.search(pat, text):
            return name
    vendor = str(getattr(hw, "vendor", "")).lower()
    return {"amd": "cdna3", "aws": "neuron", "google": "tpu", "intel": "gaudi"}.get(vendor, "hopper")


def ceiling(hw) -> Ceiling:
    """The `Ceiling` of `hw`'s family (Hopper for an unknown family)."""
    return CEILINGS.get(hardware_family(hw), CEILINGS["hopper"])


def l2_bytes(hw) -> float:
    """On-chip cache in bytes: the catalog's `l2_mb` when present, else the family default."""
    mb = getattr(hw, "l2_mb", None) or ceiling(hw).l2_mb
    return float(mb) * 1e6


def scale_to(hw, fitted_on: str = "hopper") -> tuple[dict[str, float], float]:
    """Multipliers (compute by precision, bandwidth) that carry efficiencies fitted on the
    `fitted_on` family to `hw`'s family: ratio of the two families' ceilings."""
    tgt, ref = ceiling(hw), CEILINGS.get(fitted_on, CEILINGS["hopper"])
    c = tgt.compute / ref.compute
    f8 = (tgt.fp8_compute or tgt.compute) / (ref.fp8_compute or ref.compute)
    # the ceilings are tensor-core figures; fp32 on CUDA cores is not scaled
    return {"default": c, "fp8": f8, "int8": f8, "int4": f8, "fp32": 1.0}, tgt.bw / ref.bw


@dataclass(frozen=True)
class Link:
    """All-reduce cost over one interconnect: time = latency(tp) + 2 (tp-1)/tp x bytes / (bw x eff)."""

    kind: str
    eff: float  # fraction of one-direction link bandwidth reached as all-reduce bus bandwidth
    latency_s: float  # per call at tp = 2
    latency_per_rank_s: float  # added per extra rank (ring / tree steps, synchronisation)

    def latency(self, tp: int) -> float:
        return self.latency_s + self.latency_per_rank_s * max(0, tp - 2)


LINKS: dict[str, Link] = {
    "nvlink": Link("nvlink", 0.70, 8e-6, 2e-6),
    "infinity-fabric": Link("infinity-fabric", 0.60, 10e-6, 3e-6),
    "pcie": Link("pcie", 0.60, 15e-6, 6e-6),
    "ici": Link("ici", 0.70, 10e-6, 2e-6),
    "neuronlink": Link("neuronlink", 0.60, 12e-6, 3e-6),
    "ethernet": Link("ethernet", 0.50, 25e-6, 8e-6),
}

LINK_SOURCES = {
    "nvlink": "nccl-tests all_reduce_perf on 8 x H100 NVSwitch: bus bandwidth ~360-480 GB/s of "
              "450 one-direction for large messages; custom one-shot all-reduce kernels (TensorRT-LLM, "
              "vLLM) ~5-15 us for decode-sized messages (assumption from the engines' docs)",
    "infinity-fabric": "MI300X: 7 x 64 GB/s links per GPU in a full mesh (448 GB/s); RCCL reaches "
                       "~60% of it (assumption)",
    "pcie": "PCIe Gen4/5 x16 through the host bridge: ~60% of one-direction bandwidth, tens of us "
            "per call (assumption)",
    "ici": "assumption", "neuronlink": "assumption", "ethernet": "assumption (Gaudi RoCE links)",
}


def link_of(hw) -> Link:
    """The interconnect of `hw`: its `interconnect` field, else inferred from bandwidth and vendor."""
    kind = getattr(hw, "interconnect", None)
    kind = getattr(kind, "kind", kind)
    if isinstance(kind, str) and kind.lower() in LINKS:
        return LINKS[kind.lower()]
    fam = hardware_family(hw)
    if fam == "tpu":
        return LINKS["ici"]
    if fam == "neuron":
        return LINKS["neuronlink"]
    if float(getattr(hw, "interconnect_gbps", 0) or 0) >= 100:
        return LINKS["infinity-fabric"] if fam == "cdna3" else LINKS["nvlink"]
    return LINKS["pcie"]
