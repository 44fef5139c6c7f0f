"""Attribution ends in CostBreakdowns: the whole bill and one per slice, each conserved."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from infercost.allocation.breakdowns import shared_line_name
from infercost.allocation.demo import DEMO_RULES, generate
from infercost.allocation.run import run_attribution

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    d = tmp_path_factory.mktemp("month")
    bill, usage = generate(d, seed=3, requests_per_hour=20)
    return d, bill, usage


def _run(month, rules_text: str, by: str = "combination") -> dict:
    d, bill, usage = month
    rules = d / f"rules-{abs(hash(rules_text))}.yaml"
    rules.write_text(rules_text)
    return run_attribution(bill, usage, d / f"out-{by}-{abs(hash(rules_text))}", rules=rules,
                           write_requests=False, by=by)


def _total(b: dict) -> Decimal:
    return sum((Decimal(c["amount"]) for c in b["components"]), Decimal(0))


def test_mapping_of_shared_rows():
    assert shared_line_name("Storage / usage") == "storage"
    assert shared_line_name("Networking / usage") == "egress"
    assert shared_line_name("Other / tax") == "tax"
    assert shared_line_name("Other / credit") == "credits"
    assert shared_line_name("Compute / commitment_unused") == "commitments"
    assert shared_line_name("Compute / correction") == "adjustments"
    assert shared_line_name("Management and Governance / usage") == "shared_services"
    assert shared_line_name("Other / purchase") == "shared_services"  # a support fee


@pytest.mark.parametrize("spread", [False, True])
def test_conservation_per_breakdown(month, spread):
    text = DEMO_RULES if not spread else DEMO_RULES.replace("idle: report", "idle: share").replace(
        "shared: report", "shared: requests")
    s = _run(month, text)
    bd = s["breakdowns"]
    bill = s["totals"]["bill"]
    assert _total(bd["bill"]) == bill  # the whole bill, exactly
    table = pd.read_csv(s["outputs"]["folder"] + "/allocations.csv", dtype=str)
    al = table[table["kind"] == "allocated"]
    for sl in bd["slices"]:
        k = sl["key"]
        rows = al[(al["model"] == k["model"]) & (al["model_version"] == k["model_version"])
                  & (al["endpoint"] == k["endpoint"]) & (al["tenant"] == k["tenant"])]
        share = sum((Decimal(x) for x in rows["cost"]), Decimal(0))
        assert _total(sl["breakdown"]) == share  # each slice: its share of the bill, exactly
        assert Decimal(sl["breakdown"]["inferences"]) == sum(int(x) for x in rows["requests"])
    # slices + what is not allocated = the bill
    rest = sum((Decimal(c["amount"]) for c in bd["bill"]["components"]
                if c["name"] != "accelerator_busy" and c["detail"] not in
                ("spread to users", "spread by rule requests")), Decimal(0))
    assert sum((_total(x["breakdown"]) for x in bd["slices"]), Decimal(0)) + rest == bill
    names = {c["name"] for c in bd["bill"]["components"]}
    if spread:
        assert {"accelerator_busy", "accelerator_idle", "shared_services"} <= names
        assert all(len(x["breakdown"]["components"]) == 3 for x in bd["slices"])
    else:  # reported: credits, tax, commitments, storage, egress as their own lines
        assert {"credits", "tax", "commitments", "storage", "egress", "accelerator_idle"} <= names


def test_by_day_and_the_schema(month, cli):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "breakdown.schema.json").read_text())
    d, bill, usage = month
    rules = d / "rules-day.yaml"
    rules.write_text(DEMO_RULES)
    code, out, err = cli("attribute", "--bill", bill, "--usage", usage, "--rules", rules,
                         "--out", d / "cli-day", "--by", "day", "--json", "--no-requests")
    assert code == 0, err
    bd = json.loads(out)["breakdowns"]
    assert bd["by"] == "day"
    days = {x["key"]["day"] for x in bd["slices"]}
    assert "2026-10-01" in days and len(days) == 31
    assert all(x["breakdown"]["period_hours"] == "24" for x in bd["slices"])
    jsonschema.validate(bd["bill"], schema)
    for x in bd["slices"][:50]:
        jsonschema.validate(x["breakdown"], schema)
    summary = json.loads((d / "cli-day" / "summary.json").read_text())
    assert summary["conservation"]["holds"] is True and "breakdowns" in summary
    code, _, err = cli("attribute", "--bill", bill, "--usage", usage, "--out", d / "x", "--by", "week")
    assert code == 2 and err.strip().startswith("error:") and "--by" in err


_FLEET_HEAD = ("BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargeFrequency,"
               "ChargePeriodStart,ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,"
               "ProviderName,ServiceCategory,ServiceName,ResourceId\n")


def _fleet_row(cost, start, end, category="Compute", rid="i-1"):
    return (f"{cost},{cost},USD,Usage,Usage-Based,2026-10-01T{start}:00:00Z,"
            f"2026-10-01T{end}:00:00Z,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AWS,"
            f"{category},Amazon EC2,{rid}\n")


@pytest.mark.parametrize("idle", ["report", "share"])
def test_a_fleet_resources_storage_is_booked_as_storage(tmp_path, idle):
    # a volume of the fleet node (ServiceCategory Storage on its ResourceId, 6 over two
    # hours) beside 2 x 10 of instance time: the drivers list says "storage (fleet)" 6,
    # and so does the breakdown (it booked all 26 as accelerator time before)
    bill = tmp_path / "bill.csv"
    bill.write_text(_FLEET_HEAD + _fleet_row(10, "00", "01") + _fleet_row(10, "01", "02")
                    + _fleet_row(6, "00", "02", "Storage"))
    usage = tmp_path / "usage.csv"
    usage.write_text("timestamp,request_id,model,model_version,endpoint,tenant,resource_id,"
                     "duration_ms\n2026-10-01T00:10:00Z,r1,m1,1,e1,t1,i-1,100\n"
                     "2026-10-01T00:20:00Z,r2,m1,1,e1,t2,i-1,200\n"
                     "2026-10-01T00:30:00Z,r3,m2,1,e1,t1,i-1,700\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text(f"idle: {idle}\n")
    s = run_attribution(bill, usage, tmp_path / "out", rules=rules, write_requests=False)
    assert {d["driver"]: d["cost"] for d in s["drivers"]}["storage (fleet)"] == 6
    bd = s["breakdowns"]
    lines: dict[str, Decimal] = {}
    for c in bd["bill"]["components"]:
        lines[c["name"]] = lines.get(c["name"], Decimal(0)) + Decimal(c["amount"])
    assert lines["storage"] == 6  # the bill's storage rows, exactly
    assert lines["accelerator_busy"] + lines["accelerator_idle"] == 20
    # busy and idle give up storage in proportion: 13 busy, 13 idle of 26 -> 3 each
    assert lines["accelerator_busy"] == 10 and lines["accelerator_idle"] == 10
    assert _total(bd["bill"]) == 26  # totals unchanged
    table = pd.read_csv(tmp_path / "out" / "allocations.csv", dtype=str)
    al = table[table["kind"] == "allocated"]
    storage = Decimal(0)
    for sl in bd["slices"]:
        k = sl["key"]
        rows = al[(al["model"] == k["model"]) & (al["tenant"] == k["tenant"])]
        assert _total(sl["breakdown"]) == sum((Decimal(x) for x in rows["cost"]), Decimal(0))
        storage += sum((Decimal(c["amount"]) for c in sl["breakdown"]["components"]
                        if c["name"] == "storage"), Decimal(0))
    # the slices' storage is the bill's storage booked on allocated instance time
    assert storage == (Decimal(3) if idle == "report" else Decimal(6))
