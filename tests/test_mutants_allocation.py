"""Pins the allocation group (quanta, steps, rules) down to the digit, so that mutants die.

Each expectation is worked out by hand in the comments: money in quanta of 1e-10 of the
currency, largest-remainder splits, where leftover quanta and sub-quantum rests go, the
R4-R7 assembly steps on small hand-built inputs, and rule parsing errors (key named).
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from infercost.allocation import engine, quanta, steps
from infercost.allocation.quanta import q2d, quanta_array, spread, sum_by, sum_codes, to_quanta
from infercost.allocation.rules import Rules, load_rules, parse_rules
from infercost.errors import InputError

D = Decimal

# --------------------------------------------------------------------------- quanta


def test_quanta_constants():
    assert quanta.SCALE == 10_000_000_000
    assert quanta.LIMIT == 4_611_686_018_427_387_904  # 2**62
    assert quanta.QUANTUM == D("1E-10")


def test_to_quanta_floors_toward_minus_infinity():
    # 1.23456789015 x 1e10 = 12345678901.5 -> floor 12345678901
    assert to_quanta(D("1.23456789015")) == 12345678901
    # -0.00000000005 x 1e10 = -0.5 -> floor -1 (not 0: toward minus infinity)
    assert to_quanta(D("-0.00000000005")) == -1
    assert to_quanta(D("2")) == 20_000_000_000
    assert isinstance(to_quanta(D("2")), int)


def test_q2d_is_exact_decimal_of_quanta():
    assert q2d(12345) == D("0.0000012345")
    assert str(q2d(12345)) == "0.0000012345"
    assert q2d(-7) == D("-7E-10")
    assert q2d(np.int64(10**10)) == D(1)


def test_spread_even_leftover_quantum_goes_to_first_row():
    # 1 = 10_000_000_000 quanta over 1:1:1: base 3_333_333_333 each, remainders 1 each,
    # leftover 10_000_000_000 - 9_999_999_999 = 1 quantum -> ties by index -> row 0
    assert spread(D(1), [1, 1, 1]) == [D("0.3333333334"), D("0.3333333333"),
                                       D("0.3333333333")]


def test_spread_leftover_goes_to_largest_remainder():
    # 1 over 1:2: base 3_333_333_333 and 6_666_666_666, remainders 1 and 2 (of 3);
    # leftover 1 quantum -> row 1 (remainder 2)
    assert spread(D(1), [1, 2]) == [D("0.3333333333"), D("0.6666666667")]
    # 1 over 2:1: the same, mirrored -> row 0
    assert spread(D(1), [2, 1]) == [D("0.6666666667"), D("0.3333333333")]


def test_spread_two_leftover_quanta_by_remainder_then_index():
    # 1 quantum x ... : 0.0000000005 = 5 quanta over 1:1:1:1 -> base 1 each (4),
    # remainders 1 each, leftover 1 -> row 0
    assert spread(D("0.0000000005"), [1, 1, 1, 1]) == [D("2E-10"), D("1E-10"), D("1E-10"),
                                                      D("1E-10")]
    # 7 quanta over 1:1:1:1: base 1 each, remainder 3 each, leftover 3 -> rows 0, 1, 2
    assert spread(D("0.0000000007"), [1, 1, 1, 1]) == [D("2E-10"), D("2E-10"), D("2E-10"),
                                                      D("1E-10")]
    # 10 quanta over 1:3:3 (total 7): base 1, 4, 4 (9); remainders 3, 2, 2; leftover 1
    # -> row 0 (largest remainder 3, although its weight is smallest)
    assert spread(D("0.000000001"), [1, 3, 3]) == [D("2E-10"), D("4E-10"), D("4E-10")]


def test_spread_negative_amount():
    # -1 = -10_000_000_000 quanta over 1:1:1: floor division gives -3_333_333_334 each
    # (sum -10_000_000_002), remainders 2 each, leftover +2 -> rows 0 and 1
    assert spread(D(-1), [1, 1, 1]) == [D("-0.3333333333"), D("-0.3333333333"),
                                        D("-0.3333333334")]


def test_spread_sub_quantum_rest_goes_to_largest_weight():
    # 1.00000000005: 10_000_000_000 quanta (floor) + 0.00000000005 below the quantum;
    # 1:3 -> 0.25 and 0.75, the rest to the largest weight (row 1)
    assert spread(D("1.00000000005"), [1, 3]) == [D("0.25"), D("0.75000000005")]
    # 3:1 -> the rest to row 0
    assert spread(D("1.00000000005"), [3, 1]) == [D("0.75000000005"), D("0.25")]
    # equal weights: the rest to the first of them
    assert spread(D("0.00000000005"), [2, 2]) == [D("0.00000000005"), D(0)]
    # a whole number of quanta: nothing added
    assert spread(D("0.5"), [1, 1]) == [D("0.25"), D("0.25")]


def test_spread_zero_weights():
    assert spread(D(5), [0, 0]) is None
    assert spread(D(5), []) is None
    # a zero weight gets nothing: 5 over 0:1 -> 0 and 5
    assert spread(D(5), [0, 1]) == [D(0), D(5)]
    # a single positive weight takes all, sub-quantum rest included
    assert spread(D("2.00000000001"), [0, 4, 0]) == [D(0), D("2.00000000001"), D(0)]


def test_spread_sums_to_amount():
    for amount, w in ((D("12.3456789012345"), [3, 0, 7, 11]), (D("-4.44444444449"), [1, 1, 5])):
        parts = spread(amount, w)
        assert sum(parts, D(0)) == amount


def test_quanta_array_fast_path():
    q, exact = quanta_array(pd.Series([D("1.5"), D("-0.0000000001"), D(0)], dtype=object))
    # 1.5 x 1e10 = 15_000_000_000; -1e-10 -> -1 quantum
    assert q.dtype == np.int64
    assert q.tolist() == [15_000_000_000, -1, 0]
    assert exact is True


def test_quanta_array_more_than_ten_decimals_floors_and_says_not_exact():
    # 0.00000000015 = 1.5 quanta -> floor 1; -0.00000000015 -> floor -2
    q, exact = quanta_array(pd.Series([D("0.00000000015"), D("-0.00000000015"), D(3)],
                                      dtype=object))
    assert q.dtype == np.int64
    assert q.tolist() == [1, -2, 30_000_000_000]
    assert exact is False


def test_quanta_array_limit_is_2_pow_62_quanta():
    # 461_168_601 = LIMIT // SCALE (2**62 = 4_611_686_018_427_387_904 quanta);
    # 461_168_601 x 1e10 = 4_611_686_010_000_000_000 < 2**62: accepted, exact
    q, exact = quanta_array(pd.Series([D(461_168_601), D(-461_168_601)], dtype=object))
    assert q.tolist() == [4_611_686_010_000_000_000, -4_611_686_010_000_000_000]
    assert exact is True
    # 461_168_602 x 1e10 = 4_611_686_020_000_000_000 >= 2**62 (fits int64): refused
    for big in (D(461_168_602), D(-461_168_602), D("1E+9"), D("461168602.00000000001")):
        with pytest.raises(InputError) as e:
            quanta_array(pd.Series([D(1), big], dtype=object))
        assert str(e.value) == ("bill: a fleet bill row is too large for the engine's int64 "
                                "quanta (over 461168601 in one row)")


def test_quanta_array_empty():
    q, exact = quanta_array(pd.Series([], dtype=object))
    assert q.tolist() == [] and exact is True


def test_sum_by_keys_with_none_fast_path():
    keys = pd.DataFrame({"a": ["x", None, "x", "y"], "b": [1, 2, 1, None]}, dtype=object)
    amounts = pd.Series([D("1.25"), D("2"), D("0.75"), D("-0.5")], dtype=object)
    # (x, 1): 1.25 + 0.75 = 2; (None, 2): 2; (y, None): -0.5
    assert sum_by(keys, amounts) == {("x", 1): D(2), (None, 2): D(2), ("y", None): D("-0.5")}


def test_sum_by_sub_quantum_amounts_add_as_decimals():
    keys = pd.DataFrame({"a": ["x", "x", None]}, dtype=object)
    amounts = pd.Series([D("0.00000000005"), D("0.00000000005"), D("0.000000000011")],
                        dtype=object)
    # not whole quanta: exact Decimal addition, 5e-11 + 5e-11 = 1e-10
    out = sum_by(keys, amounts)
    assert out == {("x",): D("1E-10"), (None,): D("0.000000000011")}


def test_sum_by_beyond_2_pow_62_adds_as_decimals():
    keys = pd.DataFrame({"a": ["x", "x", "y"]}, dtype=object)
    amounts = pd.Series([D(300_000_000), D(300_000_000), D(1)], dtype=object)
    # each 3e18 quanta (< 2**62); |sum| 6e18 + 1e10 >= 2**62 (4.6e18): Decimal sums
    assert sum_by(keys, amounts) == {("x",): D(600_000_000), ("y",): D(1)}


def test_sum_by_beyond_int64_adds_as_decimals():
    keys = pd.DataFrame({"a": ["x", "x", "x"]}, dtype=object)
    amounts = pd.Series([D(400_000_000)] * 3, dtype=object)
    # each 4e18 quanta (< 2**62), together 1.2e19: over int64, so Decimal: 1_200_000_000
    # (today: -644674407.3709551616, the int64 sum wrapped)
    assert sum_by(keys, amounts) == {("x",): D(1_200_000_000)}


def test_sum_by_takes_given_quanta():
    keys = pd.DataFrame({"a": ["x", "y"]}, dtype=object)
    amounts = pd.Series([D(1), D(2)], dtype=object)
    # precomputed quanta win over the amounts (the caller's column)
    given = (np.array([30, 40], dtype=np.int64), True)
    assert sum_by(keys, amounts, given) == {("x",): D("3E-9"), ("y",): D("4E-9")}


def test_sum_codes_missing_and_nan_are_none():
    keys = pd.DataFrame({"a": ["p", "q", None, "p"], "b": [1.0, np.nan, 2.0, 1.0]})
    q = np.array([1, 2, 3, 4], dtype=np.int64)
    # (p, 1.0): 1 + 4 = 5 quanta; (q, NaN -> None): 2; (None, 2.0): 3
    assert sum_codes(keys, q) == {("p", 1.0): D("5E-10"), ("q", None): D("2E-10"),
                                  (None, 2.0): D("3E-10")}
    assert sum_codes(keys.iloc[:0], q[:0]) == {}


def test_sum_codes_three_columns_decode_in_order():
    keys = pd.DataFrame({"a": ["u", "v", "u"], "b": ["k", "k", "l"], "c": [True, False, True]})
    q = np.array([10, 20, 30], dtype=np.int64)
    assert sum_codes(keys, q) == {("u", "k", True): D("1E-9"), ("v", "k", False): D("2E-9"),
                                  ("u", "l", True): D("3E-9")}


# --------------------------------------------------------------------------- steps


def test_pct_ratio_div():
    assert steps._pct(D(1), D(3)) == "33.3%"  # 33.333.. quantized to 0.1
    assert steps._pct(D(2), D(3)) == "66.7%"
    assert steps._pct(D(1), D(0)) == "n/a"
    assert steps._ratio(D(1), D(3)) == D("0.333333")
    assert steps._ratio(D(2), D(3)) == D("0.666667")
    assert steps._ratio(D(1), D(0)) is None
    assert steps._div(D(1), 3) == D("0.3333333333")
    assert steps._div(D(2), 3) == D("0.6666666667")
    assert steps._div(D(1), 0) is None
    assert steps._f(D("2.500")) == "2.5"


def test_row_shape():
    r = steps._row("2026-10-01", "__idle__", 1, 2, 3, D(4), "idle", "i-1", "USD")
    assert r == {"period": "2026-10-01", "model": "__idle__", "model_version": None,
                 "endpoint": None, "tenant": None, "requests": 1, "input_tokens": 2,
                 "output_tokens": 3, "cost": D(4), "cost_per_1k_requests": None,
                 "cost_per_1m_tokens": None, "kind": "idle", "detail": "i-1",
                 "currency": "USD", "direct_cost": None, "idle_cost": None,
                 "shared_cost": None}
    assert list(r) == steps.OUT_COLUMNS


def test_constants():
    assert steps.ALLOCATED == "allocated"
    assert steps.ZERO_WEIGHT == "zero weight under the driver"
    assert steps.GROUP == ["day", "model", "model_version", "endpoint", "tenant"]
    assert steps.NOT_INSTANCE_TIME == ("Storage", "Networking")


def test_drivers_names_shares_and_order():
    by_key = {
        (True, "usage", "Compute"): D(6),
        (True, "usage", "Storage"): D(1),
        (True, "commitment_used", "Networking"): D("0.5"),
        (False, "usage", "AI and Machine Learning"): D(2),
        (False, "usage", None): D("0.5"),
        (False, "tax", "Other"): D(-1),
        (True, "credit", "Compute"): D(-1),
    }
    total = D(8)  # 6 + 1 + 0.5 + 2 + 0.5 - 1 - 1
    out = steps.drivers(steps.Costs(by_key, total), total)
    # largest |cost| first, ties by name: 6, 2, then |1|: credit (fleet), storage (fleet), tax,
    # 0.5 (networking (fleet)), 0.5 (other)
    assert out == [
        {"driver": "instance time (fleet)", "cost": D(6), "share": "75.0%"},
        {"driver": "AI and Machine Learning", "cost": D(2), "share": "25.0%"},
        {"driver": "credit (fleet)", "cost": D(-1), "share": "-12.5%"},
        {"driver": "storage (fleet)", "cost": D(1), "share": "12.5%"},
        {"driver": "tax", "cost": D(-1), "share": "-12.5%"},
        {"driver": "networking (fleet)", "cost": D("0.5"), "share": "6.2%"},
        {"driver": "other", "cost": D("0.5"), "share": "6.2%"},
    ]


def test_drivers_sums_same_name_and_label_underscores():
    by_key = {(True, "usage", "Compute"): D(2), (True, "usage", None): D(3),
              (False, "commitment_unused", "Compute"): D(1)}
    out = steps.drivers(steps.Costs(by_key, D(6)), D(6))
    # both fleet usage rows are instance time: 2 + 3 = 5
    assert out == [{"driver": "instance time (fleet)", "cost": D(5), "share": "83.3%"},
                   {"driver": "commitment unused", "cost": D(1), "share": "16.7%"}]


def _al(rows=None, direct=D(0), usage=None):
    return steps.Allocated(usage=usage, rows=rows, direct_total=direct)


def test_r7_conservation_line_and_holds():
    al = _al(direct=D(5))
    idle = steps.Idle(by_key={}, fleet_total=D(9), before_spread=D(3), spread=D(1))
    shared = steps.Shared(by_key={}, before_spread=D(2), spread=D("0.5"))
    # allocated = 5 + 1 + 0.5 = 6.5; idle left 3 - 1 = 2; shared left 2 - 0.5 = 1.5
    # 6.5 + 2 + 1.5 + 0.25 = 10.25
    c = steps.r7_conservation(D("10.25"), al, idle, shared, D("0.25"), "EUR")
    assert c == {"equation": "allocated + idle + shared + unallocated = bill",
                 "holds": True, "difference": D(0),
                 "line": "6.5 + 2 + 1.5 + 0.25 = 10.25 EUR"}
    c = steps.r7_conservation(D("10.26"), al, idle, shared, D("0.25"), "EUR")
    assert c["holds"] is False and c["difference"] == D("0.01")


def test_idle_and_shared_left():
    assert steps.Idle({}, D(0), D(5), D(2)).left == D(3)
    assert steps.Idle({}, D(0), D(5)).spread == D(0)
    assert steps.Shared({}, D(5), D("1.5")).left == D("3.5")


def _rows(requests, cost_q):
    n = len(requests)
    return pd.DataFrame({"day": [pd.Timestamp("2026-10-01")] * n,
                         "model": [f"m{i}" for i in range(n)], "model_version": ["1"] * n,
                         "endpoint": ["/e"] * n, "tenant": ["t"] * n,
                         "requests": requests, "input_tokens": [0] * n,
                         "output_tokens": [0] * n, "cost_q": cost_q,
                         "direct": [q2d(x) for x in cost_q], "idle_part": [D(0)] * n,
                         "shared_part": [D(0)] * n})


def _shared_costs():
    return steps.Costs({(True, "usage", "Compute"): D(10),
                        (False, "usage", "Storage"): D(3),
                        (False, "tax", None): D(1),
                        (False, "usage", None): D("0.5")}, D("14.5"))


@pytest.mark.parametrize("how, parts", [
    # shared 3 + 1 + 0.5 = 4.5 over two rows
    ("requests", [D("1.125"), D("3.375")]),  # by requests 1:3 -> 4.5/4 = 1.125 and 3.375
    ("cost", [D("3.6"), D("0.9")]),  # by cost 4:1 (cost_q 40, 10) -> 3.6 and 0.9
    ("even", [D("2.25"), D("2.25")]),
])
def test_r5_shared_spreads(how, parts):
    al = _al(_rows([1, 3], [40, 10]))
    b = SimpleNamespace(rules=Rules(shared=how))
    sh = steps.r5_shared(b, _shared_costs(), al)
    assert sh.before_spread == D("4.5") and sh.spread == D("4.5") and sh.left == 0
    # every key is still listed, at zero, sorted by (category, label); None -> "(none)"
    assert sh.by_key == {("(none)", "tax"): D(0), ("(none)", "usage"): D(0),
                         ("Storage", "usage"): D(0)}
    assert list(sh.by_key) == [("(none)", "tax"), ("(none)", "usage"), ("Storage", "usage")]
    assert list(al.rows["shared_part"]) == parts


def test_r5_shared_report_and_unspreadable():
    al = _al(_rows([1, 3], [40, 10]))
    sh = steps.r5_shared(SimpleNamespace(rules=Rules()), _shared_costs(), al)
    assert sh.by_key == {("(none)", "tax"): D(1), ("(none)", "usage"): D("0.5"),
                         ("Storage", "usage"): D(3)}
    assert sh.spread == 0 and sh.left == D("4.5")
    assert list(al.rows["shared_part"]) == [D(0), D(0)]
    # shared: cost, every row with zero (or negative) cost: nothing can be spread
    al = _al(_rows([1, 3], [0, -5]))
    sh = steps.r5_shared(SimpleNamespace(rules=Rules(shared="cost")), _shared_costs(), al)
    assert sh.spread == 0 and sh.left == D("4.5") and sh.by_key[("Storage", "usage")] == 3
    assert list(al.rows["shared_part"]) == [D(0), D(0)]
    # negative allocated cost weighs 0 under `cost`: 4.5 over max(-5, 0):max(10, 0)
    al = _al(_rows([1, 3], [-5, 10]))
    steps.r5_shared(SimpleNamespace(rules=Rules(shared="cost")), _shared_costs(), al)
    assert list(al.rows["shared_part"]) == [D(0), D("4.5")]
    # no allocation rows: nothing spread
    al = _al(_rows([], []))
    sh = steps.r5_shared(SimpleNamespace(rules=Rules(shared="even")), _shared_costs(), al)
    assert sh.spread == 0 and sh.left == D("4.5")


def test_r6_unallocated_cost():
    b = SimpleNamespace(no_period_cost=pd.Series([D("1.5"), D("2.25")], dtype=object))
    assert steps.r6_unallocated_cost(b) == D("3.75")
    b = SimpleNamespace(no_period_cost=pd.Series([], dtype=object))
    r = steps.r6_unallocated_cost(b)
    assert r == 0 and isinstance(r, Decimal)


def _hours(rows):
    return pd.DataFrame(rows, columns=["resource_id", "hour", "cost_q"]).astype(
        {"hour": "datetime64[us]"})


def test_r4_idle_per_resource_and_day_with_rests_and_rounding():
    day1, day2 = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-02")
    b = SimpleNamespace(
        hours=_hours([("i-1", day1 + pd.Timedelta(hours=1), 100),
                      ("i-1", day1 + pd.Timedelta(hours=5), 50),
                      ("i-1", day2 + pd.Timedelta(hours=2), 30),
                      ("i-2", day1 + pd.Timedelta(hours=1), 70)]),
        rest=pd.DataFrame({"resource_id": ["i-1", "i-3"], "day": [day1, day2],
                           "rest": [D("0.00000000004"), D("0.00000000002")]}))
    u = SimpleNamespace(handed_out=pd.DataFrame({
        "resource_id": ["i-1", "i-1", "i-2"], "day": [day1, day1, day1],
        "cost_q": [90, 40, 70]}))
    al = _al(usage=pd.DataFrame({"cost_q": [100, 27, 70]}))
    idle = steps.r4_idle(b, u, al)
    # i-1 day1: 150 quanta + 4e-11 rest; handed out 90 + 40 = 130 -> 20 quanta + 4e-11
    # i-1 day2: 30 quanta, nothing handed out; i-2 day1: 70 - 70 = 0
    # i-3 day2: only a rest, 2e-11
    # rounding: handed out 200, requests got 197 -> 3 quanta
    assert idle.by_key == {
        ("i-1", day1): D("0.00000000204"), ("i-1", day2): D("3E-9"),
        ("i-2", day1): D(0), ("i-3", day2): D("0.00000000002"),
        ("rounding: sub-quantum request shares", None): D("3E-10"),
    }
    # fleet: 150 + 30 + 70 = 250 quanta + 6e-11 of rests
    assert idle.fleet_total == D("0.00000002506")
    # idle: 20 + 30 + 0 + 3 = 53 quanta + 6e-11
    assert idle.before_spread == D("0.00000000536")
    assert idle.spread == 0


def test_r4_idle_no_rounding_row_and_the_bug_guard():
    day1 = pd.Timestamp("2026-10-01")
    b = SimpleNamespace(hours=_hours([("i-1", day1, 100)]),
                        rest=pd.DataFrame({"resource_id": [], "day": [], "rest": []}))
    u = SimpleNamespace(handed_out=pd.DataFrame({"resource_id": ["i-1"], "day": [day1],
                                                 "cost_q": [60]}))
    idle = steps.r4_idle(b, u, _al(usage=pd.DataFrame({"cost_q": [60]})))
    assert idle.by_key == {("i-1", day1): D("4E-9")}  # 100 - 60 = 40 quanta; no rounding row
    with pytest.raises(AssertionError, match="requests got more than their resource-hours"):
        steps.r4_idle(b, u, _al(usage=pd.DataFrame({"cost_q": [61]})))
    # nothing handed out at all but requests got cost: the same guard
    u0 = SimpleNamespace(handed_out=pd.DataFrame({"resource_id": [], "day": [],
                                                  "cost_q": []}))
    with pytest.raises(AssertionError, match="-1E-10"):
        steps.r4_idle(b, u0, _al(usage=pd.DataFrame({"cost_q": [1]})))
    idle = steps.r4_idle(b, u0, _al(usage=pd.DataFrame({"cost_q": []})))
    assert idle.by_key == {("i-1", day1): D("1E-8")}


def test_r4_share_idle_adds_parts_and_keeps_the_rest_per_resource():
    day1, day2 = pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-02")
    rows = _rows([1, 1], [40, 10])
    seen = {}

    def share_idle(per_res):
        seen.update(per_res)
        parts = pd.DataFrame({"day": [day1, day1], "model": ["m0", "m1"],
                              "model_version": ["1", "1"], "endpoint": ["/e", "/e"],
                              "tenant": ["t", "t"], "idle_q": [6, 2]})
        return parts, {"i-1": D("8E-10")}

    idle = steps.Idle({("i-1", day1): D("5E-10"), ("i-1", day2): D("5E-10"),
                       ("i-2", day1): D("3E-10")}, D(1), D("1.3E-9"))
    out = steps.r4_share_idle(idle, _al(rows), SimpleNamespace(share_idle=share_idle, handed_out=None))
    # per resource: i-1 5 + 5 = 10 quanta, i-2 3 quanta
    assert seen == {"i-1": D("1.0E-9"), "i-2": D("3E-10")}
    assert list(rows["idle_part"]) == [D("6E-10"), D("2E-10")]
    # left: i-1 10 - 8 = 2 quanta, i-2 all 3 (whole period: day None)
    assert out.by_key == {("i-1", None): D("2E-10"), ("i-2", None): D("3E-10")}
    assert out.fleet_total == D(1) and out.before_spread == D("1.3E-9")
    assert out.spread == D("8E-10") and out.left == D("5E-10")


def test_period_text():
    b = SimpleNamespace(period=(pd.Timestamp("2026-10-01 05:00"), pd.Timestamp("2026-11-01")))
    assert steps.BillSide.period_text.fget(b) == "2026-10-01/2026-11-01"
    b = SimpleNamespace(period=(None, None))
    assert steps.BillSide.period_text.fget(b) == ""


# --------------------------------------------------------------------------- end to end


def _attr():
    from tests.attribution_helpers import alloc, attribute_rows, focus_row, usage_row

    return alloc, attribute_rows, focus_row, usage_row


def test_table_and_summary_of_a_small_month():
    alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("6", "i-1", start=0, hours=2),  # 3 per hour
            focus_row("2", "vol", service="Storage"),
            focus_row("1", "i-1", start=0, hours=0)]  # no usable charge period
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x", tin=10, tout=30),
           usage_row("b", "i-1", 0.2, 200, tenant="y", tin=0, tout=0),
           usage_row("c", "i-9", 0.2, 200, tenant="y")]  # no bill row
    res = attribute_rows(bill, use)
    t = res.allocations
    # hour 0: 3 split 100:200 -> x 1, y 2; hour 1 idle 3
    x = t[t["tenant"] == "x"].iloc[0]
    assert x["cost"] == D(1) and x["requests"] == 1
    assert x["input_tokens"] == 10 and x["output_tokens"] == 30
    assert x["cost_per_1k_requests"] == D(1000)  # 1 x 1000 / 1
    assert x["cost_per_1m_tokens"] == D(25000)  # 1 x 1e6 / 40
    assert x["direct_cost"] == D(1) and x["idle_cost"] == 0 and x["shared_cost"] == 0
    assert x["period"] == "2026-10-01" and x["kind"] == "allocated"
    assert list(t.columns) == steps.OUT_COLUMNS
    assert (x["model"], x["model_version"], x["endpoint"], x["tenant"]) == ("m", "1", "/e", "x")
    assert x["detail"] is None and x["currency"] == "USD"
    y = t[t["tenant"] == "y"].iloc[0]
    assert y["cost_per_1m_tokens"] is None  # no tokens
    idle = t[t["kind"] == "idle"]
    assert list(idle["detail"]) == ["i-1"] and list(idle["cost"]) == [D(3)]
    assert list(idle["period"]) == ["2026-10-01"] and list(idle["requests"]) == [0]
    i = idle.iloc[0]
    assert (i["model"], i["kind"], i["currency"], i["input_tokens"], i["output_tokens"]) == (
        "__idle__", "idle", "USD", 0, 0)
    assert pd.isna(i["model_version"]) and pd.isna(i["tenant"]) and pd.isna(i["direct_cost"])
    assert pd.isna(i["cost_per_1k_requests"])
    shared = t[t["kind"] == "shared"]
    assert list(shared["detail"]) == ["Storage / usage"] and list(shared["cost"]) == [D(2)]
    assert list(shared["model"]) == ["__shared__"]
    un = t[t["kind"] == "unallocated"]
    assert sorted(un["detail"]) == ["fleet bill rows with a charge period of zero length (1)",
                                    "no bill row for resource-hour"]
    assert alloc(res, kind="unallocated") == D(1)
    s = res.summary
    assert s["totals"]["bill"] == D(9) and s["totals"]["allocated"] == D(3)
    assert s["totals"]["idle"] == D(3) and s["totals"]["shared"] == D(2)
    assert s["totals"]["unallocated"] == D(1)
    assert s["conservation"]["line"] == "3 + 3 + 2 + 1 = 9 USD"
    assert s["conservation"]["holds"] is True
    assert s["fleet"]["resources"] == 1 and s["fleet"]["bill_rows"] == 2
    assert s["fleet"]["cost"] == D(6) and s["fleet"]["resource_hours_billed"] == 2
    # billed resource-hours with accepted requests: i-1 hour 0 (i-9 hour 0 is unbilled,
    # counted among the log's own)
    assert s["fleet"]["resource_hours_with_requests"] == 1
    assert s["fleet"]["usage_resource_hours_with_requests"] == 2
    assert s["idle_share"] == D("0.5")  # 3 / 6
    u = s["unit_costs"]
    assert u["requests"] == 2 and u["tokens"] == 40
    assert u["cost_per_request"] == D("1.5") and u["cost_per_1k_requests"] == D(1500)
    assert u["cost_per_1m_tokens"] == D(75000) and u["bill_per_request"] == D("4.5")
    assert s["rows"]["usage_without_bill_row"] == 1 and s["rows"]["usage_allocated"] == 2
    assert s["rows"]["usage_zero_weight"] == 0 and s["rows"]["usage_rejected"] == 0
    assert s["charges"]["usage"]["rows"] == 3
    assert s["charges"]["usage"]["effective_cost"] == D(9)
    assert s["by_provider"] == {"AWS": {"billed_cost": D(9), "effective_cost": D(9)}}
    assert [r["resource_id"] for r in s["top_resources"]] == ["i-1", "vol"]
    assert [r["cost"] for r in s["top_resources"]] == [D(7), D(2)]
    assert [r["fleet"] for r in s["top_resources"]] == [True, False]
    assert s["by_service"][0]["cost"] == D(7) and s["by_service"][1]["category"] == "Storage"


def test_zero_weight_requests_are_unallocated_and_counted():
    alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("4", "i-1")]
    use = [usage_row("a", "i-1", 0.1, 0), usage_row("b", "i-1", 0.2, 100)]
    res = attribute_rows(bill, use)
    # a has zero busy time: b takes the whole hour (4)
    assert alloc(res, kind="allocated") == D(4)
    un = res.allocations[res.allocations["kind"] == "unallocated"]
    assert list(un["detail"]) == ["zero weight under the driver"]
    assert list(un["requests"]) == [1] and list(un["cost"]) == [D(0)]
    assert res.summary["rows"]["usage_zero_weight"] == 1


def test_idle_share_spreads_by_allocated_cost_then_reports_whole_period():
    alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("3", "i-1", start=0, hours=3)]  # 1 per hour
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x"), usage_row("b", "i-1", 0.5, 300,
                                                                   tenant="y")]
    res = attribute_rows(bill, use, {"idle": "share"})
    # hour 0: x 0.25, y 0.75; idle hours 1-2: 2, spread by allocated cost 1:3
    assert alloc(res, tenant="x") == D("0.75") and alloc(res, tenant="y") == D("2.25")
    t = res.summary["totals"]
    assert t["idle"] == 0 and t["idle_spread"] == D(2) and t["allocated"] == D(3)
    assert res.summary["conservation"]["line"] == "3 + 0 + 0 + 0 = 3 USD"


def test_capacity_driver_unused_share_is_idle():
    alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("10", "i-1")]
    use = [usage_row("a", "i-1", 0.1, 900_000), usage_row("b", "i-1", 0.2, 900_000)]
    res = attribute_rows(bill, use, {"driver": "capacity"})
    # 1.8e6 ms of 3.6e6: half of 10 allocated, 5 idle
    assert alloc(res, kind="allocated") == D(5) and alloc(res, kind="idle") == D(5)
    # busier than the capacity: the weight is clamped to the hour's total
    res = attribute_rows(bill, use, {"driver": "capacity", "capacity_ms_per_hour": 1_000_000})
    assert alloc(res, kind="allocated") == D(10) and alloc(res, kind="idle") == 0


# --------------------------------------------------------------------------- rules


def test_rules_defaults_and_to_dict():
    r = parse_rules(None)
    assert r == Rules(given=frozenset())
    assert r.capacity_ms("i-1") == D(3_600_000)
    assert r.to_dict() == {
        "cost_basis": "EffectiveCost", "driver": "duration_ms", "idle": "report",
        "shared": "report",
        "fleet": {"from_usage": True, "resource_ids": [], "tags": {}, "services": [],
                  "skus": []},
        "capacity_ms_per_hour": None, "currency": None, "exchange_rates": None,
        "per_token": None}
    assert load_rules(None) == Rules()


def test_rules_full_parse():
    r = parse_rules({
        "cost_basis": "billed_cost",
        "fleet": {"from_usage": False, "resource_ids": "i-1", "tags": {" team ": 7},
                  "services": ["EC2"], "skus": ["g6e", 5]},
        "driver": "capacity", "capacity_ms_per_hour": {"default": 1000, "i-1": "500"},
        "idle": "share", "shared": "even", "currency": "eur",
        "exchange_rates": {"usd": "0.9"}, "per_token": "Bedrock", "period": "day"})
    assert r.cost_basis == "BilledCost" and r.from_usage is False
    assert r.resource_ids == ["i-1"] and r.tags == {"team": "7"}
    assert r.services == ["EC2"] and r.skus == ["g6e", "5"]
    assert r.driver == "capacity" and r.idle == "share" and r.shared == "even"
    assert r.capacity_ms("i-1") == D(500) and r.capacity_ms("i-2") == D(1000)
    assert r.currency == "EUR" and r.exchange_rates == {"USD": D("0.9")}
    assert r.per_token == ["Bedrock"]
    assert r.given == frozenset({"cost_basis", "fleet", "driver", "capacity_ms_per_hour",
                                 "idle", "shared", "currency", "exchange_rates",
                                 "per_token", "period"})
    d = r.to_dict()
    assert d["capacity_ms_per_hour"] == {"default": D(1000), "i-1": D(500)}
    assert d["exchange_rates"] == {"USD": D("0.9")} and d["per_token"] == ["Bedrock"]
    assert d["fleet"]["from_usage"] is False and d["fleet"]["tags"] == {"team": "7"}
    assert parse_rules({"cost_basis": "EffectiveCost"}).cost_basis == "EffectiveCost"
    assert parse_rules({"cost_basis": "Billed_Cost"}).cost_basis == "BilledCost"
    assert parse_rules({"capacity_ms_per_hour": 2000}).capacity_ms("x") == D(2000)
    assert parse_rules({"capacity_ms_per_hour": "2500"}).capacity_ms("x") == D(2500)
    assert parse_rules({"capacity_ms_per_hour": 1.5}).capacity_ms("x") == D("1.5")
    # any positive number, below 1 ms too
    assert parse_rules({"capacity_ms_per_hour": "0.5"}).capacity_ms("x") == D("0.5")
    assert parse_rules({"exchange_rates": {"EUR": "0.5"}}).exchange_rates == {"EUR": D("0.5")}
    assert parse_rules({"fleet": {"services": "S"}}).services == ["S"]
    assert parse_rules({"fleet": {"skus": "K"}}).skus == ["K"]
    assert parse_rules({"fleet": None}).from_usage is True
    assert parse_rules({"per_token": ["a", 1]}).per_token == ["a", "1"]
    for choice in ("duration_ms", "tokens", "requests", "gpu_time", "capacity"):
        assert parse_rules({"driver": choice}).driver == choice
    for choice in ("requests", "cost", "even", "report"):
        assert parse_rules({"shared": choice}).shared == choice


@pytest.mark.parametrize("data, text", [
    ([1, 2], "rules: expected a mapping of rule keys"),
    ({"zzz": 1, "aaa": 2}, "rules: aaa: unknown key 'aaa'; allowed: capacity_ms_per_hour, "
                           "cost_basis, currency, driver, exchange_rates, fleet, idle, "
                           "per_token, period, shared"),
    ({"cost_basis": "ListCost"}, "rules: cost_basis: expected EffectiveCost or BilledCost, "
                                 "got 'ListCost'"),
    ({"fleet": ["i-1"]}, "rules: fleet: expected a mapping"),
    ({"fleet": {"zone": 1, "color": 2}}, "rules: fleet.color: unknown key 'color'; allowed: "
                                         "from_usage, resource_ids, services, skus, tags"),
    ({"fleet": {"resource_ids": {"a": 1}}}, "rules: fleet.resource_ids: expected a list of "
                                            "strings, got {'a': 1}"),
    ({"fleet": {"services": 3}}, "rules: fleet.services: expected a list of strings, got 3"),
    ({"fleet": {"skus": 3}}, "rules: fleet.skus: expected a list of strings, got 3"),
    ({"fleet": {"tags": ["team"]}}, "rules: fleet.tags: expected a mapping of tag: value "
                                    "(text), got ['team']"),
    ({"driver": "vibes"}, "rules: driver: expected one of duration_ms, tokens, requests, "
                          "gpu_time, capacity, got 'vibes'"),
    ({"idle": "keep"}, "rules: idle: expected one of report, share, got 'keep'"),
    ({"shared": "all"}, "rules: shared: expected one of report, requests, cost, even, "
                        "got 'all'"),
    ({"capacity_ms_per_hour": [1]}, "rules: capacity_ms_per_hour: expected a number or a "
                                    "mapping of ResourceId: ms"),
    ({"capacity_ms_per_hour": {"i-1": 0}}, "rules: capacity_ms_per_hour.i-1: expected a "
                                           "positive number of ms, got 0"),
    ({"capacity_ms_per_hour": -5}, "rules: capacity_ms_per_hour.default: expected a positive "
                                   "number of ms, got -5"),
    ({"exchange_rates": ["EUR"]}, "rules: exchange_rates: expected a mapping of currency: "
                                  "rate"),
    ({"exchange_rates": {"EUR": "0"}}, "rules: exchange_rates.EUR: expected a positive "
                                       "rate, got '0'"),
    ({"per_token": {"a": 1}}, "rules: per_token: expected a list of ServiceName or SkuId "
                              "values"),
    ({"period": "month"}, "rules: period: expected day, got 'month'"),
])
def test_rule_errors_name_the_key(data, text):
    with pytest.raises(InputError) as e:
        parse_rules(data)
    assert str(e.value) == text


def test_rule_errors_source_and_nested_values():
    with pytest.raises(InputError) as e:
        parse_rules({"driver": 1}, "r.yaml")
    assert str(e.value).startswith("r.yaml: driver: ")
    with pytest.raises(InputError) as e:
        parse_rules({"capacity_ms_per_hour": {"i-1": "lots"}}, "r.yaml")
    assert str(e.value).startswith("r.yaml: capacity_ms_per_hour.i-1")
    with pytest.raises(InputError) as e:
        parse_rules({"exchange_rates": {"EUR": "x"}}, "r.yaml")
    assert str(e.value).startswith("r.yaml: exchange_rates.EUR")
    with pytest.raises(InputError) as e:
        parse_rules({"exchange_rates": {"EURO": "1"}}, "r.yaml")
    assert str(e.value).startswith("r.yaml: exchange_rates.EURO")
    with pytest.raises(InputError) as e:
        parse_rules({"currency": "dollars"}, "r.yaml")
    assert str(e.value).startswith("r.yaml: currency")
    with pytest.raises(InputError) as e:
        parse_rules({5: 1}, "r.yaml")
    assert str(e.value).startswith("r.yaml: 5: unknown key '5'")


def test_load_rules_files(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("driver: tokens\nshared: even\n")
    r = load_rules(p)
    assert r.driver == "tokens" and r.shared == "even" and r.given == {"driver", "shared"}
    assert load_rules(str(p)).driver == "tokens"
    with pytest.raises(InputError) as e:
        load_rules(tmp_path / "none.yaml")
    assert str(e.value) == f"{tmp_path / 'none.yaml'}: no such rules file"
    with pytest.raises(InputError) as e:
        load_rules(tmp_path)  # a folder is not a rules file
    assert str(e.value) == f"{tmp_path}: a folder, not a rules file (expected a YAML file)"
    b = tmp_path / "b.yaml"
    b.write_bytes(b"\xff\xfe\x00driver")
    with pytest.raises(InputError) as e:
        load_rules(b)
    assert str(e.value) == f"{b}: not a text file (expected UTF-8 YAML)"
    bad = tmp_path / "bad.yaml"
    bad.write_text("driver: vibes\n")
    with pytest.raises(InputError) as e:
        load_rules(bad)
    assert str(e.value).startswith(f"{bad}: driver: expected one of")
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_rules(empty) == Rules()


def test_r4_share_idle_nan_labels_match_missing_and_nothing_spread():
    day1 = pd.Timestamp("2026-10-01")
    rows = _rows([1, 1], [40, 10])
    rows["model_version"] = pd.Series([None, "1"], dtype=object)  # the first has none

    def share_idle(per_res):
        # a backend may hand a missing label back as NaN: it matches the row's None
        return pd.DataFrame({"day": [day1], "model": ["m0"], "model_version": [np.nan],
                             "endpoint": ["/e"], "tenant": ["t"], "idle_q": [4]}), {
            "i-1": D("4E-10")}

    idle = steps.Idle({("i-1", day1): D("4E-10")}, D(1), D("4E-10"))
    out = steps.r4_share_idle(idle, _al(rows), SimpleNamespace(share_idle=share_idle, handed_out=None))
    assert list(rows["idle_part"]) == [D("4E-10"), D(0)]
    assert out.by_key == {("i-1", None): D(0)} and out.spread == D("4E-10")
    # nothing could be spread: the spread is a Decimal zero, all idle left per resource
    rows = _rows([1], [40])
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in steps.GROUP}).assign(
        idle_q=pd.Series([], dtype="int64"))
    out = steps.r4_share_idle(idle, _al(rows),
                              SimpleNamespace(share_idle=lambda per_res: (empty, {}), handed_out=None))
    assert out.spread == 0 and isinstance(out.spread, Decimal)
    assert out.by_key == {("i-1", None): D("4E-10")} and out.left == D("4E-10")


def test_load_rules_malformed_yaml_names_the_file(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("driver: [unclosed\n")
    with pytest.raises(InputError) as e:
        load_rules(p)
    assert str(e.value).startswith(f"{p}: line 2 column 1: malformed YAML")


def test_costs_below_the_quantum_are_summed_exactly():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # 11 decimals: not a whole number of quanta, so R0 sums the Decimals themselves
    bill = [focus_row("1.00000000005", "i-1"), focus_row("2.00000000002", "vol",
                                                          service="Storage")]
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100)])
    t = res.summary["totals"]
    # 1.00000000005 + 2.00000000002 = 3.00000000007
    assert t["bill"] == D("3.00000000007") and t["shared"] == D("2.00000000002")
    # the fleet row: 1 to the request, the 5e-11 below the quantum idle (R2)
    assert t["allocated"] == D(1) and t["idle"] == D("0.00000000005")
    assert res.summary["conservation"]["line"] == (
        "1 + 0.00000000005 + 2.00000000002 + 0 = 3.00000000007 USD")


def test_allocation_rows_sorted_by_day_model_version_endpoint_tenant():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("4", "i-1", start=0, hours=25)]
    use = [usage_row("a", "i-1", 24.5, 100, model="m2", tenant="z"),
           usage_row("b", "i-1", 0.1, 100, model="m2", tenant="z"),
           usage_row("c", "i-1", 0.2, 100, model="m2", tenant="a"),
           usage_row("d", "i-1", 0.3, 100, model="m1", tenant="z")]
    t = attribute_rows(bill, use).allocations
    a = t[t["kind"] == "allocated"]
    assert list(zip(a["period"], a["model"], a["tenant"], strict=True)) == [
        ("2026-10-01", "m1", "z"), ("2026-10-01", "m2", "a"), ("2026-10-01", "m2", "z"),
        ("2026-10-02", "m2", "z")]


def test_requests_without_labels_keep_their_cost():
    alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("3", "i-1")]
    use = [usage_row("a", "i-1", 0.1, 100, tenant=None, endpoint=None, version=None),
           usage_row("b", "i-1", 0.2, 200, tenant="x")]
    res = attribute_rows(bill, use)
    a = res.allocations[res.allocations["kind"] == "allocated"]
    # 3 split 100:200 -> 1 to the request without tenant, endpoint or version, 2 to x
    assert len(a) == 2 and sum(a["cost"], D(0)) == D(3)
    nolabel = a[a["tenant"].isna()]
    assert list(nolabel["cost"]) == [D(1)]
    assert res.summary["totals"]["allocated"] == D(3)


def test_sum_codes_overflow_guard_at_2_pow_62():
    q = np.array([7], dtype=np.int64)
    # one row: each column has 1 value, so n = 1 + 1 = 2 codes per column (the value and
    # missing); 61 columns: 2**61 combined codes < 2**62, summed on codes
    keys61 = pd.DataFrame({f"c{i}": ["v"] for i in range(61)})
    assert sum_codes(keys61, q) == {tuple(["v"] * 61): D("7E-10")}
    # 62 columns: 2**62 combined codes could overflow: None (the caller sums otherwise)
    keys62 = pd.DataFrame({f"c{i}": ["v"] for i in range(62)})
    assert sum_codes(keys62, q) is None
    assert sum_by(keys62, pd.Series([D("7E-10")], dtype=object)) == {
        tuple(["v"] * 62): D("7E-10")}
    # 200 distinct values in one column: 201 codes, far below the guard
    keys = pd.DataFrame({"a": [f"k{i}" for i in range(200)]})
    out = sum_codes(keys, np.arange(200, dtype=np.int64))
    assert len(out) == 200 and out[("k199",)] == D("1.99E-8")


def test_idle_share_reaches_requests_without_labels():
    alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("4", "i-1", start=0, hours=2)]  # 2 per hour
    use = [usage_row("a", "i-1", 0.1, 100, tenant=None, version=None),
           usage_row("b", "i-1", 0.2, 300, tenant="x")]
    res = attribute_rows(bill, use, {"idle": "share"})
    # hour 0: 2 split 1:3 -> 0.5 and 1.5; hour 1 idle 2, shared back 1:3 -> 0.5 and 1.5
    a = res.allocations[res.allocations["kind"] == "allocated"]
    assert list(a.loc[a["tenant"].isna(), "cost"]) == [D(1)]
    assert alloc(res, tenant="x") == D(3) and res.summary["totals"]["idle"] == 0


def test_no_allocated_request_totals_are_decimal_zero():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    res = attribute_rows([focus_row("2", "i-1")], [usage_row("a", "i-1", 0.1, 0)])
    t = res.summary["totals"]
    assert t["allocated_direct"] == 0 and isinstance(t["allocated_direct"], Decimal)
    assert isinstance(t["allocated"], Decimal) and t["idle"] == D(2)
    # no bill row outside the fleet: shared is a Decimal zero too
    assert t["shared_before_spread"] == 0 and isinstance(t["shared_before_spread"], Decimal)


def test_quanta_array_refuses_exactly_2_pow_62_quanta():
    # 461168601.8427387904 x 1e10 = 4_611_686_018_427_387_904 = 2**62: refused (>= LIMIT)
    for big in (D("461168601.8427387904"), D("461168601.84273879045")):  # the 2nd: slow path
        with pytest.raises(InputError, match="too large"):
            quanta_array(pd.Series([big], dtype=object))
    # one quantum less is accepted
    q, _ = quanta_array(pd.Series([D("461168601.8427387903")], dtype=object))
    assert q.tolist() == [2**62 - 1]


def test_r4_idle_keeps_fleet_hours_without_a_resource_id():
    # a fleet row picked by service or tag may have no ResourceId: its cost stays idle
    day1 = pd.Timestamp("2026-10-01")
    b = SimpleNamespace(hours=_hours([(None, day1, 100), ("i-1", day1, 50)]),
                        rest=pd.DataFrame({"resource_id": [], "day": [], "rest": []}))
    u = SimpleNamespace(handed_out=pd.DataFrame({"resource_id": ["i-1"], "day": [day1],
                                                 "cost_q": [50]}))
    idle = steps.r4_idle(b, u, _al(usage=pd.DataFrame({"cost_q": [50]})))
    # None: 100 quanta idle; i-1: 50 - 50 = 0; fleet 150 quanta
    named = {("(none)" if pd.isna(r) else r, d): v for (r, d), v in idle.by_key.items()}
    assert named == {("(none)", day1): D("1E-8"), ("i-1", day1): D(0)}
    assert idle.fleet_total == D("1.5E-8")


# --------------------------------------------------------------------------- summary, table


def _month_with_every_kind_of_row():
    """Fleet i-1 (6 over hours 0-1, and 1 of a zero-length charge period), fleet i-2 (4 in hour 24,
    day 2), shared vol (Storage, 3) and g-1 (another provider, billed 5, effective 3), a tax
    row without ResourceId (0.5); requests allocated, unbilled, zero-weight, rejected, outside
    the period, one request id twice."""
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("6", "i-1", start=0, hours=2),
            focus_row("4", "i-2", start=24, hours=1),
            focus_row("3", "vol", service="Storage", ServiceName="Amazon S3"),
            focus_row("1", "i-1", start=0, hours=0),
            focus_row("3", "g-1", billed="5", provider="Google Cloud",
                      ServiceName="Compute Engine"),
            focus_row("0.5", None, category="Tax", service="Other", ServiceName="Tax")]
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x", tin=10, tout=30),
           usage_row("b", "i-1", 0.2, 200, tenant="y"),
           usage_row("c", "i-9", 0.2, 200, tenant="y"),  # no bill row
           usage_row("d", "i-2", 24.5, 0),  # zero busy time
           usage_row("a", "i-1", 0.3, -5),  # negative duration; "a" again
           usage_row("f", "i-1", 800, 100)]  # hour 800 > 744 hours of October
    return attribute_rows(bill, use)


def test_summary_of_a_month_with_every_kind_of_row():
    s = _month_with_every_kind_of_row().summary
    # bill 6 + 4 + 3 + 1 + 3 + 0.5 = 17.5; hour 0 of i-1: 3 split 100:200 -> x 1, y 2 (3
    # allocated); idle: i-1 hour 1 (3) + i-2 hour 24 (4, its request weighs 0) = 7; shared:
    # vol 3 + g-1 3 + tax 0.5 = 6.5; unallocated: the row without a period, 1
    assert s["totals"] == {
        "bill": D("17.5"), "allocated": D(3), "idle": D(7), "shared": D("6.5"),
        "unallocated": D(1), "allocated_direct": D(3), "idle_spread": D(0),
        "shared_spread": D(0), "idle_before_spread": D(7), "shared_before_spread": D("6.5")}
    assert s["conservation"] == {
        "equation": "allocated + idle + shared + unallocated = bill", "holds": True,
        "difference": D(0), "line": "3 + 7 + 6.5 + 1 = 17.5 USD"}
    assert (s["currency"], s["cost_basis"], s["driver"]) == ("USD", "EffectiveCost",
                                                            "duration_ms")
    assert s["rules"] == Rules().to_dict()
    assert s["billing_period"] == {"start": pd.Timestamp("2026-10-01"),
                                   "end": pd.Timestamp("2026-11-01")}
    # fleet: i-1, i-2; rows 1, 2, 4; cost placed in hours 6 + 4 = 10 (the row without a
    # period is unallocated); hours billed: i-1 0, 1 and i-2 24; of them with an accepted
    # request: i-1 h0, i-2 h24 = 2; usage resource-hours with an accepted request: i-1
    # h0, i-9 h0, i-2 h24, i-1 h800 = 4; idle share 7 / 10
    assert s["fleet"] == {"resources": 2, "bill_rows": 3, "cost": D(10),
                          "resource_hours_billed": 3, "resource_hours_with_requests": 2,
                          "usage_resource_hours_with_requests": 4, "idle_share": D("0.7")}
    assert s["idle_share"] == D("0.7")
    # fleet usage 6 + 4 + 1 = 11 (62.857% -> 62.9%), Compute 3 (17.142% -> 17.1%),
    # Storage 3, tax 0.5 (2.857% -> 2.9%); the tie at 3 by name
    assert s["drivers"] == [
        {"driver": "instance time (fleet)", "cost": D(11), "share": "62.9%"},
        {"driver": "Compute", "cost": D(3), "share": "17.1%"},
        {"driver": "Storage", "cost": D(3), "share": "17.1%"},
        {"driver": "tax", "cost": D("0.5"), "share": "2.9%"}]
    # 2 allocated requests, 10 + 30 tokens; allocated 3: 1.5 a request, 3 / 40 x 1e6 =
    # 75,000 per 1M tokens; the bill per request 17.5 / 2 = 8.75
    assert s["unit_costs"] == {"requests": 2, "tokens": 40, "cost_per_request": D("1.5"),
                               "cost_per_1k_requests": D(1500),
                               "cost_per_1m_tokens": D(75000), "bill_per_request": D("8.75")}
    # labels sorted; usage rows billed 6 + 4 + 3 + 1 + 5 = 19, effective 17
    assert s["charges"] == {
        "tax": {"rows": 1, "billed_cost": D("0.5"), "effective_cost": D("0.5")},
        "usage": {"rows": 5, "billed_cost": D(19), "effective_cost": D(17)}}
    # AWS 6 + 4 + 3 + 1 + 0.5 = 14.5 (billed = effective); Google Cloud billed 5, effective 3
    assert s["by_provider"] == {
        "AWS": {"billed_cost": D("14.5"), "effective_cost": D("14.5")},
        "Google Cloud": {"billed_cost": D(5), "effective_cost": D(3)}}
    assert list(s["by_provider"]) == ["AWS", "Google Cloud"]
    # EC2 6 + 4 + 1 = 11; the tie at 3 by (service, category) text: Amazon S3 first
    assert s["by_service"] == [
        {"service": "Amazon Elastic Compute Cloud", "category": "Compute", "cost": D(11)},
        {"service": "Amazon S3", "category": "Storage", "cost": D(3)},
        {"service": "Compute Engine", "category": "Compute", "cost": D(3)},
        {"service": "Tax", "category": "Other", "cost": D("0.5")}]
    # i-1 6 + 1 = 7, i-2 4, then the tie at 3 by ResourceId (g-1 is billed after vol);
    # the tax row has no ResourceId
    assert s["top_resources"] == [
        {"resource_id": "i-1", "cost": D(7), "fleet": True},
        {"resource_id": "i-2", "cost": D(4), "fleet": True},
        {"resource_id": "g-1", "cost": D(3), "fleet": False},
        {"resource_id": "vol", "cost": D(3), "fleet": False}]
    assert s["rows"] == {
        "bill_read": 6, "bill_rows_normalized": 6, "bill_rejected": 0, "usage_read": 6,
        "usage_allocated": 2, "usage_rejected": 1,
        "usage_rejected_by_reason": {"rejected: negative duration_ms": 1},
        "usage_outside_period": 1, "usage_without_bill_row": 1, "usage_zero_weight": 1,
        "duplicate_request_ids": 1}
    assert s["notes"] == ["1 fleet bill row has no usable charge period (of zero length): its "
                          "1 USD is unallocated (ResourceId i-1)"]
    assert s["backend"] == "duckdb"
    assert set(s) == {"currency", "cost_basis", "driver", "rules", "billing_period", "totals",
                      "conservation", "fleet", "idle_share", "drivers", "unit_costs",
                      "charges", "by_provider", "by_service", "top_resources", "rows", "notes",
                      "backend"}


def test_table_of_a_month_with_every_kind_of_row():
    t = _month_with_every_kind_of_row().allocations
    assert list(t.columns) == steps.OUT_COLUMNS
    rows = t.to_dict("records")
    none = dict.fromkeys(("model_version", "endpoint", "tenant", "cost_per_1k_requests",
                          "cost_per_1m_tokens", "direct_cost", "idle_cost", "shared_cost"))

    def other(period, model, kind, detail, cost, requests=0):
        return {"period": period, "model": model, "requests": requests, "input_tokens": 0,
                "output_tokens": 0, "cost": cost, "kind": kind, "detail": detail,
                "currency": "USD", **none}

    month = "2026-10-01/2026-11-01"
    assert rows == [
        # x: 1 for 1 request (1 x 1000 / 1 = 1000 per 1k), 40 tokens (1 x 1e6 / 40 = 25,000)
        {"period": "2026-10-01", "model": "m", "model_version": "1", "endpoint": "/e",
         "tenant": "x", "requests": 1, "input_tokens": 10, "output_tokens": 30, "cost": D(1),
         "cost_per_1k_requests": D(1000), "cost_per_1m_tokens": D(25000),
         "kind": "allocated", "detail": None, "currency": "USD", "direct_cost": D(1),
         "idle_cost": D(0), "shared_cost": D(0)},
        # y: 2, no tokens: no cost per token
        {"period": "2026-10-01", "model": "m", "model_version": "1", "endpoint": "/e",
         "tenant": "y", "requests": 1, "input_tokens": 0, "output_tokens": 0, "cost": D(2),
         "cost_per_1k_requests": D(2000), "cost_per_1m_tokens": None,
         "kind": "allocated", "detail": None, "currency": "USD", "direct_cost": D(2),
         "idle_cost": D(0), "shared_cost": D(0)},
        # idle per resource and day, sorted by ResourceId
        other("2026-10-01", "__idle__", "idle", "i-1", D(3)),
        other("2026-10-02", "__idle__", "idle", "i-2", D(4)),
        # shared by (ServiceCategory, label), for the whole period
        other(month, "__shared__", "shared", "Compute / usage", D(3)),
        other(month, "__shared__", "shared", "Other / tax", D("0.5")),
        other(month, "__shared__", "shared", "Storage / usage", D(3)),
        # unallocated requests by day and reason (sorted), zero cost
        other("2026-10-01", "__unallocated__", "unallocated",
              "no bill row for resource-hour", D(0), 1),
        other("2026-10-01", "__unallocated__", "unallocated",
              "rejected: negative duration_ms", D(0), 1),
        other("2026-10-02", "__unallocated__", "unallocated",
              "zero weight under the driver", D(0), 1),
        other("2026-11-03", "__unallocated__", "unallocated", "outside billing period",
              D(0), 1),  # hour 800 = 33 days 8 hours after October 1
        other(month, "__unallocated__", "unallocated",
              "fleet bill rows with a charge period of zero length (1)", D(1)),
    ]


def _bside(rows: dict, cost: list, fleet: list, exact: bool = True):
    costs = pd.Series([D(c) for c in cost], dtype=object)
    q = quanta_array(costs)[0]
    return SimpleNamespace(bill=SimpleNamespace(rows=pd.DataFrame(rows)), cost=costs,
                           quanta={"effective_cost": (q, exact)}, basis="effective_cost",
                           fleet_mask=np.array(fleet, dtype=bool))


def test_top_resources_rank_ties_fleet_and_limit():
    b = _bside({"resource_id": ["b", "a", None, "c", "a", "d"]},
               ["2", "1", "9", "3", "1", "-3"], [True, False, True, False, False, True])
    # b 2, a 1 + 1 = 2, c 3, d -3 (the 9 has no ResourceId): by |cost| 3, 3, 2, 2, ties by id
    want = [{"resource_id": "c", "cost": D(3), "fleet": False},
            {"resource_id": "d", "cost": D(-3), "fleet": True},
            {"resource_id": "a", "cost": D(2), "fleet": False},
            {"resource_id": "b", "cost": D(2), "fleet": True}]
    assert steps.top_resources(b) == want
    assert steps.top_resources(b, 3) == want[:3]
    # the same on the Decimal path (amounts not all whole quanta)
    b = _bside({"resource_id": ["b", "a", None, "c", "a", "d"]},
               ["2", "1", "9", "3", "1", "-3"], [True, False, True, False, False, True],
               exact=False)
    assert steps.top_resources(b) == want
    # no ResourceId at all: nothing to rank
    assert steps.top_resources(_bside({"resource_id": [None, None]}, ["1", "2"],
                                      [False, False])) == []
    # 12 resources r00..r11 costing 1..12: the default shows the 10 largest, r11..r02
    b = _bside({"resource_id": [f"r{i:02}" for i in range(12)]},
               [str(i + 1) for i in range(12)], [False] * 12)
    top = steps.top_resources(b)
    assert [r["resource_id"] for r in top] == [f"r{i:02}" for i in range(11, 1, -1)]
    assert [r["cost"] for r in top] == [D(i) for i in range(12, 2, -1)]


def test_top_resources_rank_sub_quantum_amounts_exactly():
    # a: 1.00000000004 x 2 = 2.00000000008, b: 2.00000000009; in whole quanta both are
    # 20_000_000_000 (a tie, a first by id), exactly b is larger: b first
    b = _bside({"resource_id": ["a", "b", "a"]}, ["1.00000000004", "2.00000000009",
                                                  "1.00000000004"], [False, True, False],
               exact=False)
    assert steps.top_resources(b) == [
        {"resource_id": "b", "cost": D("2.00000000009"), "fleet": True},
        {"resource_id": "a", "cost": D("2.00000000008"), "fleet": False}]


def test_by_service_largest_first_ties_by_key_text():
    b = _bside({"service_name": ["S1", "S0", "S2", "S1", None],
                "service_category": ["Compute", None, "Storage", "Compute", "Other"]},
               ["2", "-5", "7", "3", "1"], [False] * 5)
    # S2 7; then |5|: S1 2 + 3 = 5 and S0 -5, tie by text "('S0', None)" < "('S1', ...";
    # then (None, Other) 1
    assert steps.by_service(b) == [
        {"service": "S2", "category": "Storage", "cost": D(7)},
        {"service": "S0", "category": None, "cost": D(-5)},
        {"service": "S1", "category": "Compute", "cost": D(5)},
        {"service": None, "category": "Other", "cost": D(1)}]


def test_by_provider_sums_billed_and_effective_sorted_by_name():
    rows = pd.DataFrame({"provider": ["Google Cloud", "AWS", None, "Azure", "AWS"],
                         "billed_cost": [D(5), D(2), D(9), D(1), D("0.5")],
                         "effective_cost": [D(3), D(1), D(9), D("0.25"), D("0.5")]})
    bq = {c: quanta_array(rows[c]) for c in ("billed_cost", "effective_cost")}
    out = steps._by_provider(SimpleNamespace(rows=rows), bq)
    # AWS billed 2 + 0.5, effective 1 + 0.5; the row without a provider is left out
    assert out == {"AWS": {"billed_cost": D("2.5"), "effective_cost": D("1.5")},
                   "Azure": {"billed_cost": D(1), "effective_cost": D("0.25")},
                   "Google Cloud": {"billed_cost": D(5), "effective_cost": D(3)}}
    assert list(out) == ["AWS", "Azure", "Google Cloud"]


# --------------------------------------------------------------------------- engine


def test_engine_codes_weights_and_shares_per_request():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("10", "i-1"), focus_row("10", "i-2", start=1)]
    use = [usage_row("a", "i-1", 0.1, 100.5),  # 100_500 µs
           usage_row("b", "i-1", 0.2, 1e9),  # the largest busy time a row may state
           usage_row("c", "i-1", 0.3, 1e9 + 1),  # over 1e9 ms: rejected (9)
           usage_row("d", "i-1", 0.4, float("inf")),  # not finite (9)
           usage_row("e", "i-1", 0.5, -1),  # negative duration (6)
           usage_row("f", "i-1", 0.6, 5, tin=-1),  # negative tokens (8)
           usage_row("g", None, 0.6, 5),  # no resource (4)
           usage_row("h", "i-1", 0.7, None),  # no duration under duration_ms (5)
           usage_row("i", "i-1", 0.8, 0.0004),  # 0.4 µs floors to 0: zero weight (7)
           usage_row("j", "i-2", 1.5, 3, tout=-2)]  # negative tokens (8)
    res, req = attribute_rows(bill, use, with_requests=True)
    got = {r.request_id: (r.weight, r.allocation_code, r.allocation, r.cost_q)
           for r in req.itertuples()}
    # hour 0 of i-1: 10 = 1e11 quanta over W = 100_500 + 1e12 µs:
    # a floor(1e11 x 100_500 / 1_000_000_100_500) = floor(10_049.99899) = 10_049
    # b floor(1e11 x 1e12 / 1_000_000_100_500) = floor(99_999_989_950.001) = 99_999_989_950
    assert got == {
        "a": (100_500, 0, "allocated", 10_049),
        "b": (1_000_000_000_000, 0, "allocated", 99_999_989_950),
        "c": (0, 9, "rejected: duration_ms not finite or over 1e9 ms", 0),
        "d": (0, 9, "rejected: duration_ms not finite or over 1e9 ms", 0),
        "e": (0, 6, "rejected: negative duration_ms", 0),
        "f": (5000, 8, "rejected: negative tokens", 0),
        "g": (5000, 4, "rejected: no resource_id", 0),
        "h": (0, 5, "rejected: no duration_ms", 0),
        "i": (0, 7, "zero weight under the driver", 0),
        "j": (3000, 8, "rejected: negative tokens", 0),
    }
    # a request's cost is its quanta as a Decimal: 10_049 x 1e-10
    assert req.loc[req["request_id"] == "a", "cost"].iloc[0] == D("0.0000010049")
    t = res.summary["totals"]
    # allocated 10_049 + 99_999_989_950 = 99_999_999_999 quanta; idle: the 1 quantum of
    # per-request rounding; i-2's only request is rejected, but the log names i-2, so it
    # is in the fleet (R1: bill rows whose ResourceId appears in the log): its 10 is idle
    # (it was shared, as if no usage named it)
    assert t["allocated"] == D("9.9999999999") and t["idle"] == D("10.0000000001")
    assert t["shared"] == 0
    assert res.summary["rows"]["usage_rejected_by_reason"] == {
        "rejected: duration_ms not finite or over 1e9 ms": 2,
        "rejected: negative duration_ms": 1, "rejected: negative tokens": 2,
        "rejected: no duration_ms": 1, "rejected: no resource_id": 1}
    assert res.summary["rows"]["usage_rejected"] == 7
    # resource-hours with an accepted request: i-1 hour 0 only ((None, hour 0) and i-2
    # hour 1 have rejected rows alone)
    assert res.summary["fleet"]["resource_hours_with_requests"] == 1
    assert set(res.timings) == {"pass1_resource_hours_s", "pass2_duplicates_s",
                                "bill_hours_s", "pass3_requests_s", "pass4_aggregate_s",
                                "assemble_s", "total_engine_s"}
    assert list(res.fleet_mask) == [True, True]
    assert res.fleet_hours["cost_q"].tolist() == [100_000_000_000, 100_000_000_000]


def test_engine_token_driver_weights_and_missing_duration():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("10", "i-1")]
    use = [usage_row("a", "i-1", 0.1, 100, tin=10, tout=30),  # 40 tokens
           usage_row("b", "i-1", 0.2, 5, tin=0, tout=20),  # 20
           usage_row("h", "i-1", 0.3, None, tin=40),  # no duration: not read under tokens
           usage_row("z", "i-1", 0.4, 100),  # no tokens: zero weight
           usage_row("e", "i-1", 0.5, -1, tin=50)]  # a negative duration rejects it anyway
    res, req = attribute_rows(bill, use, {"driver": "tokens"}, with_requests=True)
    got = {r.request_id: (r.weight, r.allocation_code, r.cost_q) for r in req.itertuples()}
    # 10 over 40:20:40 -> 4, 2, 4
    assert got == {"a": (40, 0, 40_000_000_000), "b": (20, 0, 20_000_000_000),
                   "h": (40, 0, 40_000_000_000), "z": (0, 7, 0), "e": (50, 6, 0)}
    assert res.summary["driver"] == "tokens" and res.summary["totals"]["idle"] == 0


def test_engine_gpu_time_driver_missing_gpu_ms_weighs_nothing():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    use = [usage_row("a", "i-1", 0.1, 1, gpu_ms=3.0), usage_row("b", "i-1", 0.2, 1, gpu_ms=1.5),
           usage_row("c", "i-1", 0.3, 1, gpu_ms=None)]
    res, req = attribute_rows([focus_row("9", "i-1")], use, {"driver": "gpu_time"},
                              with_requests=True)
    got = {r.request_id: (r.weight, r.allocation_code, r.cost_q) for r in req.itertuples()}
    # 3000 and 1500 µs: 9 x 2/3 = 6 and 3; c without gpu_ms weighs 0
    assert got == {"a": (3000, 0, 60_000_000_000), "b": (1500, 0, 30_000_000_000),
                   "c": (0, 7, 0)}
    with pytest.raises(InputError) as e:
        attribute_rows([focus_row("9", "i-1")], [usage_row("a", "i-1", 0.1, 1)],
                       {"driver": "gpu_time"})
    assert str(e.value) == ("rules: driver: driver gpu_time needs a gpu_ms column in the "
                            "usage log")


def test_engine_capacity_clamp_note_singular_and_plural():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("10", "i-1"), focus_row("10", "i-2"), focus_row("10", "i-1", start=1)]
    use = [usage_row("a", "i-1", 0.1, 2_000_000), usage_row("b", "i-2", 0.2, 3_000_000),
           usage_row("c", "i-1", 1.2, 1_000_000)]
    res, req = attribute_rows(bill, use, {"driver": "capacity",
                                          "capacity_ms_per_hour": 1_500_000},
                              with_requests=True)
    got = {r.request_id: r.cost_q for r in req.itertuples()}
    # i-1 h0: 2e6 ms > 1.5e6: den 2e6, a takes all 10; i-2 h0: b 3e6 > 1.5e6, all 10;
    # i-1 h1: 1e6 of 1.5e6 -> 10 x 2/3 = 6.6666666666 (floor), idle 3.3333333334
    assert got == {"a": 100_000_000_000, "b": 100_000_000_000, "c": 66_666_666_666}
    assert res.summary["totals"]["idle"] == D("3.3333333334")
    over = ("busy time (duration_ms, or requests x mean latency) exceeds the declared "
            "capacity (concurrency); idle clamped at zero there")
    # (the usage covers 2 hours of the month: said in a note of its own)
    assert _but_span(res.summary["notes"]) == [f"2 resource-hours: {over}"]
    # capacity per resource: i-1 3.6e6 (the default), i-2 1e6: only i-2 h0 is over
    res = attribute_rows(bill, use, {"driver": "capacity",
                                     "capacity_ms_per_hour": {"i-2": 1_000_000}})
    assert _but_span(res.summary["notes"]) == [f"1 resource-hour: {over}"]
    # i-1 h0 2e6 of 3.6e6 -> 10 x 5/9 = 5.5555555555; h1 1e6 of 3.6e6 -> 2.7777777777
    # (floors); i-2 all 10
    assert res.summary["totals"]["allocated"] == D("18.3333333332")
    # exactly at capacity: not over, no note
    res = attribute_rows([focus_row("10", "i-1")], [usage_row("a", "i-1", 0.1, 1_500_000)],
                         {"driver": "capacity", "capacity_ms_per_hour": 1_500_000})
    assert _but_span(res.summary["notes"]) == [] and res.summary["totals"]["allocated"] == 10


def test_engine_pay_per_token_note_weights_and_requests_fallback():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("24", "bed", start=0, hours=24, PricingUnit="1K Tokens",
                      ServiceName="Amazon Bedrock"),
            focus_row("6", "bed", start=0, hours=2, ServiceName="Amazon Bedrock"),
            focus_row("4", "px", start=0, hours=2, ServiceName="LiteLLM")]
    use = [usage_row("a", "bed", 1.1, 1000, tin=150, tout=50),
           usage_row("b", "bed", 5.2, 10, tin=80, tout=20),
           usage_row("c", "px", 0.5, 100), usage_row("d", "px", 0.6, 100),
           usage_row("e", "px", 1.5, 100)]
    res, req = attribute_rows(bill, use, {"per_token": ["LiteLLM"]}, with_requests=True)
    got = {r.request_id: (r.weight, r.cost_q) for r in req.itertuples()}
    # bed: 24 by tokens over the day, hour 1 200 tokens, hour 5 100 -> 16 and 8; its
    # time-billed row 6 over hours 0-1 (3 each) is split by tokens too: hour 0 has none
    # (idle 3), hour 1 -> a 16 + 3 = 19; b 8
    # px (LiteLLM by the rule) has no tokens: by requests, hours 0 (2) and 1 (1):
    # 4e10 quanta x 2/3 = 26_666_666_666 r 2, x 1/3 = 13_333_333_333 r 1; the leftover
    # quantum to the larger remainder (hour 0): 26_666_666_667 over c, d = 13_333_333_333
    # each (1 quantum rounding), e 13_333_333_333
    assert got == {"a": (200, 190_000_000_000), "b": (100, 80_000_000_000),
                   "c": (1, 13_333_333_333), "d": (1, 13_333_333_333),
                   "e": (1, 13_333_333_333)}
    assert res.summary["totals"]["idle"] == D("3.0000000001")
    assert _but_span(res.summary["notes"]) == [
        "2 pay-per-token fleet rows on 2 resources: allocated by tokens (by requests where "
        "the requests carry no tokens) over their charge period, no idle; 1 of those "
        "resources also bill by time, and all their cost is split by tokens"]
    # one per-token row on one resource, nothing else on it: the singular, no "also"
    res = attribute_rows(bill[:1], use[:2])
    assert _but_span(res.summary["notes"]) == [
        "1 pay-per-token fleet row on 1 resource: allocated by tokens (by requests where "
        "the requests carry no tokens) over their charge period, no idle"]
    assert res.summary["totals"]["idle"] == 0 and res.summary["totals"]["allocated"] == 24
    # a per-token period without any request: spread evenly over its hours, all idle
    res = attribute_rows([focus_row("4", "bed", start=0, hours=2, PricingUnit="tokens")],
                         [usage_row("a", "bed", 5, 1, tin=1)])
    assert res.summary["totals"]["idle"] == 4


def test_weighted_split_largest_remainder_ties_to_earliest():
    assert engine._weighted_split(10, [1, 2]).tolist() == [3, 7]  # 3 r1, 6 r2 -> row 1
    assert engine._weighted_split(10, [1, 1, 1]).tolist() == [4, 3, 3]  # ties: row 0
    assert engine._weighted_split(5, [3, 3]).tolist() == [3, 2]
    assert engine._weighted_split(7, [0, 5, 2]).tolist() == [0, 5, 2]
    # 11 over 2:3:2 (7): 22//7 = 3 r1, 33//7 = 4 r5, 3 r1; 10, leftover 1 -> row 1
    out = engine._weighted_split(11, [2, 3, 2])
    assert out.tolist() == [3, 5, 3] and out.dtype == np.int64
    # 10 over 1:1:5 (7): 1 r3, 1 r3, 7 r1; the leftover quantum by remainder (row 0), not
    # to the largest weight
    assert engine._weighted_split(10, [1, 1, 5]).tolist() == [2, 1, 7]


def test_handed_out_floors_exactly_on_both_paths():
    cost = np.array([10, 9, 7, -10], dtype=np.int64)
    w = np.array([5, 1, 0, 1], dtype=np.int64)
    den = np.array([5, 3, 4, 3], dtype=np.int64)
    # min(w, den) == den: all 10; 9 x 1 // 3 = 3; 7 x 0 // 4 = 0; -10 x 1 // 3 = -4 (floor)
    assert engine._handed_out(cost, w, den).tolist() == [10, 3, 0, -4]
    # w above den counts as den: all of it
    assert engine._handed_out(np.array([8]), np.array([9]), np.array([4])).tolist() == [8]
    # a product past 2**62: Python integers, 4e18 x 3 // 7 = 1_714_285_714_285_714_285
    big = engine._handed_out(np.array([4 * 10**18, 5]), np.array([3, 1]), np.array([7, 2]))
    assert big.tolist() == [1_714_285_714_285_714_285, 2]
    assert big.dtype == np.int64


def test_map_distinct_calls_once_per_value():
    calls = []

    def fn(x):
        calls.append(x)
        return f"<{x}>"

    out = engine._map_distinct(pd.Series(["a", None, "a", "b"]), fn)
    assert out.tolist() == ["<a>", "<None>", "<a>", "<b>"] and out.dtype == object
    assert calls == ["a", "b", None]
    calls.clear()
    assert engine._map_distinct(pd.Series(["x", "x"], index=[5, 7]), fn).to_dict() == {
        5: "<x>", 7: "<x>"}
    assert calls == ["x"]  # nothing missing: fn(None) is not called


def test_per_token_rows_by_unit_service_or_sku():
    rows = pd.DataFrame({"pricing_unit": ["1K Tokens", "Hours", None, "tokens", "Hours"],
                         "service_name": ["A", "LiteLLM", "B", "C", "D"],
                         "sku_id": ["s1", "s2", "proxy", "s4", "s5"]})
    bill = SimpleNamespace(rows=rows)
    assert engine.per_token_rows(bill, Rules()).tolist() == [True, False, False, True, False]
    rules = parse_rules({"per_token": ["LiteLLM", "proxy"]})
    assert engine.per_token_rows(bill, rules).tolist() == [True, True, True, True, False]


def test_select_fleet_by_each_rule():
    rows = pd.DataFrame({
        "resource_id": ["i-1", "/subscriptions/ab/vm", "i-3", "i-4", "i-5", None],
        "service_name": ["EC2", "VM", "SageMaker", "EC2", "EC2", "EC2"],
        "sku_id": ["x", "x", "x", "g6e", "x", "x"],
        "tags": [{}, {}, {}, {}, {"team": "ml", "env": "prod"}, {"team": "ml"}]})
    bill = SimpleNamespace(rows=rows)
    assert engine.select_fleet(bill, Rules(), {"i-1"}).tolist() == [
        True, False, False, False, False, False]
    rules = parse_rules({"fleet": {"from_usage": False,
                                   "resource_ids": ["/Subscriptions/AB/VM"],
                                   "services": ["SageMaker"], "skus": ["g6e"],
                                   "tags": {"team": "ml", "env": "prod"}}})
    # an Azure id matches in lower case; tags: every pair must match (the last row lacks env)
    assert engine.select_fleet(bill, rules, {"i-1"}).tolist() == [
        False, True, True, True, True, False]


def test_fleet_hours_spread_rests_and_rows_without_period():
    t = pd.Timestamp
    fleet = pd.DataFrame({
        "resource_id": ["i-1", "i-1", "i-1", "i-2"],
        "charge_start": [t("2026-10-01 00:30"), t("2026-10-01 01:00"),
                         t("2026-10-01 02:15"), t("2026-10-02 05:00")],
        "charge_end": [t("2026-10-01 03:00"), t("2026-10-01 01:00"),
                       t("2026-10-01 02:45"), t("2026-10-02 06:00")]})
    cost = pd.Series([D("1E-9"), D("5E-10"), D("2E-10"), D("1.00000000005")], dtype=object)
    hq, rest, no_period, no_cost = engine.fleet_hours(fleet, cost)
    # 10 quanta over hours 0, 1, 2 (00:30 to 03:00 touches three): 3 each, the leftover
    # to the earliest: 4, 3, 3; 02:15-02:45: one hour, 2 more in hour 2; the second row
    # ends where it starts: no period; i-2: 1e10 quanta in hour 5 of day 2
    assert hq.to_dict("list") == {
        "resource_id": ["i-1", "i-1", "i-1", "i-2"],
        "hour": [t("2026-10-01 00:00"), t("2026-10-01 01:00"), t("2026-10-01 02:00"),
                 t("2026-10-02 05:00")],
        "cost_q": [4, 3, 5, 10_000_000_000]}
    assert hq["cost_q"].dtype == np.int64  # quanta stay integers
    # the 5e-11 below the quantum stays with i-2's day
    assert rest.to_dict("list") == {"resource_id": ["i-2"], "day": [t("2026-10-02")],
                                    "rest": [D("5E-11")]}
    assert no_period.index.tolist() == [1] and no_cost.tolist() == [D("5E-10")]
    # a period one second past the hour touches two hours: 00:00:00 to 01:00:01
    hq, _, _, _ = engine.fleet_hours(
        pd.DataFrame({"resource_id": ["i-1"], "charge_start": [t("2026-10-01 00:00")],
                      "charge_end": [t("2026-10-01 01:00:01")]}),
        pd.Series([D("1E-9")], dtype=object))
    assert hq["cost_q"].tolist() == [5, 5]
    # given whole-quanta amounts, no rests at all
    hq, rest, _, _ = engine.fleet_hours(fleet.iloc[:3], cost.iloc[:3])
    assert len(rest) == 0 and hq["cost_q"].tolist() == [4, 3, 5]


def test_engine_resource_hour_beyond_int64_quanta_is_refused():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # two rows of 300,000,000 in one hour: 2 x 3e18 = 6e18 quanta >= 2**62 (4.6e18)
    bill = [focus_row("300000000", "i-1"), focus_row("300000000", "i-1")]
    with pytest.raises(InputError) as e:
        attribute_rows(bill, [usage_row("a", "i-1", 0.1, 1)])
    # the resource-hour named, and the limit: 2**62 quanta // 1e10 = 461,168,601 USD
    assert e.value.message == (
        "ResourceId i-1, hour 2026-10-01T00:00Z: its fleet rows sum to "
        "461,168,601.8427387904 USD or more, the engine's limit for one resource-hour "
        "(2^62 units of 1e-10)")


def test_engine_idle_share_quotient_and_remainder_per_resource():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("4", "i-1", start=0, hours=3), focus_row("1", "i-2", start=0, hours=2)]
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x"), usage_row("b", "i-1", 0.2, 200,
                                                                   tenant="y"),
           usage_row("c", "i-2", 0.3, 100, tenant="y")]
    res = attribute_rows(bill, use, {"idle": "share"})
    t = res.allocations
    got = {(r["kind"], r["tenant"] if r["kind"] == "allocated" else r["detail"], r["period"]):
           (r["cost"], r["direct_cost"], r["idle_cost"]) for r in t.to_dict("records")}
    # i-1: 4e10 quanta over 3 hours: 13_333_333_334, 13_333_333_333 x 2; hour 0 by 100:200:
    # x floor(4_444_444_444.67) = 4_444_444_444, y floor(8_888_888_889.33) = 8_888_888_889
    # (1 quantum of rounding); idle of i-1: hours 1-2, 26_666_666_666 quanta
    # i-2: 0.5 per hour; c (y) gets hour 0, hour 1 idle: 5e9 quanta
    # share, in the engine: i-1 handed out a = 13_333_333_334; 26_666_666_666 = 1 x a +
    # 13_333_333_332: x 4_444_444_444 + floor(13_333_333_332 x 4_444_444_444 / a) =
    # 4_444_444_444 + 4_444_444_443 = 8_888_888_887; y 8_888_888_889 + 8_888_888_887 =
    # 17_777_777_776; left 26_666_666_666 - 26_666_666_663 = 3 quanta, which go to the
    # largest row (y, by direct cost): 17_777_777_779; i-2: 5e9 = 1 x 5e9: all 0.5 to y;
    # the rounding row has no allocation: it stays
    month = "2026-10-01/2026-11-01"
    assert got == {
        ("allocated", "x", "2026-10-01"): (D("1.3333333331"), D("0.4444444444"),
                                           D("0.8888888887")),
        ("allocated", "y", "2026-10-01"): (D("3.6666666668"), D("1.3888888889"),
                                           D("2.2777777779")),
        ("idle", "rounding: sub-quantum request shares", month): (D("1E-10"), None, None)}
    s = res.summary["totals"]
    # before: 26_666_666_666 + 5e9 + 1 quanta; spread 26_666_666_666 + 5e9
    assert s["idle_before_spread"] == D("3.1666666667")
    assert s["idle_spread"] == D("3.1666666666") and s["idle"] == D("1E-10")


def test_engine_pass1_given_no_duplicate_check_no_requests_file(tmp_path):
    import tests.attribution_helpers as h
    from infercost.ingest.backends import connect

    con = connect("duckdb")
    bill = h.make_bill([h.focus_row("3", "i-1")])
    usage = h.make_usage(con, [h.usage_row("a", "i-1", 0.1, 100),
                               h.usage_row("a", "i-1", 0.2, 200)])
    rules = parse_rules({})
    pass1 = engine.resource_hours(con, usage, rules)
    # pass 1: one resource-hour, 2 rows, both accepted, 100_000 + 200_000 µs
    assert pass1[0].to_dict("list") == {"resource_id": ["i-1"],
                                        "hour": [pd.Timestamp("2026-10-01")],
                                        "n": [2], "n_ok": [2], "W": [300_000]}
    res = engine.attribute(bill, usage, rules, con, tmp_path, check_duplicates=False,
                           write_requests=False, pass1=pass1)
    assert list(tmp_path.iterdir()) == []  # no requests.parquet
    assert set(res.timings) == {"pass1_resource_hours_s", "bill_hours_s",
                                "pass4_aggregate_s", "assemble_s", "total_engine_s"}
    assert res.timings["pass1_resource_hours_s"] == pass1[1]
    # the same allocation without the requests file: 1 and 2; the id twice not looked for
    a = res.allocations
    assert list(a["cost"]) == [D(3)] and list(a["requests"]) == [2]
    assert res.summary["rows"]["duplicate_request_ids"] is None  # not checked, not 0
    res = engine.attribute(bill, usage, rules, con, tmp_path)
    assert res.summary["rows"]["duplicate_request_ids"] == 1
    assert (tmp_path / "requests.parquet").exists()


def test_engine_per_token_fleet_row_without_usage_is_spread_evenly_and_idle():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # Bedrock is fleet by the services rule, but no request names it: token_hours finds
    # nothing, its 4 over 2 hours is spread evenly, all idle
    res = attribute_rows([focus_row("4", "bed", start=0, hours=2, PricingUnit="tokens",
                                    ServiceName="Amazon Bedrock"), focus_row("1", "i-1")],
                         [usage_row("a", "i-1", 0.5, 1)],
                         {"fleet": {"services": ["Amazon Bedrock"]}})
    assert res.summary["totals"]["idle"] == 4 and res.summary["totals"]["allocated"] == 1
    idle = res.allocations[res.allocations["kind"] == "idle"]
    assert list(idle["detail"]) == ["bed"] and list(idle["cost"]) == [D(4)]
    assert res.fleet_hours["cost_q"].tolist() == [20_000_000_000, 20_000_000_000,
                                                  10_000_000_000]


def test_no_fleet_totals_are_decimal_zeros():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # the only request names a resource the bill does not have: no fleet at all
    res = attribute_rows([focus_row("2", "vol", service="Storage")],
                         [usage_row("a", "i-9", 0.1, 100)])
    s = res.summary
    for v in (s["fleet"]["cost"], s["totals"]["idle_before_spread"], s["totals"]["idle"]):
        assert v == 0 and isinstance(v, Decimal)  # a Decimal, written "0" in JSON
    assert s["fleet"]["idle_share"] is None and s["totals"]["shared"] == 2
    # no allocated request: no unit cost
    assert s["unit_costs"] == {"requests": 0, "tokens": 0, "cost_per_request": None,
                               "cost_per_1k_requests": None, "cost_per_1m_tokens": None,
                               "bill_per_request": None}


def test_table_counts_are_integers():
    t = _month_with_every_kind_of_row().allocations
    # requests and tokens are counts: int64 columns, ints in every row (a float column
    # would write 10.0 in allocations.csv)
    for c in ("requests", "input_tokens", "output_tokens"):
        assert str(t[c].dtype) == "int64"
        assert all(type(v) is int for v in t[c].tolist())
    assert t["input_tokens"].tolist()[:2] == [10, 0]


def test_table_unit_costs_of_a_row_with_two_requests():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    res = attribute_rows([focus_row("3", "i-1")],
                         [usage_row("a", "i-1", 0.1, 100, tin=10, tout=20),
                          usage_row("b", "i-1", 0.2, 100, tin=5, tout=5)])
    (row,) = res.allocations.to_dict("records")
    # one row: 2 requests, 15 + 25 = 40 tokens, cost 3: 3 x 1000 / 2 = 1500 per 1k
    # requests, 3 x 1e6 / 40 = 75,000 per 1M tokens
    assert (row["requests"], row["input_tokens"], row["output_tokens"]) == (2, 15, 25)
    assert row["cost"] == D(3) and row["cost_per_1k_requests"] == D(1500)
    assert row["cost_per_1m_tokens"] == D(75000)


def test_table_idle_rows_sorted_by_resource_text_with_missing_and_rounding():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("1", "i-1"),  # 1e10 quanta over 3 equal requests
            focus_row("2", "z-1", start=1),  # fleet (a request in hour 5), idle
            focus_row("4", None, ServiceName="GPU Pool")]  # fleet by service, no ResourceId
    use = [usage_row("a", "i-1", 0.1, 100), usage_row("b", "i-1", 0.2, 100),
           usage_row("c", "i-1", 0.3, 100), usage_row("d", "z-1", 5, 100)]
    res = attribute_rows(bill, use, {"fleet": {"services": ["GPU Pool"]}})
    t = res.allocations
    idle = t[t["kind"] == "idle"]
    # each request floor(1e10 / 3) = 3_333_333_333 quanta: 1 quantum of rounding, for the
    # whole period; i-1 itself has no idle (all of its hour handed out); sorted by the
    # ResourceId's text: "None" < "rounding: ..." < "z-1"
    assert list(zip(idle["period"], idle["detail"], idle["cost"], strict=True)) == [
        ("2026-10-01", None, D(4)),
        ("2026-10-01/2026-11-01", "rounding: sub-quantum request shares", D("1E-10")),
        ("2026-10-01", "z-1", D(2))]


def test_table_shared_rows_spread_or_reported_at_zero():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("3", "i-1"), focus_row("2", "vol", service="Storage"),
            focus_row("-2", "vol2", service="Storage"),  # (Storage, usage) sums to 0
            focus_row("1", "bkt", service="Networking")]
    use = [usage_row("a", "i-1", 0.1, 100)]
    # reported: every (category, label), the one at zero too, sorted
    t = attribute_rows(bill, use).allocations
    sh = t[t["kind"] == "shared"]
    assert list(zip(sh["detail"], sh["cost"], strict=True)) == [
        ("Networking / usage", D(1)), ("Storage / usage", D(0))]
    # spread (even, one allocation row): no shared row left, 3 + 0 + 1 in the row
    t = attribute_rows(bill, use, {"shared": "even"}).allocations
    assert list(t["kind"]) == ["allocated"]
    assert list(t["cost"]) == [D(4)] and list(t["shared_cost"]) == [D(1)]


def test_table_unallocated_rows_without_a_day():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    use = [usage_row("a", "i-1", 0.1, 100), dict(usage_row("b", "i-1", 0.2, 100),
                                                  timestamp=None)]
    t = attribute_rows([focus_row("3", "i-1")], use).allocations
    un = t[t["kind"] == "unallocated"].to_dict("records")
    # the request without a timestamp: no day, its reason, 1 request, zero cost
    assert [(pd.isna(r["period"]), r["detail"], r["requests"], r["cost"]) for r in un] == [
        (True, "rejected: no timestamp", 1, D(0))]


def test_table_shared_rows_left_when_spread_by_cost_is_impossible():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # the fleet costs 0, so `shared: cost` has only zero weights: nothing is spread; the
    # zero-sum (Networking, usage) key is skipped, the (Storage, usage) after it is listed
    bill = [focus_row("0", "i-1"), focus_row("1", "bkt", service="Networking"),
            focus_row("-1", "bkt2", service="Networking"),
            focus_row("2", "vol", service="Storage")]
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100)], {"shared": "cost"})
    sh = res.allocations[res.allocations["kind"] == "shared"]
    assert list(zip(sh["detail"], sh["cost"], strict=True)) == [("Storage / usage", D(2))]
    assert res.summary["totals"]["shared"] == 2


def test_table_empty_and_without_allocated_rows():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # a fleet row (by service) costing 0, no usage: no row of any kind, the columns stay
    res = attribute_rows([focus_row("0", "gpu", ServiceName="GPU Pool")], [],
                         {"fleet": {"services": ["GPU Pool"]}})
    assert res.allocations.shape == (0, 17)
    assert list(res.allocations.columns) == steps.OUT_COLUMNS
    # no allocated request: only the shared row and the unallocated one; counts stay int64
    t = attribute_rows([focus_row("2", "vol", service="Storage")],
                       [usage_row("a", "i-9", 0.1, 1)]).allocations
    assert list(t["kind"]) == ["shared", "unallocated"] and list(t["requests"]) == [0, 1]
    assert str(t["requests"].dtype) == "int64" and str(t["input_tokens"].dtype) == "int64"


def test_table_counts_bill_rows_without_a_period_by_nrows(tmp_path):
    import tests.attribution_helpers as h
    from infercost.ingest.backends import connect

    con = connect("duckdb")
    bill = h.make_bill([h.focus_row("3", "i-1"),
                        h.focus_row("4", "i-1", ChargePeriodStart="NULL"),
                        h.focus_row("5", "i-1", ChargePeriodStart="NULL")])
    bill.rows.loc[1, "nrows"] = 2  # a reduced row standing for two bill rows
    usage = h.make_usage(con, [h.usage_row("a", "i-1", 0.1, 1)])
    res = engine.attribute(bill, usage, parse_rules({}), con, tmp_path)
    un = res.allocations[res.allocations["kind"] == "unallocated"]
    # 2 + 1 bill rows without a period, 4 + 5 = 9 unallocated
    assert list(un["detail"]) == ["fleet bill rows without a charge period (3)"]
    assert list(un["cost"]) == [D(9)]


def test_summary_of_a_bill_with_a_row_past_int64_quanta_outside_the_fleet():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # 500,000,000 x 1e10 = 5e18 quanta >= 2**62: only a row outside the fleet may be that
    # large; it is summed as a Decimal (the bill's quanta are read leniently, once)
    bill = [focus_row("3", "i-1"),
            focus_row("500000000", None, category="Tax", service="Other", ServiceName="Tax")]
    s = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100)]).summary
    assert s["totals"]["bill"] == D("500000003") and s["totals"]["shared"] == D(500_000_000)
    assert s["charges"]["tax"] == {"rows": 1, "billed_cost": D(500_000_000),
                                   "effective_cost": D(500_000_000)}
    assert s["by_provider"] == {"AWS": {"billed_cost": D("500000003"),
                                        "effective_cost": D("500000003")}}
    assert s["by_service"][0] == {"service": "Tax", "category": "Other",
                                  "cost": D(500_000_000)}
    assert s["conservation"]["line"] == "3 + 0 + 500000000 + 0 = 500000003 USD"


def test_by_service_tie_by_key_whatever_the_row_order():
    # equal costs: by the (service, category) text, not by the order of the rows
    b = _bside({"service_name": ["Zeta", "Alpha"], "service_category": ["A", "B"]},
               ["2", "2"], [False, False])
    assert [r["service"] for r in steps.by_service(b)] == ["Alpha", "Zeta"]


def test_summary_row_counts_absent_reasons_are_zero():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    s = attribute_rows([focus_row("3", "i-1")], [usage_row("a", "i-1", 0.1, 100)]).summary
    # every request allocated: no reason has a count, each is 0
    r = s["rows"]
    assert (r["usage_outside_period"], r["usage_without_bill_row"], r["usage_zero_weight"],
            r["usage_rejected"], r["usage_rejected_by_reason"]) == (0, 0, 0, 0, {})
    assert r["usage_allocated"] == 1


def test_engine_sub_millisecond_busy_time_and_capacity_needs_duration():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    use = [usage_row("a", "i-1", 0.1, 0.5), usage_row("b", "i-1", 0.2, 1.5),
           usage_row("c", "i-1", 0.3, None)]
    res, req = attribute_rows([focus_row("2", "i-1")], use, {"driver": "capacity"},
                              with_requests=True)
    got = {r.request_id: (r.weight, r.allocation_code) for r in req.itertuples()}
    # 0.5 ms = 500 µs, 1.5 ms = 1500 µs; capacity reads duration_ms: c is rejected (5)
    assert got == {"a": (500, 0), "b": (1500, 0), "c": (0, 5)}
    # 2 = 2e10 quanta over a capacity of 3.6e9 µs: floor(2e10 x 500 / 3.6e9) = 2777 and
    # floor(2e10 x 1500 / 3.6e9) = 8333 quanta, 11_110 in all
    assert res.summary["totals"]["allocated"] == D("0.000001111")


def test_engine_token_weights_one_token_and_missing_counts():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    use = [usage_row("a", "i-1", 0.1, 1, tin=1, tout=0), usage_row("b", "i-1", 0.2, 1,
                                                                  tin=0, tout=1),
           usage_row("c", "i-1", 0.3, 1, tin=None, tout=2),
           usage_row("d", "i-1", 0.4, 1, tin=3, tout=None)]
    res, req = attribute_rows([focus_row("7", "i-1")], use, {"driver": "tokens"},
                              with_requests=True)
    got = {r.request_id: (r.weight, r.cost_q) for r in req.itertuples()}
    # one token weighs 1; a missing count weighs 0: 1, 1, 2, 3 of 7 -> 1, 1, 2, 3
    assert got == {"a": (1, 10_000_000_000), "b": (1, 10_000_000_000),
                   "c": (2, 20_000_000_000), "d": (3, 30_000_000_000)}


def test_engine_timings_name_each_pass_and_lie_within_the_call():
    import tempfile
    import time
    from pathlib import Path

    from infercost.ingest.backends import connect
    from tests.attribution_helpers import focus_row, make_bill, make_usage, usage_row

    con = connect("duckdb")
    bill = make_bill([focus_row("2", "i-1")])
    usage = make_usage(con, [usage_row("a", "i-1", 0.1, 100)])
    rules = parse_rules({})
    passes = ["pass1_resource_hours_s", "pass2_duplicates_s", "bill_hours_s",
              "pass3_requests_s", "pass4_aggregate_s", "assemble_s"]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res = engine.attribute(bill, usage, rules, con, Path(tmp))
        wall = time.perf_counter() - t0
        t = res.timings
        # seconds of each pass, taken one after the other inside the call: each >= 0,
        # together within the engine's total, which is within the call
        assert list(t) == [*passes, "total_engine_s"]
        assert all(v >= 0 for v in t.values())
        assert sum(t[p] for p in passes) <= t["total_engine_s"] <= wall
        # no duplicate check, no requests file: those two passes are not timed; a pass 1
        # given by the caller keeps the caller's seconds (12.5)
        pass1 = engine.resource_hours(con, usage, rules)
        res = engine.attribute(bill, usage, rules, con, Path(tmp), check_duplicates=False,
                               write_requests=False, pass1=(pass1[0], 12.5))
        assert list(res.timings) == ["pass1_resource_hours_s", "bill_hours_s",
                                     "pass4_aggregate_s", "assemble_s", "total_engine_s"]
        assert res.timings["pass1_resource_hours_s"] == 12.5
        assert 0 <= pass1[1] <= time.perf_counter() - t0


def test_engine_pay_per_token_hours_count_accepted_rows_only():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("24", "bed", start=0, hours=1, PricingUnit="1K Tokens",
                      ServiceName="Amazon Bedrock"),
            focus_row("4", "px", start=0, hours=1, ServiceName="LiteLLM")]
    use = [usage_row("a", "bed", 0.1, 1000, tin=150, tout=50),
           usage_row("x", "bed", 0.2, -5, tin=7),  # rejected: a negative duration_ms
           usage_row("c", "px", 0.5, 100),
           usage_row("y", "px", 0.6, -5)]  # rejected
    res, req = attribute_rows(bill, use, {"per_token": ["LiteLLM"]}, with_requests=True)
    got = {r.request_id: (r.weight, r.cost_q, r.allocation_code) for r in req.itertuples()}
    # bed, hour 0: tokens T = 200 (a; x is rejected and its 7 tokens do not count): a
    # gets all 24 USD = 24e10 quanta. px has no tokens: by requests, R = 1 (c; y is
    # rejected): c gets all 4 USD = 4e10 quanta. Nothing idle.
    assert got["a"] == (200, 240_000_000_000, 0) and got["c"] == (1, 40_000_000_000, 0)
    assert got["x"][1:] == (0, 6) and got["y"][1:] == (0, 6)
    assert res.summary["totals"]["allocated"] == D(28) and res.summary["totals"]["idle"] == 0


def test_engine_reason_codes_one_row_each():
    _alloc, attribute_rows, focus_row, usage_row = _attr()

    def u(rid, dur=100.0, res="i-1", **kw):
        return usage_row(rid, res, 0.1, dur, **{"tin": 1, **kw})

    use = [u("ok"), u("prov", provider="openai"),  # a provider and a resource: allocated
           u("ts", timestamp=None), u("hosted", res=None, provider="openai"),
           u("nores", res=None), u("nodur", dur=None), u("inf", dur=float("inf")),
           u("edge", dur=1e9), u("over", dur=1e9 + 1), u("neg", dur=-1.0),
           u("negin", tin=-1, tout=5), u("negout", tin=5, tout=-1)]
    want = {"ok": 0, "prov": 0, "ts": 3, "hosted": 10, "nores": 4, "nodur": 5, "inf": 9,
            "edge": 0, "over": 9, "neg": 6, "negin": 8, "negout": 8}
    _res, req = attribute_rows([focus_row("10", "i-1")], use, {"driver": "duration_ms"},
                               with_requests=True)
    assert dict(zip(req["request_id"], req["allocation_code"], strict=True)) == want
    assert req.set_index("request_id").loc["hosted", "allocation"] == (
        "rejected: hosted API call: billed by its provider")
    # under `tokens` a missing duration_ms is no reason (the row weighs its 1 token)
    _res, req = attribute_rows([focus_row("10", "i-1")], use, {"driver": "tokens"},
                               with_requests=True)
    assert dict(zip(req["request_id"], req["allocation_code"], strict=True)) == (
        want | {"nodur": 0})


def test_engine_currency_from_the_bill_else_the_rules_else_usd():
    import tempfile
    from pathlib import Path

    from infercost.ingest.backends import connect
    from tests.attribution_helpers import focus_row, make_bill, make_usage, usage_row

    con = connect("duckdb")
    usage = make_usage(con, [usage_row("a", "i-1", 0.1, 100)])

    def currency(bill_currency, rules):
        bill = make_bill([focus_row("2", "i-1", currency=bill_currency or "USD")])
        if bill_currency is None:  # a bill that names no currency (the readers refuse
            bill.rows["currency"] = None  # one; the engine falls back all the same)
        with tempfile.TemporaryDirectory() as tmp:
            res = engine.attribute(bill, usage, parse_rules(rules), con, Path(tmp))
        return res.summary["currency"], set(res.allocations["currency"])

    assert currency("EUR", {}) == ("EUR", {"EUR"})  # the bill's own
    assert currency(None, {}) == ("USD", {"USD"})  # none stated anywhere: USD
    assert currency(None, {"currency": "EUR"}) == ("EUR", {"EUR"})  # the rules' currency


def test_handed_out_guard_where_the_float_product_rounds_below_2_63():
    # 89_547_301_328_687_144 x 103 = 2**63 + 24: past int64, while the float estimate of
    # the product rounds below 2**63; the Python-integer path floors it exactly:
    # (2**63 + 24) // 104 = 88_686_269_585_142_075
    c = 89_547_301_328_687_144
    out = engine._handed_out(np.array([c]), np.array([103]), np.array([104]))
    assert out.tolist() == [c * 103 // 104] == [88_686_269_585_142_075]


def test_engine_per_token_period_weighing_one_in_all_goes_to_that_hour():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # 4 USD per token over hours 0-1; 1 token in all (b, hour 1; a in hour 0 has none):
    # by tokens (a total of 1 token is tokens, not the requests fallback), all 4 in hour 1
    # (weights 0 and 1, not spread evenly), all to b; nothing idle
    res, req = attribute_rows([focus_row("4", "bed", start=0, hours=2, PricingUnit="tokens")],
                              [usage_row("a", "bed", 0.5, 10, tin=0),
                               usage_row("b", "bed", 1.5, 10, tin=1)], with_requests=True)
    assert dict(zip(req["request_id"], req["cost_q"], strict=True)) == {
        "a": 0, "b": 40_000_000_000}
    assert res.summary["totals"]["idle"] == 0 and res.summary["totals"]["allocated"] == 4


def test_engine_fleet_hours_sorted_by_resource_then_hour():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("1", "i-2", start=1), focus_row("2", "i-1", start=1),
            focus_row("3", "i-1", start=0)]
    use = [usage_row("a", "i-1", 0.5, 10), usage_row("b", "i-2", 1.5, 10)]
    hq = attribute_rows(bill, use).fleet_hours
    assert list(zip(hq["resource_id"], hq["hour"].dt.hour, hq["cost_q"], strict=True)) == [
        ("i-1", 0, 30_000_000_000), ("i-1", 1, 20_000_000_000), ("i-2", 1, 10_000_000_000)]


def test_allocation_table_index_runs_0_to_n():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    bill = [focus_row("6", "i-1", start=0, hours=2), focus_row("2", "vol", service="Storage")]
    use = [usage_row("a", "i-1", 0.1, 100), usage_row("b", "i-9", 0.2, 100)]
    t = attribute_rows(bill, use).allocations
    # allocated, idle, shared and unallocated rows: one table, index 0..n-1
    assert set(t["kind"]) == {"allocated", "idle", "shared", "unallocated"}
    assert list(t.index) == list(range(len(t)))


def test_table_allocated_row_of_zero_requests_has_no_cost_per_1k_requests():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # a counts row of 0 requests, 0 ms and 10 tokens: under `tokens` it weighs 10 and is
    # allocated all 2 USD; per 1k requests there is no figure (0 requests), per 1M
    # tokens 2 x 1e6 / 10 = 200000
    use = [usage_row("a", "i-1", 0.1, 0, tin=10, requests=0)]
    t = attribute_rows([focus_row("2", "i-1")], use, {"driver": "tokens"}).allocations
    row = t[t["kind"] == "allocated"].iloc[0]
    assert (row["requests"], row["cost"]) == (0, D(2))
    assert row["cost_per_1k_requests"] is None and row["cost_per_1m_tokens"] == D(200000)


def test_engine_two_negative_usage_rows_and_two_hours_below_zero_plural_notes():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # hour 0: 10 - 14 = -4 USD; hour 1: 10 - 12 = -2 USD: two negative Usage rows
    # (-26 USD in all), two resource-hours below zero
    bill = [focus_row("10", "i-1", 0), focus_row("-14", "i-1", 0),
            focus_row("10", "i-1", 1), focus_row("-12", "i-1", 1)]
    use = [usage_row("a", "i-1", 0.1, 1000), usage_row("b", "i-1", 1.1, 1000)]
    res = attribute_rows(bill, use)
    assert [n for n in res.summary["notes"] if "negative" in n] == [
        "2 fleet Usage rows with a negative EffectiveCost (-26 USD in all): netted into their "
        "resource-hours as billed (FOCUS books refunds and credits as Credit or Adjustment "
        "rows)",
        "2 fleet resource-hours net below zero (credits or negative rows exceed the charges): "
        "the amounts allocated and idle there are negative"]
    # a gets hour 0 (-4), b hour 1 (-2)
    assert res.summary["totals"]["allocated"] == D(-6)


def test_engine_resource_hour_of_exactly_2_pow_62_quanta_is_refused():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # two rows of 2**61 quanta (230584300.9213693952) in one hour: 2**62 quanta, the
    # limit itself (each row is below it)
    bill = [focus_row("230584300.9213693952", "i-1"), focus_row("230584300.9213693952", "i-1")]
    with pytest.raises(InputError, match="the engine's limit for one resource-hour"):
        attribute_rows(bill, [usage_row("a", "i-1", 0.1, 1)])


def test_engine_resource_hour_sums_past_int64_are_refused_not_wrapped():
    """Four rows of 2**62 - 1 quanta each in one hour: each is below the limit, and their
    int64 sum wraps (4 x (2**62 - 1) = 2**64 - 4 reads -4): refused all the same."""
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    row = "461168601.8427387903"  # (2**62 - 1) quanta
    with pytest.raises(InputError, match="the engine's limit for one resource-hour"):
        attribute_rows([focus_row(row, "i-1", SkuId=f"s{i}") for i in range(4)],
                       [usage_row("a", "i-1", 0.1, 1)])
    hq = engine._sum_by_hour(np.array(["i-1"], dtype=object), np.zeros(4, np.int64),
                             np.full(4, np.datetime64("2026-10-01T00", "us")),
                             np.full(4, 2**62 - 1, np.int64))
    assert hq["cost_q"].tolist() == [2**62]  # (LIMIT stands for a sum past it)
    hq = engine._sum_by_hour(np.array(["i-1"], dtype=object), np.zeros(2, np.int64),
                             np.full(2, np.datetime64("2026-10-01T00", "us")),
                             np.array([2**62 - 1, -(2**62 - 1) + 5], np.int64))
    assert hq["cost_q"].tolist() == [5]  # exact where nothing can wrap


def test_engine_resource_hour_of_weight_one_is_allocated():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # `requests`: one request in the hour weighs 1 (W = den = 1): it gets all 2 USD
    res, req = attribute_rows([focus_row("2", "i-1")], [usage_row("a", "i-1", 0.1, 100)],
                              {"driver": "requests"}, with_requests=True)
    assert req[["weight", "allocation_code", "cost_q"]].values.tolist() == [
        [1, 0, 20_000_000_000]]
    t = res.summary["totals"]
    assert (t["allocated"], t["idle"], t["bill"]) == (D(2), D(0), D(2))


def test_engine_billing_period_bounds_start_in_end_out():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # the billing period is [2026-10-01, 2026-11-01); i-9 has no bill row: a request at
    # the start is inside (no bill row, 1), one an hour before or at the end is outside (2)
    use = [usage_row("a", "i-1", 0.1, 100), usage_row("start", "i-9", 0, 100),
           usage_row("before", "i-9", -1, 100), usage_row("end", "i-9", 31 * 24, 100)]
    _res, req = attribute_rows([focus_row("2", "i-1")], use, with_requests=True)
    assert dict(zip(req["request_id"], req["allocation_code"], strict=True)) == {
        "a": 0, "start": 1, "before": 2, "end": 2}


def test_engine_bill_without_any_period_has_no_outside():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # no charge and no billing period on the one row: the bill has no period, so no
    # request is outside it; the request has no billed hour: "no bill row" (1)
    bill = [focus_row("2", "i-1", ChargePeriodStart=None, ChargePeriodEnd=None,
                      BillingPeriodStart=None, BillingPeriodEnd=None)]
    res, req = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100)], with_requests=True)
    assert req["allocation_code"].tolist() == [1]
    assert res.summary["totals"]["unallocated"] == D(2)


def test_engine_requests_file_columns_and_a_group_of_missing_tokens():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    use = [usage_row("a", "i-1", 0.1, 100, tenant="x", tin=None, tout=None, status="ok"),
           usage_row("b", "i-1", 0.2, 300, tenant="y", tin=2, tout=3)]
    res, req = attribute_rows([focus_row("4", "i-1")], use, with_requests=True)
    assert list(req.columns) == [
        "timestamp", "request_id", "model", "model_version", "endpoint", "tenant",
        "resource_id", "duration_ms", "input_tokens", "output_tokens", "status", "requests",
        "weight", "allocation_code", "cost_q", "allocation", "cost"]
    a = req.set_index("request_id").loc["a"]
    assert (a["resource_id"], a["duration_ms"], a["status"]) == ("i-1", 100.0, "ok")
    # by duration 100:300 of 4 USD: x 1, y 3; x's tokens are all missing: 0 in the table
    t = res.allocations.set_index("tenant")
    assert (t.loc["x", "cost"], t.loc["x", "input_tokens"], t.loc["x", "output_tokens"]) == (
        D(1), 0, 0)
    assert (t.loc["y", "input_tokens"], t.loc["y", "output_tokens"]) == (2, 3)


def test_engine_zero_cost_fleet_usage_row_is_not_negative():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # a 0 USD Usage row in hour 0 (its hour nets 0) and 2 USD in hour 1: nothing below
    # zero, no note about negative rows or hours
    bill = [focus_row("0", "i-1", 0), focus_row("2", "i-1", 1)]
    res = attribute_rows(bill, [usage_row("a", "i-1", 1.1, 100)])
    assert not [n for n in res.summary["notes"] if "negative" in n or "below zero" in n]
    assert res.summary["totals"]["allocated"] == D(2)


def test_engine_per_token_and_time_billed_resources_side_by_side():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # bed bills per token (4 USD), i-1 by time (2 USD): each its own request, all of it
    bill = [focus_row("4", "bed", PricingUnit="1K Tokens", ServiceName="Amazon Bedrock"),
            focus_row("2", "i-1")]
    use = [usage_row("a", "bed", 0.1, 10, tin=5), usage_row("b", "i-1", 0.2, 100)]
    res, req = attribute_rows(bill, use, with_requests=True)
    assert dict(zip(req["request_id"], req["cost_q"], strict=True)) == {
        "a": 40_000_000_000, "b": 20_000_000_000}
    assert res.summary["totals"]["allocated"] == D(6) and res.summary["totals"]["idle"] == 0


def test_allocation_table_all_allocated_keeps_integer_counts():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # one request uses its hour's 2 USD: one allocated row and nothing else; its counts
    # stay int64 (no empty frame concatenated)
    t = attribute_rows([focus_row("2", "i-1")], [usage_row("a", "i-1", 0.1, 100)]).allocations
    assert list(t["kind"]) == ["allocated"]
    assert [str(t[c].dtype) for c in ("requests", "input_tokens", "output_tokens")] == [
        "int64"] * 3


def test_engine_summary_rows_read_and_backend():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    use = [usage_row("a", "i-1", 0.1, 100), usage_row("b", "i-1", 0.2, 100),
           usage_row("c", "i-9", 0.3, 100)]
    s = attribute_rows([focus_row("2", "i-1")], use).summary
    # three usage rows read (two allocated, one without a bill row), on duckdb
    assert (s["rows"]["usage_read"], s["rows"]["usage_allocated"]) == (3, 2)
    assert s["backend"] == "duckdb"


def test_engine_capacity_driver_leaves_per_token_hours_without_idle():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # under `capacity` a time-billed hour is split over its capacity (1.8e6 of 3.6e6 ms:
    # half of 10 allocated, 5 idle), but a per-token hour over its tokens alone (den = T:
    # all 4 to a, none idle) and its requests-fallback hour over its requests (c: all 2)
    bill = [focus_row("10", "i-1"), focus_row("4", "bed", PricingUnit="1K Tokens",
                                             ServiceName="Amazon Bedrock"),
            focus_row("2", "px", ServiceName="LiteLLM")]
    use = [usage_row("b", "i-1", 0.1, 1_800_000), usage_row("a", "bed", 0.2, 10, tin=7),
           usage_row("c", "px", 0.3, 10)]
    res, req = attribute_rows(bill, use, {"driver": "capacity", "per_token": ["LiteLLM"]},
                              with_requests=True)
    assert dict(zip(req["request_id"], req["cost_q"], strict=True)) == {
        "b": 50_000_000_000, "a": 40_000_000_000, "c": 20_000_000_000}
    assert res.summary["totals"]["idle"] == D(5)


def test_engine_idle_share_edges_one_quantum_negative_and_nothing_idle():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    share = {"idle": "share"}

    def x_row(res):
        t = res.allocations
        r = t[t["kind"] == "allocated"].iloc[0]
        return r["direct_cost"], r["idle_cost"], r["cost"]

    # 2 quanta over hours 0-1 (1 each); x uses hour 0: handed out a = 1 quantum, idle 1
    # quantum: 1 // 1 = 1 per allocated quantum: all of it to x, nothing left idle
    res = attribute_rows([focus_row("0.0000000002", "i-1", start=0, hours=2)],
                         [usage_row("x", "i-1", 0.1, 100)], share)
    assert x_row(res) == (D("1E-10"), D("1E-10"), D("2E-10"))
    assert res.summary["totals"]["idle"] == 0
    # hour 0: 2 USD, used by x (a = 2e10 quanta); hour 1: -3 USD (a negative Usage row),
    # unused: idle -3e10 = -2 x a + 1e10 (floor): x's idle part -2 x 2e10 + 1e10 x 2e10 /
    # 2e10 = -3e10: x costs 2 - 3 = -1, nothing left idle
    res = attribute_rows([focus_row("2", "i-1", 0), focus_row("-3", "i-1", 1)],
                         [usage_row("x", "i-1", 0.1, 100)], share)
    assert x_row(res) == (D(2), D(-3), D(-1))
    assert res.summary["totals"]["idle"] == 0
    # nothing idle to share (x uses the whole hour): no part, the same table as `report`
    res = attribute_rows([focus_row("2", "i-1")], [usage_row("x", "i-1", 0.1, 100)], share)
    assert x_row(res) == (D(2), D(0), D(2))
    assert res.summary["totals"]["idle"] == 0


def test_engine_empty_usage_log_counts_no_duplicates():
    _alloc, attribute_rows, focus_row, _usage_row = _attr()
    # no usage row: nothing read, no duplicate (0 rows - 0 distinct ids), the bill shared
    s = attribute_rows([focus_row("2", "i-1")], []).summary
    assert (s["rows"]["usage_read"], s["rows"]["duplicate_request_ids"]) == (0, 0)
    assert (s["totals"]["allocated"], s["totals"]["shared"]) == (0, D(2))


def test_engine_fleet_row_past_the_limit_is_refused_by_name():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # one fleet row of 500,000,000 USD = 5e18 quanta >= 2**62: refused as a fleet row
    # (before any resource-hour is summed)
    with pytest.raises(InputError) as e:
        attribute_rows([focus_row("500000000", "i-1")], [usage_row("a", "i-1", 0.1, 1)])
    # its ResourceId and charge period named (2**62 quanta = 461,168,601.8427387904 USD)
    assert e.value.message == (
        "ResourceId i-1, ChargePeriodStart 2026-10-01T00:00:00Z: EffectiveCost 500000000 is "
        "not below 461,168,601.8427387904 USD, the engine's limit for one fleet bill row "
        "(2^62 units of 1e-10)")


def test_engine_allocation_past_2_pow_53_quanta_stays_exact():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # 1,000,000.0000000001 USD = 10_000_000_000_000_001 quanta (past 2**53, where a
    # float64 would drop the last quantum), all to the one request: exact to the quantum
    res = attribute_rows([focus_row("1000000.0000000001", "i-1")],
                         [usage_row("a", "i-1", 0.1, 100)])
    assert res.summary["totals"]["allocated"] == D("1000000.0000000001")
    assert list(res.allocations["cost"]) == [D("1000000.0000000001")]


def test_summary_of_a_bill_with_a_row_past_2_pow_63_quanta_outside_the_fleet():
    _alloc, attribute_rows, focus_row, usage_row = _attr()
    # 1,000,000,000 x 1e10 = 1e19 quanta > 2**63 (9.22e18): past int64 itself; read at
    # the limit (the flag sends every sum to Decimals) and summed exactly
    bill = [focus_row("3", "i-1"),
            focus_row("1000000000", None, category="Tax", service="Other", ServiceName="Tax")]
    s = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100)]).summary
    assert s["totals"]["bill"] == D("1000000003") and s["totals"]["shared"] == D(10**9)


def test_slice_names_say_none_for_a_missing_label():
    # a request without tenant or version: its slice was named "tenant=None", as if a
    # tenant were called None; the slice's key keeps None (JSON null)
    from infercost.allocation.breakdowns import attribution_breakdowns

    alloc, attribute_rows, focus_row, usage_row = _attr()
    res = attribute_rows([focus_row("3", "i-1")],
                         [usage_row("a", "i-1", 0.1, 100, tenant=None, version=None),
                          usage_row("b", "i-1", 0.2, 200, tenant="x")])
    bd = attribution_breakdowns(res.allocations, res.summary, "combination")
    names = [s.breakdown.scenario for s in bd.slices]
    assert not any("None" in n for n in names)
    nolabel = [s for s in bd.slices if s.key["tenant"] is None]
    assert len(nolabel) == 1 and "tenant=(none)" in nolabel[0].breakdown.scenario
    assert "model_version=(none)" in nolabel[0].breakdown.scenario


def _but_span(notes: list[str]) -> list[str]:
    """The notes but the one saying the usage covers part of the billing period."""
    return [n for n in notes if not n.startswith("the usage covers")]
