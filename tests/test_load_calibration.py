"""`infercost bench --load` rows applied by estimate and simulate, and busy shares of
batched spans (what the example service writes)."""

from __future__ import annotations

import json
from decimal import Decimal

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
    assert lc is not None and lc.factor > 0 and lc.max_batch == 8 and lc.rate_per_s == 4
    assert "bench --load" in lc.note()


def test_estimate_multiplies_batch_times_by_the_load_factor(cli, tmp_path):
    factor = load_calibration(CAL).factor
    code, out, err = cli("estimate", SCENARIO, "--json", "--set", f"deployment.engine={_without_load(tmp_path)}")
    assert code == 0, err
    before = json.loads(out)
    code, out, err = cli("estimate", SCENARIO, "--json")
    assert code == 0, err
    after = json.loads(out)
    # same fit, every batch time x factor: batch of 1 and of max_batch alike
    for k in ("batch_1_ms", "max_batch_ms"):
        assert after["service_time"][k] == pytest.approx(before["service_time"][k] * factor, rel=1e-5)
    assert any("bench --load" in n for n in after["facts"]["notes"])
    assert not any("bench --load" in n for n in before["facts"]["notes"])
    b0 = next(Decimal(c["quantity"]) for c in before["components"] if c["name"] == "accelerator_busy")
    b1 = next(Decimal(c["quantity"]) for c in after["components"] if c["name"] == "accelerator_busy")
    assert b1 > b0  # slower batches: more busy vCPU-hours for the same requests


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
    from infercost.errors import InputError

    with pytest.raises(InputError, match="whole number >= 1"):
        spans_to_rows(_span(0, 1, gen_ai__request__model="m", infercost__batch__size=0), "f")
