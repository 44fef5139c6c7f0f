"""`HistogramRecorder`: what a metric reader collects is the same as through `record`.

Each test records the same values with the same label dicts on two meter providers set up
alike: one through `HistogramRecorder.record_many`, one through the public
`Histogram.record`, and compares every collected data point (attributes, count, sum,
min, max, bucket counts, and exemplar values where exemplars are on). The first test also
checks the fast path was taken, so a change that silently fell back would be seen.
"""

from __future__ import annotations

import math

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import Histogram, MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics._internal.exemplar import (  # noqa: E402
    AlwaysOffExemplarFilter,
    AlwaysOnExemplarFilter,
)
from opentelemetry.sdk.metrics.export import (  # noqa: E402
    AggregationTemporality,
    InMemoryMetricReader,
)
from opentelemetry.sdk.metrics.view import View  # noqa: E402

from infercost.integrations.otel.histogram import _PUBLIC, HistogramRecorder  # noqa: E402
from infercost.integrations.otel.pricing import COST_BUCKETS  # noqa: E402

A = {"model": "llama-3.1-8b", "tenant": "acme", "currency": "USD"}
B = {"model": "llama-3.1-8b", "tenant": "globex", "currency": "USD"}
C = {"model": "bert", "currency": "USD"}  # no tenant: one attribute fewer
# values on, below and above bucket bounds (1e-4 and 5e-4 are bounds), zero, and repeats
VALUES = [0.0, 1e-4, 1.0000000000000002e-4, 2.5e-4, 5e-4, 0.003, 12.0, 1e-4, 7e-8, 0.5]


def _pair(**kw):
    """Two meter providers set up alike (`kw` for the reader, plus `exemplar_filter` and
    `views` for the provider): (reader, histogram) each."""
    out = []
    for _ in range(2):
        reader = InMemoryMetricReader(**kw.get("reader", {}))
        mp = MeterProvider(metric_readers=[reader], views=kw.get("views", ()),
                           exemplar_filter=kw.get("exemplar_filter"))
        h = mp.get_meter("infercost").create_histogram(
            "infercost.cost.per_request", unit="USD",
            explicit_bucket_boundaries_advisory=list(COST_BUCKETS))
        out.append((reader, h))
    return out


def _points(reader, exemplars=False):
    data = reader.get_metrics_data()
    if data is None:
        return []
    pts = []
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                for p in m.data.data_points:
                    row = (tuple(sorted(p.attributes.items())), p.count, p.sum, p.min, p.max,
                           tuple(p.bucket_counts))
                    if exemplars:
                        row += (tuple(sorted(e.value for e in p.exemplars)),)
                    pts.append(row)
    return sorted(pts)


def _record_both(fast_h, slow_h, values, labels):
    rec = HistogramRecorder(fast_h)
    rec.record_many(values, labels)
    for v, lab in zip(values, labels, strict=True):
        slow_h.record(v, lab)
    return rec


def test_fast_path_collects_what_record_collects():
    (r1, h1), (r2, h2) = _pair()
    values = VALUES * 3
    labels = [A, B, C] * len(VALUES)
    rec = _record_both(h1, h2, values, labels)
    # the fast path was taken: each label set holds its aggregation objects
    assert len(rec._state[1]) == 3 and all(hit[1] is not _PUBLIC for hit in rec._state[1].values())
    p1, p2 = _points(r1), _points(r2)
    assert p1 == p2 and len(p1) == 3
    # hand check of one series: A got VALUES[0::3] + VALUES[1::3][...]: count 10 in all
    assert sum(p[1] for p in p1) == len(values) == 30
    # a second batch after a collection (cumulative): still the same
    rec.record_many(values[:7], labels[:7])
    for v, lab in zip(values[:7], labels[:7], strict=True):
        h2.record(v, lab)
    assert _points(r1) == _points(r2)


def test_negative_and_non_finite_values_are_refused_as_record_refuses_them():
    (r1, h1), (r2, h2) = _pair()
    values = [0.001, -0.5, math.nan, math.inf, 0.002]
    _record_both(h1, h2, values, [A] * len(values))
    p1 = _points(r1)
    assert p1 == _points(r2)
    assert p1[0][1] == 2 and p1[0][2] == pytest.approx(0.003)  # only 0.001 and 0.002 count


def test_delta_reader_takes_the_public_path_and_agrees_across_collections():
    delta = {"reader": {"preferred_temporality": {Histogram: AggregationTemporality.DELTA}}}
    (r1, h1), (r2, h2) = _pair(**delta)
    rec = _record_both(h1, h2, VALUES, [A, B] * (len(VALUES) // 2))
    assert all(hit[1] is _PUBLIC for hit in rec._state[1].values())
    assert _points(r1) == _points(r2)
    rec.record_many(VALUES[:4], [A] * 4)
    for v in VALUES[:4]:
        h2.record(v, A)
    assert _points(r1) == _points(r2)  # only the new values: delta


def test_a_view_that_drops_attributes_takes_the_public_path():
    views = {"views": [View(instrument_name="infercost.cost.per_request",
                            attribute_keys={"model"})]}
    (r1, h1), (r2, h2) = _pair(**views)
    rec = _record_both(h1, h2, VALUES * 2, [A, B] * len(VALUES))
    assert all(hit[1] is _PUBLIC for hit in rec._state[1].values())
    p1 = _points(r1)
    assert p1 == _points(r2) and len(p1) == 1  # A and B fall into one "model" series


def test_past_the_cardinality_limit_the_overflow_series_is_the_sdks():
    limit = {"reader": {"cardinality_limits": {Histogram: 2}}}
    (r1, h1), (r2, h2) = _pair(**limit)
    labels = [A, B, C, A, C, B, C] * 2
    _record_both(h1, h2, [0.001 * (i + 1) for i in range(len(labels))], labels)
    p1 = _points(r1)
    assert p1 == _points(r2)
    assert any(("otel.metric.overflow", True) in p[0] for p in p1)


def test_exemplars_are_offered_as_the_sdk_offers_them():
    (r1, h1), (r2, h2) = _pair(exemplar_filter=AlwaysOnExemplarFilter())
    rec = _record_both(h1, h2, VALUES, [A] * len(VALUES))
    assert all(hit[1] is not _PUBLIC for hit in rec._state[1].values())
    p1 = _points(r1, exemplars=True)
    assert p1 == _points(r2, exemplars=True) and p1[0][-1]  # exemplars were kept
    (r1, h1), (r2, h2) = _pair(exemplar_filter=AlwaysOffExemplarFilter())
    _record_both(h1, h2, VALUES, [A] * len(VALUES))
    p1 = _points(r1, exemplars=True)
    assert p1 == _points(r2, exemplars=True) and p1[0][-1] == ()


def test_a_no_op_histogram_is_recorded_through_its_own_record():
    from opentelemetry.metrics import NoOpMeterProvider

    h = NoOpMeterProvider().get_meter("x").create_histogram("h")
    rec = HistogramRecorder(h)
    rec.record_many([1.0, 2.0], [A, B])  # nothing to collect; nothing raised
    assert rec._state[1] == {}


def test_a_label_dict_reused_after_it_was_freed_is_not_confused():
    """The cache is keyed by the dict's id and keeps the dict: an equal new dict at another
    id gets its own entry, and the collected series are still the SDK's."""
    (r1, h1), (r2, h2) = _pair()
    rec = HistogramRecorder(h1)
    rec.record_many([0.001], [dict(A)])
    rec.record_many([0.002], [dict(A)])
    h2.record(0.001, A)
    h2.record(0.002, A)
    assert _points(r1) == _points(r2)


def test_label_dicts_made_afresh_every_time_keep_the_cache_bounded(monkeypatch):
    import infercost.integrations.otel.histogram as H

    monkeypatch.setattr(H, "_MAX_LABEL_SETS", 4)
    (r1, h1), (r2, h2) = _pair()
    rec = HistogramRecorder(h1)
    for i in range(10):
        rec.record_many([0.001 * i, 0.002], [dict(A), dict(B)])
        h2.record(0.001 * i, A)
        h2.record(0.002, B)
        assert len(rec._state[1]) <= 4
    assert _points(r1) == _points(r2)


def test_values_recorded_in_their_spans_context_carry_that_span_in_exemplars():
    from opentelemetry.trace import (
        NonRecordingSpan,
        SpanContext,
        TraceFlags,
        set_span_in_context,
    )

    (r1, h1), (r2, h2) = _pair(exemplar_filter=AlwaysOnExemplarFilter())
    scs = [SpanContext(trace_id=0x10 + i, span_id=0x20 + i, is_remote=False,
                       trace_flags=TraceFlags(TraceFlags.SAMPLED)) for i in range(4)]
    values = [0.001, 0.002, 0.003, 0.004]
    rec = HistogramRecorder(h1)
    rec.record_many(values, [A] * 4, scs)
    for v, sc in zip(values, scs, strict=True):
        h2.record(v, A, context=set_span_in_context(NonRecordingSpan(sc)))

    def exemplars(reader):
        p = reader.get_metrics_data().resource_metrics[0].scope_metrics[0].metrics[0]
        return sorted((e.value, e.span_id, e.trace_id) for e in p.data.data_points[0].exemplars)

    ours = exemplars(r1)
    assert ours == exemplars(r2) and ours  # the SDK keeps some of the four
    assert all(span_id == 0x20 + trace_id - 0x10 for _, span_id, trace_id in ours)
    with pytest.raises(ValueError, match="4 values, 3 label sets"):
        rec.record_many(values, [A] * 3)


def test_a_label_set_first_seen_after_the_cache_filled_still_takes_the_fast_path(monkeypatch):
    import infercost.integrations.otel.histogram as H

    monkeypatch.setattr(H, "_MAX_LABEL_SETS", 4)
    (r1, h1), (r2, h2) = _pair()
    rec = HistogramRecorder(h1)
    early = [{"model": "m", "tenant": f"t{i}", "currency": "USD"} for i in range(10)]
    late = {"model": "m", "tenant": "late", "currency": "USD"}
    values = [0.001 * (i + 1) for i in range(10)]
    rec.record_many(values, early)
    rec.record_many(values, [late] * 10)
    for v, lab in zip(values, early, strict=True):
        h2.record(v, lab)
    for v in values:
        h2.record(v, late)
    cache = rec._state[1]
    # the oldest label sets were forgotten to make room: the late one is cached
    assert len(cache) == 4 and id(late) in cache and cache[id(late)][1] is not _PUBLIC
    assert _points(r1) == _points(r2)


def test_a_reader_added_later_gets_the_values_recorded_after_it():
    reader_a = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader_a])
    h = mp.get_meter("infercost").create_histogram(
        "infercost.cost.per_request", explicit_bucket_boundaries_advisory=list(COST_BUCKETS))
    rec = HistogramRecorder(h)
    rec.record_many([0.001] * 3, [A] * 3)
    reader_b = InMemoryMetricReader()
    mp.add_metric_reader(reader_b)
    rec.record_many([0.002] * 5, [A] * 5)
    assert rec._state[0] is h._measurement_consumer._reader_storages  # found again
    (pa,), (pb,) = _points(reader_a), _points(reader_b)
    assert pa[1] == 8 and pb[1] == 5 and pb[2] == pytest.approx(0.01)  # 5 x 0.002
