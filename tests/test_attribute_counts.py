"""The baseline from call counts: `attribute --bill F --counts C`, CloudWatch JSON,
`--bill` alone, and the bundled first exercise (examples/sentiment-bert-measured)."""

from __future__ import annotations

import importlib.util
import json
from decimal import Decimal

import pandas as pd

from tests.conftest import EXAMPLES

BILL = ("BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargePeriodStart,"
        "ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,ResourceId,ServiceCategory\n"
        "2.5,2.5,USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,2026-10-01 00:00:00,"
        "2026-11-01 00:00:00,i-1,Compute\n"
        "0.2,0.2,USD,Tax,2026-10-01 00:00:00,2026-11-01 00:00:00,2026-10-01 00:00:00,"
        "2026-11-01 00:00:00,,Other\n")
HEAD = "period_start,period_s,resource_id,endpoint,model,model_version,requests"


def _run(cli, tmp_path, counts_text, *extra, name="counts.csv"):
    (tmp_path / "bill.csv").write_text(BILL)
    (tmp_path / name).write_text(counts_text)
    code, out, err = cli("attribute", "--bill", tmp_path / "bill.csv", "--counts",
                         tmp_path / name, "--out", tmp_path / "o", "--json", *extra)
    return code, (json.loads(out) if code == 0 else None), err


def test_counts_with_latency_leave_the_uncovered_instance_time_idle(cli, tmp_path):
    code, s, err = _run(cli, tmp_path, HEAD + ",mean_latency_ms\n"
                        "2026-10-01 00:00:00,3600,i-1,sentiment,bert,1,3600,100\n")
    assert code == 0, err
    # busy = 3600 requests x 100 ms = 360,000 ms of the 3,600,000 ms hour: 10%
    # allocated = 2.5 x 0.1 = 0.25; idle = 2.25; the tax is shared
    t = s["totals"]
    assert (t["allocated"], t["idle"], t["shared"]) == ("0.25", "2.25", "0.2")
    assert s["driver"] == "capacity" and s["unit_costs"]["requests"] == 3600
    assert s["unit_costs"]["cost_per_request"] == "0.0000694444"  # 0.25 / 3600
    alloc = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str)
    row = alloc[alloc["kind"] == "allocated"].iloc[0]
    assert (row["endpoint"], row["model_version"], row["period"]) == ("sentiment", "1",
                                                                      "2026-10-01")


def test_a_daily_period_is_spread_over_its_hours(cli, tmp_path):
    # 2400 requests over 24 h: 100 per hour; only hour 0 is billed, so 100 are allocated
    # and 2300 have no bill row (counted, never priced)
    code, s, err = _run(cli, tmp_path, HEAD + "\n"
                        "2026-10-01 00:00:00,86400,i-1,sentiment,bert,1,2400\n")
    assert code == 0, err
    assert s["driver"] == "requests"  # no latency: split by request count
    assert s["rows"]["usage_allocated"] == 100
    assert s["rows"]["usage_without_bill_row"] == 2300
    assert s["totals"]["allocated"] == "2.5"  # all of hour 0 to its 100 requests


def test_concurrency_beyond_the_hour_clamps_idle_at_zero_with_a_note(cli, tmp_path):
    # 7200 requests x 1000 ms = 2 h of busy time in one instance-hour
    code, s, err = _run(cli, tmp_path, HEAD + ",mean_latency_ms\n"
                        "2026-10-01 00:00:00,3600,i-1,sentiment,bert,1,7200,1000\n")
    assert code == 0, err
    assert s["totals"]["idle"] == "0" and s["totals"]["allocated"] == "2.5"
    assert any("exceeds the declared capacity" in n for n in s["notes"])


def test_cloudwatch_get_metric_data_json(cli, tmp_path):
    doc = {"MetricDataResults": [
        {"Id": "m1", "Label": "Invocations", "StatusCode": "Complete",
         "Timestamps": ["2026-10-01T00:00:00+00:00"], "Values": [1800.0]},
        {"Id": "m2", "Label": "ModelLatency", "StatusCode": "Complete",
         "Timestamps": ["2026-10-01T00:00:00+00:00"], "Values": [50000.0]},  # µs
    ], "Messages": []}
    code, s, err = _run(cli, tmp_path, json.dumps(doc, indent=2), "--counts-resource", "i-1",
                        "--counts-period", "3600", name="cw.json")
    assert code == 0, err
    # 1800 x 50 ms = 90,000 ms = 2.5% of the hour: 2.5 x 0.025 = 0.0625
    assert s["totals"]["allocated"] == "0.0625" and s["totals"]["idle"] == "2.4375"


def test_cloudwatch_without_a_resource_exits_2(cli, tmp_path):
    doc = {"MetricDataResults": [{"Label": "Invocations", "Timestamps": [], "Values": []}]}
    code, _, err = _run(cli, tmp_path, json.dumps(doc), "--counts-period", "3600",
                        name="cw.json")
    assert code == 2 and "--counts-resource" in err and len(err.strip().splitlines()) == 1


def test_counts_missing_requests_column_exits_2(cli, tmp_path):
    code, _, err = _run(cli, tmp_path, "period_start,period_s,resource_id\n"
                        "2026-10-01 00:00:00,3600,i-1\n")
    assert code == 2 and "missing required column requests" in err


def test_negative_requests_name_the_row(cli, tmp_path):
    code, _, err = _run(cli, tmp_path, HEAD + "\n2026-10-01 00:00:00,3600,i-1,e,m,1,-4\n")
    assert code == 2 and "row 1" in err and "column requests" in err


def test_bill_alone_is_the_bills_own_breakdown(cli, tmp_path):
    (tmp_path / "bill.csv").write_text(BILL)
    code, out, err = cli("attribute", "--bill", tmp_path / "bill.csv", "--out", tmp_path / "o",
                         "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["totals"]["shared"] == "2.7" and s["totals"]["allocated"] == "0"
    assert [x["cost"] for x in s["by_service"]] == ["2.5", "0.2"]
    assert s["top_resources"] == [{"resource_id": "i-1", "cost": "2.5", "fleet": False}]


def _example_module():
    spec = importlib.util.spec_from_file_location(
        "gen_bert", EXAMPLES / "sentiment-bert-measured" / "generate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_bundled_example_is_deterministic(tmp_path):
    bill, counts = _example_module().write(tmp_path)
    ex = EXAMPLES / "sentiment-bert-measured"
    assert bill.read_bytes() == (ex / "bill.csv").read_bytes()
    assert counts.read_bytes() == (ex / "counts.csv").read_bytes()


def test_the_bundled_example_end_to_end(cli, tmp_path):
    ex = EXAMPLES / "sentiment-bert-measured"
    code, out, err = cli("attribute", "--bill", ex / "bill.csv", "--counts", ex / "counts.csv",
                         "--out", tmp_path / "o")
    assert code == 0, err
    assert "conservation holds (exact)" in out and "drivers: instance time (fleet)" in out
    code, out, _ = cli("attribute", "--bill", ex / "bill.csv", "--counts", ex / "counts.csv",
                       "--out", tmp_path / "o2", "--json")
    s = json.loads(out)
    counts = pd.read_csv(ex / "counts.csv")
    n = int(counts["requests"].sum())
    # the bill: 744 h x 1.408 = 1047.552, storage 2.80, CloudWatch 4.35, transfer 0.27,
    # tax 6% of 1054.972 = 63.30: 1118.272
    assert s["totals"]["bill"] == "1118.272"
    assert s["unit_costs"]["requests"] == n
    assert Decimal(s["unit_costs"]["bill_per_request"]) == (Decimal("1118.272") / n).quantize(
        Decimal("1e-10"))
    # instance time dominates, and most of it is idle (office-hours traffic, 1 instance)
    assert s["drivers"][0]["driver"] == "instance time (fleet)"
    assert Decimal(s["idle_share"]) > Decimal("0.9")


def test_pay_per_token_charges_have_no_idle():
    from tests.attribution_helpers import attribute_rows, focus_row, usage_row

    # $24 of Bedrock tokens for one day; requests in hours 1 and 5 only
    bill = [focus_row("24", "bedrock/claude", start=0, hours=24, PricingUnit="1K tokens",
                      ServiceName="Amazon Bedrock", service="AI and Machine Learning")]
    usage = [usage_row("a", "bedrock/claude", 1.1, 1000, tin=150, tout=50),
             usage_row("b", "bedrock/claude", 1.2, 10, tin=80, tout=20),
             usage_row("c", "bedrock/claude", 5.5, 500, tin=90, tout=10)]
    res, req = attribute_rows(bill, usage, with_requests=True)
    t = res.summary["totals"]
    assert t["idle"] == 0 and t["allocated"] == Decimal("24")
    # by tokens over the day: 200 + 100 + 100 = 400 tokens; $24 x 200/400 = 12 to a,
    # 6 to b (not by duration_ms, although the driver is duration_ms), 6 to c
    got = dict(zip(req["request_id"], req["cost"], strict=True))
    assert (got["a"], got["b"], got["c"]) == (Decimal(12), Decimal(6), Decimal(6))
    assert any("pay-per-token" in n for n in res.summary["notes"])


def test_per_token_rule_names_a_service():
    from tests.attribution_helpers import attribute_rows, focus_row, usage_row

    bill = [focus_row("10", "proxy", start=0, hours=10, ServiceName="LiteLLM")]
    usage = [usage_row("a", "proxy", 2.5, 100, tin=30, tout=10)]
    res = attribute_rows(bill, usage, {"per_token": ["LiteLLM"]})
    assert res.summary["totals"]["idle"] == 0  # without the rule: 9 of 10 hours idle
    res2 = attribute_rows(bill, usage)
    assert res2.summary["totals"]["idle"] == Decimal("9")


def test_cloudwatch_timestamps_closer_than_the_period_exit_2(cli, tmp_path):
    """One value per Period: 60 s datapoints read with --counts-period 3600 would each be
    taken as a whole hour. Across two pages too; spaced exactly a period apart is fine."""
    def doc(*stamps):
        return json.dumps({"MetricDataResults": [
            {"Id": "m1", "Label": "Invocations", "StatusCode": "Complete",
             "Timestamps": list(stamps), "Values": [10.0] * len(stamps)}]})

    code, _, err = _run(cli, tmp_path, doc("2026-10-01T00:00:00Z", "2026-10-01T00:01:00Z"),
                        "--counts-resource", "i-1", "--counts-period", "3600", name="cw.json")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "60 s apart, less than --counts-period 3600 s" in err and "cw.json" in err
    code, s, err = _run(cli, tmp_path, doc("2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"),
                        "--counts-resource", "i-1", "--counts-period", "3600", name="cw2.json")
    assert code == 0, err
    # two pages whose periods overlap: named by the second page's file
    (tmp_path / "p1.json").write_text(doc("2026-10-01T00:00:00Z"))
    (tmp_path / "p2.json").write_text(doc("2026-10-01T00:30:00Z"))
    pages = ("--bill", tmp_path / "bill.csv", "--counts", tmp_path / "p1.json")
    code, out, err = cli("attribute", *pages, "--counts", tmp_path / "p2.json",
                         "--counts-resource", "i-1", "--counts-period", "3600",
                         "--out", tmp_path / "o")
    assert code == 2 and "1800 s apart" in err and "p2.json" in err, err
    # one flag before two files: the second is positional (a usage log); said so
    code, out, err = cli("attribute", *pages, tmp_path / "p2.json", "--counts-resource", "i-1",
                         "--counts-period", "3600", "--out", tmp_path / "o")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "one file per --counts" in err and f"--counts {tmp_path / 'p2.json'}" in err


def test_a_counts_period_that_is_no_number_is_echoed_with_the_flag(cli, tmp_path):
    code, _, err = _run(cli, tmp_path, HEAD + "\n2026-10-01 00:00:00,3600,i-1,e,m,1,5\n",
                        "--counts-period", "abc")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.strip() == ("error: --counts-period: expected a positive number of seconds, "
                           "got 'abc'"), err
