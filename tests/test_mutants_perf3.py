"""The performance model's work counting (`perf/arch.py`), max-load throughput
(`perf/throughput.py`) and service-time seam (`perf/service.py`), pinned where
`make mutate` found them loose.

Every expectation is computed by hand in the comments. Judged-equivalent mutants are
listed in docs/mutation.md.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from infercost.core.catalog import load_catalog
from infercost.core.scenario import validate
from infercost.errors import InputError
from infercost.perf.arch import (
    OpGroup,
    RecShape,
    Shape,
    StepWork,
    Traffic,
    decoder_work,
    encoder_work,
    generic_work,
    rec_shape,
    recommender_work,
    resnet_convs,
    resnet_counts,
    resnet_depth,
    shape_of,
    streamed_weight_bytes,
    vision_work,
)
from infercost.perf.precision import parse_precision
from infercost.perf.roofline import StepTime
from infercost.perf.service import (
    PHYSICS_MARGIN,
    ServiceTime,
    check_model,
    physics_note,
    resolve_model,
    roofline_floor_s,
    scenario_precision,
    service_from_block,
    service_time,
)
from infercost.perf.throughput import (
    _qkey,
    forward_load,
    max_load,
    throughput_prediction,
    with_interval,
)
from infercost.perf.uncertainty import prediction

CAT = load_catalog()


def _scenario(model=None, request=None, deployment=None, **parts) -> object:
    raw = {"name": "t", "currency": "USD", "model": {"id": "llama-3.1-8b", "precision": "bf16"},
           "workload": {"arrivals": {"process": "poisson", "rate_per_s": 1},
                        "request": {"prompt_tokens": 800, "output_tokens": 200}},
           "deployment": {"hardware": "h100-sxm"}}
    raw["model"].update(model or {})
    raw["workload"]["request"] = request if request is not None else raw["workload"]["request"]
    raw["deployment"].update(deployment or {})
    for k, v in parts.items():
        raw[k] = v
    return validate(raw, "test")


# -- service.py ------------------------------------------------------------------------


def test_service_block_batch_times_by_hand():
    sc = _scenario(service={"mean_ms": 40, "per_item_ms": 10})
    st = service_from_block(sc.service, 8)
    # b = 1: 40 ms; b = 3: 40 + 2 x 10 = 60 ms
    assert st.batch_seconds(1) == pytest.approx(0.040)
    assert st.batch_seconds(3) == pytest.approx(0.060)
    assert st.max_batch == 8 and st.is_llm is False and st.notes == ()
    assert st.source == "service: exponential, mean 40 ms"
    # per_item_ms not given: each extra item costs mean_ms again (b = 3: 3 x 40 = 120 ms)
    st = service_from_block(_scenario(service={"mean_ms": 40}).service, 4)
    assert st.batch_seconds(3) == pytest.approx(0.120)
    assert isinstance(st, ServiceTime)
    st = service_from_block(_scenario(service={"mean_ms": 12.5, "distribution": "lognormal"}).service, 4)
    assert st.source == "service: lognormal, mean 12.5 ms"


def test_seconds_at_interpolates_between_whole_batches():
    st = ServiceTime({1: 0.1, 2: 0.3, 3: 0.35}.__getitem__, 3, "s")
    assert st.seconds_at(1) == 0.1 and st.seconds_at(2) == 0.3
    assert st.seconds_at(1.5) == pytest.approx(0.1 + 0.5 * 0.2)  # 0.2
    assert st.seconds_at(2.25) == pytest.approx(0.3 + 0.25 * 0.05)  # 0.3125
    assert st.seconds_at(3) == 0.35 and st.seconds_at(3.5) == 0.35  # capped at max_batch 3
    assert (st.is_llm, st.profile, st.memory_cap, st.notes) == (False, None, None, ())


def test_resolve_model_inline_catalog_or_none():
    inline = {"family": "decoder", "layers": 2, "hidden": 8, "heads": 2, "intermediate": 16, "vocab": 10}
    m = resolve_model(_scenario(model={"id": None, "name": "mine", "arch": inline}), CAT)
    assert (m.id, m.source, m.params, m.layers, m.as_of.isoformat()) == (
        "inline", "scenario file (inline arch)", 0, 2, "1970-01-01")
    m = resolve_model(_scenario(model={"id": "tiny", "arch": {**inline, "params": 1352}}), CAT)
    assert (m.id, m.params) == ("tiny", 1352)
    assert resolve_model(_scenario(), CAT) is CAT.get_model("llama-3.1-8b")
    assert resolve_model(_scenario(model={"id": None, "name": "x"}, service={"mean_ms": 5}), CAT) is None
    with pytest.raises(InputError) as e:
        resolve_model(_scenario(model={"id": "t", "arch": {**inline, "colour": 1}}), CAT)
    assert e.value.where == "model.arch" and "unknown key(s) colour" in e.value.message


def test_scenario_precision_and_weights_only():
    assert scenario_precision(_scenario(model={"precision": "fp8"})) == "fp8"
    for p in ("fp8", "int8", "int4"):
        assert scenario_precision(_scenario(model={"precision": p, "weights_only": True})) == f"{p}-w"
    with pytest.raises(InputError) as e:
        scenario_precision(_scenario(model={"precision": "bf16", "weights_only": True}))
    assert (e.value.where, e.value.message) == ("model.weights_only", "applies to fp8, int8 and int4 only, not bf16")


def test_check_model_ids():
    check_model(_scenario(), CAT)  # a catalog id
    check_model(_scenario(model={"id": "no-such-model", "arch": {"family": "generic", "flops_per_item": 1}}), CAT)
    with pytest.raises(InputError, match="llama-3.1-8b"):  # did you mean
        check_model(_scenario(model={"id": "llama-3.1-8"}), CAT)
    with pytest.raises(InputError):
        service_time(_scenario(model={"id": "llama-3.1-8"}, service={"mean_ms": 5}), CAT)


class _PerfFake:
    """A profile from `build_profile` with batch times given by hand (LLM: b x 10 ms + isl x 10 us
    + osl x 1 ms; others: 2 ms per item); every call recorded."""

    def __init__(self, is_llm, cap, calls):
        self.is_llm, self.cap, self.calls = is_llm, cap, calls
        self.notes = ["profile note"]

    def max_concurrency(self, ctx):
        self.calls.append(("max_concurrency", ctx))
        return self.cap

    def batch_seconds(self, b, isl=None, osl=None):
        self.calls.append(("batch_seconds", b, isl, osl))
        return b * 0.010 + isl * 1e-5 + osl * 1e-3 if self.is_llm else b * 0.002


def _fake_perf(monkeypatch, *, is_llm=True, cap=40, load=None):
    import infercost.perf
    import infercost.perf.measurements

    calls: list = []
    built: list = []

    def build(arch, precision, hw, *, gpus, tp, engine):
        built.append((arch.id, precision, hw.id, gpus, tp, engine))
        return _PerfFake(is_llm, cap, calls)

    monkeypatch.setattr(infercost.perf, "build_profile", build)
    monkeypatch.setattr(infercost.perf.measurements, "load_calibration", lambda engine: load)
    return calls, built


def test_service_time_from_the_perf_model_llm(monkeypatch):
    calls, built = _fake_perf(monkeypatch, cap=40)
    sc = _scenario(model={"precision": "int8", "weights_only": True},
                   request={"prompt_tokens": {"mean": 800.4}, "output_tokens": {"mean": 199.6}},
                   deployment={"gpus_per_replica": 2, "tp": 2, "batching": {"max_batch": 64}})
    st = service_time(sc, CAT)
    assert built == [("llama-3.1-8b", "int8-w", "h100-sxm", 2, 2, "optimized")]
    # isl round(800.4) = 800, osl round(199.6) = 200: the KV of 1,000 tokens caps at 40 < max_batch 64
    assert calls == [("max_concurrency", 1000)]
    assert (st.max_batch, st.memory_cap, st.is_llm) == (40, 40, True)
    assert st.source == "perf: llama-3.1-8b int8 on h100-sxm (optimized)"
    assert st.notes == ("profile note",)
    # batch of 4: 4 x 10 ms + 800 x 10 us + 200 x 1 ms = 40 + 8 + 200 = 248 ms
    assert st.batch_seconds(4) == pytest.approx(0.248)
    assert st.batch_seconds(4) == pytest.approx(0.248)  # cached: the profile is asked once
    assert calls[1:] == [("batch_seconds", 4, 800, 200)]
    # the batching cap when the memory allows more; no prompt or output sizes: 512 and 128
    calls, _ = _fake_perf(monkeypatch, cap=400)
    st = service_time(_scenario(request={}, deployment={"batching": {"max_batch": 16}}), CAT)
    assert st.max_batch == 16 and calls == [("max_concurrency", 640)]
    # 1 x 10 + 512 x 0.01 + 128 = 143.12 ms
    assert st.batch_seconds(1) == pytest.approx(0.14312)
    # a memory cap of 0 sequences still serves batches of 1
    _fake_perf(monkeypatch, cap=0)
    assert service_time(_scenario(), CAT).max_batch == 1


def test_service_time_from_the_perf_model_other(monkeypatch):
    calls, built = _fake_perf(monkeypatch, is_llm=False, cap=100)
    sc = _scenario(model={"id": "resnet50", "precision": "fp16"}, request={"items": {"mean": 2.4}},
                   deployment={"hardware": "l4", "batching": {"max_batch": 64}})
    st = service_time(sc, CAT)
    assert built == [("resnet50", "fp16", "l4", 1, None, "optimized")]
    # 100 items fit: int(100 / 2.4) = 41 requests of 2.4 items (< 64)
    assert calls == [("max_concurrency", 0)]
    assert (st.max_batch, st.memory_cap, st.is_llm) == (41, 100, False)
    assert st.source == "perf: resnet50 fp16 on l4 (optimized)"
    # 5 requests = round(5 x 2.4) = 12 items x 2 ms = 24 ms
    assert st.batch_seconds(5) == pytest.approx(0.024)
    assert calls[-1] == ("batch_seconds", 12, None, None)
    # one item per request by default; the batching cap binds; a cap of 0 falls back to max_batch
    calls, _ = _fake_perf(monkeypatch, is_llm=False, cap=100)
    st = service_time(_scenario(model={"id": "resnet50"}, request={}, deployment={"batching": {"max_batch": 8}}),
                      CAT)
    assert st.max_batch == 8 and st.batch_seconds(3) == pytest.approx(0.006)
    _fake_perf(monkeypatch, is_llm=False, cap=0)
    assert service_time(_scenario(model={"id": "resnet50"}, request={},
                                  deployment={"batching": {"max_batch": 8}}), CAT).max_batch == 8
    # a fractional request still runs one item: round(1 x 0.2) = 0 -> 1
    calls, _ = _fake_perf(monkeypatch, is_llm=False, cap=100)
    st = service_time(_scenario(model={"id": "resnet50"}, request={"items": {"mean": 0.2}}), CAT)
    assert st.batch_seconds(1) == pytest.approx(0.002) and calls[-1] == ("batch_seconds", 1, None, None)


class _Load:
    slowdown = 1.5

    def factor_for(self, model_seconds):
        # busy-time weighting over measured batches of 1 and 3 requests (model times by hand)
        self.seen = (model_seconds(1), model_seconds(3))
        return 1.25

    def note(self, k):
        return f"load x{k}"


def test_service_time_under_a_load_calibration(monkeypatch):
    _fake_perf(monkeypatch, load=_Load())
    st = service_time(_scenario(request={"prompt_tokens": 100, "output_tokens": 10}), CAT)
    # LLMs take the measured slowdown: (2 x 10 + 100 x 0.01 + 10) ms x 1.5 = 31 x 1.5 = 46.5 ms
    assert st.batch_seconds(2) == pytest.approx(0.0465)
    assert st.notes == ("profile note", "load x1.5")
    load = _Load()
    _fake_perf(monkeypatch, is_llm=False, load=load)
    st = service_time(_scenario(model={"id": "resnet50"}, request={"items": {"mean": 2}}), CAT)
    # others: the factor for the model's batch times at 1 and 3 requests (2 and 6 items: 4 and 12 ms)
    assert load.seen == pytest.approx((0.004, 0.012))
    assert st.batch_seconds(2) == pytest.approx(4 * 0.002 * 1.25)  # 10 ms
    assert st.notes == ("profile note", "load x1.25")
    # a fractional request: round(0.2 x 1) = 0 items -> 1 item
    load = _Load()
    _fake_perf(monkeypatch, is_llm=False, load=load)
    service_time(_scenario(model={"id": "resnet50"}, request={"items": {"mean": 0.2}}), CAT)
    assert load.seen == pytest.approx((0.002, 0.002))


def test_service_block_wins_and_the_physics_note():
    # a stated time with no model to check against: no note
    sc = _scenario(model={"id": None, "name": "x"}, service={"mean_ms": 5}, deployment={"batching": {"max_batch": 4}})
    st = service_time(sc, CAT)
    assert st.notes == () and st.max_batch == 4 and st.batch_seconds(2) == pytest.approx(0.010)
    # 20 ms for an 8B model on an H100 writing 200 tokens (floor ~0.95 s): flagged
    sc = _scenario(service={"mean_ms": 20})
    floor = roofline_floor_s(sc, CAT)
    note = physics_note(sc, CAT)
    assert note == (f"service.mean_ms (20 ms) is {floor / 0.020:.0f}x faster than the roofline floor "
                    f"({floor * 1000:.0f} ms) of llama-3.1-8b in bf16 on h100-sxm: check the figure, or drop "
                    "`service:` to use the performance model")
    assert service_time(sc, CAT).notes == (note,)
    # exactly at the margin is fine: stated x 2 = floor
    assert PHYSICS_MARGIN == 2.0
    at = _scenario(service={"mean_ms": floor * 1000 / 2})
    assert physics_note(at, CAT) is None
    below = _scenario(service={"mean_ms": floor * 1000 / 2 * 0.999})
    assert physics_note(below, CAT) is not None
    inline = {"family": "decoder", "layers": 32, "hidden": 4096, "heads": 32, "kv_heads": 8, "intermediate": 14336,
              "vocab": 128256, "params": 8_030_261_248}
    sc = _scenario(model={"id": None, "arch": inline}, service={"mean_ms": 20})
    assert "of the inline model in bf16 on h100-sxm" in physics_note(sc, CAT)


# -- arch.py: Shape and shape_of ---------------------------------------------------------

BF16 = parse_precision("bf16")
# a tiny GQA decoder: q = 2 heads x 4 = 8, kv = 1 x 4 = 4
TINY = Shape(layers=2, hidden=8, heads=2, kv_heads=1, head_dim=4, intermediate=16, vocab=10)


def test_tiny_shape_counts_by_hand():
    s = TINY
    assert (s.q_dim, s.kv_dim) == (8, 4)
    assert s.attn_params == 8 * (2 * 8 + 2 * 4) == 192
    assert s.attn_flops_per_pair == 4.0 * 8 == 32.0
    assert s.expert_params == 3 * 8 * 16 == 384  # gated: 3 matrices
    assert s.router_params == 0  # one expert: no router
    assert s.layer_linear_params == s.active_layer_linear_params == 192 + 384 == 576
    assert s.embedding_params == 10 * 8 == 80
    # layers x (linear + 2 norms) + 2 embeddings (untied) + final norm: 2 x (576 + 16) + 160 + 8
    assert s.total_params == 1352
    tied = Shape(**{**s.__dict__, "tied": True})
    assert tied.total_params == 1352 - 80
    # K and V, 2 layers, 4 elements, 2 bytes: 2 x 2 x 4 x 2 = 32; default kv_bytes is 2
    assert s.kv_bytes_per_token() == 32.0 and s.kv_bytes_per_token(1) == 16.0
    assert s.kv_split(1) == 1.0 and s.kv_split(2) == 1.0  # one KV head: replicated on both ranks
    gqa = Shape(**{**s.__dict__, "kv_heads": 2})
    assert (gqa.kv_split(1), gqa.kv_split(2), gqa.kv_split(4)) == (1.0, 0.5, 0.5)
    ungated = Shape(**{**s.__dict__, "gated": False})
    assert ungated.expert_params == 2 * 8 * 16 == 256
    moe = Shape(**{**s.__dict__, "experts": 4, "experts_per_token": 2, "intermediate": 4})
    # router 8 x 4 = 32; expert 3 x 8 x 4 = 96: all 4 experts 192 + 384 + 32, 2 active 192 + 192 + 32
    assert moe.router_params == 32
    assert moe.layer_linear_params == 608 and moe.active_layer_linear_params == 416


def test_mla_shape_by_hand():
    # 2 heads x head_dim 4 (no-RoPE part), rope 2, q_lora 3, kv_lora 5; cached latent 5 + 2 = 7
    s = Shape(layers=2, hidden=8, heads=2, kv_heads=2, head_dim=4, intermediate=16, vocab=10,
              kv_cache_dim=7, mla=True, q_lora_rank=3, kv_lora_rank=5, qk_rope_head_dim=2)
    # q: 8 x 3 + 3 x 2 x (4 + 2) = 24 + 36 = 60; kv: 8 x (5 + 2) + 5 x 2 x 2 x 4 = 56 + 80 = 136;
    # o: 2 x 4 x 8 = 64
    assert s.attn_params == 60 + 136 + 64 == 260
    no_qlora = Shape(**{**s.__dict__, "q_lora_rank": 0})
    assert no_qlora.attn_params == 8 * 2 * (4 + 2) + 136 + 64 == 296
    # latent attention: 2 x heads x (kv_lora + rope + kv_lora) = 2 x 2 x 12
    assert s.attn_flops_per_pair == 48.0
    assert s.kv_dim == 3.5  # half the cached 7
    assert s.kv_split(8) == 1.0  # the latent is on every rank
    assert s.kv_bytes_per_token(1) == 2 * 2 * 3.5 * 1 == 14.0


def _arch(**kw):
    base = {"id": "m", "name": "", "family": "decoder", "params": 0, "layers": 2, "hidden": 8, "heads": 2,
            "kv_heads": 0, "head_dim": 0, "intermediate": 16, "vocab": 0, "experts": 0,
            "experts_per_token": 0, "tied_embeddings": False}
    return SimpleNamespace(**{**base, **kw})


def test_shape_of_defaults_and_refinements():
    s = shape_of(_arch())
    # head_dim = hidden / heads = 4; kv_heads = heads; vocab 0; 1 expert, 1 per token
    assert s == Shape(layers=2, hidden=8, heads=2, kv_heads=2, head_dim=4, intermediate=16, vocab=0,
                      experts=1, experts_per_token=1, tied=False, gated=True, causal=True)
    enc = shape_of(_arch(family="encoder", tied_embeddings=True, kv_heads=1, head_dim=2, vocab=7))
    assert (enc.gated, enc.causal, enc.tied, enc.kv_heads, enc.head_dim, enc.vocab) == (False, False, True, 1, 2, 7)
    ds = shape_of(_arch(experts=4, experts_per_token=2, shared_experts=1, dense_layers=1, dense_intermediate=32,
                        kv_cache_dim=7, attention="MLA", q_lora_rank=3, kv_lora_rank=5, qk_rope_head_dim=2))
    assert (ds.experts, ds.experts_per_token, ds.shared_experts, ds.dense_layers, ds.dense_intermediate,
            ds.kv_cache_dim, ds.mla, ds.q_lora_rank, ds.kv_lora_rank, ds.qk_rope_head_dim) == (
        4, 2, 1, 1, 32, 7, True, 3, 5, 2)
    assert shape_of(_arch(attention="gqa")).mla is False
    assert shape_of(_arch(attention=None)).mla is False


def test_shape_of_names_the_missing_fields():
    with pytest.raises(InputError) as e:
        shape_of(_arch(layers=0, heads=0))
    assert str(e.value) == "model m: model 'm' (decoder) lacks layers, heads"
    assert e.value.where == "model m"
    with pytest.raises(InputError) as e:
        shape_of(_arch(family="encoder", hidden=0, intermediate=0))
    assert "model 'm' (encoder) lacks hidden, intermediate" in str(e.value)


def test_catalog_shapes():
    # Llama-3.1-8B config.json: 32 layers, hidden 4096, 32 heads, 8 KV heads, head_dim 128,
    # intermediate 14336, vocab 128256, untied
    s = shape_of(CAT.get_model("llama-3.1-8b"))
    assert (s.layers, s.hidden, s.heads, s.kv_heads, s.head_dim, s.intermediate, s.vocab, s.tied) == (
        32, 4096, 32, 8, 128, 14336, 128256, False)
    # Mixtral-8x7B: 8 experts, 2 per token, 32 layers, hidden 4096, intermediate 14336, vocab 32000
    m = shape_of(CAT.get_model("mixtral-8x7b"))
    assert (m.experts, m.experts_per_token, m.intermediate, m.vocab, m.kv_heads) == (8, 2, 14336, 32000, 8)
    # active: attention 4096 x (2 x 4096 + 2 x 1024) = 41,943,040 + 2 x 3 x 4096 x 14336 = 352,321,536
    # + router 4096 x 8 = 32,768 -> 394,297,344 per layer
    assert m.active_layer_linear_params == 394_297_344


def test_streamed_weight_bytes_output_head_width():
    # TINY: 2 layers x 576 linear params; output head 10 x 8 = 80
    assert streamed_weight_bytes(TINY, BF16) == 2 * 576 * 2 + 80 * 2 == 2464
    assert streamed_weight_bytes(TINY, parse_precision("fp32")) == 2 * 576 * 4 + 80 * 4 == 4928
    assert streamed_weight_bytes(TINY, parse_precision("fp8")) == 2 * 576 * 1 + 80 * 2 == 1312
    assert streamed_weight_bytes(TINY, parse_precision("int4")) == 2 * 576 * 0.5 + 80 * 2 == 736


# -- arch.py: decoder_work ---------------------------------------------------------------


def test_decoder_work_dense_by_hand():
    # 2 sequences, 3 new tokens each on 5 past: T = 6 tokens; logits for 2
    w = decoder_work(TINY, BF16, [(2, 3, 5)], logits_tokens=2)
    # linear params: 2 layers x (attn 192 + mlp 384) = 1152; FLOPs 2 x 1152 x 6 = 13,824
    # io dims: 4 x 8 + 2 x 8 + 2 x 4 + mlp 3 x 16 = 104; io bytes 6 x 104 x 2 B x 2 layers = 2,496
    # weights 1152 x 2 B = 2,304; working set 6 x (8 + 16) x 2 B x 2 = 576
    lin = OpGroup("linear", "gemm", 13824, 4800, weight_bytes=2304, resident_bytes=2496, working_set=576)
    # attention FLOPs: 2 seqs x 32 x (3 x 5 + 3 x 4 / 2) x 2 layers = 2,688
    # KV read 2 x (5 + 3) x 4 x 2 (K, V) x 2 B x 2 layers = 512; written 6 x 4 x 2 x 2 x 2 = 192;
    # q and o 2 x 3 x 2 x 8 x 2 B x 2 = 384
    attn = OpGroup("attention", "attn", 2688, 512 + 192 + 384)
    # elementwise 6 x 2 layers x 2 B x (8 passes x 8 + 3 passes x 16) = 24 x 112 = 2,688
    elem = OpGroup("elementwise", "elem", 0.0, 2688, resident_bytes=2688, working_set=576)
    # output head: 2 x 10 x 8 x 2 tokens = 320 FLOPs; weights 80 x 2 B = 160 + logits 2 x 10 x 4 B = 80
    head = OpGroup("lm_head", "gemm", 320, 240, weight_bytes=160)
    # launches 12 x 2 layers + 10
    assert w == StepWork([lin, attn, elem, head], 34, "decode")
    assert w.flops == 13824 + 2688 + 320 and w.bytes == 4800 + 1088 + 2688 + 240


def test_decoder_work_tp_q_tile_kv_bytes_by_hand():
    s = Shape(**{**TINY.__dict__, "kv_heads": 2})  # kv = 8; attention params 8 x (16 + 16) = 256
    t = Traffic(kv_read_factor=2.0, act_passes_hidden=5.0, act_passes_inter=2.0, kernels_per_layer=7.0,
                kernels_fixed=3.0)
    # 3 decode tokens at context 7, 2 ranks, fp8 KV (1 byte), a decode kernel padded to 4 query rows
    w = decoder_work(s, BF16, [(3, 1, 7)], logits_tokens=3, tp=2, traffic=t, phase="mixed", kv_bytes=1.0,
                     q_tile=4.0)
    # linear 2 x (256 + 384) = 1280 params; FLOPs 2 x 1280 x 3 / 2 = 3,840; weights 1280 x 2 / 2 = 1,280
    # io dims 32 + 16 + 16 + 48 = 112: 3 x 112 x 2 B x 2 layers / 2 = 672; ws 3 x (8 + 16 / 2) x 2 x 2 = 192
    lin = OpGroup("linear", "gemm", 3840, 1952, weight_bytes=1280, resident_bytes=672, working_set=192)
    # attention: 3 x 32 x (7 + 1) x 2 / 2 = 768, plus the padded tile 3 x 32 x 7 x (4 - 1) x 2 / 2 = 2,016
    # KV (half on each rank): read 3 x (7 x 2 + 1) x 8 x 2 x 1 B x 2 x 0.5 = 720, written 3 x 8 x 2 x 2 x 0.5
    # = 48; q and o 3 x 2 x 8 x 2 B x 2 / 2 = 96
    attn = OpGroup("attention", "attn", 2784, 720 + 48 + 96)
    # elementwise 3 x 2 x 2 B x (5 x 8 + 2 x 16 / 2) = 12 x 56 = 672
    elem = OpGroup("elementwise", "elem", 0.0, 672, resident_bytes=672, working_set=192)
    # head split 2 ways: 2 x 10 x 8 x 3 / 2 = 240; weights 80 x 2 / 2 = 80 + 3 x 10 x 4 / 2 = 60
    head = OpGroup("lm_head", "gemm", 240, 140, weight_bytes=80)
    # two all-reduces per layer of 3 x 8 activations: 2 x 2 x 3 x 8 x 2 B = 192 bytes, 4 calls
    ar = OpGroup("allreduce", "comm", 0.0, 192, 4)
    # launches 7 x 2 + 3
    assert w == StepWork([lin, attn, elem, head, ar], 17, "mixed")
    # a prefill token (t > 1) or no past gets no tile padding: 3 x 32 x (0 + 1) x 2 / 2 = 96
    w0 = decoder_work(s, BF16, [(3, 1, 0)], logits_tokens=3, tp=2, q_tile=4.0)
    assert w0.groups[1].flops == 96
    # KV in activation bytes by default (2): written 3 x 8 x 2 x 2 B x 2 x 0.5 = 96
    w2 = decoder_work(s, BF16, [(3, 1, 0)], logits_tokens=3, tp=2)
    assert w2.groups[1].bytes == 3 * 1 * 8 * 2 * 2 * 2 * 0.5 + 96 + 96


def test_decoder_work_moe_by_hand():
    # 3 layers: the first dense (MLP 16 wide), 2 MoE layers of 4 experts (2 routed) + 1 shared, each 4 wide
    s = Shape(layers=3, hidden=8, heads=2, kv_heads=1, head_dim=4, intermediate=4, vocab=10, experts=4,
              experts_per_token=2, shared_experts=1, dense_layers=1, dense_intermediate=16)
    w = decoder_work(s, BF16, [(2, 1, 3)], logits_tokens=2, moe_m_half=2.0, moe_kernels=5.0)
    # dense part: attention 192 x 3 + dense MLP 3 x 8 x 16 = 384 + 2 MoE layers x (router 32 + shared 96)
    # = 576 + 384 + 256 = 1216; T = 2: FLOPs 2 x 1216 x 2 = 4,864; weights 2,432
    # io dims 32 + 16 + 8 = 56 (expert io counted with the experts): 2 x 56 x 2 B x 3 = 672
    # ws 2 x (8 + 4 x 2) x 2 x 2 = 128
    lin = OpGroup("linear", "gemm", 4864, 2432 + 672, weight_bytes=2432, resident_bytes=672, working_set=128)
    # experts touched: 4 x (1 - (1 - 2/4)^2) = 3 of 96 params x 2 B x 2 layers = 1,152; io 2 x (3 x 4 x 2) x 2 x 2
    # = 192; FLOPs 2 x 2 x 96 x 2 x 2 = 1,536; rows per expert 2 x 2 / 4 = 1: rate x 1 / (1 + 2)
    ex = OpGroup("experts", "gemm", 1536, 1344, weight_bytes=1152, resident_bytes=192, working_set=128,
                 eff_scale=1 / 3)
    # attention 2 x 32 x (3 + 1) x 3 = 768; KV read 2 x 4 x 4 x 2 x 2 x 3 = 384, written 2 x 4 x 2 x 2 x 3 = 96,
    # q and o 2 x 2 x 8 x 2 x 3 = 192
    attn = OpGroup("attention", "attn", 768, 672)
    # elementwise 2 x 3 x 2 B x (8 x 8 + 3 x 4 x 2) = 12 x 88 = 1,056
    elem = OpGroup("elementwise", "elem", 0.0, 1056, resident_bytes=1056, working_set=128)
    head = OpGroup("lm_head", "gemm", 320, 240, weight_bytes=160)
    # routing: 4 passes x 2 tokens x 2 experts x 8 x 2 B x 2 MoE layers = 512
    route = OpGroup("routing", "elem", 0.0, 512, resident_bytes=512, working_set=128)
    # launches 12 x 3 + 10 + 5 x 2 MoE layers
    assert w == StepWork([lin, ex, attn, elem, head, route], 56, "decode")
    # no m_half: full rate; a huge one: the floor 1e-3
    assert decoder_work(s, BF16, [(2, 1, 3)], logits_tokens=2, moe_m_half=0.0).groups[1].eff_scale == 1.0
    assert decoder_work(s, BF16, [(2, 1, 3)], logits_tokens=2, moe_m_half=1e4).groups[1].eff_scale == 1e-3
    # without dense layers the MoE layers use the expert MLP as the 'dense' fallback width
    s2 = Shape(**{**s.__dict__, "dense_layers": 0, "dense_intermediate": 0, "shared_experts": 0})
    w2 = decoder_work(s2, BF16, [(2, 1, 3)], logits_tokens=2)
    # attention 576 + 3 MoE layers x router 32 = 672; FLOPs 2 x 672 x 2
    assert w2.groups[0].flops == 2688 and w2.groups[0].weight_bytes == 1344


def test_decoder_work_needs_a_token():
    with pytest.raises(InputError) as e:
        decoder_work(TINY, BF16, [(0, 1, 5)], logits_tokens=0)
    assert str(e.value) == "a step needs at least one token"


# -- arch.py: encoders, vision, generic, recommenders -------------------------------------


def test_encoder_work_by_hand():
    s = Shape(layers=2, hidden=8, heads=2, kv_heads=2, head_dim=4, intermediate=16, vocab=10, gated=False,
              causal=False)
    w = encoder_work(s, BF16, 3, 5)
    # linear params per layer: 8 x (16 + 16) + 2 x 8 x 16 = 512; T = 15: FLOPs 2 x 512 x 2 x 15 = 30,720
    # weights 512 x 2 B x 2 = 2,048; io dims 32 + 16 + 16 + 48 = 112: 15 x 112 x 2 x 2 = 6,720
    # ws 5 x 3 x (8 + 16) x 2 x 2 = 1,440
    lin = OpGroup("linear", "gemm", 30720, 8768, weight_bytes=2048, resident_bytes=6720, working_set=1440)
    # attention 3 x 4 x 8 x 5^2 x 2 = 4,800 FLOPs; bytes 15 x (16 + 16) x 2 x 2 = 1,920
    attn = OpGroup("attention", "attn", 4800, 1920, resident_bytes=1920, working_set=1440)
    # elementwise 15 x 2 x 2 x (6 x 8 + 2 x 16) = 4,800
    elem = OpGroup("elementwise", "elem", 0.0, 4800, resident_bytes=4800, working_set=1440)
    # launches 0.5 x 12 x 2 + 10
    assert w == StepWork([lin, attn, elem], 22, "encoder")
    w2 = encoder_work(s, BF16, 3, 5, tp=2, traffic=Traffic(encoder_passes_hidden=4.0, encoder_passes_inter=1.0,
                                                           kernels_per_layer=6.0, kernels_fixed=1.0))
    # halves: 15,360 FLOPs, 1,024 weight bytes, 3,360 io; ws 15 x (8 + 8) x 4 = 960
    lin2 = OpGroup("linear", "gemm", 15360, 4384, weight_bytes=1024, resident_bytes=3360, working_set=960)
    attn2 = OpGroup("attention", "attn", 2400, 960, resident_bytes=960, working_set=960)
    # 15 x 2 x 2 x (4 x 8 + 1 x 16 / 2) = 60 x 40
    elem2 = OpGroup("elementwise", "elem", 0.0, 2400, resident_bytes=2400, working_set=960)
    # 2 x 2 x 15 x 8 x 2 B = 960, 4 calls; launches 0.5 x 6 x 2 + 1
    ar = OpGroup("allreduce", "comm", 0.0, 960, 4)
    assert w2 == StepWork([lin2, attn2, elem2, ar], 7, "encoder")


# torchvision ResNet-18 at a 32 x 32 input: stem 32 -> 16, max-pool -> 8, stages at 8, 4, 2, 1
RESNET18_32 = [
    (3, 64, 7, 32, 16),
    (64, 64, 3, 8, 8), (64, 64, 3, 8, 8), (64, 64, 3, 8, 8), (64, 64, 3, 8, 8),
    (64, 128, 3, 8, 4), (128, 128, 3, 4, 4), (64, 128, 1, 8, 4), (128, 128, 3, 4, 4), (128, 128, 3, 4, 4),
    (128, 256, 3, 4, 2), (256, 256, 3, 2, 2), (128, 256, 1, 4, 2), (256, 256, 3, 2, 2), (256, 256, 3, 2, 2),
    (256, 512, 3, 2, 1), (512, 512, 3, 1, 1), (256, 512, 1, 2, 1), (512, 512, 3, 1, 1), (512, 512, 3, 1, 1),
]


def test_resnet18_convs_and_counts_by_hand():
    assert resnet_convs(18, 32) == RESNET18_32
    c = resnet_counts(18, 32)
    # MACs: stem 3 x 64 x 49 x 16^2 = 2,408,448; stage 1: 4 x 64 x 64 x 9 x 64 = 9,437,184; stages 2-4
    # each 8,388,608 (e.g. 64 x 128 x 9 x 16 + 3 x 128 x 128 x 9 x 16 + 64 x 128 x 16); fc 512 x 1000
    assert c["macs"] == 2_408_448 + 9_437_184 + 3 * 8_388_608 + 512_000 == 37_523_456
    # conv + fc weights: torchvision's 11,689,512 parameters less 9,600 batch-norm and 1,000 fc bias
    assert c["weights"] == 11_678_912
    # inputs: 3 x 32^2 + 4 x 64 x 8^2 + 14,336 + 7,168 + 3,584; outputs 64 x 16^2 + 4 x 64 x 8^2 + 5 x 2,048
    # + 5 x 1,024 + 5 x 512
    assert c["act_in"] == 44_544 and c["act_out"] == 50_688
    assert c["convs"] == 20.0
    # bottleneck: a ResNet-50 block starts 64 -> 64 (1x1), 3x3, 64 -> 256 (1x1) + projection 64 -> 256
    r50 = resnet_convs(50, 224)
    assert r50[:5] == [(3, 64, 7, 224, 112), (64, 64, 1, 56, 56), (64, 64, 3, 56, 56), (64, 256, 1, 56, 56),
                       (64, 256, 1, 56, 56)]
    assert len(resnet_convs(34)) == 1 + 2 * (3 + 4 + 6 + 3) + 3 == 36
    assert len(resnet_convs(101)) == 1 + 3 * (3 + 4 + 23 + 3) + 4 == 104
    assert len(resnet_convs(152)) == 1 + 3 * (3 + 8 + 36 + 3) + 4 == 155
    assert resnet_convs(18) == [(ci, co, k, hi * 7, ho * 7) for ci, co, k, hi, ho in RESNET18_32]
    with pytest.raises(InputError) as e:
        resnet_convs(20)
    assert str(e.value) == "ResNet depth 20 unknown; allowed: [18, 34, 50, 101, 152]"


def test_resnet_depth_from_id_or_name():
    def a(i, n=""):
        return SimpleNamespace(id=i, name=n)

    assert resnet_depth(a("resnet50")) == 50
    assert resnet_depth(a("x", "ResNet-101")) == 101
    assert resnet_depth(a("RESNET152")) == 152
    assert resnet_depth(a("resnet20")) is None  # not a torchvision depth
    assert resnet_depth(a("vit-b16", "ViT")) is None


def test_vision_work_resnet18_by_hand():
    arch = SimpleNamespace(id="resnet18", name="", family="vision")
    t = Traffic(fused_conv=False, kernels_per_conv=2.0, kernels_fixed=10.0)
    w = vision_work(arch, BF16, 2, traffic=t, image=32)
    # FLOPs 2 x 37,523,456 MACs x 2 images; weights 11,678,912 x 2 B; conv io (44,544 + 50,688) x 2 B x 2
    # eager: 5 passes over the outputs: 50,688 x 5 x 2 x 2 = 1,013,760
    # working set: the stem's 3 x 32^2 + 64 x 16^2 = 19,456 elements x 2 B x 2 = 77,824
    conv = OpGroup("conv", "conv", 150_093_824, 23_357_824 + 380_928, weight_bytes=23_357_824,
                   resident_bytes=380_928, working_set=77_824)
    elem = OpGroup("elementwise", "elem", 0.0, 1_013_760, resident_bytes=1_013_760, working_set=77_824)
    # launches 20 convs x 2 + 10
    assert w == StepWork([conv, elem], 50, "vision")
    fused = vision_work(arch, BF16, 2, traffic=Traffic(), image=32)
    assert fused.groups[1].bytes == 0.0 and fused.kernels == 20 * 1 + 10
    # the default image is 224 (7 x 32): the stem alone then has 49 x the MACs
    assert vision_work(arch, BF16, 1).groups[0].flops == 2.0 * resnet_counts(18)["macs"]


def test_generic_work_by_hand():
    g = SimpleNamespace(id="g", family="generic", flops_per_item=100, params=50, bytes_per_item=7, layers=0)
    # 3 items: 300 FLOPs; bytes 50 x 2 B + 3 x 7 = 121; launches 10 (default layers) x 12 + 10
    assert generic_work(g, BF16, 3) == StepWork([OpGroup("compute", "gemm", 300, 121, weight_bytes=100)], 130,
                                                "generic")
    v = SimpleNamespace(id="v", family="vision", name="vit", flops_per_item=100, params=50, bytes_per_item=None,
                        layers=4)
    # not a ResNet: the catalog FLOPs; no bytes per item; 4 x 12 + 10 launches; a conv group
    assert vision_work(v, BF16, 3) == StepWork([OpGroup("compute", "conv", 300, 100, weight_bytes=100)], 58,
                                               "vision")
    with pytest.raises(InputError) as e:
        generic_work(SimpleNamespace(id="g", family="generic", flops_per_item=0), BF16, 1)
    assert str(e.value) == "model g: model 'g' (generic) needs flops_per_item"
    assert e.value.where == "model g"


def _rec(**kw):
    base = {"id": "r", "family": "recommender", "embedding_rows": (100, 200, 300), "embedding_dim": 4,
            "lookups_per_item": (1, 2, 3), "dense_features": 5, "bottom_mlp": (6, 4), "top_mlp": (7, 1),
            "cross_layers": 0, "cross_rank": 0, "flops_per_item": 0}
    return SimpleNamespace(**{**base, **kw})


def test_rec_shape_by_hand():
    # bottom MLP 5 -> 6 -> 4: (5 x 6 + 6) + (6 x 4 + 4) = 64; dot interaction of 3 tables + the bottom output:
    # 4 + 4 x 3 / 2 = 10 features into the top MLP 10 -> 7 -> 1: 77 + 8 = 85; dot MACs (3 + 1)^2 x 4 / 2 = 32
    assert rec_shape(_rec()) == RecShape(tables=3, dim=4, lookups=6.0, dense_params=149, dense_macs=181, layers=4,
                                         interaction="dot")
    # DCNv2, 2 cross layers of rank 3 over 4 + 3 x 4 = 16 features: 2 x (2 x 16 x 3 + 16) = 224 weights,
    # 2 x 2 x 16 x 3 = 192 MACs; top MLP 16 -> 7 -> 1: 119 + 8 = 127
    assert rec_shape(_rec(cross_layers=2, cross_rank=3)) == RecShape(3, 4, 6.0, 64 + 224 + 127, 64 + 127 + 192, 6,
                                                                     "dcn")
    # one row per table when lookups are not given; no dense features: bottom 0 -> 6 -> 4 = 6 + 28
    r = rec_shape(_rec(lookups_per_item=None, dense_features=None))
    assert r.lookups == 3.0 and r.dense_params == 34 + 85
    with pytest.raises(InputError) as e:
        rec_shape(_rec(embedding_rows=(), top_mlp=()))
    assert str(e.value) == "model r: model 'r' (recommender) lacks embedding_rows, top_mlp"
    assert e.value.where == "model r"
    with pytest.raises(InputError, match=r"lacks embedding_dim, bottom_mlp$"):
        rec_shape(_rec(embedding_dim=None, bottom_mlp=None))


def test_recommender_work_by_hand():
    fp16 = parse_precision("fp16")
    w = recommender_work(_rec(), fp16, 10)
    # gathers 10 x 6 rows x 4 x 2 B = 480; dense 2 x 181 MACs x 10 = 3,620 FLOPs; weights 149 x 2 = 298;
    # activations 10 x (3 + 1) x 4 x 2 B x 4 = 1,280; launches 4 layers x 3 + 1 fused lookup + 10
    assert w == StepWork([OpGroup("embedding", "gather", 0.0, 480),
                          OpGroup("dense", "gemm", 3620, 298 + 1280, weight_bytes=298, resident_bytes=1280,
                                  working_set=1280)], 23, "generic")
    w2 = recommender_work(_rec(flops_per_item=1000), fp16, 10, tp=2, traffic=Traffic(fused_conv=False))
    # halves on 2 devices; catalog FLOPs 1000 x 10 / 2; one lookup launch per table (3);
    # all-to-all 10 x 3 x 4 x 2 B / 2 / 2 = 60 bytes, 1 call
    assert w2 == StepWork([OpGroup("embedding", "gather", 0.0, 240),
                           OpGroup("dense", "gemm", 5000, 298 + 640, weight_bytes=298, resident_bytes=640,
                                   working_set=640),
                           OpGroup("all_to_all", "comm", 0.0, 60, 1)], 25, "generic")


# -- throughput.py: max_load and forward_load on a profile whose step times are given -----


class _Fit:
    def to_dict(self) -> dict:
        return {"usable_gb": 1.0}


class FakeProfile:
    """The parts of a PerfProfile that throughput.py reads; step times are handed out in
    order from `times`, and every request is recorded in `calls`."""

    def __init__(self, family="decoder", *, cap=40, max_batch=64, kv_reserve="full", times=(), max_context=0,
                 seq_len=0, gpus=4, tp=2, experts=1):
        self.model = SimpleNamespace(id="m", family=family, max_context=max_context, seq_len=seq_len,
                                     experts=experts)
        self.precision = SimpleNamespace(name="bf16")
        self.hardware = SimpleNamespace(id="hw")
        self.engine = "optimized"
        self.eff = SimpleNamespace(kv_reserve=kv_reserve, max_batch=max_batch, name="optimized")
        self.gpus, self.tp = gpus, tp
        self.fit = _Fit()
        self.notes = ["a note"]
        self.cap = cap
        self.times = list(times)
        self.calls: list = []

    is_llm = property(lambda self: self.model.family == "decoder")
    replicas = property(lambda self: max(1, self.gpus // self.tp))

    def max_concurrency(self, ctx):
        self.calls.append(("max_concurrency", ctx))
        return min(self.cap, self.eff.max_batch) if self.is_llm else self.cap

    def mixed_work(self, seqs, logits_tokens):
        self.calls.append(("mixed", seqs, logits_tokens))
        return len(self.calls)

    def forward_step(self, batch, seq_len):
        self.calls.append(("forward", batch, seq_len))
        return self.times.pop(0)

    def time(self, work):
        return self.times.pop(0)


def _st(seconds, *, device=None, host=0.0, compute=1.0, memory=2.0, comm=0.0):
    return StepTime(seconds, seconds if device is None else device, host, compute, memory, comm)


def test_max_load_by_hand_kv_memory_limited():
    step = _st(0.02, device=0.018, host=0.005, compute=0.010, memory=0.015, comm=0.001)
    p = FakeProfile(times=[step, _st(0.03)])
    d = max_load(p, 100, 50)
    # KV reserved for the full 150 tokens; 40 sequences fit (< max_batch 64): limited by KV memory
    # steady state: 40 decodes at mean context 100 + 50 / 2 = 125 and 40 / 50 = 0.8 new prompts
    assert p.calls == [("max_concurrency", 150), ("mixed", [(40, 1, 125.0), (0.8, 100, 0)], 40.8),
                       ("mixed", [(40, 1, 125.0), (1, 100, 0)], 41)]
    # 40 / 0.02 s = 2,000 tokens/s per replica x 2 replicas (4 GPUs / tp 2) = 4,000; per GPU 1,000;
    # requests 4,000 / 50 = 80; ttft 30 ms, tpot 20 ms; bandwidth-bound and KV-limited: "memory"
    assert d == {
        "model": "m", "precision": "bf16", "hardware": "hw", "engine": "optimized", "gpus": 4, "tp": 2,
        "replicas": 2, "isl": 100, "osl": 50,
        "output_tokens_per_s": 4000.0, "output_tokens_per_s_per_gpu": 1000.0, "requests_per_s": 80.0,
        "max_concurrency": 40, "concurrency_limited_by": "kv-memory", "ttft_ms": 30.0, "tpot_ms": 20.0,
        "bound": "memory",
        "step": {"seconds": 0.02, "device_s": 0.018, "host_s": 0.005, "compute_s": 0.010, "memory_s": 0.015,
                 "comm_s": 0.001},
        "memory": {"usable_gb": 1.0}, "notes": ["a note"]}
    assert d["notes"] is not p.notes


def test_max_load_by_hand_max_batch_and_rounding():
    # KV reserved for half the output: int(100 + 51 / 2) = 125; 64 fit = max_batch
    p = FakeProfile(cap=500, kv_reserve="half", times=[_st(0.007, memory=3.0), _st(0.0123456)], gpus=3, tp=1)
    d = max_load(p, 100, 51)
    assert p.calls[0] == ("max_concurrency", 125)
    # 64 / 0.007 = 9,142.857 per replica x 3 = 27,428.571 -> 27,428.6; per GPU 9,142.857 -> 9,142.9;
    # requests 27,428.571 / 51 = 537.815; ttft 12.3456 ms -> 12.346; tpot 7.0
    assert (d["output_tokens_per_s"], d["output_tokens_per_s_per_gpu"], d["requests_per_s"]) == (
        27428.6, 9142.9, 537.815)
    assert (d["ttft_ms"], d["tpot_ms"], d["concurrency_limited_by"], d["replicas"]) == (12.346, 7.0, "max-batch", 3)
    assert d["bound"] == "bandwidth"  # bandwidth-bound but not KV-limited
    p = FakeProfile(times=[_st(0.02, compute=3.0, memory=2.0), _st(0.03)])
    assert max_load(p, 100, 50)["bound"] == "compute"  # KV-limited but compute-bound
    p = FakeProfile(times=[_st(0.02, device=0.01, host=0.02), _st(0.03)])
    assert max_load(p, 100, 50)["bound"] == "overhead"


def test_max_load_refusals():
    for fam, art in (("encoder", "an"), ("vision", "a")):
        with pytest.raises(InputError) as e:
            max_load(FakeProfile(fam), 10, 10)
        assert e.value.where == "--model"
        assert e.value.message == (f"--isl/--osl throughput applies to decoder LLMs; 'm' is {art} {fam} model: "
                                   "give --batch (and --seq-len) instead")
    for isl, osl, key, bad in ((0, 5, "isl", "0"), (5, -1, "osl", "-1"), (5.0, 5, "isl", "5.0"),
                               (5, "5", "osl", "'5'")):
        with pytest.raises(InputError) as e:
            max_load(FakeProfile(), isl, osl)
        assert (e.value.where, e.value.message) == (f"--{key}", f"{key} must be a positive integer, got {bad}")
    with pytest.raises(InputError) as e:
        max_load(FakeProfile(max_context=150), 100, 51)
    assert (e.value.where, e.value.message) == ("--isl", "isl + osl = 151 tokens exceeds the context of m "
                                                         "(150 tokens)")
    # exactly the context is fine
    assert max_load(FakeProfile(max_context=150, times=[_st(0.02), _st(0.03)]), 100, 50)["isl"] == 100


def test_forward_load_by_hand():
    p = FakeProfile("encoder", cap=32, times=[_st(0.004, compute=1.0, memory=2.0)], seq_len=256)
    d = forward_load(p, 8)
    # no --seq-len: the profile sizes 8 items at seq 0 (its default); 8 / 0.004 s = 2,000 x 2 replicas
    assert p.calls == [("max_concurrency", 0), ("forward", 8, 0)]
    assert d == {
        "model": "m", "family": "encoder", "precision": "bf16", "hardware": "hw", "engine": "optimized",
        "gpus": 4, "tp": 2, "replicas": 2, "batch": 8, "seq_len": 256,
        "samples_per_s": 4000.0, "samples_per_s_per_gpu": 1000.0, "step_ms": 4.0, "bound": "memory",
        "step": {"seconds": 0.004, "device_s": 0.004, "host_s": 0.0, "compute_s": 1.0, "memory_s": 2.0,
                 "comm_s": 0.0},
        "memory": {"usable_gb": 1.0}, "notes": ["a note"]}
    p = FakeProfile("encoder", cap=32, times=[_st(0.00123456, compute=3.0)], max_context=512, gpus=1, tp=1)
    d = forward_load(p, 3, 512)
    # 3 / 0.00123456 = 2,430.013 -> 2,430.0; step 1.23456 ms -> 1.2346; the given seq len is reported
    assert p.calls == [("max_concurrency", 512), ("forward", 3, 512)]
    assert (d["samples_per_s"], d["samples_per_s_per_gpu"], d["step_ms"], d["seq_len"], d["bound"]) == (
        2430.0, 2430.0, 1.2346, 512, "compute")
    p = FakeProfile("vision", times=[_st(0.01, device=0.001, host=0.01)])
    d = forward_load(p, 4)
    assert d["seq_len"] is None and d["bound"] == "host" and d["family"] == "vision"
    p = FakeProfile("encoder", times=[_st(0.01)])
    assert forward_load(p, 4)["seq_len"] == 128  # neither given nor in the catalog


def test_forward_load_refusals():
    def err(p, *a):
        with pytest.raises(InputError) as e:
            forward_load(p, *a)
        return e.value.where, e.value.message

    assert err(FakeProfile("decoder"), 4) == ("--batch", "'m' is a decoder model: give --isl and --osl, not --batch")
    assert err(FakeProfile("encoder"), 0) == ("--batch", "batch must be a positive integer, got 0")
    assert err(FakeProfile("encoder"), 2.0) == ("--batch", "batch must be a positive integer, got 2.0")
    assert err(FakeProfile("vision"), 4, 16) == ("--seq-len", "--seq-len applies to encoder models; 'm' is a "
                                                              "vision model")
    assert err(FakeProfile("encoder"), 4, 0) == ("--seq-len", "seq len must be a positive integer, got 0")
    assert err(FakeProfile("encoder"), 4, 8.0) == ("--seq-len", "seq len must be a positive integer, got 8.0")
    assert err(FakeProfile("encoder", max_context=512), 4, 513) == (
        "--seq-len", "seq len 513 exceeds the context of m (512 tokens)")
    assert err(FakeProfile("vision", cap=8), 9) == ("--batch", "batch 9 does not fit in memory on hw: at most 8 items")
    # exactly the cap and exactly the context are fine
    assert forward_load(FakeProfile("vision", cap=8, times=[_st(0.01)]), 8)["batch"] == 8
    assert forward_load(FakeProfile("encoder", max_context=512, times=[_st(0.01)]), 4, 512)["seq_len"] == 512


def test_quantile_keys_and_interval():
    assert [_qkey(q) for q in (0.1, 0.9, 0.5, 0.05, 0.25)] == ["p10", "p90", "p50", "p5", "p25"]
    assert _qkey(0.995) == "p99_5" and _qkey(0.025) == "p2_5"
    pred = prediction(1000.0, "decoder", "optimized")
    out = with_interval({"rate": 1000.0}, "rate", "decoder", "optimized")
    assert out == {"rate": 1000.0, "rate_p10": round(pred.quantile(0.1), 1), "rate_p90": round(pred.quantile(0.9), 1),
                   "interval": {"residual_group": pred.group, "rows": len(pred.residuals), "widen": pred.widen}}
    assert out["rate_p10"] < 1000.0 < out["rate_p90"] and out["interval"]["rows"] > 0
    out = with_interval({"rate": 1000.0}, "rate", "decoder", "optimized", quantiles=(0.5,))
    assert set(out) == {"rate", "rate_p50", "interval"}


def test_throughput_prediction_wiring():
    p = FakeProfile(times=[_st(0.02), _st(0.03)])
    # 4,000 output tokens/s (as above) with the decoder residuals of the engine
    assert throughput_prediction(p, isl=100, osl=50) == prediction(4000.0, "decoder", "optimized")
    p = FakeProfile(times=[_st(0.02), _st(0.03)], experts=8)
    assert throughput_prediction(p, isl=100, osl=50) == prediction(4000.0, "moe", "optimized")
    p = FakeProfile("encoder", times=[_st(0.004)])
    assert throughput_prediction(p, batch=8, seq_len=64) == prediction(4000.0, "encoder", "optimized")
    assert p.calls == [("max_concurrency", 64), ("forward", 8, 64)]


# -- service.py: the roofline floor ------------------------------------------------------


def test_roofline_floor_of_a_long_prompt_by_hand():
    # one 2,000-token prompt, one output token (no decode step): the prefill of Llama-3.1-8B in bf16 on an
    # H100 SXM at datasheet rates (989.4 TFLOP/s, 3.35 TB/s), every efficiency 1, no host time:
    # linear  2 x 6,979,321,856 x 2,000 FLOPs / 989.4e12  = 28.216381 ms (compute-bound: weights + io 6.8 ms)
    # attention 16,384 x (2,000 x 2,001 / 2) x 32 FLOPs   =  1.060340 ms (KV + q/o bytes 0.47 ms)
    # elementwise (the optimized engine's traffic: 6 passes over hidden, 3 over intermediate)
    #             2,000 x 32 x 2 B x (6 x 4,096 + 3 x 14,336) = 8,650,752,000 B / 3.35e12 = 2.582314 ms
    # output head (128,256 x 4,096 x 2 B + 128,256 x 4 B logits) / 3.35e12 = 0.313787 ms
    sc = _scenario(request={"prompt_tokens": 2000, "output_tokens": 1})
    assert roofline_floor_s(sc, CAT) == pytest.approx(0.028216381 + 0.001060340 + 0.002582314 + 0.000313787,
                                                      rel=2e-6)


def _ideal_profile(model, precision, hw_id, *, tp=1, gpus=1, units=1.0):
    """The floor's definition: every efficiency 1, no host or link latency, all memory usable."""
    from infercost.perf.efficiency import Efficiency
    from infercost.perf.engines import default_engine
    from infercost.perf.profile import PerfProfile

    hw = CAT.get_hardware(hw_id)
    base = default_engine("optimized", hw.kind)
    ideal = Efficiency(name="roofline floor", compute_eff={"default": 1.0}, bw_eff=1.0, gemm_bw_eff=1.0,
                       attn_eff=1.0, conv_eff=1.0, p_dev=60.0, comm_eff=1.0, comm_latency_s=0.0,
                       traffic=base.traffic, mem_util=1.0, reserve_gb=0.0)
    return PerfProfile(CAT.get_model(model) if isinstance(model, str) else model, parse_precision(precision), hw,
                       ideal, tp=tp, gpus=gpus, units=units, engine=ideal.name, vendor_scale=False)


def test_roofline_floor_is_the_ideal_profile():
    # tp defaults to the GPUs of a replica (2 here: an all-reduce per layer); 300 prompt, 20 output tokens
    sc = _scenario(request={"prompt_tokens": 300, "output_tokens": 20}, deployment={"gpus_per_replica": 2})
    want = _ideal_profile("llama-3.1-8b", "bf16", "h100-sxm", tp=2, gpus=2).batch_seconds(1, 300, 20)
    assert roofline_floor_s(sc, CAT) == want
    sc = _scenario(request={"prompt_tokens": 300, "output_tokens": 20}, deployment={"gpus_per_replica": 2, "tp": 1})
    assert roofline_floor_s(sc, CAT) == _ideal_profile("llama-3.1-8b", "bf16", "h100-sxm", gpus=2).batch_seconds(
        1, 300, 20)
    # no request sizes: a 512-token prompt and 128 output tokens; fp8 weights only
    sc = _scenario(model={"precision": "fp8", "weights_only": True}, request={})
    assert roofline_floor_s(sc, CAT) == _ideal_profile("llama-3.1-8b", "fp8-w", "h100-sxm").batch_seconds(1, 512, 128)
    # others: one forward of round(items) items (at least 1); a CPU replica is gpus_per_replica vCPUs at tp 1
    sc = _scenario(model={"id": "resnet50", "precision": "fp16"}, request={"items": {"mean": 2.6}},
                   deployment={"hardware": "l4"})
    assert roofline_floor_s(sc, CAT) == _ideal_profile("resnet50", "fp16", "l4").batch_seconds(3)
    sc = _scenario(model={"id": "resnet50", "precision": "fp16"}, request={}, deployment={"hardware": "l4"})
    assert roofline_floor_s(sc, CAT) == _ideal_profile("resnet50", "fp16", "l4").batch_seconds(1)
    sc = _scenario(model={"id": "resnet50", "precision": "fp16"}, request={"items": {"mean": 0.3}},
                   deployment={"hardware": "l4"})
    assert roofline_floor_s(sc, CAT) == _ideal_profile("resnet50", "fp16", "l4").batch_seconds(1)
    sc = _scenario(model={"id": "bert-base", "precision": "fp32"}, request={},
                   deployment={"hardware": "x86-vcpu", "gpus_per_replica": 4})
    cpu = roofline_floor_s(sc, CAT)
    assert cpu == _ideal_profile("bert-base", "fp32", "x86-vcpu", gpus=4, units=4.0).batch_seconds(1)
    assert cpu < _ideal_profile("bert-base", "fp32", "x86-vcpu", gpus=4, units=1.0).batch_seconds(1)


def test_roofline_floor_none_cases():
    # no hardware named; no model named
    assert roofline_floor_s(_scenario(deployment={"hardware": None}, service={"mean_ms": 5}), CAT) is None
    assert roofline_floor_s(_scenario(model={"id": None, "name": "x"}, service={"mean_ms": 5}), CAT) is None
    # Llama-3.1-70B in bf16 needs ~141 GB: not on one 80 GB H100
    assert roofline_floor_s(_scenario(model={"id": "llama-3.1-70b"}), CAT) is None
    # a generic model of 39.6 B parameters in bf16: 79.2 GB of 80 fits (all memory usable), 41 B (82 GB) does not
    gen = {"family": "generic", "flops_per_item": 1e9, "params": 39_600_000_000}
    sc = _scenario(model={"id": None, "arch": gen}, request={})
    # one item: 1e9 FLOPs / 989.4e12 vs (79.2e9 weight bytes) / 3.35e12 = 23.64 ms, memory-bound
    assert roofline_floor_s(sc, CAT) == pytest.approx(79.2e9 / 3.35e12, rel=1e-6)
    sc = _scenario(model={"id": None, "arch": {**gen, "params": 41_000_000_000}}, request={})
    assert roofline_floor_s(sc, CAT) is None


def test_arch_defaults():
    assert StepWork() == StepWork([], 0.0, "decode") and StepWork().flops == 0 and StepWork().bytes == 0
    g = OpGroup("x", "gemm")
    assert (g.flops, g.bytes, g.count, g.weight_bytes, g.resident_bytes, g.working_set, g.eff_scale) == (
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    # all-reduce payloads are not memory traffic: StepWork.bytes leaves them out
    w = StepWork([OpGroup("a", "gemm", 1.0, 10.0), OpGroup("b", "comm", 0.0, 5.0, 2)], 3)
    assert (w.flops, w.bytes) == (1.0, 10.0)
    # the default depth and image: ResNet-50 at 224, 53 convolutions
    assert resnet_counts()["convs"] == 53.0 and len(resnet_convs()) == 53 and resnet_convs(50)[0][3] == 224
    # MoE defaults: m_half 32 (2 rows per expert: scale 1 / (1 + 32 / 1)), 6 routing launches per MoE layer
    s = Shape(layers=3, hidden=8, heads=2, kv_heads=1, head_dim=4, intermediate=4, vocab=10, experts=4,
              experts_per_token=2, shared_experts=1, dense_layers=1, dense_intermediate=16)
    w = decoder_work(s, BF16, [(2, 1, 3)], logits_tokens=2)
    assert w.groups[1].eff_scale == 1 / 33 and w.kernels == 12 * 3 + 10 + 6 * 2


def test_roofline_floor_of_a_balanced_op_by_hand():
    # a generic model whose one forward needs as long for its FLOPs as for its weights:
    # 989.4e9 FLOPs / 989.4e12 FLOP/s = 1 ms and 1.675e9 params x 2 B / 3.35e12 B/s = 1 ms;
    # the floor overlaps them perfectly (p = 60: the plain max): 1 ms, not the sum 2 ms
    gen = {"family": "generic", "flops_per_item": 989.4e9, "params": 1_675_000_000}
    sc = _scenario(model={"id": None, "arch": gen}, request={})
    assert roofline_floor_s(sc, CAT) == pytest.approx(1e-3, rel=1e-9)
    # twice the parameters: memory-bound at 2 ms
    sc = _scenario(model={"id": None, "arch": {**gen, "params": 3_350_000_000}}, request={})
    assert roofline_floor_s(sc, CAT) == pytest.approx(2e-3, rel=1e-9)


def test_perf_model_wiring_details(monkeypatch):
    import sys

    # no hardware named and no service block: the scenario is refused before any service time
    with pytest.raises(InputError):
        _scenario(deployment={"hardware": None})
    # the profile is kept; the load file is the engine named in the deployment
    seen = []
    calls, _ = _fake_perf(monkeypatch, cap=40)
    import infercost.perf.measurements

    monkeypatch.setattr(infercost.perf.measurements, "load_calibration", lambda engine: seen.append(engine))
    st = service_time(_scenario(deployment={"engine": "vllm"}), CAT)
    assert seen == ["vllm"] and isinstance(st.profile, _PerfFake)
    _fake_perf(monkeypatch, is_llm=False, cap=1)
    st = service_time(_scenario(model={"id": "resnet50"}, request={}), CAT)
    # one item fits: int(1 / 1) = 1 request per batch
    assert isinstance(st.profile, _PerfFake) and st.max_batch == 1
    # a load file on a non-LLM with no item count: 1 item per request (batches of 1 and 3: 2 and 6 ms)
    load = _Load()
    _fake_perf(monkeypatch, is_llm=False, load=load)
    service_time(_scenario(model={"id": "resnet50"}, request={}), CAT)
    assert load.seen == pytest.approx((0.002, 0.006))
    # without the performance model installed, a service time must be given
    monkeypatch.setitem(sys.modules, "infercost.perf", None)
    with pytest.raises(InputError) as e:
        svc_from_perf(_scenario(), CAT)
    assert (e.value.where, e.value.message) == ("service", "the performance model is not available; give `service:`")


def svc_from_perf(sc, cat):
    from infercost.perf.service import _from_perf

    return _from_perf(sc, cat)


def test_duck_typed_models_without_optional_fields():
    # generic: no flops_per_item attribute at all is the same error as 0
    with pytest.raises(InputError, match=r"model 'g' \(generic\) needs flops_per_item"):
        generic_work(SimpleNamespace(id="g", family="generic"), BF16, 1)
    # a recommender with only the required fields: no lookups (1 row per table), no dense features,
    # no cross layers: bottom 0 -> 6 -> 4 = 6 + 28 = 34, top 85 (as in test_rec_shape_by_hand)
    bare = SimpleNamespace(id="r", family="recommender", embedding_rows=(100, 200, 300), embedding_dim=4,
                           bottom_mlp=(6, 4), top_mlp=(7, 1))
    assert rec_shape(bare) == RecShape(3, 4, 3.0, 34 + 85, 34 + 85 + 32, 4, "dot")
    # dense FLOPs from the MACs when the catalog gives none: 2 x 151 x 10 items
    assert recommender_work(bare, BF16, 10).groups[1].flops == 3020
    with pytest.raises(InputError, match=r"lacks embedding_rows, embedding_dim, bottom_mlp, top_mlp$"):
        rec_shape(SimpleNamespace(id="r"))
    # cross layers of rank 0: each keeps only its bias-like width term, 2 x 16 = 32 weights, no MACs
    r = rec_shape(_rec(cross_layers=2, cross_rank=0))
    assert (r.dense_params, r.dense_macs, r.interaction) == (64 + 32 + 127, 64 + 127, "dcn")


def test_forward_load_edges():
    # one item and one token are positive
    assert forward_load(FakeProfile("encoder", times=[_st(0.01)]), 1, 1)["seq_len"] == 1
    # a model without a max_context attribute has no context limit
    p = FakeProfile("encoder", times=[_st(0.01)])
    del p.model.max_context
    assert forward_load(p, 2, 100000)["seq_len"] == 100000
    p = FakeProfile(times=[_st(0.02), _st(0.03)])
    del p.model.max_context
    assert max_load(p, 100000, 100000)["isl"] == 100000
    assert max_load(FakeProfile(times=[_st(0.02), _st(0.03)]), 1, 1)["osl"] == 1


def test_rates_keep_one_decimal_and_times_three():
    # forward: 3 items / 1.1 ms = 2,727.2727 x 2 replicas = 5,454.5455 -> 5,454.5 samples/s, 2,727.3 per GPU (of 2)
    p = FakeProfile("encoder", times=[_st(0.0011)], gpus=2, tp=1)
    d = forward_load(p, 3)
    assert (d["samples_per_s"], d["samples_per_s_per_gpu"], d["step_ms"]) == (5454.5, 2727.3, 1.1)
    # max load: 40 / 12.3456 ms = 3,240.0207 x 2 replicas -> 6,480.0; tpot 12.3456 -> 12.346 ms, ttft 7.0
    p = FakeProfile(times=[_st(0.0123456), _st(0.007)])
    d = max_load(p, 100, 50)
    assert (d["tpot_ms"], d["ttft_ms"], d["output_tokens_per_s"]) == (12.346, 7.0, 6480.0)


def test_vision_defaults_reach_the_work():
    arch = SimpleNamespace(id="resnet18", name="", family="vision")
    # the default image is 224: conv inputs of a 225 image would differ (225^2 x 3 at the stem)
    assert vision_work(arch, BF16, 1) == vision_work(arch, BF16, 1, image=224)
    assert vision_work(arch, BF16, 1) != vision_work(arch, BF16, 1, image=225)
    # a non-ResNet vision model takes the engine's launches: 4 layers x 7 + 3
    v = SimpleNamespace(id="v", family="vision", name="vit", flops_per_item=100, params=50, bytes_per_item=0,
                        layers=4)
    assert vision_work(v, BF16, 1, traffic=Traffic(kernels_per_layer=7.0, kernels_fixed=3.0)).kernels == 31


def test_decoder_work_several_sequence_groups_and_tiles():
    # a prefill of 1 x 3 tokens on 5 past plus a decode of 2 sequences at context 4, one step
    w = decoder_work(TINY, BF16, [(1, 3, 5), (2, 1, 4)], logits_tokens=3, q_tile=2.0)
    # attention FLOPs: 1 x 32 x (3 x 5 + 6) x 2 = 1,344 + 2 x 32 x (4 + 1) x 2 = 640, plus the decode tile
    # 2 x 32 x 4 x (2 - 1) x 2 = 512 (the prefill group gets none): 2,496
    # q and o bytes: (1 x 3 + 2 x 1) x 2 x 8 x 2 B x 2 = 320
    # KV read 1 x (5 + 3) x 4 x 2 x 2 x 2 = 256 + 2 x (4 + 1) x 4 x 2 x 2 x 2 = 320; written 5 x 4 x 2 x 2 x 2 = 160
    assert w.groups[1] == OpGroup("attention", "attn", 2496, 320 + 256 + 320 + 160)
    # a decode at context 1 with a tile of 2 is padded: 1 x 32 x (1 + 1) x 2 + 1 x 32 x 1 x 1 x 2 = 192
    assert decoder_work(TINY, BF16, [(1, 1, 1)], logits_tokens=1, q_tile=2.0).groups[1].flops == 192


def test_decoder_work_ungated_and_two_experts_and_tp():
    ungated = Shape(**{**TINY.__dict__, "gated": False})
    w = decoder_work(ungated, BF16, [(1, 1, 0)], logits_tokens=1)
    # 2 layers x (192 + 2 x 8 x 16 = 256) = 896 params; io dims 32 + 16 + 8 + 2 x 16 = 88
    assert w.groups[0] == OpGroup("linear", "gemm", 2 * 896, 896 * 2 + 88 * 2 * 2, weight_bytes=1792,
                                  resident_bytes=352, working_set=96)
    # a dense model ignores dense_intermediate: its MLP is the expert MLP (3 x 8 x 16 = 384)
    odd = Shape(**{**TINY.__dict__, "dense_intermediate": 32})
    assert decoder_work(odd, BF16, [(1, 1, 0)], logits_tokens=1).groups[0].weight_bytes == 2 * (192 + 384) * 2
    # two experts are a mixture of experts (an experts group), 1 routed per token
    two = Shape(**{**TINY.__dict__, "experts": 2, "intermediate": 4})
    w = decoder_work(two, BF16, [(1, 1, 0)], logits_tokens=1, moe_m_half=1.0, tp=2)
    assert [g.name for g in w.groups] == ["linear", "experts", "attention", "elementwise", "lm_head", "routing",
                                          "allreduce"]
    ex = w.groups[1]
    # 1 token touches 2 x (1 - (1 - 1/2)^1) = 1 expert of 3 x 8 x 4 = 96 params x 2 B x 2 layers / 2 ranks = 192;
    # io 1 x (3 x 4 x 1) x 2 B x 2 / 2 = 24; FLOPs 2 x 1 x 96 x 2 x 1 / 2 = 192;
    # rows per expert 1 x 1 / 2 = 0.5: scale 0.5 / (0.5 + 1)
    assert ex == OpGroup("experts", "gemm", 192, 216, weight_bytes=192, resident_bytes=24, working_set=ex.working_set,
                         eff_scale=0.5 / 1.5)


def test_resnet_sizes_round_down():
    # an odd input: 100 -> stem 50 -> pool 25 -> stride-2 stages 12, 6, 3 (floor division)
    c = resnet_convs(18, 100)
    assert c[0] == (3, 64, 7, 100, 50) and c[1] == (64, 64, 3, 25, 25)
    assert c[5] == (64, 128, 3, 25, 12) and c[-1] == (512, 512, 3, 3, 3)
    assert resnet_convs(18, 225)[0] == (3, 64, 7, 225, 112)
    # the default input is 224 (225 has 3 x 225^2 stem inputs)
    assert resnet_counts() == resnet_counts(50, 224) != resnet_counts(50, 225)


def test_shape_of_duck_typed_without_the_fields():
    bare = SimpleNamespace(id="b", family="decoder", hidden=8, heads=2, intermediate=16)
    with pytest.raises(InputError, match=r"model 'b' \(decoder\) lacks layers$"):
        shape_of(bare)


def test_roofline_floor_is_the_datasheet_on_every_hardware_family():
    # efficiencies fitted on Hopper are carried to other families by ceiling ratios (vendors.scale_to);
    # the floor must not be: T4 at its datasheet 65 TFLOP/s fp16, A100 at 2,039 GB/s
    # T4: 65e9 FLOPs / 65e12 = 1 ms (weights 0.08e9 x 2 B / 320e9 = 0.5 ms)
    gen = {"family": "generic", "flops_per_item": 65e9, "params": 80_000_000}
    sc = _scenario(model={"id": None, "arch": gen, "precision": "fp16"}, request={}, deployment={"hardware": "t4"})
    assert roofline_floor_s(sc, CAT) == pytest.approx(1e-3, rel=1e-9)
    # A100: 2.039e9 params x 2 B / 2,039e9 B/s = 2 ms (312e6 FLOPs: 1 us)
    gen = {"family": "generic", "flops_per_item": 312e6, "params": 2_039_000_000}
    sc = _scenario(model={"id": None, "arch": gen}, request={}, deployment={"hardware": "a100-80gb-sxm"})
    assert roofline_floor_s(sc, CAT) == pytest.approx(2e-3, rel=1e-9)


def test_odd_pool_input_and_cross_rank_default():
    # 102 -> stem 51 -> max-pool 25 (floor division), not 25.5
    assert resnet_convs(18, 102)[1] == (64, 64, 3, 25, 25)
    # cross layers given without a rank attribute: rank 0 (2 x 16 = 32 weights, as with cross_rank=0)
    dcn = SimpleNamespace(id="r", family="recommender", embedding_rows=(100, 200, 300), embedding_dim=4,
                          lookups_per_item=(1, 2, 3), dense_features=5, bottom_mlp=(6, 4), top_mlp=(7, 1),
                          cross_layers=2)
    assert rec_shape(dcn).dense_params == 64 + 32 + 127


def test_quantile_keys_of_tiny_quantiles():
    # within 1e-9 of a whole percent (here 0) the key is that integer: 1e-12 x 100 = 1e-10 -> p0,
    # 9.95e-12 x 100 = 9.95e-10 -> p0; exactly 1e-9 away is not within: the float 1.0000000000000001e-11
    # x 100 is exactly 1e-9 -> p1e-09; 1e-9 x 100 = 1e-7 -> p1e-07 (`:g`)
    assert _qkey(1e-12) == "p0" and _qkey(9.95e-12) == "p0"
    assert 1.0000000000000001e-11 * 100 == 1e-9 and _qkey(1.0000000000000001e-11) == "p1e-09"
    assert _qkey(1e-9) == "p1e-07"
