"""The service-time seam: how long a replica is busy serving a batch.

Two sources, one shape (`ServiceTime`):
- the scenario's `service:` block (a measured or assumed time): a batch of b requests
  takes `mean_ms + (b - 1) * per_item_ms` milliseconds (per_item_ms defaults to
  mean_ms: no batching gain unless the user says so);
- the performance model (`infercost.perf`), when the scenario names a model and
  hardware instead: LLMs serve a batch of b sequences as one prefill of b x prompt
  tokens plus `output_tokens` decode steps at batch b; others run b x items per
  forward pass. The memory fit caps the batch. When `deployment.engine` is a
  calibration file with a `load` row (`infercost bench --load`), every batch time is
  multiplied by one factor that maps the model's batch times onto the ones measured
  under load (busy-time weighted over the batch sizes the load produced; LLMs: the
  measured slowdown) and a note says so. An LLM whose `workload.request` gives no
  `prompt_tokens` / `output_tokens` is modelled at DEFAULT_PROMPT_TOKENS /
  DEFAULT_OUTPUT_TOKENS per request, and a note (`default_tokens_note`) says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from infercost.core.catalog import Catalog, ModelArch
from infercost.core.scenario import Scenario
from infercost.errors import InputError

#: Tokens per request the performance model assumes for an LLM when the scenario gives none.
DEFAULT_PROMPT_TOKENS, DEFAULT_OUTPUT_TOKENS = 512, 128
#: How the note on assumed token counts starts (`sim` picks it out of the notes by it).
DEFAULT_TOKENS_NOTE = "LLM request size assumed"


def default_tokens_note(scenario: Scenario) -> str | None:
    """The note for an LLM scenario whose `workload.request` (or a `workload.mix` class's own
    request) lacks prompt or output tokens (the caller knows the model is an LLM), or None
    when every request gives both. The sizes quoted are `workload.request`'s."""
    req = scenario.workload.request
    keys = ("prompt_tokens", "output_tokens")
    missing = [f"workload.request.{k}" for k in keys if getattr(req, k) is None]
    missing += [f"workload.mix[{i}].request.{k}" for i, c in enumerate(scenario.workload.mix or [])
                if c.request is not None for k in keys if getattr(c.request, k) is None]
    if not missing:
        return None
    return (f"{DEFAULT_TOKENS_NOTE}: no {' or '.join(missing)}, so the performance model serves "
            f"{int(req.prompt_tokens.mean) if req.prompt_tokens else DEFAULT_PROMPT_TOKENS} prompt and "
            f"{int(req.output_tokens.mean) if req.output_tokens else DEFAULT_OUTPUT_TOKENS} output tokens "
            "per request (service time, KV cache); token counts and per-1M-token costs count only the "
            "sizes given")


@dataclass(frozen=True)
class ServiceTime:
    """Seconds a replica is busy for one batch, and the largest batch it can take."""

    batch_seconds: Callable[[int], float]  # batch size (requests) -> seconds
    max_batch: int  # requests per batch: min(batching.max_batch, memory cap)
    source: str  # human-readable origin
    is_llm: bool = False
    profile: object | None = None  # the perf profile, when the perf model was used
    memory_cap: int | None = None  # largest batch that fits in memory (perf model only)
    notes: tuple[str, ...] = ()  # warnings for the user (e.g. faster than physics)

    def seconds_at(self, b: float) -> float:
        """Batch time (s) at a fractional batch size `b` >= 1 (fluid models): linear
        between the two whole batch sizes around it, capped at `max_batch`."""
        lo = max(1, int(math.floor(b)))
        hi = min(self.max_batch, lo + 1)
        s_lo = self.batch_seconds(lo)
        if hi == lo:
            return s_lo
        return s_lo + (b - lo) * (self.batch_seconds(hi) - s_lo)


def service_from_block(block, max_batch: int) -> ServiceTime:
    """ServiceTime of a `service:` block: a batch of b takes mean_ms + (b - 1) x per_item_ms
    (per_item_ms defaults to mean_ms: no batching gain)."""
    mean_s = block.mean_ms / 1000.0
    extra_s = (block.per_item_ms if block.per_item_ms is not None else block.mean_ms) / 1000.0

    def from_service(b: int) -> float:
        return mean_s + (b - 1) * extra_s

    return ServiceTime(from_service, max_batch, f"service: {block.distribution}, mean {block.mean_ms:g} ms")


def resolve_model(scenario: Scenario, catalog: Catalog) -> ModelArch | None:
    """The scenario's model architecture (catalog id or inline `arch:`), or None."""
    m = scenario.model
    if m.arch:
        from datetime import date

        from infercost.core.catalog import build_entry

        data = {"source": "scenario file (inline arch)", "as_of": date(1970, 1, 1), "params": 0,
                "id": m.id or "inline", **m.arch}
        return build_entry(ModelArch, data, "model.arch")
    if m.id:
        return catalog.get_model(m.id)
    return None


def scenario_precision(scenario: Scenario) -> str:
    """The perf model's precision name for `model.precision` and `model.weights_only`
    (int8 + weights_only -> ``int8-w``: quantised weights, bf16 activations and matmuls)."""
    m = scenario.model
    if not m.weights_only:
        return m.precision
    if m.precision not in ("fp8", "int8", "int4"):
        raise InputError(f"applies to fp8, int8 and int4 only, not {m.precision}", "model.weights_only")
    return f"{m.precision}-w"


def check_model(scenario: Scenario, catalog: Catalog) -> None:
    """`model.id` must be a catalog id unless `model.arch` is inline (InputError with
    did-you-mean); a model in neither goes by free-text `model.name`."""
    m = scenario.model
    if m.id and not m.arch:
        catalog.get_model(m.id)


def service_time(scenario: Scenario, catalog: Catalog) -> ServiceTime:
    """The ServiceTime for a scenario: from `service:` if given, else from the perf model."""
    batching = scenario.deployment.batching
    if scenario.service is not None:
        check_model(scenario, catalog)
        svc = service_from_block(scenario.service, batching.max_batch)
        note = physics_note(scenario, catalog)
        return replace(svc, notes=(note,)) if note else svc
    return _from_perf(scenario, catalog)


#: A stated service time this many times faster than the roofline floor is flagged.
PHYSICS_MARGIN = 2.0


def roofline_floor_s(scenario: Scenario, catalog: Catalog) -> float | None:
    """Seconds one request alone needs at least on the named model and hardware, or None.

    The floor is the performance model with every efficiency at 1 and no host overhead:
    datasheet FLOP/s and memory bandwidth (an LLM: prefill of the mean prompt, then one
    decode step per output token streaming the weights). None when the scenario names no
    model or hardware, or the model does not fit.
    """
    from infercost.perf.efficiency import Efficiency
    from infercost.perf.engines import default_engine
    from infercost.perf.precision import parse_precision
    from infercost.perf.profile import PerfProfile

    arch = resolve_model(scenario, catalog)
    dep = scenario.deployment
    if arch is None or not dep.hardware:
        return None
    hw = catalog.get_hardware(dep.hardware)
    is_cpu = getattr(hw, "kind", "gpu") == "cpu"
    base = default_engine("optimized", "cpu" if is_cpu else "gpu")
    ideal = Efficiency(name="roofline floor", compute_eff={"default": 1.0}, bw_eff=1.0,
                       gemm_bw_eff=1.0, attn_eff=1.0, conv_eff=1.0, p_dev=60.0, comm_eff=1.0,
                       comm_latency_s=0.0, traffic=base.traffic, mem_util=1.0, reserve_gb=0.0)
    tp = 1 if is_cpu else (dep.tp or dep.gpus_per_replica)
    try:
        prof = PerfProfile(arch, parse_precision(scenario_precision(scenario)), hw, ideal, tp=tp,
                           gpus=dep.gpus_per_replica,
                           units=float(dep.gpus_per_replica) if is_cpu else 1.0, engine=ideal.name,
                           vendor_scale=False)  # datasheet rates on every hardware family
        req = scenario.workload.request
        if prof.is_llm:
            isl = int(round(req.prompt_tokens.mean)) if req.prompt_tokens else 512
            osl = int(round(req.output_tokens.mean)) if req.output_tokens else 128
            return prof.batch_seconds(1, isl, osl)
        items = req.items.mean if req.items else 1.0
        return prof.batch_seconds(max(1, int(round(items))))
    except InputError:
        return None


def physics_note(scenario: Scenario, catalog: Catalog) -> str | None:
    """A warning when `service.mean_ms` beats the roofline floor by more than PHYSICS_MARGIN."""
    floor = roofline_floor_s(scenario, catalog)
    stated = scenario.service.mean_ms / 1000.0
    if floor is None or stated * PHYSICS_MARGIN >= floor:
        return None
    m = scenario.model
    return (f"service.mean_ms ({scenario.service.mean_ms:g} ms) is {floor / stated:.0f}x faster than "
            f"the roofline floor ({floor * 1000:.0f} ms) of {m.id or 'the inline model'} in "
            f"{m.precision} on {scenario.deployment.hardware}: check the figure, or drop "
            f"`service:` to use the performance model")


def _from_perf(scenario: Scenario, catalog: Catalog) -> ServiceTime:
    arch = resolve_model(scenario, catalog)
    dep = scenario.deployment
    hw = catalog.get_hardware(dep.hardware or "")
    try:
        from infercost.perf import build_profile
    except ImportError:  # pragma: no cover - perf always ships with the package
        raise InputError("the performance model is not available; give `service:`", "service") from None
    profile = build_profile(arch, scenario_precision(scenario), hw, gpus=dep.gpus_per_replica,
                            tp=dep.tp, engine=dep.engine)
    from infercost.perf.measurements import load_calibration

    load = load_calibration(dep.engine)
    req = scenario.workload.request
    items_ = req.items.mean if req.items else 1.0
    k = 1.0
    if load is not None:
        k = load.slowdown if getattr(profile, "is_llm", False) else load.factor_for(
            lambda b: profile.batch_seconds(max(1, int(round(b * items_)))))
    load_notes = (load.note(k),) if load is not None else ()
    if getattr(profile, "is_llm", False):
        isl = int(round(req.prompt_tokens.mean)) if req.prompt_tokens else DEFAULT_PROMPT_TOKENS
        osl = int(round(req.output_tokens.mean)) if req.output_tokens else DEFAULT_OUTPUT_TOKENS
        cap = profile.max_concurrency(isl + osl)
        tok_note = default_tokens_note(scenario)
        if tok_note:
            load_notes = (*load_notes, tok_note)

        @lru_cache(maxsize=4096)  # pure in b; the capacity model asks for the same b often
        def llm(b: int) -> float:
            return profile.batch_seconds(b, isl, osl) * k

        return ServiceTime(llm, max(1, min(dep.batching.max_batch, cap)),
                           f"perf: {arch.id} {scenario.model.precision} on {hw.id} ({dep.engine})",
                           True, profile, cap, notes=tuple(profile.notes) + load_notes)
    items = req.items.mean if req.items else 1.0
    cap = profile.max_concurrency(0)

    @lru_cache(maxsize=4096)  # pure in b, as above
    def other(b: int) -> float:
        return profile.batch_seconds(max(1, int(round(b * items)))) * k

    return ServiceTime(other, max(1, min(dep.batching.max_batch, int(cap / items) if cap else dep.batching.max_batch)),
                       f"perf: {arch.id} {scenario.model.precision} on {hw.id} ({dep.engine})",
                       False, profile, cap, notes=tuple(profile.notes) + load_notes)
