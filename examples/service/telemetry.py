"""Tracing for the example service: OpenTelemetry SDK spans written as OTLP/JSON lines
(the format `infercost attribute --usage` reads) and, optionally, sent to a collector.

`setup_tracing(...)` is the one place the cost span processor is attached: when
`infercost.integrations.otel` is importable its `instrument(...)` prices each span and
exports it; otherwise a plain SDK exporter writes the same OTLP/JSON file.

A collector that cannot be reached never breaks the service: spans leave on the SDK's
background thread (BatchSpanProcessor), the OTLP exporter gives up after `timeout_s` and
a warning is logged; a file that cannot be written is logged the same way.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

log = logging.getLogger("infercost.example.service")


class OtlpJsonLinesExporter(SpanExporter):
    """Append each export as one OTLP/JSON `ExportTraceServiceRequest` line to `path`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def export(self, spans) -> SpanExportResult:
        from google.protobuf.json_format import MessageToDict
        from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

        doc = _hex_ids(MessageToDict(encode_spans(spans)))
        try:
            with self._lock, open(self.path, "a") as fh:
                fh.write(json.dumps(doc, separators=(",", ":")) + "\n")
        except OSError as e:
            log.warning("span file %s not written (%s); the service goes on", self.path, e)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _hex_ids(doc: dict) -> dict:
    """OTLP/JSON writes trace and span ids as hex (protobuf's JSON mapping gives base64)."""
    import base64

    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for sp in ss.get("spans", []):
                for k in ("traceId", "spanId", "parentSpanId"):
                    if sp.get(k):
                        sp[k] = base64.b64decode(sp[k]).hex()
    return doc


class _WarnOnFailure(SpanExporter):
    """Wrap an exporter so that a failed or raising export logs one warning and never raises."""

    def __init__(self, inner: SpanExporter, what: str) -> None:
        self.inner, self.what = inner, what

    def export(self, spans) -> SpanExportResult:
        try:
            res = self.inner.export(spans)
        except Exception as e:  # noqa: BLE001 - telemetry must not break serving
            log.warning("span export to %s failed (%s); the service goes on", self.what, e)
            return SpanExportResult.FAILURE
        if res is not SpanExportResult.SUCCESS:
            log.warning("span export to %s failed; the service goes on", self.what)
        return res

    def shutdown(self) -> None:
        try:
            self.inner.shutdown()
        except Exception as e:  # noqa: BLE001
            log.warning("span exporter %s did not shut down cleanly (%s)", self.what, e)


def setup_tracing(spans_path: str | Path, *, scenario: str | Path | None = None,
                  otlp_endpoint: str | None = None, service_name: str = "minilm-embeddings",
                  timeout_s: float = 2.0) -> TracerProvider:
    """A TracerProvider whose spans go to `spans_path` (OTLP/JSON lines) and, when given, to
    an OTLP/HTTP collector at `otlp_endpoint` (e.g. http://127.0.0.1:4318/v1/traces).

    With the cost span processor available (`infercost.integrations.otel.instrument`) the
    file is written by it and each span carries its cost under `scenario`; without it, by
    `OtlpJsonLinesExporter`.
    """
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    try:
        from infercost.integrations.otel import OtlpJsonFileExporter, instrument
    except ImportError:
        provider.add_span_processor(BatchSpanProcessor(_WarnOnFailure(OtlpJsonLinesExporter(spans_path),
                                                                      str(spans_path))))
    else:  # pragma: no cover - depends on the otel integration being present
        instrument(provider, scenario=str(scenario) if scenario else None, catalog=None,
                   exporter=OtlpJsonFileExporter(str(spans_path)), meter_provider=None)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exp = OTLPSpanExporter(endpoint=otlp_endpoint, timeout=timeout_s)
        provider.add_span_processor(BatchSpanProcessor(_WarnOnFailure(exp, otlp_endpoint),
                                                       export_timeout_millis=int(timeout_s * 1000)))
    return provider
