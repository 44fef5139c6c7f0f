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

The two metrics are made once per meter provider and shared by every pricer on it (the
SDK keeps one instrument per name). Per exported batch: the histogram gets each
request's cost in its own span's context (`HistogramRecorder`), the counter the batch's
sum per label set.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.context import Context as Context_
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from infercost import api
from infercost.core import semconv as sc
from infercost.integrations.otel.histogram import HistogramRecorder, bounded_put

log = logging.getLogger("infercost.otel")
#: running totals stay exact: 60 digits hold 27 decimals (ns x a rate of 18) up to 1e33
_SUM = Context(prec=60)
_price_span = api.price_span

#: histogram bucket bounds for the cost of one request (currency units): 1e-7 .. 10
COST_BUCKETS = (1e-7, 1e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.1, 1.0, 10.0)
COUNTER = "infercost.cost"
HISTOGRAM = "infercost.cost.per_request"
_NO_RESOURCE = object()  # no span's resource is this
# the names read and written for every span, as module globals (one lookup each)
_first = sc.first
_MODEL, _TENANT, _MODEL_VERSION, _PROVIDER = sc.MODEL, sc.TENANT, sc.MODEL_VERSION, sc.PROVIDER
_BUSY, _BUSY_SHARE_S, _DIVISOR = sc.COST_PART + "busy", sc.BUSY_SHARE_S, sc.DIVISOR
_BATCH_SIZE, _BATCH_INDEX = sc.BATCH_SIZE, sc.BATCH_INDEX
_OUT_TENANT, _OUT_MODEL_VERSION = sc.OUT_TENANT, sc.OUT_MODEL_VERSION
_COST_AMOUNT, _COST_DECIMAL = sc.COST_AMOUNT, sc.COST_DECIMAL
_OPERATION, _PRICED_MODEL = sc.OPERATION, sc.PRICED_MODEL
#: `gen_ai.operation.name` values of one model call, known without a call (any other value
#: is checked with `semconv.is_inference_operation`)
_INFERENCE_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
#: the largest token count priced: OTLP encodes integer attributes as int64, so a larger
#: one would not reach the collector
_INT64_MAX = 2**63 - 1
#: the context the counter is added in: no span (a batch's sum belongs to no one trace;
#: the exporting thread's current span, if any, is not the requests'). Not empty: the SDK
#: reads an empty (falsy) context as "the current one"
_NO_SPAN = Context_({"infercost.counter": "batch sum"})
#: distinct metric label sets a pricer remembers (past it, the oldest is forgotten)
_MAX_LABEL_SETS = 4096
#: where a hosted span's model is looked for when its response model has no price
_REQUEST_MODEL = ("gen_ai.request.model", "llm.request.model")


@dataclass
class PricingStats:
    """What the pricer did so far. `total`: exact sum of the priced spans' costs
    (currency of the table); `unpriced`: spans left unpriced, by reason; `skipped`:
    spans that are not inference requests (no gen_ai.*/llm.*/vllm.*/infercost.batch.*
    attribute, or a `gen_ai.operation.name` of an agent or a tool:
    `semconv.NOT_INFERENCE_OPERATIONS`)."""

    priced: int = 0
    unpriced: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    total: Decimal = Decimal(0)
    export_failures: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"priced": self.priced, "unpriced": dict(self.unpriced), "skipped": self.skipped,
                "total": str(self.total), "export_failures": self.export_failures}


def _agent_or_tool(attrs) -> bool:
    """Whether `gen_ai.operation.name` names an agent's or a tool's operation (one dict
    get when the span names none; a known inference operation without a call)."""
    op = attrs.get(_OPERATION)
    return op is not None and (type(op) is not str or op not in _INFERENCE_OPERATIONS) \
        and not sc.is_inference_operation(attrs)


def _is_inference(attrs, model_attribute: str | None) -> bool:
    """Whether a span with `attrs` is one inference request: not an agent's or a tool's
    operation (`_agent_or_tool`), and an attribute `model_attribute` or one of the
    `semconv.INFERENCE_PREFIXES`."""
    if _agent_or_tool(attrs):
        return False
    if model_attribute and model_attribute in attrs:
        return True
    prefixes = sc.INFERENCE_PREFIXES
    for k in attrs:  # a plain loop: this runs on every span's start
        if k.startswith(prefixes):
            return True
    return False


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
    """At span start, tags inference spans (known as such from the attributes given at
    start) with what is known then: the price-table version and the cost source (local,
    or provider for a hosted API with token prices), and the tenant and
    model from the attributes `tenant_attribute` / `model_attribute` when the service
    named them and set them at start. Tenant and model version from the standard names,
    and the cost itself, come at export (`CostSpanExporter`), when the span holds every
    attribute the service set: on_start stays cheap (it runs on the request's thread)."""

    def __init__(self, table, tenant_attribute: str | None = None,
                 model_attribute: str | None = None) -> None:
        self.table = table
        self.tenant_attribute = tenant_attribute
        self.model_attribute = model_attribute
        self._local_tags = {sc.TABLE_VERSION: table.version, sc.COST_SOURCE: "local"}
        self._hosted_tags = {sc.TABLE_VERSION: table.version, sc.COST_SOURCE: "provider"}
        # the longest value each set of tags holds, measured once (`_tag` checks it
        # against the span's value length limit)
        self._local_longest = max(map(len, self._local_tags.values()))
        self._hosted_longest = max(map(len, self._hosted_tags.values()))

    def on_start(self, span, parent_context=None) -> None:
        try:
            attrs = _view(span)  # read only: no copy on the request's path
            if not _is_inference(attrs, self.model_attribute):
                return
            provider = _first(attrs, _PROVIDER)
            if provider is None or not self.table.hosted_provider(provider):
                tags, longest = self._local_tags, self._local_longest
            else:
                tags, longest = self._hosted_tags, self._hosted_longest
            if self.tenant_attribute or self.model_attribute:  # named by the service
                longest = None  # values of the service's: measured by `_tag`
                tags = dict(tags)
                tenant = attrs.get(self.tenant_attribute) if self.tenant_attribute else None
                if tenant is not None and tenant != "":
                    tags[sc.OUT_TENANT] = str(tenant)
                if self.model_attribute and sc.first(attrs, sc.MODEL) is None \
                        and attrs.get(self.model_attribute) not in (None, ""):
                    tags["gen_ai.request.model"] = str(attrs[self.model_attribute])
            _tag(span, tags, longest)
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

    def __init__(self, exporter: SpanExporter | Sequence[SpanExporter] | None, table,
                 meter_provider=None, tenant_attribute: str | None = None,
                 model_attribute: str | None = None) -> None:
        if exporter is None:
            exporters: tuple = (_Discard(),)
        elif isinstance(exporter, (list, tuple)):
            exporters = tuple(exporter) or (_Discard(),)
        else:
            exporters = (exporter,)
        #: every exporter the priced spans go to (each gets every span)
        self.exporters = exporters
        self.exporter = exporters[0]
        self.table = table
        self.tenant_attribute = tenant_attribute
        self.model_attribute = model_attribute
        self.stats = PricingStats()
        self._resources: dict[int, tuple[Any, tuple[Any, Any]]] = {}
        # the last span's resource and the (tenant, model version) it names, one tuple
        self._last_resource: tuple[Any, tuple[Any, Any]] = (_NO_RESOURCE, (None, None))
        # attributes every priced span gets, formatted once
        self._tags = {sc.TABLE_VERSION: table.version, sc.SCENARIO: table.scenario}
        self._local = {**self._tags, sc.COST_CURRENCY: table.currency, sc.COST_SOURCE: "local",
                       **{sc.COST_PART + p.name: _s(p.amount) for p in table._fixed}}
        self.span_processor = None  # the BatchSpanProcessor `instrument` put it in
        self._lock = threading.Lock()
        # metric key -> label dict, and the span's raw (model, version, tenant) values with
        # their types -> (metric key, label dict): at most _MAX_LABEL_SETS each (the oldest
        # forgotten first)
        self._labels: dict[tuple[str, str, str], dict[str, str]] = {}
        self._label_sets: dict[tuple, tuple[tuple[str, str, str], dict]] = {}
        # the counter and histogram of the meter provider, shared with every other pricer
        # on it (the SDK keeps one instrument per name); with no meter provider given, the
        # global one, looked up until the application has set one (`_shared_metrics`)
        self._meter_provider = meter_provider
        self._metrics: _SharedMetrics | None = None
        self._shared_metrics()

    # -- pricing ------------------------------------------------------------------------
    def price(self, span: ReadableSpan) -> ReadableSpan:
        """`span` with its cost attributes added (a copy), or `span` itself when it is not
        an inference request. Updates `stats` and the metrics. Never raises."""
        tally = _Tally()
        try:
            return self._price(span, tally)
        except Exception as e:  # a bug: pass the span on unpriced
            return self._failed(span, e)
        finally:
            self._merge(tally)

    def _price(self, span: ReadableSpan, tally: _Tally) -> ReadableSpan:
        """`price` for one span of a batch: the counts and exact sums go to `tally`
        (`_merge` adds them to `stats` and the counter's totals once per batch)."""
        attrs = _view(span)  # read only; `out` below is the copy the exporter gets
        # an agent's or tool's span is not one model call (`_is_inference` checks that too,
        # for spans not tagged at start)
        if (_agent_or_tool(attrs) if sc.TABLE_VERSION in attrs
                else not _is_inference(attrs, self.model_attribute)):
            tally.skipped += 1
            return span
        named = None  # a model named by `model_attribute`, made standard on the copy
        priced_as = None  # written as infercost.model: the model priced, when not the first
        model = attrs.get(self.model_attribute) if self.model_attribute else None
        if model is None or model == "":
            model = _first(attrs, _MODEL)
        else:
            priced_as = str(model)
            if _first(attrs, _MODEL) is None:
                named = priced_as
        resource = span.resource
        last = self._last_resource  # one read: another thread may replace it
        if last[0] is not resource:  # a service has one resource: looked up once
            last = (resource, self._from_resource(resource))
            self._last_resource = last
        tenant = attrs.get(self.tenant_attribute) if self.tenant_attribute else None
        if tenant is None or tenant == "":
            tenant = _first(attrs, _TENANT)
            if tenant is None:
                tenant = last[1][0]
        version = _first(attrs, _MODEL_VERSION)
        if version is None:
            version = last[1][1]
        provider = _first(attrs, _PROVIDER)
        hosted = provider is not None and self.table.hosted_provider(provider)
        if hosted and model is not None and self.table.token_price(provider, model) is None:
            # a response model without a price (a fine-tune's or a dated name the catalog
            # does not match): the request model's price, when it has one
            alt = _first(attrs, _REQUEST_MODEL)
            if alt is not None and self.table.token_price(provider, alt) is not None:
                model = alt
                priced_as = str(alt)
        try:
            cost = self._cost(span, attrs, model, provider if hosted else None)
        except _Unpriced as e:
            return self._unpriced(span, attrs, named, tenant, version, e.reason, priced_as)
        # the copy the exporter gets: the span's attributes, then ours (one dict display:
        # a fifth cheaper than dict() and update())
        tags = self._tags if hosted else self._local
        if named is None:
            out = {**attrs, **tags}
        else:
            out = {**attrs, "gen_ai.request.model": named, **tags}
        if priced_as is not None:
            out[_PRICED_MODEL] = priced_as
        if not hosted:  # a `LocalCost`: the table's constant parts were formatted once
            out[_BUSY] = _s(cost.busy)
            out[_BUSY_SHARE_S] = _s(cost.busy_share_s)
            out[_DIVISOR] = cost.divisor
        else:  # a `SpanCost` from the hosted API's token prices
            out[sc.COST_CURRENCY] = self.table.currency
            out[sc.COST_SOURCE] = cost.source
            for p in cost.parts:
                out[sc.COST_PART + p.name] = _s(p.amount)
        hit = self._label_sets.get((model, version, tenant, type(version), type(tenant)))
        if hit is None:
            hit = self._label_set(model, version, tenant)
        key, labels = hit
        if tenant is not None:
            out[_OUT_TENANT] = key[2]
        if version is not None:
            out[_OUT_MODEL_VERSION] = key[1]
        total = cost.total
        text = _s(total)
        f = float(text)  # the double nearest the exact amount (as float(total), faster)
        out[_COST_AMOUNT] = f
        out[_COST_DECIMAL] = text
        tally.amounts.append(f)  # recorded in the histogram by `_merge`, one by one
        tally.labels.append(labels)
        tally.contexts.append(span.context)  # the request's span: the exemplar's trace
        totals = tally.totals
        if key in totals:
            totals[key] = _SUM.add(totals[key], total)
        else:
            totals[key] = total
            tally.key_labels[key] = labels
        tally.priced += 1
        return _copy(span, out)

    def _merge(self, tally: _Tally) -> None:
        """Record each priced span's cost in the histogram (`HistogramRecorder`: as one
        `record` per span, in the request span's context, in a row after the batch is
        priced), add the batch's sum per label set to the counter (one `add` each), and
        add the batch's counts and exact sums to `stats`."""
        if tally.amounts:
            metrics = self._metrics or self._shared_metrics()
            if metrics is not None:
                try:
                    metrics.recorder.record_many(tally.amounts, tally.labels, tally.contexts)
                    add = metrics.counter.add
                    for key, amount in tally.totals.items():  # a batch's sum names no trace
                        add(float(amount), tally.key_labels[key], context=_NO_SPAN)
                except Exception as e:  # pragma: no cover - the metrics SDK failing
                    log.warning("infercost: recording the cost metrics failed: %s", e)
        with self._lock:
            for amount in tally.totals.values():
                self.stats.total = _SUM.add(self.stats.total, amount)
            self.stats.priced += tally.priced
            self.stats.skipped += tally.skipped

    def _shared_metrics(self) -> _SharedMetrics | None:
        """The meter provider's shared counter and histogram (made on first use). With no
        meter provider given: the global one once the application has set one; None
        before (the API's placeholder would forward nothing recorded before then, and
        instruments made on it would take the names on the provider set later)."""
        mp = self._meter_provider
        if mp is None:
            from opentelemetry import metrics

            mp = metrics.get_meter_provider()
            if _is_placeholder(mp):
                return None
        self._metrics = _SharedMetrics.of(mp, self.table.currency)
        return self._metrics

    def _unpriced(self, span: ReadableSpan, attrs, named, tenant, version,
                  reason: str, priced_as=None) -> ReadableSpan:
        """A copy of `span` saying why it has no cost; counted in `stats.unpriced`."""
        out = dict(attrs)
        if named is not None:
            out["gen_ai.request.model"] = named
        if priced_as is not None:
            out[_PRICED_MODEL] = priced_as
        out.update(self._tags)
        if tenant is not None:
            out[sc.OUT_TENANT] = str(tenant)
        if version is not None:
            out[sc.OUT_MODEL_VERSION] = str(version)
        out[sc.UNPRICED] = reason
        out.pop(sc.COST_SOURCE, None)  # tagged at start; no cost, so no source
        with self._lock:
            seen = self.stats.unpriced.get(reason, 0)
            self.stats.unpriced[reason] = seen + 1
        if not seen:  # reported once per reason; every one is counted in stats
            log.warning("infercost: a span left unpriced (%s); spans like it are counted "
                        "in stats.unpriced and carry %s", reason, sc.UNPRICED)
        return _copy(span, out)

    def _label_set(self, model, version, tenant) -> tuple[tuple[str, str, str], dict[str, str]]:
        """The metric key (model, version, tenant as text, "" when absent) and the label
        dict of the metrics (model, version, tenant, currency; an absent version or tenant
        is left out: Prometheus reads a missing label as empty, and the SDK hashes one
        attribute fewer per record), made once per distinct value set (the same dict
        every time, so the metrics SDK sees one attribute set)."""
        # 1, 1.0, True differ (types); 0.0 and -0.0 too (equal floats of other text)
        raw = (model, version if type(version) is not float else repr(version),
               tenant if type(tenant) is not float else repr(tenant), type(version),
               type(tenant))
        hit = self._label_sets.get(raw)
        if hit is None:
            key = (str(model), "" if version is None else str(version),
                   "" if tenant is None else str(tenant))
            labels = self._labels.get(key)
            if labels is None:  # an absent version or tenant is left out, not set to ""
                labels = {"model": key[0]}
                if key[1]:
                    labels["version"] = key[1]
                if key[2]:
                    labels["tenant"] = key[2]
                labels["currency"] = self.table.currency
                bounded_put(self._labels, key, labels, _MAX_LABEL_SETS)
            hit = (key, labels)
            bounded_put(self._label_sets, raw, hit, _MAX_LABEL_SETS)
        return hit

    def _from_resource(self, resource) -> tuple[Any, Any]:
        """(tenant, model version) named by a resource's attributes, looked up once per
        resource (a service has one)."""
        key = id(resource)
        hit = self._resources.get(key)
        if hit is not None and hit[0] is resource:
            return hit[1]
        r = dict(resource.attributes) if resource is not None else {}
        found = (_tenant({}, r, self.tenant_attribute), _model_version({}, r))
        self._resources[key] = (resource, found)
        return found

    def _cost(self, span: ReadableSpan, attrs, model, provider):
        """The span's cost: a `LocalCost` (`PriceTable.local_cost`) when `provider` is
        None (self-hosted), else the hosted API's `SpanCost` (`api.price_span`). Raises
        `_Unpriced` with the reason."""
        start, end = span.start_time, span.end_time
        if start is None or end is None:
            raise _Unpriced("no start or end time")
        if model is None:
            raise _Unpriced("missing model")
        batch = attrs.get(_BATCH_SIZE)
        if type(batch) is not int:  # the common case without a call
            batch = _whole(attrs, _BATCH_SIZE)
        if batch is None:
            index = None
            batch = _whole(attrs, sc.CONCURRENCY)
        else:
            index = attrs.get(_BATCH_INDEX)
            if index is not None and type(index) is not int:
                index = _whole(attrs, _BATCH_INDEX)
        try:
            if provider is None:  # tokens do not enter a self-hosted price; the model must match
                return self.table.local_cost(end - start, batch, index,
                                             model if type(model) is str else str(model))
            return _price_span(
                self.table, busy_ns=end - start, batch=batch, index=index,
                input_tokens=_whole(attrs, sc.INPUT_TOKENS), provider=provider,
                output_tokens=_whole(attrs, sc.OUTPUT_TOKENS), model=str(model),
                cached_input_tokens=_whole(attrs, sc.CACHE_READ_INPUT_TOKENS))
        except ValueError as e:  # UnpricedError is a ValueError
            raise _Unpriced(getattr(e, "reason", "not priceable")) from None

    # -- SpanExporter -------------------------------------------------------------------
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Price `spans` and pass the priced copies to every exporter (each gets them all;
        one failing is logged and counted in `stats.export_failures`, the others still
        export). SUCCESS only when every exporter succeeded."""
        tally = _Tally()
        price = self._price
        priced = []
        try:
            for s in spans:
                try:
                    priced.append(price(s, tally))
                except Exception as e:  # a bug: pass the span on unpriced
                    priced.append(self._failed(s, e))
        finally:
            self._merge(tally)  # once per batch: one lock, not one per span
        result = SpanExportResult.SUCCESS
        several = len(self.exporters) > 1
        for exporter in self.exporters:
            try:
                r = exporter.export(list(priced) if several else priced)
            except Exception as e:
                log.warning("infercost: exporting %d spans to %s failed: %s", len(spans),
                            type(exporter).__name__, e)
                r = SpanExportResult.FAILURE
            else:
                if r != SpanExportResult.SUCCESS:
                    log.warning("infercost: the exporter %s could not export %d spans",
                                type(exporter).__name__, len(spans))
            if r != SpanExportResult.SUCCESS:
                result = SpanExportResult.FAILURE
                with self._lock:
                    self.stats.export_failures += 1
        return result

    def _failed(self, span: ReadableSpan, error: Exception) -> ReadableSpan:
        """A span whose pricing raised (a bug): logged, counted as unpriced ("error"),
        passed on as it is."""
        log.warning("infercost: pricing a span failed: %s", error)
        with self._lock:
            self.stats.unpriced["error"] = self.stats.unpriced.get("error", 0) + 1
        return span

    def shutdown(self) -> None:
        for exporter in self.exporters:
            try:
                exporter.shutdown()
            except Exception as e:  # pragma: no cover
                log.warning("infercost: exporter shutdown failed: %s", e)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the batch processor `instrument` made (so every span ended so far is
        priced and exported), then the wrapped exporters."""
        ok = True
        if self.span_processor is not None:
            ok = self.span_processor.force_flush(timeout_millis)
        for exporter in self.exporters:
            flush = getattr(exporter, "force_flush", None)
            try:
                r = flush(timeout_millis) if flush else True
                ok = ok and (r is None or bool(r))  # the SDK's base exporter returns None
            except Exception as e:  # pragma: no cover
                log.warning("infercost: exporter flush failed: %s", e)
                ok = False
        return ok


class _SharedMetrics:
    """The counter and histogram of one meter provider, made once and shared by every
    pricer on it (`recorder`: the histogram's `HistogramRecorder`). Unit: the first
    pricer's currency (the `currency` label names each point's)."""

    def __init__(self, meter_provider, unit: str) -> None:
        meter = meter_provider.get_meter("infercost")
        # a counter added to once per label set per exported batch (the batch's sum)
        self.counter = meter.create_counter(
            COUNTER, unit=unit, description="Cost of priced inference requests")
        self.histogram = meter.create_histogram(
            HISTOGRAM, unit=unit, description="Cost of one inference request",
            explicit_bucket_boundaries_advisory=list(COST_BUCKETS))
        self.recorder = HistogramRecorder(self.histogram)

    @classmethod
    def of(cls, meter_provider, unit: str) -> _SharedMetrics:
        """The shared metrics of `meter_provider`, made on first use."""
        with _SHARED_LOCK:
            try:
                hit = _SHARED.get(meter_provider)
            except TypeError:  # not weakly referenceable: kept by id, with the provider
                held = _SHARED_HELD.get(id(meter_provider))
                hit = held[1] if held is not None and held[0] is meter_provider else None
                if hit is None:
                    hit = cls(meter_provider, unit)
                    _SHARED_HELD[id(meter_provider)] = (meter_provider, hit)
                return hit
            if hit is None:
                hit = cls(meter_provider, unit)
                _SHARED[meter_provider] = hit
            return hit


#: each meter provider's shared metrics (weakly keyed), and those of providers that cannot
#: be weakly referenced (by id, with the provider)
_SHARED: Any = weakref.WeakKeyDictionary()
_SHARED_HELD: dict[int, tuple[Any, _SharedMetrics]] = {}
_SHARED_LOCK = threading.Lock()


def _is_placeholder(meter_provider) -> bool:
    """Whether `meter_provider` is the OpenTelemetry API's stand-in before the application
    sets one (`metrics.get_meter_provider()` before `set_meter_provider`)."""
    return type(meter_provider).__name__ == "_ProxyMeterProvider"


class _Tally:
    """What pricing one export batch adds to the metrics and stats: each priced span's
    cost and metric labels (for the histogram), spans priced and skipped, and the exact
    sum of the priced costs per metric key (model, version, tenant)."""

    __slots__ = ("amounts", "contexts", "key_labels", "labels", "priced", "skipped", "totals")

    def __init__(self) -> None:
        self.priced = 0
        self.skipped = 0
        self.totals: dict[tuple[str, str, str], Decimal] = {}
        self.key_labels: dict[tuple[str, str, str], dict[str, str]] = {}  # key -> labels
        # per priced span: its cost, its metric labels and its span context (lists: no
        # tuple per span for the garbage collector to track)
        self.amounts: list[float] = []
        self.labels: list[dict[str, str]] = []
        self.contexts: list[Any] = []


class _Unpriced(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _whole(attrs, keys) -> int | None:
    """A whole-number attribute (first of `keys`) in 0..2**63-1 (OTLP's int64), None when
    absent; a bad value (negative, past int64, fractional, not a number) is unpriced with
    reason "bad <first key>", not guessed."""
    v = attrs.get(keys) if isinstance(keys, str) else sc.first(attrs, keys)
    if v is None:
        return v
    if type(v) is int:
        if 0 <= v <= _INT64_MAX:
            return v
    elif not isinstance(v, bool) and isinstance(v, (int, float, str)):
        try:
            f = float(v)
            if f == int(f) and 0 <= f <= _INT64_MAX:
                return int(f)
        except (ValueError, OverflowError):
            pass
    raise _Unpriced(f"bad {keys if isinstance(keys, str) else keys[0]}")


def _s(d: Decimal) -> str:
    """A Decimal as plain text, trailing zeros dropped ("0.00047"; never exponent form).
    `str` (a third of the cost of `format`) unless it would write an exponent: below
    1e-6 (`adjusted() < -6`) or with a positive exponent (then `format`)."""
    if d.adjusted() < -6:
        t = format(d, "f")
    else:
        t = str(d)
        if "E" in t:
            t = format(d, "f")
    return t.rstrip("0").rstrip(".") if "." in t else t


def _view(span) -> Mapping:
    """The span's attributes to read, not to change: the SDK's BoundedAttributes' own dict
    when it is one (no copy), else the mapping itself."""
    raw = getattr(span, "_attributes", None)
    inner = getattr(raw, "_dict", None)
    return inner if isinstance(inner, dict) else (span.attributes or {})


def _tag(span, tags: dict[str, str], longest: int | None = None) -> None:
    """`span.set_attributes(tags)` for a live span at its start, at a fifth of the cost.

    When the span keeps the SDK's `BoundedAttributes` and setting `tags` there would do
    nothing but add them (the span not ended, none of the keys set yet, room under the
    attribute count limit, each value within the value length limit; the values are
    our own strings, so cleaning leaves them as they are), they are added to its dict
    under its lock, exactly as the SDK would; in any other case through
    `span.set_attributes`, which applies the limits (and warns). `longest`: the length
    of the longest value in `tags` when the caller knows it (None: measured here)."""
    raw = getattr(span, "_attributes", None)
    if type(raw) is BoundedAttributes and getattr(span, "_end_time", 0) is None:
        inner = raw._dict
        limit = raw.max_value_len
        if ((raw.maxlen is None or len(inner) + len(tags) <= raw.maxlen)
                and (limit is None or (longest if longest is not None
                                       else max(map(len, tags.values()))) <= limit)
                and inner.keys().isdisjoint(tags) and not raw._immutable):
            with raw._lock:
                inner.update(tags)
            return
    span.set_attributes(tags)


def _copy(span: ReadableSpan, attributes: dict) -> ReadableSpan:
    """A `ReadableSpan` like `span` with `attributes` instead of its own (the span itself
    is left as it ended). An SDK span's fields are read directly (a third of the cost of
    the properties; and no `__dict__` is made, so the collector tracks one new object,
    not three); any other span's through its public properties."""
    if isinstance(span, ReadableSpan):
        try:
            return ReadableSpan(
                name=span._name, context=span._context, parent=span._parent,
                resource=span._resource, attributes=attributes, events=span._events,
                links=span._links, kind=span._kind, status=span._status,
                start_time=span._start_time, end_time=span._end_time,
                instrumentation_info=span._instrumentation_info,
                instrumentation_scope=span._instrumentation_scope)
        except AttributeError:  # pragma: no cover - an SDK that keeps other fields
            pass
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=attributes, events=span.events, links=span.links, kind=span.kind,
        status=span.status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_info=getattr(span, "_instrumentation_info", None),
        instrumentation_scope=span.instrumentation_scope)
