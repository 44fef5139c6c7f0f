"""Every engine's breakdown validates against the published docs/breakdown.schema.json."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "breakdown.schema.json").read_text())

SMALL = """\
name: small
currency: USD
workload:
  arrivals: {process: poisson, rate_per_s: 50}
  duration_s: 600
service: {distribution: exponential, mean_ms: 20}
deployment:
  hardware: h100-sxm
  replicas: 2
  batching: {max_batch: 1}
costs:
  storage: {gb: 100}
  experiments: {shadow_fraction: 0.1}
"""


def check(breakdown: dict) -> None:
    jsonschema.validate(breakdown, SCHEMA)
    total = Decimal(0)
    for c in breakdown["components"]:
        if c["quantity"] is not None and c["rate"] is not None:
            want = (Decimal(c["quantity"]) * Decimal(c["rate"])).quantize(Decimal("1e-18"))
            assert want == Decimal(c["amount"]), c["formula"]
        total += Decimal(c["amount"])
    assert total == Decimal(breakdown["total"]["period_cost"])


def test_schema_rejects_a_float_amount():
    bad = {"name": "storage", "label": "Storage", "group": "operations", "detail": "", "quantity": "1",
           "unit": "GB-month", "rate": "0.02", "amount": 0.02, "formula": "", "period_cost": "0.02",
           "monthly_cost": "0.02", "per_inference": "0", "share": "1", "driver": ""}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, {**SCHEMA, "$ref": "#/$defs/line"})


def test_estimate_json_matches_the_schema(cli):
    for f in sorted((ROOT / "examples").glob("*.yaml")):
        code, out, err = cli("estimate", f, "--json")
        assert code == 0, err
        check(json.loads(out))


def test_simulate_json_matches_the_schema(cli, tmp_path):
    p = tmp_path / "small.yaml"
    p.write_text(SMALL)
    code, out, err = cli("simulate", p, "--json", "--no-series")
    assert code == 0, err
    check(json.loads(out)["cost"])
