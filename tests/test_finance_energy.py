"""Energy and carbon beside cost in `place`, `pnl` and `roadmap`: hand-computed cases, the
CLI on the hybrid example at 80 columns."""

import json
from decimal import Decimal

from infercost.core.scenario_finance import Roadmap
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
    narrow.clear()
    code, out, err = cli("roadmap", EXAMPLES / "hybrid-healthcare.yaml")
    assert code == 0, err
    check(out, narrow)
    assert "kWh/1k" in out and "gCO2e/1k" in out
