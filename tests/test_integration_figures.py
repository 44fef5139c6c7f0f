"""integrations.figures: the headline figures of a result (pure; no MLflow needed), and
the MLflow names derived from them."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost.errors import InputError
from infercost.integrations.figures import (
    attribution_figures,
    estimate_figures,
    read_attribution,
    simulation_figures,
)
from infercost.integrations.mlflow import metric_values, version_tags
from tests.conftest import ROOT


def _bd(components, inferences="1000", hours="730", per=None, per_1k=None, monthly="10"):
    return {"scenario": "s", "currency": "EUR", "period_hours": hours, "inferences": inferences,
            "components": [{"name": n, "monthly_cost": a} for n, a in components],
            "total": {"monthly_cost": monthly, "per_inference": per,
                      "per_1k_inferences": per_1k}}


def test_estimate_figures_by_hand():
    # 2,628,000 requests in 730 h: 2,628,000 / (730 x 3600) = 1.0 request/s
    f = estimate_figures(_bd([("accelerator_busy", "6"), ("storage", "4")], inferences="2628000",
                             per="0.0000038051750380517504", per_1k="0.0038051750380517504"))
    assert f.source == "estimate" and f.currency == "EUR" and f.name == "s"
    assert f.throughput_rps == 1.0
    assert f.components == {"accelerator_busy": Decimal("6"), "storage": Decimal("4")}
    assert f.cost_per_1k_requests == Decimal("0.0038051750380517504")  # exact, as given
    assert f.p99_latency_ms is None and "p99_latency_ms" in f.notes[0]
    m = metric_values(f)
    assert "p99_latency_ms" not in m
    assert m["component.accelerator_busy"] == 6.0 and m["throughput_rps"] == 1.0
    t = version_tags(f)
    assert t["infercost.cost_per_1k_requests"] == "0.0038051750380517504"
    assert t["infercost.currency"] == "EUR" and t["infercost.source"] == "estimate"


def test_lines_of_one_component_are_summed_exactly():
    # two accelerator_busy lines (two pools): 0.1 + 0.2 = 0.3 exactly, not 0.30000000000000004
    f = estimate_figures(_bd([("accelerator_busy", "0.1"), ("accelerator_busy", "0.2")]))
    assert f.components == {"accelerator_busy": Decimal("0.3")}


def test_no_requests_leaves_the_unit_costs_out_and_says_so():
    f = estimate_figures(_bd([("storage", "10")], inferences="0"))
    assert f.cost_per_request is None and f.throughput_rps == 0.0
    assert "cost_per_request" not in metric_values(f)
    assert any("no requests served" in n for n in f.notes)


def test_simulation_takes_p99_from_latency():
    d = {"scenario": "s", "latency_ms": {"p99": 88.21}, "cost": _bd([("x", "1")], per="0.01",
                                                                    per_1k="10")}
    f = simulation_figures(d)
    assert f.source == "simulate" and f.p99_latency_ms == 88.21 and f.notes == ()
    assert version_tags(f)["infercost.p99_latency_ms"] == "88.21"
    with pytest.raises(InputError, match="has no cost"):
        simulation_figures({"scenario": "s", "cost": None})


def test_attribution_slice_must_match_exactly_one():
    s = {"breakdowns": {"bill": _bd([("x", "1")]), "slices": [
        {"key": {"model": "a", "model_version": "1"}, "breakdown": _bd([("x", "0.4")])},
        {"key": {"model": "a", "model_version": "2"}, "breakdown": _bd([("x", "0.6")])}]}}
    assert attribution_figures(s).components == {"x": Decimal("1")}
    assert attribution_figures(s, slice_key={"model_version": "2"}).components == \
        {"x": Decimal("0.6")}
    with pytest.raises(InputError, match=r"--slice model=a matches 2 slices; expected one of: "
                                         r"model=a,model_version=1; model=a,model_version=2"):
        attribution_figures(s, slice_key={"model": "a"})


def _summary(idle: str, shared: str) -> dict:
    return {"currency": "EUR", "totals": {"bill": "10", "idle": idle, "shared": shared,
                                          "unallocated": "0"},
            "breakdowns": {"bill": _bd([("x", "10")], per="0.01"), "slices": [
                {"key": {"model_version": "2"},
                 "breakdown": _bd([("x", "2")], per="0.002", per_1k="2", monthly="2")}]}}


def test_a_slice_without_idle_is_named_allocated_and_says_so():
    # idle 7 and shared 1 of a 10 EUR bill stay with the whole bill (rules `report`)
    f = attribution_figures(_summary("7", "1"), slice_key={"model_version": "2"})
    assert f.left_out == ("idle", "shared")
    m = metric_values(f)
    assert m["allocated_cost_per_request"] == 0.002 and m["allocated_monthly_cost"] == 2.0
    assert not {"cost_per_request", "cost_per_1k_requests", "monthly_cost"} & set(m)
    t = version_tags(f)
    assert t["infercost.left_out"] == "idle,shared"
    assert t["infercost.allocated_cost_per_1k_requests"] == "2"
    (note,) = [n for n in f.notes if n.startswith("model_version=2")]
    assert "idle 7.00 EUR (70.0% of the bill), shared 1.00 EUR (10.0% of the bill)" in note
    assert note.endswith("the whole bill is 0.01 EUR per request")


def test_a_slice_with_idle_and_shared_spread_is_fully_loaded():
    # both spread over the slices (rules `idle: share`, `shared: requests`): nothing left
    f = attribution_figures(_summary("0", "0"), slice_key={"model_version": "2"})
    assert f.left_out == () and f.money_prefix == ""
    assert metric_values(f)["cost_per_request"] == 0.002
    assert "infercost.left_out" not in version_tags(f)
    # the whole bill is never a slice: fully loaded whatever the rules
    assert attribution_figures(_summary("7", "1")).left_out == ()


def test_not_a_breakdown_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not an infercost cost breakdown"):
        estimate_figures({"scenario": "s", "currency": "USD"})
    (tmp_path / "summary.json").write_text("{not json")
    with pytest.raises(InputError, match="summary.json: not JSON"):
        read_attribution(tmp_path)
    (tmp_path / "summary.json").write_text('{"totals": {}}')
    with pytest.raises(InputError, match="no `breakdowns.bill` in this summary"):
        read_attribution(tmp_path)


money = st.decimals(min_value=0, max_value=10**9, places=9, allow_nan=False)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c.d", "é"]), money), min_size=1))
def test_components_and_tags_keep_every_digit(lines):
    """Same-name lines add up exactly; the tags hold the exact decimal strings; metric
    names keep to MLflow's characters."""
    total = sum((a for _, a in lines), Decimal(0))
    f = estimate_figures(_bd([(n, str(a)) for n, a in lines], per=str(total / 1000),
                             per_1k=str(total), monthly=str(total)))
    assert sum(f.components.values(), Decimal(0)) == total
    for name in {n for n, _ in lines}:
        assert f.components[name] == sum((a for n, a in lines if n == name), Decimal(0))
    tags = version_tags(f)
    assert Decimal(tags["infercost.monthly_cost"]) == total
    assert Decimal(tags["infercost.cost_per_1k_requests"]) == total
    assert all(re.fullmatch(r"[A-Za-z0-9_\-. /]+", k) for k in metric_values(f))


def test_docs_name_every_option_of_the_command():
    from typer.main import get_command

    from infercost.cli import app

    text = (ROOT / "docs" / "mlflow-kubeflow.md").read_text()
    log = get_command(app).commands["mlflow"].commands["log"]
    for p in log.params:
        for opt in getattr(p, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}" in text or f" {opt} " in text, f"{opt} not in the docs"


def test_help_imports_neither_mlflow_nor_kfp():
    import subprocess
    import sys

    code = ("import sys, infercost.cli; "
            "print(','.join(m for m in ('mlflow', 'kfp') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": str(ROOT / "src")})
    assert out.stdout.strip() == ""


def test_without_the_mlflow_extra_the_command_says_so(cli, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    code, out, err = cli("mlflow", "log", ROOT / "examples" / "chatbot.yaml",
                         "--model-name", "m", "--model-version", "1")
    assert code == 2 and out == ""
    assert err == ("error: infercost mlflow: mlflow is not installed; "
                   "pip install 'infercost[mlflow]'\n")
