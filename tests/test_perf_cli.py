"""The three contracted commands and their bad-input exits."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def h200(shared_data):
    return shared_data / "calibration" / "h200-hf-eager.jsonl"


def test_throughput_json(cli):
    code, out, err = cli("perf", "throughput", "--model", "llama-3.1-8b", "--precision", "fp8", "--hardware",
                         "h200-sxm", "--gpus", "1", "--tp", "1", "--isl", "1000", "--osl", "1000",
                         "--engine", "optimized", "--json")
    assert code == 0, err
    d = json.loads(out)
    for k in ("output_tokens_per_s", "max_concurrency", "ttft_ms", "tpot_ms", "bound"):
        assert k in d
    assert d["bound"] in ("compute", "bandwidth", "memory", "overhead")
    # published TensorRT-LLM: 17,744 tokens/s (docs/perf.md): within 15%
    assert d["output_tokens_per_s"] == pytest.approx(17744, rel=0.15)


def test_throughput_tp_and_human_output(cli):
    code, out, _ = cli("perf", "throughput", "--model", "llama-3.3-70b", "--precision", "fp8", "--hardware",
                       "h100-sxm", "--gpus", "2", "--tp", "2", "--isl", "128", "--osl", "2048")
    assert code == 0 and "output tokens/s" in out


@pytest.mark.parametrize("args, needle", [
    (["--model", "llama-9b"], "unknown model"),
    (["--hardware", "h900"], "unknown hardware"),
    (["--model", "llama-3.1-70b", "--precision", "bf16", "--hardware", "h100-sxm"], "short by"),
    (["--isl", "0"], "isl must be"),
    (["--osl", "-5"], "osl must be"),
    (["--gpus", "2", "--tp", "3"], "tp must be"),
    (["--precision", "fp5"], "unknown precision"),
])
def test_throughput_bad_input_exit_2(cli, args, needle):
    base = {"--model": "llama-3.1-8b", "--hardware": "h100-sxm", "--isl": "100", "--osl": "100"}
    argv = ["perf", "throughput"]
    flat = dict(zip(args[::2], args[1::2], strict=True))
    for k, v in {**base, **flat}.items():
        argv += [k, v]
    code, out, err = cli(*argv)
    assert code == 2
    assert needle in err and len(err.strip().splitlines()) == 1 and out == ""


def test_predict_contract(cli, h200, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text("\n".join(json.dumps(r) for r in [
        {"kind": "decode", "model": "llama-3.1-8b-shape", "batch": 64, "context_len": 1024},
        {"kind": "prefill", "model": "llama-3.1-8b-shape", "batch": 4, "prompt_len": 512},
        {"kind": "encoder", "model": "bert-base-shape", "dtype": "torch.bfloat16", "batch": 32, "seq_len": 128},
        {"kind": "vision", "model": "resnet50", "dtype": "torch.float32", "batch": 64},
        {"kind": "gemm", "dtype": "fp8_e4m3", "n": 4096},
    ]) + "\n")
    code, out, err = cli("perf", "predict", "--calibration", h200, "--cases", cases, "--json")
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 5 and all(r["predicted_seconds"] > 0 for r in rows)
    assert rows[0]["kind"] == "decode" and rows[0]["batch"] == 64
    # decode at batch 64 is still launch-bound on HF eager: near the 57.5 ms batch-1 step
    assert 0.045 < rows[0]["predicted_seconds"] < 0.09


def test_validate_contract(cli, h200):
    code, out, err = cli("perf", "validate", "--calibration", h200, "--measurements", h200, "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["all_rows"]["rows"] == 24 and d["model_rows"]["rows"] == 10
    assert d["model_rows"]["median_abs_rel_error"] < 0.08
    code, out, _ = cli("perf", "validate", "--calibration", h200, "--measurements", h200)
    assert code == 0 and "median |error|" in out


def test_calibrate_prints_parameters(cli, h200):
    code, out, _ = cli("perf", "calibrate", "--measurements", h200)
    assert code == 0 and "gemm_bw_eff" in out and "f_decode" in out


def test_bad_calibration_files_exit_2(cli, tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text(json.dumps({"kind": "env", "device": "cpu"}) + "\n")
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"kind": "membw", "bytes": 100}) + "\n")
    code, _, err = cli("perf", "predict", "--calibration", empty, "--cases", cases, "--json")
    assert code == 2 and "no usable rows" in err
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text("\n".join(json.dumps(r) for r in [
        {"kind": "env", "device": "cuda", "gpu": "NVIDIA H100 80GB HBM3"},
        {"kind": "env", "device": "cuda", "gpu": "NVIDIA A100-SXM4-80GB"},
        {"kind": "membw", "bytes": 100, "seconds": 1e-6}]) + "\n")
    code, _, err = cli("perf", "validate", "--calibration", mixed, "--measurements", mixed)
    assert code == 2 and "mixed hardware" in err and len(err.strip().splitlines()) == 1
    code, _, err = cli("perf", "validate", "--calibration", tmp_path / "nope.jsonl", "--measurements", mixed)
    assert code == 2


# -- errors name the flag typed, not the scenario key it stands for ----------------------
@pytest.mark.parametrize("args, flag, needle", [
    (["--gpus", "1", "--tp", "2"], "--tp", "between 1 and gpus (1), got 2"),
    (["--gpus", "4", "--tp", "3"], "--tp", "multiple of tp (3)"),
    (["--gpus", "6", "--tp", "6"], "--tp", "does not divide the 32 attention heads"),
    (["--gpus", "6"], "--gpus", "tp 6 does not divide the 32 attention heads"),  # --tp defaults to --gpus
    (["--gpus", "0"], "--gpus", "positive integer, got 0"),
    (["--gpus", "-1"], "--gpus", "positive integer, got -1"),
    (["--precision", "fp9"], "--precision", "unknown precision 'fp9'"),
    (["--precision", "bf16-w"], "--precision", "suffix applies to fp8, int8, int4 only"),
    (["--engine", "foo"], "--engine", "unknown engine 'foo'"),
    (["--engine", "vllm@0.1"], "--engine", "unknown version '0.1' of engine vllm"),
    (["--model", "llama-3.1-70b", "--precision", "bf16"], "--hardware", "short by"),
    (["--hardware", "l4", "--isl", "30000", "--osl", "2000"], "--isl/--osl", "not even one sequence"),
])
def test_throughput_errors_name_the_flag(cli, args, flag, needle):
    base = {"--model": "llama-3.1-8b", "--hardware": "h100-sxm", "--isl": "100", "--osl": "100"}
    argv = ["perf", "throughput"]
    for k, v in {**base, **dict(zip(args[::2], args[1::2], strict=True))}.items():
        argv += [k, v]
    code, out, err = cli(*argv)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {flag}: ") and needle in err, err
    assert len(err.strip().splitlines()) == 1


def test_throughput_tp_on_a_vision_model_names_the_flag(cli):
    code, _, err = cli("perf", "throughput", "--model", "resnet50", "--hardware", "h100-sxm",
                       "--batch", "4", "--gpus", "2", "--tp", "2")
    assert code == 2 and err.startswith("error: --tp: tp 2: resnet50 is a vision model"), err


@pytest.mark.parametrize("engine, needle", [("foo", "unknown engine 'foo'"),
                                            ("vllm@0.1", "unknown version '0.1' of engine vllm")])
def test_calibrate_refuses_an_unknown_engine_naming_the_flag(cli, h200, engine, needle):
    # before: 'foo' was fitted from hf-eager and printed as "(foo)"; vllm@0.1 named deployment.engine
    code, out, err = cli("perf", "calibrate", "--measurements", h200, "--engine", engine)
    assert (code, out) == (2, "")
    assert err.startswith("error: --engine: ") and needle in err, err


def test_throughput_notes_wrap_at_80_columns(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli("perf", "throughput", "--model", "llama-3.1-8b", "--hardware", "a100-80gb-sxm",
                         "--precision", "fp8", "--isl", "512", "--osl", "128")
    assert code == 0, err
    assert max(map(len, out.splitlines())) <= 80, out
    # the note is all there, on an indented continuation line
    flat = " ".join(x.strip() for x in out.splitlines())
    assert ("note: a100-80gb-sxm has no fp8 tensor-core peak: fp8 weights are de-quantised and matmuls run "
            "at the 16-bit peak (fp8-w)") in flat


def test_validate_table_keeps_every_figure_whole_at_80_columns(cli, monkeypatch, h200):
    """At 80 columns the measured and predicted seconds were cut ("0.018…", "0.0196…"):
    only the error column could be read."""
    import json

    f = h200
    if not f.exists():
        pytest.skip("the shared calibration file is not here")
    monkeypatch.setenv("COLUMNS", "80")
    args = ("perf", "validate", "--calibration", str(f), "--measurements", str(f),
            "--leave-one-out")
    code, out, err = cli(*args)
    assert code == 0, err
    assert max(map(len, out.splitlines())) <= 80 and "…" not in out, out
    code, js, _ = cli(*args, "--json")
    for r in json.loads(js)["rows"]:
        row = [x for x in out.splitlines() if x.split()[:1] == [str(r["line"])]][0]
        assert f"{r['measured_s']:.4g}" in row and f"{r['rel_error']:+.1%}" in row, row
