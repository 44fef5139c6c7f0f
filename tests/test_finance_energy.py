"""Energy and carbon beside cost in `place`, `pnl` and `roadmap`: hand-computed cases, the
CLI on the hybrid example at 80 columns."""

import json
from decimal import Decimal

from infercost.core.catalog import load_catalog
from infercost.core.energy_catalog import load_energy
from infercost.core.scenario_finance import Pipeline, Roadmap, Segment
from infercost.finance.placement_energy import placement_energy
from infercost.finance.pnl import estimate_energy, segment_pnl
from infercost.finance.roadmap import ENERGY_KEPT, ENERGY_SCALES, energy_by_month, project
from tests.conftest import EXAMPLES
from tests.test_terminal_width import check, narrow  # noqa: F401  (the 80-column fixture)

D = Decimal

TODAY = {"kwh_per_inference": 0.002, "gco2e_per_inference": 0.8, "kwh_per_1m_tokens": 1.5,
         "gco2e_per_1m_tokens": None}


def test_roadmap_energy_scales_with_the_accelerator_cost_factor():
    rm = Roadmap(months=3, applies_to="accelerator", milestones=[
        {"name": "int8", "month": 1, "cost_factor": 0.5}])
    res = project(rm, D("0.01"), D(0), D(1000))
    months, note = energy_by_month(res, "accelerator", TODAY)
    assert note == ENERGY_SCALES
    # month 0: 0.002 kWh x 1000 = 2 kWh per 1k; 0.8 g x 1000 = 800 g per 1k; 1.5 kWh per 1M tokens
    assert (months[0].kwh_per_1k_inferences, months[0].gco2e_per_1k_inferences) == (D(2), D(800))
    assert months[0].kwh_per_1m_tokens == D("1.5")
    # months 1 and 2: int8 in effect, x 0.5: 1 kWh, 400 g per 1k; 0.75 kWh per 1M tokens
    for m in months[1:]:
        assert (m.kwh_per_1k_inferences, m.gco2e_per_1k_inferences) == (D(1), D(400))
        assert m.kwh_per_1m_tokens == D("0.75")
        assert m.gco2e_per_1m_tokens is None  # no figure today: none projected, never 0


def test_roadmap_energy_kept_with_applies_to_total_and_none_without_power():
    rm = Roadmap(months=2, applies_to="total", milestones=[
        {"name": "triage", "month": 1, "cost_factor": 0.5}])
    res = project(rm, D("0.01"), D(0), D(1000))
    months, note = energy_by_month(res, "total", TODAY)
    assert note == ENERGY_KEPT
    # the factor may come from human review: 2 kWh per 1k both months
    assert [m.kwh_per_1k_inferences for m in months] == [D(2), D(2)]
    assert energy_by_month(res, "total", None) == ([], None)


def test_cli_roadmap_energy_json_and_80_columns(cli, narrow):  # noqa: F811
    code, out, err = cli("roadmap", EXAMPLES / "hybrid-healthcare.yaml", "--json")
    assert code == 0, err
    d = json.loads(out)
    m0, last = d["months"][0], d["months"][-1]
    # applies_to: total in the example: today's figure kept to the last month
    assert m0["kwh_per_1k_inferences"] > 0 and last["kwh_per_1k_inferences"] == m0["kwh_per_1k_inferences"]
    assert m0["gco2e_per_1k_inferences"] > 0 and m0["kwh_per_1m_tokens"] > 0
    assert d["energy_notes"][0] == ENERGY_KEPT
    code, out, err = cli("roadmap", EXAMPLES / "hybrid-healthcare.yaml", "--set", "roadmap.applies_to=accelerator",
                         "--json")
    d = json.loads(out)
    m0, last = d["months"][0], d["months"][-1]
    # all three milestones in effect by month 23: x 0.99 x 0.55 x 0.97 = x 0.528165
    assert abs(last["kwh_per_1k_inferences"] / m0["kwh_per_1k_inferences"] - 0.528165) < 1e-8
    assert d["energy_notes"][0] == ENERGY_SCALES
    narrow.clear()
    code, out, err = cli("roadmap", EXAMPLES / "hybrid-healthcare.yaml")
    assert code == 0, err
    check(out, narrow)
    assert "kWh/1k" in out and "gCO2e/1k" in out


PIPE = Pipeline.model_validate({
    "components": [
        {"name": "enc", "service_ms": {"edge": 100, "cloud": 50}},
        {"name": "dec", "service_ms": {"edge": 1000, "cloud": 360, "cloud-x": 360}},
    ],
    "options": [
        {"name": "edge", "kind": "edge", "on_site": True, "node_watts": 1000, "max_utilization": 0.5},
        {"name": "cloud", "kind": "cloud", "price_per_gpu_hour": 10, "max_utilization": 0.5,
         "hardware": "h100-sxm", "region": "us-west1"},
        {"name": "cloud-x", "kind": "cloud", "price_per_gpu_hour": 10},  # no hardware: not modelled
    ],
})
CLOUD = {"enc": "cloud", "dec": "cloud"}


def test_place_energy_of_a_cloud_placement_by_hand():
    assert load_energy().pue.value == D("1.58")  # the catalog PUE the arithmetic below uses
    seg = Segment(name="api", requests_per_month=36_000)
    e = placement_energy(PIPE, seg, CLOUD, {}, load_catalog(), D(1000))
    # busy: 36,000 x (50 + 360) ms / 3.6e6 = 4.1 GPU-h; provisioned 4.1 / 0.5 = 8.2, idle 4.1
    # h100-sxm: full 700 W, idle 69 W, host 575 W per GPU (catalog)
    # (4.1 x (700 + 575) + 4.1 x (69 + 575)) = 4.1 x 1,919 = 7,867.9 Wh = 7.8679 kWh x 1.58 = 12.431282 kWh
    assert e.kwh_per_month == D("12.431282")
    # us-west1 60 g/kWh: 745.87692 g
    assert e.gco2e_per_month == D("745.87692")
    d = e.to_dict()
    # per 1k: 12.431282 / 36 = 0.345313389; 745.87692 / 36 = 20.7188033
    assert d["kwh_per_1k_inferences"] == 0.345313389 and d["gco2e_per_1k_inferences"] == 20.7188033
    # per 1M tokens (1,000 a request): 12.431282 / 36,000,000 x 1e6 = 0.345313389
    assert d["kwh_per_1m_tokens"] == 0.345313389


def test_place_energy_of_an_edge_placement_and_the_site_grid():
    seg = Segment(name="hosp", requests_per_month=36_000, sites=2, grid_gco2_per_kwh=100)
    e = placement_energy(PIPE, seg, {"enc": "edge", "dec": "edge"}, {"edge": 1}, load_catalog())
    # 2 sites x 1 node x 1,000 W x 730 h / 1000 = 1,460 kWh; x 100 g/kWh (the site's figure) = 146,000 g
    assert (e.kwh_per_month, e.gco2e_per_month) == (D(1460), D(146000))
    # per 1k: 1,460 / 36 = 40.5555556 kWh; no tokens given: no per 1M tokens figure
    assert e.to_dict()["kwh_per_1k_inferences"] == 40.5555556 and e.to_dict()["kwh_per_1m_tokens"] is None
    # without the site's figure: the us-east-1 default (309 g/kWh), stated
    seg2 = Segment(name="hosp", requests_per_month=36_000, sites=2)
    e2 = placement_energy(PIPE, seg2, {"enc": "edge", "dec": "edge"}, {"edge": 1}, load_catalog())
    assert e2.gco2e_per_month == D(1460) * 309 and any("us-east-1" in n for n in e2.notes)


def test_place_energy_without_hardware_is_none_never_zero():
    seg = Segment(name="api", requests_per_month=36_000)
    e = placement_energy(PIPE, seg, {"enc": "cloud", "dec": "cloud-x"}, {}, load_catalog())
    d = e.to_dict()
    assert d["kwh_per_1k_inferences"] is None and d["gco2e_per_1k_inferences"] is None
    assert any("cloud-x: no hardware named" in n for n in e.notes)


def test_cli_place_energy_json_csv_and_80_columns(cli, narrow, tmp_path):  # noqa: F811
    code, out, err = cli("place", EXAMPLES / "hybrid-healthcare.yaml", "--json")
    assert code == 0, err
    pl = {p["segment"]: p["energy"] for p in json.loads(out)["placements"]}
    # hospitals: 2 sites x 1 edge node x 650 W x 730 h / 1000 = 949 kWh / 1,100,000 x 1000 = 0.862727273
    assert pl["hospitals"]["kwh_per_1k_inferences"] == 0.862727273
    assert pl["cloud-api"]["gco2e_per_1k_inferences"] > 0
    narrow.clear()
    code, out, err = cli("place", EXAMPLES / "hybrid-healthcare.yaml", "--csv", tmp_path / "p.csv")
    assert code == 0, err
    # the placement cell ("a@x, b@y") is wrapped by the existing table, as before: checked
    # for width only; every other cell whole
    check(out, [c for c in narrow if "@" not in c])
    assert "energy and carbon per 1k requests" in out
    head, first = (tmp_path / "p.csv").read_text().splitlines()[:2]
    assert head.endswith("kWh per 1k requests,gCO2e per 1k requests,kWh per 1M tokens")
    assert ",0.862727273," in first


def test_pnl_energy_from_the_estimate_per_1k_and_none_for_a_given_cost():
    facts = {"kwh_per_inference": 5.5e-05, "gco2e_per_inference": 0.017, "kwh_per_1m_tokens": 0.055,
             "gco2e_per_1m_tokens": 17.0, "notes": ["x PUE 1.58"]}
    e = estimate_energy(facts)
    # 5.5e-05 kWh x 1000 = 0.055 kWh per 1k; 0.017 g x 1000 = 17 g per 1k; per 1M tokens as given
    assert (e["kwh_per_1k_inferences"], e["gco2e_per_1k_inferences"]) == (0.055, 17.0)
    assert e["kwh_per_1m_tokens"] == 0.055 and e["notes"] == ["x PUE 1.58"]
    assert estimate_energy(None) is None
    seg = Segment(name="s", requests_per_month=1000)
    row = segment_pnl(seg, D("0.01"), "estimate", energy=e).to_dict()
    assert row["energy"]["kwh_per_1k_inferences"] == 0.055 and row["energy_note"] is None
    row = segment_pnl(seg, D("0.01"), "segment", energy_note="no hardware").to_dict()
    assert row["energy"] is None and row["energy_note"] == "no hardware"


def test_cli_pnl_energy_json_csv_and_80_columns(cli, narrow, tmp_path):  # noqa: F811
    code, out, err = cli("pnl", EXAMPLES / "hybrid-healthcare.yaml", "--json")
    assert code == 0, err
    segs = {s["segment"]: s for s in json.loads(out)["segments"]}
    # placed segments carry their placement's energy: hospitals 949 kWh / 1,100,000 x 1000
    assert segs["hospitals"]["energy"]["kwh_per_1k_inferences"] == 0.862727273
    # the estimate's energy where a segment has no placement (chatbot: no pipeline), "-" for a
    # segment priced with its own figure
    code, out, err = cli("estimate", EXAMPLES / "chatbot.yaml", "--json")
    kwh_inf = json.loads(out)["facts"]["energy"]["kwh_per_inference"]
    sets = "segments=[{name: a, requests_per_month: 1000}, {name: b, requests_per_month: 10, cost_per_inference: 0.1}]"
    code, out, err = cli("pnl", EXAMPLES / "chatbot.yaml", "--set", sets, "--json")
    assert code == 0, err
    a, b = json.loads(out)["segments"]
    assert a["energy"]["kwh_per_1k_inferences"] == float(f"{D(repr(kwh_inf)) * 1000:.9g}")
    assert b["energy"] is None and "own cost figure" in b["energy_note"]
    narrow.clear()
    code, out, err = cli("pnl", EXAMPLES / "chatbot.yaml", "--set", sets, "--csv", tmp_path / "n.csv")
    assert code == 0, err
    check(out, narrow)
    assert "b: the segment's own cost figure names no hardware" in out
    rows = (tmp_path / "n.csv").read_text().splitlines()
    assert rows[0].endswith("kWh per 1k requests,gCO2e per 1k requests,kWh per 1M tokens")
    assert rows[2].endswith(",,,")  # b: empty, never 0


def test_place_bad_hardware_or_region_is_one_error_line(cli, tmp_path):
    import yaml

    for key, value, expected in (("hardware", "nope", "pipeline.options[1].hardware: unknown hardware 'nope'"),
                                 ("region", "mars-1", "pipeline.options[1].region: no grid carbon intensity")):
        d = yaml.safe_load((EXAMPLES / "hybrid-healthcare.yaml").read_text())
        d["pipeline"]["options"][1][key] = value
        p = tmp_path / "bad.yaml"
        p.write_text(yaml.safe_dump(d))
        code, out, err = cli("place", p, "--json")
        assert code == 2 and out == "" and err.count("\n") == 1 and expected in err, err
