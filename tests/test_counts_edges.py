"""Call counts at their edges (`attribute --bill F --counts C`): a blank mean latency on
some rows (idle not measured, said so), a `--counts-resource` or counts ResourceIds that
join no bill row, an extra per-row id column beside the labels, and the wording of the
row counts (counts rows read, requests allocated)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.attribution_helpers import focus_row

HEAD = "period_start,period_s,resource_id,endpoint,model,requests"
T = [f"2026-10-01T0{h}:00:00Z" for h in range(4)]


def _bill(tmp_path: Path, ids: tuple[str, ...] = ("i-1",), hours: int = 3) -> Path:
    """`hours` hours of 1.0 USD for each ResourceId, and a 0.2 USD tax row."""
    rows = [focus_row("1.0", rid, start=h) for rid in ids for h in range(hours)]
    rows.append(focus_row("0.2", None, category="Tax", service="Other", hours=24))
    p = tmp_path / "bill.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def _counts(tmp_path: Path, text: str, name: str = "counts.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _attribute(cli, *args) -> tuple[int, str, str]:
    return cli("attribute", *map(str, args))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _one_error(cli, *args) -> str:
    code, out, err = _attribute(cli, *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0][len("error: "):]


# ------------------------------------------------------------ a blank mean latency


def test_a_blank_latency_says_idle_not_measured_not_zero(cli, tmp_path):
    """One blank mean_latency_ms of three rows switches the driver to requests: the
    report said 'idle share of fleet cost 0.0%' and the breakdown '0% of paid
    accelerator time is idle', where idle is not measured."""
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                     f"{T[0]},3600,i-1,/a,m,100,20\n{T[1]},3600,i-1,/a,m,100,\n"
                     f"{T[2]},3600,i-1,/a,m,100,20\n")
    args = ("--bill", _bill(tmp_path), "--counts", counts)
    code, out, err = _attribute(cli, *args, "--out", tmp_path / "o")
    assert code == 0, err
    text = _flat(out)
    assert "idle share of fleet cost not measured" in text
    assert "idle share of fleet cost 0.0%" not in text
    said = [n for n in text.split("note: ")[1:] if "not measured" in n]
    assert len(said) == 1  # said once
    assert (f"mean_latency_ms is blank or NaN on 1 of 3 counts rows (first: {counts}: row 2)"
            in said[0])
    code, js, err = _attribute(cli, *args, "--out", tmp_path / "o2", "--json")
    s = json.loads(js)
    assert s["driver"] == "requests" and s["idle_share"] is None
    assert s["fleet"]["idle_share"] is None
    # the money is as before, exact: 3 hours of 1.0 to the requests, the tax shared
    assert (s["totals"]["allocated"], s["totals"]["idle"], s["totals"]["shared"]) == (
        "3", "0", "0.2")
    main = s["breakdowns"]["bill"]["main_driver"]
    assert "idle is not measured" in main and "0% of paid" not in main


def test_no_latency_at_all_says_idle_not_measured_naming_the_column(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,100\n{T[1]},3600,i-1,/a,m,50\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o")
    assert code == 0, err
    text = _flat(out)
    assert "idle share of fleet cost not measured" in text
    assert "no counts row has a mean_latency_ms (2 counts rows)" in text


def test_every_row_with_a_latency_prints_the_idle_share_as_before(cli, tmp_path):
    # 3 x (3600 requests x 100 ms = 10% of the hour): 0.3 allocated, 2.7 idle (90%)
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + "".join(
        f"{T[h]},3600,i-1,/a,m,3600,100\n" for h in range(3)))
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o")
    assert code == 0, err
    text = _flat(out)
    assert "idle share of fleet cost 90.0%" in text and "not measured" not in text
    assert ("note: counts: driver capacity (busy time = requests x mean latency against "
            "one instance-hour per resource-hour; the rest is idle)") in text


def test_a_cloudwatch_hour_without_model_latency_is_named_by_its_timestamp(cli, tmp_path):
    doc = {"MetricDataResults": [
        {"Id": "a", "Label": "Invocations", "Timestamps": T[:2], "Values": [10, 20]},
        {"Id": "b", "Label": "ModelLatency", "Timestamps": T[:1], "Values": [5000]}]}
    cw = _counts(tmp_path, json.dumps(doc), "cw.json")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", cw,
                                "--counts-resource", "i-1", "--counts-period", "3600",
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert any(f"mean_latency_ms is blank or NaN on 1 of 2 counts rows (first: {cw}: "
               "2026-10-01T01:00:00" in n for n in s["notes"]), s["notes"]


# ------------------------------------------------------------ ResourceIds that join nothing


def test_a_counts_resource_matching_no_bill_resource_exits_2(cli, tmp_path):
    """A typo in --counts-resource exited 0 with every request 'without a bill row'."""
    bill = _bill(tmp_path, ids=("endpoint/sentiment-prod", "endpoint/other", "vol-1"))
    counts = _counts(tmp_path, "period_start,period_s,requests\n" f"{T[0]},3600,10\n")
    line = _one_error(cli, "--bill", bill, "--counts", counts, "--counts-resource",
                      "endpoint/sentiment-prd", "--out", tmp_path / "o")
    assert line.startswith("--counts-resource: ")
    assert "'endpoint/sentiment-prd' matches no ResourceId in the bill" in line
    # the closest ResourceIds of the bill, closest first
    assert "closest: endpoint/sentiment-prod, endpoint/other" in line
    assert "expected" in line
    assert not (tmp_path / "o").exists()  # nothing written


def test_a_counts_file_whose_resource_ids_join_no_bill_row_is_noted(cli, tmp_path):
    """A counts file may cover an endpoint this bill does not: not refused, but its
    ResourceIds and the requests they carry are named (they were only a count of
    requests 'without a bill row')."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-9,/a,m,1000\n"
                     f"{T[1]},3600,i-8,/a,m,500\n{T[2]},3600,i-9,/a,m,1000\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["rows"]["usage_without_bill_row"] == 2500
    assert ("counts: 2 ResourceIds of the counts join no fleet bill row (compared exactly): "
            "i-8 (500 requests), i-9 (2,000 requests); their 2,500 requests are not "
            "allocated") in s["notes"]


def test_counts_resource_ids_that_all_join_the_bill_add_no_note(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if "join no fleet bill row" in n]


# ------------------------------------------------------------ an id column beside the labels


def test_the_same_period_twice_with_different_row_ids_is_refused(cli, tmp_path):
    """An extra `row_id` column (a different value on every row) joined the overlap key:
    every row read as distinct, and a doubled period was summed twice."""
    counts = _counts(tmp_path, HEAD + ",row_id\n"
                     f"{T[0]},3600,i-1,/a,m,10,r-1\n{T[1]},3600,i-1,/a,m,10,r-2\n"
                     f"{T[0]},3600,i-1,/a,m,10,r-3\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--out", tmp_path / "o")
    assert line == (f"{counts}: row 3: counts the same period as row 1 "
                    "(2026-10-01T00:00:00, 3600 s) for the same resource and labels; "
                    "expected each call counted once")


def test_the_same_period_in_two_files_with_different_uuids_is_refused(cli, tmp_path):
    rows = [f"{T[0]},3600,i-1,/a,m,10", f"{T[1]},3600,i-1,/a,m,10"]
    a = _counts(tmp_path, HEAD + ",request_uuid\n" + "".join(
        f"{r},7f3a-{i}\n" for i, r in enumerate(rows)), "a.csv")
    b = _counts(tmp_path, HEAD + ",request_uuid\n" + "".join(
        f"{r},c19e-{i}\n" for i, r in enumerate(rows)), "b.csv")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", a, "--counts", b,
                      "--out", tmp_path / "o")
    assert line.startswith(f"{b}: row 1: counts the same period as {a}: row 1")


def test_a_row_id_column_is_noted_as_an_id_and_distinct_periods_are_kept(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + ",row_id\n"
                     f"{T[0]},3600,i-1,/a,m,10,1\n{T[1]},3600,i-1,/a,m,20,2\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["rows"]["usage_allocated"] == 30
    assert ("counts: counts.csv: column row_id not read (a different value on every row "
            "of several periods: a row id, not a label); rows differing only there count "
            "the same calls twice") in s["notes"]


def test_a_variant_column_over_several_periods_is_still_summed(cli, tmp_path):
    """SageMaker variants recur period after period: a grouping, summed with the note."""
    counts = _counts(tmp_path, HEAD + ",variant_name\n"
                     f"{T[0]},3600,i-1,/a,m,10,AllTraffic\n{T[0]},3600,i-1,/a,m,5,Canary\n"
                     f"{T[1]},3600,i-1,/a,m,10,AllTraffic\n{T[1]},3600,i-1,/a,m,5,Canary\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["rows"]["usage_allocated"] == 30
    assert ("counts: counts.csv: column variant_name not read (the labels are endpoint, "
            "model, model_version, tenant): rows differing only there are summed"
            in s["notes"])


def test_the_overlap_key_leaves_out_only_per_row_ids():
    from infercost.ingest.counts import overlap_columns

    rows = pd.DataFrame({
        "period_start": pd.to_datetime([T[0], T[0], T[1], T[1]]),
        "row_id": ["a", "b", "c", "d"],           # distinct on every row: an id
        "variant": ["x", "y", "x", "y"],          # recurs: a grouping
        "region": ["eu", "eu", "eu", "eu"],       # one value: a grouping
    })
    assert overlap_columns(rows, ["row_id", "variant", "region"]) == (
        ["variant", "region"], ["row_id"])
    # one period: values distinct on every row could be variants (AllTraffic, Canary)
    one = rows.iloc[:2]
    assert overlap_columns(one, ["row_id", "variant", "region"]) == (
        ["row_id", "variant", "region"], [])


# ------------------------------------------------------------ wording of the row counts


def test_the_rows_line_counts_counts_rows_and_requests_apart(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,1500\n"
                     f"{T[1]},3600,i-1,/a,m,1000\n{T[0]},3600,i-7,/a,m,1200\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o")
    assert code == 0, err
    text = _flat(out)
    assert ("rows: bill 4; 3 counts rows read, 2,500 requests allocated, 0 rejected, "
            "0 outside the billing period, 1,200 without a bill row") in text
    assert "over 2,500 allocated requests)" in text
    assert "usage 3 read" not in text


def test_a_usage_log_keeps_its_rows_wording_with_separators(cli, tmp_path):
    log = _counts(tmp_path, "timestamp,request_id,resource_id,duration_ms\n"
                  "2026-10-01T00:10:00Z,a,i-1,100\n2026-10-01T01:10:00Z,b,i-1,300\n",
                  "usage.csv")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--usage", log,
                                "--out", tmp_path / "o")
    assert code == 0, err
    assert "rows: bill 4; usage 2 read, 2 allocated, 0 rejected" in _flat(out)


def test_cloudwatch_value_counts_in_notes_have_separators(tmp_path):
    from infercost.ingest.counts import read_counts

    stamps = [str(pd.Timestamp("2026-10-01") + pd.Timedelta(hours=h)) for h in range(1200)]
    doc = {"MetricDataResults": [{"Id": "a", "Label": "Invocations", "StatusCode": "Forbidden",
                                  "Timestamps": stamps, "Values": [1] * 1200}]}
    p = _counts(tmp_path, json.dumps(doc), "cw.json")
    notes = read_counts(p, resource="i-1", period_s=3600).notes
    assert any("its 1,200 values read as given" in n for n in notes), notes


# ------------------------------------------------------------ --counts-resource and
# --counts-period beside the file's own columns


def test_counts_resource_over_a_column_of_several_ids_is_refused(cli, tmp_path):
    """--counts-resource put every row of a file holding four endpoints on one of them,
    merging the other endpoints' requests into it, with only a note."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n{T[0]},3600,i-2,/b,m,20\n"
                     f"{T[0]},3600,i-3,/c,m,30\n{T[1]},3600,i-4,/d,m,40\n{T[1]},3600,i-1,/a,m,5\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--counts-resource", "i-1", "--out", tmp_path / "o")
    assert line.startswith(f"{counts}: ")
    assert ("column resource_id holds 4 distinct ResourceIds (i-1, i-2, i-3 and 1 more), "
            "and --counts-resource i-1 would put every row on it; ") in line
    assert "expected" in line and "i-4" not in line
    assert not (tmp_path / "o").exists()


def test_counts_resource_over_a_column_of_one_id_still_replaces_it(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-9,/a,m,10\n{T[1]},3600,,/a,m,20\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--counts-resource", "i-1", "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["rows"]["usage_allocated"] == 30
    assert ("counts: --counts-resource i-1 replaces the resource_id column of counts.csv"
            in s["notes"])


def test_counts_period_disagreeing_with_the_period_s_column_is_refused(cli, tmp_path):
    """--counts-period was silently taken over the file's own period_s (hourly rows read
    as minutes)."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n{T[1]},3600,i-1,/a,m,20\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--counts-period", "60", "--out", tmp_path / "o")
    assert line == (f"{counts}: row 1: column period_s: 3600 s, but --counts-period says "
                    "60 s; expected them to agree (or no --counts-period: the column gives "
                    "each row's period)")
    assert not (tmp_path / "o").exists()


def test_counts_period_agreeing_with_the_column_fills_its_blanks(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n{T[1]},,i-1,/a,m,20\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--counts-period", "3600", "--out", tmp_path / "o", "--json")
    assert code == 0, err
    assert json.loads(out)["rows"]["usage_allocated"] == 30


# ------------------------------------------------------------ an endpoint without calls


def _allocations(folder: Path) -> str:
    return (folder / "allocations.csv").read_text()


def test_an_endpoint_without_calls_is_in_the_fleet_and_all_idle(cli, tmp_path):
    """Counts of 0 on every row were dropped: '0 counts rows read', 'the counts file holds
    no rows', and the endpoint's whole cost shared instead of idle."""
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + "".join(
        f"{T[h]},3600,i-1,/a,m,0,20\n" for h in range(3)))
    args = ("--bill", _bill(tmp_path), "--counts", counts)
    code, out, err = _attribute(cli, *args, "--out", tmp_path / "o")
    assert code == 0, err
    text = _flat(out)
    assert "3 counts rows read, 0 requests allocated" in text
    assert "idle share of fleet cost 100.0%" in text
    assert "holds no rows" not in text
    code, js, err = _attribute(cli, *args, "--out", tmp_path / "o2", "--json")
    s = json.loads(js)
    assert (s["totals"]["allocated"], s["totals"]["idle"], s["totals"]["shared"]) == (
        "0", "3", "0.2")
    assert s["rows"]["counts_read"] == 3
    assert s["fleet"]["resources"] == 1 and s["fleet"]["resource_hours_with_requests"] == 0
    assert s["rules"]["fleet"]["resource_ids"] == []  # (the rules as given)
    assert ("counts: ResourceId i-1 has no call in its 3 counts rows: it is in the fleet "
            "by its ResourceId, and its billed hours, without a request, are idle"
            ) in s["notes"]
    alloc = pd.read_csv(tmp_path / "o2" / "allocations.csv", dtype=str)
    assert set(alloc["kind"]) == {"idle", "shared"}  # no row of 0 requests


def test_an_endpoint_without_calls_outside_the_bill_is_named(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n{T[0]},3600,i-5,/b,m,0\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert ("counts: ResourceId i-5 of the counts joins no fleet bill row (compared "
            "exactly): its 0 requests are not allocated") in s["notes"]
    assert not [n for n in s["notes"] if "fleet resource_ids" in n]
    assert s["fleet"]["resources"] == 1


def test_zero_hours_beside_calls_change_no_output(cli, tmp_path):
    """Hours of 0 calls on an endpoint that has calls add nothing (no row, no figure)."""
    bill = _bill(tmp_path)
    busy = [f"{T[0]},3600,i-1,/a,m,10,20\n", f"{T[2]},3600,i-1,/a,m,30,20\n"]
    with_zero = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + busy[0]
                        + f"{T[1]},3600,i-1,/a,m,0,20\n" + busy[1], "z.csv")
    without = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + "".join(busy), "n.csv")
    for c, o in ((with_zero, "oz"), (without, "on")):
        code, _, err = _attribute(cli, "--bill", bill, "--counts", c, "--out", tmp_path / o)
        assert code == 0, err
    assert _allocations(tmp_path / "oz") == _allocations(tmp_path / "on")
    sz, sn = (json.loads((tmp_path / o / "summary.json").read_text()) for o in ("oz", "on"))
    assert sz["totals"] == sn["totals"] and sz["fleet"] == sn["fleet"]
    assert (sz["rows"]["counts_read"], sn["rows"]["counts_read"]) == (3, 2)


def test_the_rows_line_counts_counts_rows_not_clock_hours(cli, tmp_path):
    """A daily counts row is spread over 24 hourly usage rows: the report said '24 counts
    rows read'."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},86400,i-1,/a,m,2400\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o")
    assert code == 0, err
    assert "rows: bill 4; 1 counts row read, 300 requests allocated" in _flat(out)


# ------------------------------------------------------------ notes under a driver the
# rules set


def _rules(tmp_path: Path, driver: str) -> Path:
    p = tmp_path / "rules.yaml"
    p.write_text(f"driver: {driver}\n")
    return p


def test_rules_capacity_with_a_blank_latency_says_its_requests_are_rejected(cli, tmp_path):
    """Under `driver: capacity` in the rules the note said 'cost is split by request count
    and idle is not measured', where idle was measured and the row's requests
    rejected."""
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                     f"{T[0]},3600,i-1,/a,m,100,20\n{T[1]},3600,i-1,/a,m,197,\n"
                     f"{T[2]},3600,i-1,/a,m,100,20\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--rules", _rules(tmp_path, "capacity"),
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["rows"]["usage_rejected_by_reason"] == {"rejected: no duration_ms": 197}
    assert not [n for n in s["notes"] if "split by request count" in n]
    assert (f"counts: driver capacity (set in the rules): mean_latency_ms is blank or NaN "
            f"on 1 of 3 counts rows (first: {counts}: row 2): their 197 requests are "
            "rejected (no duration_ms: busy time is requests x mean latency)") in s["notes"]
    assert s["idle_share"] is not None


def test_rules_requests_say_idle_is_not_measured(cli, tmp_path):
    """The report says 'not measured (... see the note)': under `driver: requests` in the
    rules there was no note."""
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                     f"{T[0]},3600,i-1,/a,m,100,20\n{T[1]},3600,i-1,/a,m,100,NaN\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--rules", _rules(tmp_path, "requests"),
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    notes = json.loads(out)["notes"]
    said = [n for n in notes if "not measured" in n]
    assert len(said) == 1, notes
    assert said[0].startswith("counts: driver requests (set in the rules): ")
    assert (f"mean_latency_ms (blank or NaN on 1 of 2 counts rows, first: {counts}: row 2) "
            "is not read") in said[0]


def test_a_nan_latency_is_named_blank_or_nan(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                     f"{T[0]},3600,i-1,/a,m,100,20\n{T[1]},3600,i-1,/a,m,100,NaN\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    assert any(f"mean_latency_ms is blank or NaN on 1 of 2 counts rows (first: {counts}: "
               "row 2)" in n for n in json.loads(out)["notes"])


# ------------------------------------------------------------ zero weight in the report


def test_zero_weight_requests_are_on_the_rows_line(cli, tmp_path):
    """505 requests of mean latency 0 under capacity weigh nothing: the report did not
    show them, and 'whole bill per request' did not say it divides by the allocated."""
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                     f"{T[0]},3600,i-1,/a,m,100,20\n{T[1]},3600,i-1,/a,m,505,0\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--rules", _rules(tmp_path, "capacity"),
                                "--out", tmp_path / "o")
    assert code == 0, err
    text = _flat(out)
    assert ("2 counts rows read, 100 requests allocated, 505 of zero weight under the "
            "driver, 0 rejected") in text
    assert "(allocated + idle + shared + unallocated over 100 allocated requests)" in text


def test_the_rows_line_leaves_out_zero_weight_when_there_is_none(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--out", tmp_path / "o")
    assert code == 0, err
    assert "zero weight" not in _flat(out)


# ------------------------------------------------------------ Azure ids in the join note


AZ = "/subscriptions/0000-AAAA/resourceGroups/RG/providers/Microsoft.MachineLearningServices"


def test_azure_ids_joining_no_bill_row_say_they_are_compared_in_lower_case(cli, tmp_path):
    bill = _bill(tmp_path, ids=(f"{AZ}/onlineEndpoints/Sentiment-EP",))
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,{AZ}/onlineEndpoints/SENTIMENT-EP,/a,m,10\n"
                     f"{T[0]},3600,{AZ}/onlineEndpoints/Other-EP,/b,m,25\n")
    code, out, err = _attribute(cli, "--bill", bill, "--counts", counts,
                                "--out", tmp_path / "o", "--json")
    assert code == 0, err
    s = json.loads(out)
    assert s["rows"]["usage_allocated"] == 10
    said = [n for n in s["notes"] if "joins no fleet bill row" in n]
    assert said == [f"counts: ResourceId {AZ}/onlineEndpoints/Other-EP of the counts joins "
                    "no fleet bill row (compared in lower case, as Azure compares its ids): "
                    "its 25 requests are not allocated"]


# ------------------------------------------------------------ a period without calls needs
# no latency


def _run_json(cli, tmp_path: Path, out: str, *args) -> dict:
    code, js, err = _attribute(cli, *args, "--out", tmp_path / out, "--json")
    assert code == 0, err
    return json.loads(js)


def test_a_zero_row_without_latency_keeps_the_capacity_driver(cli, tmp_path):
    """A counts row of 0 requests and no mean latency (CloudWatch gives no ModelLatency
    for an hour without calls) switched the default driver to requests: idle 2.7 read
    0 there. Its figures are those of the same file with a latency on that row."""
    bill = _bill(tmp_path)
    busy = "".join(f"{T[h]},3600,i-1,/a,m,3600,100\n" for h in range(2))
    gap = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + busy + f"{T[2]},3600,i-1,/a,m,0,\n",
                  "gap.csv")
    full = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + busy
                   + f"{T[2]},3600,i-1,/a,m,0,100\n", "full.csv")
    sg = _run_json(cli, tmp_path, "og", "--bill", bill, "--counts", gap)
    sf = _run_json(cli, tmp_path, "of", "--bill", bill, "--counts", full)
    assert sg["driver"] == sf["driver"] == "capacity"
    assert sg["totals"] == sf["totals"] and sg["totals"]["idle"] == "2.8"
    assert _allocations(tmp_path / "og") == _allocations(tmp_path / "of")
    assert not [n for n in sg["notes"] if "mean_latency_ms" in n or "latency given" in n]


def test_a_quiet_endpoint_without_latency_does_not_flip_the_other(cli, tmp_path):
    """A second endpoint with 0 calls and no latency on every row switched the first
    endpoint (every row with a latency) to driver requests."""
    bill = _bill(tmp_path, ids=("i-1", "i-2"))
    busy = "".join(f"{T[h]},3600,i-1,/a,m,3600,100\n" for h in range(3))
    blank = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + busy + "".join(
        f"{T[h]},3600,i-2,/b,m,0,\n" for h in range(3)), "blank.csv")
    given = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + busy + "".join(
        f"{T[h]},3600,i-2,/b,m,0,50\n" for h in range(3)), "given.csv")
    sb = _run_json(cli, tmp_path, "ob", "--bill", bill, "--counts", blank)
    sg = _run_json(cli, tmp_path, "og", "--bill", bill, "--counts", given)
    assert sb["driver"] == "capacity" and sb["totals"] == sg["totals"]
    assert sb["totals"]["idle"] == "5.7"  # i-1: 2.7 (90% of 3.0), i-2: all 3.0
    assert _allocations(tmp_path / "ob") == _allocations(tmp_path / "og")


def test_a_cloudwatch_hour_of_zero_calls_without_model_latency_keeps_capacity(cli, tmp_path):
    """`aws cloudwatch get-metric-data`: an hour with Invocations 0 has no ModelLatency
    point; the figures equal those of a file with a latency at that hour too."""
    bill = _bill(tmp_path)

    def cw(name: str, lat_hours: int) -> Path:
        doc = {"MetricDataResults": [
            {"Id": "a", "Label": "Invocations", "Timestamps": T[:3], "Values": [3600, 3600, 0]},
            {"Id": "b", "Label": "ModelLatency", "Timestamps": T[:lat_hours],
             "Values": [100_000] * lat_hours}]}
        return _counts(tmp_path, json.dumps(doc), name)

    opts = ("--counts-resource", "i-1", "--counts-period", "3600")
    sg = _run_json(cli, tmp_path, "og", "--bill", bill, "--counts", cw("gap.json", 2), *opts)
    sf = _run_json(cli, tmp_path, "of", "--bill", bill, "--counts", cw("full.json", 3), *opts)
    assert sg["driver"] == "capacity" and sg["totals"] == sf["totals"]
    assert sg["totals"]["idle"] == "2.8"
    assert _allocations(tmp_path / "og") == _allocations(tmp_path / "of")


def test_rows_without_latency_are_counted_among_rows_with_calls_only(tmp_path):
    from infercost.ingest.counts import read_counts

    c = read_counts(_counts(tmp_path, HEAD + ",mean_latency_ms\n"
                            f"{T[0]},3600,i-1,/a,m,0,\n{T[1]},3600,i-1,/a,m,5,20\n"
                            f"{T[2]},3600,i-1,/a,m,7,\n{T[3]},3600,i-1,/a,m,0,\n"))
    assert c.has_latency is False and c.rows_read == 4
    assert (c.without_latency, c.first_without_latency) == (1, f"{tmp_path}/counts.csv: row 3")
    c = read_counts(_counts(tmp_path, HEAD + ",mean_latency_ms\n"
                            f"{T[0]},3600,i-1,/a,m,0,\n{T[1]},3600,i-1,/a,m,5,20\n", "b.csv"))
    assert (c.has_latency, c.without_latency, c.first_without_latency) == (True, 0, None)
    assert c.notes == []


# ------------------------------------------------------------ invisible characters in the
# --counts-resource errors


def test_counts_resource_error_escapes_invisible_characters_of_the_column(cli, tmp_path):
    """Two ResourceIds of the column, one with a U+200B, were listed as if the same."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n"
                     f"{T[1]},3600,i-1\u200b,/a,m,20\n", "z.csv")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--counts-resource", "i-1", "--out", tmp_path / "o")
    assert "holds 2 distinct ResourceIds ('i-1', 'i-1\\u200b')" in line
    assert "\u200b" not in line


def test_counts_resource_error_escapes_invisible_characters_of_the_bill():
    import types

    from infercost.allocation.counts_notes import refuse_unknown_counts_resource
    from infercost.errors import InputError

    ids = ["i-1\u200b", "i-1\u3164", "i-1\ufe0f"]
    bill = types.SimpleNamespace(rows=pd.DataFrame({"resource_id": ids}))
    try:
        refuse_unknown_counts_resource("i-1", bill)
    except InputError as e:
        msg = e.message
    else:
        raise AssertionError("no InputError")
    assert msg.startswith("'i-1' matches no ResourceId in the bill (closest: 'i-1\\u")
    assert all(f"'i-1\\u{c}'" in msg for c in ("200b", "3164", "fe0f"))
    assert not any(ch in msg for ch in "\u200b\u3164\ufe0f")


def test_the_escape_covers_fillers_and_variation_selectors():
    from infercost.ingest.billrows import escape_invisible

    text = "a\u034fb\u115fc\u1160d\u3164e\uffa0f\ufe00g\ufe0fh\u00adi\tj\u00a0k-é"
    assert escape_invisible(text) == ("a\\u034fb\\u115fc\\u1160d\\u3164e\\uffa0f\\ufe00g"
                                      "\\ufe0fh\\u00adi\\u0009j\\u00a0k-é")


# ------------------------------------------------------------ thousands separators


def test_the_rejected_breakdown_line_has_separators(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                     f"{T[0]},3600,i-1,/a,m,100,20\n{T[1]},3600,i-1,/a,m,1197,\n")
    code, out, err = _attribute(cli, "--bill", _bill(tmp_path), "--counts", counts,
                                "--rules", _rules(tmp_path, "capacity"), "--out", tmp_path / "o")
    assert code == 0, err
    assert "rejected 1,197: no duration_ms" in _flat(out)


def test_money_in_a_note_has_separators_in_the_report(cli, tmp_path):
    """'their 1047.552 USD is unallocated': the report's other amounts have separators."""
    rows = [focus_row("1.0", "i-1", start=0), focus_row("1047.552", "i-1", start=1, hours=0)]
    bill = tmp_path / "bill.csv"
    pd.DataFrame(rows).to_csv(bill, index=False)
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n" + f"{T[0]},3600,i-1,/a,m,10,20\n")
    args = ("--bill", bill, "--counts", counts)
    code, out, err = _attribute(cli, *args, "--out", tmp_path / "o")
    assert code == 0, err
    assert "their 1,047.552 USD is unallocated" in _flat(out) or \
        "its 1,047.552 USD is unallocated" in _flat(out)
    s = _run_json(cli, tmp_path, "o2", *args)  # (summary.json keeps the plain number)
    assert any("1047.552 USD" in n for n in s["notes"]), s["notes"]


# ------------------------------------------------------------ --counts-period over blank
# period_s cells


def test_counts_period_filling_blank_cells_is_noted(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},,i-1,/a,m,10\n{T[1]},3600,i-1,/a,m,20\n"
                     f"{T[2]},,i-1,/a,m,20\n")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path), "--counts", counts,
                  "--counts-period", "3600")
    assert ("counts: counts.csv: 2 blank period_s cells (of 3 rows) filled with "
            "--counts-period 3600 s") in s["notes"]
    full = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n", "full.csv")
    s = _run_json(cli, tmp_path, "o2", "--bill", _bill(tmp_path), "--counts", full,
                  "--counts-period", "3600")
    assert not [n for n in s["notes"] if "blank period_s" in n]


def test_blank_period_s_cells_without_the_flag_name_counts_period(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n{T[1]},,i-1,/a,m,20\n"
                     f"{T[2]},,i-1,/a,m,20\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--out", tmp_path / "o")
    assert line == (f"{counts}: row 2: column period_s: empty (expected a positive number); "
                    "2 of 3 cells are blank: --counts-period SECONDS fills blank cells")


def test_a_counts_resource_id_joining_nothing_is_named_escaped(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n"
                     f"{T[1]},3600,i-1\u200b,/a,m,20\n")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path), "--counts", counts)
    assert ("counts: ResourceId 'i-1\\u200b' of the counts joins no fleet bill row "
            "(compared exactly): its 20 requests are not allocated") in s["notes"]


def test_note_money_separators_leave_ids_and_other_codes_alone():
    from infercost.cli.attribute import _sep_money

    assert _sep_money("its 1047.552 USD is unallocated", "USD") == \
        "its 1,047.552 USD is unallocated"
    assert _sep_money("(-12345.5 USD in all)", "USD") == "(-12,345.5 USD in all)"
    assert _sep_money("already 1,047.552 USD", "USD") == "already 1,047.552 USD"
    for same in ("id i-12345 USD", "1234567 USDC", "ab1234 USD", "1234 EUR", "year 2026"):
        assert _sep_money(same, "USD") == same


def test_the_requests_note_counts_rows_with_calls_beside_zero_rows(cli, tmp_path):
    """Rows of 0 requests are no longer among the rows 'without a latency': the note says
    of how many rows with calls."""
    counts = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                     f"{T[0]},3600,i-1,/a,m,100,20\n{T[1]},3600,i-1,/a,m,100,\n"
                     f"{T[2]},3600,i-1,/a,m,0,\n")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path), "--counts", counts)
    assert s["driver"] == "requests"
    assert any(f"mean_latency_ms is blank or NaN on 1 of the 2 counts rows with calls "
               f"(first: {counts}: row 2)" in n for n in s["notes"]), s["notes"]
    only = _counts(tmp_path, HEAD + ",mean_latency_ms\n"
                   f"{T[0]},3600,i-1,/a,m,100,\n{T[1]},3600,i-1,/a,m,0,\n", "only.csv")
    s = _run_json(cli, tmp_path, "o2", "--bill", _bill(tmp_path), "--counts", only)
    assert any("no counts row with calls has a mean_latency_ms (1 of 2 counts rows has "
               "calls)" in n for n in s["notes"]), s["notes"]


# ------------------------------------------------------------ --counts-period echoed as a
# plain number, signed zeros, invisible characters in --counts-resource


def test_a_counts_period_of_zero_is_echoed_as_zero(cli, tmp_path):
    """`--counts-period 0` was refused as 'got 0.0' (Python's repr of the float)."""
    counts = _counts(tmp_path, "period_start,resource_id,requests\n" f"{T[0]},i-1,10\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--counts-period", "0", "--out", tmp_path / "o")
    assert line == "--counts-period: expected a positive number of seconds, got 0"


def test_a_counts_period_is_echoed_without_losing_digits(tmp_path):
    """31,622,400 s (366 days) was echoed as 3.16224e+07 where the flag and the column
    disagree; 1e12 stays 1e+12 as a period_s cell is echoed."""
    from infercost.errors import InputError
    from infercost.ingest.counts import read_counts

    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n")
    with pytest.raises(InputError) as e:
        read_counts(counts, period_s=31_622_400.0)
    assert "but --counts-period says 31622400 s;" in e.value.message
    with pytest.raises(InputError) as e:
        read_counts(counts, period_s=1e12)
    assert e.value.message.endswith("got 1e+12")


@pytest.mark.parametrize("cell", ["-0", "-0.0", "+0", "-0e0"])
def test_a_requests_cell_of_signed_zero_is_refused_like_a_negative(cli, tmp_path, cell):
    """'-0' read as 0: a count with a sign is a column of something else (differences)."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n{T[1]},3600,i-1,/a,m,{cell}\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--out", tmp_path / "o")
    assert line == (f"{counts}: row 2: column requests: expected a whole number >= 0, got "
                    f"'{cell}' (a zero with a sign)")
    assert not (tmp_path / "o").exists()


def test_a_requests_cell_of_zero_is_still_read(cli, tmp_path):
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},3600,i-1,/a,m,10\n{T[1]},3600,i-1,/a,m,0\n"
                     f"{T[2]},3600,i-1,/a,m,0.0\n")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path), "--counts", counts)
    assert s["rows"]["counts_read"] == 3 and s["rows"]["usage_allocated"] == 10


@pytest.mark.parametrize("ch", ["\u3164", "\u115f", "\u1160", "\uffa0", "\ufe00", "\ufe0f",
                                "\u034f", "\u180e"])
def test_a_filler_inside_counts_resource_is_refused_escaped(cli, tmp_path, ch):
    """A Hangul filler or a variation selector inside the flag's value was taken (only
    Unicode Cc/Cf were refused), and the bill then refused it with the character raw."""
    counts = _counts(tmp_path, "period_start,period_s,requests\n" f"{T[0]},3600,10\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--counts-resource", f"i-{ch}1", "--out", tmp_path / "o")
    code = f"{ord(ch):04x}"
    assert line.startswith(f"--counts-resource: expected a ResourceId (as in the bill), got "
                           f"'i-\\u{code}1', which holds the invisible character "
                           f"U+{code.upper()} (")
    assert ch not in line


def test_invisible_characters_at_the_ends_of_counts_resource_come_off():
    from infercost.ingest.counts import clean_resource

    assert clean_resource("\u3164i-1\ufe0f\u180e ") == "i-1"


def test_a_bill_id_with_an_invisible_character_is_named_escaped(cli, tmp_path):
    """A bill ResourceId with a U+200B inside could not be named by --counts-resource
    (refused inside): the escaped form the notes print names it."""
    counts = _counts(tmp_path, "period_start,period_s,requests\n" f"{T[0]},3600,10\n")
    bill = _bill(tmp_path, ids=("i-1\u200b2", "i-12"))
    s = _run_json(cli, tmp_path, "o", "--bill", bill, "--counts", counts,
                  "--counts-resource", "i-1\\u200b2")
    assert s["rows"]["usage_allocated"] == 10 and s["rows"]["usage_without_bill_row"] == 0
    alloc = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str)
    assert list(alloc.loc[alloc["kind"] == "allocated", "cost"]) == ["1"]


def test_an_escaped_counts_resource_naming_no_bill_id_is_refused_escaped(cli, tmp_path):
    counts = _counts(tmp_path, "period_start,period_s,requests\n" f"{T[0]},3600,10\n")
    line = _one_error(cli, "--bill", _bill(tmp_path), "--counts", counts,
                      "--counts-resource", "i-1\\u3164", "--out", tmp_path / "o")
    assert line.startswith("--counts-resource: 'i-1\\u3164' matches no ResourceId in the "
                           "bill (closest: i-1)")


def test_the_escape_of_counts_resource_is_read_back_exactly():
    from infercost.ingest.billrows import escape_invisible
    from infercost.ingest.counts import clean_resource

    for rid in ("i-1\u200b", "\u200bi-1", "i\u3164-\ufe0f1", "i-\U000e0001x", "i-\u200b1"):
        assert clean_resource(escape_invisible(rid)) == rid
    # a backslash-u of a visible character is text as written, not an escape
    assert clean_resource("a\\u0041") == "a\\u0041"


# ------------------------------------------------------------ tokens without requests,
# the rows block in requests, the span the counts cover

TOK = "period_start,period_s,resource_id,requests,input_tokens,output_tokens\n"


def test_tokens_on_a_row_of_zero_requests_are_kept_as_a_log_keeps_them(cli, tmp_path):
    """A counts row of 0 requests and 500 + 700 tokens added no usage row: its tokens
    were lost (300 counted, cost per 1M tokens 5x high) and its hour idle under
    `driver: tokens`. A usage-log row of 0 requests keeps its tokens: so do counts."""
    counts = _counts(tmp_path, TOK + f"{T[0]},3600,i-1,2,100,200\n{T[1]},3600,i-1,0,500,700\n")
    bill = _bill(tmp_path)
    s = _run_json(cli, tmp_path, "o", "--bill", bill, "--counts", counts,
                  "--rules", _rules(tmp_path, "tokens"))
    assert (s["unit_costs"]["requests"], s["unit_costs"]["tokens"]) == (2, 1500)
    assert (s["totals"]["allocated"], s["totals"]["idle"]) == ("2", "1")  # hour 2 idle
    # split by request count (the default without a latency): the tokens are in a row
    # of 0 requests that weighs nothing, unallocated at 0 cost, never dropped
    s = _run_json(cli, tmp_path, "o2", "--bill", bill, "--counts", counts)
    assert (s["unit_costs"]["tokens"], s["totals"]["idle"]) == (300, "2")
    assert s["rows"]["usage_zero_weight"] == 0 and s["rows"]["usage_read"] == 2
    alloc = pd.read_csv(tmp_path / "o2" / "allocations.csv", dtype=str)
    zero = alloc[alloc["detail"] == "zero weight under the driver"]
    assert zero[["requests", "input_tokens", "output_tokens", "cost"]].values.tolist() == [
        ["0", "500", "700", "0"]]
    # and a note says so (the cost per 1M tokens counts the 300 alone): none under tokens
    assert [n for n in s["notes"] if "without calls" in n] == [
        "counts: 1,200 tokens on counts rows without calls (requests 0) weigh nothing under "
        "driver requests: they are in the unallocated rows at no cost and out of the cost "
        "per 1M tokens (driver: tokens allocates by them)"]
    s = _run_json(cli, tmp_path, "o3", "--bill", bill, "--counts", counts,
                  "--rules", _rules(tmp_path, "tokens"))
    assert not [n for n in s["notes"] if "without calls" in n]


def test_tokens_of_an_hour_its_requests_do_not_reach_are_kept(cli, tmp_path):
    """One request and 1,000 tokens over two hours: the request lands in hour 0, the
    tokens 500 + 500; hour 1's 500 were dropped with its empty request share."""
    counts = _counts(tmp_path, TOK + f"{T[0]},7200,i-1,1,1000,0\n")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path), "--counts", counts,
                  "--rules", _rules(tmp_path, "tokens"))
    assert (s["unit_costs"]["requests"], s["unit_costs"]["tokens"]) == (1, 1000)
    assert (s["totals"]["allocated"], s["totals"]["idle"]) == ("2", "1")


def test_the_rows_block_of_counts_counts_requests_throughout(cli, tmp_path):
    """A daily row of 25 requests spread over 24 clock hours: `usage_read` was 24 (the
    hourly pieces) while allocated and without-a-bill-row counted requests (4 + 21)."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},86400,i-1,/a,m,25\n")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path), "--counts", counts)
    rows = s["rows"]
    assert (rows["counts_read"], rows["usage_read"]) == (1, 25)
    assert (rows["usage_allocated"], rows["usage_without_bill_row"]) == (4, 21)
    assert rows["usage_read"] == (rows["usage_allocated"] + rows["usage_rejected"]
                                  + rows["usage_outside_period"] + rows["usage_zero_weight"]
                                  + rows["usage_without_bill_row"])


def test_an_hour_of_zero_calls_the_counts_cover_is_inside_the_usage_span(cli, tmp_path):
    """CloudWatch Invocations 3600 at 00:00 and 0 at 01:00: the counts cover both hours,
    but the span note said hour 1 fell outside the usage (and warned that the whole-bill
    cost per request divides the period's bill)."""
    doc = {"MetricDataResults": [
        {"Id": "a", "Label": "Invocations", "Timestamps": T[:2], "Values": [3600, 0]},
        {"Id": "b", "Label": "ModelLatency", "Timestamps": T[:1], "Values": [20_000]}]}
    cw = _counts(tmp_path, json.dumps(doc), "cw.json")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path, hours=2), "--counts", cw,
                  "--counts-resource", "i-1", "--counts-period", "3600")
    assert not [n for n in s["notes"] if n.startswith("the usage covers")], s["notes"]
    assert (s["totals"]["allocated"], s["totals"]["idle"]) == ("0.02", "1.98")
    # a bill hour past the counts is still named: 3 billed hours, the counts cover 2
    s = _run_json(cli, tmp_path, "o3", "--bill", _bill(tmp_path, hours=3), "--counts", cw,
                  "--counts-resource", "i-1", "--counts-period", "3600")
    span = [n for n in s["notes"] if n.startswith("the usage covers")]
    assert len(span) == 1 and span[0].startswith(
        "the usage covers 2026-10-01T00:00Z to 2026-10-01T02:00Z (2 hours of"), span
    assert ": 1 of the 3 billed fleet resource-hours fall outside it" in span[0]


def test_a_daily_row_covers_its_whole_day_however_few_its_requests(cli, tmp_path):
    """Two requests over a day land in the day's first two hours; the row covers all
    24 (the span note named hour 2 of the bill as outside the usage)."""
    counts = _counts(tmp_path, HEAD + f"\n{T[0]},86400,i-1,/a,m,2\n")
    s = _run_json(cli, tmp_path, "o", "--bill", _bill(tmp_path), "--counts", counts)
    assert not [n for n in s["notes"] if n.startswith("the usage covers")], s["notes"]
