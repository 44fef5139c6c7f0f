"""CPU serving priced on a cloud: `hardware: x86-vcpu` with provider aws, gcp or azure is
priced per vCPU-hour from a catalog CPU instance (instance price / its vCPUs)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from infercost.core.catalog import load_catalog
from infercost.errors import InputError

SCENARIO = """\
name: cpu-serving
currency: USD
model: {id: all-minilm-l6-v2, precision: fp32}
workload:
  arrivals: {process: poisson, rate_per_s: 5}
  duration_s: 3600
  request: {items: 1}
deployment:
  hardware: x86-vcpu
  gpus_per_replica: 2
  pricing: {provider: PROVIDER, plan: on-demand}
  replicas: 1
  batching: {max_batch: 8, max_wait_ms: 5}
"""

# per vCPU-hour = instance on-demand price / vCPUs (catalog sources):
#   aws c7i.2xlarge 0.357 / 8 = 0.044625; gcp c2-standard-8 0.417616 / 8 = 0.052202;
#   azure Standard_F8s_v2 0.338 / 8 = 0.04225 (cheaper than Standard_D64s_v5 3.072 / 64 = 0.048)
EXPECTED = {"aws": ("c7i.2xlarge", "0.044625"), "gcp": ("c2-standard-8", "0.052202"),
            "azure": ("Standard_F8s_v2", "0.04225")}


@pytest.mark.parametrize("provider", sorted(EXPECTED))
def test_vcpu_hour_price_per_provider(provider):
    cat = load_catalog()
    money, inst = cat.gpu_hour_price(provider, "x86-vcpu", "on-demand")
    instance, rate = EXPECTED[provider]
    assert inst.instance == instance and money.amount == Decimal(rate)
    assert cat.get_hardware(inst.hardware).kind == "cpu"
    assert inst.source and inst.as_of


@pytest.mark.parametrize("provider", sorted(EXPECTED))
def test_estimate_prices_cpu_serving(cli, tmp_path, provider):
    f = tmp_path / "cpu.yaml"
    f.write_text(SCENARIO.replace("PROVIDER", provider))
    code, out, err = cli("estimate", f, "--json")
    assert code == 0, err
    doc = json.loads(out)
    lines = [c for c in doc["components"] if c["group"] == "accelerator"]
    rate = Decimal(EXPECTED[provider][1])
    # one replica of 2 vCPUs for the 730 h period: busy + idle vCPU-hours = 2 x 730 = 1,460
    hours = sum(Decimal(c["quantity"]) for c in lines)
    assert hours == 2 * Decimal(doc["period_hours"]) == Decimal(1460)
    assert EXPECTED[provider][0] in lines[0]["driver"]
    for c in lines:
        assert Decimal(c["rate"]) == rate


def test_cpu_spot_price_and_unlisted_provider():
    cat = load_catalog()
    money, inst = cat.gpu_hour_price("azure", "x86-vcpu", "spot")
    assert inst.instance == "Standard_D64s_v5" and money.amount == Decimal("0.00528")  # 0.33792 / 64
    with pytest.raises(InputError, match="x86-vcpu' is listed by: aws, azure, gcp"):
        cat.gpu_hour_price("lambda", "x86-vcpu", "on-demand")
