"""The Python API (infercost.api): verbs, overrides, result objects, lazy top-level names."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import infercost
from infercost import api
from infercost.errors import InputError
from tests.conftest import EXAMPLES, ROOT

SMALL = {
    "name": "small",
    "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}, "duration_s": 3600},
    "service": {"distribution": "constant", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "pricing": {"provider": "aws", "plan": "on-demand"},
                   "replicas": 2},
}


def test_top_level_verbs_are_the_api_functions_and_load_lazily():
    code = ("import sys, infercost; assert 'infercost.api' not in sys.modules; "
            "f = infercost.estimate; assert 'infercost.api' in sys.modules; "
            "from infercost import api; assert f is api.estimate")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=ROOT, env={"PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 0, r.stderr
    assert infercost.simulate is api.simulate and infercost.attribute is api.attribute
    with pytest.raises(AttributeError):
        infercost.no_such_verb  # noqa: B018


def test_estimate_from_a_dict_matches_the_cli_json(cli):
    import json

    import yaml

    raw = yaml.safe_load((EXAMPLES / "sentiment-bert.yaml").read_text())
    d = api.estimate(raw).to_dict()
    code, out, _ = cli("estimate", EXAMPLES / "sentiment-bert.yaml", "--json")
    assert code == 0 and json.loads(out) == d


def test_overrides_use_double_underscore_for_dots_and_match_set(cli):
    import json

    res = api.estimate(EXAMPLES / "chatbot.yaml", workload__arrivals__rate_per_s=400)
    assert res.scenario.workload.arrivals.rate_per_s == 400
    code, out, _ = cli("estimate", EXAMPLES / "chatbot.yaml", "--json",
                       "--set", "workload.arrivals.rate_per_s=400")
    assert code == 0 and json.loads(out) == res.to_dict()


def test_override_of_an_unknown_key_names_it_and_the_allowed_keys():
    with pytest.raises(InputError) as e:
        api.load_scenario(SMALL, workload__arrivals__rate=5)
    assert e.value.where == "scenario dict: override: workload.arrivals.rate"
    assert "no such key 'rate'" in e.value.message and "rate_per_s" in e.value.message


def test_load_scenario_does_not_change_its_input():
    sc = api.load_scenario(SMALL)
    sc2 = api.load_scenario(sc, deployment__replicas=3)
    assert sc.deployment.replicas == 2 and sc2.deployment.replicas == 3
    assert SMALL["deployment"]["replicas"] == 2
    with pytest.raises(InputError, match="expected a scenario path, dict or Scenario"):
        api.load_scenario(42)


def test_estimate_frame_has_one_row_per_line_and_decimal_money_summing_to_total():
    res = api.estimate(SMALL)
    df = res.to_frame()
    b = res.breakdown
    assert list(df["name"]) == [c.name for c in b.components]
    assert all(isinstance(v, Decimal) for v in df["monthly_cost"])
    # components add up to the total exactly, digit for digit
    assert sum(df["monthly_cost"], Decimal(0)) == b.monthly_total.amount
    # by hand: busy = 10 req/s x 0.050 s x 730 h = 365 replica-h; provisioned = 2 x 730
    # = 1,460 replica-h, idle = 1,460 - 365 = 1,095 replica-h; at the catalog's AWS H100
    # on-demand 6.88 USD/GPU-h: 365 x 6.88 = 2,511.20 and 1,095 x 6.88 = 7,533.60 USD/month
    by_name = dict(zip(df["name"], df["monthly_cost"], strict=True))
    assert by_name["accelerator_busy"] == Decimal("2511.20")
    assert by_name["accelerator_idle"] == Decimal("7533.60")
    f = res.to_frame(money="float")
    assert f["monthly_cost"].dtype == "float64"


def test_options_concatenate_into_one_frame():
    import pandas as pd

    base = api.estimate(EXAMPLES / "chatbot.yaml")
    spot = api.estimate(EXAMPLES / "chatbot.yaml", option="spot")
    wide = pd.concat([base.to_frame(), spot.to_frame()]).pivot(
        index="name", columns="scenario", values="monthly_cost")
    assert list(wide.columns) == sorted([base.scenario.name, spot.scenario.name])
    # spot is cheaper accelerator time, everything else the same
    assert wide.loc["accelerator_busy"].iloc[1] < wide.loc["accelerator_busy"].iloc[0]
    assert wide.loc["storage"].iloc[0] == wide.loc["storage"].iloc[1]
    with pytest.raises(InputError, match="no option named 'gold'"):
        api.estimate(EXAMPLES / "chatbot.yaml", option="gold")


def test_repr_and_html_name_the_scenario_and_escape_it():
    res = api.estimate({**SMALL, "name": "a <b> & [bold]c"})
    assert "a <b> & [bold]c" in repr(res)
    h = res._repr_html_()
    assert "a &lt;b&gt; &amp; [bold]c" in h and "<b>a <b>" not in h


def test_simulate_is_seeded_and_its_frame_sums_to_its_breakdown():
    a = api.simulate({**SMALL, "workload": {**SMALL["workload"], "duration_s": 600}}, seed=3)
    b = api.simulate({**SMALL, "workload": {**SMALL["workload"], "duration_s": 600}}, seed=3)
    assert a.to_dict() == b.to_dict()
    df = a.to_frame()
    assert sum(df["period_cost"], Decimal(0)) == a.breakdown.total.amount
    s = a.series_frame()
    # one row per 60 s bucket of the 600 s run; every served request is in one bucket
    assert len(s) == 10 and list(s["t_s"][:2]) == [0.0, 60.0]
    assert int(s["served"].sum()) == a.engine.requests["served"]
    assert "simulation 'small'" in repr(a)


def test_attribute_names_a_missing_file(tmp_path):
    with pytest.raises(InputError) as e:
        api.attribute(str(tmp_path / "bill.csv"), counts=str(tmp_path / "counts.csv"))
    assert "counts.csv: no such file" in str(e.value)  # the inputs are read before the bill


def test_attribute_demo_month_without_out_leaves_nothing(tmp_path):
    inputs = api.demo_inputs(tmp_path / "in", seed=3, requests_per_hour=20)
    before = set(tmp_path.rglob("*"))
    res = api.attribute(inputs.bill, inputs.usage, rules=inputs.rules)
    assert res.out is None and set(tmp_path.rglob("*")) == before
    assert res.conservation["holds"]
    df = res.to_frame()
    t = res.summary["totals"]
    # the allocation lines add up to the bill (conservation, exactly)
    assert sum(df["cost"], Decimal(0)) == t["bill"]
    assert "conservation holds" in repr(res)


def test_reconcile_names_what_is_missing():
    # neither an attribution folder nor a bill: the API names its own argument
    with pytest.raises(InputError) as e:
        api.reconcile(EXAMPLES / "chatbot.yaml")
    assert e.value.where == "reconcile" and "attribution folder" in e.value.message


def test_usage_and_counts_together_are_refused_in_one_line(tmp_path):
    bad = ROOT / "tests" / "data" / "bad" / "ingest"
    for call in (lambda: infercost.attribute(bad / "bill.csv", bad / "usage.csv", counts=bad / "counts.csv"),
                 lambda: infercost.reconcile(EXAMPLES / "sentiment-bert.yaml", bill=bad / "bill.csv",
                                             usage=bad / "usage.csv", counts=bad / "counts.csv")):
        with pytest.raises(InputError) as e:
            call()
        assert e.value.where == "usage and counts" and "give one of them" in e.value.message


def test_to_frame_refuses_an_unknown_money_kind():
    r = api.estimate(Path(__file__).parents[1] / "examples" / "sentiment-bert.yaml")
    with pytest.raises(InputError) as e:
        r.to_frame(money="bogus")
    assert e.value.where == "money"


def test_an_engine_error_names_the_scenario_file():
    # a path, or a Scenario read from one: the engine's key path gets the file in front
    path = EXAMPLES / "chatbot.yaml"
    for source in (path, api.load_scenario(path)):
        with pytest.raises(InputError) as e:
            api.estimate(source, model__id="nope")
        assert e.value.where == f"{path}: model.id" and "unknown model 'nope'" in e.value.message
    # a dict has no file: the key path alone
    with pytest.raises(InputError) as e:
        api.estimate(api.load_scenario(path).model_dump(mode="json", exclude_none=True),
                     model__id="nope")
    assert e.value.where == "model.id"


def test_attribute_frame_money_is_the_csv_exact_decimals(tmp_path):
    # Parquet's decimal128(38, 18) read back as 0E-18 and 427.790000000000000000; the
    # frame carries the exact figures of allocations.csv (0, 427.79), equal in value
    inputs = api.demo_inputs(tmp_path / "in", seed=3, requests_per_hour=20)
    res = api.attribute(inputs.bill, inputs.usage, rules=inputs.rules, out=tmp_path / "o")
    df = res.to_frame()
    csv = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str, keep_default_na=False)
    got = [("" if v is None else str(v)) for v in df["cost"]]
    assert got == list(csv["cost"])
    assert not any("E" in s for s in got)
    zero = [v for v in df["idle_cost"] if v is not None and v == 0]
    assert zero and all(str(v) == "0" for v in zero)


def test_attribute_frame_shows_a_tiny_amount_positionally(tmp_path):
    """A bill line of 0.0000000162 USD showed in the frame as Decimal('1.62E-8')
    (Python's own repr); allocations.csv writes it 0.0000000162."""
    from tests.attribution_helpers import focus_row

    pd.DataFrame([focus_row("0.0000000162", "i-1"), focus_row("1E-10", "i-2")]).to_csv(
        tmp_path / "bill.csv", index=False)
    (tmp_path / "counts.csv").write_text("period_start,period_s,resource_id,endpoint,requests\n"
                                         "2026-10-01T00:00:00Z,3600,i-1,/a,3\n"
                                         "2026-10-01T00:00:00Z,3600,i-2,/b,1\n")
    res = api.attribute(tmp_path / "bill.csv", counts=tmp_path / "counts.csv",
                        out=tmp_path / "o")
    df = res.to_frame()
    csv = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str, keep_default_na=False)
    assert sorted(csv["cost"]) == ["0.0000000001", "0.0000000162"]
    for v, text in zip(df["cost"], csv["cost"], strict=True):
        assert isinstance(v, Decimal) and v == Decimal(text)
        assert repr(v) == f"Decimal('{text}')" and str(v) == text and f"{v}" == text
    assert "E-" not in df.to_string()
    assert [type(x) for x in (df["cost"].sum(), -df["cost"].iloc[0])] == [Decimal, Decimal]
