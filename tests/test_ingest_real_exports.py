"""Real exports as they come: each kind that failed once, as a small input."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from infercost.allocation.steps import ZERO_WEIGHT
from infercost.errors import InputError
from infercost.ingest.backends import connect
from infercost.ingest.bill import read_bill
from infercost.ingest.usage import read_usage
from tests.attribution_helpers import D, alloc, attribute_rows, focus_row, usage_row

HEADER = ("BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargePeriodStart,"
          "ChargePeriodEnd,ResourceId,ServiceCategory\n")


@pytest.fixture(scope="module")
def con():
    return connect("duckdb")


def test_bom_at_the_start_of_a_data_row_is_whitespace(tmp_path):
    # two exports concatenated: the second file's BOM starts a data row
    p = tmp_path / "bill.csv"
    p.write_bytes(("\ufeff" + HEADER
                   + "1.5,1.5,USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,i-1,Compute\n"
                   + "\ufeff2.25,\ufeff2.25,\ufeffUSD,Usage,2026-10-01 01:00:00,"
                   "2026-10-01 02:00:00,\ufeffi-1,Compute\n").encode())
    b = read_bill(p)
    assert list(b.rows["effective_cost"]) == [D("1.5"), D("2.25")]
    assert list(b.rows["resource_id"]) == ["i-1", "i-1"]  # the same resource
    assert b.currencies == ["USD"]


def test_bom_in_usage_rows(tmp_path, con):
    p = tmp_path / "u.csv"
    p.write_bytes(("timestamp,request_id,resource_id,duration_ms\n"
                   "2026-10-01 00:10:00,a,i-1,10\n"
                   "\ufeff2026-10-01 00:20:00,b,\ufeffi-1,\ufeff20\n").encode())
    df = con.execute(read_usage(con, p).table.order_by("request_id"))
    assert list(df["duration_ms"]) == [10.0, 20.0]
    assert list(df["resource_id"]) == ["i-1", "i-1"]
    assert str(df["timestamp"].iloc[1]) == "2026-10-01 00:20:00"


def _gcp_record(cost, credit=None):
    return {"billing_account_id": "X", "service": {"id": "6F81", "description": "Compute Engine"},
            "sku": {"id": "GPU", "description": "Nvidia L4 GPU"},
            "usage_start_time": "2026-10-05T00:00:00Z", "usage_end_time": "2026-10-05T01:00:00Z",
            "resource": {"name": "node-1", "global_name": "//compute/node-1"},
            "cost": cost, "currency": "USD", "cost_type": "regular",
            "invoice": {"month": "202610"},
            "credits": [] if credit is None else [{"name": "SUD", "amount": credit,
                                                   "type": "SUSTAINED_USAGE_DISCOUNT"}]}


def test_folder_of_gcp_json_gz_shards(tmp_path):
    d = tmp_path / "export"
    d.mkdir()
    for i, recs in enumerate([[_gcp_record(2.5, -0.5)], [_gcp_record(1.25)]]):
        with gzip.open(d / f"{i:012d}.json.gz", "wt") as fh:
            fh.write("\n".join(json.dumps(r) for r in recs) + "\n")
    b = read_bill(d)
    assert b.format == "gcp" and len(b.sources) == 2
    # 2.5 - 0.5 (the credit is its own row) + 1.25 = 3.25
    assert sum(b.rows["effective_cost"], Decimal(0)) == D("3.25")


def test_gcp_invoice_month_is_us_pacific(tmp_path):
    p = tmp_path / "g.jsonl"
    rec = _gcp_record(1)
    rec["invoice"] = {"month": "202601"}  # January: PST, UTC-8
    p.write_text(json.dumps(rec) + "\n")
    r = read_bill(p).rows
    assert str(r["billing_start"].iloc[0]) == "2026-01-01 08:00:00"
    assert str(r["billing_end"].iloc[0]) == "2026-02-01 08:00:00"


def _focus_parquet(path, category_values):
    n = len(category_values)
    t = pa.table({
        "BilledCost": pa.array([Decimal("1.00")] * n, pa.decimal128(18, 2)),
        "EffectiveCost": pa.array([Decimal("1.00")] * n, pa.decimal128(18, 2)),
        "BillingCurrency": ["USD"] * n, "ChargeCategory": ["Usage"] * n,
        "ChargePeriodStart": ["2026-10-01T00:00:00Z"] * n,
        "ChargePeriodEnd": ["2026-10-01T01:00:00Z"] * n,
        "ServiceCategory": category_values,
    })
    pq.write_table(t, path)


def test_list_valued_service_category_is_joined(tmp_path):
    p = tmp_path / "focus.parquet"
    _focus_parquet(p, [["AI and Machine Learning", "Compute"], ["Storage"], None])
    r = read_bill(p).rows
    assert list(r["service_category"]) == ["AI and Machine Learning, Compute", "Storage", None]


def test_map_valued_text_column_names_the_column(tmp_path):
    p = tmp_path / "focus.parquet"
    _focus_parquet(p, pa.array([[("a", "b")]], pa.map_(pa.string(), pa.string())))
    with pytest.raises(InputError) as e:
        read_bill(p)
    assert "column ServiceCategory" in str(e.value) and "row 1" in str(e.value)


def _otlp(spans, resource=None):
    return {"resourceSpans": [{"resource": {"attributes": resource or [
        {"key": "host.name", "value": {"stringValue": "gpu-1"}}]},
        "scopeSpans": [{"scope": {"name": "vllm"}, "spans": spans}]}]}


def _span(i, attrs, start_s=600, dur_ms=250):
    t0 = 1790812800 * 10**9 + start_s * 10**9  # 2026-10-01 00:00:00 UTC + start_s
    return {"traceId": f"t{i}", "spanId": f"s{i}", "name": "llm_request",
            "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + dur_ms * 10**6),
            "attributes": [{"key": k, "value": {"intValue": str(v)} if isinstance(v, int)
                            else {"stringValue": v}} for k, v in attrs.items()]}


VLLM = {"gen_ai.response.model": "llama", "gen_ai.request.id": "cmpl-1",
        "gen_ai.usage.prompt_tokens": 100, "gen_ai.usage.completion_tokens": 20}


@pytest.mark.parametrize("names", [
    ("gen_ai.usage.prompt_tokens", "gen_ai.usage.completion_tokens"),  # vLLM, deprecated
    ("gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"),  # current semconv
    ("llm.usage.prompt_tokens", "llm.usage.completion_tokens"),  # OpenLLMetry
    ("llm.token_count.prompt", "llm.token_count.completion"),  # OpenInference
])
def test_every_published_token_attribute_name(tmp_path, con, names):
    p = tmp_path / "spans.json"
    attrs = {"gen_ai.response.model": "llama", "gen_ai.request.id": "cmpl-1",
             names[0]: 100, names[1]: 20}
    p.write_text(json.dumps(_otlp([_span(1, attrs)])) + "\n")
    df = con.execute(read_usage(con, p).table)
    assert (df["input_tokens"].iloc[0], df["output_tokens"].iloc[0]) == (100, 20)
    assert df["request_id"].iloc[0] == "cmpl-1" and df["resource_id"].iloc[0] == "gpu-1"


def test_pretty_printed_otlp_and_arrays_of_documents(tmp_path, con):
    doc = _otlp([_span(1, VLLM), _span(2, {**VLLM, "gen_ai.request.id": "cmpl-2"})])
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(doc, indent=2))
    arr = tmp_path / "array.json"
    arr.write_text(json.dumps([doc], indent=1))
    for p in (pretty, arr):
        u = read_usage(con, p)
        assert u.kinds == ["otel"]
        assert sorted(con.execute(u.table)["request_id"]) == ["cmpl-1", "cmpl-2"]


def test_json_array_of_requests(tmp_path, con):
    p = tmp_path / "requests.json"
    p.write_text(json.dumps([
        {"timestamp": "2026-10-01T00:10:00Z", "request_id": "a", "resource_id": "i-1",
         "duration_ms": 12.5, "input_tokens": 3},
        {"timestamp": "2026-10-01T00:20:00Z", "request_id": "b", "resource_id": "i-1",
         "duration_ms": 7},
    ], indent=2))
    df = con.execute(read_usage(con, p).table.order_by("request_id"))
    assert list(df["duration_ms"]) == [12.5, 7.0]
    assert df["input_tokens"].iloc[0] == 3 and pd.isna(df["input_tokens"].iloc[1])


def test_zero_weight_requests_have_their_own_reason():
    # driver tokens: request b has a bill row but no tokens; it is not "no bill row"
    res = attribute_rows(
        [focus_row("10", "i-1", start=0, hours=1)],
        [usage_row("a", "i-1", 0.1, 100, tin=30, tout=10),
         usage_row("b", "i-1", 0.2, 100, tin=0, tout=0)],
        {"driver": "tokens"})
    rows = res.summary["rows"]
    assert rows["usage_zero_weight"] == 1 and rows["usage_without_bill_row"] == 0
    assert alloc(res, kind="allocated") == D("10")  # all of the hour to request a
    t = res.allocations
    assert list(t.loc[t["detail"] == ZERO_WEIGHT, "requests"]) == [1]


def test_azure_resource_ids_match_whatever_their_case():
    rid_bill = "/subscriptions/AB12/resourceGroups/ML/providers/Microsoft.Compute/virtualMachines/GPU-VM1"
    res = attribute_rows([focus_row("8", rid_bill, provider="Microsoft")],
                         [usage_row("a", rid_bill.lower(), 0.5, 100)])
    assert res.summary["totals"]["allocated"] == D("8")
    assert res.summary["totals"]["shared"] == 0


def test_other_providers_ids_stay_case_sensitive():
    res = attribute_rows([focus_row("8", "i-ABC")], [usage_row("a", "i-abc", 0.5, 100)])
    assert res.summary["totals"]["allocated"] == 0  # i-abc is another instance


def test_focus_preview_charge_subcategory():
    rows = [focus_row("5", "i-1", ChargeSubcategory="On-Demand"),
            focus_row("3", "i-1", ChargeSubcategory="Used Commitment"),
            focus_row("2", None, ChargeSubcategory="Unused Commitment"),
            focus_row("-1", None, category="Adjustment", ChargeSubcategory="Refund"),
            focus_row("-0.5", None, category="Adjustment", ChargeSubcategory="Credit")]
    for r in rows:  # FOCUS 0.5 spells ChargeCategory "ChargeType"
        r["ChargeType"] = r.pop("ChargeCategory")
    res = attribute_rows(rows, [usage_row("a", "i-1", 0.5, 100)])
    ch = res.summary["charges"]
    assert set(ch) == {"usage", "commitment_used", "commitment_unused", "refund", "credit"}
    assert ch["refund"]["effective_cost"] == D("-1") and ch["credit"]["rows"] == 1
    # money stays exact: 5 + 3 + 2 - 1 - 0.5 = 8.5
    assert res.summary["totals"]["bill"] == D("8.5")


def test_effective_cost_missing_falls_back_to_billed_with_a_note(tmp_path):
    p = tmp_path / "bill.csv"
    p.write_text(HEADER
                 + "4,NULL,USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,i-1,Compute\n"
                 + "1,,USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,i-2,Compute\n"
                 + "0,,USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,i-3,Compute\n"
                 + "2,1.5,USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,i-4,Compute\n")
    b = read_bill(p)
    # 4 + 1 taken from BilledCost, 0 stays 0, 1.5 as given: 6.5
    assert sum(b.rows["effective_cost"], Decimal(0)) == D("6.5")
    assert any("2 rows with a non-zero BilledCost and no EffectiveCost" in n for n in b.notes)


def test_empty_billing_currency_takes_the_files_one_currency_with_a_note(tmp_path):
    p = tmp_path / "bill.csv"
    p.write_text(HEADER
                 + "4,4,EUR,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,i-1,Compute\n"
                 + "1,1,,Tax,2026-10-01 00:00:00,2026-10-01 01:00:00,,Other\n")
    b = read_bill(p)
    assert b.currencies == ["EUR"]
    assert any("1 row with an empty BillingCurrency (first: row 2) taken as EUR" in n
               for n in b.notes)


def test_negative_tokens_are_rejected_not_subtracted():
    res = attribute_rows([focus_row("6", "i-1")],
                         [usage_row("a", "i-1", 0.1, 100, tin=10, tout=5),
                          usage_row("b", "i-1", 0.2, 100, tin=-50, tout=5)])
    rows = res.summary["rows"]
    assert rows["usage_rejected_by_reason"] == {"rejected: negative tokens": 1}
    assert res.summary["unit_costs"]["tokens"] == 15  # only request a's 10 + 5
    assert alloc(res, kind="allocated") == D("6")


def test_non_finite_and_huge_durations_are_rejected():
    res = attribute_rows([focus_row("6", "i-1")],
                         [usage_row("a", "i-1", 0.1, 100),
                          usage_row("b", "i-1", 0.2, float("inf")),
                          usage_row("d", "i-1", 0.4, 1e300)])
    # (a NaN from pandas arrives as null; the CSV text "NaN" is in tests/data/bad/ingest)
    rows = res.summary["rows"]
    assert rows["usage_rejected_by_reason"] == {
        "rejected: duration_ms not finite or over 1e9 ms": 2}
    assert alloc(res, kind="allocated") == D("6")


def test_tagged_volume_of_a_fleet_node_is_storage_not_instance_time():
    bill = [focus_row("10", "i-1", tags={"team": "ml"}),
            focus_row("2", "vol-1", service="Storage", tags={"team": "ml"})]
    res = attribute_rows(bill, [usage_row("a", "i-1", 0.5, 100)],
                         {"fleet": {"tags": {"team": "ml"}}})
    drivers = {d["driver"]: d["cost"] for d in res.summary["drivers"]}
    assert drivers == {"instance time (fleet)": D("10"), "storage (fleet)": D("2")}


def test_cur_service_categories_as_awss_focus_export_names_them():
    from infercost.ingest.cur import service_category

    assert service_category("awskms", "USE1-KMS-Requests") == "Identity"
    assert service_category("awswaf", "USE1-WebACL") == "Security"
    assert service_category("AmazonEC2", "USE1-EBS:VolumeUsage.gp3") == "Storage"
    assert service_category("AmazonEC2", "USE1-BoxUsage:g5.xlarge") == "Compute"
    assert service_category("SomethingNew", None) == "Other"


def test_spark_backend_without_the_extra_names_it(monkeypatch):
    import sys

    import infercost.ingest.backends as backends

    monkeypatch.setattr(backends, "_SPARK", None)
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(InputError) as e:
        backends.connect("spark")
    assert "pip install 'infercost[spark]'" in str(e.value)
