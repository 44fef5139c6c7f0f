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


def _whole_at_least_1(v: Any, name: str) -> None:
    from infercost.errors import InputError

    if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
        raise InputError(f"expected a whole number >= 1 (or None: the SDK default), got {v!r}",
                         f"instrument({name})")


def _check_arguments(tracer_provider: Any, exporter: Any, max_queue_size: int | None,
                     max_export_batch_size: int | None, meter_provider: Any = None) -> None:
    """`instrument`'s arguments checked before anything is built or added: `InputError`
    naming the argument."""
    from infercost.errors import InputError

    if not callable(getattr(tracer_provider, "add_span_processor", None)):
        raise InputError("expected an OpenTelemetry SDK TracerProvider (one with "
                         f"add_span_processor), got {type(tracer_provider).__name__}",
                         "instrument(tracer_provider)")
    if meter_provider is not None and not callable(getattr(meter_provider, "get_meter", None)):
        raise InputError("expected an OpenTelemetry MeterProvider (one with get_meter), or "
                         f"None for the global one, got {type(meter_provider).__name__} "
                         f"{meter_provider!r}"[:200], "instrument(meter_provider)")
    many = isinstance(exporter, (list, tuple))
    for e in (exporter if many else () if exporter is None else (exporter,)):
        if not callable(getattr(e, "export", None)):
            raise InputError("expected a SpanExporter (an object with export(spans)), or a "
                             f"list of them, got {type(e).__name__} {e!r}"[:200],
                             "instrument(exporter)")
    if many and not exporter:
        raise InputError("expected at least one SpanExporter in the list (None: metrics "
                         "only)", "instrument(exporter)")
    _whole_at_least_1(max_queue_size, "max_queue_size")
    _whole_at_least_1(max_export_batch_size, "max_export_batch_size")
    if max_export_batch_size is not None and max_export_batch_size > (max_queue_size or 2048):
        raise InputError(f"expected at most max_queue_size ({max_queue_size or 2048}), got "
                         f"{max_export_batch_size}", "instrument(max_export_batch_size)")
    procs = getattr(getattr(tracer_provider, "_active_span_processor", None),
                    "_span_processors", ())
    if any(isinstance(p, (_TaggingBatchProcessor, CostSpanProcessor))
           or isinstance(getattr(p, "span_exporter", None), CostSpanExporter) for p in procs):
        # instrument() before, or a CostSpanProcessor / CostSpanExporter wired by hand
        raise InputError("already instrumented; to send priced spans to several destinations "
                         "pass a list: exporter=[a, b]", "instrument(tracer_provider)")


def instrument(tracer_provider: Any, scenario: Any, catalog: Any = None, exporter: Any = None,
               meter_provider: Any = None, tenant_attribute: str | None = None,
               model_attribute: str | None = None, *,
               schedule_delay_millis: int | None = None, max_queue_size: int | None = None,
               max_export_batch_size: int | None = None) -> CostSpanExporter:
    """Price every inference span of `tracer_provider` (an SDK `TracerProvider`).

    `scenario`: the deployment serving the requests (path, dict, `Scenario`, or an
    already built `PriceTable`); `catalog`: as for `infercost.api.estimate`. `exporter`:
    a `SpanExporter` the priced spans go to, or a list/tuple of them (each gets every
    priced span; one failing is logged and counted in `stats.export_failures`, the others
    still export); None: metrics only. `meter_provider`: for the cost metrics (None: the
    global one; the metrics are shared by every pricer on one meter provider).
    `tenant_attribute` / `model_attribute`: span attributes naming tenant / model, read
    before the standard names. `schedule_delay_millis`, `max_queue_size` (spans waiting
    to be exported; SDK default 2,048) and `max_export_batch_size` (SDK default 512): the
    batch processor's settings (None: the SDK default). Spans the SDK drops because its
    queue is full (a burst larger than `max_queue_size` before an export) never reach the
    pricer: they are not priced and not counted in `stats`.

    Returns the `CostSpanExporter` (`.stats`, `.table`, `.force_flush()`). Raises
    `InputError` (before anything is added) for a bad scenario or catalog, a
    `tracer_provider` without `add_span_processor`, an exporter without `export`, a
    `meter_provider` without `get_meter`, a bad
    queue or batch size, or a tracer provider `instrument` already instrumented (one
    pricer per tracer provider: every span would be priced, and counted, twice).
    """
    from infercost import api
    from infercost.econ.spanprice import PriceTable

    _check_arguments(tracer_provider, exporter, max_queue_size, max_export_batch_size,
                     meter_provider)
    table = scenario if isinstance(scenario, PriceTable) else api.price_table(scenario, catalog=catalog)
    pricer = CostSpanExporter(exporter, table, meter_provider, tenant_attribute, model_attribute)
    kw = {k: v for k, v in (("schedule_delay_millis", schedule_delay_millis),
                            ("max_queue_size", max_queue_size),
                            ("max_export_batch_size", max_export_batch_size)) if v is not None}
    batch = _TaggingBatchProcessor(
        pricer, CostSpanProcessor(table, tenant_attribute, model_attribute), **kw)
    tracer_provider.add_span_processor(batch)
    pricer.span_processor = batch
    return pricer
