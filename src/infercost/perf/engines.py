"""Engine profiles: default efficiency parameters, each with its source.

- ``optimized``: a vLLM / TensorRT-LLM class engine: continuous (in-flight) batching,
  fused kernels (fused norm + residual, fused SiLU x mul, rotary inside attention),
  paged / flash attention reading the KV cache once, CUDA graphs for decode. Parameters
  marked *fitted* were fitted on the training half of the published TensorRT-LLM table in
  `perf/data/published_throughput.jsonl` (see docs/perf.md for the split and the errors on
  the other half).
- ``hf-eager``: Hugging Face transformers in eager PyTorch (SDPA attention, DynamicCache):
  one Python-dispatched op per kernel, RMSNorm upcast to fp32, rotary and residuals as
  separate kernels, `torch.cat` of the whole KV cache every step. Parameters marked
  *fitted* come from the H200 calibration set (`h200-hf-eager.jsonl`, all rows);
  pass `--calibration FILE` / `engine: FILE` to fit your own.

CPU targets use the same engines with CPU-side numbers (`cpu_defaults`): no launch
latency, op dispatch overhead only, oneDNN / MKL matmul efficiency.
"""

from __future__ import annotations

from infercost.perf.arch import Traffic
from infercost.perf.efficiency import Efficiency

ENGINES = ("tensorrt", "vllm", "sglang", "hf-eager", "optimized")

OPTIMIZED = Efficiency(
    name="optimized",
    compute_eff={"default": 0.55, "fp32": 0.75, "tf32": 0.62},
    bw_eff=0.90,
    gemm_bw_eff=0.95,
    attn_eff=0.8,
    conv_eff=0.7,
    p_dev=2.0,
    t_kernel=1.5e-6,
    t_step=2.4e-4,
    host_factor={},
    p_host=1.0,
    traffic=Traffic(act_passes_hidden=6.0, act_passes_inter=3.0, kv_read_factor=1.0,
                    kernels_per_layer=8.0, kernels_fixed=20.0, fused_conv=True),
    comm_eff=1.0,
    comm_latency_s=8e-6,
    mem_util=0.9,
    reserve_gb=2.0,
    max_batch=2048,
    max_tokens=8192,
    kv_fp8=True,
    kv_reserve="full",
    version="1.0",
    represents="TensorRT-LLM 1.0 (PyTorch backend, trtllm-bench) / TensorRT 10 for encoders and CNNs",
    lowp_acts=True,
    matmul_tf32=True,
    conv_tf32=True,
    p_dev_fused=60.0,
    fused_compute_scale=1.1,
    moe_m_half=32.0,
    sources={
        "compute_eff": "fitted (TensorRT-LLM perf-overview training rows); cf. this project's H200 GEMMs: "
                       "bf16 77%, fp8 72% of datasheet (shared/data/calibration/h200-hf-eager.jsonl)",
        "bw_eff": "fitted (same rows), bounded at 0.90: device copy on H200 reaches 89% of datasheet "
                  "(shared/data/calibration/h200-hf-eager.jsonl)",
        "kv_fp8": "fitted (discrete): NVIDIA's FP8 ModelOpt checkpoints carry FP8 KV-cache scales",
        "kv_reserve": "fitted (discrete): TensorRT-LLM's default GUARANTEED_NO_EVICT scheduler reserves "
                      "KV blocks for the full isl + osl of each request",
        "gemm_bw_eff": "assumption: tuned GEMV/GEMM kernels stream weights near the copy bandwidth",
        "attn_eff": "FlashAttention-2/3 forward reaches 50-75% of H100 dense peak (Dao 2023; Shah et al. 2024)",
        "t_step": "fitted (0.24 ms): per-iteration scheduler + sampling overhead",
        "t_kernel": "assumption: ~1.5 us GPU-side gap per kernel inside a CUDA graph",
        "p_host": "1 = no overlap: the scheduler runs between steps (synchronous scheduling)",
        "mem_util": "vLLM gpu_memory_utilization default 0.9; TensorRT-LLM kv_cache_free_gpu_mem_fraction 0.9",
        "max_batch": "TensorRT-LLM default max_batch_size 2048",
        "max_tokens": "TensorRT-LLM default max_num_tokens 8192",
        "comm": "per interconnect (perf/vendors.py LINKS): latency per call and bus-bandwidth fraction",
        "lowp_acts": "TensorRT INT8/FP8 engines keep activations in 8 bits between fused layers "
                     "(TensorRT developer guide, 'Working with Quantized Types')",
        "matmul_tf32": "TensorRT enables TF32 for FP32 layers by default (BuilderFlag.TF32)",
        "p_dev_fused": "60 = plain roofline max for encoder/CNN forwards: fused TensorRT kernels overlap "
                       "loads and math (no smooth-max penalty)",
        "moe_m_half": "assumption: grouped GEMMs reach half of dense speed at ~32 rows per expert "
                      "(a 64-row MMA tile half filled)",
        "fused_compute_scale": "fitted (1.1, with the Turing ceiling 0.45) by a grid over 1.0-1.2 on the BERT "
                               "TensorRT demoBERT `fit` rows of perf/data/public_throughput.jsonl (A100/A30/T4): "
                               "encoder/CNN engines carry none of the LLM serving overheads absorbed in compute_eff; "
                               "host time stays serial (p_host 1): those rows time one static batch",
    },
)

TENSORRT = OPTIMIZED.with_(name="tensorrt")

# vLLM 0.10 (V1 engine) on the same GPU: same kernel families (FlashAttention / FlashInfer,
# CUTLASS FP8 GEMMs) with a heavier Python scheduler and no FP8 KV cache unless asked.
VLLM = OPTIMIZED.with_(
    name="vllm",
    version="0.10",
    represents="vLLM 0.10 (V1 engine), offline LLM class, kv_cache_dtype auto, chunked prefill, CUDA graphs",
    compute_eff={"default": 0.50, "fp32": 0.7, "tf32": 0.58},
    gemm_bw_eff=0.90,
    t_step=4.5e-4,
    lowp_acts=False,
    matmul_tf32=False,
    kv_fp8=False,
    kv_reserve="mean",
    max_batch=1024,
    max_tokens=16384,
    p_dev_fused=None,
    moe_m_half=48.0,
    vendor_dev_scale={"cdna3": 1.37},
    sources={**OPTIMIZED.sources,
             "vendor_dev_scale": "cdna3 1.37: fitted on the static-batch `fit` row (Llama-3.1-405B FP8, 8 x MI300X, "
                                 "batch 64, 128/128) of perf/data/public_throughput.jsonl (OCI blog, vLLM for ROCm, "
                                 "2024-10): ROCm kernels of that vLLM run ~1.4x slower per step than the same "
                                 "work on the CDNA3 ceilings",
             "max_batch": "vLLM engine/arg_utils.py defaults for >= 70 GiB GPUs, LLM class: max_num_seqs 1024, "
                          "max_num_batched_tokens 16384",
             "kv_fp8": "vLLM kv_cache_dtype default 'auto' (= model dtype: 16-bit KV)",
             "kv_reserve": "vLLM allocates KV blocks on demand and preempts (no full-length reservation)",
             "t_step": "assumption: the V1 scheduler + detokenizer cost ~2x TensorRT-LLM's per-iteration "
                       "overhead (vLLM V1 blog, Jan 2025: CPU overhead the main remaining gap)",
             "compute_eff": "assumption: CUTLASS/Triton kernels ~10% below TensorRT-LLM's tuned GEMMs",
             "lowp_acts": "vLLM quantises activations per GEMM and keeps 16-bit activations between ops",
             "moe_m_half": "assumption: fused_moe Triton kernel less efficient at few tokens per expert"},
)
VLLM_06 = VLLM.with_(version="0.6", t_step=9e-4, max_batch=256, max_tokens=8192,
                     represents="vLLM 0.6 (V0 engine, multi-step scheduling), max_num_seqs 256",
                     sources={**VLLM.sources, "t_step": "assumption: V0 engine, ~2x the V1 per-step overhead "
                              "(vLLM v0.6.0 blog: CPU overhead dominated before multi-step scheduling)",
                              "max_batch": "vLLM 0.6 default max_num_seqs 256"})

# SGLang 0.4: same kernel class as vLLM, overlap scheduler hides the CPU step.
SGLANG = VLLM.with_(
    name="sglang",
    version="0.4",
    represents="SGLang 0.4 (overlap scheduler, FlashInfer, radix cache off for fixed-length offline runs)",
    t_step=3.0e-4,
    p_host=3.0,
    max_tokens=8192,
    vendor_dev_scale={},
    sources={**VLLM.sources,
             "vendor_dev_scale": "none: no SGLang-on-ROCm row to fit",
             "p_host": "SGLang 0.4 zero-overhead batch scheduler runs the CPU scheduling of step n+1 while "
                       "the GPU runs step n (SGLang v0.4 blog, Dec 2024): partial overlap, p_host 3",
             "max_tokens": "SGLang chunked_prefill_size default 8192"},
)

VERSIONS: dict[str, dict[str, Efficiency]] = {
    "tensorrt": {"1.0": TENSORRT},
    "vllm": {"0.10": VLLM, "0.6": VLLM_06},
    "sglang": {"0.4": SGLANG},
}
ALIASES = {"optimized": "tensorrt", "tensorrt-llm": "tensorrt", "trt": "tensorrt", "trtllm": "tensorrt",
           "hf": "hf-eager", "transformers": "hf-eager"}

HF_EAGER_PRIOR = Efficiency(
    name="hf-eager",
    version="5.17",
    represents="Hugging Face transformers 5.17 eager mode, SDPA attention, PyTorch 2.11 defaults",
    compute_eff={"default": 0.75, "int8": 0.064},
    bw_eff=0.89,
    gemm_bw_eff=0.6,
    attn_eff=0.6,
    conv_eff=0.5,
    p_dev=1.5,
    t_kernel=15e-6,
    t_step=0.0,
    host_factor={},
    fp32_host_factor=1.0,
    p_host=5.0,
    traffic=Traffic(act_passes_hidden=60.0, act_passes_inter=5.0, kv_read_factor=3.0,
                    kernels_per_layer=40.0, kernels_fixed=30.0, kernels_per_conv=3.3,
                    encoder_passes_hidden=14.0, encoder_passes_inter=3.0, fused_conv=False),
    mem_util=0.95,
    kv_serial=True,
    conv_eff_simt=1.0,
    reserve_gb=1.0,
    max_batch=4096,
    max_tokens=1 << 30,
    sources={
        "compute_eff": "H200 GEMM n=8192 in this project's calibration set: bf16 760 / 989 TFLOP/s; "
                       "int8 via torch._int_mm 127 / 1979 TOPS",
        "bw_eff": "H200 device-to-device copy 4.27 / 4.8 TB/s (same file)",
        "gemm_bw_eff": "bf16 (m x 4096)(4096 x 14336) matmuls at m <= 128 stream weights at ~2.5 TB/s (same file)",
        "t_kernel": "assumption: 10-20 us of Python + dispatcher + launch per eager PyTorch op",
        "conv_eff_simt": "fitted on the T4 fp32 `fit` row (ResNet-50, b=64, NGC PyTorch 21.03) of "
                         "perf/data/public_throughput.jsonl: cuDNN's Winograd / implicit-GEMM fp32 convolutions "
                         "on CUDA cores reach about the fp32 peak in direct-convolution FLOPs",
        "kv_serial": "transformers DynamicCache.update allocates a new, larger cache tensor per layer every "
                     "step (torch.cat); PyTorch's caching allocator cannot reuse blocks of growing size and "
                     "falls back to cudaMalloc/cudaFree, which synchronise: the KV time is not hidden under "
                     "the host (mechanism; the H200 row b=256 ctx=512 is 13 ms above its host time)",
        "kv_read_factor": "transformers DynamicCache.update does torch.cat of the whole cache every step "
                          "(read + write) and SDPA reads it once: 3 passes",
        "act_passes": "counted from the transformers Llama eager code, in 2-byte passes per element "
                      "per layer: RMSNorm with fp32 upcast 18 x 2 norms, rotary on q and k 12.5, "
                      "SDPA input/output copies 5, residual adds 3 x 2 (hidden: ~60); SiLU x mul 5 "
                      "(intermediate)",
        "kernels_per_layer": "counted: ~40 ops per Llama decoder layer in eager mode (a BERT layer ~20)",
        "encoder_passes": "counted from transformers BERT eager: bias+GELU, residual add + LayerNorm x 2, "
                          "q/k/v head transposes: ~14 hidden-size and ~3 intermediate-size passes",
    },
)


# The hf-eager defaults: the prior above with the parameters fitted on all rows of the H200
# calibration set (`infercost perf calibrate --measurements h200-hf-eager.jsonl`). Calibration
# of a new file starts from HF_EAGER_PRIOR, never from these, so that held-out checks on the
# H200 rows do not see the rows through the defaults.
HF_EAGER = HF_EAGER_PRIOR.with_(
    gemm_bw_eff=0.60,
    p_dev=1.74,
    host_factor={"decode": 2.74, "prefill": 0.96, "encoder": 1.51, "vision": 1.33},
    fp32_host_factor=0.77,
    p_host=5.23,
    conv_eff=0.42,
    dev_scale=1.14,
    sources={**HF_EAGER_PRIOR.sources,
             "fitted": "gemm_bw_eff, p_dev, host_factor, fp32_host_factor, p_host, conv_eff, dev_scale: fitted "
                       "on all rows of shared/data/calibration/h200-hf-eager.jsonl (H200, transformers 5.17, "
                       "torch 2.11); other GPUs keep these fractions of their own datasheet figures"},
)


def parse_engine(spec: str) -> tuple[str, str | None]:
    """``vllm@0.10`` -> ("vllm", "0.10"); aliases resolved (``optimized`` -> tensorrt).

    Raises InputError naming the known engines (and versions) for an unknown name."""
    from infercost.errors import InputError

    raw = str(spec).strip().lower()
    name, _, ver = raw.partition("@")
    known = ", ".join(f"{n} ({'/'.join(v)})" if n in VERSIONS else n for n, v in
                      [(n, VERSIONS.get(n, {})) for n in ENGINES])
    if name not in ENGINES and name not in ALIASES:
        raise InputError(f"unknown engine {spec!r}; known: {known}, or a calibration file path",
                         "deployment.engine")
    base = ALIASES.get(name, name)
    if ver and ver not in VERSIONS.get(base, {"5.17": None} if base == "hf-eager" else {}):
        raise InputError(f"unknown version {ver!r} of engine {base}; known: {known}", "deployment.engine")
    return name, ver or None


def _named(name: str, version: str | None) -> Efficiency:
    base = ALIASES.get(name, name)
    if base == "hf-eager":
        return HF_EAGER
    vers = VERSIONS[base]
    eff = vers[version] if version else next(iter(vers.values()))
    if name == "optimized":
        eff = eff.with_(name="optimized", represents=f"alias of tensorrt@{eff.version}: {eff.represents}")
    return eff


def prior_engine(name: str, hardware_kind: str = "gpu") -> Efficiency:
    """The starting point (and prior) of a calibration: no parameter fitted to any data."""
    base = HF_EAGER_PRIOR if name == "hf-eager" else _named(*parse_engine(name))
    return cpu_defaults(base) if hardware_kind == "cpu" else base


def default_engine(name: str, hardware_kind: str = "gpu") -> Efficiency:
    """The named profile (``vllm``, ``vllm@0.6``, ``optimized``...), adapted to CPUs when
    `hardware_kind` is ``cpu``. Raises InputError for an unknown name or version."""
    base = _named(*parse_engine(name))
    if hardware_kind == "cpu":
        return cpu_defaults(base)
    return base


def cpu_defaults(base: Efficiency) -> Efficiency:
    """CPU variant: oneDNN/MKL matmuls at ~50% of peak, ~60% of STREAM bandwidth, ~6 us
    per eager op (no kernel launch, dispatcher only), no host/device overlap (the same
    cores run both), memory: 80% of RAM usable. Assumptions; calibrate with `infercost bench`."""
    return base.with_(
        name=f"{base.name}-cpu",
        compute_eff={"default": 0.5},
        bw_eff=0.6,
        gemm_bw_eff=1.0,
        attn_eff=0.5,
        conv_eff=0.6,
        t_kernel=6e-6 if base.name == "hf-eager" else 2e-6,
        t_step=0.0 if base.name == "hf-eager" else 2e-4,
        p_host=1.0,
        mem_util=0.8,
        reserve_gb=1.0,
    )


# Which serving engines run which model families on which accelerator vendors (the
# optimizer's engine axis). Latest version of each; others by name, e.g. ``vllm@0.6``.
ENGINE_SUPPORT: dict[str, dict[str, tuple[str, ...]]] = {
    "tensorrt@1.0": {"vendors": ("nvidia",),
                     "families": ("decoder", "encoder", "vision", "generic", "recommender")},
    "vllm@0.10": {"vendors": ("nvidia", "amd"), "families": ("decoder",)},
    "sglang@0.4": {"vendors": ("nvidia", "amd"), "families": ("decoder",)},
    "hf-eager@5.17": {"vendors": ("nvidia", "amd"),
                      "families": ("decoder", "encoder", "vision", "generic", "recommender")},
}
ENGINE_SUPPORT_SOURCES = {
    "tensorrt": "TensorRT and TensorRT-LLM run on NVIDIA CUDA GPUs only (NVIDIA TensorRT docs, support "
                "matrix); TensorRT-LLM serves decoders, TensorRT builds encoder and CNN engines",
    "vllm": "vLLM docs, GPU installation: NVIDIA CUDA and AMD ROCm; a text-generation server (decoders)",
    "sglang": "SGLang docs: NVIDIA and AMD (ROCm) GPUs; a text-generation server (decoders)",
    "hf-eager": "PyTorch eager mode runs on CUDA and ROCm builds; any transformers model",
    "optimized": "TPU, Neuron and Gaudi serve with their vendor's own compiled stack (JetStream / "
                 "vLLM-TPU, Neuron SDK, Optimum Habana), modelled with the `optimized` profile",
}


def serving_engines(family: str, vendor: str) -> tuple[str, ...]:
    """Engines (name@version) that serve a model `family` (decoder, encoder, vision,
    generic, recommender) on hardware of `vendor` (nvidia, amd, google, aws, intel...).

    Vendors with no named engine here serve with their own stack: ("optimized",)."""
    named = tuple(e for e, s in ENGINE_SUPPORT.items() if vendor in s["vendors"])
    if not named:
        return ("optimized",)
    return tuple(e for e in named if family in ENGINE_SUPPORT[e]["families"])
