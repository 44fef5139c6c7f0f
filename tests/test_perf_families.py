"""perf throughput for every family, engine profiles, vendor ceilings, precision per op,
cache residency, MoE, recommenders, error bars; impossible set-ups refused in one line."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from infercost.core.catalog import load_catalog
from infercost.errors import InputError
from infercost.perf import build_profile
from infercost.perf.arch import (
    OpGroup,
    StepWork,
    decoder_work,
    rec_shape,
    recommender_work,
    shape_of,
)
from infercost.perf.efficiency import Efficiency, smax
from infercost.perf.engines import default_engine, parse_engine
from infercost.perf.precision import parse_precision
from infercost.perf.roofline import Rates, step_time
from infercost.perf.uncertainty import Prediction, perf_family
from infercost.perf.vendors import LINKS, hardware_family, link_of

CAT = load_catalog()


def _run(cli, *args):
    code, out, err = cli("perf", "throughput", *args)
    return code, out, err


# -- throughput for every family ---------------------------------------------------------

def test_encoder_and_vision_give_samples_per_s_with_interval(cli):
    code, out, err = _run(cli, "--model", "bert-base", "--hardware", "h100-sxm", "--batch", "64",
                          "--precision", "int8", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["samples_per_s"] > 0 and d["bound"] in ("compute", "memory", "host")
    assert d["samples_per_s_p10"] <= d["samples_per_s"] <= d["samples_per_s_p90"] or d["interval"]["rows"] == 0
    assert d["seq_len"] == 128 and d["batch"] == 64
    # samples/s = batch / step seconds (one copy on one GPU)
    assert d["samples_per_s"] == pytest.approx(64 / d["step"]["seconds"], rel=1e-3)
    code, out, err = _run(cli, "--model", "resnet50", "--hardware", "l4", "--batch", "32", "--gpus", "2",
                          "--precision", "int8", "--json")
    assert code == 0, err
    v = json.loads(out)
    # every GPU serves its own copy: 2 replicas, twice one GPU's rate
    assert v["replicas"] == 2 and v["tp"] == 1
    assert v["samples_per_s"] == pytest.approx(2 * 32 / v["step"]["seconds"], rel=1e-3)


def test_decoder_json_has_interval_keys_and_extra_quantile(cli):
    code, out, err = _run(cli, "--model", "llama-3.1-8b", "--hardware", "h200-sxm", "--precision", "fp8",
                          "--isl", "1000", "--osl", "1000", "--quantile", "0.5", "--json")
    assert code == 0, err
    d = json.loads(out)
    for k in ("output_tokens_per_s", "output_tokens_per_s_p10", "output_tokens_per_s_p90",
              "output_tokens_per_s_p50"):
        assert k in d
    assert d["output_tokens_per_s_p10"] < d["output_tokens_per_s_p90"]  # residual table has spread


@pytest.mark.parametrize("args, needle", [
    (["--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--isl", "10", "--osl", "10", "--gpus", "3",
      "--tp", "3"], "does not divide the 32 attention heads"),
    (["--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--isl", "200000", "--osl", "10"],
     "exceeds the context of llama-3.1-8b (131072 tokens)"),
    (["--model", "bert-base", "--hardware", "h100-sxm", "--batch", "0"], "batch must be a positive integer"),
    (["--model", "bert-base", "--hardware", "h100-sxm", "--batch", "4", "--seq-len", "0"],
     "seq len must be a positive integer"),
    (["--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--isl", "10", "--osl", "10", "--engine", "vlm"],
     "known: tensorrt (1.0), vllm (0.10/0.6), sglang (0.4), hf-eager, optimized"),
    (["--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--isl", "10", "--osl", "10", "--engine",
      "vllm@9.9"], "unknown version '9.9' of engine vllm"),
    (["--model", "bert-base", "--hardware", "h100-sxm", "--isl", "10", "--osl", "10"],
     "'bert-base' is an encoder model: give --batch"),
    (["--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--batch", "8"], "is a decoder model"),
    (["--model", "resnet50", "--hardware", "h100-sxm", "--batch", "8", "--seq-len", "8"],
     "--seq-len applies to encoder models"),
    (["--model", "llama-3.1-8b", "--hardware", "h100-sxm", "--isl", "10", "--osl", "10", "--quantile", "1.5"],
     "quantile must be strictly between 0 and 1"),
])
def test_impossible_setups_exit_2_one_line(cli, args, needle):
    code, out, err = _run(cli, *args)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1


def test_grammar_of_family_refusal():
    p = build_profile(CAT.get_model("bert-base"), "bf16", CAT.get_hardware("h100-sxm"), tp=1)
    with pytest.raises(InputError, match="is an encoder model"):
        p.prefill_seconds(1, 8)


def test_kv_heads_must_split_or_replicate():
    # llama-3.1-8b: 32 heads, 8 KV heads; tp 16 divides 32 heads and is a multiple of 8: allowed
    build_profile(CAT.get_model("llama-3.1-8b"), "bf16", CAT.get_hardware("h100-sxm"), gpus=16, tp=16)
    with pytest.raises(InputError, match="does not divide"):
        build_profile(CAT.get_model("llama-3.1-8b"), "bf16", CAT.get_hardware("h100-sxm"), gpus=6, tp=6)


def test_fp8_on_gpu_without_fp8_falls_back_with_note(cli):
    code, out, err = _run(cli, "--model", "llama-3.1-8b", "--hardware", "a100-80gb-sxm", "--precision", "fp8",
                          "--isl", "100", "--osl", "100", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["precision"] == "fp8-w"
    assert any("no fp8 tensor-core peak" in n for n in d["notes"])


# -- engines -------------------------------------------------------------------------------

def test_engine_names_versions_and_alias():
    assert parse_engine("vllm@0.6") == ("vllm", "0.6")
    assert default_engine("vllm@0.6").max_batch == 256  # vLLM 0.6 default max_num_seqs
    assert default_engine("vllm").version == "0.10"
    opt = default_engine("optimized")
    assert opt.name == "optimized" and opt.represents.startswith("alias of tensorrt@1.0")
    trt = default_engine("tensorrt")
    assert opt.t_step == trt.t_step and opt.compute_eff == trt.compute_eff
    for name in ("tensorrt", "vllm", "sglang", "hf-eager"):
        e = default_engine(name)
        assert e.represents and e.sources  # every profile says what it stands for and cites its parameters


def test_vllm_slower_than_tensorrt_on_same_gpu():
    m, hw = CAT.get_model("llama-3.1-8b"), CAT.get_hardware("h100-sxm")
    from infercost.perf.throughput import max_load

    trt = max_load(build_profile(m, "fp8", hw, engine="tensorrt"), 1000, 1000)["output_tokens_per_s"]
    vllm = max_load(build_profile(m, "fp8", hw, engine="vllm"), 1000, 1000)["output_tokens_per_s"]
    assert vllm < trt


# -- vendors -------------------------------------------------------------------------------

def test_vendor_ceilings_scale_named_engines():
    mi = CAT.get_hardware("mi300x")
    assert hardware_family(mi) == "cdna3"
    p = build_profile(CAT.get_model("llama-3.1-8b"), "bf16", mi, engine="tensorrt")
    # bf16 rate = peak x compute_eff (0.55) x cdna3 / hopper ceiling (0.60 / 0.80)
    assert p.rates.flops["bf16"] == pytest.approx(mi.peak_tflops["bf16"] * 1e12 * 0.55 * 0.60 / 0.80)
    # bandwidth = datasheet x 0.90 x (0.81 / 0.89)
    assert p.rates.bw == pytest.approx(mi.memory_bw_gbps * 1e9 * 0.90 * 0.81 / 0.89)
    h = build_profile(CAT.get_model("llama-3.1-8b"), "bf16", CAT.get_hardware("h100-sxm"), engine="tensorrt")
    assert h.rates.flops["bf16"] == pytest.approx(989.4e12 * 0.55)  # fitted family: unscaled


def test_interconnect_all_reduce_latency_grows_with_tp():
    assert link_of(CAT.get_hardware("h100-sxm")).kind == "nvlink"
    assert link_of(CAT.get_hardware("mi300x")).kind == "infinity-fabric"
    assert link_of(CAT.get_hardware("l4")).kind == "pcie"
    nv = LINKS["nvlink"]
    assert nv.latency(2) == pytest.approx(8e-6)
    assert nv.latency(8) == pytest.approx(8e-6 + 6 * 2e-6)  # 20 us: 6 more ranks x 2 us
    # one all-reduce of 1 MB at tp 8 over NVLink: 20 us + 2 x 7/8 x 1e6 / (450e9 x 0.7) = 25.56 us
    w = StepWork([OpGroup("allreduce", "comm", 0.0, 1e6, 1)], 0.0, "decode")
    eff = Efficiency(name="t", t_step=0.0, t_kernel=0.0)
    r = Rates({"bf16": 1e15}, 1e12, 450e9, nv, 0.0)
    assert step_time(w, parse_precision("bf16"), r, eff, tp=8).comm == pytest.approx(
        20e-6 + 2 * 7 / 8 * 1e6 / (450e9 * 0.7))


# -- precision per op, residency, KV -------------------------------------------------------

def _rates(l2=50e6):
    return Rates({"fp32": 50e12, "tf32": 400e12, "bf16": 800e12, "int8": 1600e12}, 4e12, 0.0, LINKS["nvlink"], l2)


def test_fp32_convolutions_on_tf32_unless_turned_off():
    w = StepWork([OpGroup("conv", "conv", 1e12, 0.0)], 0.0, "vision")
    eff = Efficiency(name="t", conv_eff=0.5, p_dev=60.0, conv_eff_simt=None)
    fp32 = parse_precision("fp32")
    on = step_time(w, fp32, _rates(), eff.with_(conv_tf32=True))
    off = step_time(w, fp32, _rates(), eff.with_(conv_tf32=False))
    assert on.compute == pytest.approx(1e12 / (400e12 * 0.5))  # 5 ms on TF32
    assert off.compute == pytest.approx(1e12 / (50e12 * 0.5))  # 40 ms on true fp32
    g = StepWork([OpGroup("mm", "gemm", 1e12, 0.0)], 0.0, "vision")
    assert step_time(g, fp32, _rates(), eff).compute == pytest.approx(1e12 / 50e12)  # matmul: true fp32


def test_activations_in_l2_not_charged_to_hbm():
    # 10 MB of activation traffic, working set 4 MB: fits in half of a 50 MB L2 -> not charged
    g = OpGroup("elementwise", "elem", 0.0, 10e6, resident_bytes=10e6, working_set=4e6)
    eff = Efficiency(name="t", p_dev=60.0)
    t_in = step_time(StepWork([g], 0.0, "encoder"), parse_precision("bf16"), _rates(50e6), eff)
    t_out = step_time(StepWork([g], 0.0, "encoder"), parse_precision("bf16"), _rates(4e6), eff)
    assert t_in.memory == 0.0
    assert t_out.memory == pytest.approx(10e6 / 4e12)  # 2.5 us at 4 TB/s


def test_int8_activations_one_byte_on_tensorrt_encoders_only():
    bert, hw = CAT.get_model("bert-base"), CAT.get_hardware("h100-sxm")
    assert build_profile(bert, "int8", hw, tp=1, engine="tensorrt").precision.act_bytes == 1.0
    assert build_profile(bert, "int8", hw, tp=1, engine="vllm").precision.act_bytes == 2.0
    llm = build_profile(CAT.get_model("llama-3.1-8b"), "fp8", hw, engine="tensorrt")
    assert llm.precision.act_bytes == 2.0  # TensorRT-LLM writes 16-bit GEMM outputs


def test_kv_precision_separate_from_weights():
    m, hw = CAT.get_model("llama-3.1-8b"), CAT.get_hardware("h100-sxm")
    bf = build_profile(m, "bf16", hw)
    f8 = build_profile(m, "bf16", hw, kv_precision="fp8")
    # 2 x 32 layers x 8 KV heads x 128 x 2 bytes = 131,072; fp8 KV: 65,536
    assert bf.fit.kv_per_token == 131072 and f8.fit.kv_per_token == 65536
    assert f8.precision.weight_bytes == 2.0


def test_eager_decode_kv_time_not_hidden_under_host():
    # host 50 ms, device 10 ms of which 8 ms is KV attention: smax(50, 2; 5) + 8
    w = StepWork([OpGroup("attention", "attn", 0.0, 8e-3 * 4e12), OpGroup("linear", "gemm", 0.0, 2e-3 * 4e12)],
                 0.0, "decode")
    eff = Efficiency(name="t", t_step=50e-3, p_dev=60.0, p_host=5.0, gemm_bw_eff=1.0, kv_serial=True,
                     cache_residency=False)
    t = step_time(w, parse_precision("bf16"), _rates(), eff)
    assert t.seconds == pytest.approx(smax(50e-3, 2e-3, 5.0) + 8e-3)


# -- MoE -----------------------------------------------------------------------------------

def test_moe_expert_gemm_efficiency_from_tokens_per_expert():
    s = shape_of(CAT.get_model("mixtral-8x7b"))  # 8 experts, top-2
    w = decoder_work(s, parse_precision("bf16"), [(8, 1, 100)], logits_tokens=8, moe_m_half=32.0)
    ex = next(g for g in w.groups if g.name == "experts")
    # 8 tokens x 2 / 8 experts = 2 tokens per expert: 2 / (2 + 32)
    assert ex.eff_scale == pytest.approx(2 / 34)
    big = decoder_work(s, parse_precision("bf16"), [(4096, 1, 100)], logits_tokens=4096, moe_m_half=32.0)
    assert next(g for g in big.groups if g.name == "experts").eff_scale == pytest.approx(1024 / 1056)
    route = next(g for g in w.groups if g.name == "routing")
    # permute + unpermute: 4 passes x 8 tokens x 2 experts x 4096 hidden x 2 bytes x 32 layers
    assert route.bytes == 4 * 8 * 2 * 4096 * 2 * 32
    assert perf_family(CAT.get_model("mixtral-8x7b")) == "moe"


# -- recommenders --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Rec:
    id: str = "dlrm-test"
    family: str = "recommender"
    params: int = 0
    name: str = "dlrm"
    source: str = "test"
    as_of: date = date(2026, 1, 1)
    embedding_rows: tuple = (1000,) * 26
    embedding_dim: int = 128
    lookups_per_item: tuple = (2,) * 26
    dense_features: int = 13
    bottom_mlp: tuple = (512, 256, 128)
    top_mlp: tuple = (1024, 1024, 512, 256, 1)
    cross_layers: int = 3
    cross_rank: int = 512
    flops_per_item: float = 0.0
    bytes_per_item: float = 0.0
    layers: int = 0
    seq_len: int = 0
    notes: tuple = field(default_factory=tuple)


def test_recommender_dense_params_and_gather_bytes():
    r = rec_shape(_Rec())
    # bottom 13-512-256-128: 7,168 + 131,328 + 32,896 = 171,392
    # cross 3 x (2 x 3,456 x 512 + 3,456) = 10,627,200 (3,456 = 128 + 26 x 128)
    # top 3,456-1024-1024-512-256-1: 3,539,968 + 1,049,600 + 524,800 + 131,328 + 257 = 5,245,953
    assert r.dense_params == 171392 + 10627200 + 5245953  # 16,044,545
    assert r.lookups == 52
    w = recommender_work(_Rec(), parse_precision("fp16"), 1000)
    emb = next(g for g in w.groups if g.name == "embedding")
    assert emb.kind == "gather" and emb.bytes == 1000 * 52 * 128 * 2  # 13.3 MB of rows
    with pytest.raises(InputError, match="lacks bottom_mlp"):
        rec_shape(_Rec(bottom_mlp=()))


def test_recommender_throughput_moves_with_bandwidth():
    from infercost.perf.profile import PerfProfile
    from infercost.perf.throughput import forward_load

    m = _Rec(params=26 * 1000 * 128 + 16044545)
    outs = {}
    for hw in ("h100-sxm", "l4"):
        p = PerfProfile(m, parse_precision("fp16"), CAT.get_hardware(hw), default_engine("tensorrt"))
        outs[hw] = forward_load(p, 4096)["samples_per_s"]
    assert outs["h100-sxm"] > 3 * outs["l4"]  # 3.35 TB/s vs 0.3 TB/s, 989 vs 121 TFLOP/s


# -- error bars ----------------------------------------------------------------------------

def test_quantile_hand_computed():
    p = Prediction(1000.0, (-0.1, 0.0, 0.1, 0.2, 0.3), "g")
    # q = 0.9 uses the residual quantile 0.1, widened: level 0.5 + (0.1 - 0.5) x 6/5 = 0.02;
    # position 0.02 x 4 = 0.08 -> -0.1 + 0.08 x 0.1 = -0.092 -> 1000 / exp(-0.092) = 1096.4
    assert p.quantile(0.9) == pytest.approx(1000 / math.exp(-0.092))
    # q = 0.5: residual median 0.1 -> 1000 / exp(0.1) = 904.8
    assert p.quantile(0.5) == pytest.approx(1000 / math.exp(0.1))
    with pytest.raises(InputError):
        p.quantile(1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1, 1), min_size=1, max_size=30), st.floats(0.01, 0.98), st.floats(0.001, 0.01))
def test_quantiles_monotone(res, q, dq):
    p = Prediction(100.0, tuple(res), "g")
    assert p.quantile(q) <= p.quantile(min(q + dq, 0.99)) + 1e-9


def test_mla_shared_and_dense_layers_deepseek_v3_shape():
    from infercost.perf.arch import Shape

    s = Shape(layers=61, hidden=7168, heads=128, kv_heads=128, head_dim=128, intermediate=2048, vocab=129280,
              experts=256, experts_per_token=8, shared_experts=1, dense_layers=3, dense_intermediate=18432,
              kv_cache_dim=576, mla=True, q_lora_rank=1536, kv_lora_rank=512, qk_rope_head_dim=64)
    # 7168 x 1536 + 1536 x 128 x 192 + 7168 x 576 + 512 x 128 x 256 + 128 x 128 x 7168
    # = 11,010,048 + 37,748,736 + 4,128,768 + 16,777,216 + 117,440,512
    assert s.attn_params == 187_105_280
    # the cache holds 576 elements per token per layer: 61 x 576 x 1 byte (fp8) = 35,136
    assert s.kv_bytes_per_token(1.0) == 61 * 576
    assert s.kv_split(8) == 1.0  # the latent is replicated on every TP rank
    w = decoder_work(s, parse_precision("fp8"), [(1, 1, 1000)], logits_tokens=1)
    lin = next(g for g in w.groups if g.name == "linear")
    # dense part per token: 61 attention + 3 dense MLPs (3 x 7168 x 18432) + 58 x (router 7168 x 256
    # + 1 shared expert 3 x 7168 x 2048)
    dense = 61 * 187_105_280 + 3 * 3 * 7168 * 18432 + 58 * (7168 * 256 + 3 * 7168 * 2048)
    assert lin.flops == pytest.approx(2.0 * dense)
    ex = next(g for g in w.groups if g.name == "experts")
    assert ex.flops == pytest.approx(2.0 * 8 * 3 * 7168 * 2048 * 58)  # 8 routed experts in 58 MoE layers
    # attention in the latent: 2 x 128 heads x (512 + 64 + 512) per (query, key) pair
    att = next(g for g in w.groups if g.name == "attention")
    assert att.flops == pytest.approx(2 * 128 * 1088 * (1000 + 1) * 61)


def test_recommender_shards_over_tp_and_vision_refuses_tp():
    w1 = recommender_work(_Rec(), parse_precision("fp16"), 1000)
    w4 = recommender_work(_Rec(), parse_precision("fp16"), 1000, tp=4)
    g1 = next(g for g in w1.groups if g.name == "embedding").bytes
    g4 = next(g for g in w4.groups if g.name == "embedding").bytes
    assert g4 == g1 / 4  # each device gathers a quarter of the rows
    a2a = next(g for g in w4.groups if g.kind == "comm")
    # 1000 items x 26 tables x 128 x 2 bytes / 4 devices / 2 (all-reduce-equivalent payload)
    assert a2a.bytes == 1000 * 26 * 128 * 2 / 4 / 2
    with pytest.raises(InputError, match="one copy per GPU"):
        build_profile(CAT.get_model("resnet50"), "bf16", CAT.get_hardware("h100-sxm"), gpus=2, tp=2)


def test_throughput_prediction_python_api():
    from infercost.perf.throughput import max_load, throughput_prediction

    p = build_profile(CAT.get_model("llama-3.1-8b"), "fp8", CAT.get_hardware("h200-sxm"))
    perf = throughput_prediction(p, isl=1000, osl=1000)
    assert perf.value == max_load(p, 1000, 1000)["output_tokens_per_s"]
    assert perf.group == "decoder|tensorrt" and len(perf.residuals) >= 5
    assert perf.quantile(0.1) < perf.quantile(0.5) < perf.quantile(0.9)
