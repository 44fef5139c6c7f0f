"""Placement, P&L per segment and the cost roadmap on hand-computed cases; the CLI on the example."""

import json
import subprocess
import sys
from decimal import Decimal

import pytest

from infercost.core.scenario_finance import Pipeline, Roadmap, Segment
from infercost.errors import InputError
from infercost.finance.placement import place
from infercost.finance.pnl import segment_pnl
from infercost.finance.roadmap import project
from tests.conftest import ROOT

D = Decimal

PIPE = Pipeline.model_validate({
    "components": [
        {"name": "enc", "must_stay_on_site": True, "service_ms": {"edge": 100, "cloud": 50}},
        {"name": "dec", "service_ms": {"edge": 1000, "cloud": 360}},
    ],
    "options": [
        {"name": "edge", "kind": "edge", "on_site": True, "capex_per_node": 3600, "depreciation_years": 3,
         "node_watts": 1000, "power_price_per_kwh": "0.1", "max_utilization": 0.5},
        {"name": "cloud", "kind": "cloud", "price_per_gpu_hour": 10, "max_utilization": 0.5,
         "network_latency_ms": 100},
    ],
    "transfers": [
        {"source": "user", "target": "enc", "bytes_per_request": 1e6},
        {"source": "enc", "target": "dec", "bytes_per_request": 1e9},
        {"source": "dec", "target": "user", "bytes_per_request": 1e6},
    ],
    "egress_per_gb": "0.1", "upload_per_gb": "0.05", "wan_ms": 40,
})


def test_cloud_only_segment_runs_everything_in_the_cloud():
    seg = Segment(name="api", requests_per_month=36_000, sites=0)
    p = place(PIPE, seg)
    assert p.assignment == {"enc": "cloud", "dec": "cloud"}
    # compute: 36,000 x (50 + 360) ms = 4.1 GPU-h x 10 / 0.5 utilisation = 82.00
    assert p.compute_per_month == D(82)
    # transfers: enc -> dec stays in the cloud (free); dec -> user egress 36,000 x 1 MB = 36 GB x 0.1
    assert p.transfer_per_month == D("3.6")
    # latency: 100 network + 50 + 360 = 510 ms; no site/cloud crossing (the user is on the internet)
    assert p.latency_ms == 510


def test_on_site_data_keeps_the_encoder_on_site_and_prices_the_crossing():
    seg = Segment(name="hosp", requests_per_month=36_000, sites=1, data_on_site=True)
    p = place(PIPE, seg)
    # options: enc@edge (forced) with dec@edge or dec@cloud.
    # edge node month: 3600 / 36 = 100 depreciation + 1 kW x 730 h x 0.1 = 73 power = 173.
    # all edge: 36,000 x 1,100 ms = 11 GPU-h a month -> 1 node: 173.00, no transfer.
    # dec@cloud: 1 edge node 173 + 36,000 x 360 ms = 3.6 GPU-h x 10 / 0.5 = 72, plus uploading
    # 36,000 x 1 GB x 0.05 = 1,800 and egress back 36 GB x 0.1 = 3.6: 2,048.60 -> all edge wins
    assert p.assignment == {"enc": "edge", "dec": "edge"}
    assert p.total_per_month == D(173)
    assert p.edge_depreciation_per_month == D(100)


def test_no_valid_placement_names_the_constraint():
    enc_cloud_only = PIPE.components[0].model_copy(update={"service_ms": {"cloud": 50}})
    pipe = PIPE.model_copy(update={"components": [enc_cloud_only, PIPE.components[1]]})
    with pytest.raises(InputError, match="must stay on site"):
        place(pipe, Segment(name="hosp", requests_per_month=10, sites=1, data_on_site=True))
    with pytest.raises(InputError, match="latency budget of 100 ms"):
        place(PIPE, Segment(name="api", requests_per_month=10, latency_budget_ms=100))


def test_segment_pnl_and_price_for_target_margin():
    seg = Segment(name="s", requests_per_month=10_000, seats=10, target_margin=0.5,
                  price={"per_request": "0.05", "per_seat_month": 20}, edge_depreciation_per_month=100)
    r = segment_pnl(seg, D("0.02"), "segment")
    # revenue 10,000 x 0.05 + 10 x 20 = 700; cost 10,000 x 0.02 + 100 = 300; contribution 400
    assert (r.revenue, r.cost, r.contribution) == (D(700), D(300), D(400))
    assert r.gross_margin == D(400) / D(700)
    # 50% margin: revenue 300 / 0.5 = 600 = 10,000 p + 200 -> p = 0.04
    assert r.price_for_target == D("0.04")


def test_roadmap_projection_by_hand():
    rm = Roadmap(months=4, target_cost_per_inference=D("0.6"), milestones=[
        {"name": "int8", "month": 1, "cost_factor": 0.5},
        {"name": "distil", "month": 3, "cost_factor": 0.5, "one_off_cost": 10}])
    res = project(rm, D("0.8"), D("0.2"), D(100))
    # cost/inf: m0 0.8 + 0.2 = 1.0; m1, m2 0.4 + 0.2 = 0.6; m3 0.2 + 0.2 = 0.4
    assert [m.cost_per_inference for m in res.months] == [D("1.0"), D("0.6"), D("0.6"), D("0.4")]
    assert res.target_month == 1
    # savings: 0, 40, 40, 60 - 10 = 50 -> 130
    assert res.total_savings == D(130)


def test_roadmap_total_is_the_sum_of_the_rounded_rows():
    # 6 inferences a month at 0.1 cent each, 2/3 off from month 1: months 1..3 save
    # 0.001 x (2/3) x 6 x 1.01^m = 0.00404, 0.00408, 0.00412 -> each row 0.00 in cents,
    # while a total summed from the exact values (0.01224) would print 0.01
    rm = Roadmap(months=4, volume_growth_per_month=0.01, milestones=[
        {"name": "int8", "month": 1, "cost_factor": D(1) / 3}])
    res = project(rm, D("0.001"), D(0), D(6)).to_dict()
    rows = sum(D(m["savings"]) for m in res["months"])
    assert D(res["total_savings"]) == rows == 0


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "infercost", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_cli_place_pnl_roadmap_on_the_hybrid_example():
    r = _cli("place", "examples/hybrid-healthcare.yaml", "--json")
    assert r.returncode == 0, r.stderr
    pl = {p["segment"]: p for p in json.loads(r.stdout)["placements"]}
    assert pl["hospitals"]["assignment"]["image-encoder"] == "edge-l40s"
    assert set(pl["cloud-api"]["assignment"].values()) == {"cloud-h100"}
    r = _cli("pnl", "examples/hybrid-healthcare.yaml", "--json")
    assert r.returncode == 0, r.stderr
    segs = {s["segment"]: s for s in json.loads(r.stdout)["segments"]}
    assert segs["hospitals"]["price_per_request_for_target"] is not None
    r = _cli("roadmap", "examples/hybrid-healthcare.yaml", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["target_reached_month"] is not None
    r = _cli("place", "examples/hybrid-healthcare.yaml", "--set",
             "segments=[{name: api, requests_per_month: 10, latency_budget_ms: 10}]")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "latency budget" in r.stderr


def test_estimate_prices_owned_gpus_with_the_owned_function():
    from infercost.capacity.estimate import estimate
    from infercost.core.catalog import load_catalog
    from infercost.core.scenario import load_scenario

    sc = load_scenario(ROOT / "examples" / "hybrid-healthcare.yaml")
    b = estimate(sc, load_catalog()).breakdown
    busy = next(c for c in b.components if c.name == "accelerator_busy")
    assert "owned: capex 14000 over 36 months" in busy.driver


PNL_SC = {
    "name": "pnl1", "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 1}},  # 2,628,000 requests a month
    "service": {"mean_ms": 100},
    "deployment": {"hardware": "l4", "replicas": 1, "pricing": {"price_per_gpu_hour": 1}},
    "costs": {"engineering": {"fte": 1, "annual_cost_per_fte": 120000}},
}


def _pnl(tmp_path, segments, **extra):
    import yaml

    from infercost import api

    p = tmp_path / "pnl.yaml"
    p.write_text(yaml.safe_dump({**PNL_SC, **extra, "segments": segments}))
    return api.pnl(p)


def test_pnl_counts_fixed_costs_once_split_by_requests(tmp_path):
    rows = _pnl(tmp_path, [{"name": "a", "requests_per_month": 2_628_000, "price": {"per_request": 0.01}},
                           {"name": "b", "requests_per_month": 26_280_000, "price": {"per_request": 0.01}}])
    a, b = (r.to_dict() for r in rows)
    # estimate: 1 replica x 730 h x 1 USD = 730 accelerator (variable: 730 / 2,628,000 per request)
    # + engineering 120,000 / 12 = 10,000 a month (fixed). Segments 2.628M and 26.28M = 11x the
    # workload: variable 730 and 7,300; fixed 10,000 split 1:10 = 909.09 and 9,090.91
    assert (a["fixed_cost_per_month"], b["fixed_cost_per_month"]) == ("909.09", "9090.91")
    assert (a["cost_per_month"], b["cost_per_month"]) == ("1639.09", "16390.91")
    assert rows[0].fixed_cost + rows[1].fixed_cost == D(10_000)  # once, exactly
    # the month at the segments' volume: 11 x 730 + 10,000 = 18,030 (was 10,730 + 107,300)
    assert sum(r.cost for r in rows).quantize(D("0.01")) == D("18030.00")
    assert a["cost_per_inference"] == "0.000278"  # 730 / 2,628,000, variable only
    assert any("Engineering: 10,000.00 USD a month) counted once and split by share of requests" in n
               for n in rows.notes), rows.notes
    assert any("28,908,000 requests a month, the workload 2,628,000 (11x)" in n for n in rows.notes)


def test_pnl_zero_requests_still_carries_the_fixed_costs(tmp_path):
    rows = _pnl(tmp_path, [{"name": "a", "requests_per_month": 0, "price": {"per_month": 5000}},
                           {"name": "own", "requests_per_month": 100, "cost_per_inference": "0.5"}])
    a, own = rows
    # the costed segment has no requests: it carries the whole 10,000 of engineering (was 0)
    assert (a.cost, a.fixed_cost) == (D(10_000), D(10_000))
    assert a.contribution == D(-5000)
    # a segment with its own cost per inference takes no share: 100 x 0.5
    assert (own.cost, own.fixed_cost) == (D("50.0"), D(0))
    assert any("own: own cost_per_inference" in n for n in rows.notes)
    assert any("split evenly (the segments have no requests)" in n for n in rows.notes)


def test_allocate_fixed_is_exact_by_requests_or_even():
    from infercost.finance.pnl import allocate_fixed

    parts = allocate_fixed(D(100), [D(1), D(1), D(1)])
    assert parts == [D("33.3333333334"), D("33.3333333333"), D("33.3333333333")] and sum(parts) == 100
    assert allocate_fixed(D(10), [D(0), D(0)]) == [D(5), D(5)]
    assert allocate_fixed(D(10), [D(0), D(3)]) == [D(0), D(10)]
    assert allocate_fixed(D("0.00000000001"), [D(1), D(2)]) == [D(0), D("0.00000000001")]
    assert allocate_fixed(D(7), []) == []
