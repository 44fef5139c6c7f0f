"""CapacityUsage: what a fleet consumed over a period, the input to the cost model.

Both the analytic estimate (`econ.capacity`) and the simulator (`sim`) produce one, and
`econ.cost.itemise` turns it into an itemised `CostBreakdown`. Replica-hours are split
by pricing plan and by state (DESIGN.md, "the cost model in one screen"):

- busy: replica time spent serving (a replica serving a batch is busy for the batch's
  service time, whatever the batch size; an LLM replica, whose running batch takes new
  sequences up to max_batch, for the share of its full-batch capacity the load uses:
  `capacity.model.utilization`);
- idle: provisioned and warm, not serving;
- warm-up: provisioned, not yet able to serve (cold start), paid for.

When replicas are shared, `others_busy_hours` is the replica time other tenants' work
kept busy; it is not ours, and idle time is split by the scenario's idle rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

HOURS_PER_MONTH = 730.0  # 8,760 h / 12, the convention of cloud price sheets


@dataclass(frozen=True)
class CapacityUsage:
    """Replica-hours and work over `period_hours` (hours)."""

    period_hours: float
    inferences: float  # user requests served in the period (shadow copies excluded)
    busy_hours: dict[str, float]  # replica-hours busy with our work (user + shadow), by plan
    idle_hours: dict[str, float]  # replica-hours provisioned, warm and idle, by plan
    warmup_hours: dict[str, float] = field(default_factory=dict)  # replica-hours warming up
    others_busy_hours: dict[str, float] = field(default_factory=dict)  # co-tenants' busy time
    input_tokens: float = 0.0  # in the period, user requests
    output_tokens: float = 0.0
    dropped: float = 0.0  # requests not served (overload, preemption past retries)
    shadow_inferences: float = 0.0  # extra shadow / experiment requests served
    source: str = ""  # "estimate" or "simulate"
    notes: tuple[str, ...] = ()
    #: exact GPU-hours by plan and state ("busy", "idle", "warmup"), when the producer counts
    #: them itself (the simulator: each pool with its own GPUs per replica); else the cost
    #: model takes replica-hours x deployment.gpus_per_replica
    gpu_hours: dict[str, dict[str, Decimal]] | None = None

    def total(self, which: dict[str, float]) -> float:
        return float(sum(which.values()))

    @property
    def provisioned_hours(self) -> float:
        return (self.total(self.busy_hours) + self.total(self.idle_hours)
                + self.total(self.warmup_hours) + self.total(self.others_busy_hours))

    @property
    def utilization(self) -> float:
        """busy / (busy + idle), our work and the co-tenants' together (warm-up excluded)."""
        busy = self.total(self.busy_hours) + self.total(self.others_busy_hours)
        denom = busy + self.total(self.idle_hours)
        return busy / denom if denom > 0 else 0.0
