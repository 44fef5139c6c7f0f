"""Autoscaling decision (compiled; called every `evaluation_interval_s` per pool).

- utilization (Kubernetes HPA formula): desired = ceil(ready * u / target), u the busy
  fraction of ready replica time over the last interval (LLM pools, which are busy
  whenever one sequence runs: the occupancy of the `max_batch` concurrency slots);
- queue_length: desired = ceil(load / target), load = requests waiting plus in service
  in the pool (a per-replica concurrency target, as Knative's).

The result is clamped to [min, max]. The engine then starts new replicas (each pays
`warmup_s` of warm-up before it serves), or, once the desired count has stayed below the
current one for `scale_down_delay_s`, removes the surplus: warming ones first, then idle
ones, then busy ones after their current work (draining).
"""

from __future__ import annotations

import math

from numba import njit

AS_NONE, AS_UTIL, AS_QUEUE = 0, 1, 2
METRICS = {"utilization": AS_UTIL, "queue_length": AS_QUEUE}


@njit(cache=True)
def desired_replicas(mode: int, target: float, ready: int, util: float, load: int,
                     lo: int, hi: int) -> int:
    """Desired replica count for a pool (see module docstring)."""
    if mode == AS_UTIL:
        want = int(math.ceil(ready * util / target - 1e-9))
        if ready == 0 and load > 0:
            want = 1
    else:
        want = int(math.ceil(load / target - 1e-9))
    if want < lo:
        want = lo
    if want > hi:
        want = hi
    return want
