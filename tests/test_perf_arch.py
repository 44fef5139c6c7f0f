"""Hand-checked FLOPs, bytes and KV cache sizes."""

from __future__ import annotations

import pytest

from infercost.core.catalog import load_catalog
from infercost.perf.arch import (
    Traffic,
    decoder_work,
    encoder_work,
    resnet_counts,
    shape_of,
    streamed_weight_bytes,
)
from infercost.perf.precision import parse_precision

CAT = load_catalog()
L8 = CAT.get_model("llama-3.1-8b")
BF16 = parse_precision("bf16")

# Llama-3.1-8B by hand: hidden 4096, 32 layers, 32 heads, 8 KV heads x 128, MLP 14336, vocab 128256
ATTN = 4096 * 4096 * 2 + 4096 * 1024 * 2  # q, o + k, v = 41,943,040
MLP = 3 * 4096 * 14336  # 176,160,768
LAYER = ATTN + MLP  # 218,103,808
EMB = 128256 * 4096  # 525,336,576


def test_llama_8b_parameter_count_matches_config():
    s = shape_of(L8)
    assert s.attn_params == ATTN == 41_943_040
    assert s.layer_linear_params == LAYER == 218_103_808
    assert s.total_params == 32 * (LAYER + 2 * 4096) + 2 * EMB + 4096 == 8_030_261_248 == L8.params


def test_kv_cache_bytes_per_token():
    s = shape_of(L8)
    assert s.kv_bytes_per_token(2) == 2 * 32 * 8 * 128 * 2 == 131_072
    assert s.kv_bytes_per_token(1) == 65_536  # fp8 KV
    mha = shape_of(CAT.get_model("llama-3.1-8b").__class__(**{**L8.__dict__, "kv_heads": 32}))
    mqa = shape_of(L8.__class__(**{**L8.__dict__, "kv_heads": 1}))
    assert mha.kv_bytes_per_token(2) == 4 * 131_072 and mqa.kv_bytes_per_token(2) == 131_072 / 8


def test_decode_weight_bytes_bf16():
    s = shape_of(L8)
    # footprint = params x 2; streamed per decode step = everything but the embedding gather (and norms)
    assert L8.params * 2 == 16_060_522_496
    assert streamed_weight_bytes(s, BF16) == (32 * LAYER + EMB) * 2 == 15_009_316_864
    # fp8 weights: layers at 1 byte, output head kept 16-bit
    assert streamed_weight_bytes(s, parse_precision("fp8")) == 32 * LAYER + EMB * 2
    assert streamed_weight_bytes(s, parse_precision("int4")) == 32 * LAYER * 0.5 + EMB * 2


def test_prefill_flops_llama_8b():
    s = shape_of(L8)
    p = 2048
    w = decoder_work(s, BF16, [(1, p, 0)], logits_tokens=1)
    linear = 2 * 32 * LAYER * p
    attention = 4 * 4096 * 32 * (p * (p + 1) / 2)  # QK^T + PV, causal
    head = 2 * EMB * 1
    assert w.flops == pytest.approx(linear + attention + head, rel=1e-12)
    # the usual rule of thumb: 2 x params x tokens, within the attention term
    assert 0.85 < w.flops / (2 * L8.params * p) < 1.0
    assert attention / w.flops == pytest.approx(0.0378, abs=0.001)


def test_decode_flops_and_bytes_llama_8b():
    s = shape_of(L8)
    ctx, b = 1000, 8
    w = decoder_work(s, BF16, [(b, 1, ctx)], logits_tokens=b, traffic=Traffic(kv_read_factor=1.0))
    flops = 2 * (32 * LAYER + EMB) * b + b * 4 * 4096 * 32 * (ctx + 1)
    assert w.flops == pytest.approx(flops, rel=1e-12)
    attn = next(g for g in w.groups if g.name == "attention")
    kv_read = b * (ctx + 1) * 131_072
    kv_write = b * 131_072
    q_and_o = b * 2 * 4096 * 2 * 32
    assert attn.bytes == pytest.approx(kv_read + kv_write + q_and_o, rel=1e-12)
    assert w.bytes > streamed_weight_bytes(s, BF16) + kv_read


def test_moe_touches_only_routed_experts():
    m = CAT.get_model("mixtral-8x7b")
    s = shape_of(m)
    one = decoder_work(s, BF16, [(1, 1, 100)], logits_tokens=1)
    many = decoder_work(s, BF16, [(256, 1, 100)], logits_tokens=256)
    # MoE experts are their own op group ("experts"); linear = attention projections + router
    lin1 = sum(g.bytes for g in one.groups if g.name in ("linear", "experts"))
    lin256 = sum(g.bytes for g in many.groups if g.name in ("linear", "experts"))
    assert s.active_layer_linear_params < s.layer_linear_params
    # batch 1 streams 2 of 8 experts; batch 256 nearly all of them
    assert lin1 < 0.4 * lin256
    assert one.flops / 1 == pytest.approx(2 * (s.active_layer_linear_params * s.layers + s.vocab * s.hidden)
                                          + 4 * s.q_dim * s.layers * 101, rel=1e-9)


def test_tensor_parallel_splits_work_and_adds_allreduce():
    s = shape_of(L8)
    w1 = decoder_work(s, BF16, [(4, 1, 512)], logits_tokens=4, tp=1)
    w2 = decoder_work(s, BF16, [(4, 1, 512)], logits_tokens=4, tp=2)
    assert not any(g.kind == "comm" for g in w1.groups)
    comm = next(g for g in w2.groups if g.kind == "comm")
    assert comm.count == 2 * 32 and comm.bytes == 2 * 32 * 4 * 4096 * 2
    assert w2.flops == pytest.approx(w1.flops / 2, rel=1e-9)


def test_bert_and_resnet_counts():
    s = shape_of(CAT.get_model("bert-base"))
    assert s.layer_linear_params == 4 * 768 * 768 + 2 * 768 * 3072 == 7_077_888
    w = encoder_work(s, parse_precision("fp32"), 1, 128)
    assert w.flops == pytest.approx(2 * 12 * 7_077_888 * 128 + 4 * 768 * 128 * 128 * 12, rel=1e-12)
    c = resnet_counts(50)
    assert 4.0e9 < c["macs"] < 4.2e9  # "about 4.1 GMACs per 224x224 image"
    assert 25.0e6 < c["weights"] < 25.6e6  # 25.6 M params incl. batch-norm
    assert c["convs"] == 53


def test_precisions():
    for name, wb, comp in [("fp32", 4, "fp32"), ("tf32", 4, "tf32"), ("bf16", 2, "bf16"), ("fp16", 2, "fp16"),
                           ("fp8", 1, "fp8"), ("int8", 1, "int8"), ("int8-w", 1, "bf16"), ("int4", 0.5, "bf16"),
                           ("int4-wa", 0.5, "int4")]:
        p = parse_precision(name)
        assert (p.weight_bytes, p.compute) == (wb, comp), name
    from infercost.errors import InputError

    for bad in ("fp12", "bf16-w", "int8-x"):
        with pytest.raises(InputError):
            parse_precision(bad)
