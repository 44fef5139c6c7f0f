"""`CostSpanProcessor` (tags spans at start) and `CostSpanExporter` (prices them at export).

In the Python SDK a span is read-only once it ends (`SpanProcessor.on_end` gets a
`ReadableSpan`), so the cost is added where spans leave the process: `CostSpanExporter`
wraps any `SpanExporter` (OTLP HTTP/gRPC, console, `OtlpJsonFileExporter`), prices each
inference span with the price table (`infercost.api.price_span`), hands the exporter a copy
carrying the cost attributes, and records the cost metrics. Attribute names:
`infercost.core.semconv`; what they mean: docs/tracking.md.

Nothing here raises into the service: a span that cannot be priced is passed on with
`infercost.cost.unpriced_reason` and counted in `stats.unpriced`; a failing exporter
(unreachable collector) is logged as a warning and counted in `stats.export_failures`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from infercost import api
from infercost.core import semconv as sc

log = logging.getLogger("infercost.otel")

#: histogram bucket bounds for the cost of one request (currency units): 1e-7 .. 10
COST_BUCKETS = (1e-7, 1e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.1, 1.0, 10.0)
COUNTER = "infercost.cost"
HISTOGRAM = "infercost.cost.per_request"


@dataclass
class PricingStats:
    """What the pricer did so far. `total`: exact sum of the priced spans' costs
    (currency of the table); `unpriced`: spans left unpriced, by reason; `skipped`:
    spans that are not inference requests (no gen_ai.*/llm.*/vllm.*/infercost.batch.*)."""

    priced: int = 0
    unpriced: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    total: Decimal = Decimal(0)
    export_failures: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"priced": self.priced, "unpriced": dict(self.unpriced), "skipped": self.skipped,
                "total": str(self.total), "export_failures": self.export_failures}


def _is_inference(attrs, model_attribute: str | None) -> bool:
    if model_attribute and model_attribute in attrs:
        return True
    return any(k.startswith(sc.INFERENCE_PREFIXES) for k in attrs)


def _tenant(attrs, resource_attrs, tenant_attribute: str | None):
    if tenant_attribute:
        v = attrs.get(tenant_attribute)
        if v is None:
            v = resource_attrs.get(tenant_attribute)
        if v is not None and v != "":
            return v
    v = sc.first(attrs, sc.TENANT)
    return v if v is not None else sc.first(resource_attrs, sc.TENANT)


def _model_version(attrs, resource_attrs):
    v = sc.first(attrs, sc.MODEL_VERSION)
    return v if v is not None else sc.first(resource_attrs, sc.MODEL_VERSION)


class CostSpanProcessor(SpanProcessor):
    """At span start, tags inference spans with the price-table version and scenario,
    the tenant and model version when already known (attributes given at start). Cheap:
    the cost itself is computed at export by `CostSpanExporter`."""

    def __init__(self, table, tenant_attribute: str | None = None,
                 model_attribute: str | None = None) -> None:
        self.table = table
        self.tenant_attribute = tenant_attribute
        self.model_attribute = model_attribute

    def on_start(self, span, parent_context=None) -> None:
        try:
            attrs = span.attributes or {}
            if not _is_inference(attrs, self.model_attribute):
                return
            rattrs = span.resource.attributes if span.resource is not None else {}
            span.set_attribute(sc.TABLE_VERSION, self.table.version)
            span.set_attribute(sc.SCENARIO, self.table.scenario)
            tenant = _tenant(attrs, rattrs, self.tenant_attribute)
            if tenant is not None:
                span.set_attribute(sc.OUT_TENANT, str(tenant))
            version = _model_version(attrs, rattrs)
            if version is not None:
                span.set_attribute(sc.OUT_MODEL_VERSION, str(version))
        except Exception as e:  # pragma: no cover - never into the app
            log.warning("infercost: on_start failed: %s", e)

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


class _Discard(SpanExporter):
    """An exporter that drops spans (metrics only)."""

    def export(self, spans):
        return SpanExportResult.SUCCESS

    def shutdown(self):
        return None


class CostSpanExporter(SpanExporter):
    """Prices each inference span and passes a copy with the cost attributes to `exporter`.

    `table`: an `econ.spanprice.PriceTable` (`infercost.api.price_table`). `meter_provider`:
    where the metrics go (None: the global one): counter `infercost.cost` and histogram
    `infercost.cost.per_request`, unit the currency, attributes model, version, tenant,
    currency. `tenant_attribute` / `model_attribute`: span attributes naming the tenant /
    model, read before the standard ones. `stats`: a `PricingStats`."""

    def __init__(self, exporter: SpanExporter | None, table, meter_provider=None,
                 tenant_attribute: str | None = None, model_attribute: str | None = None) -> None:
        self.exporter = exporter if exporter is not None else _Discard()
        self.table = table
        self.tenant_attribute = tenant_attribute
        self.model_attribute = model_attribute
        self.stats = PricingStats()
        self.span_processor = None  # the BatchSpanProcessor `instrument` put it in
        self._lock = threading.Lock()
        if meter_provider is None:
            from opentelemetry import metrics

            meter_provider = metrics.get_meter_provider()
        meter = meter_provider.get_meter("infercost")
        unit = table.currency
        self._counter = meter.create_counter(
            COUNTER, unit=unit, description="Cost of priced inference requests")
        self._histogram = meter.create_histogram(
            HISTOGRAM, unit=unit, description="Cost of one inference request",
            explicit_bucket_boundaries_advisory=list(COST_BUCKETS))

    # -- pricing ------------------------------------------------------------------------
    def price(self, span: ReadableSpan) -> ReadableSpan:
        """`span` with its cost attributes added (a copy), or `span` itself when it is not
        an inference request. Updates `stats` and the metrics. Never raises."""
        attrs = span.attributes or {}
        if not _is_inference(attrs, self.model_attribute):
            with self._lock:
                self.stats.skipped += 1
            return span
        rattrs = span.resource.attributes if span.resource is not None else {}
        out = dict(attrs)
        t = self.table
        out[sc.TABLE_VERSION] = t.version
        out[sc.SCENARIO] = t.scenario
        model = attrs.get(self.model_attribute) if self.model_attribute else None
        if model is None or model == "":
            model = sc.first(attrs, sc.MODEL)
        tenant = _tenant(attrs, rattrs, self.tenant_attribute)
        version = _model_version(attrs, rattrs)
        if tenant is not None:
            out[sc.OUT_TENANT] = str(tenant)
        if version is not None:
            out[sc.OUT_MODEL_VERSION] = str(version)
        if model is not None and sc.first(attrs, sc.MODEL) is None:
            out["gen_ai.request.model"] = str(model)  # a named model attribute, made standard
        try:
            cost = self._cost(span, attrs, model)
        except _Unpriced as e:
            out[sc.UNPRICED] = e.reason
            with self._lock:
                self.stats.unpriced[e.reason] = self.stats.unpriced.get(e.reason, 0) + 1
            return _copy(span, out)
        total = cost.total
        out[sc.COST_AMOUNT] = float(total)
        out[sc.COST_DECIMAL] = _s(total)
        out[sc.COST_CURRENCY] = cost.currency
        out[sc.COST_SOURCE] = cost.source
        for p in cost.parts:
            out[sc.COST_PART + p.name] = _s(p.amount)
        if cost.source == "local":
            out[sc.BUSY_SHARE_S] = _s(cost.busy_share_s)
            out[sc.DIVISOR] = cost.divisor
        labels = {"model": str(model), "version": str(version) if version is not None else "",
                  "tenant": str(tenant) if tenant is not None else "", "currency": cost.currency}
        f = float(total)
        self._counter.add(f, labels)
        self._histogram.record(f, labels)
        with self._lock:
            self.stats.priced += 1
            self.stats.total += total
        return _copy(span, out)

    def _cost(self, span: ReadableSpan, attrs, model):
        if span.start_time is None or span.end_time is None:
            raise _Unpriced("no start or end time")
        provider = sc.first(attrs, sc.PROVIDER)
        if model is None:
            raise _Unpriced("missing model")
        batch = _whole(attrs, sc.BATCH_SIZE)
        index = _whole(attrs, sc.BATCH_INDEX) if batch is not None else None
        if batch is None:
            batch = _whole(attrs, sc.CONCURRENCY)
        try:
            return api.price_span(
                self.table, busy_ns=span.end_time - span.start_time, batch=batch, index=index,
                input_tokens=_whole(attrs, sc.INPUT_TOKENS), provider=provider,
                output_tokens=_whole(attrs, sc.OUTPUT_TOKENS),
                model=None if model is None else str(model))
        except ValueError as e:  # UnpricedError is a ValueError
            raise _Unpriced(getattr(e, "reason", "not priceable")) from None

    # -- SpanExporter -------------------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            priced = [self._safe_price(s) for s in spans]
            result = self.exporter.export(priced)
        except Exception as e:
            log.warning("infercost: exporting %d spans failed: %s", len(spans), e)
            result = SpanExportResult.FAILURE
        else:
            if result != SpanExportResult.SUCCESS:
                log.warning("infercost: the exporter %s could not export %d spans",
                            type(self.exporter).__name__, len(spans))
        if result != SpanExportResult.SUCCESS:
            with self._lock:
                self.stats.export_failures += 1
        return result

    def _safe_price(self, span: ReadableSpan) -> ReadableSpan:
        try:
            return self.price(span)
        except Exception as e:  # pragma: no cover - a bug: pass the span on unpriced
            log.warning("infercost: pricing a span failed: %s", e)
            with self._lock:
                self.stats.unpriced["error"] = self.stats.unpriced.get("error", 0) + 1
            return span

    def shutdown(self) -> None:
        try:
            self.exporter.shutdown()
        except Exception as e:  # pragma: no cover
            log.warning("infercost: exporter shutdown failed: %s", e)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the batch processor `instrument` made (so every span ended so far is
        priced and exported), then the wrapped exporter."""
        ok = True
        if self.span_processor is not None:
            ok = self.span_processor.force_flush(timeout_millis)
        flush = getattr(self.exporter, "force_flush", None)
        try:
            r = flush(timeout_millis) if flush else True
            return ok and (r is None or bool(r))  # the SDK's base exporter returns None
        except Exception as e:  # pragma: no cover
            log.warning("infercost: exporter flush failed: %s", e)
            return False


class _Unpriced(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _whole(attrs, keys) -> int | None:
    """A whole-number attribute (first of `keys`), None when absent; a bad value is
    unpriced, not guessed."""
    v = sc.first(attrs, (keys,) if isinstance(keys, str) else keys)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise _Unpriced(f"bad {keys if isinstance(keys, str) else keys[0]}")
    try:
        f = float(v)
        if f != int(f):
            raise ValueError
        return int(f)
    except (ValueError, OverflowError):
        raise _Unpriced(f"bad {keys if isinstance(keys, str) else keys[0]}") from None


def _s(d: Decimal) -> str:
    """A Decimal as plain text, trailing zeros dropped ("0.00047"; never exponent form)."""
    t = format(d, "f")
    return t.rstrip("0").rstrip(".") if "." in t else t


def _copy(span: ReadableSpan, attributes: dict) -> ReadableSpan:
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=attributes, events=span.events, links=span.links, kind=span.kind,
        status=span.status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope)
