"""optimize and the SLO: autoscaled bounds hold the SLO through ramps (the warm-up), and a
winner that misses the SLO in simulation says so in the table and the JSON."""

from __future__ import annotations

import json

import numpy as np

from infercost.decide.screen import REPLICAS, ramp_min
from tests.conftest import EXAMPLES


def _block(n_ok: int, mu: float):
    """One (configuration, max batch) block: p99 0.1 s from n_ok replicas up, 1 s below."""
    p99 = np.where(REPLICAS >= n_ok, 0.1, 1.0)
    return p99, np.full(len(REPLICAS), mu)


def test_ramp_min_step_needs_the_peak_fleet():
    # peak 100 req/s; the SLO (0.25 s) holds from 5 replicas: safe load 100 / 5 = 20 req/s
    # per replica. Before the step (10 req/s) the autoscaler wants ceil(10 / (0.5 x 40))
    # = 1 replica; the step to 100 needs 100 / 20 = 5 before a new replica can serve
    # (lag 2 slices), so min >= 5.
    p99, mu = _block(5, 40.0)
    rates = np.array([10.0] * 5 + [100.0] * 5)
    need = ramp_min(rates, 100.0, REPLICAS, p99, mu, 0.5, 0.25, 2)
    assert set(need.tolist()) == {5}
    # no warm-up (lag 0): the autoscaler keeps up, no constraint
    assert set(ramp_min(rates, 100.0, REPLICAS, p99, mu, 0.5, 0.25, 0).tolist()) == {0}


def test_ramp_min_slow_ramp_is_free():
    # the same fleet on a ramp of +1% a slice: safe load 20 req/s per replica, the
    # autoscaler sizes for 0.4 x 40 = 16 req/s per replica, so a replica's worth of lag
    # (rate x 1.01 over want's ceil(rate / 16) >= rate / 16) stays below 20: no constraint
    p99, mu = _block(5, 40.0)
    rates = 10.0 * 1.01 ** np.arange(232)  # 10 -> ~100 req/s
    lam = float(rates.max())
    need = ramp_min(rates, lam, REPLICAS, p99, mu, 0.4, 0.25, 1)
    assert set(need.tolist()) == {0}


def _optimize(cli, *args):
    code, out, err = cli("optimize", EXAMPLES / "ranking-spike-l4.yaml", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_spike_winner_meets_slo_in_simulation(cli):
    # a 10x step with a 3-minute warm-up: no autoscaled fleet whose min is below the peak's
    # SLO fleet (5 L4 replicas at 1,500 req/s) survives the screen, and the winner's
    # simulated p99 meets the 250 ms SLO
    d = _optimize(cli)
    w = d["winner"]
    assert d["slo_met"] is True and w["slo_met"] is True
    assert w["simulated"]["p99_ms"] <= 250
    for c in d["finalists"] + d["runners_up"]:
        if c["autoscaling"]:
            assert c["autoscaling"]["min"] >= 5, c["label"]


def test_winner_missing_slo_is_plain(cli, monkeypatch):
    # one finalist (the screen's cheapest, 5x L4 at b256) simulates above 250 ms
    d = _optimize(cli, "--finalists", "1")
    assert d["slo_met"] is False and d["winner"]["slo_met"] is False
    assert d["winner"]["simulated"]["slo_met"] is False
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli("optimize", EXAMPLES / "ranking-spike-l4.yaml", "--finalists", "1")
    assert code == 0, err
    assert "NO plan meets the SLO in simulation" in out.splitlines()[0]
    fin = out[out.index("\nfinalists simulated") + 1:].splitlines()
    assert fin[1].split()[-1] == "met" and fin[2].split()[-1] == "NO"
