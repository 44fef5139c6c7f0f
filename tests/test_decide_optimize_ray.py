"""optimize on Ray (local mode) gives the same winner, runners-up, Pareto set and finalists."""

from __future__ import annotations

import json

import pytest

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.decide.optimize import optimize

pytestmark = pytest.mark.ray

# perf-model service time, diurnal traffic: hardware, MIG slices, engines and autoscaling
# bounds are all searched; two hardware keep the grid to a few chunks
BERT = {
    "name": "bert-ray", "currency": "USD",
    "model": {"id": "bert-base", "precision": "fp16"},
    "workload": {"arrivals": {"process": "diurnal", "rate_per_s": 300, "peak_to_mean": 3},
                 "duration_s": 86400, "request": {}},
    "deployment": {"hardware": "t4", "pricing": {"provider": "aws", "plan": "on-demand"},
                   "batching": {"max_batch": 8, "max_wait_ms": 5}},
    "slo": {"p99_latency_ms": 60},
}


def _picked(res) -> str:
    d = res.to_dict()
    return json.dumps({k: d[k] for k in ("candidates_screened", "feasible", "winner", "runners_up",
                                         "pareto", "finalists")}, sort_keys=True)


def test_ray_matches_local():
    pytest.importorskip("ray", reason="ray is not installed (the ray extra)")
    sc = validate(BERT, "bert-ray")
    cat = load_catalog()
    opts = {"hardware": ["t4", "a100-80gb-sxm"], "finalists": 6, "sim_requests": 2000}
    local = optimize(sc, cat, backend="local", **opts)
    on_ray = optimize(sc, cat, backend="ray", **opts)
    assert local.candidates > 10_000 and len(local.finalists) == 6
    assert any(c.sim and c.sim.get("p99_ms") is not None for c in on_ray.finalists)
    assert any(c.autoscaled for c in local.finalists)  # bounds simulated on both backends
    assert _picked(on_ray) == _picked(local)
