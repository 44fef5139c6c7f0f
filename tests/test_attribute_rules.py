"""The default allocation rules (R1-R7 in infercost.allocation.rules), pinned down."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest

from infercost.allocation.engine import spread
from infercost.allocation.rules import parse_rules
from infercost.errors import InputError
from tests.attribution_helpers import D, alloc, attribute_rows, focus_row, usage_row


def _conserves(res):
    t = res.summary["totals"]
    assert res.summary["conservation"]["holds"]
    assert t["allocated"] + t["idle"] + t["shared"] + t["unallocated"] == t["bill"]
    assert sum(res.allocations["cost"], Decimal(0)) == t["bill"]


def test_r1_fleet_is_bill_rows_whose_resource_is_in_the_log():
    bill = [focus_row("10", "i-1"), focus_row("4", "i-2"), focus_row("3", "bucket",
                                                                       service="Storage")]
    use = [usage_row("a", "i-1", 0.1, 100), usage_row("b", "i-2", 0.2, 100)]
    res = attribute_rows(bill, use)
    assert res.summary["fleet"]["resources"] == 2
    assert res.summary["totals"]["allocated"] == 14
    assert res.summary["totals"]["shared"] == 3
    _conserves(res)


def test_r1_rules_select_fleet_by_tags_service_or_sku():
    bill = [focus_row("10", "i-1"), focus_row("6", "i-spare", tags={"team": "ml"}),
            focus_row("3", "i-other", SkuId="BoxUsage:g6e")]
    use = [usage_row("a", "i-1", 0.1, 100)]
    res = attribute_rows(bill, use, {"fleet": {"tags": {"team": "ml"}, "skus": ["BoxUsage:g6e"]}})
    assert res.summary["totals"]["idle"] == 9  # both extra instances are fleet, unused
    assert res.summary["totals"]["shared"] == 0
    assert alloc(res, kind="idle", detail="i-spare") == 6
    res = attribute_rows(bill, use, {"fleet": {"from_usage": False, "resource_ids": ["i-spare"]}})
    assert res.summary["totals"]["shared"] == 13 and res.summary["totals"]["idle"] == 6


def test_r2_r3_hour_cost_split_by_duration_within_the_hour():
    bill = [focus_row("9", "i-1", start=0, hours=3)]  # 3 per hour
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x"), usage_row("b", "i-1", 0.5, 200, tenant="y"),
           usage_row("c", "i-1", 1.5, 5, tenant="x")]
    res, req = attribute_rows(bill, use, with_requests=True)
    cost = dict(zip(req["request_id"], req["cost"], strict=True))
    assert cost["a"] == D(1) and cost["b"] == D(2)  # hour 0: 3 split 100:200
    assert cost["c"] == D(3)  # hour 1: all of it
    assert alloc(res, kind="idle") == 3  # hour 2 had no requests
    assert alloc(res, tenant="x") == 4 and alloc(res, tenant="y") == 2
    _conserves(res)


def test_r2_quanta_rounding_stays_exact():
    bill = [focus_row("1", "i-1")]
    use = [usage_row(str(i), "i-1", 0.1, 1) for i in range(3)]
    res, req = attribute_rows(bill, use, with_requests=True)
    assert set(req["cost"]) == {D("0.3333333333")}
    assert alloc(res, kind="idle") == D("0.0000000001")  # the sub-quantum rest, shown
    assert alloc(res, kind="idle", detail="rounding: sub-quantum request shares") == D(
        "0.0000000001")
    _conserves(res)


def test_r4_idle_reported_per_resource_and_shared_back_on_request():
    bill = [focus_row("2", "i-1", start=0, hours=2), focus_row("5", "i-2", start=0, hours=1)]
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x"), usage_row("b", "i-1", 0.2, 300, tenant="y"),
           usage_row("c", "i-2", 0.3, 1, tenant="y")]
    res = attribute_rows(bill, use)
    idle = res.allocations[res.allocations["kind"] == "idle"]
    assert list(idle["detail"]) == ["i-1"] and idle["cost"].iloc[0] == 1
    assert idle["model"].iloc[0] == "__idle__"
    res2 = attribute_rows(bill, use, {"idle": "share"})
    assert res2.summary["totals"]["idle"] == 0
    assert alloc(res2, tenant="x") == D("0.5")  # 0.25 direct + 0.25 of idle (25% of i-1)
    assert alloc(res2, tenant="y") == D("6.5")
    _conserves(res2)


def test_r5_shared_by_service_category_and_spread_rules():
    bill = [focus_row("10", "i-1"), focus_row("6", "s3", service="Storage"),
            focus_row("2", category="Tax", service="Other")]
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x"), usage_row("b", "i-1", 0.2, 100, tenant="y"),
           usage_row("c", "i-1", 0.3, 200, tenant="y")]
    res = attribute_rows(bill, use)
    shared = res.allocations[res.allocations["kind"] == "shared"]
    assert sorted(shared["detail"]) == ["Other / tax", "Storage / usage"]
    assert res.summary["totals"]["shared"] == 8
    by_req = attribute_rows(bill, use, {"shared": "requests"})
    assert alloc(by_req, tenant="x") == D("2.5") + D("2.6666666667")
    assert by_req.summary["totals"]["shared"] == 0
    _conserves(by_req)
    even = attribute_rows(bill, use, {"shared": "even"})
    assert alloc(even, tenant="x") == D("2.5") + 4 and alloc(even, tenant="y") == D("7.5") + 4
    by_cost = attribute_rows(bill, use, {"shared": "cost"})
    assert alloc(by_cost, tenant="x") == D("2.5") + 2
    _conserves(by_cost)


def test_r6_usage_without_bill_row_is_counted_never_priced():
    bill = [focus_row("10", "i-1", start=0)]
    use = [usage_row("a", "i-1", 0.5, 100), usage_row("b", "i-1", 5.5, 100),
           usage_row("c", "i-9", 0.5, 100), usage_row("d", "i-1", 24 * 40, 100),
           usage_row("e", "i-1", 0.6, -5)]
    res, req = attribute_rows(bill, use, with_requests=True)
    rows = res.summary["rows"]
    assert rows["usage_read"] == 5 and rows["usage_allocated"] == 1
    assert rows["usage_without_bill_row"] == 2 and rows["usage_outside_period"] == 1
    assert rows["usage_rejected_by_reason"] == {"rejected: negative duration_ms": 1}
    un = res.allocations[res.allocations["kind"] == "unallocated"]
    assert un["requests"].sum() == 4 and (un["cost"] == 0).all()
    assert alloc(res, kind="allocated") == 10
    assert dict(zip(req["request_id"], req["allocation"], strict=True))["e"].startswith("rejected")
    _conserves(res)


def test_r6_fleet_rows_without_charge_period_are_unallocated_cost():
    bill = [focus_row("10", "i-1"), focus_row("4", "i-1", ChargePeriodStart="NULL")]
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 1)])
    assert res.summary["totals"]["unallocated"] == 4
    _conserves(res)


@pytest.mark.parametrize("driver,expected_a", [
    ("duration_ms", D("2.5")), ("tokens", D(8)), ("requests", D(5)),
])
def test_other_drivers(driver, expected_a):
    bill = [focus_row("10", "i-1")]
    use = [usage_row("a", "i-1", 0.1, 100, tin=60, tout=20),
           usage_row("b", "i-1", 0.2, 300, tin=10, tout=10)]
    res, req = attribute_rows(bill, use, {"driver": driver}, with_requests=True)
    assert dict(zip(req["request_id"], req["cost"], strict=True))["a"] == expected_a
    _conserves(res)


def test_capacity_driver_makes_unused_share_idle():
    bill = [focus_row("10", "i-1")]
    use = [usage_row("a", "i-1", 0.1, 900_000), usage_row("b", "i-1", 0.2, 900_000)]
    res = attribute_rows(bill, use, {"driver": "capacity"})
    assert res.summary["totals"]["allocated"] == 5 and res.summary["totals"]["idle"] == 5
    res = attribute_rows(bill, use, {"driver": "capacity", "capacity_ms_per_hour": {"i-1": 1_000_000}})
    assert res.summary["totals"]["allocated"] == 10  # over capacity: busy time wins


def test_gpu_time_driver_needs_the_column():
    with pytest.raises(InputError):
        attribute_rows([focus_row("1", "i-1")], [usage_row("a", "i-1", 0.1, 1)],
                       {"driver": "gpu_time"})
    res = attribute_rows([focus_row("1", "i-1")],
                         [usage_row("a", "i-1", 0.1, 1, gpu_ms=3.0),
                          usage_row("b", "i-1", 0.1, 1, gpu_ms=1.0)], {"driver": "gpu_time"})
    assert res.summary["totals"]["allocated"] == 1


def test_billed_cost_basis_and_credits_on_fleet():
    bill = [focus_row("7", "i-1", billed="10"), focus_row("-1", "i-1", category="Credit")]
    use = [usage_row("a", "i-1", 0.1, 1)]
    eff = attribute_rows(bill, use)
    assert eff.summary["totals"]["allocated"] == 6
    billed = attribute_rows(bill, use, {"cost_basis": "BilledCost"})
    assert billed.summary["totals"]["allocated"] == 9
    _conserves(billed)


def test_negative_fleet_usage_rows_are_netted_and_noted(tmp_path):
    # hour 0: 10 USD; hour 1: 10 - 14 = -4 USD (a negative Usage row, not a Credit)
    bill = [focus_row("10", "i-1", 0), focus_row("10", "i-1", 1), focus_row("-14", "i-1", 1),
            focus_row("-1", "i-1", 0, category="Credit")]  # a credit: expected, no note
    use = [usage_row("a", "i-1", 0.1, 1000), usage_row("b", "i-1", 1.1, 1000)]
    res = attribute_rows(bill, use)
    # a gets hour 0: 10 - 1 = 9; b gets hour 1: -4; allocated 9 + -4 = 5
    assert alloc(res) == D("5")
    notes = [n for n in res.summary["notes"] if "negative" in n]
    assert notes == [
        "1 fleet Usage row with a negative EffectiveCost (-14 USD in all): netted into its "
        "resource-hour as billed (FOCUS books refunds and credits as Credit or Adjustment rows)",
        "1 fleet resource-hour net below zero (credits or negative rows exceed the charges): "
        "the amounts allocated and idle there are negative"]
    _conserves(res)
    # the same bill read in the engine (a CSV file through run_attribution): the same notes
    import pandas as pd

    from infercost.allocation.run import run_attribution

    pd.DataFrame(bill).to_csv(tmp_path / "bill.csv", index=False)
    pd.DataFrame(use).to_parquet(tmp_path / "usage.parquet")
    s = run_attribution(tmp_path / "bill.csv", tmp_path / "usage.parquet", tmp_path / "out")
    assert s["_bill_reader"]["engine"] and [n for n in s["notes"] if "negative" in n and not
                                            n.startswith("usage timestamps")] == notes
    assert s["totals"]["allocated"] == D("5")


def test_drivers_and_per_unit_figures():
    bill = [focus_row("83", "i-1"), focus_row("6", "s3", service="Storage"),
            focus_row("4", ServiceName="AWS Data Transfer", service="Networking"),
            focus_row("7", category="Tax", service="Other")]
    use = [usage_row("a", "i-1", 0.1, 10, tin=1000, tout=1000)]
    s = attribute_rows(bill, use).summary
    assert [(d["driver"], d["share"]) for d in s["drivers"]] == [
        ("instance time (fleet)", "83.0%"), ("tax", "7.0%"), ("Storage", "6.0%"),
        ("Networking", "4.0%")]
    assert s["unit_costs"]["cost_per_1m_tokens"] == D("41500")


def test_duplicate_request_ids_are_reported():
    use = [usage_row("a", "i-1", 0.1, 1), usage_row("a", "i-1", 0.2, 1)]
    s = attribute_rows([focus_row("1", "i-1")], use).summary
    assert s["rows"]["duplicate_request_ids"] == 1
    assert s["rows"]["usage_allocated"] == 2


def test_duplicates_not_checked_are_none_not_zero():
    from infercost.allocation.engine import attribute
    from infercost.allocation.rules import parse_rules
    from infercost.ingest.backends import connect
    from tests.attribution_helpers import make_bill, make_usage

    use = [usage_row("a", "i-1", 0.1, 1), usage_row("a", "i-1", 0.2, 1)]
    con = connect("duckdb")
    with tempfile.TemporaryDirectory() as tmp:
        res = attribute(make_bill([focus_row("1", "i-1")]), make_usage(con, use),
                        parse_rules({}), con, Path(tmp), check_duplicates=False)
    assert res.summary["rows"]["duplicate_request_ids"] is None


def test_rows_without_a_request_id_are_not_counted_as_duplicates():
    # two rows without an id and one with: 3 rows, 1 id, 1 distinct id -> 0 duplicates
    # (counting rows less distinct ids said 2); two rows sharing "a" still count 1
    use = [usage_row(None, "i-1", 0.1, 1), usage_row(None, "i-1", 0.2, 1),
           usage_row("a", "i-1", 0.3, 1)]
    s = attribute_rows([focus_row("1", "i-1")], use).summary
    assert s["rows"]["duplicate_request_ids"] == 0
    use.append(usage_row("a", "i-1", 0.4, 1))
    assert attribute_rows([focus_row("1", "i-1")], use).summary["rows"][
        "duplicate_request_ids"] == 1
    # blank ids (trimmed to "" when read) are no id either: still 1 (the two "a" rows)
    use += [usage_row("", "i-1", 0.5, 1), usage_row("", "i-1", 0.6, 1)]
    assert attribute_rows([focus_row("1", "i-1")], use).summary["rows"][
        "duplicate_request_ids"] == 1


def test_spread_is_exact():
    parts = spread(D("1.00000000005"), [1, 1, 1])
    assert sum(parts, Decimal(0)) == D("1.00000000005")
    assert spread(D(1), [0, 0]) is None
    assert spread(D("-1"), [1, 2]) == [D("-0.3333333333"), D("-0.6666666667")]


def test_rules_errors_name_the_key():
    with pytest.raises(InputError, match="driver"):
        parse_rules({"driver": "vibes"})
    with pytest.raises(InputError, match="fleet.color"):
        parse_rules({"fleet": {"color": "blue"}})
    with pytest.raises(InputError, match="unknown key"):
        parse_rules({"bogus": 1})
    with pytest.raises(InputError, match="capacity_ms_per_hour"):
        parse_rules({"capacity_ms_per_hour": -1})


def test_fleet_of_rows_without_resource_id_is_all_idle():
    """A fleet chosen by ServiceName whose rows name no ResourceId (a SaaS GPU line) has
    no resource-hour a request can match: its 3 x 2.5 = 7.5 is idle, the other line's 1
    shared, nothing allocated (once a pandas merge of float and text keys: a traceback)."""
    bill = [focus_row("2.5", None, start=h, ServiceName="SaaS GPU") for h in range(3)]
    bill.append(focus_row("1", "x", start=0))
    usage = [usage_row(f"r{h}", "i-a", h + 0.5, 100.0) for h in range(3)]
    res = attribute_rows(bill, usage, {"fleet": {"services": ["SaaS GPU"]}})
    t = res.summary["totals"]
    assert (t["allocated"], t["idle"], t["shared"]) == (D(0), D("7.5"), D(1))
    assert res.summary["conservation"]["holds"]


def test_fleet_selectors_matching_no_bill_row_are_noted():
    """A misspelt ServiceName, SkuId, ResourceId or tag in `fleet:` selects nothing: each
    is said in a note (their rows would otherwise be shared without a word); a selector
    that matches says nothing."""
    bill = [focus_row("10", "i-1"), focus_row("6", "i-spare", tags={"team": "ml"}),
            focus_row("3", "i-other", SkuId="BoxUsage:g6e")]
    use = [usage_row("a", "i-1", 0.1, 100)]
    res = attribute_rows(bill, use, {"fleet": {
        "tags": {"team": "ML"}, "skus": ["BoxUsage:g6e", "boxusage:G6E"],
        "services": ["Compute", "EC2", "Sagemaker", "Bedrock", "Vertex"],
        "resource_ids": ["I-SPARE", "i-spare"]}})
    notes = [n for n in res.summary["notes"] if n.startswith("fleet ")]
    assert notes == [
        "fleet resource_ids: I-SPARE matches no bill row (compared exactly, Azure ids in "
        "lower case): no row joins the fleet by it",
        "fleet services: Compute, EC2, Sagemaker and 2 more match no bill row (compared "
        "exactly): no row joins the fleet by it",  # (ServiceName: Amazon Elastic ...)
        "fleet skus: boxusage:G6E matches no bill row (compared exactly): no row joins the "
        "fleet by it",
        "fleet tags: team=ML matches no bill row (every pair on one row's Tags): no row "
        "joins the fleet by it",
    ]
    # the selectors that match still select: i-spare and i-other idle, nothing shared
    assert res.summary["totals"]["idle"] == 9 and res.summary["totals"]["shared"] == 0
    res = attribute_rows(bill, use, {"fleet": {"tags": {"team": "ml"}}})
    assert not [n for n in res.summary["notes"] if n.startswith("fleet ")]


def test_an_empty_usage_log_is_noted(tmp_path):
    """A usage log of a header and no row: the run goes through (the bill is all shared
    here: no fleet) and says why nothing is allocated."""
    from infercost.allocation.run import run_attribution

    bill = tmp_path / "bill.csv"
    import pandas as pd

    pd.DataFrame([focus_row("10", "i-1"), focus_row("2", "vol-1", service="Storage")]
                 ).to_csv(bill, index=False)
    log = tmp_path / "usage.csv"
    log.write_text("timestamp,request_id,resource_id,duration_ms\n")
    s = run_attribution(bill, log, tmp_path / "out")
    assert s["rows"]["usage_read"] == 0
    assert s["totals"]["shared"] == 12 and s["totals"]["allocated"] == 0
    assert ("the usage log holds no rows: nothing to allocate to, so the bill is all "
            "shared, idle or unallocated") in s["notes"]
    s = run_attribution(bill, None, tmp_path / "out2")  # the bill alone: no such note
    assert not [n for n in s["notes"] if "holds no rows" in n]
