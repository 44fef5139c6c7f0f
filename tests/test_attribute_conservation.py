"""Conservation, property-tested: allocated + idle + shared + unallocated = bill, exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.ingest.backends import connect
from tests.attribution_helpers import attribute_rows, focus_row, usage_row

RES = ["i-0", "i-1", "i-2", "s3"]
money = st.decimals(min_value=Decimal("-50"), max_value=Decimal("500"), places=11,
                    allow_nan=False, allow_infinity=False)

bill_rows = st.lists(
    st.builds(
        lambda cost, billed, res, start, hours, cat, svc: focus_row(
            str(cost), res, start=start, hours=hours, category=cat, service=svc,
            billed=str(billed)),
        money, money, st.sampled_from([*RES, None]), st.integers(-3, 60), st.integers(1, 30),
        st.sampled_from(["Usage", "Usage", "Usage", "Credit", "Tax", "Purchase", "Adjustment"]),
        st.sampled_from(["Compute", "Storage", "Networking", "AI and Machine Learning"]),
    ),
    min_size=1, max_size=25,
)
usage_rows = st.lists(
    st.builds(
        lambda i, res, h, dur, tin, tout, tenant: usage_row(
            f"r{i}", res, h, dur, tenant=tenant, tin=tin, tout=tout),
        st.integers(0, 40), st.sampled_from([*RES, "i-9"]),
        st.floats(-2, 60 * 24, allow_nan=False), st.sampled_from([0, 1, 2.5, 100, 3.6e6, 1e9, -1]),
        st.integers(0, 5000), st.integers(0, 500), st.sampled_from(["a", "b", "c"]),
    ),
    max_size=40,
)
rules = st.fixed_dictionaries({
    "driver": st.sampled_from(["duration_ms", "tokens", "requests", "capacity"]),
    "idle": st.sampled_from(["report", "share"]),
    "shared": st.sampled_from(["report", "requests", "cost", "even"]),
    "cost_basis": st.sampled_from(["EffectiveCost", "BilledCost"]),
})


@pytest.fixture(scope="module")
def con():
    return connect("duckdb")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(bill=bill_rows, usage=usage_rows, rules=rules)
def test_conservation_on_random_bills_and_logs(con, bill, usage, rules):
    res, req = attribute_rows(bill, usage, rules, con=con, with_requests=True)
    s = res.summary
    t = s["totals"]
    col = "EffectiveCost" if rules["cost_basis"] == "EffectiveCost" else "BilledCost"
    expected = sum((Decimal(r[col]) for r in bill), Decimal(0))
    assert t["bill"] == expected
    assert s["conservation"]["holds"] and s["conservation"]["difference"] == 0
    assert t["allocated"] + t["idle"] + t["shared"] + t["unallocated"] == expected
    assert sum(res.allocations["cost"], Decimal(0)) == expected
    # every usage row is in exactly one allocation row's count, none dropped
    assert int(res.allocations["requests"].sum()) == len(usage) == len(req)
    # per-request costs add up to the direct allocation
    assert sum(req["cost"], Decimal(0)) == t["allocated_direct"]
    assert (req.loc[req["allocation"] != "allocated", "cost"] == 0).all()
