"""The cost metrics against the plain OpenTelemetry SDK: what a user collects must be what a
counter `add` and a histogram `record` of the same per-request costs would give.

Cases a fresh user found: a pricer dropped while its meter provider lives, the global
meter provider set after `instrument()`, many tenants, a delta reader past the
cardinality limit, exemplars, tenant values equal in Python but not as text, and a bad
`meter_provider` argument.
"""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import Counter, MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics._internal.exemplar import AlwaysOnExemplarFilter  # noqa: E402
from opentelemetry.sdk.metrics.export import (  # noqa: E402
    AggregationTemporality,
    InMemoryMetricReader,
)
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402

from infercost.errors import InputError  # noqa: E402
from infercost.integrations.otel import instrument  # noqa: E402
from tests.test_otel import T0, Memory, batch, small_table  # noqa: E402

D = Decimal


def _points(reader) -> dict[str, list]:
    data = reader.get_metrics_data()
    out: dict[str, list] = {}
    for rm in (data.resource_metrics if data else ()):
        for sm in rm.scope_metrics:
            for m in sm.metrics:
                out.setdefault(m.name, []).extend(m.data.data_points)
    return out


def _counter(reader) -> dict:
    return {p.attributes.get("tenant"): p.value for p in _points(reader).get("infercost.cost", ())}


def test_the_counter_keeps_the_costs_of_a_pricer_that_was_dropped():
    reader = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader])
    seen = []
    for _ in range(3):  # a config reload: a new tracer provider and pricer each time
        tp = TracerProvider()
        pricer = instrument(tp, small_table(), exporter=Memory(), meter_provider=mp)
        batch(tp, 4)  # 4 x 0.00075 = 0.003 a round
        pricer.force_flush()
        tp.shutdown()
        del tp, pricer
        gc.collect()
        seen.append(_counter(reader)["acme"])
    # cumulative: 0.003, 0.006, 0.009 (before: 0.003 three times, then no point at all)
    assert seen == [pytest.approx(0.003), pytest.approx(0.006), pytest.approx(0.009)]


@pytest.fixture
def fresh_global_meter_provider(monkeypatch):
    """The OpenTelemetry API's global meter provider as in a new process: not set yet."""
    import opentelemetry.metrics._internal as m
    from opentelemetry.util._once import Once

    monkeypatch.setattr(m, "_METER_PROVIDER", None)
    monkeypatch.setattr(m, "_METER_PROVIDER_SET_ONCE", Once())
    monkeypatch.setattr(m, "_PROXY_METER_PROVIDER", m._ProxyMeterProvider())
    return m


def test_a_global_meter_provider_set_after_instrument_gets_every_pricers_costs(
        fresh_global_meter_provider):
    from opentelemetry import metrics

    tp1 = TracerProvider()
    p1 = instrument(tp1, small_table(), exporter=Memory())  # before the app sets one
    batch(tp1, 4, tenant="early")  # priced, but no meter provider yet: not in the metrics
    p1.force_flush()
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    tp2 = TracerProvider()
    p2 = instrument(tp2, small_table(), exporter=Memory())
    batch(tp1, 4, tenant="one")  # 0.003
    batch(tp2, 2, tenant="two")  # 2 x (0.5 s x 0.002 + 0.00025) = 0.0025
    p1.force_flush()
    p2.force_flush()
    # both pricers reach the counter (before: the second's callback was dropped), and the
    # counter and histogram agree (before: the counter also held the 4 early spans)
    assert _counter(reader) == {"one": pytest.approx(0.003), "two": pytest.approx(0.0025)}
    hist = {p.attributes["tenant"]: (p.count, p.sum)
            for p in _points(reader)["infercost.cost.per_request"]}
    assert hist == {"one": (4, pytest.approx(0.003)), "two": (2, pytest.approx(0.0025))}
    assert p1.stats.total == D("0.006")  # stats count every priced span: 0.003 + 0.003


def test_many_tenants_keep_the_pricers_memory_bounded_and_the_metrics_right(monkeypatch):
    import infercost.integrations.otel.histogram as H
    import infercost.integrations.otel.pricing as P

    monkeypatch.setattr(P, "_MAX_LABEL_SETS", 8)
    monkeypatch.setattr(H, "_MAX_LABEL_SETS", 8)
    reader = InMemoryMetricReader()
    tp = TracerProvider()
    pricer = instrument(tp, small_table(), exporter=Memory(),
                        meter_provider=MeterProvider(metric_readers=[reader]))
    for rnd in range(3):
        for t in range(20):  # 20 tenants, one request each (1 s x 0.002 + 0.00025)
            batch(tp, 1, start=T0 + rnd * 10**9, tenant=f"user-{t}")
        pricer.force_flush()
    assert len(pricer._label_sets) <= 8 and len(pricer._labels) <= 8
    assert len(pricer._metrics.recorder._state[1]) <= 8
    counter = _counter(reader)
    assert len(counter) == 20 and all(v == pytest.approx(3 * 0.00225) for v in counter.values())
    hist = _points(reader)["infercost.cost.per_request"]
    assert sorted(p.count for p in hist) == [3] * 20


def test_a_delta_counter_past_the_cardinality_limit_is_the_sdks():
    """Delta temporality with a limit of 4 series: the pricer's counter gives what a
    plain SDK counter given the same costs gives, collection after collection."""
    def provider():
        reader = InMemoryMetricReader(
            preferred_temporality={Counter: AggregationTemporality.DELTA},
            cardinality_limits={Counter: 4})
        return reader, MeterProvider(metric_readers=[reader])

    r1, mp1 = provider()
    r2, mp2 = provider()
    plain = mp2.get_meter("x").create_counter("infercost.cost", unit="USD")
    tp = TracerProvider()
    pricer = instrument(tp, small_table(), exporter=Memory(), meter_provider=mp1)
    for tenants in (range(6), range(6, 8)):  # 6 tenants, then 2 new ones only
        for t in tenants:
            batch(tp, 1, tenant=f"t{t}")
            plain.add(0.00225, {"model": "llama-3.1-8b", "tenant": f"t{t}", "currency": "USD"})
        pricer.force_flush()

        def pts(reader):
            return sorted((tuple(sorted(p.attributes.items())), round(p.value, 12))
                          for p in _points(reader).get("infercost.cost", ()))
        ours = pts(r1)
        assert ours == pts(r2)
    # the second collection: only what changed since the first (delta)
    assert sum(v for _, v in ours) == pytest.approx(2 * 0.00225)


@pytest.mark.parametrize("flush_inside_a_span", [False, True])
def test_exemplars_name_the_request_span(flush_inside_a_span):
    reader = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader], exemplar_filter=AlwaysOnExemplarFilter())
    mem = Memory()
    tp = TracerProvider()
    pricer = instrument(tp, small_table(), exporter=mem, meter_provider=mp)
    batch(tp, 2)
    if flush_inside_a_span:  # e.g. a shutdown hook traced itself
        with tp.get_tracer("x").start_as_current_span("shutdown-hook"):
            pricer.force_flush()
    else:
        pricer.force_flush()
    requests = {s.context.span_id for s in mem.spans if s.name == "chat llama"}
    hist = _points(reader)["infercost.cost.per_request"][0]
    assert hist.exemplars and {e.span_id for e in hist.exemplars} <= requests


def test_tenants_equal_in_python_but_not_as_text_keep_their_own_series():
    reader = InMemoryMetricReader()
    mem = Memory()
    tp = TracerProvider()
    pricer = instrument(tp, small_table(), exporter=mem,
                        meter_provider=MeterProvider(metric_readers=[reader]))
    for tenant in (1, True, 1.0):  # 1 == True == 1.0 in Python
        batch(tp, 1, tenant=tenant)
    pricer.force_flush()
    assert sorted(s.attributes["infercost.tenant"] for s in mem.spans) == ["1", "1.0", "True"]
    assert sorted(_counter(reader)) == ["1", "1.0", "True"]


def test_tenants_zero_and_negative_zero_keep_their_own_series():
    # 0.0 == -0.0 (and hash alike) in Python: the second tenant took the first's labels
    reader = InMemoryMetricReader()
    mem = Memory()
    tp = TracerProvider()
    pricer = instrument(tp, small_table(), exporter=mem,
                        meter_provider=MeterProvider(metric_readers=[reader]))
    for tenant in (0.0, -0.0):
        batch(tp, 1, tenant=tenant)
    pricer.force_flush()
    assert sorted(s.attributes["infercost.tenant"] for s in mem.spans) == ["-0.0", "0.0"]
    assert sorted(_counter(reader)) == ["-0.0", "0.0"]


@pytest.mark.parametrize("bad", ["http://collector:4318", object()])
def test_a_meter_provider_that_is_not_one_is_refused(bad):
    tp = TracerProvider()
    with pytest.raises(InputError, match=r"^instrument\(meter_provider\): expected an OpenTelemetry "):
        instrument(tp, small_table(), exporter=Memory(), meter_provider=bad)
    assert tp._active_span_processor._span_processors == ()


def test_the_counter_names_no_trace_even_when_flushed_inside_a_span():
    """The counter gets one sum per label set per batch: no single request's, so its
    exemplars (AlwaysOn filter) never name the span the flush happened to run in."""
    reader = InMemoryMetricReader()
    mp = MeterProvider(metric_readers=[reader], exemplar_filter=AlwaysOnExemplarFilter())
    tp = TracerProvider()
    pricer = instrument(tp, small_table(), exporter=Memory(), meter_provider=mp)
    batch(tp, 4)
    with tp.get_tracer("x").start_as_current_span("shutdown-hook") as hook:
        pricer.force_flush()
    hook_trace = hook.get_span_context().trace_id
    (point,) = _points(reader)["infercost.cost"]
    assert point.value == pytest.approx(0.003)  # 4 x 0.00075
    assert all(e.trace_id in (None, 0) and e.trace_id != hook_trace for e in point.exemplars)
