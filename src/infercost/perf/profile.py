"""`PerfProfile`: step times and memory fit of one model on one replica of one hardware.

Units: seconds, tokens, sequences/items. A replica is `tp` devices (GPUs) running one
copy of the model with tensor parallelism; for CPU targets the replica is `gpus` vCPUs
(figures in the catalog are per vCPU and scale linearly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from infercost.errors import InputError
from infercost.perf.arch import (
    StepWork,
    decoder_work,
    encoder_work,
    generic_work,
    resnet_convs,
    resnet_depth,
    shape_of,
    vision_work,
)
from infercost.perf.efficiency import Efficiency
from infercost.perf.memory import MemoryFit, check_fit
from infercost.perf.precision import Precision, parse_precision
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

    def __post_init__(self) -> None:
        self.rates: Rates = rates_for(self.hardware, self.eff, self.units)
        fam = self.model.family
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
        if self.eff.kv_bytes:
            return self.eff.kv_bytes
        if self.eff.kv_fp8 and self.precision.base == "fp8":
            return 1.0
        return self.precision.act_bytes

    # -- steps -----------------------------------------------------------------------
    def _check(self, **kw) -> None:
        for k, v in kw.items():
            if v is None or (isinstance(v, float) and math.isnan(v)) or v <= 0:
                raise InputError(f"{k} must be a positive number, got {v!r}", k)

    def prefill_work(self, batch: int, prompt_len: int) -> StepWork:
        self._llm_only("prefill")
        self._check(batch=batch, prompt_len=prompt_len)
        return decoder_work(self.shape, self.precision, [(batch, prompt_len, 0)], logits_tokens=batch,
                            tp=self.tp, traffic=self.eff.traffic, phase="prefill", kv_bytes=self.kv_bytes)

    def decode_work(self, batch: int, context_len: float) -> StepWork:
        self._llm_only("decode")
        self._check(batch=batch)
        if context_len < 0:
            raise InputError(f"context_len must be >= 0, got {context_len!r}", "context_len")
        return decoder_work(self.shape, self.precision, [(batch, 1, context_len)], logits_tokens=batch,
                            tp=self.tp, traffic=self.eff.traffic, phase="decode", kv_bytes=self.kv_bytes)

    def mixed_work(self, seqs: list[tuple[float, float, float]], logits_tokens: float) -> StepWork:
        """A continuous-batching step over (count, new_tokens, past_context) groups."""
        self._llm_only("mixed")
        return decoder_work(self.shape, self.precision, seqs, logits_tokens=logits_tokens, tp=self.tp,
                            traffic=self.eff.traffic, phase="decode", kv_bytes=self.kv_bytes)

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
                kv = s.kv_bytes_per_token(self.kv_bytes) * max(1.0 / tp, 1.0 / s.kv_heads)
            else:
                acts = 0.0
                kv = 0.0
        else:
            weights = params * prec.weight_bytes
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

    def describe(self) -> dict:
        return {"model": self.model.id, "precision": self.precision.name, "hardware": self.hardware.id,
                "engine": self.engine, "tp": self.tp, "gpus": self.gpus, "replicas": self.replicas,
                "memory": self.fit.to_dict()}

    def _llm_only(self, what: str) -> None:
        if not self.is_llm:
            raise InputError(f"{what} applies to decoder LLMs; model {self.model.id!r} is a {self.model.family}")


_CAL_CACHE: dict[tuple, object] = {}


def calibrated_efficiency(path: str | Path, base: str = "hf-eager") -> tuple[Efficiency, object]:
    """Fit (and cache by path and modification time) an Efficiency from a measurement file."""
    from infercost.perf.calibrate import fit_file

    p = Path(path)
    if not p.exists():
        raise InputError("calibration file not found", str(path))
    key = (str(p.resolve()), p.stat().st_mtime_ns, base)
    if key not in _CAL_CACHE:
        _CAL_CACHE[key] = fit_file(p, base=base)
    cal = _CAL_CACHE[key]
    return cal.eff, cal


def _transfer(eff: Efficiency, measured_on, target) -> Efficiency:
    """Use a calibration made on one machine for another one.

    Same hardware id: the measured ceilings as they are. A catalog GPU measured, another
    target: the measured ceilings become fractions of the measured machine's datasheet
    (`compute_eff`, `bw_eff`) applied to the target's datasheet; host and overlap
    parameters carry over unchanged (same engine, similar host). A machine built from its
    own measurements (CPUs, unknown GPUs) keeps its absolute per-unit ceilings.
    """
    if measured_on.id == target.id or str(measured_on.source).startswith("measured"):
        return eff
    ce = dict(eff.compute_eff)
    for p, tf in eff.achieved_tflops.items():
        peak = measured_on.peak_tflops.get(p)
        if peak:
            ce[p] = tf / peak
    bw = eff.bw_eff
    if eff.achieved_bw_gbps and measured_on.memory_bw_gbps:
        bw = eff.achieved_bw_gbps / measured_on.memory_bw_gbps
    return eff.with_(compute_eff=ce, achieved_tflops={}, achieved_bw_gbps=None, bw_eff=bw)


def build_profile(model, precision: str, hardware, *, gpus: int = 1, tp: int | None = None,
                  engine: str = "optimized", calibration: str | Path | None = None) -> PerfProfile:
    """A PerfProfile for `model` (ModelArch) in `precision` on `hardware` (Hardware).

    engine: ``optimized``, ``hf-eager`` or a path to a calibration (measurement) file;
    `calibration` (a path) fits the named engine's parameters to that file instead.
    GPUs: `tp` devices per replica (default: all `gpus`). CPUs: `gpus` counts vCPUs.
    """
    from infercost.perf.engines import ENGINES, default_engine

    prec = parse_precision(precision)
    if not isinstance(gpus, int) or gpus < 1:
        raise InputError(f"gpus must be a positive integer, got {gpus!r}", "deployment.gpus_per_replica")
    is_cpu = getattr(hardware, "kind", "gpu") == "cpu"
    if is_cpu:
        tp_ = 1
    else:
        tp_ = gpus if tp is None else tp
        if not isinstance(tp_, int) or tp_ < 1 or tp_ > gpus:
            raise InputError(f"tp must be an integer between 1 and gpus ({gpus}), got {tp!r}", "deployment.tp")
        if gpus % tp_:
            raise InputError(f"gpus ({gpus}) must be a multiple of tp ({tp_})", "deployment.tp")
    eng_name = str(engine)
    if calibration is not None:
        base = eng_name if eng_name in ENGINES else "hf-eager"
        eff, cal = calibrated_efficiency(calibration, base)
        eff = _transfer(eff, cal.hardware, hardware)
    elif eng_name in ENGINES:
        eff = default_engine(eng_name, "cpu" if is_cpu else "gpu")
    elif Path(eng_name).suffix in (".jsonl", ".json") or Path(eng_name).exists():
        eff, cal = calibrated_efficiency(eng_name)
        eff = _transfer(eff, cal.hardware, hardware)
    else:
        raise InputError(f"unknown engine {eng_name!r}; allowed: optimized, hf-eager, or a calibration file path",
                         "deployment.engine")
    return PerfProfile(model, prec, hardware, eff, tp=tp_, gpus=gpus, units=float(gpus) if is_cpu else 1.0,
                       engine=eff.name)
