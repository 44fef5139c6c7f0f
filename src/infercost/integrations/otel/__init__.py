"""Cost of every traced inference, on the spans and as metrics (extra `otel`).

    from infercost.integrations.otel import instrument, OtlpJsonFileExporter

    pricer = instrument(tracer_provider, scenario="examples/chatbot.yaml",
                        exporter=OtlpJsonFileExporter("spans.jsonl"))
    ...
    pricer.force_flush(); pricer.stats.priced, pricer.stats.unpriced, pricer.stats.total

`instrument` adds to the tracer provider one `BatchSpanProcessor(CostSpanExporter(exporter,
table))` (prices inference spans at export and passes them on) that also tags them at
start as a `CostSpanProcessor` does (one processor, not two: the SDK calls each processor
three times per span), and returns the `CostSpanExporter` (the pricer). Attribute and metric names, how busy and idle shares are computed, re-pricing
and Prometheus: docs/tracking.md.
"""

from __future__ import annotations

from typing import Any

try:
    import opentelemetry.sdk.trace  # noqa: F401
except ImportError as e:  # pragma: no cover - only without the extra
    raise ImportError("infercost.integrations.otel needs the `otel` extra: "
                      "pip install 'infercost[otel]'") from e

from opentelemetry.sdk.trace.export import BatchSpanProcessor

from infercost.integrations.otel.fileexport import OtlpJsonFileExporter
from infercost.integrations.otel.pricing import (
    COUNTER,
    HISTOGRAM,
    CostSpanExporter,
    CostSpanProcessor,
    PricingStats,
)
from infercost.integrations.otel.prometheus import PrometheusEndpoint, serve_prometheus

__all__ = ["COUNTER", "HISTOGRAM", "CostSpanExporter", "CostSpanProcessor", "OtlpJsonFileExporter",
           "PricingStats", "PrometheusEndpoint", "instrument", "serve_prometheus"]


class _TaggingBatchProcessor(BatchSpanProcessor):
    """A `BatchSpanProcessor` that also tags spans at start with `tagger` (a
    `CostSpanProcessor`)."""

    def __init__(self, exporter: Any, tagger: CostSpanProcessor, **kw: Any) -> None:
        super().__init__(exporter, **kw)
        self.tagger = tagger

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.tagger.on_start(span, parent_context)


def instrument(tracer_provider: Any, scenario: Any, catalog: Any = None, exporter: Any = None,
               meter_provider: Any = None, tenant_attribute: str | None = None,
               model_attribute: str | None = None, *,
               schedule_delay_millis: int | None = None) -> CostSpanExporter:
    """Price every inference span of `tracer_provider` (an SDK `TracerProvider`).

    `scenario`: the deployment serving the requests (path, dict, `Scenario`, or an
    already built `PriceTable`); `catalog`: as for `infercost.api.estimate`. `exporter`:
    any `SpanExporter` the priced spans go to (None: metrics only). `meter_provider`:
    for the cost metrics (None: the global one). `tenant_attribute` / `model_attribute`:
    span attributes naming tenant / model, read before the standard names.
    `schedule_delay_millis`: the batch processor's export delay (None: the SDK default).

    Returns the `CostSpanExporter` (`.stats`, `.table`, `.force_flush()`). Raises
    `InputError` for a bad scenario or catalog (before anything is added).
    """
    from infercost import api
    from infercost.econ.spanprice import PriceTable

    table = scenario if isinstance(scenario, PriceTable) else api.price_table(scenario, catalog=catalog)
    pricer = CostSpanExporter(exporter, table, meter_provider, tenant_attribute, model_attribute)
    kw = {} if schedule_delay_millis is None else {"schedule_delay_millis": schedule_delay_millis}
    batch = _TaggingBatchProcessor(
        pricer, CostSpanProcessor(table, tenant_attribute, model_attribute), **kw)
    tracer_provider.add_span_processor(batch)
    pricer.span_processor = batch
    return pricer

