"""The finance sections of a scenario: bad input is one line naming the key."""

import pytest

from infercost.core.scenario import validate
from infercost.errors import InputError

BASE = {
    "name": "t", "currency": "USD",
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 1}},
    "service": {"mean_ms": 100},
}


def _with(**sections):
    return {**BASE, **sections}


def test_defaults_compare_one_and_three_year_commitments():
    sc = validate(_with(finance={}), "f.yaml")
    assert sc.finance.horizon_months == 36
    assert [c.term_years for c in sc.finance.commitments] == [1, 3]


def test_zero_horizon_is_an_error_naming_the_key():
    with pytest.raises(InputError) as e:
        validate(_with(finance={"horizon_months": 0}), "f.yaml")
    assert "finance.horizon_months" in e.value.line()


def test_life_longer_than_horizon_needs_a_residual():
    fin = {"horizon_months": 24, "owned": {"capex_per_gpu": 30000, "depreciation_years": 3}}
    with pytest.raises(InputError) as e:
        validate(_with(finance=fin), "f.yaml")
    assert "residual" in e.value.line()
    fin["owned"]["residual"] = 0.3
    assert validate(_with(finance=fin), "f.yaml").finance.owned.residual == 0.3


def test_negative_price_is_an_error():
    with pytest.raises(InputError) as e:
        validate(_with(finance={"owned": {"capex_per_gpu": -1}}), "f.yaml")
    assert "finance.owned.capex_per_gpu" in e.value.line()


def test_segments_and_roadmap_parse():
    sc = validate(_with(segments=[{"name": "a", "requests_per_month": 10, "price": {"per_request": "0.5"}}],
                        roadmap={"milestones": [{"name": "int8", "month": 3, "cost_factor": 0.6}]}), "f")
    assert str(sc.segments[0].price.per_request) == "0.5"
    assert sc.roadmap.milestones[0].cost_factor == 0.6
