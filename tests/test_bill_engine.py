"""The bill read and reduced in the engine gives the figures of the row-by-row reader.

`read_bill(..., con=, hint=)` reduces each FOCUS CSV/Parquet file in the engine
(`ingest.bill_engine`); without them every row goes through pandas. The two must agree
to the last digit on every total, row count, period and fleet row, and any file the
engine cannot take exactly must fall back to the row-by-row reader (same figures, same
notes, same errors naming the row).
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.allocation.run import public_summary, run_attribution
from infercost.errors import InputError
from infercost.ingest import bill as bill_mod
from infercost.ingest.backends import connect
from infercost.ingest.bill import read_bill
from infercost.ingest.bill_engine import FleetHint, reduce_bill
from tests.attribution_helpers import focus_row, hour

COLUMNS = ["BilledCost", "EffectiveCost", "BillingCurrency", "ChargeCategory", "ChargeClass",
           "ChargeFrequency", "ChargeDescription", "ChargePeriodStart", "ChargePeriodEnd",
           "BillingPeriodStart", "BillingPeriodEnd", "ResourceId", "ResourceName",
           "ServiceCategory", "ServiceName", "SkuId", "ProviderName", "Tags",
           "CommitmentDiscountId", "CommitmentDiscountStatus", "PricingUnit"]


@pytest.fixture(scope="module")
def con():
    return connect("duckdb")


def write_csv(path: Path, rows: list[dict]) -> Path:
    cols = list(dict.fromkeys([*COLUMNS, *(k for r in rows for k in r)]))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    return path


def quirky_rows() -> list[dict]:
    """Real-export quirks: BOMs and spaces around amounts, NULL spellings, mixed-case
    enums, Azure ids in two spellings, refunds named only in the description, tags with
    stray spaces, a commitment purchase, amounts with 0 to 18 decimals."""
    az = "/subscriptions/AbC/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1"
    rows = []
    for h in range(6):
        rows.append(focus_row("1.250", "i-fleet", start=h, ChargeFrequency="usage-based",
                              SkuId="BoxUsage:g6e.xlarge", ResourceName="gpu-node",
                              ChargeDescription="g6e.xlarge hour"))
        rows.append(focus_row(f"0.00000000000000000{h + 1}", az if h % 2 else az.lower(),
                              start=h, provider="Microsoft"))
        rows.append(focus_row(f" \ufeff{h}.5 ", f"bucket-{h % 2}", start=h, service="Storage",
                              ServiceName="Amazon S3", tags={" team ": "ml"}))
    rows.append(focus_row("-3.10", None, category="credit",
                          ChargeDescription="REFUND for an outage"))
    rows.append(focus_row("-2", None, category="Credit", ChargeDescription="promo"))
    rows.append(focus_row("7.000001", None, category="TAX", service="Other"))
    rows.append(focus_row("100", None, category="Purchase", CommitmentDiscountId="sp-1",
                          ChargeFrequency="One-Time"))
    rows.append(focus_row("NULL", "i-fleet", start=2, billed="NULL"))
    rows.append(focus_row("0.5", "i-fleet", start=3, ChargeClass="correction"))
    rows.append(focus_row("4.2", "i-fleet", start=1, CommitmentDiscountStatus="used"))
    return rows


def same_bill(a, b) -> None:
    """The row-by-row bill `a` and the reduced bill `b` agree on every figure."""
    assert b.row_count == a.row_count == a.rows_read == b.rows_read
    assert a.period() == b.period()
    assert a.currencies == b.currencies and a.format == b.format
    assert sorted(a.notes) == sorted(b.notes)
    for basis in ("BilledCost", "EffectiveCost"):
        for by in ("provider", "label", "service_name", "service_category", "resource_id",
                   "sku_id", "currency"):
            ta = {k: str(v) for k, v in a.totals(basis, by).items()}
            tb = {k: str(v) for k, v in b.totals(basis, by).items()}
            assert ta == tb, (basis, by)  # same digits, not only equal
    la = a.rows["nrows"].groupby(a.rows["label"]).sum().to_dict()
    lb = b.rows["nrows"].groupby(b.rows["label"]).sum().to_dict()
    assert la == lb


def reduced_as_plain(f, con, ids):
    """`f` read in the engine with the fleet `ids`, checked reduced and equal to the
    row-by-row read (totals, labels and the fleet's rows); returns (plain, reduced)."""
    a = read_bill(f)
    b = read_bill(f, con=con, hint=FleetHint(resource_ids=frozenset(ids)))
    assert b.reduced == [str(f)]
    same_bill(a, b)
    pd.testing.assert_frame_equal(fleet_rows(a, sorted(ids)), fleet_rows(b, sorted(ids)))
    return a, b


def fleet_rows(b, ids) -> pd.DataFrame:
    """The bill rows of resources `ids`, one per bill row, in a fixed order (a row that
    sums hourly rows, `Bill.hour_rows`, as those rows; amounts compared by value)."""
    from infercost.allocation.quanta import q2d

    rows = b.rows
    if b.hour_rows is not None:
        hr = b.hour_rows
        hourly = rows.iloc[hr.row].copy()
        hourly["charge_start"] = hr.hour
        hourly["charge_end"] = hr.hour + np.timedelta64(1, "h")
        for col in ("billed_cost", "effective_cost"):
            q, exact = hr.quanta[col]
            assert exact  # (these tests' amounts have at most 10 decimals)
            hourly[col] = [q2d(x) for x in q.tolist()]
        hourly["nrows"] = 1
        rows = pd.concat([rows.drop(index=rows.index[np.unique(hr.row)]), hourly],
                         ignore_index=True)
    r = rows[rows["resource_id"].isin(ids)]
    r = r.loc[r.index.repeat(r["nrows"])].copy()
    for col in ("billed_cost", "effective_cost"):
        r[col] = [v.normalize() if isinstance(v, Decimal) else v for v in r[col]]
    cols = ["resource_id", "charge_start", "charge_end", "billed_cost", "effective_cost",
            "label", "description", "resource_name", "sku_id", "service_name"]
    out = r[cols].astype(str).sort_values(cols).reset_index(drop=True)
    return out


def test_quirky_csv_reduced_equals_row_by_row(tmp_path, con):
    f = write_csv(tmp_path / "bill.csv", quirky_rows())
    a = read_bill(f)
    hint = FleetHint(resource_ids=frozenset({"i-fleet"}))
    b = read_bill(f, con=con, hint=hint)
    assert b.reduced == [str(f)] and a.reduced == []
    same_bill(a, b)
    # the fleet resource keeps every row (period, name, description); the 12 bucket and
    # Azure rows outside the hint fold into one row per distinct shape
    pd.testing.assert_frame_equal(fleet_rows(a, ["i-fleet"]), fleet_rows(b, ["i-fleet"]))
    assert len(b.rows) < len(a.rows)
    assert b.rows.loc[b.rows["resource_id"] == "i-fleet", "period_dropped"].eq(False).all()
    assert b.rows.loc[b.rows["resource_id"] == "bucket-0", "period_dropped"].all()
    # 1.250 x 6 hours + 0 (NULL) + 0.5 + 4.2 = 12.200 (digits of the row-by-row sum)
    assert str(b.totals("EffectiveCost", "resource_id")["i-fleet"]) == "12.200"
    # the refund named only in the description stays a refund after the reduction
    assert b.totals("EffectiveCost", "label")["refund"] == Decimal("-3.10")


def test_parquet_decimal_list_and_timestamps_reduced(tmp_path, con):
    """Parquet as Google's FOCUS view writes it: decimal amounts, native timestamps,
    ServiceCategory as a list of strings."""
    n = 48
    t = pa.table({
        "BilledCost": pa.array([Decimal("1.8610000000")] * n, pa.decimal128(18, 10)),
        "EffectiveCost": pa.array([Decimal("1.6749000000")] * (n - 1) + [None],
                                  pa.decimal128(18, 10)),
        "BillingCurrency": ["USD"] * n,
        "ChargeCategory": ["Usage"] * n,
        "ChargePeriodStart": pa.array(pd.date_range("2026-10-01", periods=n, freq="h")),
        "ChargePeriodEnd": pa.array(pd.date_range("2026-10-01 01:00", periods=n, freq="h")),
        "BillingPeriodStart": pa.array([pd.Timestamp("2026-10-01")] * n),
        "BillingPeriodEnd": pa.array([pd.Timestamp("2026-11-01")] * n),
        "ResourceId": [f"i-{i % 3}" for i in range(n)],
        "ServiceCategory": [["Compute", "AI and Machine Learning"]] * n,
        "ServiceName": ["Vertex AI"] * n,
        "ProviderName": ["Google Cloud"] * n,
    })
    f = tmp_path / "bill.parquet"
    pq.write_table(t, f)
    a = read_bill(f)
    b = read_bill(f, con=con, hint=FleetHint(resource_ids=frozenset({"i-0"})))
    assert b.reduced == []
    # the one null EffectiveCost has a non-zero BilledCost: the row-by-row reader's note
    # counts bill rows, so that file is read row by row
    assert a.notes == b.notes and len(a.notes) == 1
    t2 = t.set_column(1, "EffectiveCost", pa.array([Decimal("1.6749000000")] * n,
                                                   pa.decimal128(18, 10)))
    pq.write_table(t2, f)
    a, b = reduced_as_plain(f, con, {"i-0"})
    # i-1 and i-2 are outside the fleet: 16 hourly rows each fold into one; i-0's 16
    # hourly rows in the fleet are one row per day, each hour kept beside it
    assert len(b.rows) == 2 + 2 and len(b.hour_rows) == 16
    assert set(b.rows["service_category"]) == {"Compute, AI and Machine Learning"}


@pytest.mark.parametrize("case", ["exponent", "19 decimals", "float column", "empty currency",
                                  "no effective cost", "bad amount", "header only",
                                  "not focus"])
def test_files_the_engine_cannot_take_exactly_fall_back(tmp_path, con, case):
    """Same figures, same notes and the same one-line error as the row-by-row reader."""
    rows = [focus_row("1.5", "i-a", start=h) for h in range(3)]
    f = tmp_path / "bill.csv"
    if case == "exponent":
        rows[1]["EffectiveCost"] = "1.5E-3"
    elif case == "19 decimals":
        rows[1]["EffectiveCost"] = "0.0000000000000000001"
    elif case == "empty currency":
        rows[2]["BillingCurrency"] = ""
    elif case == "no effective cost":
        rows[2]["EffectiveCost"] = "NULL"
    elif case == "bad amount":
        rows[2]["EffectiveCost"] = "12,5"
    if case == "float column":
        df = pd.DataFrame(rows)
        df["BilledCost"] = df["BilledCost"].astype(float)
        df["EffectiveCost"] = df["EffectiveCost"].astype(float) / 3
        f = tmp_path / "bill.parquet"
        df.to_parquet(f)
    elif case == "header only":
        write_csv(f, [])
    elif case == "not focus":
        f.write_text("line_item_unblended_cost,line_item_usage_start_date\n1,2026-10-01\n")
    else:
        write_csv(f, rows)
    assert reduce_bill(con, f, FleetHint()) is None or case in ("empty currency",)
    hint = FleetHint(resource_ids=frozenset({"i-a"}))
    try:
        a = read_bill(f)
    except InputError as e:
        with pytest.raises(InputError) as got:
            read_bill(f, con=con, hint=hint)
        assert str(got.value) == str(e)
        return
    b = read_bill(f, con=con, hint=hint)
    assert b.reduced == []
    same_bill(a, b)


# a bill of random rows: amounts written the ways real exports write them, resource ids
# in several spellings, every label
_amount = st.one_of(
    st.integers(0, 18).flatmap(lambda p: st.decimals(
        min_value=-1000, max_value=10**6, places=p, allow_nan=False,
        allow_infinity=False)).map(str),
    st.integers(-10**6, 10**6).map(str),
    st.sampled_from(["NULL", "", " 0.10 ", "\ufeff2.5", "0.000000000000000001", "+3"]),
)
_rid = st.sampled_from(["i-a", " i-a", "i-b", "I-A", "bucket-1", "NULL", "",
                        "/subscriptions/X/vm/A", "/SUBSCRIPTIONS/x/vm/a"])
_cat = st.sampled_from(["Usage", "usage", "Tax", "Credit", "Adjustment", "Purchase"])


@st.composite
def random_bill(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for _ in range(n):
        amt = draw(_amount)
        rows.append(focus_row(
            amt, draw(_rid), start=draw(st.integers(0, 5)), hours=draw(st.integers(1, 3)),
            category=draw(_cat), billed=amt if draw(st.booleans()) else "1.01",
            service=draw(st.sampled_from(["Compute", "Storage"])),
            tags=draw(st.sampled_from([None, {"team": "ml"}, {"team ": "web"}])),
            ChargeDescription=draw(st.sampled_from(["", "Refund", "hour", "NULL"])),
            CommitmentDiscountStatus=draw(st.sampled_from(["", "Used", "unused"]))))
    return rows


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=random_bill(), used=st.sets(st.sampled_from(["i-a", "i-b", "/subscriptions/x/vm/a"])),
       by_tag=st.booleans(), by_service=st.booleans())
def test_reduced_equals_row_by_row_for_any_bill(tmp_path_factory, con, rows, used, by_tag,
                                                 by_service):
    """Property: for any bill and any fleet selection, the reduced bill has the same totals
    (digit for digit), counts and period, and the rows the fleet rules select are the same
    bill rows with the same charge periods."""
    from infercost.allocation.engine import select_fleet
    from infercost.allocation.rules import parse_rules

    f = write_csv(tmp_path_factory.mktemp("b") / "bill.csv", rows)
    spec: dict = {}
    if by_tag:
        spec.setdefault("fleet", {})["tags"] = {"team": "ml"}
    if by_service:
        spec.setdefault("fleet", {})["services"] = ["Amazon Elastic Compute Cloud"]
    rules = parse_rules(spec, "rules")
    hint = FleetHint(resource_ids=frozenset(used), tags=dict(rules.tags or {}),
                     services=frozenset(rules.services or ()))
    try:
        a = read_bill(f)
    except InputError:
        return  # refused row by row; the fallback test covers the engine's answer
    b = read_bill(f, con=con, hint=hint)
    same_bill(a, b)
    ma = select_fleet(a, rules, set(used))
    mb = select_fleet(b, rules, set(used))
    assert not (mb & b.rows["period_dropped"].to_numpy(dtype=bool)).any()
    cols = ["resource_id", "charge_start", "charge_end", "effective_cost", "billed_cost",
            "label", "description"]

    def rows_of(bill, m):
        r = bill.rows[m]
        return r.loc[r.index.repeat(r["nrows"]), cols].astype(str).sort_values(cols) \
            .reset_index(drop=True)

    pd.testing.assert_frame_equal(rows_of(a, ma), rows_of(b, mb))


@pytest.mark.parametrize("rules_text", [
    "", "idle: share\nshared: requests\n", "driver: tokens\nshared: cost\n",
    "fleet:\n  tags: {team: inference}\ndriver: capacity\ncapacity_ms_per_hour: 3600000\n",
    "fleet:\n  services: [Amazon Simple Storage Service]\n  resource_ids: [i-0spare9e8d7c6b5a4]\n",
])
def test_attribute_outputs_identical_with_and_without_the_engine_bill(tmp_path, monkeypatch,
                                                                      rules_text):
    """End to end on the demo month: allocations.csv byte for byte and summary.json."""
    from infercost.allocation.demo import generate

    bill, usage = generate(tmp_path / "month", seed=3, requests_per_hour=20)
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_text)
    a = same_outputs(tmp_path, monkeypatch, bill, usage, rules)
    assert a["_bill_reader"]["rows_in_python"] < a["rows"]["bill_read"]


def same_outputs(tmp_path, monkeypatch, bill, usage, rules) -> dict:
    """attribute through the engine, then row by row: the engine read the bill, and
    allocations.csv (byte for byte) and summary.json are the same. The engine's summary."""
    a = run_attribution(bill, usage, tmp_path / "engine", rules=rules)
    assert a["_bill_reader"]["engine"] == [str(bill)]
    monkeypatch.setattr(bill_mod, "_reduced", lambda *_: None)
    b = run_attribution(bill, usage, tmp_path / "rows", rules=rules)
    monkeypatch.undo()
    assert b["_bill_reader"]["engine"] == []
    assert (tmp_path / "engine" / "allocations.csv").read_bytes() == (
        tmp_path / "rows" / "allocations.csv").read_bytes()
    sa, sb = public_summary(a), public_summary(b)
    for s in (sa, sb):
        s.pop("outputs")
    assert json.loads(json.dumps(sa, default=str)) == json.loads(json.dumps(sb, default=str))
    return a


def test_fleet_hour_quanta_come_from_bill_rows_not_reduced_rows(tmp_path, con):
    """Hand-computed: two bill rows of the same resource-hour are one fleet hour of their
    sum; a row over 3 hours spreads its 1e-10 quanta evenly, the leftover to the first."""
    from infercost.allocation.engine import fleet_hours

    rows = [focus_row("1.0000000001", "i-a", start=0, hours=3),
            focus_row("0.5", "i-a", start=0), focus_row("0.5", "i-a", start=0),
            focus_row("0.25", "disk-1", start=0), focus_row("0.25", "disk-1", start=1)]
    f = write_csv(tmp_path / "bill.csv", rows)
    b = read_bill(f, con=con, hint=FleetHint(resource_ids=frozenset({"i-a"})))
    assert b.reduced == [str(f)]
    # fleet rows pass one by one; the two disk-1 hours (outside the fleet) are one
    # reduced row standing for 2 bill rows, costing 0.25 + 0.25 = 0.50
    assert sorted(b.rows["nrows"].tolist()) == [1, 1, 1, 2]
    disk = b.rows[b.rows["resource_id"] == "disk-1"]
    assert str(disk["effective_cost"].iloc[0]) == "0.50" and disk["charge_start"].isna().all()
    fleet = b.rows[b.rows["resource_id"] == "i-a"]
    hq = fleet_hours(fleet[["resource_id", "charge_start", "charge_end", "nrows"]],
                     fleet["effective_cost"])[0]
    # 10,000,000,001 quanta over 3 hours: 3,333,333,334 + 3,333,333,334 + 3,333,333,333;
    # hour 0 also gets 0.5 + 0.5 = 10,000,000,000 quanta
    assert hq["cost_q"].tolist() == [13_333_333_334, 3_333_333_334, 3_333_333_333]
    assert [str(h) for h in hq["hour"]] == [hour(0), hour(1), hour(2)]


@pytest.mark.spark
def test_spark_reduces_the_bill_like_duckdb_and_row_by_row(tmp_path, con):
    """The same Ibis expressions on Spark (local mode): the quirky bill's figures equal the
    row-by-row reader's to the digit, and a counts file without a tenant column gives
    null tenants (not the text "NaN")."""
    import shutil

    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed")
    f = write_csv(tmp_path / "bill.csv", quirky_rows())
    hint = FleetHint(resource_ids=frozenset({"i-fleet"}))
    spark = connect("spark")
    a = read_bill(f)
    b = read_bill(f, con=spark, hint=hint)
    assert b.reduced == [str(f)]
    same_bill(a, b)
    pd.testing.assert_frame_equal(fleet_rows(a, ["i-fleet"]), fleet_rows(b, ["i-fleet"]))
    root = Path(__file__).resolve().parents[1] / "examples" / "sentiment-bert-measured"
    s = run_attribution(root / "bill.csv", None, tmp_path / "out", backend="spark",
                        counts=root / "counts.csv")
    assert s["_bill_reader"]["engine"] == [str(root / "bill.csv")]
    out = pd.read_csv(tmp_path / "out" / "allocations.csv", keep_default_na=False)
    allocated = out[out["kind"] == "allocated"]
    assert len(allocated) and (allocated["tenant"] == "").all()


def cur_rows(hours: int = 4) -> list[dict]:
    """CUR 2.0 lines: usage with and without a net cost, Savings Plan covered usage and
    negation, the recurring fee (unused = total - used), tax, a refund, S3 storage."""
    rows = []
    for h in range(hours):
        base = {"line_item_usage_start_date": f"2026-10-01T{h:02d}:00:00Z",
                "line_item_usage_end_date": f"2026-10-01T{h + 1:02d}:00:00Z",
                "bill_billing_period_start_date": "2026-10-01T00:00:00Z",
                "bill_billing_period_end_date": "2026-11-01T00:00:00Z",
                "line_item_currency_code": "USD", "line_item_product_code": "AmazonEC2",
                "line_item_usage_type": "BoxUsage:p5.48xlarge", "line_item_resource_id": "i-1",
                "line_item_line_item_description": "p5 hour"}
        rows += [
            {**base, "line_item_line_item_type": "Usage", "line_item_unblended_cost": "98.32",
             "line_item_net_unblended_cost": "90.00" if h % 2 else ""},
            {**base, "line_item_line_item_type": "SavingsPlanCoveredUsage",
             "line_item_resource_id": "i-2", "line_item_unblended_cost": "98.32",
             "savings_plan_savings_plan_effective_cost": "70.79"},
            {**base, "line_item_line_item_type": "SavingsPlanNegation",
             "line_item_resource_id": "i-2", "line_item_unblended_cost": "-98.32"},
            {**base, "line_item_line_item_type": "Usage", "line_item_product_code": "AmazonS3",
             "line_item_usage_type": "TimedStorage-ByteHrs", "line_item_resource_id": "bucket",
             "line_item_unblended_cost": f"0.00000012{h}",
             "line_item_net_unblended_cost": "" if h % 2 else f"0.0000001{h}"},
        ]
    base = {k: v for k, v in rows[0].items() if not k.startswith("line_item_net")}
    rows += [
        {**base, "line_item_line_item_type": "Tax", "line_item_unblended_cost": "5.00",
         "line_item_resource_id": ""},
        {**base, "line_item_line_item_type": "Refund", "line_item_unblended_cost": "-7.00",
         "line_item_resource_id": "", "line_item_line_item_description": "Refund"},
        {**base, "line_item_line_item_type": "SavingsPlanRecurringFee",
         "line_item_unblended_cost": "1000", "savings_plan_total_commitment_to_date": "1000",
         "savings_plan_used_commitment": "940", "line_item_resource_id": ""},
    ]
    return rows


def test_cur_csv_reduced_equals_row_by_row(tmp_path, con):
    """CUR 2.0 as CSV: the effective cost rules (net cost only where present, covered
    usage, the unused recurring fee) give the same figures on reduced rows."""
    rows = cur_rows()
    cols = list(dict.fromkeys(k for r in rows for k in r))
    f = tmp_path / "cur.csv"
    pd.DataFrame(rows, columns=cols).to_csv(f, index=False)
    a, b = reduced_as_plain(f, con, {"i-1", "i-2"})
    assert b.format == a.format == "cur"
    # the bucket's four hours: two with a net cost, two without, fold into two rows
    bucket = b.rows[b.rows["resource_id"] == "bucket"]
    assert sorted(bucket["nrows"].tolist()) == [2, 2]
    # hand-computed: EffectiveCost of the bucket = net where present (hours 0 and 2:
    # 0.00000010 + 0.00000012 = 0.000000220) + unblended where not (hours 1 and 3:
    # 0.000000121 + 0.000000123 = 0.000000244) = 0.000000464
    assert b.totals("EffectiveCost", "resource_id")["bucket"] == Decimal("0.000000464")
    # i-1: net 90.00 in hours 1 and 3, unblended 98.32 in hours 0 and 2
    assert b.totals("EffectiveCost", "resource_id")["i-1"] == Decimal("376.64")
    # the unused Savings Plan fee: 1000 - 940
    assert b.totals("EffectiveCost", "label")["commitment_unused"] == Decimal("60")


def test_cur_parquet_with_float_amounts_is_read_row_by_row(tmp_path, con):
    """CUR Parquet amounts are doubles: the row-by-row reader's exact reading of each
    float is kept (the engine does not take floats)."""
    rows = cur_rows(2)
    df = pd.DataFrame(rows)
    for c in [c for c in df.columns if c.endswith(("_cost", "_to_date", "_commitment"))]:
        df[c] = pd.to_numeric(df[c].replace("", None)).astype(float)
    f = tmp_path / "cur.parquet"
    df.to_parquet(f)
    b = read_bill(f, con=con, hint=FleetHint(resource_ids=frozenset({"i-1"})))
    assert b.reduced == []
    same_bill(read_bill(f), b)


def test_cur_attribution_identical_with_and_without_the_engine(tmp_path, monkeypatch):
    """End to end on a CUR bill (the period in identity_time_interval, as some exports
    give it): allocations.csv byte for byte and every summary figure."""
    from tests.attribution_helpers import usage_row

    rows = cur_rows(6)
    for r in rows:
        s, e = r.pop("line_item_usage_start_date"), r.pop("line_item_usage_end_date")
        r["identity_time_interval"] = f"{s}/{e}"
    f = tmp_path / "cur.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    usage = pd.DataFrame([usage_row(f"r{i}", "i-1" if i % 3 else "i-2", i % 6 + 0.5,
                                    100.0 + i, tin=i, tout=2 * i) for i in range(60)])
    up = tmp_path / "usage.parquet"
    usage.to_parquet(up)
    a = same_outputs(tmp_path, monkeypatch, f, up, None)
    assert a["conservation"]["holds"] and a["totals"]["allocated"] > 0


# ---- kinds of input a new user found where the two readers once differed ------------

HEADER = ("BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargePeriodStart,"
          "ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,ResourceId,ServiceCategory,"
          "ServiceName,ProviderName")
P = "2026-10-01 00:00:00,2026-10-01 01:00:00,2026-10-01 00:00:00,2026-11-01 00:00:00"


def line(cost, rid, category="Compute", service="EC2") -> str:
    return f"{cost},{cost},USD,Usage,{P},{rid},{category},{service},AWS"


def run_both(tmp_path, monkeypatch, bill, rules_text: str | None = None):
    """attribute through the engine and row by row: (engine, rows) as ("ok", summary,
    allocations.csv bytes) or ("error", message)."""
    from tests.attribution_helpers import usage_row

    usage = tmp_path / "usage.parquet"
    pd.DataFrame([usage_row(f"r{i}", "i-1", 0.1 + i / 10, 1000.0, tenant=f"t{i % 2}")
                  for i in range(4)]).to_parquet(usage)
    rules = None
    if rules_text:
        rules = tmp_path / "rules.yaml"
        rules.write_text(rules_text)
    out = []
    for tag in ("engine", "rows"):
        if tag == "rows":
            monkeypatch.setattr(bill_mod, "_reduced", lambda *_: None)
        try:
            s = run_attribution(bill, usage, tmp_path / tag, rules=rules)
        except InputError as e:
            out.append(("error", str(e)))
            continue
        s = public_summary(s)
        s.pop("outputs")
        out.append(("ok", json.loads(json.dumps(s, default=str)),
                    (tmp_path / tag / "allocations.csv").read_bytes()))
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("case", ["space before quote", "spaces in header", "title line",
                                  "comment line", "trailing comma", "duplicate column",
                                  "upper-case gz", "zstd"])
def test_csv_forms_read_alike(tmp_path, monkeypatch, case):
    """Every CSV goes through one parser (the row-by-row reader's): DuckDB's own reader
    took ` "i-1"` as i-1, trimmed header names, skipped title and comment lines."""
    import gzip

    import pyarrow as pa

    rows = [line(10, "i-1"), line(4, ' "i-1"' if case == "space before quote" else "b-1",
                                  "Storage", "S3")]
    header = HEADER
    if case == "spaces in header":
        header = header.replace(",ResourceId", ", ResourceId")
    text = header + "\n" + "\n".join(rows) + "\n"
    if case == "title line":
        text = "FOCUS export for account 123\n" + text
    elif case == "comment line":
        text = "# exported 2026-11-01\n" + text
    elif case == "trailing comma":
        text = header + "\n" + "\n".join(r + "," for r in rows) + "\n"
    elif case == "duplicate column":
        text = header + ",BilledCost\n" + "\n".join(r + ",99" for r in rows) + "\n"
    f = tmp_path / "bill.csv"
    if case == "upper-case gz":
        f = tmp_path / "BILL.CSV.GZ"
        f.write_bytes(gzip.compress(text.encode()))
    elif case == "zstd":
        f = tmp_path / "bill.csv.zst"
        with pa.output_stream(str(f), compression="zstd") as fh:
            fh.write(text.encode())
    else:
        f.write_text(text)
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_
    if case == "space before quote":  # the quoted id is another resource: 4 is shared
        assert Decimal(engine[1]["totals"]["shared"]) == 4
    if case in ("upper-case gz", "zstd"):  # read, not refused
        assert engine[0] == "ok" and Decimal(engine[1]["totals"]["allocated"]) == 10


def test_key_value_folder_names_add_no_columns(tmp_path, monkeypatch):
    """A bill in a `ResourceId=i-9/` folder keeps its own ResourceIds (DuckDB's hive
    partitioning would have replaced them)."""
    d = tmp_path / "bills" / "ResourceId=i-9"
    d.mkdir(parents=True)
    (d / "bill.csv").write_text(HEADER + "\n" + line(10, "i-1") + "\n")
    pd.read_csv(d / "bill.csv", dtype=str).to_parquet(d / "bill.parquet")
    (d / "bill.csv").unlink()
    engine, rows_ = run_both(tmp_path, monkeypatch, tmp_path / "bills")
    assert engine == rows_ and Decimal(engine[1]["totals"]["allocated"]) == 10


def test_rows_outside_the_fleet_larger_than_int64_quanta(tmp_path, monkeypatch):
    """100 Storage rows of 5,000,000 IDR sum to 5e8, past the int64 quanta of one row
    (4.6e8): outside the fleet they are summed in Decimal, never refused."""
    rows = [line(150000, "i-1").replace("USD", "IDR")]
    rows += [line(5000000, "bucket-a", "Storage", "S3").replace("USD", "IDR")
             .replace("2026-10-01 00:00:00,2026-10-01 01:00:00,",
                      f"2026-10-0{1 + h // 24} {h % 24:02d}:00:00,"
                      f"2026-10-0{1 + (h + 1) // 24} {(h + 1) % 24:02d}:00:00,", 1)
             for h in range(100)]
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_ and engine[0] == "ok"
    # 100 x 5,000,000 = 500,000,000 IDR shared; 150,000 allocated to i-1's requests
    assert Decimal(engine[1]["totals"]["shared"]) == 500000000
    assert Decimal(engine[1]["totals"]["allocated"]) == 150000


@pytest.mark.parametrize("column", ["ResourceId", "ServiceName", "ChargeDescription"])
def test_list_valued_fleet_columns_read_row_by_row(tmp_path, monkeypatch, column):
    rows = [focus_row("10", "i-1", 0, 1), focus_row("4", "i-1", 1, 1)]
    df = pd.DataFrame(rows)
    df[column] = [["i-1"], ["i-1"]] if column == "ResourceId" else [["a"], ["b", "refund"]]
    f = tmp_path / "bill.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), f)
    engine, rows_ = run_both(tmp_path, monkeypatch, f,
                             "fleet:\n  services: ['b, refund']\n" if column == "ServiceName"
                             else None)
    assert engine == rows_


def test_bad_charge_period_outside_the_fleet_is_refused_with_its_row(tmp_path, monkeypatch):
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + line(10, "i-1") + "\n"
                 + line(4, "b-1", "Storage", "S3").replace(P, P.replace(
                     "2026-10-01 00:00:00,2026-10-01 01:00:00", "garbage,2026-10-01 01:00:00",
                     1)) + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_
    assert engine == ("error", f"{f}: row 2: column ChargePeriodStart: cannot parse "
                               "timestamp 'garbage' (expected ISO 8601, year first: 2026-10-01T00:00:00Z)")


def test_notes_count_bill_rows_and_long_amounts_keep_conservation(tmp_path, monkeypatch):
    """Five EUR rows of one shape: the conversion note says 5 rows. An 18-decimal EUR
    amount at a long rate gives a 22-decimal bill: the cost lines hold 18 decimals, and
    the attribution still runs (it raised an AssertionError)."""
    rows = [line(10, "i-1")] + [line("0.123456789012345678", "b-eu", "Storage", "S3")
                                .replace("USD", "EUR")] * 5
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f,
                             "currency: USD\nexchange_rates: {EUR: 1.1234567890123457}\n")
    assert engine == rows_ and engine[0] == "ok"
    assert "converted 5 EUR rows to USD at 1.1234567890123457" in engine[1]["notes"]
    # each row converted on its own (0.123456789012345678 x 1.1234567890123457), then the
    # five summed: the reduced row (one sum of five) is not converted, its file is read
    # row by row
    from decimal import localcontext

    with localcontext() as ctx:  # a run computes at 80 significant digits: exact here
        ctx.prec = 80
        one = Decimal("0.123456789012345678") * Decimal("1.1234567890123457")
        assert Decimal(engine[1]["totals"]["shared"]) == one + one + one + one + one
    assert engine[1]["conservation"]["holds"] is True


def test_top_resources_rank_sub_quantum_amounts_exactly(tmp_path, monkeypatch):
    """z (two rows of 5e-11 = 1e-10) ranks above b (1e-11): on exact sums, not on each
    row's floored quanta (0 for all three rows)."""
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + "\n".join([
        line(10, "i-1"), line("0.00000000005", "z", "Storage", "S3"),
        line("0.00000000005", "z", "Storage", "S3").replace("2026-10-01 00:00:00,2026-10-01 01:00:00", "2026-10-01 01:00:00,2026-10-01 02:00:00", 1),
        line("0.00000000001", "b", "Storage", "S3")]) + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_
    assert [r["resource_id"] for r in engine[1]["top_resources"]] == ["i-1", "z", "b"]


def test_azure_rule_ids_match_in_any_case(tmp_path, monkeypatch):
    """`fleet.resource_ids` with an Azure id as the portal writes it (mixed case) selects
    the bill's row (Azure ids are compared in lower case)."""
    vm = "/subscriptions/ABC/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM1"
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + line(10, "i-1") + "\n" + line(7, vm.lower()) + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f, f"fleet:\n  resource_ids: ['{vm}']\n")
    assert engine == rows_
    assert engine[1]["fleet"]["resources"] == 2  # i-1 (from the log) and the VM (idle)


def test_no_requests_run_removes_an_earlier_requests_file(tmp_path):
    from infercost.allocation.demo import generate

    bill, usage = generate(tmp_path / "m", seed=5, requests_per_hour=5)
    out = tmp_path / "out"
    run_attribution(bill, usage, out)
    assert (out / "requests.parquet").is_file()
    run_attribution(bill, usage, out, write_requests=False)
    assert not (out / "requests.parquet").exists()
    assert (out / "allocations.csv").is_file()


def test_converted_bill_conserves_exactly(tmp_path, monkeypatch):
    """18-decimal-ish EUR amounts at a 19-digit rate: each converted amount has up to 33
    significant digits; at Python's default 28 the sums rounded differently by grouping
    and conservation failed by 1e-24 (a traceback). A run computes at 80 digits."""
    rows = [("22.146783", "Credit", "i-a", "Compute"), ("43", "Adjustment", "i-a", "Databases"),
            ("44.227143208467", "Credit", "i-b", "Databases"),
            ("22.096046", "Adjustment", "i-a", "Compute")]
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + "\n".join(
        f"{c},{c},EUR,{cat},{P},{rid},{svc},EC2,AWS" for c, cat, rid, svc in rows) + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f,
                             'currency: USD\nexchange_rates: {EUR: "1.0812345678901234567"}\n')
    assert engine == rows_ and engine[0] == "ok"
    s = engine[1]
    assert s["conservation"]["holds"] is True
    from decimal import localcontext

    rate = Decimal("1.0812345678901234567")
    with localcontext() as ctx:  # exact: (22.146783 + 43 + 44.227143208467 + 22.096046) x rate
        ctx.prec = 80
        total = sum((Decimal(c) * rate for c, *_ in rows), Decimal(0))
        assert Decimal(s["totals"]["bill"]) == total == Decimal("131.469972208467") * rate


@pytest.mark.parametrize("dtype", ["Int64", "string"])
def test_nullable_parquet_amounts_are_missing_not_refused(tmp_path, monkeypatch, dtype):
    """pandas writes a missing value of a nullable column as pd.NA: a missing amount
    (0), not the text '<NA>' (the row-by-row reader refused it, the engine did not)."""
    df = pd.DataFrame([focus_row("3", "i-1", 0, 1), focus_row("2", "i-1", 1, 1),
                       focus_row("0", "b-1", 2, 1)])
    for c in ("BilledCost", "EffectiveCost"):
        df[c] = pd.array([3, 2, None], dtype="Int64") if dtype == "Int64" else \
            pd.array(["3", "2", None], dtype="string")
    f = tmp_path / "bill.parquet"
    df.to_parquet(f)
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_ and engine[0] == "ok"
    assert Decimal(engine[1]["totals"]["bill"]) == 5


def test_huge_totals_per_request_do_not_overflow_the_decimal_context(tmp_path, monkeypatch):
    """300 tax rows of 999,999,999,999,999 (each under the 1e15 per-row limit) shared by
    requests: per-request figures of 1e17 and more quantized to 1e-10 need more than 28
    digits (a decimal.InvalidOperation traceback); a run computes at 80."""
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + line(10, "i-1") + "\n" + "\n".join(
        f"999999999999999,999999999999999,USD,Tax,{P},,Other,Tax,AWS" for _ in range(300))
        + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f, "shared: requests\n")
    assert engine == rows_ and engine[0] == "ok"
    # 300 x 999,999,999,999,999 + 10 = 299,999,999,999,999,710, all spread to 4 requests
    assert Decimal(engine[1]["totals"]["allocated"]) == 299_999_999_999_999_710
    assert engine[1]["conservation"]["holds"] is True


def test_cur_with_both_period_spellings_folds_rows_outside_the_fleet(tmp_path, con):
    """CUR 2.0 exports carry start/end dates and identity_time_interval: the interval is
    a charge period too (dropped outside the fleet), or nothing would fold."""
    rows = cur_rows(6)
    for r in rows:
        r["identity_time_interval"] = (f"{r['line_item_usage_start_date']}/"
                                       f"{r['line_item_usage_end_date']}")
    f = tmp_path / "cur.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    a, b = reduced_as_plain(f, con, {"i-1"})
    # i-2's 6 covered-usage and 6 negation hours fold into one row each
    i2 = b.rows[b.rows["resource_id"] == "i-2"]
    assert sorted(i2["nrows"].tolist()) == [6, 6]


def test_a_fleet_row_past_int64_quanta_is_refused_by_both_readers(tmp_path, monkeypatch):
    """The fleet is split in int64 quanta: a fleet row of 500,000,000 (5e18 quanta, over
    2**62) is refused in one line, while the same amount outside the fleet is summed."""
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + line("500000000.00000000001", "i-1") + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_
    assert engine[0] == "error"
    # one line naming the file, the row (ResourceId and charge period: an engine-reduced
    # bill has no file row numbers) and the limit: 2**62 quanta x 1e-10 = 461,168,601.8427387904
    assert engine[1] == (
        f"{f}: ResourceId i-1, ChargePeriodStart 2026-10-01T00:00:00Z: EffectiveCost "
        "500000000.00000000001 is not below 461,168,601.8427387904 USD, the engine's limit "
        "for one fleet bill row (2^62 units of 1e-10)")


def test_a_resource_hour_past_int64_quanta_names_the_resource_and_hour(tmp_path,
                                                                      monkeypatch):
    """Two fleet rows of 300,000,000 in one hour: each fits int64 quanta, their sum
    (6e18 quanta, over 2**62) does not; the error names the resource-hour and the file."""
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + line("300000000", "i-1") + "\n"
                 + line("300000000", "i-1", service="EBS") + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_
    assert engine == ("error", f"{f}: ResourceId i-1, hour 2026-10-01T00:00Z: its fleet rows "
                      "sum to 461,168,601.8427387904 USD or more, the engine's limit for one "
                      "resource-hour (2^62 units of 1e-10)")


_ID_TEXT = st.text(alphabet=["a", "A", "1", "-", " ", "\t", "\u00e9", "\u00c9", "\ufeff"],
                   max_size=5)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ids=st.lists(st.one_of(st.none(), _ID_TEXT), min_size=1, max_size=20),
       wanted=st.sets(_ID_TEXT, min_size=1, max_size=4))
def test_fleet_test_per_distinct_value_keeps_the_rows_of_the_per_row_test(con, ids, wanted):
    """Property: the fleet test made once per distinct ResourceId (DuckDB) keeps exactly
    the rows the per-row expression keeps (strip, lower case, odd characters), whatever
    the spaces, case, accents, tabs and byte-order marks of the ids."""
    from infercost.ingest.bill_engine import _maybe_fleet, focus_layout

    t = con.create_table("fleet_ids_t", pa.table({"ResourceId": pa.array(ids, pa.string())}),
                         temp=True, overwrite=True)
    lay = focus_layout(COLUMNS)
    hint = FleetHint(resource_ids=frozenset(wanted))
    per_value = t.select(k=_maybe_fleet(con, t, lay, hint, spark=False)).to_pyarrow()
    per_row = t.select(k=_maybe_fleet(con, t, lay, hint, spark=True)).to_pyarrow()
    assert per_value.column("k").to_pylist() == per_row.column("k").to_pylist()


def test_constant_and_varying_key_columns_fold_alike(tmp_path, con):
    """Key columns with one value in every row (here BillingCurrency, ProviderName, the
    tz-aware billing period, a null ChargeClass) are left out of the engine's grouping
    and put back; a column that varies (ServiceName) still splits the rows outside the
    fleet. The figures are the row-by-row reader's."""
    n = 40
    utc = pd.Timestamp("2026-10-01", tz="UTC")
    t = pa.table({
        "BilledCost": pa.array([Decimal(f"{i}.25") for i in range(n)], pa.decimal128(18, 4)),
        "EffectiveCost": pa.array([Decimal(f"{i}.5") for i in range(n)], pa.decimal128(18, 4)),
        "BillingCurrency": ["USD"] * n,
        "ChargeCategory": ["Usage"] * n,
        "ChargeClass": pa.array([None] * n, pa.string()),
        "ChargePeriodStart": pa.array(list(pd.date_range(utc, periods=n, freq="h"))),
        "ChargePeriodEnd": pa.array(list(pd.date_range(utc + pd.Timedelta("1h"), periods=n,
                                                       freq="h"))),
        "BillingPeriodStart": pa.array([utc] * n),
        "BillingPeriodEnd": pa.array([pd.Timestamp("2026-11-01", tz="UTC")] * n),
        "ResourceId": [f"i-{i % 4}" for i in range(n)],
        "ServiceName": ["EC2" if i % 2 else "S3" for i in range(n)],
        "ProviderName": ["AWS"] * n,
    })
    f = tmp_path / "bill.parquet"
    pq.write_table(t, f)
    a, b = reduced_as_plain(f, con, {"i-0"})
    # i-0: 10 hourly rows over two days, one row per day (each hour kept beside it);
    # i-1 and i-3 are EC2, i-2 S3: one row each
    assert len(b.rows) == 2 + 3 and len(b.hour_rows) == 10
    rest = b.rows[b.rows["period_dropped"]]
    assert set(rest["currency"]) == {"USD"} and set(rest["provider"]) == {"AWS"}
    assert rest["charge_class"].isna().all() and rest["charge_start"].isna().all()
    assert set(rest["billing_start"]) == {pd.Timestamp("2026-10-01")}
    # i-1: rows 1, 5, ..., 37: sum of i.25 for i = 1 + 4j, j < 10 = 190 + 2.50 = 192.50
    assert str(rest.set_index("resource_id").loc["i-1", "billed_cost"]) == "192.5000"


@pytest.mark.parametrize("typ", [pa.decimal128(20, 0), pa.decimal128(38, 10), pa.int64()])
def test_an_amount_of_1e15_is_refused_from_typed_parquet_as_from_text(tmp_path, monkeypatch,
                                                                       typ):
    """A tax row (outside the fleet) of 1e15 or more is refused naming its file row,
    whether its amounts are text (CSV) or typed (Parquet decimal or integer), by the
    engine and by the row reader alike; 999,999,999,999,999 (below 1e15) is summed."""
    rows = [line("1.5", "i-1"), line("1000000000000000", "tax-1", "Other", "Tax"),
            line("2", "i-2")]
    csv = tmp_path / "bill.csv"
    csv.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    t = pacsv.read_csv(csv, convert_options=pacsv.ConvertOptions(
        column_types={"BilledCost": pa.string(), "EffectiveCost": pa.string()}))
    for c in ("BilledCost", "EffectiveCost"):
        vals = [Decimal(x) for x in t[c].to_pylist()]
        arr = pa.array([int(v) for v in vals] if pa.types.is_integer(typ) else
                       [v.to_integral_value() if typ.scale == 0 else v for v in vals], typ)
        t = t.set_column(t.schema.get_field_index(c), c, arr)
    pqf = tmp_path / "bill.parquet"
    pq.write_table(t, pqf)
    for f, got in ((csv, "1000000000000000"), (pqf, str(t["BilledCost"][1].as_py()))):
        engine, rows_ = run_both(tmp_path, monkeypatch, f)  # (the value as the file holds it)
        assert engine == rows_ == ("error", f"{f}: row 2: column BilledCost: expected an "
                                   f"amount below 1e15, got '{got}'"), f
    # one below the bound: read and summed exactly
    t2 = t.set_column(0, "BilledCost", pa.array(
        [v - 1 if v and abs(v) >= 10**15 else v for v in t["BilledCost"].to_pylist()], typ))
    t2 = t2.set_column(1, "EffectiveCost", t2["BilledCost"])
    pq.write_table(t2, pqf)
    engine, rows_ = run_both(tmp_path, monkeypatch, pqf)
    assert engine[0] == "ok" and engine[1] == rows_[1]
    # (1.5 reads 1 as int64, 2 as decimal(20, 0), 1.5 as decimal(38, 10))
    assert Decimal(engine[1]["totals"]["bill"]) == sum(
        (Decimal(v) for v in t2["EffectiveCost"].to_pylist()), Decimal(0))
    assert Decimal("999999999999999") < Decimal(engine[1]["totals"]["bill"])


@pytest.mark.parametrize(("cell", "what"), [("Taxes", "'Taxes' is not a FOCUS ChargeCategory"),
                                             ("Refund", "'Refund' is not a FOCUS ChargeCategory"),
                                             ("", "empty")])
def test_charge_category_outside_the_spec_refused_by_both_readers(tmp_path, monkeypatch, cell,
                                                                  what):
    """Outside the fleet (summed in the engine) and on a fleet row alike: the engine's
    reduced table fails `focus.normalize`, and the row reader names the row."""
    f = tmp_path / "bill.csv"
    f.write_text(HEADER + "\n" + line(10, "i-1") + "\n"
                 + line(3, "", "Other", "Tax").replace(",Usage,", f",{cell},") + "\n"
                 + line(-2, "i-1").replace(",Usage,", f",{cell},") + "\n")
    engine, rows_ = run_both(tmp_path, monkeypatch, f)
    assert engine == rows_ == ("error", f"{f}: row 2: column ChargeCategory: {what}; expected "
                               "one of Usage, Purchase, Tax, Credit, Adjustment (FOCUS requires "
                               "a value in every row)")
