"""Stored spans priced again with a newer price table (api.reprice, `infercost reprice`)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import yaml

pytest.importorskip("opentelemetry.sdk")

from opentelemetry.sdk.metrics import MeterProvider  # noqa: E402
from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: E402
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402

from infercost import api  # noqa: E402
from infercost.integrations.otel import OtlpJsonFileExporter, instrument  # noqa: E402
from tests.conftest import EXAMPLES, ROOT  # noqa: E402

D = Decimal
T0 = 1_790_812_800_000_000_000
MS = 1_000_000

#: one replica, no batching, 7.20 USD/GPU-h = 0.002 USD/s; 5 requests/s of 100 ms keep it
#: busy half the hour: idle 1,800 s x 0.002 / 18,000 requests = 0.0002 USD per request
TINY = {"name": "tiny", "currency": "USD",
        "workload": {"arrivals": {"process": "constant", "rate_per_s": 5}, "duration_s": 3600},
        "service": {"distribution": "constant", "mean_ms": 100},
        "deployment": {"hardware": "h100-sxm", "replicas": 1,
                       "pricing": {"provider": "aws", "plan": "on-demand",
                                   "price_per_gpu_hour": 7.2}}}


def record(path, scenario, spans, **overrides):
    """Run `spans` ((tenant, ms, model or None)) through instrument into `path`
    (`price`: another price per GPU-hour)."""
    tp = TracerProvider()
    if "price" in overrides:
        scenario = api.price_table(scenario,
                                   deployment__pricing__price_per_gpu_hour=overrides["price"])
    pricer = instrument(tp, scenario, exporter=OtlpJsonFileExporter(path),
                        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    tr = tp.get_tracer("svc")
    for i, (tenant, ms, model) in enumerate(spans):
        attrs = {"gen_ai.operation.name": "chat", "tenant.id": tenant}
        if model:
            attrs["gen_ai.request.model"] = model
        s = tr.start_span("chat", start_time=T0 + i * 1000 * MS, attributes=attrs)
        s.end(end_time=T0 + i * 1000 * MS + ms * MS)
    tr.start_span("GET /health").end()
    pricer.force_flush()
    return pricer


@pytest.fixture
def tiny(tmp_path):
    sc = tmp_path / "tiny.yaml"
    sc.write_text(yaml.safe_dump(TINY))
    spans = tmp_path / "spans.jsonl"
    pricer = record(spans, sc, [("acme", 100, "m"), ("acme", 100, "m"), ("globex", 300, "m"),
                                ("acme", 100, None)])
    return sc, spans, pricer


def test_reprice_with_a_lower_price(tiny):
    sc, spans, pricer = tiny
    # recorded: acme 2 x (0.1 s x 0.002 + 0.0002) = 0.0008; globex 0.3 x 0.002 + 0.0002 = 0.0008
    assert pricer.stats.total == D("0.0016") and pricer.stats.unpriced == {"missing model": 1}
    res = api.reprice(spans, scenario=sc, deployment__pricing__price_per_gpu_hour=3.6)
    # at 3.60 USD/GPU-h = 0.001 USD/s, idle 0.0001 per request:
    # acme 2 x (0.1 x 0.001 + 0.0001) = 0.0004; globex 0.3 x 0.001 + 0.0001 = 0.0004
    rows = {r.tenant: r for r in res.rows}
    assert (rows["acme"].spans, rows["acme"].old, rows["acme"].new) == (2, D("0.0008"), D("0.0004"))
    assert (rows["globex"].old, rows["globex"].new) == (D("0.0008"), D("0.0004"))
    assert res.old_total == D("0.0016") and res.new_total == D("0.0008")
    assert res.unpriced == {"missing model": 1} and res.spans == 5
    assert res.old_versions == (pricer.table.version,) and res.new_version != pricer.table.version
    df = res.to_frame()
    assert list(df["tenant"]) == ["acme", "globex"] and df["new"].sum() == D("0.0008")
    # the same table: the same figures
    same = api.reprice(spans, scenario=sc)
    assert same.new_total == same.old_total and same.new_version == pricer.table.version


def test_reprice_cli_json_table_and_csv(tiny, cli, tmp_path, monkeypatch):
    sc, spans, _ = tiny
    code, out, err = cli("reprice", spans, "--scenario", sc, "--set",
                         "deployment.pricing.price_per_gpu_hour=3.6", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["total"] == {"old": "0.0016", "new": "0.0008", "change": "-0.0008", "old_unpriced": "0"}
    # 5 spans read: 3 repriced, 1 without a model, the health check not an inference
    assert d["spans"] == {"total": 5, "repriced": 3, "unpriced_new": 0,
                          "unpriced": {"missing model": 1},
                          "skipped": 1, "duplicates": 0}
    monkeypatch.setenv("COLUMNS", "80")
    csv = tmp_path / "reprice.csv"
    code, out, err = cli("reprice", spans, "--scenario", sc, "--csv", csv)
    assert code == 0, err
    # the table fits 80 columns; the "wrote PATH" line is as long as the temporary path
    assert all(len(line) <= 80 for line in out.splitlines() if not line.startswith("wrote ")), out
    assert "unpriced: missing model 1" in out and "globex" in out
    assert "5 spans read, 3 repriced, 1 not inference spans (skipped)" in out
    head, *rows = csv.read_text().splitlines()
    assert head.startswith("model,version,tenant,spans,old,new")
    # the exact money strings of --json, not the 4-significant-digit terminal figures
    assert rows[-1] == "total,,,3,0.0016,0.0016,0"


def test_reprice_with_a_new_catalog(tmp_path, cli):
    spans = tmp_path / "spans.jsonl"
    # 32 s alone on the chatbot's replica (no batch attribute): / 32 concurrent = 1 replica-s
    pricer = record(spans, EXAMPLES / "chatbot.yaml", [("acme", 32_000, "llama-3.1-8b")])
    old = pricer.stats.total
    res = api.reprice(spans, scenario=EXAMPLES / "chatbot.yaml",
                      catalog=ROOT / "tests" / "data" / "reprice-catalog.yaml")
    assert res.new_version.endswith("@2026-12-01")  # the new catalog's date
    new_table = api.price_table(EXAMPLES / "chatbot.yaml",
                                catalog=ROOT / "tests" / "data" / "reprice-catalog.yaml")
    # busy: 1 replica-s x 6.88/3600 -> x 5.16/3600 (0.001911111111111111 -> 0.001433333333333333)
    busy_old, busy_new = D("0.001911111111111111"), D("0.001433333333333333")
    assert new_table.replica_price_per_s == busy_new
    others_old = pricer.table.idle_per_inference + sum(p.amount for p in pricer.table.per_inference)
    others_new = new_table.idle_per_inference + sum(p.amount for p in new_table.per_inference)
    assert old == busy_old + others_old
    assert res.new_total == busy_new + others_new and res.new_total < old


def test_reprice_sums_stay_exact_past_28_digits():
    from infercost.econ.spanprice import PriceTable
    from infercost.ingest.spans import StoredSpan, StoredSpans

    # 123,456 USD with 27 decimals: 33 digits, beyond Decimal's default 28
    big = D("123456.123456789012345678901234567")
    table = PriceTable("t", "USD", "m", D("0.002"), 1, D(0))
    spans = tuple(StoredSpan(str(i), 1_000_000_000, 1, 0, None, None, None, "m", "1", "acme",
                             big, "v0", "USD") for i in range(3))
    res = api.RepriceResult.build(StoredSpans(spans, 3), table)
    assert res.old_total == D("370368.370370367037037036703703701")  # 3 x big, every digit
    assert res.new_total == D("0.006")  # 3 x 1 s x 0.002
    assert res.rows[0].change == D("-370368.364370367037037036703703701")  # 0.006 - the above


def minilm(tmp_path):
    """TINY serving a named model that is not the chatbot's."""
    sc = tmp_path / "minilm.yaml"
    sc.write_text(yaml.safe_dump({**TINY, "name": "minilm",
                                  "model": {"name": "all-minilm-l6-v2"}}))
    return sc


def test_spans_of_another_model_are_not_repriced_with_the_scenario(tmp_path, cli):
    spans = tmp_path / "spans.jsonl"
    # one file, two services: 2 llama spans priced by the chatbot, 3 MiniLM ones by theirs
    record(spans, EXAMPLES / "chatbot.yaml", [("acme", 32_000, "llama-3.1-8b")] * 2)
    record(spans, minilm(tmp_path), [("acme", 100, "all-minilm-l6-v2")] * 3)
    res = api.reprice(spans, scenario=EXAMPLES / "chatbot.yaml")
    assert [(r.model, r.spans) for r in res.rows] == [("llama-3.1-8b", 2)]
    assert res.unpriced == {"model 'all-minilm-l6-v2' is not the scenario's 'llama-3.1-8b'": 3}
    assert res.spans == 7 and res.skipped == 2  # two health checks
    # the MiniLM spans alone: none is the chatbot's, so nothing to reprice: exit 2, one line
    only = tmp_path / "minilm.jsonl"
    record(only, minilm(tmp_path), [("acme", 100, "all-minilm-l6-v2")] * 3)
    code, out, err = cli("reprice", only, "--scenario", EXAMPLES / "chatbot.yaml")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1, err
    assert "minilm.jsonl: none of the 3 priced spans is for scenario 'support-chatbot' " \
           "(model 'all-minilm-l6-v2' is not the scenario's 'llama-3.1-8b')" in err
    # the llama spans with a BERT scenario: the same
    code, _, err = cli("reprice", spans, "--scenario", EXAMPLES / "sentiment-bert.yaml")
    assert code == 2 and "is not the scenario's 'bert-base'" in err


def test_a_scenario_without_a_model_reprices_only_its_own_spans(tiny, tmp_path):
    sc, spans, _ = tiny  # TINY names no model; its spans carry infercost.scenario "tiny"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({**TINY, "name": "other"}))
    from infercost.errors import InputError

    with pytest.raises(InputError, match="none of the 3 priced spans is for scenario "
                                             "'other' \\(scenario 'tiny' is not 'other'\\)"):
        api.reprice(spans, scenario=other)


def test_spans_priced_with_two_tables_are_shown_per_table(tiny, tmp_path, cli, monkeypatch):
    sc, spans, pricer = tiny
    cheaper = tmp_path / "spans-cheaper.jsonl"
    record(cheaper, sc, [("acme", 100, "m")], price=3.6)
    # the same file twice: its spans count once, the duplicates are said
    code, out, err = cli("reprice", spans, cheaper, cheaper, "--scenario", sc, "--json")
    assert code == 0, err
    d = json.loads(out)
    new_v = pricer.table.version
    old = {v: n for v, n in d["price_table"]["old_version_spans"].items()}
    assert old[new_v] == 3 and sum(old.values()) == 4 and len(old) == 2
    assert d["spans"]["duplicates"] == 2 and d["spans"]["total"] == 7  # 5 + 2 (span, health)
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli("reprice", spans, cheaper, cheaper, "--scenario", sc)
    assert "price table: 2 old versions" in out and f"old price table {new_v}: 3 spans" in out
    assert "2 duplicate spans (same traceId and spanId) counted once" in out


def test_hosted_spans_round_trip_through_reprice(tmp_path):
    spans = tmp_path / "spans.jsonl"
    tp = TracerProvider()
    pricer = instrument(tp, EXAMPLES / "chatbot.yaml", exporter=OtlpJsonFileExporter(spans),
                        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    tp.get_tracer("svc").start_span("chat", attributes={
        "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.output_tokens": 1000}).end()
    pricer.force_flush()
    res = api.reprice(spans, scenario=EXAMPLES / "chatbot.yaml")
    # 1000 / 1e6 x 2.50 + 1000 / 1e6 x 10.00 = 0.0125 USD, before and after
    assert res.old_total == res.new_total == D("0.0125") and not res.unpriced
    # a file from before the currency was written: counted as unpriced, not an exit 2
    old = tmp_path / "old.jsonl"
    old.write_text(spans.read_text().replace('{"key":"gen_ai.usage.cost.currency",'
                                             '"value":{"stringValue":"USD"}},', ""))
    assert "gen_ai.usage.cost.currency" not in old.read_text()
    res = api.reprice(old, scenario=EXAMPLES / "chatbot.yaml")
    assert res.unpriced == {"stored cost without gen_ai.usage.cost.currency": 1}


def test_a_priced_span_without_a_model_is_not_repriced(tiny, tmp_path):
    _, spans, _ = tiny
    docs = [json.loads(line) for line in spans.read_text().splitlines()]
    for d in docs:
        for rs in d["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for sp in ss["spans"]:
                    sp["attributes"] = [a for a in sp.get("attributes", [])
                                        if a["key"] != "gen_ai.request.model"]
    bare = tmp_path / "bare.jsonl"
    bare.write_text("".join(json.dumps(d) + "\n" for d in docs))
    res = api.reprice(bare, scenario=tmp_path / "tiny.yaml")
    # the 3 priced spans lost their model, the 4th never had one: as the processor says
    assert res.unpriced == {"missing model": 4} and not res.rows


def test_hosted_calls_with_cached_tokens_reprice_at_what_the_pricer_charged(tmp_path):
    # the chatbot's catalog: gpt-4o 2.50 input, 1.25 cached input, 10.00 output per 1M.
    # 1,000 input of which 800 cached, 100 output: 200 x 2.5e-6 = 0.0005, 800 x 1.25e-6 =
    # 0.001, 100 x 1e-5 = 0.001: 0.0025 (0.0035 if the cached tokens were priced in full)
    spans = tmp_path / "spans.jsonl"
    tp = TracerProvider()
    chatbot = EXAMPLES / "chatbot.yaml"
    pricer = instrument(tp, chatbot, exporter=OtlpJsonFileExporter(spans),
                        meter_provider=MeterProvider(metric_readers=[InMemoryMetricReader()]))
    tp.get_tracer("svc").start_span("chat gpt-4o", attributes={
        "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_read.input_tokens": 800,
        "gen_ai.usage.output_tokens": 100}).end()
    pricer.force_flush()
    assert pricer.stats.total == D("0.0025")
    r = api.reprice(spans, scenario=chatbot)
    assert r.old_total == D("0.0025") and r.new_total == D("0.0025") and not r.unpriced


def test_a_span_the_new_table_cannot_price_is_left_out_of_both_old_and_new(tiny, tmp_path, cli,
                                                                         monkeypatch):
    sc, spans, _ = tiny
    # the first acme span ends before it starts (a hand-edited or clock-skewed file): the
    # new table cannot price it ("negative duration"); its stored cost is 0.0004
    docs = [json.loads(line) for line in spans.read_text().splitlines()]
    sp = docs[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert {"key": "tenant.id", "value": {"stringValue": "acme"}} in sp["attributes"]
    sp["endTimeUnixNano"] = str(int(sp["startTimeUnixNano"]) - 1_000_000_000)
    neg = tmp_path / "negdur.jsonl"
    neg.write_text("".join(json.dumps(d) + "\n" for d in docs))
    res = api.reprice(neg, scenario=sc, deployment__pricing__price_per_gpu_hour=3.6)
    assert res.unpriced == {"missing model": 1, "new table: negative duration": 1}
    rows = {r.tenant: r for r in res.rows}
    acme = rows["acme"]
    # old and new over the same span (the one both tables price): 0.0004 -> 0.0002, -50%
    # (before: old 0.0008 for two spans against new 0.0002 for one, -75%)
    assert (acme.spans, acme.old, acme.new, acme.change) == (1, D("0.0004"), D("0.0002"), D("-0.0002"))
    assert (acme.unpriced_new, acme.old_unpriced) == (1, D("0.0004"))
    assert (res.old_total, res.new_total) == (D("0.0012"), D("0.0006"))
    assert res.old_unpriced_total == D("0.0004")  # the dollars left out are said, not dropped
    d = res.to_dict()
    assert d["total"] == {"old": "0.0012", "new": "0.0006", "change": "-0.0006", "old_unpriced": "0.0004"}
    assert [(r["tenant"], r["unpriced_new"], r["old_unpriced"]) for r in d["rows"]] == [
        ("acme", 1, "0.0004"), ("globex", 0, "0")]
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli("reprice", neg, "--scenario", sc, "--set",
                         "deployment.pricing.price_per_gpu_hour=3.6")
    assert code == 0, err
    assert max(map(len, out.splitlines())) <= 80, out
    lines = out.splitlines()
    assert lines[1].split() == ["model", "version", "tenant", "spans", "unpriced", "old", "new", "change"]
    (row,) = [x for x in lines if " acme " in x]
    assert row.split()[2:] == ["acme", "1", "1", "0.0004000", "0.0002000", "-0.0002000"], row
    flat = " ".join(x.strip() for x in lines)
    assert ("1 span the new table cannot price (negative duration 1): its stored cost 0.0004000 is in "
            "neither old nor new") in flat, out
    assert "unpriced: missing model 1" in flat  # the other reasons, as before


def test_spans_in_another_currency_name_the_spans_and_scenario_files(tiny, tmp_path, cli):
    _, spans, _ = tiny
    eur = tmp_path / "eur.yaml"
    eur.write_text(yaml.safe_dump({**TINY, "currency": "EUR"}))
    code, out, err = cli("reprice", spans, "--scenario", eur)
    assert code == 2 and out == ""
    assert err == (f"error: {eur}: currency: the spans are priced in USD but the scenario is in EUR; "
                   f"reprice with a scenario in the same currency (spans: {spans})\n")
