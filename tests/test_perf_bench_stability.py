"""`infercost bench` on a small shared machine: noisy or out-of-order timings are flagged,
and CPU runs default to a thread count that leaves room for the rest of the machine."""

from __future__ import annotations

import pytest

from infercost.bench.harness import NOISE_IQR, default_threads, monotone_warnings, spread


def test_spread_is_relative_iqr():
    # quartiles (inclusive) of 1, 2, 3, 4, 5: 2 and 4; median 3 -> (4 - 2) / 3
    assert spread([1, 2, 3, 4, 5]) == pytest.approx(2 / 3)
    assert spread([1.0, 1.0, 1.0]) == 0.0
    assert spread([1.0, 9.0]) == 0.0  # too few repetitions to judge


def test_out_of_order_batches_are_flagged():
    rows = [{"kind": "encoder", "dtype": "fp32", "seq_len": 32, "batch": 1, "seconds": 0.020},
            {"kind": "encoder", "dtype": "fp32", "seq_len": 32, "batch": 4, "seconds": 0.015},  # faster: wrong
            {"kind": "encoder", "dtype": "fp32", "seq_len": 32, "batch": 8, "seconds": 0.030},
            {"kind": "encoder", "dtype": "fp32", "seq_len": 128, "batch": 1, "seconds": 0.040}]
    w = monotone_warnings(rows)
    assert len(w) == 1 and "batch 4 (15.00 ms) faster than batch 1 (20.00 ms)" in w[0]
    # within the 5% slack: not flagged (0.0195 > 0.020 x 0.95 = 0.019)
    rows[1]["seconds"] = 0.0195
    assert monotone_warnings(rows) == []


def test_noisy_rows_are_flagged():
    rows = [{"kind": "decode", "batch": 2, "context_len": 8, "seconds_per_step": 0.01, "iqr_rel": NOISE_IQR + 0.05}]
    assert "noisy repetitions (IQR 15% of the median)" in monotone_warnings(rows)[0]


def test_default_threads_leave_half_the_cpus():
    import os

    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    assert default_threads() == max(1, n // 2)
