"""The service-time seam: how long a replica is busy serving a batch.

Two sources, one shape (`ServiceTime`):
- the scenario's `service:` block (a measured or assumed time): a batch of b requests
  takes `mean_ms + (b - 1) * per_item_ms` milliseconds (per_item_ms defaults to
  mean_ms: no batching gain unless the user says so);
- the performance model (`infercost.perf`), when the scenario names a model and
  hardware instead: LLMs serve a batch of b sequences as one prefill of b x prompt
  tokens plus `output_tokens` decode steps at batch b; others run b x items per
  forward pass. The memory fit caps the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from infercost.core.catalog import Catalog, ModelArch
from infercost.core.scenario import Scenario
from infercost.errors import InputError


@dataclass(frozen=True)
class ServiceTime:
    """Seconds a replica is busy for one batch, and the largest batch it can take."""

    batch_seconds: Callable[[int], float]  # batch size (requests) -> seconds
    max_batch: int  # requests per batch: min(batching.max_batch, memory cap)
    source: str  # human-readable origin
    is_llm: bool = False
    profile: object | None = None  # the perf profile, when the perf model was used
    memory_cap: int | None = None  # largest batch that fits in memory (perf model only)


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


def service_time(scenario: Scenario, catalog: Catalog) -> ServiceTime:
    """The ServiceTime for a scenario: from `service:` if given, else from the perf model."""
    batching = scenario.deployment.batching
    if scenario.service is not None:
        svc = scenario.service
        mean_s = svc.mean_ms / 1000.0
        extra_s = (svc.per_item_ms if svc.per_item_ms is not None else svc.mean_ms) / 1000.0

        def from_service(b: int) -> float:
            return mean_s + (b - 1) * extra_s

        return ServiceTime(
            batch_seconds=from_service,
            max_batch=batching.max_batch,
            source=f"service: {svc.distribution}, mean {svc.mean_ms:g} ms",
        )
    return _from_perf(scenario, catalog)


def _from_perf(scenario: Scenario, catalog: Catalog) -> ServiceTime:
    arch = resolve_model(scenario, catalog)
    dep = scenario.deployment
    hw = catalog.get_hardware(dep.hardware or "")
    try:
        from infercost.perf import build_profile
    except ImportError:  # pragma: no cover - perf always ships with the package
        raise InputError("the performance model is not available; give `service:`", "service") from None
    profile = build_profile(arch, scenario.model.precision, hw, gpus=dep.gpus_per_replica,
                            tp=dep.tp, engine=dep.engine)
    req = scenario.workload.request
    if getattr(profile, "is_llm", False):
        isl = int(round(req.prompt_tokens.mean)) if req.prompt_tokens else 512
        osl = int(round(req.output_tokens.mean)) if req.output_tokens else 128
        cap = profile.max_concurrency(isl + osl)

        @lru_cache(maxsize=4096)  # pure in b; the capacity model asks for the same b often
        def llm(b: int) -> float:
            return profile.batch_seconds(b, isl, osl)

        return ServiceTime(llm, max(1, min(dep.batching.max_batch, cap)),
                           f"perf: {arch.id} {scenario.model.precision} on {hw.id} ({dep.engine})",
                           True, profile, cap)
    items = req.items.mean if req.items else 1.0
    cap = profile.max_concurrency(0)

    @lru_cache(maxsize=4096)  # pure in b, as above
    def other(b: int) -> float:
        return profile.batch_seconds(max(1, int(round(b * items))))

    return ServiceTime(other, max(1, min(dep.batching.max_batch, int(cap / items) if cap else dep.batching.max_batch)),
                       f"perf: {arch.id} {scenario.model.precision} on {hw.id} ({dep.engine})",
                       False, profile, cap)
