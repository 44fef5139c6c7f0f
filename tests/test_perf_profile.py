"""PerfProfile: the interface the simulator and the estimate use; memory fit; CPUs; engines."""

from __future__ import annotations

import math

import pytest

from infercost.core.catalog import load_catalog
from infercost.errors import InputError
from infercost.perf import PerfProfile, build_profile

CAT = load_catalog()
M8 = CAT.get_model("llama-3.1-8b")
H100 = CAT.get_hardware("h100-sxm")
H200 = CAT.get_hardware("h200-sxm")


def test_interface_decoder():
    p = build_profile(M8, "bf16", H100)
    assert isinstance(p, PerfProfile) and p.is_llm
    t_pre = p.prefill_seconds(4, 512)
    t_dec = p.decode_step_seconds(4, 512)
    assert 0 < t_dec < t_pre
    # attention cost grows with context
    assert p.decode_step_seconds(64, 8192) > p.decode_step_seconds(64, 512)
    # batch: prefill + (output - 1) decode steps
    b = p.batch_seconds(4, 512, 101)
    approx = t_pre + 100 * p.decode_step_seconds(4, 512 + 49.5)
    assert b == pytest.approx(approx, rel=0.01)
    assert p.batch_seconds(4, 512, 1) == pytest.approx(t_pre)


def test_decode_is_bandwidth_bound_and_prefill_compute_bound_when_optimized():
    p = build_profile(M8, "bf16", H100)
    d = p.decode_step(1, 1000)
    # weights streamed at ~90% of 3.35 TB/s: ~5 ms per token, not less
    assert 4.5e-3 < d.seconds < 7e-3 and d.bound == "bandwidth"
    pre = p.prefill_step(8, 2048)
    assert pre.bound == "compute"
    flops = 2 * 8 * 2048 * 7.5e9
    assert pre.seconds > flops / 989e12  # never faster than the datasheet peak


def test_precision_changes_speed_and_memory():
    bf16 = build_profile(M8, "bf16", H100)
    fp8 = build_profile(M8, "fp8", H100)
    int4 = build_profile(M8, "int4", H100)
    assert fp8.decode_step_seconds(1, 100) < 0.65 * bf16.decode_step_seconds(1, 100)
    assert int4.fit.weights < fp8.fit.weights < bf16.fit.weights
    assert fp8.prefill_seconds(16, 2048) < bf16.prefill_seconds(16, 2048)
    fp32 = build_profile(M8, "fp32", H200)
    assert fp32.fit.weights == pytest.approx(M8.params * 4, rel=1e-9)


def test_memory_fit_and_max_concurrency():
    p = build_profile(M8, "bf16", H100)
    assert p.fit.weights == pytest.approx(M8.params * 2, rel=1e-9)  # 16.06 GB
    n = p.max_concurrency(4096)
    assert n == math.floor(p.fit.free / (131072 * 4096))
    assert p.max_concurrency(1024) == min(2048, math.floor(p.fit.free / (131072 * 1024)))
    assert p.max_concurrency(8192) < n
    tp2 = build_profile(M8, "bf16", H100, gpus=2, tp=2)
    assert tp2.max_concurrency(4096) > 2 * n  # weights halve too


def test_too_large_names_the_shortfall():
    m70 = CAT.get_model("llama-3.1-70b")
    with pytest.raises(InputError, match=r"short by \d+\.\d GB"):
        build_profile(m70, "bf16", H100)
    build_profile(m70, "bf16", H100, gpus=4, tp=4)  # fits on four (141 GB of weights)
    build_profile(m70, "fp8", H200)  # and in fp8 on one H200 (as in the TensorRT-LLM table)


def test_tensor_parallel_adds_allreduce_time():
    one = build_profile(M8, "bf16", H100)
    two = build_profile(M8, "bf16", H100, gpus=2, tp=2)
    st = two.decode_step(64, 1024)
    assert st.comm > 0
    assert st.seconds < one.decode_step_seconds(64, 1024)
    with pytest.raises(InputError):
        build_profile(M8, "bf16", H100, gpus=2, tp=3)


def test_non_llm_families_and_cpu():
    bert = CAT.get_model("bert-base")
    g = build_profile(bert, "fp16", CAT.get_hardware("l4"))
    assert not g.is_llm
    assert g.batch_seconds(64, 128) > g.batch_seconds(1, 128)
    assert g.batch_seconds(8, 512) > g.batch_seconds(8, 128)
    assert g.max_concurrency(128) > 100
    rn = build_profile(CAT.get_model("resnet50"), "fp16", CAT.get_hardware("t4"))
    assert rn.batch_seconds(64) > rn.batch_seconds(1)
    cpu = build_profile(CAT.get_model("all-minilm-l6-v2"), "fp32", CAT.get_hardware("x86-vcpu"), gpus=8)
    cpu16 = build_profile(CAT.get_model("all-minilm-l6-v2"), "fp32", CAT.get_hardware("x86-vcpu"), gpus=16)
    assert cpu16.batch_seconds(32, 128) < cpu.batch_seconds(32, 128)
    llm_cpu = build_profile(M8, "bf16", CAT.get_hardware("x86-vcpu"), gpus=32)
    assert llm_cpu.decode_step_seconds(1, 100) > 20 * build_profile(M8, "bf16", H100).decode_step_seconds(1, 100)
    with pytest.raises(InputError):
        g.prefill_seconds(1, 10)


def test_engines_and_bad_shapes():
    opt = build_profile(M8, "bf16", H200)
    eager = build_profile(M8, "bf16", H200, engine="hf-eager")
    assert eager.decode_step_seconds(1, 512) > 2 * opt.decode_step_seconds(1, 512)  # launch-bound
    with pytest.raises(InputError):
        build_profile(M8, "bf16", H200, engine="turbo")
    for bad in ((0, 10), (-1, 10), (1, 0)):
        with pytest.raises(InputError):
            opt.prefill_seconds(*bad)
    with pytest.raises(InputError):
        opt.decode_step_seconds(0, 10)
    with pytest.raises(InputError):
        build_profile(M8, "bf12", H200)


def test_mixtral_moe_fits_and_runs():
    m = CAT.get_model("mixtral-8x7b")
    p = build_profile(m, "fp8", H200)
    assert p.decode_step_seconds(1, 100) < p.decode_step_seconds(128, 100)
