"""Scenario files to simulator configs: mix (tiers, tenants), spot, cascade, perf model."""

from __future__ import annotations

from pathlib import Path

import pytest

from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.sim.run import config_from_scenario, simulate

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
name: mixed
currency: USD
workload:
  arrivals: {process: poisson, rate_per_s: 100}
  duration_s: 1800
  mix:
    - {name: chat, share: 3, tier: realtime, slo_ms: 150}
    - {name: nightly, share: 1, tier: batch, deadline_s: 600,
       service: {distribution: constant, mean_ms: 40}}
service: {distribution: exponential, mean_ms: 20}
deployment:
  hardware: l4
  pricing: {provider: aws, plan: on-demand, spot_fraction: 0.5}
  spot: {preemptions_per_hour: 1.0, warmup_s: 90}
  replicas: 6
  cascade:
    escalate_fraction: 0.1
    service: {distribution: lognormal, mean_ms: 200, sigma: 0.4}
    replicas: 4
    gpus_per_replica: 2
slo: {p99_latency_ms: 500}
"""


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_mix_spot_cascade_from_yaml(tmp_path, catalog):
    p = tmp_path / "s.yaml"
    p.write_text(BASE)
    sc = load_scenario(p)
    cfg = config_from_scenario(sc, catalog)
    assert [c.name for c in cfg.classes] == ["chat", "nightly", "chat/escalated", "nightly/escalated"]
    assert cfg.classes[1].tier == "batch" and cfg.classes[1].deadline_s == 600
    assert cfg.classes[0].escalate_to == 2 and cfg.classes[0].escalate_fraction == 0.1
    assert cfg.pools[0].spot_fraction == 0.5 and cfg.pools[0].preemptions_per_hour == 1.0
    assert [p.name for p in cfg.pools] == ["main", "cascade"]
    r = simulate(sc, catalog, seed=1)
    q = r.requests
    assert q["arrived"] == q["served"] + q["dropped"] + q["in_flight_end"]
    assert q["escalated"] > 0 and r.fleet["preemptions"] > 0
    assert set(r.replica_hours["by_plan"]) == {"on-demand", "spot"}
    # the cascade pool's 2-GPU replicas are priced as 2 main-replica equivalents
    usage = r.usage
    total_usage = sum(usage.busy_hours.values()) + sum(usage.idle_hours.values()) + sum(usage.warmup_hours.values())
    assert total_usage == pytest.approx(6 * 0.5 + 4 * 0.5 * 2, rel=1e-6)
    assert r.cost.cost_per_inference.amount > 0


def test_llm_from_perf_model(catalog):
    pytest.importorskip("infercost.perf")
    sc = load_scenario(ROOT / "examples" / "chatbot.yaml",
                       ["service=null", "deployment.replicas=4", "workload.duration_s=300"])
    r = simulate(sc, catalog, seed=2)
    assert r.ttft_ms is not None and r.tpot_ms is not None
    assert r.ttft_ms["p50"] < r.latency_ms["p50"]
    assert 1.0 < r.tpot_ms["p50"] < 100.0
    assert r.fleet["llm_iterations"] > 0
    q = r.requests
    assert q["arrived"] == q["served"] + q["dropped"] + q["in_flight_end"]


def test_help_stays_light():
    import subprocess
    import sys

    code = ("import sys, infercost.cli; "
            "heavy = [m for m in ('numba', 'numpy', 'infercost.sim.engine') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "numba" not in out.stdout and "infercost.sim.engine" not in out.stdout
