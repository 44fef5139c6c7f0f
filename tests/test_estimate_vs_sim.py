"""The analytic estimate held against the simulator (the reference for queues and batching)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.capacity.estimate import estimate
from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.sim.run import simulate
from tests.conftest import EXAMPLES

CAT = load_catalog()


@pytest.mark.parametrize("replicas,rate", [(3, 150), (3, 400), (5, 400), (8, 400)])
def test_batching_utilisation_matches_simulation(replicas, rate):
    sets = ["workload.arrivals.process=poisson", f"workload.arrivals.rate_per_s={rate}",
            f"deployment.replicas={replicas}", "deployment.autoscaling=null", "workload.duration_s=1800"]
    sc = load_scenario(EXAMPLES / "ranking-spike-l4.yaml", sets)
    est = estimate(sc, CAT).usage.utilization
    sim = simulate(sc, CAT, seed=3).to_dict()["utilization"]
    assert est == pytest.approx(sim, rel=0.15), (est, sim)


def test_spike_cost_per_inference_matches_simulation():
    sc = load_scenario(EXAMPLES / "ranking-spike-l4.yaml")
    est = estimate(sc, CAT).breakdown.cost_per_inference.amount
    sim = simulate(sc, CAT, seed=0).to_dict()["cost_per_inference"].amount
    assert est == pytest.approx(sim, rel=Decimal("0.15")), (est, sim)
