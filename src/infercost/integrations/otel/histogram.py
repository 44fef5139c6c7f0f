"""Record many values into one OpenTelemetry SDK histogram at under half `record`'s cost.

The SDK's `Histogram.record(value, attributes)` cleans, copies and hashes the attributes on
every call (about 9 us per value with three attributes and an exemplar, 4 through this
module: `benchmarks/bench_otel.py` prints both). The pricer
records one value per priced span, always with one of a few label dicts it made itself
(plain strings, never changed), so `HistogramRecorder.record_many` does that work once
per label set:

- the first value of a label set goes through the public `record`, so the SDK itself
  makes the aggregation and applies the views and the cardinality limit;
- every later value of that label set is handed to the same aggregation objects, as the
  SDK's `_ViewInstrumentMatch.consume_measurement` hands it (`aggregate(measurement,
  should_sample_exemplar)`), with the meter provider's exemplar filter asked per value,
  as the SDK's measurement consumer asks it.

This reads the SDK's private structures (`opentelemetry-sdk` 1.x, as of 1.45), so it is
used only where the result is the SDK's own: an SDK histogram (not a proxy or no-op
meter's), enabled, on a synchronous measurement consumer, where every matching view keeps
all attributes and aggregates cumulatively (a delta reader resets its aggregations when
collected). A label set the SDK put in its overflow series (past the cardinality limit),
a value the SDK would refuse (negative, not finite), any other SDK, or anything missing:
the public `record`, value by value. Readers added later are seen (the set of reader
storages is checked per call). `tests/test_otel_histogram.py` compares what a metric
reader collects through both paths.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import repeat
from time import time_ns
from typing import Any

from opentelemetry.context import get_current
from opentelemetry.trace import NonRecordingSpan, set_span_in_context

try:  # the SDK's private structures this relies on (1.x)
    from opentelemetry.sdk.metrics._internal._view_instrument_match import (
        _hash_attributes,
        _ViewInstrumentMatch,
    )
    from opentelemetry.sdk.metrics._internal.exemplar import AlwaysOffExemplarFilter
    from opentelemetry.sdk.metrics._internal.instrument import _Histogram as _SdkHistogram
    from opentelemetry.sdk.metrics._internal.measurement import Measurement
    from opentelemetry.sdk.metrics._internal.measurement_consumer import (
        SynchronousMeasurementConsumer,
    )
except ImportError:  # pragma: no cover - another SDK: the public record only
    _SdkHistogram = None
    Measurement = object
    AlwaysOffExemplarFilter = None

_PUBLIC = ()  # a label set whose values take the public `record`
#: label dicts remembered at most (the pricer makes one per distinct label set); past it
#: the oldest one is forgotten (its next value takes the public `record` again)
_MAX_LABEL_SETS = 4096


def bounded_put(cache: dict, key: Any, value: Any, limit: int) -> None:
    """`cache[key] = value`, the oldest entry (first inserted) forgotten first when `cache`
    holds `limit`. Another thread may be doing the same: never raises."""
    if len(cache) >= limit:
        try:
            del cache[next(iter(cache))]
        except (StopIteration, KeyError, RuntimeError):
            pass
    cache[key] = value


class _CleanMeasurement(Measurement):  # type: ignore[misc, valid-type]
    """A `Measurement` whose attributes are a label dict the pricer made (plain strings):
    the SDK's cleaning copy, which would give an equal dict, is skipped."""

    def __post_init__(self) -> None:
        return None


class HistogramRecorder:
    """Records values into `histogram` (an OpenTelemetry histogram instrument).
    `record_many(values, labels, span_contexts)`: as `histogram.record(v, l, context=c)`
    for each, in order, where c is a context holding that span. Never raises what
    `record` would not (but ValueError for lists of different lengths)."""

    def __init__(self, histogram: Any) -> None:
        self.histogram = histogram
        # (the reader storages it was made for, per label dict (by identity; the dict is
        # kept, so its id is never reused while it is here): the aggregations its values go
        # to, or _PUBLIC), replaced as one: entries found for one set of readers are never
        # used with another
        self._state: tuple[Any, dict[int, tuple[Mapping[str, str], tuple]]] = (None, {})

    def _consumer(self):
        """The histogram's measurement consumer when the fast path applies, else None."""
        h = self.histogram
        if _SdkHistogram is None or type(h) is not _SdkHistogram or not h._is_enabled():
            return None
        consumer = getattr(h, "_measurement_consumer", None)
        return consumer if type(consumer) is SynchronousMeasurementConsumer else None

    def record_many(self, values: Sequence[float], labels: Sequence[Mapping[str, str]],
                    span_contexts: Sequence[Any] | None = None) -> None:
        """Record `values[i]` with attributes `labels[i]`, in a context whose current span is
        `span_contexts[i]` (an OpenTelemetry `SpanContext`: the request's span, so an
        exemplar names its trace; None: the caller's context). Raises ValueError when
        the lengths differ."""
        if len(labels) != len(values) or (span_contexts is not None
                                          and len(span_contexts) != len(values)):
            raise ValueError(f"{len(values)} values, {len(labels)} label sets, "
                             f"{'no' if span_contexts is None else len(span_contexts)} contexts")
        h = self.histogram
        try:
            consumer = self._consumer()
            storages = consumer._reader_storages if consumer is not None else None
            exemplars = consumer._sdk_config.exemplar_filter if consumer is not None else None
        except AttributeError:  # pragma: no cover - SDK internals changed
            consumer = None
        current = get_current()
        if span_contexts is None:
            contexts: Any = repeat(current)
        else:
            contexts = (current if sc is None else set_span_in_context(NonRecordingSpan(sc))
                        for sc in span_contexts)
        if consumer is None:
            for v, lab, ctx in zip(values, labels, contexts, strict=False):
                h.record(v, lab, context=ctx)
            return
        state = self._state
        if state[0] is not storages:  # a reader added or removed: start again
            state = (storages, {})
            self._state = state
        cache = state[1]
        should_sample = exemplars.should_sample
        if span_contexts is not None and type(exemplars) is AlwaysOffExemplarFilter:
            contexts = repeat(current)  # no exemplar: the context is never read
        for v, lab, ctx in zip(values, labels, contexts, strict=False):
            hit = cache.get(id(lab))
            if hit is None:
                # the SDK makes the aggregations, applies views and limits
                h.record(v, lab, context=ctx)
                bounded_put(cache, id(lab), (lab, self._find(storages, lab)), _MAX_LABEL_SETS)
                continue
            aggs = hit[1]
            if aggs is _PUBLIC or not (0.0 <= v < math.inf):  # the SDK warns or overflows
                h.record(v, lab, context=ctx)
                continue
            t = time_ns()
            m = _CleanMeasurement(v, t, h, ctx, lab)
            sample = should_sample(v, t, lab, ctx)
            for agg in aggs:
                agg.aggregate(m, sample)

    def _find(self, storages, lab: Mapping[str, str]) -> tuple:
        """The aggregation objects every reader keeps for `lab` on this histogram (one per
        matching view), or _PUBLIC where the fast path would not be exactly the SDK's."""
        try:
            key = _hash_attributes(dict(lab))
            found = []
            for storage in storages.values():
                vims = storage._instrument_view_instrument_matches.get(self.histogram)
                if vims is None:
                    return _PUBLIC
                for vim in vims:
                    if (type(vim) is not _ViewInstrumentMatch or vim._reset_on_collect
                            or vim._view._attribute_keys is not None):
                        return _PUBLIC
                    agg = vim._attributes_aggregation.get(key)
                    if agg is None:  # the overflow series, or dropped
                        return _PUBLIC
                    found.append(agg)
            return tuple(found) if found else _PUBLIC
        except (AttributeError, TypeError):  # pragma: no cover - SDK internals changed
            return _PUBLIC
