"""Span pricing (`econ.spanprice`), pinned where mutation testing found it loose: hosted
token prices chosen among several catalog names, model names with org prefixes, whole
numbers, and the exact messages and reasons of spans left unpriced. Small hand-built
tables; amounts worked out in comments."""

from __future__ import annotations

from decimal import Decimal

import pytest

from infercost.econ import spanprice as sp
from infercost.econ.spanprice import (
    PriceTable,
    TokenPrice,
    UnpricedError,
    model_matches,
    price_span,
)
from tests.test_spanprice import table as _spanprice_table

D = Decimal


def table(**kw) -> PriceTable:
    """test_spanprice's table (0.002 USD per replica-second, concurrency 8, idle 0.0001,
    gpt-4o at 2.5 / 10 USD per 1M tokens) without its per-inference parts."""
    return _spanprice_table(**{"per_inference": (), **kw})


def unpriced(t, **kw) -> UnpricedError:
    with pytest.raises(UnpricedError) as e:
        price_span(t, **kw)
    return e.value


def test_token_price_exact_name_first_then_one_of_equal_length_kept_in_order():
    # two catalog names of 9 characters for the same model after the org prefix
    xyz = TokenPrice("together", "xyz/llama", D("1"), D("2"))
    abc = TokenPrice("together", "abc/llama", D("3"), D("4"))
    t = table(token_prices=(xyz, abc))
    # the exact name wins, whatever the order
    assert t.token_price("together", "xyz/llama") is xyz
    assert t.token_price("Together", "ABC/LLAMA") is abc
    # "llama" names both (org dropped), equally long: the first the lookup holds wins; it
    # is built from the list reversed (so that of two prices for one name the first listed
    # is kept), so here the last listed, abc
    assert t.token_price("together", "llama") is abc
    assert t.token_price("together", "llama-instruct") is abc
    assert t.token_price("together", "other") is None


def test_model_matches_drops_only_the_last_org_part():
    assert model_matches("org/sub/llama-3.1-8b", "llama-3.1-8b") is True
    assert model_matches("llama-3.1-8b", "meta-llama/Llama-3.1-8B") is True
    assert model_matches("c", "a/b/c") is True
    assert model_matches("b/c", "c") is True
    assert model_matches("c", "b") is False


def test_whole_number_is_an_int_or_an_int_subclass_but_no_bool():
    class Count(int):
        pass

    assert sp._whole_number(3) is True and sp._whole_number(Count(3)) is True
    assert sp._whole_number(True) is False and sp._whole_number(3.0) is False
    # an int subclass is a whole number of tokens and a batch size
    c = price_span(table(), provider="openai", model="gpt-4o", input_tokens=Count(1_000_000),
                   output_tokens=Count(0))
    assert c.total == D("2.5")  # 1M input tokens x 2.5 USD per 1M
    assert price_span(table(), busy_ns=1_000_000_000, batch=Count(2)).divisor == 2


def test_unpriced_messages_and_reasons():
    t = table(other_currency_prices=(("openai", "gpt-5", "EUR"),))
    e = unpriced(t, provider="openai", model="gpt-5", input_tokens=1, output_tokens=1)
    assert e.reason == "no price in USD for provider openai model gpt-5 (the catalog prices it in EUR)"
    assert str(e) == (f"no token price for openai/gpt-5 in USD in table {t.version}; the "
                      "catalog prices it in EUR")
    e = unpriced(t, provider="openai", model="gpt-6", input_tokens=1, output_tokens=1)
    assert e.reason == "no price for provider openai model gpt-6"
    assert str(e) == f"no token price for openai/gpt-6 in table {t.version} (in USD)"
    e = unpriced(t, provider="openai", model="gpt-4o", input_tokens=1)
    assert e.reason == "missing token counts"
    assert str(e) == ("openai/gpt-4o: gen_ai.usage.input_tokens and output_tokens are needed "
                      "to price a hosted API call")
    e = unpriced(t, provider="openai", model="gpt-4o", input_tokens=5, output_tokens=1,
                 cached_input_tokens=-1)
    assert e.reason == "bad gen_ai.usage.cache_read.input_tokens"
    assert str(e) == ("gen_ai.usage.cache_read.input_tokens must be a whole number in "
                      "0..2**63-1, got -1")
    e = unpriced(t, provider="openai", model="gpt-4o", input_tokens=5, output_tokens=1,
                 cached_input_tokens=6)
    assert e.reason == "bad gen_ai.usage.cache_read.input_tokens"
    assert str(e) == "6 cached input tokens is more than the 5 input tokens they are part of"


def test_every_input_token_read_from_the_cache():
    t = table(token_prices=(TokenPrice("openai", "gpt-4o", D("2.5"), D("10"),
                                       cached_input_per_1m=D("1.25")),))
    c = price_span(t, provider="openai", model="gpt-4o", input_tokens=400_000,
                   output_tokens=0, cached_input_tokens=400_000)
    # 0 uncached x 2.5 + 0.4M cached x 1.25 = 0.5 USD; 0 output
    assert [(p.name, p.quantity, p.amount) for p in c.parts] == [
        ("input_tokens", D(0), D(0)), ("cached_input_tokens", D("0.4"), D("0.500")),
        ("output_tokens", D(0), D(0))]
    assert c.total == D("0.5")


def test_a_listed_hosted_provider_is_hosted_without_prices():
    t = table(hosted_providers=("acme",))
    assert t.hosted_provider("ACME") is True and t.hosted_provider("vllm") is False


def test_local_refusals_name_what_was_expected():
    from infercost.econ.spanprice import PerInference

    class Count(int):
        pass

    t = table(per_inference=(PerInference("egress", D("0.00002")),))
    # an int subclass is a whole number for the batch index too: 1 s of a batch of 2,
    # the second half: 0.5 s x 0.002 = 0.001 USD busy
    assert price_span(t, busy_ns=1_000_000_000, batch=2, index=Count(1)).part("busy") == \
        D("0.001")
    e = unpriced(t, busy_ns=1, batch=0)
    assert (e.reason, str(e)) == ("bad infercost.batch.size",
                                  "batch size must be a whole number >= 1, got 0")
    e = unpriced(t, busy_ns=1, batch=4, index=4)
    assert (e.reason, str(e)) == ("bad infercost.batch.index",
                                  "batch index must be a whole number in 0..3, got 4")
    e = unpriced(t, busy_ns=1, model="other")
    assert (e.reason, str(e)) == (
        "model 'other' is not the scenario's 'm'",
        "a self-hosted span of model 'other' cannot be priced with scenario 't' (model 'm')")
    e = unpriced(t)
    assert (e.reason, str(e)) == ("no duration", "the span has no busy time")


def test_every_field_of_a_hosted_and_a_local_span_cost():
    t = table(currency="EUR", token_prices=(TokenPrice("openai", "gpt-4o", D("2.5"), D("10")),))
    c = price_span(t, provider="openai", model="gpt-4o", input_tokens=2_000, output_tokens=500)
    # 0.002M x 2.5 = 0.005 EUR; 0.0005M x 10 = 0.005 EUR; 0.01 EUR
    assert c == sp.SpanCost("provider", "EUR", t.version, (
        sp.CostPart("input_tokens", D("0.002"), "1M tokens", D("2.5"), D("0.0050")),
        sp.CostPart("output_tokens", D("0.0005"), "1M tokens", D("10"), D("0.0050"))),
        D("0.0100"))
    assert c.busy_share_s == 0 and c.divisor == 1
    c = price_span(t, busy_ns=500_000_000, batch=1)
    # 0.5 replica-s x 0.002 = 0.001 EUR busy; + idle 0.0001 = 0.0011
    assert (c.source, c.currency, c.table_version) == ("local", "EUR", t.version)
    assert c.parts[0] == sp.CostPart("busy", D("0.5"), "replica-s", D("0.002"), D("0.001"))
    assert c.total == D("0.0011") and c.busy_share_s == D("0.5") and c.divisor == 1


def test_a_cached_input_price_is_part_of_the_table_content():
    t = table(token_prices=(TokenPrice("openai", "gpt-4o", D("2.5"), D("10"),
                                       cached_input_per_1m=D("1.25")),))
    assert t.content()["token_prices"][0]["cached_input_per_1m"] == "1.25"
    assert "cached_input_per_1m" not in table().content()["token_prices"][0]
    assert t.version != table().version
