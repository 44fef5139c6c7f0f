"""What limits a replica at the peak: host (CPU launch and scheduling), compute or memory.

The performance model times one step as host time H and device time D (compute and
memory per op group, plus communication); a step is **host-bound** when H >= D (the
accelerator waits for the CPU to issue work: a faster or cheaper accelerator, or a lower
precision, changes little; batching more work per launch does), otherwise **compute-bound**
when its pure compute time is at least its pure memory time, else **memory-bound**
(weights, embedding gathers or KV cache streamed at the memory bandwidth).

At the peak the step is the operating batch of `decide.latency` (the batch that fills, or
that keeps up with the peak rate), b requests: for non-LLMs one forward of b x items,
for LLMs one decode step of b sequences at the mean context (prompt + half the output).
Only for the performance model; a `service:` time has no parts (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infercost.core.scenario import Scenario
from infercost.perf.service import ServiceTime

#: The perf model's names -> the names used here (perf says overhead / bandwidth).
NAMES = {"overhead": "host", "bandwidth": "memory", "compute": "compute"}


@dataclass(frozen=True)
class Bound:
    """The limit of one step at the peak; times in ms."""

    limit: str  # host | compute | memory
    batch: float  # requests per batch at the peak
    work: str  # what one step is, e.g. "a forward of 200 items"
    step_ms: float
    host_ms: float
    device_ms: float
    compute_ms: float
    memory_ms: float
    comm_ms: float

    def sentence(self) -> str:
        """One line: what bounds the step and the numbers that show it."""
        parts = (f"host {self.host_ms:.3g} ms {'>=' if self.limit == 'host' else '<'} device "
                 f"{self.device_ms:.3g} ms (compute {self.compute_ms:.3g}, memory {self.memory_ms:.3g}"
                 + (f", communication {self.comm_ms:.3g}" if self.comm_ms else "") + " ms)")
        return f"{self.limit}-bound at the peak: {self.work}: {parts}"

    def to_dict(self) -> dict[str, Any]:
        return {"limit": self.limit, "batch": round(self.batch, 3), "work": self.work,
                "step_ms": round(self.step_ms, 4), "host_ms": round(self.host_ms, 4),
                "device_ms": round(self.device_ms, 4), "compute_ms": round(self.compute_ms, 4),
                "memory_ms": round(self.memory_ms, 4), "comm_ms": round(self.comm_ms, 4)}


def bound_at(scenario: Scenario, svc: ServiceTime, batch: float) -> Bound | None:
    """The Bound of one step of `batch` requests (fractional: rounded to whole requests,
    at least 1), or None when the service time is not the performance model's."""
    prof = svc.profile
    if prof is None:
        return None
    b = max(1, int(round(batch)))
    req = scenario.workload.request
    if svc.is_llm:
        isl = req.prompt_tokens.mean if req.prompt_tokens else 512
        osl = req.output_tokens.mean if req.output_tokens else 128
        ctx = isl + osl / 2.0
        step = prof.decode_step(b, ctx)
        work = f"a decode step of {b} sequence{'s' if b != 1 else ''} at {ctx:,.0f} tokens of context"
    else:
        items = req.items.mean if req.items else 1.0
        n = max(1, int(round(b * items)))
        step = prof.forward_step(n)
        work = (f"a forward of {n:,} item{'s' if n != 1 else ''} ({b} request{'s' if b != 1 else ''}"
                + (f" x {items:g} items" if items != 1 else "") + ")")
    ms = 1000.0
    return Bound(NAMES.get(step.bound, step.bound), float(batch), work, step.seconds * ms,
                 step.host * ms, step.device * ms, step.compute * ms, step.memory * ms, step.comm * ms)
