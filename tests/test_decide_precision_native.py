"""Precisions the hardware cannot run natively: estimate says so, optimize leaves them out."""

from __future__ import annotations

from infercost.core.catalog import load_catalog
from infercost.core.scenario import load_scenario
from infercost.decide.grid import build_grid, native_precisions
from infercost.perf.precision import emulated
from tests.conftest import EXAMPLES

T4 = {"fp32": 8.1, "fp16": 65.0, "int8": 130.0, "int4": 260.0}  # catalog t4: no bf16, no fp8
A100 = {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0, "int8": 624.0, "int4": 1248.0}
CPU = {"fp32": 0.1, "bf16": 1.6, "int8": 3.3}


def test_emulated_by_hand():
    assert "t4 has no bf16 peak" in emulated("bf16", T4, "t4")
    assert "fp16 peak" in emulated("bf16", T4, "t4")
    assert emulated("fp16", T4, "t4") is None
    assert emulated("int4", T4, "t4") is None  # weights-only: de-quantised to fp16 by design
    assert "no fp8 tensor-core peak" in emulated("fp8", A100, "a100")
    assert emulated("fp8-w", A100, "a100") is None
    assert emulated("int8", A100, "a100") is None
    assert "x86 has no fp8 peak" in emulated("fp8", CPU, "x86", "cpu")
    assert emulated("int4-w", {"fp32": 1.0}, "old") is not None  # no 16-bit peak at all


def test_native_precisions_swaps_bf16_for_fp16():
    # T4: bf16 -> fp16 (its 16-bit float), fp8 left out; A100: fp8 left out
    assert native_precisions(["bf16", "fp8", "int8", "int4"], T4) == (["fp16", "int8", "int4"], ["fp8"])
    assert native_precisions(["bf16", "fp8", "int8", "int4"], A100) == (["bf16", "int8", "int4"], ["fp8"])
    assert native_precisions(["bf16", "fp8"], CPU, "cpu") == (["bf16"], ["fp8"])


def test_grid_pairs_only_native_precisions():
    cat = load_catalog()
    sc = load_scenario(EXAMPLES / "sentiment-bert.yaml")
    grid = build_grid(sc, cat, hardware=["t4", "a100-80gb-sxm", "x86-vcpu"], engines=["tensorrt"], mig=[])
    pairs = {(c.hardware, c.precision) for c in grid.configs}
    assert ("t4", "bf16") not in pairs and ("t4", "fp16") in pairs
    assert not any(p == "fp8" for _, p in pairs)  # none of the three has an fp8 peak
    note = next(n for n in grid.notes if n.startswith("precisions left out"))
    assert "fp8 on a100-80gb-sxm, t4" in note


def test_estimate_names_an_emulated_precision(cli):
    code, out, err = cli("estimate", EXAMPLES / "sentiment-bert.yaml", "--set", "deployment.hardware=t4",
                         "--set", "model.precision=bf16", "--set", "deployment.pricing.provider=azure",
                         "--json")
    assert code == 0, err
    assert "t4 has no bf16 peak in the catalog" in out
