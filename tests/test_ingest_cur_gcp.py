"""AWS CUR 2.0 and the GCP billing export, mapped onto FOCUS columns."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from infercost.errors import InputError
from infercost.ingest import read_bill


def _cur_rows():
    base = {
        "bill_billing_period_start_date": "2026-10-01T00:00:00Z",
        "bill_billing_period_end_date": "2026-11-01T00:00:00Z",
        "line_item_usage_start_date": "2026-10-01T00:00:00Z",
        "line_item_usage_end_date": "2026-10-01T01:00:00Z",
        "line_item_currency_code": "USD",
        "line_item_product_code": "AmazonEC2",
        "line_item_usage_type": "BoxUsage:p5.48xlarge",
        "line_item_resource_id": "i-1",
    }
    return [
        {**base, "identity_line_item_id": "a", "line_item_line_item_type": "Usage",
         "line_item_unblended_cost": "98.32", "line_item_net_unblended_cost": "90.00"},
        {**base, "identity_line_item_id": "b",
         "line_item_line_item_type": "SavingsPlanCoveredUsage",
         "line_item_unblended_cost": "98.32", "savings_plan_savings_plan_effective_cost": "70.79"},
        {**base, "identity_line_item_id": "c", "line_item_line_item_type": "SavingsPlanNegation",
         "line_item_unblended_cost": "-98.32"},
        {**base, "identity_line_item_id": "d", "line_item_line_item_type": "Tax",
         "line_item_unblended_cost": "5.00", "line_item_resource_id": None},
        {**base, "identity_line_item_id": "e", "line_item_line_item_type": "Refund",
         "line_item_unblended_cost": "-7.00", "line_item_resource_id": None},
        {**base, "identity_line_item_id": "f",
         "line_item_line_item_type": "SavingsPlanRecurringFee",
         "line_item_unblended_cost": "1000", "savings_plan_total_commitment_to_date": "1000",
         "savings_plan_used_commitment": "940", "line_item_resource_id": None},
        {**base, "identity_line_item_id": "g", "line_item_line_item_type": "Usage",
         "line_item_product_code": "AmazonS3", "line_item_unblended_cost": "0.0000001234",
         "line_item_resource_id": "bucket"},
    ]


@pytest.mark.parametrize("ext", ["parquet", "csv"])
def test_cur2_maps_to_focus(tmp_path, ext):
    rows = _cur_rows()
    p = tmp_path / f"cur.{ext}"
    if ext == "parquet":
        t = pa.Table.from_pandas(pd.DataFrame(rows), preserve_index=False)
        tags = pa.array([[("user_team", "ml")]] * len(rows), pa.map_(pa.string(), pa.string()))
        pq.write_table(t.append_column("resource_tags", tags), p)
    else:
        pd.DataFrame(rows).to_csv(p, index=False)
    bill = read_bill(p)
    assert bill.format == "cur"
    r = bill.rows
    assert list(r["label"]) == ["usage", "commitment_used", "commitment_negation", "tax",
                                "refund", "commitment_unused", "usage"]
    assert list(r["charge_category"]) == ["Usage", "Usage", "Usage", "Tax", "Credit",
                                          "Purchase", "Usage"]
    assert r["billed_cost"].sum() == Decimal("1096.3200001234")
    assert list(r["effective_cost"]) == [Decimal("90.00"), Decimal("70.79"), 0, Decimal("5.00"),
                                         Decimal("-7.00"), Decimal(60), Decimal("0.0000001234")]
    assert list(r["service_category"][:1]) == ["Compute"] and r["service_category"].iloc[-1] == "Storage"
    if ext == "parquet":
        assert r["tags"].iloc[0] == {"user_team": "ml"}


def test_cur_missing_columns(tmp_path):
    p = tmp_path / "cur.csv"
    pd.DataFrame([{"line_item_unblended_cost": "1", "line_item_resource_id": "x"}]).to_csv(p, index=False)
    with pytest.raises(InputError) as e:
        read_bill(p)
    assert "line_item_currency_code" in str(e.value)


def _gcp_records():
    return [
        {"billing_account_id": "0001", "service": {"id": "6F81", "description": "Compute Engine"},
         "sku": {"id": "A100", "description": "A100 GPU"},
         "usage_start_time": "2026-10-01T00:00:00Z", "usage_end_time": "2026-10-01T01:00:00Z",
         "labels": [{"key": "team", "value": "ml"}], "cost": 2.934, "currency": "USD",
         "cost_type": "regular", "invoice": {"month": "202610"},
         "resource": {"name": "gpu-node-1", "global_name": "//compute/gpu-node-1"},
         "credits": [{"name": "CUD", "amount": -0.9, "type": "COMMITTED_USAGE_DISCOUNT"},
                     {"name": "Free", "amount": -0.034, "type": "PROMOTION"}]},
        {"billing_account_id": "0001", "service": {"id": "T", "description": "Invoice"},
         "sku": {"id": "TAX"}, "usage_start_time": "2026-10-01T00:00:00Z",
         "usage_end_time": "2026-11-01T00:00:00Z", "cost": 0.5, "currency": "USD",
         "cost_type": "tax", "invoice": {"month": "202610"}, "credits": []},
    ]


def test_gcp_json_export_keeps_credits_as_rows(tmp_path):
    p = tmp_path / "gcp.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in _gcp_records()) + "\n")
    bill = read_bill(p)
    r = bill.rows
    assert bill.format == "gcp"
    assert list(r["label"]) == ["usage", "commitment_used", "credit", "tax"]
    assert r["resource_id"].iloc[0] == "//compute/gpu-node-1"
    # net cost = cost + sum of credits, exactly (floats read through their repr)
    assert r["effective_cost"].sum() == Decimal("2.934") - Decimal("0.934") + Decimal("0.5")
    assert r["tags"].iloc[0] == {"team": "ml"}
    # invoice month 202610 starts at midnight US Pacific (PDT, UTC-7) = 07:00 UTC
    assert str(r["billing_start"].iloc[0]) == "2026-10-01 07:00:00"
    assert str(r["billing_end"].iloc[0]) == "2026-11-01 07:00:00"  # still PDT at 00:00 local


def test_gcp_csv_export_with_dotted_columns(tmp_path):
    recs = _gcp_records()
    flat = []
    for rec in recs:
        flat.append({"service.description": rec["service"]["description"],
                     "sku.id": rec["sku"]["id"], "usage_start_time": rec["usage_start_time"],
                     "usage_end_time": rec["usage_end_time"], "cost": rec["cost"],
                     "currency": "USD", "cost_type": rec["cost_type"],
                     "invoice.month": "202610", "credits": json.dumps(rec["credits"])})
    p = tmp_path / "gcp.csv"
    pd.DataFrame(flat).to_csv(p, index=False)
    bill = read_bill(p)
    assert len(bill.rows) == 4
    assert bill.rows["effective_cost"].sum() == Decimal("2.5")
