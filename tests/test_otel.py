"""OpenTelemetry cost tracking: processor, pricing exporter, file exporter, metrics,
Prometheus scrape, and what happens with bad spans or an unreachable collector."""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.request
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult  # noqa: E402

from infercost import api  # noqa: E402
from infercost.econ.spanprice import PerInference, PriceTable, per_second  # noqa: E402
from infercost.integrations.otel import (  # noqa: E402
    CostSpanProcessor,
    OtlpJsonFileExporter,
    instrument,
    serve_prometheus,
)
from tests.attribution_helpers import focus_row  # noqa: E402
from tests.conftest import EXAMPLES  # noqa: E402

D = Decimal
T0 = 1_790_812_800_000_000_000  # 2026-10-01T00:00:00Z in ns
SECOND = 1_000_000_000


class Memory(SpanExporter):
    def __init__(self):
        self.spans = []

    def export(self, spans):
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self):
        pass


def small_table() -> PriceTable:
    # 7.20 USD/GPU-h / 3600 = 0.002 USD per replica-second; 0.00025 USD per inference else
    return PriceTable("svc", "USD", "llama-3.1-8b", per_second(D("7.20"), 1), 4, D("0.0001"),
                      (PerInference("human_review", D("0.00015")),), (), "2026-11-28")


def setup(exporter=None, table=None, **kw):
    reader = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader])
    tp = TracerProvider(resource=Resource.create({"host.id": "i-1", "service.version": "2.1"}))
    pricer = instrument(tp, table or small_table(), exporter=exporter or Memory(),
                        meter_provider=mp, **kw)
    return tp, pricer, reader


def batch(tp, n=4, start=T0, wall=SECOND, tenant="acme", **extra):
    """n requests that rode one batch for `wall` ns."""
    tr = tp.get_tracer("svc")
    for i in range(n):
        s = tr.start_span("chat llama", start_time=start, attributes={
            "gen_ai.request.model": "llama-3.1-8b", "gen_ai.usage.input_tokens": 100 + i,
            "gen_ai.usage.output_tokens": 10, "tenant.id": tenant,
            "infercost.batch.size": n, "infercost.batch.index": i, **extra})
        s.end(end_time=start + wall)


def test_concurrent_spans_share_the_replica_second():
    mem = Memory()
    tp, pricer, _ = setup(mem)
    batch(tp, 4)
    tp.get_tracer("svc").start_span("GET /health").end()  # not an inference: passed through
    assert pricer.force_flush()
    priced = [s for s in mem.spans if "gen_ai.usage.cost.amount" in s.attributes]
    assert len(priced) == 4 and len(mem.spans) == 5
    busy = [D(s.attributes["infercost.cost.busy"]) for s in priced]
    # 1 s / 4 = 0.25 replica-s x 0.002 USD/s = 0.0005 each; the four: 1 s x 0.002 exactly
    assert busy == [D("0.0005")] * 4 and sum(busy) == D("0.002")
    a = priced[0].attributes
    # 0.0005 busy + 0.0001 idle + 0.00015 review = 0.00075
    assert a["infercost.cost.amount_decimal"] == "0.00075"
    assert a["gen_ai.usage.cost.amount"] == 0.00075
    assert a["gen_ai.usage.cost.currency"] == "USD" and a["gen_ai.usage.cost.source"] == "local"
    assert a["infercost.cost.idle"] == "0.0001" and a["infercost.cost.human_review"] == "0.00015"
    assert a["infercost.cost.busy_share_s"] == "0.25" and a["infercost.cost.divisor"] == 4
    assert a["infercost.price_table.version"] == small_table().version
    assert a["infercost.tenant"] == "acme" and a["infercost.model_version"] == "2.1"
    assert pricer.stats.priced == 4 and pricer.stats.skipped == 1 and not pricer.stats.unpriced
    assert pricer.stats.total == D("0.003")  # 4 x 0.00075


def test_on_start_tags_the_live_span():
    tp, pricer, _ = setup()
    s = tp.get_tracer("svc").start_span("chat", attributes={"gen_ai.request.model": "m",
                                                           "app.customer": "globex"})
    assert s.attributes["infercost.price_table.version"] == pricer.table.version
    assert "infercost.tenant" not in s.attributes  # no tenant attribute named
    s.end()
    tp2, _, _ = setup(tenant_attribute="app.customer")
    s2 = tp2.get_tracer("svc").start_span("chat", attributes={"gen_ai.request.model": "m",
                                                             "app.customer": "globex"})
    assert s2.attributes["infercost.tenant"] == "globex"
    s2.end()


def test_spans_that_cannot_be_priced_are_counted_not_guessed(caplog):
    mem = Memory()
    tp, pricer, _ = setup(mem)
    tr = tp.get_tracer("svc")
    with caplog.at_level(logging.WARNING, logger="infercost.otel"):
        for _ in range(2):
            tr.start_span("no model", attributes={"gen_ai.operation.name": "chat"}).end()
        tr.start_span("bad batch", attributes={"gen_ai.request.model": "m",
                                               "infercost.batch.size": "four"}).end()
        tr.start_span("bad index", attributes={"gen_ai.request.model": "m",
                                               "infercost.batch.size": 2,
                                               "infercost.batch.index": 5}).end()
        pricer.force_flush()
    assert pricer.stats.priced == 0
    assert pricer.stats.unpriced == {"missing model": 2, "bad infercost.batch.size": 1,
                                     "bad infercost.batch.index": 1}
    # reported once per reason, in the service's log
    warned = [r.getMessage() for r in caplog.records if "left unpriced" in r.getMessage()]
    assert len(warned) == 3 and any("(missing model)" in w for w in warned)
    reasons = sorted(s.attributes["infercost.cost.unpriced_reason"] for s in mem.spans)
    assert reasons == ["bad infercost.batch.index", "bad infercost.batch.size", "missing model",
                       "missing model"]
    assert not any("gen_ai.usage.cost.amount" in s.attributes or "gen_ai.usage.cost.source"
               in s.attributes for s in mem.spans)


def test_metrics_by_model_version_tenant(tmp_path):
    tp, pricer, reader = setup()
    batch(tp, 4, tenant="acme")
    batch(tp, 2, tenant="globex")  # 0.5 replica-s x 0.002 = 0.001 + 0.00025 = 0.00125 each
    pricer.force_flush()
    data = reader.get_metrics_data()
    found = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics
             for m in sm.metrics}
    assert set(found) == {"infercost.cost", "infercost.cost.per_request"}
    assert found["infercost.cost"].unit == "USD"
    counter = {p.attributes["tenant"]: p for p in found["infercost.cost"].data.data_points}
    assert counter["acme"].value == pytest.approx(0.003)  # 4 x 0.00075
    assert counter["globex"].value == pytest.approx(0.0025)  # 2 x 0.00125
    assert dict(counter["acme"].attributes) == {"model": "llama-3.1-8b", "version": "2.1",
                                                "tenant": "acme", "currency": "USD"}
    hist = {p.attributes["tenant"]: p for p in found["infercost.cost.per_request"].data.data_points}
    assert hist["acme"].count == 4 and hist["globex"].count == 2
    assert hist["globex"].sum == pytest.approx(0.0025)


def test_metric_labels_leave_out_an_absent_version_or_tenant():
    # no service.version on the resource, no tenant on the spans: the labels are model and
    # currency only (Prometheus reads a missing label as empty), not version="" / tenant=""
    reader = InMemoryMetricReader()
    tp = TracerProvider(resource=Resource.create({"host.id": "i-1"}))
    pricer = instrument(tp, small_table(), exporter=Memory(),
                        meter_provider=MeterProvider(metric_readers=[reader]))
    tr = tp.get_tracer("svc")
    s = tr.start_span("chat", start_time=T0, attributes={"gen_ai.request.model": "llama-3.1-8b",
                                                        "infercost.batch.size": 1})
    s.end(end_time=T0 + SECOND)  # 1 replica-s x 0.002 + 0.00025 = 0.00225
    batch(tp, 2, tenant="acme")  # 2 x (0.5 replica-s x 0.002 + 0.00025) = 0.0025
    pricer.force_flush()
    found = {m.name: m for rm in reader.get_metrics_data().resource_metrics
             for sm in rm.scope_metrics for m in sm.metrics}
    hist = sorted(((dict(p.attributes), p.count, p.sum)
                   for p in found["infercost.cost.per_request"].data.data_points),
                  key=lambda h: len(h[0]))
    assert [h[0] for h in hist] == [
        {"model": "llama-3.1-8b", "currency": "USD"},
        {"model": "llama-3.1-8b", "tenant": "acme", "currency": "USD"}]
    assert [h[1] for h in hist] == [1, 2]
    assert hist[0][2] == pytest.approx(0.00225) and hist[1][2] == pytest.approx(0.0025)
    counter = {tuple(sorted(p.attributes)): p.value
               for p in found["infercost.cost"].data.data_points}
    assert counter == {("currency", "model"): pytest.approx(0.00225),
                       ("currency", "model", "tenant"): pytest.approx(0.0025)}


def test_instrument_adds_one_processor_that_tags_at_start_and_prices_at_export():
    tp, pricer, _ = setup()
    procs = tp._active_span_processor._span_processors  # the SDK's list of processors
    assert len(procs) == 1 and procs[0] is pricer.span_processor
    s = tp.get_tracer("svc").start_span("chat", attributes={"gen_ai.request.model": "llama-3.1-8b"})
    # tagged at start, on the live span (before any export)
    assert s.attributes["infercost.price_table.version"] == pricer.table.version
    assert s.attributes["gen_ai.usage.cost.source"] == "local"
    s.end()
    assert pricer.force_flush() and pricer.stats.priced == 1


def test_prometheus_scrape_on_loopback():
    ep = serve_prometheus(port=0)
    try:
        mp = MeterProvider(metric_readers=[ep.reader])
        tp = TracerProvider(resource=Resource.create({"service.version": "2.1"}))
        pricer = instrument(tp, small_table(), exporter=Memory(), meter_provider=mp)
        batch(tp, 4)
        pricer.force_flush()
        assert ep.url.startswith("http://127.0.0.1:") and ep.port > 0
        text = urllib.request.urlopen(ep.url, timeout=5).read().decode()
    finally:
        ep.close()
    lines = [ln for ln in text.splitlines() if ln.startswith("infercost_cost")]
    total = [ln for ln in lines if ln.startswith("infercost_cost_USD_total{")]
    assert len(total) == 1 and 'tenant="acme"' in total[0] and 'model="llama-3.1-8b"' in total[0]
    assert float(total[0].rsplit(" ", 1)[1]) == pytest.approx(0.003)
    count = [ln for ln in lines if ln.startswith("infercost_cost_per_request_USD_count{")]
    assert len(count) == 1 and float(count[0].rsplit(" ", 1)[1]) == 4.0


def test_file_round_trips_into_attribute(tmp_path):
    spans = tmp_path / "spans.jsonl"
    tp, pricer, _ = setup(OtlpJsonFileExporter(spans))
    batch(tp, 3, start=T0 + SECOND, wall=250_000_000)
    tp.get_tracer("svc").start_span("GET /health", start_time=T0, attributes={}).end(T0 + 5)
    pricer.force_flush()
    docs = [json.loads(line) for line in spans.read_text().splitlines()]
    assert docs and all("resourceSpans" in d for d in docs)
    sp = docs[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert len(sp["traceId"]) == 32 and len(sp["spanId"]) == 16  # hex, as OTLP/JSON says
    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("10", "i-1")]).to_csv(bill, index=False)
    res = api.attribute(bill, usage=spans)
    u = res.to_dict()["unit_costs"]
    # 3 requests; tokens (100 + 10) + (101 + 10) + (102 + 10) = 333
    assert u["requests"] == 3 and u["tokens"] == 333
    assert res.to_dict()["rows"]["usage_allocated"] == 3


class _Receiver(BaseHTTPRequestHandler):
    bodies: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        n = int(self.headers.get("Content-Length", 0))
        type(self).bodies.append(self.rfile.read(n))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *a):
        pass


def test_standard_otlp_http_exporter_is_wrapped():
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    _Receiver.bodies = []
    srv = HTTPServer(("127.0.0.1", 0), _Receiver)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    try:
        exp = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{srv.server_port}/v1/traces", timeout=5)
        tp, pricer, _ = setup(exp)
        batch(tp, 4)
        assert pricer.force_flush()
    finally:
        srv.shutdown()
        srv.server_close()
    req = ExportTraceServiceRequest()
    req.ParseFromString(_Receiver.bodies[0])
    spans = req.resource_spans[0].scope_spans[0].spans
    attrs = {a.key: a.value for a in spans[0].attributes}
    assert len(spans) == 4
    assert attrs["gen_ai.usage.cost.amount"].double_value == 0.00075
    assert attrs["infercost.cost.amount_decimal"].string_value == "0.00075"


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_collector_warns_and_the_service_goes_on(caplog):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    exp = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{_closed_port()}/v1/traces", timeout=1)
    tp, pricer, _ = setup(exp)
    with caplog.at_level(logging.WARNING, logger="infercost.otel"):
        batch(tp, 2)  # the app's spans end normally
        pricer.force_flush()
    assert pricer.stats.priced == 2 and pricer.stats.export_failures == 1
    assert any("could not export 2 spans" in r.getMessage() for r in caplog.records
               if r.name == "infercost.otel")


def test_an_exporter_that_raises_never_reaches_the_app(caplog):
    class Broken(Memory):
        def export(self, spans):
            raise ConnectionError("collector gone")

    tp, pricer, _ = setup(Broken())
    with caplog.at_level(logging.WARNING, logger="infercost.otel"):
        batch(tp, 1)
        pricer.force_flush()
    assert pricer.stats.export_failures == 1
    assert any("collector gone" in r.getMessage() for r in caplog.records)


def test_instrument_from_a_scenario_file():
    mem = Memory()
    tp = TracerProvider()
    pricer = instrument(tp, EXAMPLES / "chatbot.yaml", exporter=mem,
                        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    assert pricer.table.replica_concurrency == 32
    s = tp.get_tracer("svc").start_span("chat", start_time=T0, attributes={
        "gen_ai.request.model": "llama-3.1-8b"})
    s.end(end_time=T0 + 32 * SECOND)  # no batch attribute: / 32 concurrent = 1 replica-s
    pricer.force_flush()
    a = mem.spans[0].attributes
    assert a["infercost.cost.busy_share_s"] == "1"
    assert D(a["infercost.cost.busy"]) == D("0.001911111111111111")
    # a hosted call in the same service is priced from tokens: 1000/1e6 x 2.5 + 100/1e6 x 10
    s = tp.get_tracer("svc").start_span("chat", attributes={
        "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 100})
    s.end()
    pricer.force_flush()
    a = mem.spans[1].attributes
    assert a["gen_ai.usage.cost.source"] == "provider" and a["infercost.cost.amount_decimal"] == "0.0035"


def test_tracking_page_example_runs(tmp_path, monkeypatch, capsys):
    import re

    from tests.conftest import ROOT

    text = (ROOT / "docs" / "tracking.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "docs_tracking"}
    for code in blocks:
        exec(compile(code, "docs/tracking.md", "exec"), ns)  # noqa: S102
    out = capsys.readouterr().out
    assert out.startswith("4 ")  # four priced
    res = api.reprice(tmp_path / "spans.jsonl", scenario=EXAMPLES / "chatbot.yaml")
    assert res.rows[0].tenant == "acme" and res.rows[0].spans == 4
    # the page's arithmetic: four busy shares of 0.5 replica-s add up to 2 s x the price
    spans = [json.loads(line) for line in (tmp_path / "spans.jsonl").read_text().splitlines()]
    busy = [D(a["value"]["stringValue"]) for d in spans for rs in d["resourceSpans"]
            for ss in rs["scopeSpans"] for s in ss["spans"] for a in s["attributes"]
            if a["key"] == "infercost.cost.busy"]
    assert busy == [D("0.0009555555555555555")] * 4 and sum(busy) == D("0.003822222222222222")


def test_prometheus_port_errors_name_the_port():
    from infercost.errors import InputError

    for bad in (-1, 65536, "9464", 1.5):
        with pytest.raises(InputError, match=r"serve_prometheus\(port\): expected a whole "
                                             r"number 0\.\.65535"):
            serve_prometheus(port=bad)
    ep = serve_prometheus(port=0)
    try:
        with pytest.raises(InputError, match=rf"port {ep.port} is in use"):
            serve_prometheus(port=ep.port)
    finally:
        ep.close()


def chatbot_pricer():
    mem = Memory()
    tp = TracerProvider()
    pricer = instrument(tp, EXAMPLES / "chatbot.yaml", exporter=mem,
                        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    return tp, pricer, mem


def test_hosted_providers_by_their_otel_names_are_never_priced_as_local():
    tp, pricer, mem = chatbot_pricer()
    tr = tp.get_tracer("svc")
    providers = [("gen_ai.provider.name", "azure.ai.openai"),
                 ("gen_ai.provider.name", "aws.bedrock"),
                 ("gen_ai.provider.name", "gcp.vertex_ai"), ("gen_ai.system", "az.ai.openai"),
                 ("gen_ai.provider.name", "OpenAI"), ("gen_ai.system", "openai")]
    for key, name in providers:
        tr.start_span("chat gpt-4o", attributes={
            key: name, "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1000,
            "gen_ai.usage.output_tokens": 1000}).end()
    pricer.force_flush()
    by = {s.attributes.get("gen_ai.provider.name") or s.attributes["gen_ai.system"]: s.attributes
          for s in mem.spans}
    # the catalog prices openai's gpt-4o at 2.50 / 10.00 USD per 1M tokens:
    # 1000 / 1e6 x 2.5 + 1000 / 1e6 x 10 = 0.0025 + 0.01 = 0.0125, whatever the case
    for name in ("OpenAI", "openai"):
        a = by[name]
        assert a["gen_ai.usage.cost.source"] == "provider"
        assert a["infercost.cost.amount_decimal"] == "0.0125"
        assert a["gen_ai.usage.cost.currency"] == "USD"  # reprice needs it
    # no catalog price for gpt-4o on Azure, Bedrock or Vertex: unpriced, not replica time
    for name in ("azure.ai.openai", "aws.bedrock", "gcp.vertex_ai", "az.ai.openai"):
        a = by[name]
        assert "gen_ai.usage.cost.amount" not in a and "gen_ai.usage.cost.source" not in a
    assert pricer.stats.priced == 2 and pricer.stats.total == D("0.025")
    assert pricer.stats.unpriced == {"no price for provider azure.ai.openai model gpt-4o": 2,
                                     "no price for provider aws.bedrock model gpt-4o": 1,
                                     "no price for provider gcp.vertex_ai model gpt-4o": 1}


def test_a_self_hosted_span_of_another_model_is_not_priced_with_the_scenario():
    tp, pricer, mem = chatbot_pricer()
    tr = tp.get_tracer("svc")
    for model in ("totally-different-model", "meta-llama/Llama-3.1-8B-Instruct"):
        s = tr.start_span("chat", start_time=T0, attributes={"gen_ai.request.model": model})
        s.end(end_time=T0 + 32 * SECOND)
    pricer.force_flush()
    a, b = (s.attributes for s in mem.spans)
    assert a["infercost.cost.unpriced_reason"] == (
        "model 'totally-different-model' is not the scenario's 'llama-3.1-8b'")
    assert "gen_ai.usage.cost.amount" not in a
    # the Hugging Face name of the scenario's model is its model: 32 s / 32 = 1 replica-s
    assert b["infercost.cost.busy_share_s"] == "1" and b["gen_ai.usage.cost.source"] == "local"
    assert pricer.stats.priced == 1


@pytest.mark.parametrize("limits", [
    {}, {"max_span_attributes": 7}, {"max_span_attributes": 6}, {"max_attribute_length": 5},
])
@pytest.mark.parametrize("preset", [False, True])
def test_on_start_tags_as_set_attributes_would(limits, preset):
    # on_start writes its two tags straight into the span's attributes when that is all
    # set_attributes would do; with limits or a tag already there, the SDK's own path
    from opentelemetry.sdk.trace import SpanLimits

    table = small_table()
    attrs = {"gen_ai.request.model": "llama-3.1-8b", "tenant.id": "acme", "a": 1, "b": 2,
             "infercost.batch.size": 2, "infercost.batch.index": 1}
    if preset:
        attrs["infercost.price_table.version"] = "older"
    ref_tp = TracerProvider(span_limits=SpanLimits(**limits))
    ref = ref_tp.get_tracer("svc").start_span("chat", attributes=attrs)
    ref.set_attributes({"infercost.price_table.version": table.version,
                        "gen_ai.usage.cost.source": "local"})
    tp_limited = TracerProvider(span_limits=SpanLimits(**limits))
    tp_limited.add_span_processor(CostSpanProcessor(table))
    s = tp_limited.get_tracer("svc").start_span("chat", attributes=attrs)
    assert list(s.attributes.items()) == list(ref.attributes.items())
    assert s.dropped_attributes == ref.dropped_attributes
    if limits.get("max_attribute_length") == 5:
        assert s.attributes["gen_ai.usage.cost.source"] == "local"  # 5 chars: kept whole
        assert s.attributes["infercost.price_table.version"] == table.version[:5]
    s.end()
    ref.end()


@settings(max_examples=40, deadline=None)
@given(walls=st.lists(st.integers(0, 10**12), min_size=1, max_size=6),
       n=st.integers(1, 16), indexed=st.booleans())
def test_property_exported_cost_is_price_span(walls, n, indexed):
    # every exported span carries exactly what api.price_span makes of it, and the
    # stats and counter totals are the exact sums of those
    mem = Memory()
    tp, pricer, reader = setup(mem)
    tr = tp.get_tracer("svc")
    want = []
    for k, wall in enumerate(walls):
        i = k % n if indexed else None
        a = {"gen_ai.request.model": "llama-3.1-8b", "tenant.id": "acme",
             "infercost.batch.size": n}
        if i is not None:
            a["infercost.batch.index"] = i
        tr.start_span("chat", start_time=T0, attributes=a).end(end_time=T0 + wall)
        want.append(api.price_span(pricer.table, busy_ns=wall, batch=n, index=i,
                                   model="llama-3.1-8b"))
    assert pricer.force_flush()
    for span, c in zip(mem.spans, want, strict=True):
        a = span.attributes
        assert D(a["infercost.cost.amount_decimal"]) == c.total
        assert a["gen_ai.usage.cost.amount"] == float(c.total)
        assert D(a["infercost.cost.busy"]) == c.part("busy")
        assert D(a["infercost.cost.busy_share_s"]) == c.busy_share_s
        assert a["infercost.cost.divisor"] == n
        # plain decimal text: no exponent, no trailing zeros
        for k in ("infercost.cost.amount_decimal", "infercost.cost.busy",
                  "infercost.cost.busy_share_s"):
            assert "E" not in a[k] and ("." not in a[k] or not a[k].endswith(("0", ".")))
    total = sum((c.total for c in want), D(0))
    assert pricer.stats.total == total and pricer.stats.priced == len(walls)
    points = [p for rm in reader.get_metrics_data().resource_metrics
              for sm in rm.scope_metrics for m in sm.metrics for p in m.data.data_points
              if m.name == "infercost.cost.per_request"]
    assert [p.count for p in points] == [len(walls)]
    assert points[0].sum == pytest.approx(float(total), rel=1e-12)
    tp.shutdown()


@given(digits=st.integers(-10**30, 10**30), exp=st.integers(-40, 10))
def test_property_decimal_text_is_plain_and_exact(digits, exp):
    from infercost.integrations.otel.pricing import _s

    d = D(digits).scaleb(exp)
    t = _s(d)
    assert D(t) == d and "E" not in t and "e" not in t
    assert "." not in t or not t.endswith(("0", "."))


def test_a_span_whose_pricing_fails_is_passed_on_and_counted(monkeypatch, caplog):
    mem = Memory()
    tp, pricer, _ = setup(mem)

    def broken(*a, **k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pricer, "_cost", broken)
    with caplog.at_level(logging.WARNING, logger="infercost.otel"):
        batch(tp, 2)
        assert pricer.force_flush()
    assert len(mem.spans) == 2 and pricer.stats.unpriced == {"error": 2}
    assert not any("gen_ai.usage.cost.amount" in s.attributes for s in mem.spans)
    assert pricer.stats.priced == 0 and pricer.stats.total == 0
    assert any("pricing a span failed: a bug" in r.getMessage() for r in caplog.records)


def _metric_points(reader):
    data = reader.get_metrics_data()
    return {m.name: list(m.data.data_points) for rm in data.resource_metrics
            for sm in rm.scope_metrics for m in sm.metrics}


def test_agent_and_tool_spans_are_skipped_not_priced_again():
    tp, pricer, mem = chatbot_pricer()
    tr = tp.get_tracer("agent-app")
    from opentelemetry import trace

    # an agent run (its span carries the two calls' token sum) around two chat calls and a
    # tool; the agent's operation name in any case is an agent's
    for op in ("invoke_agent", "Invoke_Agent"):
        agent = tr.start_span("invoke_agent support", attributes={
            "gen_ai.operation.name": op, "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 2000,
            "gen_ai.usage.output_tokens": 400})
        assert "infercost.price_table.version" not in agent.attributes  # not tagged at start
        ctx = trace.set_span_in_context(agent)
        for _ in range(2):
            tr.start_span("chat gpt-4o", context=ctx, attributes={
                "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 1000,
                "gen_ai.usage.output_tokens": 200}).end()
        tool = tr.start_span("execute_tool lookup", context=ctx, attributes={
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"})
        assert "infercost.price_table.version" not in tool.attributes
        tool.end()
        agent.end()
    pricer.force_flush()
    # each chat: 1000 / 1e6 x 2.50 + 200 / 1e6 x 10 = 0.0025 + 0.002 = 0.0045; four of them
    # 0.018 (the agent spans priced too would add 2 x (0.005 + 0.004) = 0.018 more)
    assert pricer.stats.priced == 4 and pricer.stats.total == D("0.018")
    assert pricer.stats.skipped == 4 and not pricer.stats.unpriced  # 2 agents + 2 tools
    for s in mem.spans:
        if s.name.startswith(("invoke_agent", "execute_tool")):
            assert s.attributes.get("infercost.cost.amount_decimal") is None
            assert "infercost.cost.unpriced_reason" not in s.attributes


def test_pricers_on_one_meter_provider_share_the_counter_and_histogram():
    reader = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader])
    tp_a, tp_b = TracerProvider(), TracerProvider()  # e.g. two services in one process
    pa = instrument(tp_a, small_table(), exporter=Memory(), meter_provider=mp)
    pb = instrument(tp_b, small_table(), exporter=Memory(), meter_provider=mp)
    batch(tp_a, 4, tenant="acme")  # 4 x 0.00075 = 0.003
    batch(tp_b, 2, tenant="acme")  # 2 x (0.5 s x 0.002 + 0.00025) = 2 x 0.00125 = 0.0025
    batch(tp_b, 1, tenant="globex")  # 1 s x 0.002 + 0.00025 = 0.00225
    pa.force_flush()
    pb.force_flush()
    found = _metric_points(reader)
    counter = {p.attributes["tenant"]: p.value for p in found["infercost.cost"]}
    # the second pricer's counter was dropped by the SDK before: acme read 0.003, no globex
    assert counter == {"acme": pytest.approx(0.0055), "globex": pytest.approx(0.00225)}
    hist = {p.attributes["tenant"]: p for p in found["infercost.cost.per_request"]}
    assert hist["acme"].count == 6 and hist["acme"].sum == pytest.approx(0.0055)
    assert hist["globex"].count == 1


def test_a_second_instrument_on_one_tracer_provider_is_refused():
    from infercost.errors import InputError

    tp, pricer, reader = setup()
    with pytest.raises(InputError, match=r"^instrument\(tracer_provider\): already "
                                         r"instrumented; .*pass a list"):
        instrument(tp, small_table(), exporter=Memory())
    assert len(tp._active_span_processor._span_processors) == 1
    batch(tp, 1)  # 1 s x 0.002 + 0.00025: priced once, recorded once
    pricer.force_flush()
    assert pricer.stats.total == D("0.00225")
    assert [p.count for p in _metric_points(reader)["infercost.cost.per_request"]] == [1]


@pytest.mark.parametrize("by_hand", ["processor", "exporter"])
def test_instrument_after_a_pricer_wired_by_hand_is_refused(by_hand):
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    from infercost.errors import InputError
    from infercost.integrations.otel import CostSpanExporter

    tp = TracerProvider()
    mp = MeterProvider(metric_readers=[InMemoryMetricReader()])
    if by_hand == "processor":
        tp.add_span_processor(CostSpanProcessor(small_table()))
    else:
        tp.add_span_processor(SimpleSpanProcessor(
            CostSpanExporter(Memory(), small_table(), meter_provider=mp)))
    # every span would be priced, and its cost counted, twice
    with pytest.raises(InputError, match="already instrumented"):
        instrument(tp, small_table(), exporter=Memory(), meter_provider=mp)


def test_every_exporter_of_a_list_gets_every_priced_span(caplog):
    class Broken(Memory):
        def export(self, spans):
            raise ConnectionError("collector gone")

    first, last = Memory(), Memory()
    tp, pricer, _ = setup([first, Broken(), last])
    with caplog.at_level(logging.WARNING, logger="infercost.otel"):
        batch(tp, 2)
        pricer.force_flush()
    # the failing one is logged and counted; the others still get both priced spans
    assert len(first.spans) == 2 and len(last.spans) == 2
    assert all(s.attributes["infercost.cost.amount_decimal"] == "0.00125" for s in last.spans)
    assert pricer.stats.export_failures == 1 and pricer.stats.priced == 2
    assert any("collector gone" in r.getMessage() for r in caplog.records)


def test_instrument_sets_the_batch_queue_so_a_burst_is_not_dropped():
    tp, pricer, _ = setup(max_queue_size=8192, max_export_batch_size=1024)
    inner = pricer.span_processor._batch_processor  # the SDK's (1.3x) batch processor
    assert inner._max_queue_size == 8192 and inner._max_export_batch_size == 1024
    tr = tp.get_tracer("svc")
    for _ in range(3000):  # more than the SDK's default queue of 2,048, before any export
        s = tr.start_span("chat", start_time=T0, attributes={
            "gen_ai.request.model": "llama-3.1-8b", "infercost.batch.size": 1})
        s.end(end_time=T0 + 1000)
    pricer.force_flush()
    assert pricer.stats.priced == 3000


@pytest.mark.parametrize("kw, where", [
    ({"tracer_provider": None}, "tracer_provider"),
    ({"exporter": "spans.jsonl"}, "exporter"),
    ({"exporter": [Memory(), "spans.jsonl"]}, "exporter"),
    ({"exporter": []}, "exporter"),
    ({"max_queue_size": 0}, "max_queue_size"),
    ({"max_export_batch_size": True}, "max_export_batch_size"),
    ({"max_queue_size": 100, "max_export_batch_size": 200}, "max_export_batch_size"),
])
def test_instrument_checks_its_arguments_first(kw, where):
    from infercost.errors import InputError

    args = {"tracer_provider": TracerProvider(), "scenario": small_table(), **kw}
    with pytest.raises(InputError, match=rf"^instrument\({where}\): expected "):
        instrument(**args)
    if args["tracer_provider"] is not None:  # nothing added
        assert not args["tracer_provider"]._active_span_processor._span_processors


@pytest.mark.parametrize("key", ["gen_ai.usage.cache_read.input_tokens",
                                 "gen_ai.usage.cache_read_input_tokens"])
def test_cached_input_tokens_are_priced_at_the_cached_price(key):
    tp, pricer, mem = chatbot_pricer()
    tp.get_tracer("svc").start_span("chat gpt-4o", attributes={
        "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000, key: 800, "gen_ai.usage.output_tokens": 0}).end()
    pricer.force_flush()
    a = mem.spans[0].attributes
    # catalog gpt-4o: 2.50 input, 1.25 cached input per 1M: 200 / 1e6 x 2.5 = 0.0005, plus
    # 800 / 1e6 x 1.25 = 0.001: 0.0015 (not 1000 / 1e6 x 2.5 = 0.0025)
    assert D(a["infercost.cost.amount_decimal"]) == D("0.0015")
    assert D(a["infercost.cost.input_tokens"]) == D("0.0005")
    assert D(a["infercost.cost.cached_input_tokens"]) == D("0.001")


def test_a_model_named_by_model_attribute_is_written_as_infercost_model():
    from infercost.core import semconv

    mem = Memory()
    tp, pricer, _ = setup(mem, model_attribute="app.base_model")
    tr = tp.get_tracer("svc")
    for i in range(2):  # the fine-tune's own response model name is not the scenario's
        s = tr.start_span("chat", start_time=T0, attributes={
            "app.base_model": "llama-3.1-8b", "gen_ai.response.model": "acme-support-ft-v3",
            "infercost.batch.size": 2, "infercost.batch.index": i})
        s.end(end_time=T0 + SECOND)
    pricer.force_flush()
    # 1 s / 2 = 0.5 replica-s x 0.002 = 0.001 + 0.00025 = 0.00125 each
    assert pricer.stats.priced == 2 and pricer.stats.total == D("0.0025")
    for s in mem.spans:
        assert s.attributes["infercost.model"] == "llama-3.1-8b"
        # what reprice and attribute read first: the model the span was priced as
        assert semconv.first(s.attributes, semconv.MODEL) == "llama-3.1-8b"


@pytest.mark.parametrize("tokens, reason", [
    ({"gen_ai.usage.input_tokens": 2**64, "gen_ai.usage.output_tokens": 1},
     "bad gen_ai.usage.input_tokens"),
    ({"gen_ai.usage.input_tokens": 2**63, "gen_ai.usage.output_tokens": 1},
     "bad gen_ai.usage.input_tokens"),
    ({"gen_ai.usage.input_tokens": 1, "gen_ai.usage.output_tokens": -1},
     "bad gen_ai.usage.output_tokens"),
    ({"gen_ai.usage.input_tokens": 10, "gen_ai.usage.cache_read.input_tokens": 11,
      "gen_ai.usage.output_tokens": 1}, "bad gen_ai.usage.cache_read.input_tokens"),
])
def test_token_counts_past_int64_or_negative_are_unpriced(tokens, reason):
    tp, pricer, mem = chatbot_pricer()
    tp.get_tracer("svc").start_span("chat", attributes={
        "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o", **tokens}).end()
    pricer.force_flush()
    # 2**64 input tokens x 2.50 / 1e6 was priced at ~46 trillion USD before
    assert pricer.stats.priced == 0 and pricer.stats.unpriced == {reason: 1}
    assert mem.spans[0].attributes["infercost.cost.unpriced_reason"] == reason


def test_dated_or_org_named_hosted_models_find_the_catalog_price():
    tp, pricer, mem = chatbot_pricer()
    tr = tp.get_tracer("svc")
    calls = [  # (provider, request model, response model)
        ("openai", "gpt-4o", "gpt-4o-2024-08-06"),  # dated response: its own match
        ("openai", "gpt-4o", "acme-ft:gpt-4o:xyz"),  # no price for it: the request model's
        ("openai", None, "gpt-4o-mini-2024-07-18"),  # gpt-4o-mini, not gpt-4o (longest)
        ("together", "meta-llama/Llama-3.1-8B", None),  # org prefix
    ]
    for provider, req, resp in calls:
        attrs = {"gen_ai.provider.name": provider, "gen_ai.usage.input_tokens": 1000,
                 "gen_ai.usage.output_tokens": 1000}
        attrs.update({k: v for k, v in (("gen_ai.request.model", req),
                                        ("gen_ai.response.model", resp)) if v})
        tr.start_span("chat", attributes=attrs).end()
    pricer.force_flush()
    got = [s.attributes.get("infercost.cost.amount_decimal") for s in mem.spans]
    # gpt-4o 2.50 / 10.00: 0.0025 + 0.01 = 0.0125; gpt-4o-mini 0.15 / 0.60: 0.00015 +
    # 0.0006 = 0.00075; together llama-3.1-8b 0.18 / 0.18: 0.00018 + 0.00018 = 0.00036
    assert [D(g) for g in got] == [D("0.0125"), D("0.0125"), D("0.00075"), D("0.00036")]
    # the request model priced the fine-tune's call: named for reprice and attribute
    assert mem.spans[1].attributes["infercost.model"] == "gpt-4o"
    assert "infercost.model" not in mem.spans[0].attributes


def test_a_hosted_price_only_in_another_currency_says_so():
    import yaml

    sc = yaml.safe_load((EXAMPLES / "chatbot.yaml").read_text())
    sc.update(currency="EUR", fx={"USD": 0.92})
    mem = Memory()
    tp = TracerProvider()
    pricer = instrument(tp, sc, exporter=mem, meter_provider=MeterProvider())
    tp.get_tracer("svc").start_span("chat", attributes={
        "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 1000}).end()
    pricer.force_flush()
    reason = "no price in EUR for provider openai model gpt-4o (the catalog prices it in USD)"
    assert pricer.stats.unpriced == {reason: 1}
    assert mem.spans[0].attributes["infercost.cost.unpriced_reason"] == reason
