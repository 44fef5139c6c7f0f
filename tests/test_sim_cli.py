"""`infercost simulate`: the command-line contract, determinism, bad input, the spike example."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.cli import main
from infercost.sim.theory import mmc_mean_wait

ROOT = Path(__file__).resolve().parents[1]
SPIKE = ROOT / "examples" / "ranking-spike-l4.yaml"

MM3 = """\
name: mm3
currency: USD
workload:
  arrivals: {process: poisson, rate_per_s: 120}
  duration_s: 3600
service: {distribution: exponential, mean_ms: 20}
deployment:
  hardware: h100-sxm
  replicas: 3
  batching: {max_batch: 1}
slo: {p99_latency_ms: 200}
"""


def _run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def mm3(tmp_path: Path) -> Path:
    p = tmp_path / "mm3.yaml"
    p.write_text(MM3)
    return p


def test_json_contract_and_mm3(capsys, mm3):
    code, out, _ = _run(capsys, "simulate", str(mm3), "--json", "--seed", "3")
    assert code == 0
    d = json.loads(out)
    for key in ("requests", "latency_ms", "queue_wait_ms", "utilization", "replica_hours", "slo_attainment",
                "cost_per_inference"):
        assert key in d, key
    for key in ("latency_ms", "queue_wait_ms"):
        assert set(d[key]) >= {"mean", "p50", "p95", "p99"}
    # the scenario form is an M/M/3 queue
    assert d["queue_wait_ms"]["mean"] / 1e3 == pytest.approx(mmc_mean_wait(3, 120, 50), rel=0.05)
    assert d["utilization"] == pytest.approx(0.8, abs=0.01)
    assert d["replica_hours"]["total"] == pytest.approx(3.0)
    assert Decimal(d["cost_per_inference"]) > 0
    assert d["series"]["bucket_s"] == 60 and len(d["series"]["t_s"]) == 60


def test_same_seed_byte_identical(capsys, mm3):
    _, a, _ = _run(capsys, "simulate", str(mm3), "--json", "--seed", "11")
    _, b, _ = _run(capsys, "simulate", str(mm3), "--json", "--seed", "11")
    _, c, _ = _run(capsys, "simulate", str(mm3), "--json", "--seed", "12")
    assert a == b
    assert a != c


@pytest.mark.parametrize("sets,expect", [
    (["workload.arrivals.rate_per_s=0"], "rate_per_s"),
    (["workload.arrivals.rate_per_s=-3"], "rate_per_s"),
    (["workload.arrivals.process=spike", "workload.arrivals.start_s=3000", "workload.arrivals.end_s=4000"],
     "outside duration_s"),
    (["deployment.batching.max_batch=0"], "max_batch"),
    (["deployment.replicas={min: 1, max: 4}", "deployment.autoscaling={warmup_s: 4000}"], "warmup_s"),
    (["workload.arrivals.rate_per_s=200"], "unstable queue"),
])
def test_bad_input_exit_2_one_line(capsys, mm3, sets, expect):
    args = ["simulate", str(mm3), "--json"]
    for s in sets:
        args += ["--set", s]
    code, out, err = _run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and expect in err
    assert str(mm3) in err


@pytest.mark.parametrize("rows,expect", [
    # the header is row 1: the second data row is row 3
    ("2026-01-01T00:00:01Z\n2026-01-01T00:00:00Z\n", "row 3: timestamps are not sorted"),
    ("2026-01-01T00:00:01Z\nyesterday-ish\n", "row 3: unparsable timestamp"),
])
def test_bad_trace(capsys, mm3, tmp_path, rows, expect):
    log = tmp_path / "log.csv"
    log.write_text("timestamp\n" + rows)
    code, _, err = _run(capsys, "simulate", str(mm3), "--set", "workload.arrivals.process=trace",
                        "--set", f"workload.arrivals.path={log}")
    assert code == 2 and expect in err and err.count("\n") == 1


def test_trace_replay(capsys, mm3, tmp_path):
    log = tmp_path / "log.csv"
    stamps = [f"2026-01-01T00:{m:02d}:{s:02d}Z" for m in range(10) for s in range(0, 60, 2)]
    log.write_text("timestamp,request_id\n" + "\n".join(f"{t},{i}" for i, t in enumerate(stamps)) + "\n")
    code, out, _ = _run(capsys, "simulate", str(mm3), "--json", "--set", "workload.arrivals.process=trace",
                        "--set", f"workload.arrivals.path={log}", "--set", "workload.duration_s=900")
    assert code == 0
    d = json.loads(out)
    assert d["requests"]["arrived"] == 300 and d["requests"]["served"] == 300


def test_spike_example_tells_its_story(capsys):
    code, out, _ = _run(capsys, "simulate", str(SPIKE), "--json", "--no-series")
    assert code == 0
    d = json.loads(out)
    ph = d["phases"]
    before, during, after = ph["before"], ph["during"], ph["after"]
    # warm-up lag: the spike's p99 is far above the calm phases; the fleet grows and pays warm-up
    assert during["latency_p99_ms"] > 20 * before["latency_p99_ms"]
    assert during["replicas_mean"] > 3 * before["replicas_mean"]
    assert d["replica_hours"]["warmup"] > 0
    assert after["latency_p99_ms"] < 2 * before["latency_p99_ms"]  # recovered after the sale
    # cost per inference bends: cheaper while saturated, dearer after (idle replicas held)
    cpi = {k: Decimal(v["accelerator_cost_per_inference"]) for k, v in ph.items()}
    assert cpi["during"] < cpi["before"] < cpi["after"]
    assert d["requests"]["arrived"] == (d["requests"]["served"] + d["requests"]["dropped"]
                                        + d["requests"]["in_flight_end"])


def test_spike_example_also_estimates(capsys):
    from decimal import Decimal

    code, out, _ = _run(capsys, "estimate", str(SPIKE), "--json")
    assert code == 0
    d = json.loads(out)
    # the components add up to the total, and the total over the inferences is the unit cost
    total = Decimal(d["total"]["monthly_cost"])
    assert sum(Decimal(c["monthly_cost"]) for c in d["components"]) == total
    assert Decimal(d["total"]["per_inference"]) == pytest.approx(
        total / Decimal(d["inferences"]), rel=Decimal("1e-15"))
    # 150/s for 4 h with a 10x half hour: mean 150 x (3.5 + 5) / 4 = 318.75/s; x 730 h
    assert Decimal(d["inferences"]) == pytest.approx(Decimal("318.75") * 730 * 3600, rel=Decimal("1e-6"))
    assert d["service_time"]["source"] == "service: lognormal, mean 22 ms"
    assert d["facts"]["warmup_replica_hours"] > 0  # the spike starts replicas, each warms up


def test_trace_token_sizes_are_replayed(tmp_path):
    from infercost.core.scenario import load_scenario
    from infercost.sim.run import config_from_scenario, simulate_config

    log = tmp_path / "log.csv"
    rows = [f"2026-01-01T00:00:{s:02d}Z,{s},{100 + s},{7 if s % 2 else ''}" for s in range(60)]
    log.write_text("timestamp,request_id,input_tokens,output_tokens\n" + "\n".join(rows) + "\n")
    p = tmp_path / "s.yaml"
    p.write_text(MM3)
    sc = load_scenario(p, ["workload.arrivals.process=trace", f"workload.arrivals.path={log}",
                           "workload.request={prompt_tokens: 5, output_tokens: 3}"])
    cfg = config_from_scenario(sc)
    assert list(cfg.arrivals.trace_prompt_tokens[:3]) == [100, 101, 102]
    assert list(cfg.arrivals.trace_output_tokens[:3]) == [0, 7, 0]
    r = simulate_config(cfg)
    # served tokens: the log's where known, the scenario's sizes where not
    assert r._tokens == (sum(100 + s for s in range(60)), 30 * 7 + 30 * 3)
