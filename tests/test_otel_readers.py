"""The two readers of OTLP/JSON span files: `attribute --usage spans.jsonl`
(`ingest.otel`, spans onto usage rows) and `reprice` (`ingest.spans`, priced spans read
back). Each reads a span as the span pricer does: hosted calls, batch size or replica
concurrency, agent and tool spans, times, odd attribute values, malformed documents and
`infercost.model` first. Small hand-written spans; expectations worked out in comments."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import yaml

from infercost import api
from infercost.errors import InputError
from infercost.ingest.otel import spans_to_rows
from infercost.ingest.spans import read_priced_spans
from tests.conftest import EXAMPLES
from tests.test_reprice import TINY

D = Decimal
T0 = 1_790_812_800_000_000_000  # 2026-10-01T00:00:00Z in ns
S = 1_000_000_000  # ns per second

# TINY (tests/test_reprice.py): one replica, no batching, 7.20 USD/GPU-h = 0.002 USD/s;
# idle 0.0002 USD per request: a 100 ms span costs 0.1 x 0.002 + 0.0002 = 0.0004 USD


def _v(x):
    if isinstance(x, bool):
        return {"boolValue": x}
    if isinstance(x, int):
        return {"intValue": str(x)}
    if isinstance(x, float):
        return {"doubleValue": x if x == x else "NaN"}
    return {"stringValue": str(x)}


def span(sid: str, start_s: float | None, end_s: float | None, **attrs) -> dict:
    """One OTLP/JSON span; attribute keys with `__` for `.`; times in s after T0."""
    sp = {"traceId": "ab" * 16, "spanId": sid, "name": "chat",
          "attributes": [{"key": k.replace("__", "."), "value": _v(x)} for k, x in attrs.items()]}
    if start_s is not None:
        sp["startTimeUnixNano"] = str(T0 + int(start_s * S))
    if end_s is not None:
        sp["endTimeUnixNano"] = str(T0 + int(end_s * S))
    return sp


def doc(*spans, host="host-1") -> dict:
    return {"resourceSpans": [{"resource": {"attributes": [
        {"key": "host.id", "value": {"stringValue": host}}]},
        "scopeSpans": [{"spans": list(spans)}]}]}


def write(path: Path, *docs) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def bill(path: Path, *rows) -> Path:
    """A FOCUS CSV; each row (resource, cost, pricing unit) bills 00:00-01:00 UTC."""
    cols = ["BilledCost", "EffectiveCost", "ListCost", "BillingCurrency", "ChargeCategory",
            "ChargeFrequency", "ChargeDescription", "ChargePeriodStart", "ChargePeriodEnd",
            "BillingPeriodStart", "BillingPeriodEnd", "ProviderName", "ServiceCategory",
            "ServiceName", "SkuId", "ResourceId", "ConsumedQuantity", "ConsumedUnit",
            "PricingUnit", "Region"]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for res, cost, unit in rows:
            w.writerow([cost, cost, cost, "USD", "Usage", "Usage-Based", "charge",
                        "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z", "2026-10-01T00:00:00Z",
                        "2026-11-01T00:00:00Z", "AWS", "Compute", "svc", "sku", res, 1, unit,
                        unit, "us-east-1"])
    return path


def by_tenant(res) -> dict[str, Decimal]:
    a = res.allocations
    a = a[a["kind"] == "allocated"]
    return {t: sum(g["cost"], D(0)) for t, g in a.groupby("tenant")}


L = {"gen_ai__operation__name": "chat", "gen_ai__request__model": "llama-3.1-8b"}


# -- 1. hosted API calls take no share of the host's time ---------------------------------
def test_a_hosted_call_takes_no_share_of_its_hosts_replica_time(tmp_path):
    spans = write(tmp_path / "s.jsonl", doc(
        *[span(f"a{i}", 60, 62, **L, infercost__tenant="A", infercost__batch__size=4,
               infercost__batch__index=i) for i in range(4)],
        # a gpt-4o call made from the same host (resource host.id host-1), tenant C
        span("c0", 120, 126, gen_ai__provider__name="openai", gen_ai__request__model="gpt-4o",
             infercost__tenant="C", gen_ai__usage__input_tokens=1000,
             gen_ai__usage__output_tokens=200),
        # a hosted call the pricer priced from an unlisted provider's tokens (source provider)
        span("d0", 130, 136, gen_ai__provider__name="fireworks", gen_ai__request__model="x",
             infercost__tenant="D", gen_ai__usage__cost__source="provider")))
    res = api.attribute(bill(tmp_path / "b.csv", ("host-1", "10", "Hrs")), usage=spans)
    # before: A 4 x 0.5 s = 2 s and C 6 s of the host's 8 busy seconds: C got 7.50 of 10.
    # now the host's 10 USD go to A's 4 requests alone: 10 / 4 = 2.50 each
    assert by_tenant(res) == {"A": D("10")}
    rows = res.summary["rows"]
    assert rows["usage_allocated"] == 4
    assert rows["usage_rejected_by_reason"] == {
        "rejected: hosted API call: billed by its provider": 2}
    assert any("2 hosted API calls" in n for n in res.summary["notes"])


def test_a_hosted_call_with_its_own_resource_takes_its_per_token_bill_row(tmp_path):
    # the span names the per-token bill row's resource (cloud.resource_id): rule R2'
    spans = write(tmp_path / "s.jsonl", doc(
        span("a0", 60, 62, **L, infercost__tenant="A"),
        span("c0", 120, 126, gen_ai__provider__name="aws.bedrock",
             gen_ai__request__model="claude", infercost__tenant="C",
             cloud__resource_id="bedrock-claude", gen_ai__usage__input_tokens=300,
             gen_ai__usage__output_tokens=100),
        span("c1", 130, 131, gen_ai__provider__name="aws.bedrock",
             gen_ai__request__model="claude", infercost__tenant="E",
             cloud__resource_id="bedrock-claude", gen_ai__usage__input_tokens=100,
             gen_ai__usage__output_tokens=0)))
    res = api.attribute(bill(tmp_path / "b.csv", ("host-1", "10", "Hrs"),
                             ("bedrock-claude", "2", "1K Tokens")), usage=spans)
    # host-1's 10 USD: A alone; bedrock's 2 USD by tokens 400 : 100 -> C 1.6, E 0.4
    assert by_tenant(res) == {"A": D("10"), "C": D("1.6"), "E": D("0.4")}
    assert res.summary["rows"]["usage_rejected"] == 0


# -- 2. replica concurrency divides as the pricer divides ---------------------------------
def test_replica_concurrency_divides_the_duration_when_there_is_no_batch_size(tmp_path):
    rows, _ = spans_to_rows(doc(span("b0", 0, 2, **L, infercost__replica__concurrency=4)), "f")
    assert rows[0]["duration_ms"] == 500.0  # 2,000 ms / 4
    rows, _ = spans_to_rows(doc(span("b0", 0, 2, **L, infercost__batch__size=2,
                                     infercost__replica__concurrency=4)), "f")
    assert rows[0]["duration_ms"] == 1000.0  # the batch size wins: 2,000 / 2
    rows, _ = spans_to_rows(doc(span("b0", 0, 2, **L)), "f")
    assert rows[0]["duration_ms"] == 2000.0  # neither: the whole duration
    spans = write(tmp_path / "s.jsonl", doc(
        *[span(f"a{i}", 60, 62, **L, infercost__tenant="A", infercost__batch__size=4,
               infercost__batch__index=i) for i in range(4)],
        *[span(f"b{i}", 120, 122, **L, infercost__tenant="B",
               infercost__replica__concurrency=4) for i in range(4)]))
    res = api.attribute(bill(tmp_path / "b.csv", ("host-1", "10", "Hrs")), usage=spans)
    # A and B held the replica equally (4 x 0.5 s each): 5 and 5 (before: 2 and 8)
    assert by_tenant(res) == {"A": D("5"), "B": D("5")}


# -- 3. agent and tool spans are not requests ----------------------------------------------
def test_agent_and_tool_spans_are_skipped_by_both_readers(tmp_path):
    agent = {"gen_ai__request__model": "llama-3.1-8b", "gen_ai__usage__input_tokens": 50}
    d = doc(span("c0", 0, 1, **L),
            span("g0", 0, 3, **agent, gen_ai__operation__name="invoke_agent"),
            span("t0", 1, 2, gen_ai__operation__name="execute_tool", gen_ai__tool__name="x"),
            span("g1", 0, 3, **agent, gen_ai__operation__name="Create_Agent"))
    rows, n = spans_to_rows(d, "f")
    assert n == 4 and [r["request_id"].split(":")[1] for r in rows] == ["c0"]
    stored = read_priced_spans([write(tmp_path / "s.jsonl", d)])
    # 4 spans read, 1 inference span; the agent and tool spans are skipped
    assert [s.span_id for s in stored.spans] == ["c0"]
    assert (stored.total, stored.skipped, stored.not_inference) == (4, 3, 3)


# -- 4. a span without an end (or start) time ------------------------------------------------
@pytest.mark.parametrize("times", [(0, None), (None, 1)])
def test_a_span_without_an_end_or_start_time_is_refused_by_both_readers(tmp_path, times):
    d = doc(span("e0", *times, **L))
    with pytest.raises(InputError, match="expected startTimeUnixNano and endTimeUnixNano"):
        spans_to_rows(d, "f")  # before: read as 0 ms
    with pytest.raises(InputError, match="span e0: expected startTimeUnixNano"):
        read_priced_spans([write(tmp_path / "s.jsonl", d)])  # before: 0 busy time


# -- 5. reprice: an odd batch size is one unpriced span; its old cost is kept apart --------
def _priced(sid, start_s, end_s, cost, **attrs):
    return span(sid, start_s, end_s, infercost__cost__amount_decimal=cost,
                gen_ai__usage__cost__currency="USD",
                infercost__price_table__version="old@2026-01-01", **attrs)


def test_reprice_counts_odd_batch_sizes_as_unpriced_and_keeps_their_old_costs_apart(tmp_path):
    sc = tmp_path / "tiny.yaml"
    sc.write_text(yaml.safe_dump(TINY))
    m = {"gen_ai__request__model": "m"}
    f = write(tmp_path / "s.jsonl", doc(
        _priced("p0", 0, 0.1, "0.0008", **m),  # repriced: 0.1 s x 0.002 + 0.0002 = 0.0004
        _priced("p1", 1, 1.1, "0.0008", **m, infercost__batch__size=2.5),  # hand-edited
        # what the pricer left unpriced: batch size True, NaN and 2.5
        *[span(f"u{i}", 2, 3, **m, infercost__batch__size=v,
               infercost__cost__unpriced_reason="bad infercost.batch.size")
          for i, v in enumerate([True, float("nan"), 2.5])],
        span("u3", 2, 3, **m, infercost__batch__size=2, infercost__batch__index="x",
             infercost__cost__unpriced_reason="bad infercost.batch.index")))
    res = api.reprice(f, scenario=sc)  # before: exit 2 for the whole file
    assert res.unpriced == {"bad infercost.batch.size": 3, "bad infercost.batch.index": 1,
                            "new table: bad infercost.batch.size": 1}
    # old and new over the one span both tables price: 0.0008 -> 0.0004; the hand-edited
    # span's stored 0.0008 is kept apart (old_unpriced), so old + old_unpriced is the file's
    assert (res.old_total, res.new_total, res.old_unpriced_total) == (D("0.0008"), D("0.0004"), D("0.0008"))
    (row,) = res.rows
    assert (row.spans, row.unpriced_new, row.old_unpriced) == (1, 1, D("0.0008"))
    assert res.to_dict()["spans"]["unpriced_new"] == 1


def test_reprice_keeps_apart_the_old_cost_of_a_span_the_new_table_cannot_price(tmp_path):
    f = write(tmp_path / "s.jsonl", doc(
        _priced("h0", 0, 1, "0.0125", gen_ai__provider__name="openai",
                gen_ai__request__model="gpt-4o", gen_ai__usage__input_tokens=1000,
                gen_ai__usage__output_tokens=1000),
        _priced("h1", 0, 1, "0.5", gen_ai__provider__name="openai",
                gen_ai__request__model="gpt-retired", gen_ai__usage__input_tokens=1000,
                gen_ai__usage__output_tokens=1000)))
    res = api.reprice(f, scenario=EXAMPLES / "chatbot.yaml")
    # gpt-4o: 1000 / 1e6 x 2.50 + 1000 / 1e6 x 10.00 = 0.0125 again; gpt-retired has no
    # price in the new table: its 0.5 is in neither total (old and new cover the same
    # spans) but kept apart, so old + old_unpriced = 0.5125, the file's
    assert res.unpriced == {"new table: no price for provider openai model gpt-retired": 1}
    assert (res.old_total, res.new_total, res.old_unpriced_total) == (D("0.0125"), D("0.0125"), D("0.5"))
    rows = {r.model: r for r in res.rows}
    assert (rows["gpt-retired"].spans, rows["gpt-retired"].unpriced_new) == (0, 1)
    assert (rows["gpt-retired"].old, rows["gpt-retired"].new, rows["gpt-retired"].old_unpriced) == (
        D(0), D(0), D("0.5"))


# -- 6. whole numbers written as strings or floats ------------------------------------------
@pytest.mark.parametrize("n", [4, "4", 4.0, "4.0"])
def test_attribute_reads_whole_number_batch_sizes_as_the_pricer(n):
    rows, _ = spans_to_rows(doc(span("a0", 0, 0.1, **L, infercost__batch__size=n)), "f")
    assert rows[0]["duration_ms"] == pytest.approx(25.0)  # 100 ms / 4 (before: "4" refused)


@pytest.mark.parametrize("n", ["2.5", 2.5, True, "four", 0, float("nan")])
def test_a_batch_size_that_is_not_a_whole_number_leaves_no_duration(n):
    """The span pricer leaves such a span unpriced; attribute read it as a reason to
    refuse the whole file. Now only that request's busy share is unknown."""
    rows, _ = spans_to_rows(doc(span("a0", 0, 0.1, **L, infercost__batch__size=n),
                                span("a1", 0, 0.1, **L)), "f")
    assert [r["duration_ms"] for r in rows] == [None, pytest.approx(100.0)]


def test_attribute_reads_a_spans_file_with_one_bad_batch_size(tmp_path):
    """End to end: the other spans are allocated, the one without a usable batch size is
    rejected as `no duration_ms` under the duration driver, and the usage note counts it."""
    spans = tmp_path / "spans.json"
    spans.write_text(json.dumps(doc(span("a0", 0, 0.1, **L, infercost__batch__size="2.5"),
                                    span("a1", 0, 0.1, **L))))
    res = api.attribute(bill(tmp_path / "b.csv", ("host-1", "10", "Hrs")), usage=spans,
                        out=tmp_path / "o")
    req = pd.read_parquet(tmp_path / "o" / "requests.parquet").set_index("request_id")
    got = {k.rsplit(":", 1)[1]: v for k, v in req["allocation"].items()}
    assert got == {"a0": "rejected: no duration_ms", "a1": "allocated"}
    s = res.summary
    assert s["conservation"]["holds"] and s["rows"]["usage_read"] == 2
    assert any("1 span with a batch size or concurrency that is not a whole number >= 1: "
               "no duration_ms (busy share unknown)" in n for n in s["notes"])


# -- 7. malformed documents: one line, not a traceback ---------------------------------------
@pytest.mark.parametrize(("text", "error"), [
    ('{"resourceSpans":[{"scopeSpans":"oops"}]}', "scopeSpans: expected a list of objects"),
    ('{"resourceSpans":[{"scopeSpans":[{"spans":["x"]}]}]}',
     "spans: expected a list of objects, got a list holding str"),
    ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"a","startTimeUnixNano":"1",'
     '"endTimeUnixNano":"2","attributes":[{"key":"gen_ai.usage.input_tokens",'
     '"value":{"intValue":"abc"}}]}]}]}]}',
     "span a: attribute gen_ai.usage.input_tokens: intValue: expected an integer, got 'abc'"),
    ('{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"a","attributes":"x"}]}]}]}',
     "span a: attributes: expected a list"),
])
def test_malformed_documents_are_one_input_error_in_both_readers(tmp_path, text, error):
    f = tmp_path / "s.jsonl"
    f.write_text(text + "\n")
    with pytest.raises(InputError, match=error):
        read_priced_spans([f])
    with pytest.raises(InputError, match=error):
        spans_to_rows(json.loads(text), str(f))


# -- 8. infercost.model first -----------------------------------------------------------------
def test_both_readers_read_the_model_a_span_was_priced_as_first(tmp_path):
    sp = _priced("f0", 0, 1, "0.001", infercost__model="llama-3.1-8b",
                 gen_ai__response__model="acme-ft", gen_ai__operation__name="chat")
    rows, _ = spans_to_rows(doc(sp), "f")
    assert rows[0]["model"] == "llama-3.1-8b"
    f = write(tmp_path / "s.jsonl", doc(sp))
    assert read_priced_spans([f]).spans[0].model == "llama-3.1-8b"
    res = api.reprice(f, scenario=EXAMPLES / "chatbot.yaml")
    # repriced as the scenario's model, not refused as "model 'acme-ft' is not ..."
    assert [r.model for r in res.rows] == ["llama-3.1-8b"] and not res.unpriced
    assert res.rows[0].spans == 1 and res.new_total > 0


def test_the_usage_notes_say_what_was_skipped(tmp_path):
    spans = write(tmp_path / "s.jsonl", doc(
        span("c0", 0, 1, **L, infercost__tenant="A"),
        span("g0", 0, 3, gen_ai__operation__name="invoke_agent", gen_ai__request__model="x")))
    res = api.attribute(bill(tmp_path / "b.csv", ("host-1", "10", "Hrs")), usage=spans)
    assert any("1 of 2 spans" in n and "1 agent or tool span" in n
               for n in res.summary["notes"])
    assert pd.notna(by_tenant(res)["A"])


# -- second round: catalog providers, duplicates, the pricer's divisor, int64 tokens ------
def test_a_catalog_api_provider_is_hosted_even_when_the_pricer_left_it_unpriced(tmp_path):
    # together and deepinfra have token prices in the built-in catalog (not OTel well-known
    # names): calls to them never take host time, priced or not
    spans = write(tmp_path / "s.jsonl", doc(
        *[span(f"a{i}", 60, 62, **L, infercost__tenant="A", infercost__batch__size=4,
               infercost__batch__index=i) for i in range(4)],
        span("f0", 120, 130, gen_ai__provider__name="together",
             gen_ai__request__model="qwen-9-999b", infercost__tenant="F",
             gen_ai__usage__input_tokens=1000, gen_ai__usage__output_tokens=1000),
        span("g0", 130, 140, gen_ai__provider__name="deepinfra",
             gen_ai__request__model="llama-3.1-8b", infercost__tenant="G")))
    res = api.attribute(bill(tmp_path / "b.csv", ("host-1", "10", "Hrs")), usage=spans)
    # before: F and G 10 s each against A's 4 x 0.5 s: F 4.545, G 4.545, A 0.909
    assert by_tenant(res) == {"A": D("10")}
    assert res.summary["rows"]["usage_rejected_by_reason"] == {
        "rejected: hosted API call: billed by its provider": 2}


def test_a_span_read_twice_is_counted_once(tmp_path):
    one = doc(span("a0", 60, 61, **L, infercost__tenant="A"),
              span("b0", 120, 123, **L, infercost__tenant="B"))
    again = doc(span("b0", 120, 123, **L, infercost__tenant="B"))  # the same span, resent
    f1, f2 = write(tmp_path / "1.jsonl", one), write(tmp_path / "2.jsonl", again)
    b = bill(tmp_path / "b.csv", ("host-1", "8", "Hrs"))
    res = api.attribute(b, usage=[f1, f2])
    # once each: A 1 s, B 3 s of 4 s: 2 and 6 (before: B counted twice, 6 of 7 s: 6.857)
    assert by_tenant(res) == {"A": D("2"), "B": D("6")}
    assert res.summary["rows"]["usage_read"] == 2
    assert any("1 span read again (same traceId and spanId) counted once" in n
               for n in res.summary["notes"])
    # every distinct span carries gen_ai attributes: "2 of 3" counted the copy among them
    assert any(n.startswith("OTel: 2 of 2 spans carry gen_ai attributes; 1 span read again")
               for n in res.summary["notes"]), res.summary["notes"]


def test_a_span_read_twice_is_one_span_of_the_counts(tmp_path):
    from infercost.ingest.otel import read_spans

    # a plain server span (no gen_ai attribute) resent too: each span counted once
    one = doc(span("a0", 60, 61, **L), span("s0", 60, 62, http__route="/x"))
    f1, f2 = write(tmp_path / "1.jsonl", one), write(tmp_path / "2.jsonl", one)
    _, c = read_spans([f1, f2])
    assert (c.total, c.used, c.duplicates) == (2, 1, 2)


def test_the_pricers_divisor_splits_a_span_with_no_batch_size_or_concurrency(tmp_path):
    # the pricer wrote infercost.cost.divisor 32 (the scenario's concurrency) on a span
    # with neither attribute: attribute splits its time as the pricer did
    spans = write(tmp_path / "s.jsonl", doc(
        span("a0", 60, 61, **L, infercost__tenant="A", infercost__replica__concurrency=8),
        span("b0", 120, 121, **L, infercost__tenant="B", infercost__cost__divisor=32)))
    res = api.attribute(bill(tmp_path / "b.csv", ("host-1", "10", "Hrs")), usage=spans)
    # A 1 s / 8 = 0.125 s, B 1 s / 32 = 0.03125 s: 4 : 1 of 10 USD -> 8 and 2
    # (before: B's whole second: A 1.11, B 8.89)
    assert by_tenant(res) == {"A": D("8"), "B": D("2")}


def test_token_counts_are_read_exactly_up_to_int64(tmp_path):
    big = 2**60 + 1  # past 2**53: a double would round it
    rows, _ = spans_to_rows(doc(span("a0", 0, 1, **L, gen_ai__usage__input_tokens=big)), "f")
    assert rows[0]["input_tokens"] == big
    with pytest.raises(InputError, match="below 2\\*\\*63"):
        spans_to_rows(doc(span("a0", 0, 1, **L, gen_ai__usage__input_tokens=2**64)), "f")


@pytest.mark.parametrize("n", [12.7, "12.7", "12.5", -0.5])
def test_a_fractional_token_count_is_refused_naming_the_span(n):
    """12.7 (a doubleValue or stringValue) was cut to 12; a CSV log refuses it."""
    with pytest.raises(InputError) as e:
        spans_to_rows(doc(span("a0", 0, 1, **L, gen_ai__usage__input_tokens=7),
                          span("a1", 0, 1, **L, gen_ai__usage__input_tokens=n)), "f")
    assert (e.value.message, e.value.where) == (
        f"gen_ai.usage.input_tokens: expected a token count (a whole number), got {n!r}",
        "f: span a1")


@pytest.mark.parametrize(("n", "read"), [(12.0, 12), ("12", 12), (" 12 ", 12), ("1e3", 1000),
                                         (str(2**60 + 1), 2**60 + 1)])
def test_whole_token_counts_written_as_doubles_or_text_are_read(n, read):
    rows, _ = spans_to_rows(doc(span("a0", 0, 1, **L, gen_ai__usage__output_tokens=n)), "f")
    assert rows[0]["output_tokens"] == read and type(rows[0]["output_tokens"]) is int


def test_the_terminal_report_names_each_rejection_reason_and_the_notes(tmp_path, capsys):
    from infercost.cli import main

    spans = write(tmp_path / "s.jsonl", doc(
        span("a0", 60, 61, **L, infercost__tenant="A"),
        span("c0", 120, 126, gen_ai__provider__name="openai", gen_ai__request__model="gpt-4o",
             infercost__tenant="C")))
    b = bill(tmp_path / "b.csv", ("host-1", "10", "Hrs"))
    main(["attribute", "--bill", str(b), "--usage", str(spans), "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert "rejected 1: hosted API call: billed by its provider" in out
    assert "note: OTel: 2 of 2 spans carry gen_ai attributes; 1 hosted API call" in out
