"""Loose ends of `attribute`'s outputs and of the Python API: notes for bill rows whose
charge period cannot place them, roll-up keys and money, the result's unit costs, the CUR
refusal's way out."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from tests.attribution_helpers import attribute_rows, focus_row, usage_row

D = Decimal
PERIOD_HEAD = "period_start,period_s,resource_id,endpoint,model,model_version,tenant,requests"


def _unallocated(res) -> list[list]:
    t = res.allocations
    un = t[(t["kind"] == "unallocated") & (t["model"] == "__unallocated__")
           & (t["cost"] != 0)]
    return un[["detail", "cost"]].values.tolist()


# ------------------------------------------------------------------ charge periods


def test_fleet_rows_without_a_usable_charge_period_are_named_in_a_note():
    """`unallocated 2.82` was printed with no note naming the bill rows behind it."""
    bill = [focus_row("2.5", "i-1"),
            focus_row("0.25", "i-2", start=3, ChargePeriodStart="NULL"),
            focus_row("0.7", "i-1", start=3, hours=-1),  # ends an hour before it starts
            focus_row("0.05", "i-1", start=4, hours=0)]  # ends as it starts
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100), usage_row("b", "i-2", 0.2, 100)])
    s = res.summary
    assert s["totals"]["unallocated"] == D("1.00")
    assert s["conservation"]["holds"]
    assert ("3 fleet bill rows have no usable charge period (1 missing, 1 ending before "
            "it starts, 1 of zero length): their 1 USD is unallocated (first: ResourceId "
            "i-2)") in s["notes"]


def test_one_fleet_row_ending_before_it_starts_gets_a_singular_note():
    bill = [focus_row("2.5", "i-1"), focus_row("1.408", "i-1", start=3, hours=-1)]
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100)])
    notes = [n for n in res.summary["notes"] if "charge period" in n]
    assert notes == ["1 fleet bill row has no usable charge period (ending before it "
                     "starts): its 1.408 USD is unallocated (ResourceId i-1)"]


def test_a_fleet_row_of_zero_length_is_labelled_so_apart_from_the_others():
    """A row whose ChargePeriodEnd equals its ChargePeriodStart was labelled "without a
    charge period": it has one, of zero length."""
    bill = [focus_row("2.5", "i-1"),
            focus_row("0.25", "i-1", start=3, ChargePeriodStart="NULL"),
            focus_row("0.7", "i-1", start=3, hours=-1),
            focus_row("0.05", "i-1", start=4, hours=0),
            focus_row("0.0000000001", "i-1", start=5, hours=0)]
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.1, 100)])
    assert sorted(_unallocated(res)) == [
        ["fleet bill rows with a charge period of zero length (2)", D("0.0500000001")],
        ["fleet bill rows with a charge period that ends before it starts (1)", D("0.7")],
        ["fleet bill rows without a charge period (1)", D("0.25")]]
    # the rows add up to the unallocated total exactly
    assert sum(c for _, c in _unallocated(res)) == res.summary["totals"]["unallocated"]
    assert res.summary["conservation"]["holds"]


def test_a_shared_row_ending_before_it_starts_is_noted():
    """A tax row whose ChargePeriodEnd is a month before its start was shared without a
    word: right, but the bill is malformed there."""
    tax = focus_row("63.3", None, category="Tax", service="Other", ServiceName="Tax",
                    hours=-24 * 30)
    res = attribute_rows([focus_row("2.5", "i-1"), tax], [usage_row("a", "i-1", 0.1, 100)])
    s = res.summary
    assert s["totals"]["shared"] == D("63.3") and s["totals"]["unallocated"] == 0
    notes = [n for n in s["notes"] if "ends before it starts" in n]
    assert notes == ["1 bill row outside the fleet has a charge period that ends before it "
                     "starts (ServiceName Tax, ChargePeriodStart 2026-10-01T00:00:00Z, "
                     "ChargePeriodEnd 2026-09-01T00:00:00Z): its 63.3 USD is shared as "
                     "billed, but the bill is malformed there"]


def test_a_shared_row_ending_before_it_starts_is_noted_in_a_bill_read_by_the_engine(tmp_path):
    """A bill read through the engine's reduction (as `attribute` reads a CSV) summed the
    rows outside the fleet without their charge periods: the row kept its period now."""
    import infercost

    bill = tmp_path / "bill.csv"
    tax = focus_row("0.5", None, category="Tax", service="Other", ServiceName="Tax",
                    hours=-24)
    pd.DataFrame([focus_row("2.5", "i-1"), focus_row("1.5", "vol", service="Storage"),
                  tax, tax]).to_csv(bill, index=False)
    counts = tmp_path / "counts.csv"
    counts.write_text(f"{PERIOD_HEAD}\n2026-10-01T00:00:00Z,3600,i-1,/e,m,1,acme,70\n")
    s = infercost.attribute(bill, counts=counts).summary
    assert s["totals"]["shared"] == D("2.5") and s["conservation"]["holds"]
    assert [n for n in s["notes"] if "ends before it starts" in n] == [
        "2 bill rows outside the fleet have a charge period that ends before it starts "
        "(first: ServiceName Tax, ChargePeriodStart 2026-10-01T00:00:00Z, ChargePeriodEnd "
        "2026-09-30T00:00:00Z): their 1 USD is shared as billed, but the bill is malformed "
        "there"]


def test_a_bill_whose_periods_are_all_usable_gets_no_period_note():
    res = attribute_rows([focus_row("2.5", "i-1"), focus_row("1", None, service="Storage")],
                         [usage_row("a", "i-1", 0.1, 100)])
    assert not [n for n in res.summary["notes"] if "charge period" in n]


# ------------------------------------------------------------------ the Python API


def _api_month(tmp_path):
    import infercost

    bill = tmp_path / "bill.csv"
    pd.DataFrame([focus_row("1.2345678905", "i-1"), focus_row("2.5000000005", "i-1", start=1),
                  focus_row("0.5", None, category="Tax", service="Other")]).to_csv(
        bill, index=False)
    counts = tmp_path / "counts.csv"
    counts.write_text(f"{PERIOD_HEAD}\n"
                      "2026-10-01T00:00:00Z,3600,i-1,/e,m,1,acme,70\n"
                      "2026-10-01T01:00:00Z,3600,i-1,/e,m,1,,30\n")
    return infercost.attribute(bill, counts=counts)


def test_rollup_keys_a_missing_label_as_none_first(tmp_path):
    """`r.rollup("tenant")` keyed a missing tenant {'tenant': 'nan'}."""
    rows = _api_month(tmp_path).rollup("tenant")
    assert [r.key for r in rows] == [{"tenant": None}, {"tenant": "acme"}, {"tenant": ""}]
    assert [r.requests for r in rows] == [30, 70, 0]
    assert rows[-1].is_unattributed and not rows[0].is_unattributed
    assert rows[0].to_dict()["tenant"] is None


def test_rollup_money_is_the_exact_normalized_decimal(tmp_path):
    """Sums carried trailing zeros (12.3242864540) where allocations.csv has 12.324286454."""
    rows = _api_month(tmp_path).rollup("model")
    total = sum(r.total for r in rows)
    assert total == D("4.234567891")
    for r in rows:
        for v in (r.allocated, r.idle, r.shared, r.unallocated, r.total):
            text = str(v)
            assert "E" not in text and not ("." in text and text.endswith("0")), text
    assert [str(r.total) for r in rows] == ["3.734567891", "0.5"]


def test_rollup_sums_are_normalized_without_exponents():
    from infercost.allocation.rollup import rollup

    frame = pd.DataFrame({
        "period": ["2026-10-01", "2026-10-01", "2026-10-01"],
        "model": ["m", "m", "__idle__"], "model_version": ["1", "1", None],
        "endpoint": ["/e", "/e", None], "tenant": [float("nan"), None, None],
        "requests": [1, 2, 0],
        "cost": [D("0.1234567895"), D("0.0000000005"), D("999.9999999999")],
        "kind": ["allocated", "allocated", "idle"]})
    rows = rollup(frame, ("model", "tenant"))
    assert [r.key for r in rows] == [{"model": "m", "tenant": None}, {"model": "", "tenant": ""}]
    assert str(rows[0].allocated) == "0.12345679" and rows[0].requests == 3
    frame.loc[2, "cost"] = D("0.0000000001")
    frame.loc[0, "cost"] = D("999.9999999995")  # 999.9999999995 + 5e-10 = 1000
    rows = rollup(frame, ("model",))
    assert str(rows[0].allocated) == "1000" and str(rows[0].to_dict()["total"]) == "1000"


def test_attribution_repr_gives_unit_costs_to_four_significant_digits(tmp_path):
    """The repr printed "per 1k requests 0.01 USD" where the CLI prints 0.007788."""
    from infercost.api import _attribution_text

    s = {"billing_period": {"start": "2026-10-01", "end": "2026-11-01"},
         "cost_basis": "EffectiveCost", "driver": "capacity", "currency": "USD",
         "totals": {"bill": "1118.272", "allocated": "12.3242864540", "idle": "1038.03",
                    "shared": "67.92", "unallocated": "0"},
         "conservation": {"holds": True},
         "unit_costs": {"cost_per_1k_requests": "0.0077877789", "cost_per_request": None},
         "rows": {"usage_allocated": 1582522, "usage_rejected": 0}}
    text = _attribution_text(s)
    assert "per 1k requests 0.007788 USD" in text
    s["unit_costs"]["cost_per_1k_requests"] = "1234.5678"
    assert "per 1k requests 1,234.57 USD" in _attribution_text(s)  # at least cents
    s["unit_costs"]["cost_per_1k_requests"] = None
    assert "per 1k requests n/a USD" in _attribution_text(s)
    r = _api_month(tmp_path)
    per_1k = r.summary["unit_costs"]["cost_per_1k_requests"]
    assert per_1k == D("37.34567891")
    assert "per 1k requests 37.35 USD" in repr(r)


# ------------------------------------------------------------------ CUR


CUR_HEAD = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "line_item_usage_start_date,line_item_usage_end_date,line_item_resource_id")
T0, T1 = "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"


@pytest.mark.parametrize("kind,column", [
    ("SavingsPlanCoveredUsage", "savings_plan_savings_plan_effective_cost"),
    ("DiscountedUsage", "reservation_effective_cost")])
def test_cur_refusal_names_the_way_out(tmp_path, kind, column):
    from infercost.errors import InputError
    from infercost.ingest.bill import read_bill

    p = tmp_path / "cur.csv"
    p.write_text(f"{CUR_HEAD}\nUsage,1.5,USD,{T0},{T1},i-1\n{kind},2.0,USD,{T0},{T1},i-1\n")
    with pytest.raises(InputError) as e:
        read_bill(p)
    assert (e.value.where, e.value.message) == (
        f"{p}: row 2", f"a {kind} row and no {column} column (expected its amortised cost "
        "there, the row's EffectiveCost: without it the row would cost 0); under "
        "--cost-basis BilledCost the file reads, with a note")
    assert "\n" not in str(e.value)
