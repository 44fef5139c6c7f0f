"""`PerfProfile`: step times and memory fit of one model on one replica of one hardware.

Units: seconds, tokens, sequences/items. A replica is `tp` devices (GPUs) running one
copy of the model with tensor parallelism; for CPU targets the replica is `gpus` vCPUs
(figures in the catalog are per vCPU and scale linearly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from infercost.errors import InputError
from infercost.perf.arch import (
    StepWork,
    decoder_work,
    encoder_work,
    generic_work,
    recommender_work,
    resnet_convs,
    resnet_depth,
    shape_of,
    vision_work,
)
from infercost.perf.efficiency import Efficiency
from infercost.perf.memory import MemoryFit, check_fit
from infercost.perf.precision import Precision, kv_element_bytes
from infercost.perf.roofline import Rates, StepTime, rates_for, step_time

MAX_ITEMS = 65536


@dataclass
class PerfProfile:
    """Performance of `model` in `precision` on one replica of `hardware` under `eff`.

    LLMs (family ``decoder``): `prefill_seconds`, `decode_step_seconds`; everything else:
    `batch_seconds` (one forward of a batch). `max_concurrency` answers the memory fit.
    """

    model: object
    precision: Precision
    hardware: object
    eff: Efficiency
    tp: int = 1
    gpus: int = 1
    units: float = 1.0  # vCPUs for CPU targets
    engine: str = "optimized"
    kv_precision: str | None = None  # KV cache element type (fp8, bf16, ...); None: engine default
    tf32: bool | None = None  # fp32 matmuls and convolutions on TF32; None: the engine's default
    vendor_scale: bool = True  # carry named-engine efficiencies to other hardware families
    notes: list | None = None  # what the profile assumed or fell back to (one line each)

    def __post_init__(self) -> None:
        from dataclasses import replace

        self.notes = list(self.notes or [])
        if self.tf32 is not None:
            self.eff = self.eff.with_(matmul_tf32=self.tf32, conv_tf32=self.tf32)
        if self.vendor_scale and self.eff.vendor_dev_scale:
            from infercost.perf.vendors import hardware_family

            f = self.eff.vendor_dev_scale.get(hardware_family(self.hardware), 1.0)
            if f != 1.0:
                self.eff = self.eff.with_(dev_scale=self.eff.dev_scale * f)
        p = self.precision
        # TensorRT INT8/FP8 encoder and CNN engines keep 8-bit activations between fused layers;
        # LLM engines (TensorRT-LLM included) write 16-bit GEMM outputs and re-quantise per GEMM
        if (self.eff.lowp_acts and self.model.family != "decoder" and not p.weights_only
                and p.base in ("fp8", "int8", "int4")):
            self.precision = replace(p, act_bytes=1.0)
        self.rates: Rates = rates_for(self.hardware, self.eff, self.units, vendor_scale=self.vendor_scale)
        fam = self.model.family
        self.family = fam
        self.shape = shape_of(self.model) if fam in ("decoder", "encoder") else None
        self.fit: MemoryFit = self._memory()
        check_fit(self.fit, self.model.id, self.precision.name, self.hardware.id, self.tp)

    # -- properties ------------------------------------------------------------------
    @property
    def is_llm(self) -> bool:
        return self.model.family == "decoder"

    @property
    def replicas(self) -> int:
        return max(1, self.gpus // self.tp) if self.hardware.kind != "cpu" else 1

    @property
    def kv_bytes(self) -> float:
        """KV cache bytes per element: `kv_precision` when given, else the engine's rule
        (FP8 KV for FP8 checkpoints on engines with `kv_fp8`), else 16-bit (fp32 for fp32)."""
        if self.kv_precision:
            return kv_element_bytes(self.kv_precision)
        if self.eff.kv_bytes:
            return self.eff.kv_bytes
        if self.eff.kv_fp8 and self.precision.base == "fp8":
            return 1.0
        return 4.0 if self.precision.base in ("fp32", "tf32") else 2.0

    def _dkw(self) -> dict:
        e = self.eff
        return {"tp": self.tp, "traffic": e.traffic, "kv_bytes": self.kv_bytes, "q_tile": e.decode_q_tile,
                "moe_m_half": e.moe_m_half, "moe_kernels": e.moe_kernels_per_layer}

    # -- steps -----------------------------------------------------------------------
    def _check(self, **kw) -> None:
        for k, v in kw.items():
            if v is None or (isinstance(v, float) and math.isnan(v)) or v <= 0:
                raise InputError(f"{k} must be a positive number, got {v!r}", k)

    def prefill_work(self, batch: int, prompt_len: int) -> StepWork:
        self._llm_only("prefill")
        self._check(batch=batch, prompt_len=prompt_len)
        return decoder_work(self.shape, self.precision, [(batch, prompt_len, 0)], logits_tokens=batch,
                            phase="prefill", **self._dkw())

    def decode_work(self, batch: int, context_len: float) -> StepWork:
        self._llm_only("decode")
        self._check(batch=batch)
        if context_len < 0:
            raise InputError(f"context_len must be >= 0, got {context_len!r}", "context_len")
        return decoder_work(self.shape, self.precision, [(batch, 1, context_len)], logits_tokens=batch,
                            phase="decode", **self._dkw())

    def mixed_work(self, seqs: list[tuple[float, float, float]], logits_tokens: float) -> StepWork:
        """A continuous-batching step over (count, new_tokens, past_context) groups."""
        self._llm_only("mixed")
        return decoder_work(self.shape, self.precision, seqs, logits_tokens=logits_tokens,
                            phase="decode", **self._dkw())

    def time(self, work: StepWork) -> StepTime:
        return step_time(work, self.precision, self.rates, self.eff, tp=self.tp)

    def prefill_step(self, batch: int, prompt_len: int) -> StepTime:
        return self.time(self.prefill_work(batch, prompt_len))

    def decode_step(self, batch: int, context_len: float) -> StepTime:
        return self.time(self.decode_work(batch, context_len))

    def prefill_seconds(self, batch: int, prompt_len: int) -> float:
        """Seconds for one prefill pass over `batch` x `prompt_len` prompt tokens."""
        return self.prefill_step(batch, prompt_len).seconds

    def decode_step_seconds(self, batch: int, context_len: float) -> float:
        """Seconds for one decode step of `batch` sequences, each at context `context_len`."""
        return self.decode_step(batch, context_len).seconds

    def forward_step(self, batch: int, seq_len: int = 0) -> StepTime:
        """A non-LLM forward of `batch` items (`seq_len` tokens each for encoders)."""
        self._check(batch=batch)
        fam = self.model.family
        if fam == "encoder":
            seq = seq_len or self.model.seq_len or 128
            self._check(seq_len=seq)
            w = encoder_work(self.shape, self.precision, batch, seq, tp=self.tp, traffic=self.eff.traffic)
        elif fam == "vision":
            w = vision_work(self.model, self.precision, batch, traffic=self.eff.traffic)
        elif fam == "decoder":
            seq = seq_len or 128
            w = self.prefill_work(batch, seq)
        elif fam == "recommender":
            w = recommender_work(self.model, self.precision, batch, traffic=self.eff.traffic, tp=self.tp)
        else:
            w = generic_work(self.model, self.precision, batch, traffic=self.eff.traffic)
        return self.time(w)

    def batch_seconds(self, batch: int, prompt_len: int = 0, output_len: int = 0) -> float:
        """Seconds to serve one batch.

        Non-LLMs: one forward of `batch` items (`prompt_len` = sequence length for encoders,
        0 = the model's default). LLMs: prefill(batch, prompt_len) (which yields the first
        output token) + (output_len - 1) decode steps at contexts prompt_len .. prompt_len +
        output_len - 2, summed with Simpson's rule over the context (exact for the linear
        regime, within 0.1% elsewhere).
        """
        if not self.is_llm:
            return self.forward_step(batch, prompt_len).seconds
        self._check(batch=batch)
        p = prompt_len or 128
        t = self.prefill_seconds(batch, p)
        n = int(output_len) - 1
        if n <= 0:
            return t
        a, b = float(p), float(p + n - 1)
        f = [self.decode_step_seconds(batch, c) for c in (a, (a + b) / 2, b)]
        return t + n * (f[0] + 4 * f[1] + f[2]) / 6.0

    # -- memory ----------------------------------------------------------------------
    def _memory(self) -> MemoryFit:
        hw, prec, eff = self.hardware, self.precision, self.eff
        mem = hw.memory_gb * 1e9 * (self.units if hw.per == "vcpu" else 1.0)
        usable = mem * eff.mem_util - eff.reserve_gb * 1e9
        params = float(self.model.params)
        tp = self.tp
        if self.shape is not None:
            s = self.shape
            lm = s.vocab * s.hidden
            lm_b = max(prec.weight_bytes, 2.0) if prec.weight_bytes < 2 else prec.weight_bytes
            weights = ((params - lm) * prec.weight_bytes + lm * lm_b) / tp
            if self.is_llm:
                toks = min(eff.max_tokens, 16384)
                acts = (toks * (4 * s.hidden + 2 * s.intermediate) * prec.act_bytes
                        + min(eff.max_batch, toks) * s.vocab * 4) / tp
                kv = s.kv_bytes_per_token(self.kv_bytes) * s.kv_split(tp)
            else:
                acts = 0.0
                kv = 0.0
        else:
            # recommenders shard their tables over the tp devices; other models hold a copy each
            weights = params * prec.weight_bytes / (tp if self.model.family == "recommender" else 1)
            acts = 0.0
            kv = 0.0
        return MemoryFit(usable, weights, acts, kv)

    def item_bytes(self, seq_len: int = 0) -> float:
        """Activation bytes one item needs at peak in a forward (non-LLMs)."""
        ab = self.precision.act_bytes
        if self.shape is not None:
            seq = seq_len or self.model.seq_len or 128
            s = self.shape
            return seq * (4 * s.hidden + 2 * s.intermediate) * ab + s.heads * seq * seq * ab
        if self.model.family == "recommender":
            from infercost.perf.arch import rec_shape

            r = rec_shape(self.model)
            return (r.tables + 1) * r.dim * ab * 4 + r.lookups * r.dim * self.precision.weight_bytes
        depth = resnet_depth(self.model)
        if depth is not None:
            # the largest conv input + output held at once, twice (double buffering by the allocator)
            return 2.0 * max(ci * hi * hi + co * ho * ho for ci, co, _, hi, ho in resnet_convs(depth)) * ab
        return max(float(self.model.bytes_per_item or 0), 1e6)

    def max_concurrency(self, context_len: int) -> int:
        """Sequences (LLMs: KV cache at `context_len` tokens each) or items (others) that fit.

        Capped at the engine's `max_batch` for LLMs and at 65,536 items otherwise.
        Raises InputError when the weights alone do not fit (checked at construction).
        """
        if self.is_llm:
            self._check(context_len=context_len)
            n = int(self.fit.free // (self.fit.kv_per_token * context_len))
            if n < 1:
                raise InputError(
                    f"model {self.model.id} fits on {self.hardware.id} but not even one sequence of "
                    f"{context_len} tokens does: KV needs {self.fit.kv_per_token * context_len / 1e9:.2f} GB, "
                    f"{max(self.fit.free, 0) / 1e9:.2f} GB free per device", "workload")
            return min(n, self.eff.max_batch)
        per = self.item_bytes(context_len)
        return int(max(1, min(MAX_ITEMS, self.fit.free // per)))

    def _llm_only(self, what: str) -> None:
        if not self.is_llm:
            fam = self.model.family
            art = "an" if fam[:1] in "aeiou" else "a"
            raise InputError(f"{what} applies to decoder LLMs; model {self.model.id!r} is {art} {fam} model")
