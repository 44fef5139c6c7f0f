"""compare: each variant sized to its own fleet; hand-checked Erlang C and cost arithmetic."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.decide.compare import compare
from infercost.decide.latency import fleet_latency
from infercost.perf.service import service_time

# 15 req/s, Poisson arrivals (the Erlang C figures below), 100 ms per request, no batching:
# one replica serves 10 req/s.
SMALL = {
    "name": "small",
    "currency": "USD",
    "model": {"quality": {"metric": "accuracy", "value": 0.9}},
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 15}, "duration_s": 3600,
                 "request": {}},
    "service": {"distribution": "constant", "mean_ms": 100, "per_item_ms": 100},
    "deployment": {"hardware": "h100-sxm", "replicas": 4,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 2},
                   "batching": {"max_batch": 1}},
    "slo": {"p99_latency_ms": 1000},
    "options": [
        {"name": "fast", "set": {"service.mean_ms": 50, "service.per_item_ms": 50,
                                 "model.quality.value": 0.88}},
        {"name": "pinned", "set": {"deployment.replicas": 5}},
    ],
}


@pytest.fixture()
def small(tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(SMALL))
    return p


def test_erlang_c_p99_by_hand(small):
    sc = load_scenario(small)
    svc = service_time(sc, load_catalog())
    # c=2, a = 15 / 10 = 1.5: sum_{k<2} a^k/k! = 2.5; a^2/2! / (1 - 0.75) = 4.5; C = 4.5/7
    # wait p99 = ln(C / 0.01) / (2*10 - 15) = ln(64.2857) / 5 = 0.8326675 s; + 0.1 s service
    lat = fleet_latency(15.0, 2, svc, 0.0)
    assert lat.p99_s == pytest.approx(math.log((4.5 / 7) / 0.01) / 5 + 0.1, rel=1e-9)
    assert lat.p99_s == pytest.approx(0.9326675, abs=1e-6)
    assert fleet_latency(15.0, 1, svc, 0.0).overloaded  # 15 req/s > 10 req/s


def test_each_variant_sized_to_its_own_fleet(small):
    c = compare(load_scenario(small), load_catalog())
    base, fast, pinned = c.rows
    # baseline: 1 replica is overloaded, 2 give p99 0.933 s <= 1 s -> 2 replicas
    assert base.replicas == "2" and base.slo_met is True
    # 2 x 730 h x 2 USD = 2,920 USD a month; 15 x 3600 x 730 = 39,420,000 inferences
    assert base.monthly_cost.amount == Decimal("2920")
    assert base.cost_per_inference.amount == pytest.approx(Decimal(2920) / Decimal(39_420_000),
                                                           rel=Decimal("1e-12"))
    # fast: 50 ms, 20 req/s a replica; 1 replica: rho 0.75, M/M/1 C = 0.75,
    # p99 = ln(75)/5 + 0.05 = 0.9135 s <= 1 s -> 1 replica, 1,460 USD, -50%
    assert fast.replicas == "1"
    assert fast.p99_ms == pytest.approx((math.log(75) / 5 + 0.05) * 1000, rel=1e-9)
    assert fast.monthly_cost.amount == Decimal("1460")
    assert fast.delta_per_inference_pct == pytest.approx(-50.0)
    assert fast.delta_monthly.amount == Decimal("-1460")
    assert fast.quality == 0.88
    # pinned: its own set: names replicas -> 5 kept, 7,300 USD, +150%
    assert pinned.replicas == "5" and pinned.sized == "replicas set by the option"
    assert pinned.monthly_cost.amount == Decimal("7300")
    assert pinned.delta_per_inference_pct == pytest.approx(150.0)


def test_keep_replicas_keeps_the_baseline_fleet(small):
    c = compare(load_scenario(small), load_catalog(), keep_replicas=True)
    base, fast, pinned = c.rows
    # the file's 4 replicas for both: 4 x 730 x 2 = 5,840 USD; same cost, faster service
    assert base.replicas == fast.replicas == "4"
    assert base.monthly_cost.amount == fast.monthly_cost.amount == Decimal("5840")
    assert fast.p99_ms < base.p99_ms
    assert pinned.replicas == "5"


def test_cli_outputs(small, tmp_path, capsys):
    from infercost.cli import main

    main(["compare", str(small), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert [v["name"] for v in d["variants"]] == ["baseline", "fast", "pinned"]
    assert d["variants"][0]["monthly_cost"] == "2920"  # money is a string
    out = tmp_path / "c"
    main(["compare", str(small), "--md", "--csv", str(out) + ".csv", "--xlsx", str(out) + ".xlsx",
          "--html", str(out) + ".html"])
    md = capsys.readouterr().out
    assert "| fast | h100-sxm | 1 |" in md and "-50.0%" in md
    assert (tmp_path / "c.csv").read_text().splitlines()[0].startswith("variant,hardware,repl")
    # CSV is for machines: the JSON's exact money strings and p99 in ms at its precision, no
    # thousands separators (the terminal shows "2,920" and a p99 of 0.6 ms as "1")
    import csv as csvlib

    with open(tmp_path / "c.csv", newline="") as f:
        rows = list(csvlib.DictReader(f))
    for r, v in zip(rows, d["variants"], strict=True):
        assert r["per inf"] == v["cost_per_inference"] and r["per month"] == v["monthly_cost"]
        assert "," not in r["per month"] and "e" not in r["per inf"].lower()
        assert r["p99 ms"] == ("" if v["p99_ms"] is None else str(v["p99_ms"]))
    assert rows[0]["per month"] == "2920"
    page = (tmp_path / "c.html").read_text()
    assert "plotly" in page and page.count("Plotly.newPlot") == 2
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "c.xlsx").worksheets[0]
    assert ws.cell(1, 1).value == "variant" and ws.cell(3, 3).value == 1  # fast: 1 replica


def test_terminal_table_fits_80_columns(small, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    from infercost.cli import main

    main(["compare", str(small)])
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "fast" in out


LLM = {
    "name": "llm",
    "currency": "USD",
    "model": {"id": "llama-3.1-8b", "precision": "bf16", "quality": {"metric": "accuracy", "value": 0.9}},
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 20}, "duration_s": 3600,
                 "request": {"prompt_tokens": {"mean": 800}, "output_tokens": {"mean": 200}}},
    "deployment": {"hardware": "h100-sxm", "replicas": 2, "batching": {"max_batch": 32, "max_wait_ms": 5}},
    "slo": {"p99_latency_ms": 20000},
    "options": [{"name": "fp8", "set": {"model.precision": "fp8", "model.quality.value": 0.895}}],
}


def test_llm_variants_use_continuous_batching_and_split_tokens():
    from infercost.core.scenario import validate

    sc = validate(LLM, "llm")
    cat = load_catalog()
    cap = service_time(sc, cat).memory_cap
    assert cap > 32  # the KV cache of an H100 holds far more than 32 sequences of 1,000 tokens
    base, fp8 = compare(sc, cat).rows
    # continuous batching up to max_batch concurrent sequences, as the simulator serves it
    # (max_batch is not raised to the KV bound: capacity per replica must not depend on sizing)
    assert any(f"continuous batching of up to 32 sequences (batching.max_batch 32; the KV cache holds {cap})"
               in n for n in base.notes)
    # prefill is compute-bound and cheap per token; decode dominates: output tokens cost more
    assert base.per_1m_output.amount > 10 * base.per_1m_input.amount
    assert any("prefill vs decode" in n for n in base.notes)
    # fp8 decodes faster: fewer replicas for the same SLO, never more
    assert int(fp8.replicas) <= int(base.replicas)


@settings(max_examples=25, deadline=None)
@given(rate=st.floats(1, 500), mean_ms=st.floats(5, 200), slo_ms=st.floats(300, 5000))
def test_sizing_is_the_fewest_replicas_meeting_the_slo(rate, mean_ms, slo_ms):
    from infercost.core.scenario import validate
    from infercost.decide.sizing import size_fleet

    raw = json.loads(json.dumps(SMALL))
    raw["workload"]["arrivals"]["rate_per_s"] = rate
    raw["service"]["mean_ms"] = raw["service"]["per_item_ms"] = mean_ms
    raw["slo"]["p99_latency_ms"] = slo_ms
    sc = validate(raw, "prop")
    svc = service_time(sc, load_catalog())
    s = size_fleet(sc, svc)
    if mean_ms >= slo_ms:  # one request alone misses the SLO
        return
    assert s.slo_met and s.latency.p99_s * 1000 <= slo_ms
    if s.replicas > 1:
        fewer = fleet_latency(rate, s.replicas - 1, svc, 0.0)
        assert fewer.overloaded or fewer.p99_s * 1000 > slo_ms


@pytest.mark.parametrize("argv, option", [
    (["compare", "{f}", "--seed", "-1"], "--seed"),
    (["optimize", "{f}", "--finalists", "-5"], "--finalists"),
    (["optimize", "{f}", "--seed", "-3", "--no-simulate"], "--seed"),
])
def test_negative_seed_and_finalists_refused(small, capsys, argv, option):
    from infercost.cli import main

    with pytest.raises(SystemExit) as e:
        main([a.format(f=small) for a in argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {option}:") and ">= 0" in err


def test_api_refuses_negative_seed(small):
    from infercost.errors import InputError

    with pytest.raises(InputError, match="seed"):
        compare(load_scenario(small), load_catalog(), seed=-1)



# --- fleet sizing: capacity per replica fixed, p99 monotone in replicas, agrees with simulate ---

CHATBOT = "examples/chatbot.yaml"


def _chatbot(**sets):
    from pathlib import Path

    from infercost import api

    return api.load_scenario(Path(__file__).parents[1] / CHATBOT, **sets)


def test_chatbot_fleet_latency_by_hand():
    """Regression: at 5 and 6 replicas compare said "overload" with capacity 89.3 req/s
    against 44 offered (the batch's fixed point oscillated and mu was taken at it)."""
    cat = load_catalog()
    sc = _chatbot()
    svc = service_time(sc, cat)
    assert svc.max_batch == 32
    s32 = svc.batch_seconds(32)
    assert s32 == pytest.approx(2.14920, rel=1e-4)  # perf model: a full batch of 32 in ~2.149 s
    # capacity per replica mu = 32 / 2.14920 = 14.889 req/s, whatever the fleet size
    mu = 32 / s32
    assert mu == pytest.approx(14.889, rel=1e-4)
    lam = 44.0  # peak: 40 req/s x (1 + 0.10 shadow)
    # 4 replicas: x = 44 / 4 = 11 req/s each. b_keep: b / S(b) = 11 lies between
    # 19 / S(19) = 19 / 1.74963 = 10.859 and 20 / S(20) = 20 / 1.78020 = 11.235; with S
    # linear in between (slope 0.030566 s): b = 11 (1.74963 + 0.030566 (b - 19)) ->
    # (b - 19)(1 - 0.33623) = 0.24593 -> b = 19.3705, S(b) = 1.74963 + 0.030566 x 0.3705 = 1.76096 s.
    # Erlang C, c = 4, a = 44 / 14.889 = 2.95515: Erlang B 0.74716, 0.52471, 0.34075, 0.20111;
    # rho = 0.73879, C = 0.20111 / (1 - 0.73879 x 0.79889) = 0.49076;
    # W99 = ln(0.49076 / 0.01) / (4 x 14.889 - 44) = 3.89335 / 15.5571 = 0.25026 s.
    # fill = min(0.010, 31 / 44) = 0.010 s. p99 = 0.010 + 0.25026 + 1.76096 = 2.02122 s.
    f4 = fleet_latency(lam, 4, svc, 0.010)
    assert not f4.overloaded
    assert f4.batch == pytest.approx(19.3705, abs=2e-3)
    assert f4.p99_s == pytest.approx(2.02122, abs=2e-4)
    assert f4.utilization == pytest.approx(0.73879, abs=1e-4)
    # 3 replicas: rho = 44 / (3 x 14.889) = 0.985: a long queue, over the 4 s SLO
    assert fleet_latency(lam, 3, svc, 0.010).p99_s > 4.0
    # 5..8 replicas: never overloaded (capacity 5 x 14.889 = 74.4 >= 44), p99 falling
    p = [fleet_latency(lam, n, svc, 0.010).p99_s for n in range(4, 9)]
    assert all(math.isfinite(v) for v in p) and p == sorted(p, reverse=True)


def test_compare_capacity_per_replica_and_sizing_agree_with_simulate():
    """`simulate examples/chatbot.yaml --set workload.duration_s=600` (seed 0): 4 replicas
    give p99 2,245 ms <= 4,000 ms SLO (attainment 100%); 3 replicas are refused as an
    unstable queue (offered utilisation 1.015). int8 (`--option int8`): 2 replicas meet the
    p99 SLO (p99 2,549 ms) but not the TTFT SLO (the hour's run: TTFT p99 902 ms > 500 ms,
    94% of first tokens within it); 3 replicas TTFT p99 64 ms; 1 unstable (1.902). So compare
    must size baseline 4 and int8 3 (it sized int8 to 2, ignoring slo.ttft_ms; before an
    earlier fix it sized the baseline to 7)."""
    cat = load_catalog()
    sc = _chatbot(**{"workload.duration_s": 600})
    rows = {r.name: r for r in compare(sc, cat).rows}
    assert rows["baseline"].replicas == "4" and rows["int8"].replicas == "3"
    # baseline TTFT p99 at 4: fill 0.010 + W99 0.25026 + F(19.3705) = decode step 6.6879 ms
    # (6.6722 at 19, 6.7146 at 20, linear) + the 800-token prompt's prefill 24.003 ms = 0.29095 s
    assert rows["baseline"].ttft_ms == pytest.approx(290.95, abs=0.1)
    assert rows["baseline"].slo_ttft_ms == 500 and rows["baseline"].slo_met
    assert rows["int8"].ttft_ms < 500 < rows["int8"].p99_ms < 4000
    two = {r.name: r for r in compare(_chatbot(**{"workload.duration_s": 600, "deployment.replicas": 2}),
                                      cat, keep_replicas=True).rows}
    assert two["int8"].p99_ms < 4000 < two["baseline"].p99_ms  # int8 at 2: p99 met ...
    assert two["int8"].ttft_ms > 1000 and two["int8"].slo_met is False  # ... TTFT 1,107 ms is not
    # capacity 4 x 14.889 = 59.56 req/s (the KV bound no longer raises the batch when sizing)
    assert rows["baseline"].capacity_per_s == pytest.approx(59.56, abs=0.01)
    assert rows["baseline"].p99_ms == pytest.approx(2021.2, abs=0.5)
    # --keep-replicas at 6: capacity 6 x 14.889 = 89.34 req/s, the same per replica, and met
    kept = {r.name: r for r in compare(_chatbot(**{"workload.duration_s": 600, "deployment.replicas": 6}),
                                       cat, keep_replicas=True).rows}
    assert kept["baseline"].capacity_per_s == pytest.approx(89.34, abs=0.01)
    assert kept["baseline"].capacity_per_s / 6 == pytest.approx(rows["baseline"].capacity_per_s / 4)
    assert kept["baseline"].slo_met and kept["int8"].slo_met
    assert math.isfinite(kept["baseline"].p99_ms) and kept["baseline"].p99_ms < rows["baseline"].p99_ms


def _svc_cases():
    import functools

    @functools.cache
    def svc(case: str):
        from infercost.core.scenario import validate

        cat = load_catalog()
        if case in ("bf16", "int8"):
            return service_time(_chatbot(**{"model.precision": case}), cat)
        raw = json.loads(json.dumps(SMALL))
        raw["service"] = {"distribution": "constant", "mean_ms": 40, "per_item_ms": 10}
        raw["deployment"]["batching"] = {"max_batch": 16, "max_wait_ms": 5}
        return service_time(validate(raw, "batched"), cat)
    return svc


_SVC = _svc_cases()


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from(["bf16", "int8", "batched"]), rate=st.floats(0.5, 400),
       n=st.integers(1, 60), wait_ms=st.sampled_from([0.0, 5.0, 10.0]),
       available=st.sampled_from([1.0, 0.6]))
def test_p99_never_rises_with_replicas_and_capacity_is_per_replica(case, rate, n, wait_ms, available):
    svc = _SVC(case)
    B = svc.max_batch
    per_replica = available * B / svc.batch_seconds(B)
    a = fleet_latency(rate, n, svc, wait_ms / 1000, 1.0, available)
    b = fleet_latency(rate, n + 1, svc, wait_ms / 1000, 1.0, available)
    # overloaded exactly when the offered rate reaches n x (the same per-replica capacity)
    for k, f in ((n, a), (n + 1, b)):
        if abs(rate - k * per_replica) > 1e-9 * rate:  # not on the boundary itself
            assert f.overloaded == (rate > k * per_replica)
    assert b.p99_s <= a.p99_s + 1e-9  # inf <= inf holds
    assert b.batch <= a.batch + 1e-9


def test_no_slo_sizing_uses_capacity_share():
    from infercost.core.scenario import validate
    from infercost.decide.sizing import size_fleet

    raw = json.loads(json.dumps(SMALL))
    del raw["slo"]
    sc = validate(raw, "no-slo")
    # 15 req/s on replicas of 1 / 0.1 s = 10 req/s: 15 / (10 n) <= 0.7 -> n >= 2.14 -> 3
    s = size_fleet(sc, service_time(sc, load_catalog()))
    assert s.replicas == 3 and s.latency.utilization == pytest.approx(0.5)  # 15 / 30


def test_constant_arrivals_are_sized_with_their_own_queue(tmp_path):
    from infercost.core.scenario import validate
    from infercost.decide.latency import queue_factor

    raw = {"name": "s1", "currency": "USD",
           "workload": {"arrivals": {"process": "constant", "rate_per_s": 10}, "duration_s": 3600},
           "service": {"distribution": "constant", "mean_ms": 100},
           "deployment": {"hardware": "l4", "replicas": 2, "batching": {"max_batch": 1},
                          "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 2}},
           "slo": {"p99_latency_ms": 200}}
    p = tmp_path / "s1.yaml"
    p.write_text(yaml.safe_dump(raw))
    c = compare(load_scenario(p), load_catalog())
    base = c.rows[0]
    # a request every 100 ms, each served in exactly 100 ms: 1 replica is saturated, 2 never
    # queue (D/D/c), p99 = 100 ms <= 200 ms -> 2 replicas, 2 x 730 h x 2 USD = 2,920 USD
    # (as Poisson: 4 replicas, p99 123.8 ms; 2 replicas' Erlang C p99 was 451 ms)
    assert base.replicas == "2" and base.p99_ms == pytest.approx(100.0)
    assert base.monthly_cost.amount == Decimal("2920")
    assert any("constant arrivals" in n and "D/D/c" in n for n in c.notes)
    # the queue factor (Allen-Cunneen, ca^2 = 0): (0 + cs^2) / 2
    sc = validate(raw, "s1")
    assert queue_factor(sc) == 0.0
    expo = validate({**raw, "service": {"distribution": "exponential", "mean_ms": 100}}, "e")
    assert queue_factor(expo) == 0.5  # D/M/c: half the M/M/c wait
    logn = validate({**raw, "service": {"distribution": "lognormal", "mean_ms": 100, "sigma": 0.5}}, "l")
    assert queue_factor(logn) == pytest.approx((math.exp(0.25) - 1) / 2)
    pois = validate({**raw, "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}}}, "p")
    assert queue_factor(pois) == 1.0
    # D/M/c at 15 req/s on 2 replicas of 10 req/s: half of M/M/c's 0.8326675 s wait p99, + 100 ms
    svc = service_time(expo, load_catalog())
    lat = fleet_latency(15.0, 2, svc, 0.0, 1.0, 1.0, queue_factor(expo))
    assert lat.p99_s == pytest.approx(math.log((4.5 / 7) / 0.01) / 5 / 2 + 0.1, rel=1e-9)


def test_llm_without_token_sizes_says_the_assumed_sizes_everywhere(tmp_path):
    from infercost import api
    from infercost.core.scenario import validate
    from infercost.decide.optimize import optimize

    raw = {"name": "b", "currency": "USD", "model": {"id": "llama-3.1-8b"},
           "workload": {"arrivals": {"rate_per_s": 1}, "duration_s": 60},
           "deployment": {"hardware": "h100-sxm", "replicas": 1}}
    p = tmp_path / "notokens.yaml"
    p.write_text(yaml.safe_dump(raw))
    want = ("LLM request size assumed: no workload.request.prompt_tokens or workload.request.output_tokens, "
            "so the performance model serves 512 prompt and 128 output tokens per request")
    assert any(n.startswith(want) for n in api.estimate(p).breakdown.facts["notes"])
    assert any(n.startswith(want) for n in api.simulate(p).breakdown.facts["notes"])
    assert any(n.startswith(want) for n in compare(load_scenario(p), load_catalog()).rows[0].notes)
    assert any(n.startswith(want) for n in api.tco(p).to_dict()["notes"])
    opt = optimize(validate(raw, "b"), load_catalog(), hardware=["h100-sxm"], simulate=False, mig=[])
    assert any(n.startswith(want) for n in opt.notes)
    # one size given: the other is assumed, and the note names only the missing one
    raw["workload"]["request"] = {"prompt_tokens": 800}
    p.write_text(yaml.safe_dump(raw))
    notes = api.estimate(p).breakdown.facts["notes"]
    assert any(n.startswith("LLM request size assumed: no workload.request.output_tokens, so the "
                            "performance model serves 800 prompt and 128 output tokens") for n in notes)
    # both given: no note
    raw["workload"]["request"]["output_tokens"] = 200
    p.write_text(yaml.safe_dump(raw))
    assert not any("request size assumed" in n for n in api.estimate(p).breakdown.facts["notes"])


def test_constant_arrivals_on_the_perf_model_queue_only_when_sizes_spread():
    from infercost.core.scenario import validate
    from infercost.decide.latency import queue_factor

    raw = {"name": "q", "currency": "USD", "model": {"id": "bert-base"},
           "workload": {"arrivals": {"process": "constant", "rate_per_s": 10},
                        "request": {"items": {"mean": 2}}},
           "deployment": {"hardware": "l4"}}
    assert queue_factor(validate(raw, "q")) == 0.0  # fixed sizes: D/D/c
    raw["workload"]["request"] = {"items": {"mean": 2, "p95": 6}}
    assert queue_factor(validate(raw, "q")) == 0.5  # sizes spread: taken as D/M/c


def test_autoscaled_utilization_is_estimates_over_the_replicas_run():
    """An autoscaled fleet's utilisation is `estimate`'s (capacity.model.utilization over the
    replicas the autoscaler runs, time-averaged), not the offered load over the max fleet's
    capacity: diurnal 20 req/s mean, 3x peak, 100 ms a request, 1-20 replicas at target 0.6."""
    from infercost.capacity.estimate import estimate
    from infercost.core.scenario import validate

    raw = {"name": "as", "currency": "USD",
           "workload": {"arrivals": {"process": "diurnal", "rate_per_s": 20, "peak_to_mean": 3},
                        "duration_s": 86400},
           "service": {"distribution": "exponential", "mean_ms": 100},
           "deployment": {"hardware": "l4", "replicas": {"min": 1, "max": 20},
                          "autoscaling": {"target_utilization": 0.6, "warmup_s": 120},
                          "pricing": {"price_per_gpu_hour": 2}, "batching": {"max_batch": 1}},
           "slo": {"p99_latency_ms": 1000}}
    cat = load_catalog()
    row = compare(validate(raw, "as"), cat).rows[0]
    assert row.replicas == "1-10"  # sized: max 10 replicas hold the 60 req/s peak
    sized = validate({**raw, "deployment": {**raw["deployment"], "replicas": {"min": 1, "max": 10}}}, "as")
    facts = estimate(sized, cat).breakdown.facts
    est = facts["utilization"]
    # the offered 20 req/s over the max fleet's 10 x 10 req/s would be 0.2
    assert row.utilization == pytest.approx(est, abs=1e-6) and est > 0.5
    assert row.to_dict()["utilization"] == round(est, 4)
    # build-vs-buy's requests per replica: the offered load over the replicas run on average
    # (busy + idle replica-hours / 730 h), 10 req/s each; with one request per batch that
    # is estimate's utilisation too
    mean_reps = (facts["busy_replica_hours"] + facts["idle_replica_hours"]) / 730
    assert row.load_share == pytest.approx(20 / (mean_reps * 10), rel=1e-5)
    assert row.load_share == pytest.approx(est, rel=1e-5)


def test_ttft_slo_not_checkable_is_said(small):
    """A `service:` time has no first token to time: slo.ttft_ms is named as not checked."""
    from infercost.core.scenario import validate

    raw = json.loads(json.dumps(SMALL))
    raw["slo"]["ttft_ms"] = 50
    res = compare(validate(raw, "ttft"), load_catalog())
    assert res.rows[0].slo_met is True and res.rows[0].ttft_ms is None
    assert ("slo.ttft_ms 50 ms not checked: a measured service: time has no prefill / decode split "
            "(the SLO column is p99 only)") in res.rows[0].notes


def test_simulated_ttft_slo_attainment_by_hand():
    """TTFT attainment is read from the run's TTFT histogram: the share of first tokens
    within slo.ttft_ms (metrics.share_at_most), reported by simulate and compare --simulate."""
    import numpy as np

    from infercost.sim.metrics import share_at_most, sketch

    x = np.array([0.010, 0.020, 0.030, 0.040, 0.600])
    h = sketch(x)
    assert share_at_most(h, 0.5) == 0.8
    assert share_at_most(h, 0.001) == 0.0 and share_at_most(h, 1.0) == 1.0
    assert share_at_most(h, 0.0300001) == pytest.approx(0.6, abs=0.2 / 5)  # inside 0.030's bin
    assert share_at_most(np.zeros_like(h), 0.5) is None
    from infercost.sim.run import simulate

    sc = _chatbot(**{"workload.duration_s": 120, "model.precision": "int8", "deployment.replicas": 2})
    r = simulate(sc, load_catalog())
    assert r.slo["ttft_ms"] == 500
    within = share_at_most(r._hist[0][2], 0.5)
    assert r.slo["ttft_attainment"] == pytest.approx(within, abs=1e-6) and 0 < within <= 1


def test_simulate_prints_each_stated_slo(cli):
    code, out, err = cli("simulate", CHATBOT, "--option", "int8", "--set", "deployment.replicas=2",
                         "--set", "workload.duration_s=120", "--no-series")
    assert code == 0, err
    assert "SLO (4000.0 ms): " in out and "TTFT SLO (500 ms): " in out
