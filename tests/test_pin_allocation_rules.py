"""Allocation rules that conservation cannot see (R1-R7 in infercost.allocation.rules).

Any redistribution of the same total conserves the bill, so each test pins WHO gets
WHAT, exactly, on a small hand-built bill and usage log.
"""

from __future__ import annotations

from decimal import Decimal

from tests.attribution_helpers import D, alloc, attribute_rows, focus_row, usage_row


def _costs(req) -> dict:
    return dict(zip(req["request_id"], req["cost"], strict=True))


def test_idle_of_one_resource_goes_only_to_its_own_users():
    # i-A: 8 over 2 hours = 4/hour; only tenant x uses it, in hour 0 -> x 4, idle(i-A) 4
    # i-B: 6 in hour 0, used by tenant y -> y 6, idle(i-B) 0
    bill = [focus_row("8", "i-A", start=0, hours=2), focus_row("6", "i-B", start=0, hours=1)]
    use = [usage_row("a", "i-A", 0.1, 100, tenant="x"), usage_row("b", "i-B", 0.1, 100, tenant="y")]
    res = attribute_rows(bill, use)
    assert alloc(res, kind="idle", detail="i-A") == 4
    assert alloc(res, kind="idle", detail="i-B") == 0
    shared = attribute_rows(bill, use, {"idle": "share"})
    # i-A's idle (4) goes to i-A's users only: x = 4 + 4 = 8, y = 6 + 0 = 6.
    # (spreading all idle by allocated cost would give x = 4 + 4 x 4/10 = 5.6, y = 8.4)
    assert alloc(shared, tenant="x") == 8
    assert alloc(shared, tenant="y") == 6
    assert shared.summary["totals"]["idle"] == 0


def test_zero_duration_requests_weigh_nothing_and_their_hour_is_idle():
    # 6 over hours 0-1 = 3/hour. Hour 0: z (0 ms) and a (100 ms) -> a gets all 3, z 0.
    # Hour 1: only z2 (0 ms): total weight 0, so the hour's 3 is idle. z and z2 have a
    # bill row but weigh nothing: their own reason "zero weight under the driver" (one
    # string for every driver), cost 0, never "no bill row".
    bill = [focus_row("6", "i-1", start=0, hours=2)]
    use = [usage_row("z", "i-1", 0.1, 0), usage_row("a", "i-1", 0.2, 100),
           usage_row("z2", "i-1", 1.1, 0)]
    res, req = attribute_rows(bill, use, with_requests=True)
    assert _costs(req) == {"z": 0, "a": 3, "z2": 0}
    status = dict(zip(req["request_id"], req["allocation"], strict=True))
    assert status == {"z": "zero weight under the driver", "a": "allocated",
                      "z2": "zero weight under the driver"}
    assert res.summary["rows"]["usage_without_bill_row"] == 0
    assert res.summary["rows"]["usage_zero_weight"] == 2
    assert res.summary["totals"]["idle"] == 3 and res.summary["totals"]["allocated"] == 3


def test_fleet_tags_must_all_match():
    # fleet: {tags: {team: ml, env: prod}}: a row needs BOTH pairs ("all", not "any")
    bill = [focus_row("10", "i-1"), focus_row("6", "i-both", tags={"team": "ml", "env": "prod"}),
            focus_row("3", "i-one", tags={"team": "ml"}),
            focus_row("2", "i-other", tags={"team": "ml", "env": "dev"})]
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 1)],
                         {"fleet": {"tags": {"team": "ml", "env": "prod"}}})
    t = res.summary["totals"]
    assert t["idle"] == 6  # i-both only (fleet, unused)
    assert t["shared"] == 5  # i-one 3 + i-other 2 stay outside the fleet
    assert alloc(res, kind="idle", detail="i-both") == 6


def test_leftover_quanta_go_to_the_earliest_hours():
    # 1 USD over 3 hours = 10^10 quanta / 3 = 3,333,333,333 rest 1: hour 0 gets the extra
    # quantum (0.3333333334), hours 1 and 2 get 0.3333333333 each
    bill = [focus_row("1", "i-1", start=0, hours=3)]
    use = [usage_row(str(h), "i-1", h + 0.1, 10) for h in range(3)]
    _, req = attribute_rows(bill, use, with_requests=True)
    assert _costs(req) == {"0": D("0.3333333334"), "1": D("0.3333333333"), "2": D("0.3333333333")}


def test_request_shares_round_down_and_the_rest_is_a_rounding_idle_row():
    # 1 USD in one hour over weights 1:1:1: each floor(10^10 / 3) = 3,333,333,333 quanta;
    # the leftover quantum is idle as "rounding: sub-quantum request shares", never given
    # to the first or the largest request
    bill = [focus_row("1", "i-1")]
    use = [usage_row(c, "i-1", 0.1, 7) for c in "abc"]
    res, req = attribute_rows(bill, use, with_requests=True)
    assert _costs(req) == {c: D("0.3333333333") for c in "abc"}
    assert alloc(res, kind="idle", detail="rounding: sub-quantum request shares") == D("1E-10")


def test_shared_spread_largest_remainder_and_sub_quantum_rest():
    from infercost.allocation.engine import spread

    # 1 over weights 1:2 = 3,333,333,333.3 and 6,666,666,666.6 quanta: floors sum to
    # 9,999,999,999, the one left goes to the largest remainder (0.6 > 0.3: the second)
    assert spread(D(1), [1, 2]) == [D("0.3333333333"), D("0.6666666667")]
    # 1.00000000005 = 10^10 quanta + 0.5 quantum: the half quantum goes to the largest
    # weight (the third), on top of its largest-remainder share
    parts = spread(D("1.00000000005"), [1, 1, 2])
    assert parts == [D("0.25"), D("0.25"), D("0.50000000005")]
    assert sum(parts, Decimal(0)) == D("1.00000000005")


def test_shared_rows_spread_by_request_count_exactly():
    # shared: requests. 3 of shared storage over 4 requests: x has 1, y has 3
    # -> x 0.75, y 2.25 on top of their fleet cost (i-1: 8 split by duration 1:3 = 2, 6)
    bill = [focus_row("8", "i-1"), focus_row("3", "bucket", service="Storage")]
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x")] + [
        usage_row(f"b{i}", "i-1", 0.2, 100, tenant="y") for i in range(3)]
    res = attribute_rows(bill, use, {"shared": "requests"})
    assert alloc(res, tenant="x") == D("2") + D("0.75")
    assert alloc(res, tenant="y") == D("6") + D("2.25")
