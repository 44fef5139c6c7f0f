"""Pricing one span (econ.spanprice) and the price table built from an estimate (api)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost import api
from infercost.econ.spanprice import (
    PerInference,
    PriceTable,
    TokenPrice,
    UnpricedError,
    busy_share_ns,
    per_second,
    price_span,
)
from tests.conftest import EXAMPLES

D = Decimal


def table(**kw) -> PriceTable:
    base = dict(scenario="t", currency="USD", model="m",
                # 7.20 USD per GPU-hour x 1 GPU / 3600 s = 0.002 USD per replica-second
                replica_price_per_s=per_second(D("7.20"), 1), replica_concurrency=8,
                idle_per_inference=D("0.0001"),
                per_inference=(PerInference("human_review", D("0.00015")),
                               PerInference("egress", D("0.00002"))),
                token_prices=(TokenPrice("openai", "gpt-4o", D("2.5"), D("10")),),
                as_of="2026-11-28")
    base.update(kw)
    return PriceTable(**base)


def test_per_second_rounds_the_hourly_price():
    assert per_second(D("7.20"), 1) == D("0.002")
    assert per_second(D("7.20"), 8) == D("0.016")  # 8 GPUs per replica: 57.6 / 3600
    # 6.88 / 3600 = 0.0019111..., half-even to 18 decimals
    assert per_second(D("6.88"), 1) == D("0.001911111111111111")


def test_batch_of_four_over_one_second_counts_the_second_once():
    t = table()
    costs = [price_span(t, busy_ns=1_000_000_000, batch=4, index=i) for i in range(4)]
    # each request: 1 s / 4 = 0.25 replica-s x 0.002 USD/s = 0.0005 USD busy
    assert [c.part("busy") for c in costs] == [D("0.0005")] * 4
    assert sum(c.busy_share_s for c in costs) == D(1)
    assert sum(c.part("busy") for c in costs) == D(1) * t.replica_price_per_s == D("0.002")
    # and each carries the per-inference parts once: idle 0.0001 + review 0.00015 + egress
    # 0.00002 = 0.00027; total per request 0.0005 + 0.00027 = 0.00077
    assert costs[0].total == D("0.00077")
    assert {p.name for p in costs[0].parts} == {"busy", "idle", "human_review", "egress"}
    for p in costs[0].parts:
        assert p.quantity * p.rate == p.amount


def test_batch_of_three_is_exact_with_the_index_and_within_n_ns_without():
    t = table()
    # 1e9 ns / 3: round(1e9/3) = 333,333,333; round(2e9/3) = 666,666,667; 1e9
    shares = [busy_share_ns(1_000_000_000, 3, i) for i in range(3)]
    assert shares == [333_333_333, 333_333_334, 333_333_333]
    costs = [price_span(t, busy_ns=1_000_000_000, batch=3, index=i) for i in range(3)]
    assert sum(c.part("busy") for c in costs) == D("0.002")
    # without the index: 3 x 333,333,333 ns = 999,999,999 ns, 1 ns short
    loose = price_span(t, busy_ns=1_000_000_000, batch=3)
    assert 3 * loose.busy_share_s == D("0.999999999")


def test_without_a_batch_the_replica_concurrency_divides():
    c = price_span(table(), busy_s=2)  # 2 s / 8 concurrent = 0.25 replica-s
    assert c.divisor == 8 and c.busy_share_s == D("0.25") and c.part("busy") == D("0.0005")


def test_hosted_api_is_priced_from_tokens():
    c = price_span(table(), busy_s=5, provider="openai", model="gpt-4o",
                   input_tokens=800, output_tokens=200)
    # 800 / 1e6 x 2.5 = 0.002; 200 / 1e6 x 10 = 0.002
    assert c.source == "provider" and c.total == D("0.004")
    assert c.part("busy") == 0 and c.part("human_review") == 0


@pytest.mark.parametrize("kw, reason", [
    ({"busy_ns": -1}, "negative duration"),
    ({"busy_ns": 10, "batch": 0}, "bad infercost.batch.size"),
    ({"busy_ns": 10, "batch": 2, "index": 2}, "bad infercost.batch.index"),
    ({"provider": "openai", "model": "gpt-9", "input_tokens": 1, "output_tokens": 1},
     "no price for provider openai model gpt-9"),
    ({"busy_ns": 10, "model": "totally-different-model"},
     "model 'totally-different-model' is not the scenario's 'm'"),
    ({"provider": "openai", "model": "gpt-4o", "input_tokens": 1}, "missing token counts"),
    ({}, "no duration"),
])
def test_what_cannot_be_priced_is_refused_with_a_reason(kw, reason):
    with pytest.raises(UnpricedError) as e:
        price_span(table(), **kw)
    assert e.value.reason == reason


def test_a_hosted_provider_without_a_price_in_this_currency_is_not_priced_as_local():
    t = table(token_prices=(), hosted_providers=("openai",))
    with pytest.raises(UnpricedError) as e:
        price_span(t, busy_s=1, provider="openai", model="gpt-4o", input_tokens=1,
                   output_tokens=1)
    assert e.value.reason == "no price for provider openai model gpt-4o"
    # a provider the catalog does not list as hosted (a self-hosted engine): replica time
    assert price_span(t, busy_s=1, provider="vllm", model="m").source == "local"


@pytest.mark.parametrize("provider", ["azure.ai.openai", "aws.bedrock", "gcp.vertex_ai",
                                      "gcp.gemini", "mistral_ai", "x_ai", "ibm.watsonx.ai",
                                      "AWS.Bedrock", "az.ai.openai", "vertex_ai"])
def test_every_well_known_otel_provider_is_hosted_never_local(provider):
    # the OTel GenAI well-known gen_ai.provider.name values (and older gen_ai.system ones),
    # any case: a hosted call; the catalog has no price for them, so unpriced, never local
    t = table()
    assert t.hosted_provider(provider)
    with pytest.raises(UnpricedError) as e:
        price_span(t, busy_s=1, provider=provider, model="gpt-4o", input_tokens=1000,
                   output_tokens=1000)
    assert e.value.reason.startswith("no price for provider ")
    assert e.value.reason.endswith(" model gpt-4o")


def test_provider_and_model_names_are_matched_case_insensitively():
    # "OpenAI" is openai: 1000 / 1e6 x 2.5 + 1000 / 1e6 x 10 = 0.0025 + 0.01 = 0.0125
    c = price_span(table(), busy_s=1, provider="OpenAI", model="GPT-4o", input_tokens=1000,
                   output_tokens=1000)
    assert c.source == "provider" and c.total == D("0.0125")


@pytest.mark.parametrize("span_model, ok", [
    ("llama-3.1-8b", True), ("Llama-3.1-8B", True), ("meta-llama/Llama-3.1-8B", True),
    ("meta-llama/Llama-3.1-8B-Instruct", True), ("llama-3.1-8b:latest", True),
    ("llama-3.1-80b", False), ("llama-3.1", False), ("all-minilm-l6-v2", False),
    ("totally-different-model", False)])
def test_a_span_model_names_the_scenario_model(span_model, ok):
    from infercost.econ.spanprice import model_matches

    assert model_matches(span_model, "llama-3.1-8b") is ok
    t = table(model="llama-3.1-8b")
    assert t.serves(span_model) is ok
    # a scenario that names no model prices spans of any model
    assert table(model="llama-3.1-8b", model_named=False).serves(span_model)


def test_version_names_the_prices():
    a, b = table(), table()
    assert a.version == b.version and a.version.endswith("@2026-11-28")
    assert len(a.version.split("@")[0]) == 12
    assert table(replica_price_per_s=D("0.003")).version != a.version
    assert table(idle_per_inference=D("0.0002")).version != a.version


@given(n=st.integers(1, 64), busy_ns=st.integers(0, 100_000_000_000),
       cents=st.integers(1, 100_000), gpus=st.integers(1, 8))
def test_property_batch_shares_sum_to_the_wall_time_exactly(n, busy_ns, cents, gpus):
    t = table(replica_price_per_s=per_second(D(cents) / 100, gpus), replica_concurrency=n)
    parts = [price_span(t, busy_ns=busy_ns, batch=n, index=i) for i in range(n)]
    wall = t.replica_price_per_s * D(busy_ns) / D(10**9)  # the batch's replica time, priced
    assert sum(c.part("busy") for c in parts) == wall
    assert sum(c.busy_share_s for c in parts) * 10**9 == busy_ns
    # whole span costs: the wall time once, plus each request's per-inference parts
    # (idle 0.0001 + review 0.00015 + egress 0.00002 = 0.00027 each)
    assert sum(c.total for c in parts) == wall + n * D("0.00027")
    for c in parts:
        assert c.total == sum(p.amount for p in c.parts)


@given(n=st.integers(1, 64), a=st.integers(0, 10**11), b=st.integers(0, 10**11))
def test_property_cost_is_monotone_in_duration(n, a, b):
    t = table()
    lo, hi = sorted((a, b))
    assert price_span(t, busy_ns=lo, batch=n).total <= price_span(t, busy_ns=hi, batch=n).total
    # with an index, a share may move by at most 1 ns as the rounding shifts
    for i in {0, n - 1}:
        s_lo, s_hi = busy_share_ns(lo, n, i), busy_share_ns(hi, n, i)
        assert s_lo <= s_hi + 1


def test_price_table_from_the_chatbot_estimate():
    t = api.price_table(EXAMPLES / "chatbot.yaml")
    est = api.estimate(EXAMPLES / "chatbot.yaml").to_dict()
    lines = {c["name"]: D(c["per_inference"]) for c in est["components"]}
    # aws p5.48xlarge on-demand 6.88 USD/GPU-h x 1 GPU / 3600
    assert t.replica_price_per_s == D("0.001911111111111111")
    assert t.replica_concurrency == 32 and t.currency == "USD" and t.model == "llama-3.1-8b"
    # human review: 525.6 review-h x 30 USD = 15,768 USD / 105,120,000 inferences = 0.00015
    assert dict((p.name, p.amount) for p in t.per_inference)["human_review"] == D("0.00015")
    assert t.idle_per_inference == lines["accelerator_idle"]
    # every non-busy line of the estimate is in the table exactly once
    assert t.idle_per_inference + sum(p.amount for p in t.per_inference) == \
        sum(v for k, v in lines.items() if k != "accelerator_busy")
    assert t.token_price("openai", "gpt-4o") is not None
    # a changed price, a new version
    t2 = api.price_table(EXAMPLES / "chatbot.yaml", deployment__pricing__plan="spot")
    assert t2.version != t.version and t2.replica_price_per_s < t.replica_price_per_s


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-_", min_size=1, max_size=20)


@given(model=_NAME, org=_NAME, sep=st.sampled_from("-_:@"), tag=_NAME, other=_NAME)
def test_model_matching_ignores_case_org_and_tags_only(model, org, sep, tag, other):
    from infercost.core.semconv import provider_key
    from infercost.econ.spanprice import model_matches

    assert model_matches(model, model) and model_matches(f"{org}/{model.upper()}", model)
    assert model_matches(f"{model}{sep}{tag}", model)  # a variant or tag of it
    # a name that does not start with the model's is never it
    if not other.startswith(model):
        assert not model_matches(other, model)
    assert provider_key(provider_key(org)) == provider_key(org)  # a key is its own key


@given(busy_ns=st.integers(0, 10**13), n=st.one_of(st.none(), st.integers(1, 256)),
       at=st.integers(0, 255), with_index=st.booleans())
def test_property_local_cost_is_price_spans_local_price(busy_ns, n, at, with_index):
    # the per-span fast path a pricer uses and price_span's parts agree exactly
    t = table()
    index = at % (n or t.replica_concurrency) if with_index else None
    c = t.local_cost(busy_ns, n, index, "m")
    s = price_span(t, busy_ns=busy_ns, batch=n, index=index, model="m")
    assert (c.busy_share_s, c.divisor, c.busy, c.total) == \
        (s.busy_share_s, s.divisor, s.part("busy"), s.total)
    # busy share: whole ns / 1e9; amount: share x 0.002 USD/s; total: + 0.00027 per inference
    assert c.busy_share_s * 10**9 == busy_share_ns(busy_ns, s.divisor, index)
    assert c.busy == c.busy_share_s * D("0.002") and c.total == c.busy + D("0.00027")


@pytest.mark.parametrize(("batch", "index", "model", "reason"), [
    (0, None, "m", "bad infercost.batch.size"), (True, None, "m", "bad infercost.batch.size"),
    ("4", None, "m", "bad infercost.batch.size"), (2.0, None, "m", "bad infercost.batch.size"),
    (4, 4, "m", "bad infercost.batch.index"), (4, -1, "m", "bad infercost.batch.index"),
    (4, True, "m", "bad infercost.batch.index"), (4, 1.0, "m", "bad infercost.batch.index"),
    (4, 1, "other", "model 'other' is not the scenario's 'm'"),
])
def test_local_cost_refuses_what_price_span_refuses(batch, index, model, reason):
    t = table()
    for price in (lambda: t.local_cost(10, batch, index, model),
                  lambda: price_span(t, busy_ns=10, batch=batch, index=index, model=model)):
        with pytest.raises(UnpricedError) as e:
            price()
        assert e.value.reason == reason
    with pytest.raises(UnpricedError, match="negative"):
        t.local_cost(-1)


def test_cached_input_tokens_are_part_of_the_input_at_the_cached_price():
    t = table(token_prices=(TokenPrice("openai", "gpt-4o", D("2.5"), D("10"),
                                       cached_input_per_1m=D("1.25")),))
    c = price_span(t, provider="openai", model="gpt-4o", input_tokens=1000,
                   cached_input_tokens=800, output_tokens=100)
    # (1000 - 800) / 1e6 x 2.5 = 0.0005; 800 / 1e6 x 1.25 = 0.001; 100 / 1e6 x 10 = 0.001
    assert c.total == D("0.0025")
    assert [(p.name, p.amount) for p in c.parts] == [
        ("input_tokens", D("0.0005")), ("cached_input_tokens", D("0.001")),
        ("output_tokens", D("0.001"))]
    # no cached price in the catalog: every input token at the input price
    # 1000 / 1e6 x 2.5 = 0.0025 + 0.001 = 0.0035
    assert price_span(table(), provider="openai", model="gpt-4o", input_tokens=1000,
                      cached_input_tokens=800, output_tokens=100).total == D("0.0035")
    # a table without a cached price keeps the version it had (no new key in its content)
    assert "cached_input_per_1m" not in table().content()["token_prices"][0]
    assert "cached_input_per_1m" in t.content()["token_prices"][0]


@pytest.mark.parametrize("kw, reason", [
    ({"input_tokens": 2**63, "output_tokens": 1}, "bad gen_ai.usage.input_tokens"),
    ({"input_tokens": -1, "output_tokens": 1}, "bad gen_ai.usage.input_tokens"),
    ({"input_tokens": 1, "output_tokens": 2**64}, "bad gen_ai.usage.output_tokens"),
    ({"input_tokens": 1, "output_tokens": True}, "bad gen_ai.usage.output_tokens"),
    ({"input_tokens": 5, "cached_input_tokens": 6, "output_tokens": 1},
     "bad gen_ai.usage.cache_read.input_tokens"),
])
def test_token_counts_outside_int64_are_refused(kw, reason):
    with pytest.raises(UnpricedError) as e:
        price_span(table(), provider="openai", model="gpt-4o", **kw)
    assert e.value.reason == reason
    # the largest int64 is a count: 9223372036854775807 / 1e6 = 9223372036854.775807
    # x 2.5 = 23058430092136.9395175 (+ 0 output)
    c = price_span(table(), provider="openai", model="gpt-4o", input_tokens=2**63 - 1,
                   output_tokens=0)
    assert c.total == D("23058430092136.9395175")


def test_hosted_model_names_match_exact_first_then_dated_or_org_variants():
    t = table(token_prices=(TokenPrice("openai", "gpt-4o", D("2.5"), D("10")),
                            TokenPrice("openai", "gpt-4o-mini", D("0.15"), D("0.6")),
                            TokenPrice("together", "llama-3.1-8b", D("0.18"), D("0.18"))))
    assert t.token_price("openai", "gpt-4o-mini").model == "gpt-4o-mini"  # exact
    assert t.token_price("openai", "gpt-4o-2024-08-06").model == "gpt-4o"
    assert t.token_price("openai", "GPT-4o-mini-2024-07-18").model == "gpt-4o-mini"  # longest
    assert t.token_price("together", "meta-llama/Llama-3.1-8B").model == "llama-3.1-8b"
    for other in ("gpt-4", "gpt-4o2", "gpt-40"):  # no separator after the catalog name
        assert t.token_price("openai", other) is None
    assert t.token_price("together", "llama-3.1-80b") is None
    # 1000 / 1e6 x 0.18 x 2 = 0.00036
    assert price_span(t, provider="together", model="meta-llama/Llama-3.1-8B-Instruct",
                      input_tokens=1000, output_tokens=1000).total == D("0.00036")


def test_a_hosted_price_in_another_currency_is_named_in_the_reason():
    t = table(currency="EUR", token_prices=(), hosted_providers=("openai",),
              other_currency_prices=(("openai", "gpt-4o", "USD"),))
    with pytest.raises(UnpricedError) as e:
        price_span(t, provider="openai", model="gpt-4o", input_tokens=1, output_tokens=1)
    assert e.value.reason == ("no price in EUR for provider openai model gpt-4o "
                              "(the catalog prices it in USD)")
    with pytest.raises(UnpricedError) as e:  # not priced anywhere: the plain reason
        price_span(t, provider="openai", model="gpt-9", input_tokens=1, output_tokens=1)
    assert e.value.reason == "no price for provider openai model gpt-9"
