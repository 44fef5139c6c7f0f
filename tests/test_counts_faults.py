"""Call counts a fresh user fed in: CloudWatch series paged into several results, a
timestamp given twice, a failed CloudWatch query, results that are not objects, and a
period longer than a year (`infercost.ingest.counts.read_counts`)."""

from __future__ import annotations

import json

import pytest

from infercost.errors import InputError
from infercost.ingest.counts import MAX_PERIOD_S, read_counts

T0, T1, T2, T3 = (f"2026-10-01T0{h}:00:00Z" for h in range(4))


def _cw(tmp_path, doc, name="cw.json"):
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


def _inv(ts, vs, **extra):
    return {"Id": "inv", "Label": "Invocations", "Timestamps": ts, "Values": vs,
            "StatusCode": "Complete", **extra}


def test_a_metric_paged_into_two_results_is_merged(tmp_path):
    # get-metric-data pages of one metric: 100 + 200 + 300 + 400 = 1000 requests
    # (only the last page, 300 + 400 = 700, was read before)
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0, T1], [100, 200]),
                                             _inv([T2, T3], [300, 400])], "Messages": []})
    c = read_counts(p, resource="ep", period_s=3600)
    d = c.table.to_pydict()
    assert sum(d["requests"]) == 1000 and d["requests"] == [100, 200, 300, 400]
    assert c.rows_read == 4


def test_a_timestamp_twice_with_different_values_names_metric_and_time(tmp_path):
    # within one result: 100 then 50 at T0 (the 50 replaced the 100 before: 250 not 350)
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0, T1, T0], [100, 200, 50])]})
    with pytest.raises(InputError) as e:
        read_counts(p, resource="ep", period_s=3600)
    assert str(e.value) == (f"{p}: MetricDataResults[0]: metric 'Invocations': timestamp "
                            f"{T0} given twice with different values (100 and 50); "
                            "expected one value per timestamp")


def test_a_timestamp_in_two_results_with_different_values_is_refused(tmp_path):
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0], [100]), _inv([T0, T1], [7, 1])]})
    with pytest.raises(InputError, match=r"MetricDataResults\[1\]: metric 'Invocations': "
                       r"timestamp 2026-10-01T00:00:00Z given twice"):
        read_counts(p, resource="ep", period_s=3600)


def test_a_timestamp_twice_with_the_same_value_is_taken_once_with_a_note(tmp_path):
    # 100 at T0 in both pages, 200 at T1: 300 requests, not 400
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0], [100]), _inv([T0, T1], [100, 200])]})
    c = read_counts(p, resource="ep", period_s=3600)
    assert sum(c.table.to_pydict()["requests"]) == 300
    assert f"{p}: metric 'Invocations': 1 timestamp given twice with the same value, " \
           "taken once" in c.notes


@pytest.mark.parametrize("results,where,message", [
    (["Invocations"], "MetricDataResults[0]",
     "expected an object (Id, Label, Timestamps, Values), got a string"),
    ([_inv([T0], [1]), 3], "MetricDataResults[1]",
     "expected an object (Id, Label, Timestamps, Values), got a number"),
    ({"Invocations": [1, 2]}, "MetricDataResults",
     "expected a list of metric results, got an object"),
    ("Invocations", "MetricDataResults", "expected a list of metric results, got a string"),
    ([_inv(T0, [1])], "MetricDataResults[0]", "Timestamps and Values: expected lists"),
])
def test_results_that_are_not_objects_name_the_entry(tmp_path, results, where, message):
    p = _cw(tmp_path, {"MetricDataResults": results})
    with pytest.raises(InputError) as e:
        read_counts(p, resource="ep", period_s=3600)
    assert str(e.value) == f"{p}: {where}: {message}"


def test_a_failed_status_without_values_is_refused_naming_it(tmp_path):
    p = _cw(tmp_path, {"MetricDataResults": [_inv([], [], StatusCode="InternalError",
                                                  Messages=[{"Code": "InternalError",
                                                             "Value": "boom"}])]})
    with pytest.raises(InputError) as e:
        read_counts(p, resource="ep", period_s=3600)
    assert str(e.value) == (f"{p}: MetricDataResults[0]: metric 'Invocations': CloudWatch "
                            "returned StatusCode InternalError (InternalError: boom) and no "
                            "values (expected StatusCode Complete or PartialData)")


def test_a_failed_status_with_values_reads_them_with_a_note(tmp_path):
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0], [5], StatusCode="Forbidden")]})
    c = read_counts(p, resource="ep", period_s=3600)
    assert c.table.to_pydict()["requests"] == [5]
    assert (f"{p}: metric 'Invocations': CloudWatch returned StatusCode Forbidden; its 1 value "
            "read as given") in c.notes


def test_top_level_messages_without_values_are_refused(tmp_path):
    p = _cw(tmp_path, {"MetricDataResults": [_inv([], [])],
                       "Messages": [{"Code": "Forbidden", "Value": "no access"}]})
    with pytest.raises(InputError) as e:
        read_counts(p, resource="ep", period_s=3600)
    assert str(e.value) == f"{p}: CloudWatch returned Messages Forbidden: no access and no values"


def test_top_level_messages_with_values_are_a_note(tmp_path):
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0], [4])],
                       "Messages": [{"Code": "MaxMetricsExceeded"}]})
    c = read_counts(p, resource="ep", period_s=3600)
    assert c.table.to_pydict()["requests"] == [4]
    assert (f"{p}: CloudWatch returned Messages MaxMetricsExceeded; the values given are "
            "read") in c.notes


@pytest.mark.parametrize(("period", "shown"), [(1e300, "1e+300"), (1e12, "1e+12"),
                                               (MAX_PERIOD_S + 1, "31622401")])
def test_a_period_flag_over_366_days_is_refused(tmp_path, period, shown):
    # echoed as a plain number, as a period_s cell is (1e12 was 1000000000000.0)
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0], [1])]})
    with pytest.raises(InputError) as e:
        read_counts(p, resource="ep", period_s=period)
    assert str(e.value) == (f"--counts-period: expected at most 31622400 seconds (366 days), "
                            f"got {shown}")


def test_a_period_of_exactly_366_days_is_read(tmp_path):
    # 366 x 24 = 8784 clock hours; 8784 requests, one per hour
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0], [8784])]})
    c = read_counts(p, resource="ep", period_s=MAX_PERIOD_S)
    assert c.table.to_pydict()["requests"] == [1] * 8784


def test_a_csv_period_over_366_days_names_the_row(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("period_start,period_s,resource_id,requests\n"
                 "2026-10-01T00:00:00Z,3600,r,1\n2026-10-01T01:00:00Z,1e12,r,100\n")
    with pytest.raises(InputError) as e:
        read_counts(p)
    assert str(e.value) == (f"{p}: row 2: column period_s: expected at most 31622400 "
                            "seconds (366 days), got 1e+12")


def test_one_page_given_in_two_files_is_refused(tmp_path):
    # the same page twice (a copy under another name) would count 100 + 200 twice: 600
    doc = {"MetricDataResults": [_inv([T0, T1], [100, 200])]}
    a, b = _cw(tmp_path, doc, "a.json"), _cw(tmp_path, doc, "b.json")
    with pytest.raises(InputError) as e:
        read_counts([a, b], resource="ep", period_s=3600)
    assert e.value.where == str(b) and str(a) in e.value.message
    assert "2026-10-01T00:00:00" in e.value.message
    # two pages in two files, disjoint: 100 + 200 + 300 = 600 requests
    c = _cw(tmp_path, {"MetricDataResults": [_inv([T2], [300])]}, "c.json")
    assert sum(read_counts([a, c], resource="ep", period_s=3600).table.to_pydict()[
        "requests"]) == 600


def test_a_next_token_is_said_and_the_latency_named_only_when_read(tmp_path):
    p = _cw(tmp_path, {"MetricDataResults": [_inv([T0], [100])], "NextToken": "abc"})
    notes = read_counts(p, resource="ep", period_s=3600).notes
    assert any("NextToken is set" in n for n in notes)
    assert not any("ModelLatency" in n for n in notes)  # the file has no ModelLatency


def _csv(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_total_beside_its_split_by_tenant_is_noted(tmp_path):
    # 4 calls of i-1 in hour 0, once as a total (no tenant column) and once per tenant:
    # both are read (a file per tenant is legitimate), 8 requests, and a note says why
    tot = _csv(tmp_path, "ktot.csv", "period_start,period_s,resource_id,requests\n"
               f"{T0},3600,i-1,4\n")
    ten = _csv(tmp_path, "kten.csv", "period_start,period_s,resource_id,tenant,requests\n"
               f"{T0},3600,i-1,t1,3\n{T0},3600,i-1,t2,1\n")
    c = read_counts([tot, ten])
    assert sum(c.table.to_pydict()["requests"]) == 8
    hit = [n for n in c.notes if "twice" in n]
    assert hit == ["counts: ktot.csv has no tenant column and kten.csv has one, and their "
                   "rows of one resource overlap in time (first: i-1, hour "
                   "2026-10-01T00:00Z): both are added, which may count the same calls "
                   "twice (a total beside its split)"], c.notes


def test_cloudwatch_beside_a_labelled_file_of_its_resource_is_noted(tmp_path):
    # CloudWatch's endpoint is the --counts-resource; it has no model or tenant
    cw = _cw(tmp_path, {"MetricDataResults": [_inv([T0, T1], [10, 20])]})
    k2 = _csv(tmp_path, "k2.csv", "period_start,period_s,resource_id,endpoint,model,tenant,"
              f"requests\n{T1},3600,i-1,e1,m1,t1,3\n")
    c = read_counts([cw, k2], resource="i-1", period_s=3600)
    hit = [n for n in c.notes if "twice" in n]
    assert len(hit) == 1 and hit[0].startswith(
        "counts: cw.json has no model, tenant columns and k2.csv has them"), c.notes
    assert "(first: i-1, hour 2026-10-01T01:00Z)" in hit[0]


def test_files_of_the_same_labels_or_periods_apart_get_no_such_note(tmp_path):
    a = _csv(tmp_path, "a.csv", "period_start,period_s,resource_id,tenant,requests\n"
             f"{T0},3600,i-1,t1,3\n")
    b = _csv(tmp_path, "b.csv", "period_start,period_s,resource_id,tenant,requests\n"
             f"{T0},3600,i-1,t2,1\n")
    later = _csv(tmp_path, "later.csv", "period_start,period_s,resource_id,requests\n"
                 f"{T1},3600,i-1,4\n")
    other = _csv(tmp_path, "other.csv", "period_start,period_s,resource_id,requests\n"
                 f"{T0},3600,i-2,4\n")
    assert not [n for n in read_counts([a, b, later, other]).notes if "twice" in n]


@pytest.mark.parametrize("values", [
    ([10], [10], [T0], [T0]),  # equal values at one timestamp: taken once (10, not 20)
    ([10], [5], [T0], [T1]),   # disjoint timestamps: merged into one series
    ([10, 4], [10, 6], [T0, T1], [T0, T1]),  # different values: "given twice" misnamed it
])
def test_two_series_of_one_metric_in_one_file_are_refused(tmp_path, values):
    va, vb, ta, tb = values
    a = {**_inv(ta, va), "Id": "a", "Label": "ep-a Invocations"}
    b = {**_inv(tb, vb), "Id": "b", "Label": "ep-b Invocations"}
    p = _cw(tmp_path, {"MetricDataResults": [a, b]})
    with pytest.raises(InputError) as e:
        read_counts(p, resource="i-1", period_s=3600)
    assert str(e.value) == (
        f"{p}: MetricDataResults[1]: two series of Invocations in one file, Id 'a' (Label "
        "'ep-a Invocations') and Id 'b' (Label 'ep-b Invocations'); expected one series "
        "per metric (the pages of one query repeat its Id): give each series its own "
        "file, or write them as a counts CSV with resource_id and endpoint columns")


def test_a_total_beside_its_split_in_one_file_is_noted(tmp_path):
    # one file: a row of blank tenant (the total, 4) beside t1 = 3 and t2 = 1 for the
    # same resource-hour: all three are read (8 requests), and a note names the file,
    # the first resource-hour and the label (it was silent: cost per request halved)
    p = _csv(tmp_path, "kmix.csv", "period_start,period_s,resource_id,tenant,requests\n"
             f"{T0},3600,i-1,,4\n{T0},3600,i-1,t1,3\n{T0},3600,i-1,t2,1\n")
    c = read_counts(p)
    assert sum(c.table.to_pydict()["requests"]) == 8
    hit = [n for n in c.notes if "twice" in n]
    assert hit == ["counts: kmix.csv: a row with a blank tenant (row 1) and a row with one "
                   "(row 2), of one resource, overlap in time (first: i-1, hour "
                   "2026-10-01T00:00Z): both are added, which may count the same calls "
                   "twice (a total beside its split)"], c.notes


def test_a_blank_label_of_another_model_or_hour_is_not_noted(tmp_path):
    # model m1 has no tenant, m2 is split by tenant: not a total of m2 (another model);
    # a blank tenant in hour 1 beside a split in hour 0: periods apart; another resource
    p = _csv(tmp_path, "k.csv", "period_start,period_s,resource_id,model,tenant,requests\n"
             f"{T0},3600,i-1,m1,,4\n{T0},3600,i-1,m2,t1,3\n{T1},3600,i-1,m2,,2\n"
             f"{T0},3600,i-2,m2,,5\n")
    assert not [n for n in read_counts(p).notes if "twice" in n]


def test_a_row_blank_in_two_labels_beside_a_finer_row_names_both(tmp_path):
    # a daily total (no model, no tenant) beside an hourly row split by both: the daily
    # row's period covers the hour; the note names both labels and the hour of overlap
    p = _csv(tmp_path, "k.csv", "period_start,period_s,resource_id,model,tenant,requests\n"
             f"{T0},86400,i-1,,,40\n{T2},3600,i-1,m1,t1,3\n")
    hit = [n for n in read_counts(p).notes if "twice" in n]
    assert hit == ["counts: k.csv: a row with a blank model and tenant (row 1) and a row "
                   "with them (row 2), of one resource, overlap in time (first: i-1, hour "
                   "2026-10-01T02:00Z): both are added, which may count the same calls "
                   "twice (a total beside its split)"]
