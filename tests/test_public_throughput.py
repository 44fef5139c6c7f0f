"""The public throughput rows the performance model is validated against: provenance, units,
shapes, the fit/holdout split, and that every model and GPU they name is in the catalog.

The rows come from public tables other than MLPerf Inference and the ROCm vLLM throughput
table (those two stay out of the repo: they are the project's held-out check).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from importlib import resources

import pytest

from infercost.core.catalog import load_catalog

UNITS = {"output_tokens_per_s", "samples_per_s"}
FAMILIES = {"dense", "moe", "encoder", "cnn"}
PROFILES = {"tensorrt", "vllm", "sglang", "hf-eager"}
SCENARIOS = {"max-load", "static-batch"}
REQUIRED = ("model", "hardware", "family", "engine", "engine_version", "profile", "precision", "gpus", "tp",
            "scenario", "unit", "source", "conditions", "as_of", "split")


def _rows() -> list[dict]:
    text = (resources.files("infercost.perf") / "data" / "public_throughput.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


ROWS = _rows()


def test_rows_parse_and_carry_provenance():
    assert len(ROWS) >= 100
    for i, r in enumerate(ROWS):
        missing = [k for k in REQUIRED if k not in r]
        assert not missing, (i, missing)
        assert len(r["source"]) >= 40 and len(r["conditions"]) >= 40, i
        assert date.fromisoformat(r["as_of"]).year >= 2024, i
        # never the held-out sources
        assert "mlperf" not in r["source"].lower(), i
        assert "rocm-hub" not in r["source"].lower() and "performance-results" not in r["source"].lower(), i


def test_units_are_consistent_with_family_and_shape():
    for i, r in enumerate(ROWS):
        assert r["unit"] in UNITS, i
        value = r[r["unit"]]
        assert isinstance(value, (int, float)) and value > 0, i
        other = (UNITS - {r["unit"]}).pop()
        assert other not in r, (i, "two throughput units in one row")
        assert r["family"] in FAMILIES and r["profile"] in PROFILES and r["scenario"] in SCENARIOS, i
        assert r["tp"] >= 1 and r["gpus"] % r["tp"] == 0, i
        if r["family"] in ("dense", "moe"):
            # decoders: tokens out per second for the whole TP group at a given ISL/OSL
            assert r["unit"] == "output_tokens_per_s", i
            assert r["isl"] > 0 and r["osl"] > 0, i
            assert r["scenario"] == "max-load" or r["batch"] > 0, i
        else:
            # encoders and CNNs: items per second at a fixed batch (and sequence length for encoders)
            assert r["unit"] == "samples_per_s" and r["batch"] > 0 and r["gpus"] == 1, i
            if r["family"] == "encoder":
                assert r["seq_len"] > 0, i


def test_encoder_throughput_is_batch_over_latency():
    # demoBERT publishes average latency; samples_per_s = batch / latency, e.g. BERT-Large INT8 on
    # A100 40GB, seq 128, batch 128: 128 / 25.45 ms = 5,029.5 samples/s
    for r in ROWS:
        if "latency_ms_avg" in r:
            assert r["samples_per_s"] == pytest.approx(r["batch"] / r["latency_ms_avg"] * 1000, abs=0.06)
    row = next(r for r in ROWS if r["model"] == "bert-large" and r["hardware"] == "a100-40gb-sxm"
               and r["precision"] == "int8" and r["seq_len"] == 128 and r["batch"] == 128)
    assert row["samples_per_s"] == 5029.5


def test_every_model_and_gpu_is_in_the_catalog():
    cat = load_catalog()
    for i, r in enumerate(ROWS):
        m = cat.get_model(r["model"])
        hw = cat.get_hardware(r["hardware"])
        assert hw.peak(r["precision"]) > 0, i
        expected = {"dense": "decoder", "moe": "decoder", "encoder": "encoder", "cnn": "vision"}[r["family"]]
        assert m.family == expected, i
        assert (m.experts > 1) == (r["family"] == "moe"), i


def test_split_is_about_a_third_fit_within_every_family():
    counts = Counter((r["family"], r["split"]) for r in ROWS)
    assert set(r["split"] for r in ROWS) == {"fit", "holdout"}
    for fam in FAMILIES:
        fit, hold = counts[(fam, "fit")], counts[(fam, "holdout")]
        assert fit >= 1 and hold >= 2 * fit - 2, (fam, fit, hold)  # ~1/3 fit (rule: row i % 3 == 1)
    total_fit = sum(r["split"] == "fit" for r in ROWS)
    assert 0.25 <= total_fit / len(ROWS) <= 0.40


def test_no_duplicate_measurements():
    keys = [(r["source"], r["model"], r["hardware"], r["precision"], r.get("isl"), r.get("osl"),
             r.get("batch"), r.get("seq_len")) for r in ROWS]
    assert len(keys) == len(set(keys))
