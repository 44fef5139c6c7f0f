"""AWS CUR 2.0 commitment purchases and discounts: per-row EffectiveCost, BilledCost and
labels of Reserved Instance and Savings Plan fees, under each cost basis, read row by row
and reduced in the engine (the two must agree), and the attribution summary's bill.

Figures by hand from AWS's amortised view (its FOCUS 1.0 export): an RI's upfront `Fee`
row costs 0 (the upfront is amortised into the covered usage, `reservation_effective_cost`)
and its `RIFee` row costs the unused part of the period,
`reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee`.
"""

from __future__ import annotations

from decimal import Decimal as D

import pandas as pd
import pytest

from infercost.ingest.backends import connect
from infercost.ingest.bill import read_bill
from infercost.ingest.bill_engine import FleetHint

RI = "arn:aws:ec2:us-east-1:1:reserved-instances/r-1"
SP = "arn:aws:savingsplans::1:savingsplan/sp-1"
UNUSED_UP = "reservation_unused_amortized_upfront_fee_for_billing_period"
UNUSED_REC = "reservation_unused_recurring_fee"
BASE = {"line_item_usage_start_date": "2026-10-01T00:00:00Z",
        "line_item_usage_end_date": "2026-10-01T01:00:00Z",
        "bill_billing_period_start_date": "2026-10-01T00:00:00Z",
        "bill_billing_period_end_date": "2026-11-01T00:00:00Z",
        "line_item_currency_code": "USD", "line_item_product_code": "AmazonEC2",
        "line_item_usage_type": "BoxUsage:p5.48xlarge", "line_item_resource_id": ""}


def _write(tmp_path, rows, name="cur.csv"):
    p = tmp_path / name
    cols = list(dict.fromkeys(k for r in rows for k in r))
    pd.DataFrame(rows, columns=cols).fillna("").to_csv(p, index=False)
    return p


def _ri_rows(fee="30", unused_up="100", unused_rec="3"):
    """A Partial Upfront RI: its upfront purchase (8,760), the period's recurring fee
    `fee` with its unused parts, one covered hour on i-1, and a Fee row of no RI."""
    ri = {**BASE, "reservation_reservation_a_r_n": RI}
    return [
        {**ri, "line_item_line_item_type": "Fee", "line_item_unblended_cost": "8760"},
        {**ri, "line_item_line_item_type": "RIFee", "line_item_unblended_cost": fee,
         UNUSED_UP: unused_up, UNUSED_REC: unused_rec},
        {**ri, "line_item_line_item_type": "DiscountedUsage", "line_item_resource_id": "i-1",
         "line_item_unblended_cost": "0", "reservation_effective_cost": "1"},
        {**BASE, "line_item_line_item_type": "Fee", "line_item_unblended_cost": "8",
         "line_item_product_code": "AWSSupportBusiness"},
    ]


def _both(p, cost_basis="EffectiveCost", reduced=True):
    """The bill read row by row and in the engine (checked reduced when `reduced`)."""
    a = read_bill(p, cost_basis=cost_basis)
    b = read_bill(p, cost_basis=cost_basis, con=connect("duckdb"),
                  hint=FleetHint(frozenset({"i-1"})))
    if reduced:
        assert b.reduced == [str(p)]
    return a, b


def _nn(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and v != v) or v == "" else v


def _per_row(bill):
    """(label, ChargeCategory, CommitmentDiscountStatus, CommitmentDiscountId, BilledCost,
    EffectiveCost) of each bill row, in a fixed order."""
    r = bill.rows
    out = []
    for _, x in r.iterrows():
        out.append((x["label"], x["charge_category"], _nn(x["commitment_status"]),
                    _nn(x["commitment_id"]), x["billed_cost"], x["effective_cost"]))
    return sorted(out, key=lambda t: (t[0], str(t[4])))


def test_ri_fees_effective_cost_is_amortised(tmp_path):
    """Upfront Fee with a reservation ARN: EffectiveCost 0; RIFee: 100 + 3 unused."""
    p = _write(tmp_path, _ri_rows())
    for bill in _both(p):
        assert _per_row(bill) == sorted([
            ("commitment_purchase", "Purchase", None, RI, D(8760), D(0)),
            ("commitment_unused", "Purchase", "Unused", RI, D(30), D(103)),
            ("commitment_used", "Usage", "Used", RI, D(0), D(1)),
            ("purchase", "Purchase", None, None, D(8), D(8)),
        ], key=lambda t: (t[0], str(t[4])))
        assert bill.notes == []
        # billed 8,760 + 30 + 0 + 8; effective 0 + 103 + 1 + 8
        assert bill.totals("BilledCost", "provider") == {"AWS": D(8798)}
        assert bill.totals("EffectiveCost", "provider") == {"AWS": D(112)}


def test_ri_fees_under_billed_cost(tmp_path):
    """Cash view: the RIFee is the recurring fee paid, a commitment purchase (no
    CommitmentDiscountStatus), as SavingsPlanRecurringFee is under BilledCost."""
    p = _write(tmp_path, _ri_rows())
    for bill in _both(p, "BilledCost"):
        assert _per_row(bill) == sorted([
            ("commitment_purchase", "Purchase", None, RI, D(8760), D(0)),
            ("commitment_purchase", "Purchase", None, RI, D(30), D(103)),
            ("commitment_used", "Usage", "Used", RI, D(0), D(1)),
            ("purchase", "Purchase", None, None, D(8), D(8)),
        ], key=lambda t: (t[0], str(t[4])))
        assert bill.notes == []


def test_fee_with_empty_reservation_arn_is_a_plain_purchase(tmp_path):
    rows = [{**BASE, "line_item_line_item_type": "Fee", "line_item_unblended_cost": "5",
             "reservation_reservation_a_r_n": ""}]
    for bill in _both(_write(tmp_path, rows), reduced=False):
        r = bill.rows
        assert r["label"].tolist() == ["purchase"]
        assert r["effective_cost"].tolist() == [D(5)]


@pytest.mark.parametrize(("drop", "blank", "why"), [
    ((UNUSED_UP, UNUSED_REC), (), f"no {UNUSED_UP} column and no {UNUSED_REC} column"),
    ((UNUSED_REC,), (), f"no {UNUSED_REC} column"),
    ((), (UNUSED_UP,), f"an empty {UNUSED_UP}"),
])
@pytest.mark.parametrize("basis", ["EffectiveCost", "BilledCost"])
def test_rifee_without_its_unused_cells_is_noted(tmp_path, drop, blank, why, basis):
    """No guess in silence: the unused part not in the file counts as 0 (the part that
    is there still counts), and a note says so, under either cost basis."""
    rows = _ri_rows()
    for r in rows:
        for c in drop:
            r.pop(c, None)
        for c in blank:
            if c in r:
                r[c] = ""
    p = _write(tmp_path, rows)
    known = sum((D(v) for c, v in (("u", "100"), ("r", "3"))
                 if (UNUSED_UP if c == "u" else UNUSED_REC) not in (*drop, *blank)), D(0))
    for bill in _both(p, basis, reduced=False):
        fee = bill.rows[bill.rows["billed_cost"] == D(30)]
        assert fee["effective_cost"].tolist() == [known]
        assert bill.notes == [
            f"{p}: 1 RIFee row has {why}: its EffectiveCost, the reservation's unused "
            "part in the billing period, counts what is missing as 0 (as if the "
            "reservation were fully used), so EffectiveCost figures read low by any "
            "unused part left out"]


def test_savings_plan_upfront_fee_is_amortised(tmp_path):
    """SavingsPlanUpfrontFee: EffectiveCost 0 (amortised into the covered usage through
    savings_plan_savings_plan_effective_cost), a commitment purchase under either basis."""
    sp = {**BASE, "savings_plan_savings_plan_a_r_n": SP}
    rows = [{**sp, "line_item_line_item_type": "SavingsPlanUpfrontFee",
             "line_item_unblended_cost": "5000"},
            {**sp, "line_item_line_item_type": "SavingsPlanCoveredUsage",
             "line_item_resource_id": "i-1", "line_item_unblended_cost": "98.32",
             "savings_plan_savings_plan_effective_cost": "0.57"}]
    p = _write(tmp_path, rows)
    for basis in ("EffectiveCost", "BilledCost"):
        for bill in _both(p, basis):
            assert _per_row(bill) == [
                ("commitment_purchase", "Purchase", None, SP, D(5000), D(0)),
                ("commitment_used", "Usage", "Used", SP, D("98.32"), D("0.57"))]


def test_commitment_id_of_ri_rows_beside_savings_plan_column(tmp_path):
    """CUR 2.0 carries both ARN columns: an RI row's id is its reservation ARN even
    where the Savings Plan column is there (empty on that row)."""
    rows = [{**r, "savings_plan_savings_plan_a_r_n": ""} for r in _ri_rows()]
    rows.append({**BASE, "line_item_line_item_type": "SavingsPlanUpfrontFee",
                 "line_item_unblended_cost": "5000", "savings_plan_savings_plan_a_r_n": SP})
    p = _write(tmp_path, rows)
    for bill in _both(p):
        r = bill.rows.sort_values("billed_cost", key=lambda s: s.map(float))
        # billed 0 (covered hour), 8 (support fee), 30 (RIFee), 5,000 (SP), 8,760 (RI)
        assert [_nn(x) for x in r["commitment_id"]] == [RI, None, RI, SP, RI]


@pytest.mark.parametrize("kind", ["SppDiscount", "DistributorDiscount", "RiVolumeDiscount",
                                  "EdpDiscount", "BundledDiscount", "PrivateRateDiscount",
                                  "Discount"])
def test_cur_discount_line_item_types_are_discounts(tmp_path, kind):
    rows = [{**BASE, "line_item_line_item_type": kind, "line_item_unblended_cost": "-4",
             "line_item_net_unblended_cost": "-4"},
            {**BASE, "line_item_line_item_type": "Usage", "line_item_resource_id": "i-1",
             "line_item_unblended_cost": "40"}]
    p = _write(tmp_path, rows)
    for bill in _both(p):
        d = bill.rows[bill.rows["label"] != "usage"]
        assert d["label"].tolist() == ["discount"]
        assert d["charge_category"].tolist() == ["Credit"]
        assert d["effective_cost"].tolist() == [D(-4)] == d["billed_cost"].tolist()
        assert bill.notes == []  # a known type: no "does not know" note


def test_ri_purchase_in_the_attribution_summary(tmp_path):
    """All Upfront RI (no recurring fee): the amortised bill is the unused 100 plus the
    covered hour's 1, not the 8,760 paid; the cash view is the 8,760."""
    import infercost

    ri = {**BASE, "reservation_reservation_a_r_n": RI}
    rows = [{**ri, "line_item_line_item_type": "Fee", "line_item_unblended_cost": "8760"},
            {**ri, "line_item_line_item_type": "RIFee", "line_item_unblended_cost": "0",
             UNUSED_UP: "100", UNUSED_REC: "0"},
            {**ri, "line_item_line_item_type": "DiscountedUsage",
             "line_item_resource_id": "i-1", "line_item_unblended_cost": "0",
             "reservation_effective_cost": "1"}]
    p = _write(tmp_path, rows)
    e = infercost.attribute(p).summary
    assert e["totals"]["bill"] == D(101)
    assert e["charges"]["commitment_purchase"]["effective_cost"] == D(0)
    assert e["charges"]["commitment_unused"]["effective_cost"] == D(100)
    assert "purchase" not in e["charges"]
    b = infercost.attribute(p, cost_basis="BilledCost").summary
    assert b["totals"]["bill"] == D(8760)
    assert b["charges"]["commitment_purchase"]["billed_cost"] == D(8760)
    assert "commitment_unused" not in b["charges"]


@pytest.mark.parametrize(("cells", "why"), [
    ({"savings_plan_total_commitment_to_date": "100"},
     "no savings_plan_used_commitment column"),
    ({"savings_plan_used_commitment": "70"}, "no savings_plan_total_commitment_to_date column"),
])
def test_savings_plan_fee_without_its_commitment_cells_is_noted(tmp_path, cells, why):
    """A SavingsPlanRecurringFee's EffectiveCost is total - used; without the used cell it
    read the whole commitment (100) as unused, without the total -70: now 0 (as if fully
    used), with a note, as for RIFee."""
    p = _write(tmp_path, [{**BASE, "savings_plan_savings_plan_a_r_n": SP,
                           "line_item_line_item_type": "SavingsPlanRecurringFee",
                           "line_item_unblended_cost": "100", **cells}])
    for bill in _both(p, reduced=False):
        assert bill.rows["effective_cost"].tolist() == [D(0)]
        assert bill.rows["billed_cost"].tolist() == [D(100)]
        assert bill.notes == [
            f"{p}: 1 SavingsPlanRecurringFee row has {why}: its EffectiveCost, the Savings "
            "Plan's unused part in the billing period, counts what is missing as 0 (as if "
            "the Savings Plan were fully used), so EffectiveCost figures read low by any "
            "unused part left out"]


def _sp_fee(total="50", used="60", fee="50", arn=SP):
    return {**BASE, "savings_plan_savings_plan_a_r_n": arn,
            "line_item_line_item_type": "SavingsPlanRecurringFee",
            "line_item_unblended_cost": fee, "savings_plan_total_commitment_to_date": total,
            "savings_plan_used_commitment": used}


def test_savings_plan_fee_used_above_total_is_refused_under_effective_cost(tmp_path):
    """Used 60 of a 50 commitment: the unused part would be -10 (it read -10 in silence)."""
    from infercost.errors import InputError

    p = _write(tmp_path, [_sp_fee("100", "20", arn=SP + "2"), _sp_fee()])
    for con in (None, connect("duckdb")):
        with pytest.raises(InputError) as e:
            read_bill(p, con=con, hint=FleetHint(frozenset({"i-1"})) if con else None)
        assert e.value.where == f"{p}: row 2"
        assert e.value.message == (
            "a SavingsPlanRecurringFee row with savings_plan_used_commitment 60 above "
            "savings_plan_total_commitment_to_date 50: the unused part cannot be below 0 "
            "(the row's EffectiveCost); under --cost-basis BilledCost the file reads, with "
            "a note")


def test_savings_plan_fee_used_above_total_is_noted_under_billed_cost(tmp_path):
    p = _write(tmp_path, [_sp_fee()])
    for bill in _both(p, "BilledCost", reduced=False):
        assert bill.rows["effective_cost"].tolist() == [D(0)]
        assert bill.rows["billed_cost"].tolist() == [D(50)]
        assert bill.notes == [
            f"{p}: 1 SavingsPlanRecurringFee row has savings_plan_used_commitment above "
            "savings_plan_total_commitment_to_date (first: row 1, 60 above 50): the unused "
            "part cannot be below 0, so its EffectiveCost counts it as 0; the run's "
            "BilledCost figures are exact"]


def test_rifee_negative_unused_is_refused_under_effective_cost(tmp_path):
    from infercost.errors import InputError

    p = _write(tmp_path, _ri_rows(unused_up="-7.2"))
    for con in (None, connect("duckdb")):
        with pytest.raises(InputError) as e:
            read_bill(p, con=con, hint=FleetHint(frozenset({"i-1"})) if con else None)
        assert e.value.where == f"{p}: row 2"
        assert e.value.message == (
            f"a RIFee row with {UNUSED_UP} -7.2: the unused part cannot be below 0 (the "
            "row's EffectiveCost); under --cost-basis BilledCost the file reads, with a note")


def test_rifee_negative_unused_is_noted_under_billed_cost(tmp_path):
    """The negative part counts as 0, the other (3) still counts."""
    p = _write(tmp_path, _ri_rows(unused_up="-7.2"))
    for bill in _both(p, "BilledCost", reduced=False):
        fee = bill.rows[bill.rows["billed_cost"] == D(30)]
        assert fee["effective_cost"].tolist() == [D(3)]
        assert bill.notes == [
            f"{p}: 1 RIFee row has {UNUSED_UP} below 0 (first: row 2, -7.2): the unused "
            "part cannot be below 0, so its EffectiveCost counts it as 0; the run's "
            "BilledCost figures are exact"]


NET = "line_item_net_unblended_cost"
RI_NET_UP = "reservation_net_unused_amortized_upfront_fee_for_billing_period"
RI_NET_REC = "reservation_net_unused_recurring_fee"


def _net_rows():
    """An EDP discount of 10% on everything: usage, covered usage and unused fees."""
    ri = {**BASE, "reservation_reservation_a_r_n": RI}
    sp = {**BASE, "savings_plan_savings_plan_a_r_n": SP}
    return [
        {**BASE, "line_item_line_item_type": "Usage", "line_item_resource_id": "i-1",
         "line_item_unblended_cost": "10", NET: "9"},
        {**ri, "line_item_line_item_type": "DiscountedUsage", "line_item_resource_id": "i-1",
         "line_item_unblended_cost": "0", NET: "0", "reservation_effective_cost": "2",
         "reservation_net_effective_cost": "1.8"},
        {**ri, "line_item_line_item_type": "RIFee", "line_item_unblended_cost": "30",
         NET: "27", UNUSED_UP: "100", UNUSED_REC: "3", RI_NET_UP: "90", RI_NET_REC: "2.7"},
        {**sp, "line_item_line_item_type": "SavingsPlanCoveredUsage",
         "line_item_resource_id": "i-1", "line_item_unblended_cost": "5", NET: "5",
         "savings_plan_savings_plan_effective_cost": "4",
         "savings_plan_net_savings_plan_effective_cost": "3.6"},
    ]


def test_net_view_reads_net_commitment_columns(tmp_path):
    """With line_item_net_unblended_cost the EDP discount is in every part: covered usage
    reads reservation_net_effective_cost / savings_plan_net_savings_plan_effective_cost,
    the RIFee's unused part its two net columns (it read 2, 103 and 4, gross)."""
    p = _write(tmp_path, _net_rows())
    for bill in _both(p):
        eff = dict(zip(bill.rows["billed_cost"].map(str) + bill.rows["label"],
                       bill.rows["effective_cost"], strict=True))
        assert eff == {"10usage": D(9), "0commitment_used": D("1.8"),
                       "30commitment_unused": D("92.7"), "5commitment_used": D("3.6")}
        assert bill.notes == []


def test_net_view_net_cell_empty_reads_gross(tmp_path):
    """An empty net cell: the gross figure, row by row, as for usage."""
    rows = _net_rows()
    rows[1]["reservation_net_effective_cost"] = ""
    rows[2][RI_NET_REC] = ""
    p = _write(tmp_path, rows)
    for bill in _both(p, reduced=False):
        eff = sorted(bill.rows["effective_cost"])
        assert eff == sorted([D(9), D(2), D(93), D("3.6")])
        assert bill.notes == []


def test_net_view_part_without_net_column_is_noted(tmp_path):
    rows = _net_rows()
    for r in rows:
        r.pop("savings_plan_net_savings_plan_effective_cost", None)
        r.pop(RI_NET_REC, None)
    rows.append(_sp_fee("50", "20"))
    p = _write(tmp_path, rows)
    for bill in _both(p, reduced=False):
        assert sorted(bill.rows["effective_cost"]) == sorted(
            [D(9), D("1.8"), D(93), D(4), D(30)])
        assert bill.notes == [
            f"{p}: the bill has net figures (line_item_net_unblended_cost) but no net "
            "column for some parts of EffectiveCost, read gross (before discounts such as "
            "an EDP): SavingsPlanCoveredUsage (no "
            "savings_plan_net_savings_plan_effective_cost column), RIFee "
            f"(no {RI_NET_REC} column), SavingsPlanRecurringFee (the unused "
            "commitment: CUR 2.0 has no net savings_plan_total_commitment_to_date or "
            "savings_plan_used_commitment); EffectiveCost figures read high by any "
            "discount on those parts"]


def test_an_all_empty_net_column_is_the_gross_view_without_a_note(tmp_path):
    """A line_item_net_unblended_cost column whose every cell is empty holds no net
    figure: the note said "the bill has net figures ... read high" all the same."""
    rows = _net_rows()
    for r in rows:
        r[NET] = ""
        for c in ("reservation_net_effective_cost",
                  "savings_plan_net_savings_plan_effective_cost", RI_NET_UP, RI_NET_REC):
            r.pop(c, None)
    rows.append(_sp_fee("50", "20"))
    p = _write(tmp_path, rows)
    for bill in _both(p, reduced=False):
        assert sorted(bill.rows["effective_cost"]) == sorted(
            [D(10), D(2), D(103), D(4), D(30)])
        assert bill.notes == []


def test_gross_view_ignores_net_commitment_columns(tmp_path):
    """No line_item_net_unblended_cost: the gross view throughout, as before."""
    rows = _net_rows()
    for r in rows:
        r.pop(NET)
    p = _write(tmp_path, rows)
    for bill in _both(p):
        assert sorted(bill.rows["effective_cost"]) == sorted([D(10), D(2), D(103), D(4)])
        assert bill.notes == []


@pytest.mark.parametrize("usage_type", ["HeavyUsage:p5.48xlarge", "USW2-HeavyUsage:m5.large"])
def test_ri_upfront_fee_without_arn_column_by_usage_type(tmp_path, usage_type):
    """No reservation_reservation_a_r_n column: the RI's upfront Fee row (usage type
    HeavyUsage) is still a commitment purchase of EffectiveCost 0 (it counted 720 twice:
    reservation_effective_cost holds its amortisation)."""
    rows = [{**BASE, "line_item_line_item_type": "Fee", "line_item_unblended_cost": "720",
             "line_item_usage_type": usage_type},
            {**BASE, "line_item_line_item_type": "DiscountedUsage",
             "line_item_resource_id": "i-1", "line_item_unblended_cost": "0",
             "reservation_effective_cost": "1"},
            {**BASE, "line_item_line_item_type": "Fee", "line_item_unblended_cost": "8",
             "line_item_usage_type": "Dollar"}]
    p = _write(tmp_path, rows)
    for bill in _both(p):
        assert _per_row(bill) == sorted([
            ("commitment_purchase", "Purchase", None, None, D(720), D(0)),
            ("commitment_used", "Usage", "Used", None, D(0), D(1)),
            ("purchase", "Purchase", None, None, D(8), D(8)),
        ], key=lambda t: (t[0], str(t[4])))
        assert bill.totals("EffectiveCost", "provider") == {"AWS": D(9)}


def test_savings_plan_fee_used_above_total_hidden_in_an_engine_sum(tmp_path):
    from infercost.errors import InputError

    p = _write(tmp_path, [_sp_fee("100", "20"), _sp_fee()])
    with pytest.raises(InputError):
        read_bill(p, con=connect("duckdb"), hint=FleetHint(frozenset({"i-1"})))


def test_rifee_negative_net_unused_is_refused_by_the_engine_too(tmp_path):
    """In the net view each RIFee part is read net where given. The engine tested the
    gross cells only, so a net cell of -7.2 summed with another fee row's 20 (gross 100
    both) read 12.8 in silence, where the row-by-row reader refuses the row."""
    from infercost.errors import InputError

    rows = _ri_rows()
    fee = rows[1]
    rows = [{**r, NET: r["line_item_unblended_cost"]} for r in rows]
    rows[1] = {**fee, NET: "30", RI_NET_UP: "-7.2"}
    rows.insert(2, {**fee, NET: "30", RI_NET_UP: "20"})
    p = _write(tmp_path, rows)
    for con in (None, connect("duckdb")):
        with pytest.raises(InputError) as e:
            read_bill(p, con=con, hint=FleetHint(frozenset({"i-1"})) if con else None)
        assert e.value.where == f"{p}: row 2" and RI_NET_UP in e.value.message
