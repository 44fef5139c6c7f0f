"""Client timeout (`slo.timeout_ms`): a request still waiting after the timeout leaves,
counted as `abandoned`, apart from drops, out of the latency sketches and inferences."""

from __future__ import annotations

import math

import pytest

from infercost.sim.entities import ArrivalSpec, PoolConfig, RequestClass, ServiceDist, SimConfig
from infercost.sim.run import simulate_config


def mm1_deterministic_patience(lam: float, mu: float, tau: float) -> float:
    """P(abandon) in M/M/1+D (FCFS, every customer leaves when its wait reaches tau).

    Abandoning customers bring no work, so the workload V at an arrival has an atom P0 at
    0 and density lam P0 e^-(mu-lam)x on (0, tau], lam P0 e^-(mu-lam)tau e^-mu(x-tau) past
    tau; P0 normalises it and P(abandon) = P(V > tau) = rho P0 e^-(mu-lam)tau
    (Baccelli, Boyer, Hebuterne 1984). Check: served rate lam (1 - P) = mu (1 - P0).
    """
    rho = lam / mu
    e = math.exp(-(mu - lam) * tau)
    p0 = 1.0 / (1.0 + lam * (1.0 - e) / (mu - lam) + rho * e)
    return rho * p0 * e


def test_theory_formula_balances_flow():
    lam, mu, tau = 45.0, 50.0, 0.05
    p = mm1_deterministic_patience(lam, mu, tau)
    # e = exp(-5 * 0.05) = 0.77880; 1/P0 = 1 + 45 * 0.22120 / 5 + 0.9 * 0.77880 = 3.69168
    # P0 = 0.27088; P = 0.9 * 0.27088 * 0.77880 = 0.18987
    assert p == pytest.approx(0.18987, abs=5e-5)
    e = math.exp(-(mu - lam) * tau)
    p0 = p / (lam / mu * e)
    assert lam * (1 - p) == pytest.approx(mu * (1 - p0), rel=1e-12)


@pytest.mark.parametrize("lam,tau", [(45.0, 0.05), (60.0, 0.02)])  # rho 0.9, and rho 1.2 (overloaded)
def test_mm1_abandonment_matches_theory(lam, tau):
    mu = 50.0  # service exponential, mean 20 ms
    n = 1_000_000
    cfg = SimConfig(duration_s=n / lam, arrivals=ArrivalSpec("poisson", rate_per_s=lam),
                    classes=[RequestClass(service=ServiceDist("exponential", mean_s=1 / mu), timeout_s=tau)],
                    pools=[PoolConfig(replicas=1, max_queue=1_000_000)])
    r = simulate_config(cfg, seed=5)
    req = r.requests
    theory = mm1_deterministic_patience(lam, mu, tau)  # 0.18987; rho 1.2: 0.29318
    got = req["abandoned"] / req["arrived"]
    assert abs(got - theory) / theory < 0.02, (got, theory)
    assert req["arrived"] == req["served"] + req["dropped"] + req["abandoned"] + req["in_flight_end"]
    assert req["dropped"] == 0
    # nobody who started service waited past the timeout; Little's law counts the abandoned
    assert r.queue_wait_ms["max"] <= tau * 1e3 + 1e-9
    assert r.littles_law["relative_gap"] < 0.01


def test_hand_built_timeline():
    """1 replica, constant arrivals every 10 ms from t = 10 ms, service 25 ms, timeout 28 ms,
    until 112.5 ms (arrivals at 10, 20, ..., 110 ms: 11).

    A1  10: served 10 -> 35 (latency 25)      A2 20: waits 15, served 35 -> 60 (latency 40)
    A3  30: still waiting at 58: abandoned    A4 40: waits 20, served 60 -> 85 (latency 45)
    A5  50: abandoned at 78                   A6 60: waits 25, served 85 -> 110 (latency 50)
    A7  70: abandoned at 98                   A8 80: abandoned at 108
    A9  90: waits 20, in service at the end   A10 100, A11 110: waiting at the end
    """
    cfg = SimConfig(duration_s=0.1125, arrivals=ArrivalSpec("constant", rate_per_s=100.0),
                    classes=[RequestClass(service=ServiceDist("constant", mean_s=0.025), timeout_s=0.028)],
                    pools=[PoolConfig(replicas=1)])
    r = simulate_config(cfg, seed=0)
    req = r.requests
    assert (req["arrived"], req["served"], req["abandoned"], req["in_flight_end"], req["dropped"]) \
        == (11, 4, 4, 3, 0)
    assert r.latency_ms["mean"] == pytest.approx(40.0, abs=1e-6)  # (25 + 40 + 45 + 50) / 4
    assert r.latency_ms["max"] == pytest.approx(50.0, abs=1e-6)
    # waits of the 5 that started: 0, 15, 20, 25, 20 -> mean 16 ms
    assert r.queue_wait_ms["mean"] == pytest.approx(16.0, abs=1e-6)
    assert r.queue_wait_ms["max"] == pytest.approx(25.0, abs=1e-6)
    assert sum(r.series["abandoned"]) == 4


def test_no_timeout_no_abandonment():
    cfg = SimConfig(duration_s=0.1125, arrivals=ArrivalSpec("constant", rate_per_s=100.0),
                    classes=[RequestClass(service=ServiceDist("constant", mean_s=0.025))],
                    pools=[PoolConfig(replicas=1)])
    r = simulate_config(cfg, seed=0, check_stable=False)
    # without a timeout A1..A4 are served: 10->35, 35->60, 60->85, 85->110 (latencies 25, 40,
    # 55, 70 ms); A5 is in service and A6..A11 wait at the end: 7 in flight
    assert (r.requests["served"], r.requests["abandoned"], r.requests["in_flight_end"]) == (4, 0, 7)
    assert r.latency_ms["max"] == pytest.approx(70.0, abs=1e-6)
    assert r.latency_ms["mean"] == pytest.approx(47.5, abs=1e-6)  # (25 + 40 + 55 + 70) / 4


def test_scenario_timeout_runs_an_overloaded_queue(tmp_path):
    """`slo.timeout_ms` from a scenario: 60 requests/s on one 20 ms server (rho 1.2) would be
    refused as unstable; with a 20 ms client timeout the queue is bounded and it runs.
    Theory (M/M/1+D, above): P(abandon) = 0.29318."""
    from infercost.core.scenario import load_scenario
    from infercost.sim.run import simulate

    p = tmp_path / "over.yaml"
    p.write_text("""\
name: over
currency: USD
workload:
  arrivals: {process: poisson, rate_per_s: 60}
  duration_s: 3600
service: {distribution: exponential, mean_ms: 20}
deployment: {hardware: h100-sxm, replicas: 1, batching: {max_batch: 1}}
slo: {p99_latency_ms: 100, timeout_ms: 20}
""")
    r = simulate(load_scenario(p), seed=2)
    req = r.requests
    assert req["abandoned"] / req["arrived"] == pytest.approx(mm1_deterministic_patience(60.0, 50.0, 0.02), rel=0.03)
    assert r.queue_wait_ms["max"] <= 20.0 + 1e-9
    d = r.to_dict()
    assert d["requests"]["abandoned"] == req["abandoned"] and sum(d["series"]["abandoned"]) == req["abandoned"]
    # abandoned requests are SLO misses and not inferences
    assert r.slo["counted"] == req["served"] + req["abandoned"]
    assert r.usage.inferences == req["served"]


def test_bad_timeout_is_one_line_exit_2(capsys, tmp_path):
    from infercost.cli import main

    p = tmp_path / "s.yaml"
    p.write_text("""\
name: s
currency: USD
workload: {arrivals: {process: poisson, rate_per_s: 10}, duration_s: 60}
service: {distribution: exponential, mean_ms: 20}
deployment: {hardware: h100-sxm, replicas: 1, batching: {max_batch: 1}}
""")
    with pytest.raises(SystemExit) as e:
        main(["simulate", str(p), "--set", "slo.timeout_ms=-5"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "slo.timeout_ms" in err
