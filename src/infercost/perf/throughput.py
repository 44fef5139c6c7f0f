"""Max-load (offline) serving of fixed-length requests on a continuous-batching engine.

Every request has `isl` prompt tokens and `osl` output tokens. At max load the engine
keeps B sequences in flight, B = min(engine max_batch, sequences whose KV cache at the
full length isl + osl fits in memory). In steady state each step decodes one token for
each of the B sequences and prefills the prompts of the B / osl requests that replace
the finished ones (continuous batching mixes both in one step):

    step work  = decode[(B, 1, isl + osl / 2)] + prefill[(B / osl, isl, 0)]
    tpot       = t_step(step work)                         (seconds per output token per sequence)
    output tokens/s per replica = B / tpot;  total = x replicas (gpus / tp)
    ttft       = t_step(decode[(B, 1, isl + osl / 2)] + prefill[(1, isl, 0)])
                 (the step that carries one new prompt; queueing before it is excluded:
                 offline max load has an unbounded queue by construction)

`bound`: what limits throughput: ``overhead`` (host/scheduler time exceeds device time),
``compute`` or ``bandwidth`` (the larger device term), or ``memory`` when the KV cache caps
B below the engine's max_batch and the step is not compute-bound (more memory would
raise throughput).
"""

from __future__ import annotations

from infercost.errors import InputError
from infercost.perf.profile import PerfProfile
from infercost.perf.uncertainty import prediction

QUANTILES = (0.1, 0.9)


def _qkey(q: float) -> str:
    return f"p{round(q * 100):d}" if abs(q * 100 - round(q * 100)) < 1e-9 else f"p{q * 100:g}".replace(".", "_")


def with_interval(out: dict, key: str, family: str, engine: str, quantiles=QUANTILES) -> dict:
    """Add `key`_pNN for each quantile (from the residual table) and the residual group used."""
    pred = prediction(out[key], family, engine)
    for q in quantiles:
        out[f"{key}_{_qkey(q)}"] = round(pred.quantile(q), 1)
    out["interval"] = {"residual_group": pred.group, "rows": len(pred.residuals), "widen": pred.widen}
    return out


def max_load(profile: PerfProfile, isl: int, osl: int) -> dict:
    """Max-load throughput and latencies for fixed-length requests (see module docstring)."""
    if not profile.is_llm:
        fam = profile.model.family
        art = "an" if fam[:1] in "aeiou" else "a"
        raise InputError(f"--isl/--osl throughput applies to decoder LLMs; {profile.model.id!r} is {art} {fam} "
                         "model: give --batch (and --seq-len) instead", "--model")
    for k, v in (("isl", isl), ("osl", osl)):
        if not isinstance(v, int) or v <= 0:
            raise InputError(f"{k} must be a positive integer, got {v!r}", f"--{k}")
    ctx_max = int(getattr(profile.model, "max_context", 0) or 0)
    if ctx_max and isl + osl > ctx_max:
        raise InputError(f"isl + osl = {isl + osl} tokens exceeds the context of {profile.model.id} "
                         f"({ctx_max} tokens)", "--isl")
    ctx = isl + osl if profile.eff.kv_reserve == "full" else int(isl + osl / 2)
    b_mem = profile.max_concurrency(ctx)  # capped by max_batch
    b = b_mem
    limited = "kv-memory" if b < profile.eff.max_batch else "max-batch"
    mean_ctx = isl + osl / 2.0
    new = b / osl
    step = profile.time(profile.mixed_work([(b, 1, mean_ctx), (new, isl, 0)], logits_tokens=b + new))
    first = profile.time(profile.mixed_work([(b, 1, mean_ctx), (1, isl, 0)], logits_tokens=b + 1))
    per_replica = b / step.seconds
    total = per_replica * profile.replicas
    bound = step.bound
    if limited == "kv-memory" and bound == "bandwidth":
        bound = "memory"
    gpus = profile.gpus
    return {
        "model": profile.model.id, "precision": profile.precision.name, "hardware": profile.hardware.id,
        "engine": profile.engine, "gpus": gpus, "tp": profile.tp, "replicas": profile.replicas,
        "isl": isl, "osl": osl,
        "output_tokens_per_s": round(total, 1),
        "output_tokens_per_s_per_gpu": round(total / gpus, 1),
        "requests_per_s": round(total / osl, 3),
        "max_concurrency": b,
        "concurrency_limited_by": limited,
        "ttft_ms": round(first.seconds * 1e3, 3),
        "tpot_ms": round(step.seconds * 1e3, 3),
        "bound": bound,
        "step": {"seconds": step.seconds, "device_s": step.device, "host_s": step.host,
                 "compute_s": step.compute, "memory_s": step.memory, "comm_s": step.comm},
        "memory": profile.fit.to_dict(),
        "notes": list(profile.notes),
    }


def forward_load(profile: PerfProfile, batch: int, seq_len: int | None = None) -> dict:
    """Max-load throughput of a non-generative model: forwards of `batch` items back to back.

    Every replica (a GPU, or `tp` GPUs) runs its own copy: samples/s = replicas x batch /
    step seconds. `seq_len`: tokens per item for encoders (default: the model's `seq_len`,
    else 128); refused for families without a sequence. Decoders are served through
    `max_load` (``--isl/--osl``); a decoder given --batch is refused.
    """
    fam = profile.model.family
    if fam == "decoder":
        raise InputError(f"{profile.model.id!r} is a decoder model: give --isl and --osl, not --batch", "--batch")
    if not isinstance(batch, int) or batch <= 0:
        raise InputError(f"batch must be a positive integer, got {batch!r}", "--batch")
    if seq_len is not None:
        if fam != "encoder":
            raise InputError(f"--seq-len applies to encoder models; {profile.model.id!r} is a {fam} model",
                             "--seq-len")
        if not isinstance(seq_len, int) or seq_len <= 0:
            raise InputError(f"seq len must be a positive integer, got {seq_len!r}", "--seq-len")
        ctx_max = int(getattr(profile.model, "max_context", 0) or 0)
        if ctx_max and seq_len > ctx_max:
            raise InputError(f"seq len {seq_len} exceeds the context of {profile.model.id} ({ctx_max} tokens)",
                             "--seq-len")
    cap = profile.max_concurrency(seq_len or 0)
    if batch > cap:
        raise InputError(f"batch {batch} does not fit in memory on {profile.hardware.id}: at most {cap} items",
                         "--batch")
    step = profile.forward_step(batch, seq_len or 0)
    total = batch / step.seconds * profile.replicas
    bound = {"overhead": "host", "bandwidth": "memory"}.get(step.bound, step.bound)
    seq = (seq_len or profile.model.seq_len or 128) if fam == "encoder" else None
    return {
        "model": profile.model.id, "family": fam, "precision": profile.precision.name,
        "hardware": profile.hardware.id, "engine": profile.engine, "gpus": profile.gpus, "tp": profile.tp,
        "replicas": profile.replicas, "batch": batch, "seq_len": seq,
        "samples_per_s": round(total, 1),
        "samples_per_s_per_gpu": round(total / profile.gpus, 1),
        "step_ms": round(step.seconds * 1e3, 4),
        "bound": bound,
        "step": {"seconds": step.seconds, "device_s": step.device, "host_s": step.host,
                 "compute_s": step.compute, "memory_s": step.memory, "comm_s": step.comm},
        "memory": profile.fit.to_dict(),
        "notes": list(profile.notes),
    }


def throughput_prediction(profile: PerfProfile, *, isl: int | None = None, osl: int | None = None,
                          batch: int | None = None, seq_len: int | None = None):
    """The max-load rate of `profile` as a `Prediction` with its residual distribution:
    decoders (isl, osl) in output tokens/s, other families (batch[, seq_len]) in samples/s.

        perf = throughput_prediction(profile, isl=1000, osl=1000)
        perf.value, perf.quantile(0.1), perf.quantile(0.9)

    Raises InputError as `max_load` / `forward_load` do."""
    from infercost.perf.uncertainty import perf_family

    if profile.is_llm:
        value = max_load(profile, isl, osl)["output_tokens_per_s"]
    else:
        value = forward_load(profile, batch, seq_len)["samples_per_s"]
    return prediction(value, perf_family(profile.model), profile.eff.name)
