"""Resources: the expected request count up front, a limit without --force, a progress
callback that does not change results, and trace requests past duration_s in a note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infercost.cli import main
from infercost.sim.entities import ArrivalSpec, PoolConfig, RequestClass, ServiceDist, SimConfig
from infercost.sim.run import (
    MAX_REQUESTS,
    TooManyRequestsError,
    check_size,
    expected_requests,
    simulate_config,
)

MM1 = """\
name: mm1
currency: USD
workload:
  arrivals: {process: poisson, rate_per_s: 40}
  duration_s: 1e12
service: {distribution: exponential, mean_ms: 20}
deployment:
  hardware: h100-sxm
  replicas: 1
  batching: {max_batch: 1}
"""


def _run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def _cfg(rate: float = 40.0, duration_s: float = 100.0) -> SimConfig:
    return SimConfig(duration_s=duration_s, arrivals=ArrivalSpec("poisson", rate_per_s=rate),
                     classes=[RequestClass(service=ServiceDist("exponential", mean_s=0.020))],
                     pools=[PoolConfig(replicas=1)])


def test_expected_requests_and_limit():
    assert expected_requests(_cfg()) == pytest.approx(4000.0)  # 40 /s x 100 s
    # a spike of 10x over [10, 20) s on 40 /s for 100 s: 40 x 90 + 400 x 10 = 7,600
    spike = SimConfig(duration_s=100.0, arrivals=ArrivalSpec("spike", rate_per_s=40.0, multiplier=10.0,
                                                            start_s=10.0, end_s=20.0),
                      classes=_cfg().classes, pools=[PoolConfig(replicas=10)])
    assert expected_requests(spike) == pytest.approx(7600.0, rel=1e-3)
    assert check_size(_cfg(), max_requests=4001) == pytest.approx(4000.0)
    with pytest.raises(TooManyRequestsError, match="about 4e\\+03 requests"):
        check_size(_cfg(), max_requests=3999)
    assert MAX_REQUESTS == 2e9
    with pytest.raises(TooManyRequestsError):
        simulate_config(_cfg(duration_s=1e12))  # 4e13 expected: refused before any work


def test_cli_refuses_a_huge_run_in_one_line(capsys, tmp_path):
    p = tmp_path / "mm1.yaml"
    p.write_text(MM1)
    code, out, err = _run(capsys, "simulate", str(p), "--json")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert "workload.duration_s" in err and "4e+13 requests" in err and "--force" in err


def test_progress_callback_does_not_change_results():
    calls: list[tuple[int, float]] = []
    a = simulate_config(_cfg(duration_s=2000.0), seed=3)
    b = simulate_config(_cfg(duration_s=2000.0), seed=3, progress=lambda n, e: calls.append((n, e)))
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())
    assert calls[0] == (0, pytest.approx(80_000.0))  # said up front: 40 /s x 2,000 s
    assert calls[-1][0] == b.requests["arrived"]


def test_trace_requests_after_duration_are_noted(capsys, tmp_path):
    log = tmp_path / "log.csv"
    # 10 requests at 0, 10, ..., 90 s; duration 45 s keeps 5 (0..40 s), leaves 5 out
    log.write_text("timestamp\n" + "\n".join(f"2026-01-01T00:01:{s:02d}Z" if s < 60 else
                                              f"2026-01-01T00:02:{s - 60:02d}Z"
                                              for s in range(0, 100, 10)) + "\n")
    scen = Path(tmp_path / "t.yaml")
    scen.write_text(MM1.replace("duration_s: 1e12", "duration_s: 45").replace(
        "{process: poisson, rate_per_s: 40}", f"{{process: trace, path: {log}}}"))
    code, out, err = _run(capsys, "simulate", str(scen), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["requests"]["arrived"] == 5
    assert d["requests"]["trace_after_duration"] == 5
    assert d["notes"] == ["5 trace requests fall after duration_s (45 s) and are not simulated"]
    code, out, _ = _run(capsys, "simulate", str(scen))
    assert "note: 5 trace requests fall after duration_s" in out
