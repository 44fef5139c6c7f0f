"""Tracing for the example service: OpenTelemetry SDK spans priced by infercost's cost
span processor and written as OTLP/JSON lines (what `infercost attribute --usage` reads),
optionally also sent to an OTLP/HTTP collector.

`setup_tracing(...)` is the one place the processor is attached:
`infercost.integrations.otel.instrument(provider, scenario=..., exporter=OtlpJsonFileExporter(path))`
puts the cost of every inference span on it (gen_ai.usage.cost.*, infercost.cost.*) from
the scenario's cost model, and exports it to the file.

A collector that cannot be reached never breaks the service: spans leave on the SDK's
background thread (BatchSpanProcessor), the OTLP exporter gives up after `timeout_s` and
one warning per failed export is logged; a span file that cannot be written is logged the
same way by OtlpJsonFileExporter.
"""

from __future__ import annotations

import logging
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

log = logging.getLogger("infercost.example.service")


class WarnOnFailure(SpanExporter):
    """Wrap an exporter so that a failed or raising export logs a warning and never raises."""

    def __init__(self, inner: SpanExporter, what: str) -> None:
        self.inner, self.what = inner, what

    def export(self, spans) -> SpanExportResult:
        try:
            res = self.inner.export(spans)
        except Exception as e:  # noqa: BLE001 - telemetry must not break serving
            log.warning("span export to %s failed (%s); the service goes on", self.what, e)
            return SpanExportResult.FAILURE
        if res is not SpanExportResult.SUCCESS:
            log.warning("span export to %s failed (collector unreachable?); the service goes on", self.what)
        return res

    def shutdown(self) -> None:
        try:
            self.inner.shutdown()
        except Exception as e:  # noqa: BLE001
            log.warning("span exporter %s did not shut down cleanly (%s)", self.what, e)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def setup_tracing(spans_path: str | Path, *, scenario: str | Path, otlp_endpoint: str | None = None,
                  service_name: str = "minilm-embeddings", timeout_s: float = 2.0,
                  schedule_delay_millis: int = 1000):
    """(TracerProvider, pricer): spans priced under `scenario` and written to `spans_path`
    (OTLP/JSON lines); also sent to `otlp_endpoint` (e.g. http://127.0.0.1:4318/v1/traces)
    when given. Raises InputError for a bad scenario (before serving starts)."""
    from infercost.integrations.otel import OtlpJsonFileExporter, instrument

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    pricer = instrument(provider, scenario=str(scenario), exporter=OtlpJsonFileExporter(str(spans_path)),
                        schedule_delay_millis=schedule_delay_millis)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exp = OTLPSpanExporter(endpoint=otlp_endpoint, timeout=timeout_s)
        provider.add_span_processor(BatchSpanProcessor(WarnOnFailure(exp, otlp_endpoint),
                                                       schedule_delay_millis=schedule_delay_millis,
                                                       export_timeout_millis=int(timeout_s * 1000)))
    return provider, pricer
