"""Calibration on the real H200 measurements, held-out fidelity, and bad measurement files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from infercost.errors import InputError
from infercost.perf.calibrate import calibrate, leave_one_out
from infercost.perf.measurements import read_measurements


@pytest.fixture
def h200(shared_data):
    f = shared_data / "calibration" / "h200-hf-eager.jsonl"
    if not f.exists():
        pytest.skip("h200-hf-eager.jsonl absent")
    return f


def test_ceilings_come_from_the_gemm_and_copy_rows(h200):
    cal = calibrate(read_measurements(h200))
    assert cal.hardware.id == "h200-sxm"
    assert cal.eff.achieved_tflops["bf16"] == pytest.approx(760.3)
    assert cal.eff.achieved_tflops["fp8"] == pytest.approx(1429.0)
    assert cal.eff.achieved_bw_gbps == pytest.approx(4271.0)
    # skinny matmuls stream weights at ~2.5 TB/s: ~60% of the copy bandwidth
    assert 0.5 < cal.eff.gemm_bw_eff < 0.7
    # decode at batch 1 is launch-bound: the host term dominates
    from infercost.perf.calibrate import predict_step

    row = next(r for r in cal.ms.rows if r["kind"] == "decode" and r["batch"] == 1)
    st = predict_step(row, cal.eff, cal.hardware, 1.0, cal.ms)
    assert st.host > 5 * st.device and st.bound == "overhead"


def test_in_sample_fit(h200):
    cal = calibrate(read_measurements(h200))
    rep = cal.report()
    assert rep["model_rows_median_abs_error"] < 0.08
    assert rep["model_rows_max_abs_error"] < 0.20


def test_held_out_leave_one_out(h200):
    """Each model row predicted by a fit that never saw it (docs/perf.md, table 1)."""
    res = leave_one_out(read_measurements(h200))
    err = np.abs([r["rel_error"] for r in res])
    assert len(err) == 10
    # measured: median 9.3%, max 25.8% (targets 10% / 25%: the max misses, see docs/perf.md)
    assert np.median(err) <= 0.10
    assert err.max() <= 0.30


def test_anchor_split_small_batch_anchors(h200):
    """Fit on batch-1 rows only (+ GEMM/copy rows); predict other batch sizes, lengths, precisions."""
    ms = read_measurements(h200)
    anchors = {17, 19, 22, 23, 26}
    cal = calibrate(ms, only_lines=anchors)
    from infercost.perf.calibrate import residuals

    rows = [r for r in residuals(ms.timed(), cal.eff, cal.hardware, cal.units, ms)
            if r["kind"] in ("prefill", "decode", "encoder", "vision") and r["line"] not in anchors]
    err = np.abs([r["rel_error"] for r in rows])
    assert len(err) == 5
    assert np.median(err) <= 0.15 and err.max() <= 0.30


def _write(tmp_path, rows, name="m.jsonl"):
    p = tmp_path / name
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return p


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="no usable rows"):
        read_measurements(_write(tmp_path, [{"kind": "env", "device": "cpu"}]))
    with pytest.raises(InputError, match="mixed hardware"):
        read_measurements(_write(tmp_path, [{"kind": "env", "device": "cuda", "gpu": "NVIDIA H100"},
                                            {"kind": "env", "device": "cuda", "gpu": "NVIDIA H200"},
                                            {"kind": "membw", "bytes": 10, "seconds": 1}]))
    with pytest.raises(InputError, match="batch must be a positive"):
        read_measurements(_write(tmp_path, [{"kind": "decode", "model": "x", "batch": 0, "context_len": 5,
                                             "seconds_per_step": 1}]))
    with pytest.raises(InputError, match="not JSON"):
        (tmp_path / "bad.jsonl").write_text("{nope\n")
        read_measurements(tmp_path / "bad.jsonl")
    with pytest.raises(InputError, match="not found"):
        read_measurements(tmp_path / "missing.jsonl")


def test_docs_report_the_measured_figures(h200):
    """docs/perf.md quotes the leave-one-out figures this code produces (no stale numbers)."""
    from tests.conftest import ROOT

    res = leave_one_out(read_measurements(h200))
    err = np.abs([r["rel_error"] for r in res])
    text = (ROOT / "docs" / "perf.md").read_text()
    assert f"median |error| {np.median(err):.1%}, max {err.max():.1%} (10 rows)" in text


def test_calibration_file_as_engine_and_on_other_hardware(h200):
    from infercost.core.catalog import load_catalog
    from infercost.perf import build_profile

    cat = load_catalog()
    m = cat.get_model("llama-3.1-8b")
    on_h200 = build_profile(m, "bf16", cat.get_hardware("h200-sxm"), engine=str(h200))
    assert on_h200.decode_step_seconds(1, 512) == pytest.approx(0.0575, rel=0.1)  # the measured 57.5 ms
    on_h100 = build_profile(m, "bf16", cat.get_hardware("h100-sxm"), engine=str(h200))
    assert on_h100.eff.achieved_tflops == {}  # ceilings became fractions of the H100 datasheet
    assert on_h100.eff.eff("bf16") == pytest.approx(760.3 / 989.4, rel=0.01)
    # long prefill is mostly compute (same peak): close; its eager elementwise traffic is slower on H100
    t100, t200 = on_h100.prefill_seconds(1, 2048), on_h200.prefill_seconds(1, 2048)
    assert t200 < t100 < 1.15 * t200
    assert on_h100.decode_step_seconds(256, 2048) > on_h200.decode_step_seconds(256, 2048)


def test_docs_fidelity_block_is_current(h200):
    """docs/perf.md's fidelity tables are exactly what benchmarks/bench_perf_fidelity.py prints."""
    import contextlib
    import io
    import sys

    from tests.conftest import ROOT

    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.bench_perf_fidelity import BEGIN, END, main
    finally:
        sys.path.pop(0)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["--shared", str(h200.parents[2])])
    body = buf.getvalue().replace("\n## ", "\n### ").strip()
    text = (ROOT / "docs" / "perf.md").read_text()
    block = text[text.index(BEGIN) + len(BEGIN): text.index(END)].strip()
    assert block == body, "run: .venv/bin/python benchmarks/bench_perf_fidelity.py --write docs/perf.md"
