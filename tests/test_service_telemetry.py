"""The example service's tracing set-up (examples/service/telemetry.py) and the bad input
of `bench --load`: no torch needed."""

from __future__ import annotations

import logging
import socket

import pytest

pytest.importorskip("opentelemetry.sdk", reason="needs the otel extra")
pytest.importorskip("opentelemetry.exporter.otlp.proto.http", reason="needs the serve extra")

from tests.conftest import ROOT  # noqa: E402

SCENARIO = ROOT / "examples" / "service" / "scenario.yaml"


def test_an_unreachable_collector_is_a_warning_not_an_error(tmp_path, caplog, monkeypatch):
    from examples.service.telemetry import setup_tracing

    monkeypatch.chdir(ROOT)  # the scenario names its calibration relative to the repository
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    spans = tmp_path / "spans.jsonl"
    provider, pricer = setup_tracing(spans, scenario=SCENARIO, otlp_endpoint=f"http://127.0.0.1:{port}/v1/traces",
                                     timeout_s=0.5, schedule_delay_millis=50)
    tracer = provider.get_tracer("t")
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            sp = tracer.start_span("embeddings all-minilm-l6-v2", attributes={
                "gen_ai.operation.name": "embeddings", "gen_ai.request.model": "all-minilm-l6-v2",
                "infercost.batch.size": 1, "infercost.batch.index": 0, "infercost.tenant": "acme"})
            sp.end()
        provider.shutdown()  # flushes both processors; must not raise
    assert len(spans.read_text().splitlines()) >= 1  # the file got every span
    assert "gen_ai.usage.cost.amount" in spans.read_text()  # priced by the cost span processor
    assert any("failed" in r.getMessage() and str(port) in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("args", "needle"), [
    (["--model", "llama-tiny", "--load"], "--load serves the example service's model"),
    (["--model", "all-minilm-l6-v2", "--load", "--device", "cuda"], "drop --device"),
    (["--model", "all-minilm-l6-v2", "--load", "--lengths", "16,32"], "one sequence length"),
    (["--model", "all-minilm-l6-v2", "--load", "--rate", "0"], "--rate"),
    (["--model", "all-minilm-l6-v2", "--load", "--seconds", "4000"], "--seconds"),
])
def test_bench_load_bad_input_is_one_line(cli, tmp_path, args, needle):
    out = tmp_path / "cal.jsonl"
    code, stdout, err = cli("bench", *args, "--out", out)
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error:") and needle in err
    assert not out.exists()  # nothing half-written
