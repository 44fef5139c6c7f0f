"""`infercost bench --load` rows applied by estimate and simulate, and busy shares of
batched spans (what the example service writes)."""

from __future__ import annotations

import json

import pytest

from infercost.ingest.otel import spans_to_rows
from infercost.perf.measurements import load_calibration
from tests.conftest import ROOT

SCENARIO = ROOT / "examples" / "service" / "scenario.yaml"
CAL = ROOT / "examples" / "service" / "calibration.jsonl"


def _without_load(tmp_path):
    rows = [json.loads(x) for x in CAL.read_text().splitlines() if x.strip()]
    out = tmp_path / "isolated.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in rows if r["kind"] not in ("load", "load_batch")))
    return out


def test_the_committed_calibration_has_a_load_row():
    lc = load_calibration(CAL)
    assert lc is not None and lc.slowdown > 0 and lc.max_batch == 8 and lc.rate_per_s == 4
    assert lc.batches and all(n >= 1 and s > 0 for n, s in lc.batches.values())
    assert "bench --load" in lc.note()


def test_factor_for_weights_by_batches_run():
    from infercost.perf.measurements import LoadCalibration

    # 3 batches of 1 at 30 ms and 1 batch of 2 at 50 ms under load; the model says 20 and 40 ms:
    # (3 x 30 + 1 x 50) / (3 x 20 + 1 x 40) = 140 / 100 = 1.4
    lc = LoadCalibration(1.2, 4.0, 8, 5.0, "f", batches={1: (3, 0.030), 2: (1, 0.050)})
    assert lc.factor_for({1: 0.020, 2: 0.040}.get) == pytest.approx(1.4)
    assert LoadCalibration(1.2, 4.0, 8, 5.0, "f").factor_for(lambda b: 1.0) == 1.2  # no sizes: the slowdown


def test_estimate_matches_batch_times_measured_under_load(cli, tmp_path):
    from infercost.api import load_scenario
    from infercost.core.catalog import load_catalog
    from infercost.perf.service import service_time

    lc = load_calibration(CAL)
    iso = _without_load(tmp_path)
    cat = load_catalog()
    sc_before = load_scenario(SCENARIO, deployment__engine=str(iso))
    before = service_time(sc_before, cat)
    after = service_time(load_scenario(SCENARIO), cat)
    # one factor k for every batch size, chosen so that the busy time of the batches the
    # load produced is what was measured: sum n_b x after(b) = sum n_b x loaded_b
    k = after.batch_seconds(1) / before.batch_seconds(1)
    for b in range(1, 9):
        assert after.batch_seconds(b) == pytest.approx(before.batch_seconds(b) * k, rel=1e-9)
    measured = sum(n * s for n, s in lc.batches.values())
    assert sum(n * after.batch_seconds(b) for b, (n, _) in lc.batches.items()) == pytest.approx(measured)
    code, out, err = cli("estimate", SCENARIO, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert any("bench --load" in n for n in doc["facts"]["notes"])
    assert doc["service_time"]["batch_1_ms"] == pytest.approx(after.batch_seconds(1) * 1000, rel=1e-5)


def test_simulate_applies_it_too(cli):
    code, out, err = cli("simulate", SCENARIO, "--json", "--set", "workload.duration_s=600")
    assert code == 0, err
    assert "bench --load" in json.dumps(json.loads(out))


def test_bad_load_factor_is_one_line(cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(CAL.read_text().replace('"factor": ', '"factor": -'))
    code, out, err = cli("estimate", SCENARIO, "--set", f"deployment.engine={bad}")
    assert code == 2
    assert err.count("\n") == 1 and "factor must be a positive number" in err and "line" in err


def _span(start_ns: int, end_ns: int, **attrs) -> dict:
    def v(x):
        return {"intValue": str(x)} if isinstance(x, int) else {"stringValue": str(x)}
    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [{
        "traceId": "ab", "spanId": "cd", "name": "embeddings", "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(end_ns),
        "attributes": [{"key": k.replace("__", "."), "value": v(x)} for k, x in attrs.items()]}]}]}]}


def test_a_batched_span_counts_its_share_of_the_batch():
    # a 100 ms batch of 4: each request was busy 100 / 4 = 25 ms
    rows, n = spans_to_rows(_span(0, 100_000_000, gen_ai__request__model="m", infercost__batch__size=4), "f")
    assert n == 1 and rows[0]["duration_ms"] == 25.0
    rows, _ = spans_to_rows(_span(0, 100_000_000, gen_ai__request__model="m"), "f")
    assert rows[0]["duration_ms"] == 100.0  # no batch size: the span's own duration
    rows, _ = spans_to_rows(_span(0, 1, gen_ai__request__model="m", infercost__batch__size=0),
                            "f")
    assert rows[0]["duration_ms"] is None  # a batch of 0: the busy share is unknown


def test_service_block_carries_the_spread_under_load(cli, tmp_path):
    from infercost.bench.load import _service_block

    # batches of 1 took 10, 20 and 40 ms under load: mean 23.3333 ms, log steps of ln 2 ->
    # sigma = stdev(ln .01, ln .02, ln .04) = ln 2 = 0.6931; isolated 10 ms at 1 and 40 ms at 4:
    # per item (40 - 10) / 3 = 10 ms x slowdown 1.5 = 15 ms
    blk = _service_block({1: [0.010, 0.020, 0.040]}, {1: 0.010, 4: 0.040}, 4, 1.5)
    assert blk == {"distribution": "lognormal", "mean_ms": 23.3333, "per_item_ms": 15.0, "sigma": 0.6931}
    assert _service_block({1: [0.01, 0.02]}, {1: 0.01, 4: 0.04}, 4, 1.5) is None  # too few to spread
    # the committed calibration's block is a valid `service:` block for the scenario
    block = next(json.loads(x) for x in CAL.read_text().splitlines() if '"kind": "load"' in x)["service"]
    f = tmp_path / "s.yaml"
    import yaml

    doc = yaml.safe_load(SCENARIO.read_text())
    doc["service"] = block
    f.write_text(yaml.safe_dump(doc))
    code, out, err = cli("estimate", f, "--json")
    assert code == 0, err
    assert json.loads(out)["service_time"]["batch_1_ms"] == pytest.approx(block["mean_ms"])


def test_the_note_says_why_the_factor_differs_from_the_slowdown():
    from infercost.perf.measurements import LoadCalibration

    lc = LoadCalibration(1.47, 4.0, 8, 5.0, "cal.jsonl")
    # 2.18 / 1.47 = 1.483: the model's batch times are below the isolated ones measured
    assert lc.note(2.18).endswith("under load a batch took 1.47x its isolated time, and the "
                                  "isolated times measured are 1.48x this model's batch times "
                                  "(busy-time weighted), hence x2.18")
    assert lc.note().endswith("; under load a batch took 1.47x its isolated time")
    assert "slower" not in lc.note(2.18)


def test_bench_load_summary_fits_80_columns_and_says_faster_or_slower():
    from infercost.cli.bench import load_summary

    ld = {"rate_per_s": 123.5, "requests": 123456, "mean_batch": 7.25, "factor": 0.98,
          "latency_p50_ms": 1234.5, "latency_p99_ms": 98765.4}
    lines = load_summary(ld)
    assert max(len(x) for x in lines) <= 80
    assert lines[1] == "  batches took 0.98x their isolated time (faster)"
    assert load_summary(ld | {"factor": 1.6})[1] == "  batches took 1.60x their isolated time (slower)"


def test_bench_load_bounds_name_the_allowed_range():
    from infercost.bench.load import check_bounds
    from infercost.errors import InputError

    ok = {"rate_per_s": 4.0, "seconds": 10.0, "max_batch": 8, "max_wait_ms": 5.0, "max_requests": 10}
    check_bounds(**ok)
    with pytest.raises(InputError, match=r"^--rate: out of range: expected > 0 requests/s, got 0.0$"):
        check_bounds(**ok | {"rate_per_s": 0.0})
    with pytest.raises(InputError, match=r"^--max-batch: out of range: expected 1 to 256"):
        check_bounds(**ok | {"max_batch": 0})
