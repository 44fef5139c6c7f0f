"""attribute, a new user's findings: the fleet's resource-hours with requests, `idle: share`
leaving a quantum idle, usage ResourceIds that match no bill ResourceId, the energy note's
escaping, a header-only counts file, the API's argument names in errors, and refusals of
an empty --out, a rules folder and a NaN requests cell."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest

from infercost.errors import InputError
from tests.attribution_helpers import attribute_fails, attribute_json, focus_row

BILL_HEAD = ("BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargePeriodStart,"
             "ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,ResourceId,ServiceCategory\n")
COUNTS_HEAD = "period_start,period_s,resource_id,endpoint,model,model_version,requests\n"


def _bill(tmp_path, hours: int = 1, cost: str = "1", rid: str = "i-1", name="bill.csv"):
    p = tmp_path / name
    p.write_text(BILL_HEAD + f"{cost},{cost},USD,Usage,2026-10-01 00:00:00,"
                 f"2026-10-01 {hours:02d}:00:00,2026-10-01 00:00:00,2026-11-01 00:00:00,"
                 f"{rid},Compute\n", encoding="utf-8")
    return p


def _usage(tmp_path, rows: list[tuple], name="usage.csv"):
    """rows: (minute from 2026-10-01 00:00, resource_id, duration_ms[, tenant])"""
    p = tmp_path / name
    lines = ["timestamp,request_id,model,resource_id,duration_ms,tenant"]
    for i, r in enumerate(rows):
        t = pd.Timestamp("2026-10-01") + pd.Timedelta(minutes=r[0])
        lines.append(f"{t},q{i},m,{r[1]},{r[2]},{r[3] if len(r) > 3 else 't'}")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


# ---- 1. fleet.resource_hours_with_requests counts billed resource-hours only


def test_resource_hours_with_requests_are_billed_hours(cli, tmp_path):
    bill = _bill(tmp_path, hours=2, cost="2")
    # i-1 at 00:10 and 01:10 (billed), 03:10 (not billed); i-2 has no bill row at all
    usage = _usage(tmp_path, [(10, "i-1", 100), (70, "i-1", 100), (190, "i-1", 100),
                              (10, "i-2", 100)])
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    f = s["fleet"]
    assert f["resource_hours_billed"] == 2
    assert f["resource_hours_with_requests"] == 2  # (was 4: the log's resource-hours)
    # the log's own resource-hours with an accepted request, billed or not
    assert f["usage_resource_hours_with_requests"] == 4
    assert s["rows"]["usage_without_bill_row"] == 2


# ---- 2. idle: share spreads every quantum of a resource's idle


def test_idle_share_leaves_no_quantum_idle(cli, tmp_path):
    bill = _bill(tmp_path)
    usage = _usage(tmp_path, [(10, "i-1", 100, "t1"), (20, "i-1", 100, "t2"),
                              (30, "i-1", 100, "t3")])
    rules = tmp_path / "rules.yaml"
    rules.write_text("driver: capacity\ncapacity_ms_per_hour: {default: 1000}\nidle: share\n")
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--rules", rules,
                       "--out", tmp_path / "o")
    # busy 300 of 1000 ms: 0.3 direct, 0.7 idle spread over three rows of 0.1 each;
    # 7e9 quanta / 3 leaves one quantum, which goes to a row (not an __idle__ row)
    assert s["totals"]["idle"] == "0" and s["totals"]["idle_spread"] == "0.7"
    assert s["totals"]["allocated"] == "1"
    t = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str)
    assert "idle" not in set(t["kind"])
    assert sorted(t["idle_cost"]) == ["0.2333333333", "0.2333333333", "0.2333333334"]
    assert sum(Decimal(x) for x in t["cost"]) == Decimal(1)


def test_idle_share_gives_a_sub_quantum_rest_to_a_row(cli, tmp_path):
    # 1.00000000005: half a quantum below the engine's quanta; all of it is spread
    bill = _bill(tmp_path, cost="1.00000000005")
    usage = _usage(tmp_path, [(10, "i-1", 500, "t1"), (20, "i-1", 100, "t2")])
    rules = tmp_path / "rules.yaml"
    rules.write_text("driver: capacity\ncapacity_ms_per_hour: {default: 1000}\nidle: share\n")
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--rules", rules,
                       "--out", tmp_path / "o")
    assert s["totals"]["idle"] == "0"
    assert s["totals"]["allocated"] == "1.00000000005"
    t = pd.read_csv(tmp_path / "o" / "allocations.csv", dtype=str)
    assert "idle" not in set(t["kind"])
    big = t[t["tenant"] == "t1"].iloc[0]  # the larger row takes the sub-quantum rest
    assert big["idle_cost"].endswith("5") and len(big["idle_cost"].split(".")[1]) == 11


# ---- 3. usage ResourceIds that match no bill ResourceId


def test_usage_ids_matching_no_bill_resource_id_are_named_with_the_closest(cli, tmp_path):
    bill = tmp_path / "bill.csv"
    rows = [focus_row("1", rid) for rid in
            ("i-1", "i-7", "//compute.googleapis.com/projects/p/zones/z/instances/vm-1")]
    pd.DataFrame(rows).to_csv(bill, index=False)
    usage = _usage(tmp_path, [(10, "I-1", 100), (11, "I-1", 100), (12, "i-1\u200b", 100),
                              (13, "vm-1", 100), (14, "i-1", 100),
                              (200, "i-7", 100)])  # i-7: a bill row, not in this hour
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    (note,) = [n for n in s["notes"] if "match no ResourceId in the bill" in n]
    gcp = "//compute.googleapis.com/projects/p/zones/z/instances/vm-1"
    assert note == (
        "usage: 3 ResourceIds of the log match no ResourceId in the bill (compared "
        f"exactly): 'i-1\\u200b' (1 row; closest: i-1, i-7, {gcp}), I-1 (2 rows; closest: "
        f"i-1, i-7, {gcp}), vm-1 (1 row; closest: {gcp}, i-1, i-7); none of their 4 rows "
        "is allocated")  # (an id holding an invisible character first, then by rows)
    assert "i-7" not in note.split("closest")[0]  # (it misses an hour, not the bill)


def test_one_usage_id_matching_no_bill_resource_id(cli, tmp_path):
    bill = _bill(tmp_path)
    usage = _usage(tmp_path, [(10, "i-1", 100), (12, "i-2", 100)])
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert ("usage: ResourceId i-2 of the log matches no ResourceId in the bill (compared "
            "exactly; closest: i-1): none of its 1 row is allocated") in s["notes"]


def test_every_usage_id_in_the_bill_adds_no_note(cli, tmp_path):
    bill = _bill(tmp_path)
    usage = _usage(tmp_path, [(10, "i-1", 100), (200, "i-1", 100)])
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    assert s["rows"]["usage_without_bill_row"] == 1
    assert not [n for n in s["notes"] if "ResourceId" in n]


def test_refused_counts_resource_still_names_the_closest(cli, tmp_path):
    bill = tmp_path / "bill.csv"
    gcp = "//compute.googleapis.com/projects/p/zones/z/instances/vm-1"
    pd.DataFrame([focus_row("1", rid) for rid in ("vm-12", "vm-2", gcp)]).to_csv(bill,
                                                                                  index=False)
    counts = tmp_path / "c.csv"
    counts.write_text("period_start,period_s,endpoint,model,model_version,requests\n"
                      "2026-10-01 00:00:00,3600,e,m,1,5\n")
    msg = attribute_fails(cli, "--bill", bill, "--counts", counts, "--counts-resource",
                          "vm-1", "--out", tmp_path / "o")
    # the id whose last segment is the value first, then the nearest spellings
    assert f"closest: {gcp}, vm-12, vm-2)" in msg


# ---- 4. the energy note escapes an invisible character


def test_energy_note_escapes_an_invisible_character(cli, tmp_path):
    rid = "i-1\u200b"
    bill = _bill(tmp_path, rid=rid)
    usage = _usage(tmp_path, [(10, rid, 100)])
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--out", tmp_path / "o")
    (note,) = [n for n in s["energy"]["notes"] if "matches no catalog instance" in n]
    assert "\u200b" not in note and note.endswith(": 'i-1\\u200b'")


# ---- 5. a counts file with a header and no rows


def test_header_only_counts_file_is_noted_not_refused(cli, tmp_path):
    bill = _bill(tmp_path)
    counts = tmp_path / "c.csv"
    counts.write_text(COUNTS_HEAD)
    s = attribute_json(cli, "--bill", bill, "--counts", counts, "--out", tmp_path / "o")
    assert s["rows"]["counts_read"] == 0
    assert any(n.startswith("the counts file holds no rows") for n in s["notes"])
    assert s["totals"]["shared"] == "1" and s["totals"]["allocated"] == "0"


def test_header_only_counts_file_beside_one_with_rows(cli, tmp_path):
    bill = _bill(tmp_path)
    (tmp_path / "a.csv").write_text(COUNTS_HEAD)
    (tmp_path / "b.csv").write_text(COUNTS_HEAD + "2026-10-01 00:00:00,3600,i-1,e,m,1,5\n")
    s = attribute_json(cli, "--bill", bill, "--counts", tmp_path / "a.csv", "--counts",
                       tmp_path / "b.csv", "--out", tmp_path / "o")
    assert s["rows"]["counts_read"] == 1 and s["rows"]["usage_allocated"] == 5


# ---- 6. the API names its own arguments


def test_api_error_names_the_api_argument(tmp_path):
    from infercost import api

    bill = _bill(tmp_path)
    counts = tmp_path / "c.csv"
    counts.write_text("period_start,period_s,endpoint,model,model_version,requests\n"
                      "2026-10-01 00:00:00,3600,e,m,1,5\n")
    with pytest.raises(InputError) as e:  # (the CLI's where: --counts-resource)
        api.attribute(str(bill), counts=str(counts), counts_resource="i-9")
    assert e.value.where == "counts_resource"
    cw = tmp_path / "cw.json"
    cw.write_text(json.dumps({"MetricDataResults": []}))
    with pytest.raises(InputError) as e:
        api.attribute(str(bill), counts=str(cw), counts_period_s=60)
    assert e.value.message == (
        "CloudWatch output names no resource: give --counts-resource (the bill's "
        "ResourceId of the endpoint); in the API, --counts-resource is counts_resource=")
    with pytest.raises(InputError) as e:
        api.attribute(str(bill), usage=str(_usage(tmp_path, [(1, "i-1", 1)])),
                      counts_period_s=60)
    assert e.value.where == "counts_period_s"
    assert e.value.message.endswith("; in the API, --counts is counts=")


def test_cli_error_keeps_the_flag(cli, tmp_path):
    bill = _bill(tmp_path)
    counts = tmp_path / "c.csv"
    counts.write_text("period_start,period_s,endpoint,model,model_version,requests\n"
                      "2026-10-01 00:00:00,3600,e,m,1,5\n")
    msg = attribute_fails(cli, "--bill", bill, "--counts", counts, "--out", tmp_path / "o")
    assert "--counts-resource" in msg and "in the API" not in msg


def test_api_doc_lists_the_real_signature():
    import inspect

    from infercost import api
    from tests.conftest import ROOT

    doc = (ROOT / "docs" / "api.md").read_text()
    (line,) = [x for x in doc.splitlines() if x.startswith("| `attribute(")]
    for name in inspect.signature(api.attribute).parameters:
        assert name in line, name


# ---- 7. refusals


def test_empty_out_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bill = _bill(tmp_path)
    msg = attribute_fails(cli, "--bill", bill, "--out", "")
    assert msg.startswith("--out: ") and "empty" in msg
    assert not (tmp_path / "summary.json").exists()


def test_rules_folder_is_named_a_folder(cli, tmp_path):
    bill = _bill(tmp_path)
    msg = attribute_fails(cli, "--bill", bill, "--rules", tmp_path, "--out", tmp_path / "o")
    assert msg == f"{tmp_path}: a folder, not a rules file (expected a YAML file)"


@pytest.mark.parametrize("cell", ["NaN", "nan"])
def test_nan_requests_cell_is_not_a_number(cli, tmp_path, cell):
    bill = _bill(tmp_path)
    counts = tmp_path / "c.csv"
    counts.write_text(COUNTS_HEAD + f"2026-10-01 00:00:00,3600,i-1,e,m,1,{cell}\n")
    msg = attribute_fails(cli, "--bill", bill, "--counts", counts, "--out", tmp_path / "o")
    assert msg == (f"{counts}: row 1: column requests: {cell} is not a number "
                   "(expected a whole number >= 0)")



# ---- 8. the API refuses what the CLI refuses, each error naming its argument once


def test_api_refuses_an_empty_out(tmp_path, monkeypatch):
    from infercost import api

    monkeypatch.chdir(tmp_path)
    bill = _bill(tmp_path)
    with pytest.raises(InputError) as e:
        api.attribute(str(bill), out="")
    assert str(e.value) == ("out: expected an output folder, got an empty name (out='.' "
                            "writes into the current folder)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bill.csv"]  # nothing written


def test_cost_basis_error_names_the_flag_once(cli, tmp_path):
    from infercost import api

    bill = _bill(tmp_path)
    msg = attribute_fails(cli, "--bill", bill, "--cost-basis", "Amortized",
                          "--out", tmp_path / "o")
    assert msg == "--cost-basis: expected EffectiveCost or BilledCost, got 'Amortized'"
    with pytest.raises(InputError) as e:
        api.attribute(str(bill), cost_basis="Amortized")
    assert e.value.where == "cost_basis"
    assert str(e.value) == "cost_basis: expected EffectiveCost or BilledCost, got 'Amortized'"


def test_api_names_a_missing_bill():
    from infercost import api

    with pytest.raises(InputError) as e:
        api.attribute(None)
    assert str(e.value) == "bill: expected a file, folder or glob, got None"
    with pytest.raises(InputError) as e:
        api.attribute("b.csv", usage=["u.csv", None])
    assert str(e.value) == "usage: expected a file, folder or glob, got None"


@pytest.mark.parametrize("name,value", [("check_duplicates", "no"),
                                        ("write_requests", "yes"),
                                        ("check_duplicates", None),
                                        ("write_requests", 1)])
def test_api_refuses_a_flag_that_is_not_a_bool(tmp_path, name, value):
    from infercost import api

    with pytest.raises(InputError) as e:
        api.attribute(str(_bill(tmp_path)), **{name: value})
    assert str(e.value) == f"{name}: expected True or False, got {value!r}"


def test_rules_dev_null_reads_as_empty_rules(cli, tmp_path):
    # (/dev/null exists but is no regular file: it reads as an empty YAML document,
    # which is the default rules, as an empty rules file is)
    bill = _bill(tmp_path)
    usage = _usage(tmp_path, [(10, "i-1", 100)])
    s = attribute_json(cli, "--bill", bill, "--usage", usage, "--rules", "/dev/null",
                       "--out", tmp_path / "o")
    (tmp_path / "empty.yaml").write_text("")
    t = attribute_json(cli, "--bill", bill, "--usage", usage, "--rules",
                       tmp_path / "empty.yaml", "--out", tmp_path / "o2")
    assert s["totals"] == t["totals"] and s["inputs"]["rules"] == "/dev/null"


def test_missing_rules_file_still_says_so(cli, tmp_path):
    bill = _bill(tmp_path)
    msg = attribute_fails(cli, "--bill", bill, "--rules", tmp_path / "nope.yaml",
                          "--out", tmp_path / "o")
    assert msg == f"{tmp_path / 'nope.yaml'}: no such rules file"


def test_out_that_is_a_file_is_named(cli, tmp_path):
    from infercost import api

    bill = _bill(tmp_path)
    f = tmp_path / "afile"
    f.write_text("x")
    msg = attribute_fails(cli, "--bill", bill, "--out", f)
    assert msg == f"--out {f}: expected an output folder, but a file of that name exists"
    with pytest.raises(InputError) as e:
        api.attribute(str(bill), out=str(f))
    assert e.value.where == f"out={f}"
    assert f.read_text() == "x"
