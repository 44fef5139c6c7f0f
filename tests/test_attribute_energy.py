"""attribute: energy and carbon of the bill's GPU-hours at the attribution's measured load
(summary.json `energy`, the terminal report), worked by hand; monotone in the load."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.core.catalog import load_catalog
from infercost.econ.energy import ResourceGpuHours, fleet_energy
from tests.attribution_helpers import H0, focus_row


def _inputs(tmp: Path) -> tuple[Path, Path, Path]:
    # one g6e.xlarge (catalog: 1 x l40s, us-east-1), billed 2 hours at 1 USD an hour
    rows = [focus_row("1", "i-l40s", start=h, SkuId="BoxUsage:g6e.xlarge", PricingUnit="Hours")
            for h in (0, 1)]
    bill = tmp / "bill.csv"
    pd.DataFrame(rows).to_csv(bill, index=False)
    # two requests of 900 s each in hour 0: busy 1,800,000 of 3,600,000 ms; hour 1 unused
    use = pd.DataFrame([
        {"timestamp": H0 + pd.Timedelta(minutes=m), "request_id": f"r{m}", "model": "m",
         "model_version": "1", "endpoint": "/e", "tenant": "t", "resource_id": "i-l40s",
         "duration_ms": 900_000.0, "input_tokens": 10, "output_tokens": 5} for m in (1, 20)])
    usage = tmp / "usage.parquet"
    use.to_parquet(usage, index=False)
    rules = tmp / "rules.yaml"
    rules.write_text("driver: capacity\ncapacity_ms_per_hour: {default: 3600000}\n")
    return bill, usage, rules


def test_energy_of_the_bill_by_hand(tmp_path):
    from infercost import api

    bill, usage, rules = _inputs(tmp_path)
    s = api.attribute(str(bill), str(usage), rules=rules, out=tmp_path / "out").summary
    e = s["energy"]
    # idle: hour 0 half unused (0.5 USD) + hour 1 all (1 USD) = 1.5 of 2 USD -> load 0.25
    (r,) = e["resources"]
    assert (r["instance"], r["hardware"], r["gpus"]) == ("g6e.xlarge", "l40s", 1)
    assert r["resource_hours"] == 2 and r["busy_share"] == 0.25
    # l40s: TDP 350 W, idle_watts 35 W, host share 288 W per GPU (catalog prices.owned_hardware)
    # 2 GPU-h: busy 0.5 h x (350 + 288) W + idle 1.5 h x (35 + 288) W = 319 + 484.5 = 803.5 Wh
    # x PUE 1.58 = 1,269.53 Wh = 1.26953 kWh; x 309 g/kWh (us-east-1) = 392.28477 g
    # (board power only, before: 0.35945 kWh, 111.07005 g)
    assert r["host_w"] == 288
    assert e["kwh"] == pytest.approx(1.26953, rel=1e-9)
    assert e["gco2e"] == pytest.approx(392.28477, rel=1e-9)
    # 2 requests = 0.002 thousand: 634.765 kWh and 196,142.385 g per 1k requests
    assert e["kwh_per_1k_requests"] == pytest.approx(634.765, rel=1e-9)
    assert e["gco2e_per_1k_requests"] == pytest.approx(196142.385, rel=1e-9)
    assert any("load per resource = 1 - idle cost / billed cost" in n for n in e["notes"])
    # written to summary.json, and the money is untouched (conservation still exact)
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["energy"]["kwh"] == e["kwh"] and written["conservation"]["holds"] is True


def test_terminal_report_shows_energy(tmp_path):
    from infercost import api
    from infercost.cli.attribute import render

    bill, usage, rules = _inputs(tmp_path)
    s = api.attribute(str(bill), str(usage), rules=rules, out=tmp_path / "out").summary
    text = render(s, tmp_path / "out", width=80)
    # 1.26953 kWh, 392.28477 g (see above), 4 significant digits
    assert "energy 1.270 kWh, 0.3923 kgCO2e over 2 billed GPU-hours" in text
    assert max(map(len, text.splitlines())) <= 80


def test_unknown_sku_is_named_not_counted(tmp_path):
    from infercost import api

    bill, usage, rules = _inputs(tmp_path)
    df = pd.read_csv(bill)
    df["SkuId"] = "BoxUsage:x9.mystery"
    df.to_csv(bill, index=False)
    e = api.attribute(str(bill), str(usage), rules=rules, out=tmp_path / "out").summary["energy"]
    assert e["kwh"] == 0 and e["resources"] == []
    assert any("matches no catalog instance" in n and "i-l40s" in n for n in e["notes"])


@settings(max_examples=50, deadline=None)
@given(a=st.decimals(min_value=0, max_value=1, places=4), b=st.decimals(min_value=0, max_value=1, places=4),
       hours=st.integers(min_value=1, max_value=10_000))
def test_fleet_energy_monotone_in_load(a, b, hours):
    cat = load_catalog()
    lo, hi = sorted((a, b))

    def kwh(u: Decimal) -> float:
        part = ResourceGpuHours("i-1", "p5.48xlarge", "h100-sxm", 8, Decimal(hours), u, "us-east-1")
        return fleet_energy(cat, [part], 100)["kwh"]
    assert kwh(lo) <= kwh(hi)
    # between the idle floor and the full-load ceiling, host 575 W at any load:
    # 8 x hours x (69 + 575 .. 700 + 575) W x 1.58 / 1000
    assert 8 * hours * 644 * 1.58 / 1000 * (1 - 1e-9) <= kwh(lo) <= 8 * hours * 1275 * 1.58 / 1000 * (1 + 1e-9)
