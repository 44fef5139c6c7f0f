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


def max_load(profile: PerfProfile, isl: int, osl: int) -> dict:
    """Max-load throughput and latencies for fixed-length requests (see module docstring)."""
    if not profile.is_llm:
        raise InputError(f"throughput applies to decoder LLMs; {profile.model.id!r} is a {profile.model.family}",
                         "--model")
    for k, v in (("isl", isl), ("osl", osl)):
        if not isinstance(v, int) or v <= 0:
            raise InputError(f"{k} must be a positive integer, got {v!r}", f"--{k}")
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
    }
