"""examples/recsys-spike.yaml: the recommender family moved across hardware and serving plans.

Hand-checked: what bounds the baseline at the peak (host, from the engine's launch figures),
and the batching-queue variant's monthly cost, line by line from catalog prices.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import EXAMPLES

SCENARIO = EXAMPLES / "recsys-spike.yaml"


@pytest.fixture(scope="module")
def rows() -> dict:
    from infercost import api

    return {v["name"]: v for v in api.compare(SCENARIO).to_dict()["variants"]}


def test_the_example_uses_the_recommender_family():
    from infercost import api
    from infercost.core.catalog import load_catalog

    sc = api.load_scenario(SCENARIO)
    assert sc.service is None  # the performance model, not an assumed service time
    assert load_catalog().get_model(sc.model.id).family == "recommender"


def test_every_asked_option_is_one_row_with_cost_and_p99(rows):
    assert list(rows) == ["baseline", "int8", "batching-queue", "spot-nonrealtime", "inferentia2",
                          "tpu-v5e", "l4", "tiered"]
    assert (rows["int8"]["precision"], rows["baseline"]["precision"]) == ("int8", "fp16")
    assert {rows[n]["hardware"] for n in ("inferentia2", "tpu-v5e", "l4")} == {
        "inferentia2", "tpu-v5e", "l4"}
    for v in rows.values():
        assert Decimal(v["cost_per_inference"]) > 0 and v["p99_ms"] is not None and v["slo_met"]


def test_baseline_is_host_bound_at_the_peak_by_hand(rows):
    b = rows["baseline"]["bound_at_peak"]
    assert b["limit"] == "host" and b["work"] == "a forward of 200 items (1 request x 200 items)"
    # host time = t_step + kernels x t_kernel (optimized engine: 0.24 ms, 1.5 us per kernel);
    # kernels = 3 per dense layer x (3 bottom + 5 top + 3 cross = 11) + 1 fused lookup
    #           + 20 fixed = 54; 0.24 + 54 x 0.0015 = 0.24 + 0.081 = 0.321 ms
    assert b["host_ms"] == pytest.approx(0.321, abs=1e-9)
    # the device cannot beat the datasheet (A100 80GB SXM: 312 TFLOP/s fp16, 2,039 GB/s):
    # compute >= 200 items x 32,060,928 FLOPs / 312e12 = 6.4122e9 / 312e12 s = 0.02055 ms
    assert b["compute_ms"] >= 0.02055
    # memory >= (gathers 200 x 214 rows x 128 x 2 B = 10,956,800 B
    #            + dense weights 16,044,545 x 2 B = 32,089,090 B) / 2,039e9 B/s = 0.02111 ms
    assert b["memory_ms"] >= 0.02111
    # ... and yet the device needs well under the host's 0.321 ms: host-bound
    assert b["device_ms"] < b["host_ms"] / 4


def test_a_batching_queue_moves_the_peak_off_the_host(rows):
    b = rows["batching-queue"]["bound_at_peak"]
    # 16 requests x 200 items per forward: the device work grows 16x, the host's stays 0.321 ms
    assert b["work"] == "a forward of 3,200 items (16 requests x 200 items)"
    assert b["limit"] == "compute" and b["device_ms"] > b["host_ms"]


def test_batching_queue_monthly_cost_by_hand(rows):
    v = rows["batching-queue"]
    assert v["replicas"] == "2-2"  # the minimum already meets the SLO at the peak
    # traffic: 1,000 req/s for 3,000 s + 10,000 req/s for 600 s over 3,600 s
    #   = (3,000,000 + 6,000,000) / 3,600 = 2,500 req/s; a month of 730 h:
    #   2,500 x 730 x 3,600 = 6,570,000,000 inferences
    # accelerator: 2 replicas x 1 GPU x 730 h x 3.4309 USD/GPU-h (p4de on-demand) = 5,009.114
    # storage: 200 GB x 0.023 USD/GB-month = 4.60
    # egress: 6.57e9 x 2,000 B = 13,140 GB, less 100 GB free = 13,040 GB x 0.09 = 1,173.60
    # total: 5,009.114 + 4.60 + 1,173.60 = 6,187.314 USD a month
    assert Decimal(v["monthly_cost"]) == Decimal("6187.314")
    # per inference: 6,187.314 / 6,570,000,000 = 0.000000941752511...
    assert Decimal(v["cost_per_inference"]).quantize(Decimal("1e-15")) == Decimal("9.41752511E-7")
    assert v["delta_per_inference_pct"] < -30  # cheaper than the baseline's autoscaled fleet
