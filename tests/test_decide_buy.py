"""build-vs-buy: API tier costs and the break-even volume, checked by hand on the chatbot."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.decide.buy import breakeven, build_vs_buy
from infercost.errors import InputError

CHATBOT = Path(__file__).parents[1] / "examples" / "chatbot.yaml"


def test_breakeven_closed_form():
    # a = 0.004/request on the API, v = 0.0002 self-hosted per request, R = 5,022.40 a
    # replica-month, E = 7,511.50 fixed, Vr = 1,000,000 requests a replica-month:
    # margin = 1e6 x 0.0038 - 5,022.40 < 0 -> one replica never pays for itself
    assert breakeven(Decimal("0.004"), Decimal("0.0002"), Decimal("5022.40"), Decimal("7511.50"),
                     Decimal(1_000_000)) is None
    # Vr = 2,000,000: margin = 7,600 - 5,022.40 = 2,577.60; k = ceil(7,511.50 / 2,577.60) = 3
    # V* = max(2 x 2e6, (3 x 5,022.40 + 7,511.50) / 0.0038) = max(4e6, 22,578.70 / 0.0038) = 5,941,763.2
    v = breakeven(Decimal("0.004"), Decimal("0.0002"), Decimal("5022.40"), Decimal("7511.50"),
                  Decimal(2_000_000))
    assert v == (3 * Decimal("5022.40") + Decimal("7511.50")) / Decimal("0.0038")
    assert int(v) == 5_941_763


def test_chatbot_vs_gpt4o():
    r = build_vs_buy(load_scenario(CHATBOT), load_catalog(), apis=["openai/gpt-4o"],
                     cached_share=Decimal("0.5"))
    std, cached, batch = r.apis
    # 800 prompt + 200 output tokens: 800 x 2.50/1e6 + 200 x 10/1e6 = 0.002 + 0.002 = 0.004
    assert std.per_request == Decimal("0.004")
    # cached: half the prompt at 1.25 -> 1.875/1M input; 800 x 1.875e-6 + 0.002 = 0.0035
    assert cached.per_request == Decimal("0.0035")
    # batch: 800 x 1.25e-6 + 200 x 5e-6 = 0.001 + 0.001 = 0.002
    assert batch.per_request == Decimal("0.002")
    # one H100 at 6.88 USD/GPU-h on demand: R = 6.88 x 730 = 5,022.40 a month
    assert r.replica_month == Decimal("5022.40")
    # fixed self-hosting lines: engineering 0.5 x 189,000 / 12 = 7,875 + storage 500 GB x 0.023 = 11.50
    assert r.fixed_monthly == Decimal("7886.50")
    # V* = (R + E) / (a - v) = (5,022.40 + 7,886.50) / (0.004 - 0: the example has no
    # per-inference licensing: Llama 3.1 is free below 700 M monthly users) = 3,227,225
    assert std.breakeven_requests == Decimal("12908.90") / Decimal("0.004")
    d = r.to_dict()
    assert d["apis"][0]["breakeven_requests_per_month"] == "3227225"
    assert "human_review" in " ".join(d["notes"])  # left out of both sides, said so
    # human review 15,768 + preprocessing 19.55 + egress 28.84 a month, grouped as the
    # other notes write amounts (it printed 15816.39)
    assert [n for n in d["notes"] if n.startswith("left out")][0].endswith(
        ", 15,816.39 USD a month")
    json.dumps(d)


def test_needs_tokens(tmp_path):
    sc = load_scenario(Path(__file__).parents[1] / "examples" / "ranking-spike-l4.yaml")
    with pytest.raises(InputError, match="prompt_tokens"):
        build_vs_buy(sc, load_catalog())
    with pytest.raises(InputError, match="unknown API"):
        build_vs_buy(load_scenario(CHATBOT), load_catalog(), apis=["nope/x"])


def test_breakeven_capacity_and_utilisation_are_the_sized_fleets():
    """Regression: build-vs-buy said "95.3% utilisation: 37,286,062 requests per
    replica-month" (~14.2 req/s a replica) while its fleet carried 40 req/s on 7 replicas."""
    from infercost.decide.compare import compare

    cat = load_catalog()
    sc = load_scenario(CHATBOT)
    r = build_vs_buy(sc, cat, apis=["openai/gpt-4o"])
    base = compare(sc, cat).rows[0]
    # the same fleet as compare: 4 replicas of 32 / S(32) = 32 / 2.14920 = 14.889 req/s,
    # capacity 4 x 14.889 = 59.557 req/s
    assert r.self_hosted.replicas == base.replicas == "4"
    assert r.capacity_per_replica_s == pytest.approx(base.capacity_per_s / 4)
    assert r.capacity_per_replica_s == pytest.approx(14.889, abs=1e-3)
    # utilisation: 40 req/s x 1.10 (10% shadow copies) = 44 / 59.557 = 0.73879
    assert r.utilization == pytest.approx(44 / base.capacity_per_s)
    assert r.utilization == pytest.approx(0.73879, abs=1e-5)
    # requests per replica-month = what each replica carries: 40 / 4 = 10 req/s
    # x 3,600 x 730 = 26,280,000 (= 0.73879 x 14.889 x 2,628,000 / 1.10)
    assert r.requests_per_replica_month == pytest.approx(Decimal(26_280_000), abs=1)
    d = r.to_dict()["breakeven_assumes"]
    assert d["utilization"] == 0.7388 and d["capacity_per_replica_s"] == pytest.approx(14.889, abs=1e-3)
    assert d["requests_per_replica_month"] == "26280000"
    # --utilization 0.5 of the same capacity: 0.5 x 14.889 x 2,628,000 / 1.10 = 17,786,000 (approx)
    half = build_vs_buy(sc, cat, utilization=0.5, apis=["openai/gpt-4o"])
    assert float(half.requests_per_replica_month) == pytest.approx(0.5 * 14.889 * 2_628_000 / 1.1, rel=1e-4)


def test_cli_states_the_fleets_capacity(capsys):
    from infercost.cli import main

    main(["build-vs-buy", str(CHATBOT), "--api", "openai/gpt-4o", "--md"])
    out = capsys.readouterr().out
    assert "73.9% utilisation of 14.89 req/s per replica: 26,280,000 requests per replica-month" in out
    assert "4 replicas, capacity 59.6 req/s, 40.0 req/s served + 10% experiment copies" in out


def test_a_fleet_sized_apart_from_the_scenario_says_so(cli):
    """With 8 replicas fixed, build-vs-buy showed "x4 ... 73.9% utilisation" and never
    said the scenario asked for 8."""
    code, out, err = cli("build-vs-buy", "examples/chatbot.yaml", "--set",
                         "deployment.replicas=8", "--json")
    assert code == 0, err
    assert [n for n in json.loads(out)["notes"] if "scenario fixes" in n] == [
        "self-hosted side sized to the load and SLO: 4 replicas, where the scenario fixes 8 "
        "(build-vs-buy compares the fleet the traffic needs, as `compare` sizes it)"]
    code, out, err = cli("build-vs-buy", "examples/chatbot.yaml", "--json")
    assert not [n for n in json.loads(out)["notes"] if "scenario fixes" in n]
