"""The cost contract: every line of `econ.cost.itemise`, pinned by hand.

Hand-built CapacityUsage (no capacity model, no simulator) priced with scenario
overrides, so each figure below is arithmetic written out in the comments. These pin the
amounts as they were before the cost line gained quantity, unit and rate.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.econ.cost import itemise
from infercost.econ.usage import CapacityUsage

CAT = load_catalog()

BASE = {
    "name": "pin",
    "currency": "USD",
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 5}, "duration_s": 3600},
    "service": {"distribution": "constant", "mean_ms": 100},
    "deployment": {"hardware": "h100-sxm", "gpus_per_replica": 2, "replicas": 1,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": "5"},
                   "batching": {"max_batch": 1}},
    "costs": {
        "licensing": {"per_1k_inferences": "0.5", "per_month": "100"},
        "human_review": {"fraction": 0.01, "minutes_each": 6, "hourly_rate": "30"},
        "preprocessing": {"cpu_ms_per_request": 36, "price_per_vcpu_hour": "0.05"},
        "storage": {"gb": 1000, "price_per_gb_month": "0.02"},
        "egress": {"bytes_per_response": 1_000_000, "price_per_gb": "0.09"},
        "experiments": {"shadow_fraction": 0.25},
        "engineering": {"fte": 0.5, "annual_cost_per_fte": "120000"},
    },
}

# one month (730 h), a million user requests, 100 busy, 300 idle, 10 warm-up replica-hours
USAGE = CapacityUsage(period_hours=730.0, inferences=1_000_000.0,
                      busy_hours={"on-demand": 100.0}, idle_hours={"on-demand": 300.0},
                      warmup_hours={"on-demand": 10.0}, source="hand")


def scenario(raw=None):
    return validate(copy.deepcopy(raw or BASE), "test")


def amounts(b) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in b.components:
        out[c.name] = out.get(c.name, Decimal(0)) + c.cost.amount
    return out


def test_every_line_pinned_by_hand():
    a = amounts(itemise(scenario(), CAT, USAGE))
    # a replica is 2 GPUs x 5 USD/GPU-h = 10 USD/replica-h
    # busy (user + shadow) 100 h x 10 = 1,000; shadow share 0.25 / 1.25 = 0.2 -> 200
    assert a["experiments"] == Decimal(200)
    assert a["accelerator_busy"] == Decimal(800)  # 1,000 - 200
    assert a["accelerator_idle"] == Decimal(3000)  # 300 h x 10
    assert a["accelerator_warmup"] == Decimal(100)  # 10 h x 5 USD/GPU-h x 2 GPUs
    # licensing 0.5 x 1,000,000 / 1,000 + 100 x 1 month = 500 + 100
    assert a["licensing"] == Decimal(600)
    # review 1% x 1e6 = 10,000 reviews x 6 min = 1,000 h x 30 USD/h
    assert a["human_review"] == Decimal(30000)
    # 36 CPU-ms x 1e6 = 36,000 s = 10 vCPU-h x 0.05
    assert a["preprocessing"] == Decimal("0.5")
    assert a["storage"] == Decimal(20)  # 1,000 GB x 0.02 x 1 month
    assert a["egress"] == Decimal(90)  # 1e6 B x 1e6 = 1,000 GB x 0.09 (price set: no free tier)
    assert a["engineering"] == Decimal(5000)  # 0.5 FTE x 120,000 / 12 x 1 month
    b = itemise(scenario(), CAT, USAGE)
    # 800 + 200 + 3,000 + 100 + 600 + 30,000 + 0.5 + 20 + 90 + 5,000 = 39,810.5
    assert b.total.amount == Decimal("39810.5")
    assert b.inferences == Decimal(1_000_000)
    assert b.cost_per_inference.amount == Decimal("0.0398105")


def test_half_a_month_halves_monthly_items():
    u = CapacityUsage(period_hours=365.0, inferences=1_000_000.0,
                      busy_hours={"on-demand": 100.0}, idle_hours={"on-demand": 300.0})
    a = amounts(itemise(scenario(), CAT, u))
    assert a["licensing"] == Decimal(550)  # 500 + 100 x 0.5 month
    assert a["storage"] == Decimal(10)  # 1,000 GB x 0.02 x 0.5
    assert a["engineering"] == Decimal(2500)  # 5,000 x 0.5
    assert "accelerator_warmup" not in a  # no warm-up hours: no line


def test_warmup_priced_per_gpu_times_gpus_per_replica():
    raw = copy.deepcopy(BASE)
    raw["deployment"]["gpus_per_replica"] = 4
    a = amounts(itemise(scenario(raw), CAT, USAGE))
    assert a["accelerator_warmup"] == Decimal(200)  # 10 h x 5 x 4 GPUs
    assert a["accelerator_idle"] == Decimal(6000)  # 300 h x 20 USD/replica-h
    assert a["experiments"] + a["accelerator_busy"] == Decimal(2000)  # 100 h x 20
