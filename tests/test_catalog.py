"""The bundled catalogs: provenance, required entries, internal consistency, overrides."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal

import pytest

from infercost.core.catalog import (
    INTERCONNECT_KINDS,
    PLANS,
    PRECISIONS,
    VENDOR_FAMILIES,
    ModelArch,
    load_catalog,
)
from infercost.errors import InputError

REQUIRED_GPUS = ["h100-sxm", "h200-sxm", "a100-80gb-sxm", "a10g", "l4", "l40s", "t4", "mi300x"]
REQUIRED_ACCELERATORS = ["b200", "mi325x", "gaudi3", "inferentia2", "trainium", "trainium2",
                         "tpu-v5e", "tpu-v6e"]
REQUIRED_CPUS = ["x86-vcpu"]
REQUIRED_MODELS = [
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.3-70b", "mixtral-8x7b",
    "bert-base", "distilbert", "all-minilm-l6-v2", "resnet50",
    "bert-large", "llama-2-70b", "llama-3.1-405b", "qwen2.5-7b", "qwen2.5-72b", "deepseek-v3",
    "dlrm-dcnv2",
]
REQUIRED_INSTANCES = {
    ("aws", "p5.48xlarge"): "h100-sxm",
    ("aws", "p5en.48xlarge"): "h200-sxm",
    ("aws", "p4de.24xlarge"): "a100-80gb-sxm",
    ("aws", "g5.xlarge"): "a10g",
    ("aws", "g5.12xlarge"): "a10g",
    ("aws", "g6.xlarge"): "l4",
    ("aws", "g6e.xlarge"): "l40s",
    ("aws", "g4dn.xlarge"): "t4",
    ("aws-sagemaker", "ml.g5.xlarge"): "a10g",
    ("aws-sagemaker", "ml.g4dn.xlarge"): "t4",
    ("gcp", "a3-highgpu-8g"): "h100-sxm",
    ("gcp", "a3-ultragpu-8g"): "h200-sxm",
    ("gcp", "a2-ultragpu-8g"): "a100-80gb-sxm",
    ("gcp", "g2-standard-4"): "l4",
    ("azure", "Standard_ND96isr_H100_v5"): "h100-sxm",
    ("aws", "p6-b200.48xlarge"): "b200",
    ("aws", "inf2.xlarge"): "inferentia2",
    ("aws", "inf2.48xlarge"): "inferentia2",
    ("aws", "trn1.32xlarge"): "trainium",
    ("gcp", "tpu-v5e-1"): "tpu-v5e",
    ("gcp", "tpu-v6e-1"): "tpu-v6e",
}
HYPERSCALERS = ["aws", "gcp", "azure"]
GPU_CLOUDS = ["lambda", "runpod"]


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def _all_entries(cat):
    yield from (("hardware", k, v) for k, v in cat.hardware.items())
    yield from (("models", k, v) for k, v in cat.models.items())
    yield from (("instances", f"{i.provider}/{i.instance}", i) for i in cat.instances)
    yield from (("services", k, v) for k, v in cat.services.items())
    yield from (("api_tokens", f"{a.provider}/{a.model}", a) for a in cat.api_tokens)


# -- provenance ---------------------------------------------------------------------

def test_every_entry_has_a_source_and_a_date(cat):
    entries = list(_all_entries(cat))
    assert len(entries) > 40
    for section, key, e in entries:
        assert isinstance(e.source, str) and len(e.source.strip()) >= 15, f"{section}.{key}: source"
        assert "placeholder" not in e.source.lower(), f"{section}.{key}: placeholder source"
        assert e.as_of is not None and e.as_of.year >= 2020, f"{section}.{key}: as_of"


# -- required ids ----------------------------------------------------------------------

def test_required_hardware_and_models_present(cat):
    for hid in REQUIRED_GPUS:
        assert cat.hardware[hid].kind == "gpu"
    for hid in REQUIRED_CPUS + ["xeon-spr-vcpu", "epyc-genoa-vcpu"]:
        hw = cat.hardware[hid]
        assert hw.kind == "cpu" and hw.per == "vcpu"
        assert hw.peak("fp32") > 0 and hw.peak("bf16") >= hw.peak("fp32")
        assert hw.memory_bw_gbps > 0 and hw.memory_gb > 0
    for mid in REQUIRED_MODELS:
        assert mid in cat.models


def test_required_instances_present(cat):
    have = {(i.provider, i.instance): i for i in cat.instances}
    for key, hw in REQUIRED_INSTANCES.items():
        assert key in have, key
        assert have[key].hardware == hw, key


def test_instances_reference_known_hardware_and_plans(cat):
    for i in cat.instances:
        assert i.hardware in cat.hardware, (i.provider, i.instance)
        assert i.gpus >= 1
        assert i.currency == "USD"
        assert i.per_gpu_hour, (i.provider, i.instance)
        for plan, price in i.per_gpu_hour.items():
            assert plan in PLANS
            assert isinstance(price, Decimal) and price > 0, (i.provider, i.instance, plan)
        if i.provider == "owned":
            assert set(i.per_gpu_hour) == {"owned"}
        else:
            assert "owned" not in i.per_gpu_hour


# -- hardware figures -----------------------------------------------------------------------

def test_required_gpus_have_bf16_memory_and_bandwidth(cat):
    for hid in REQUIRED_GPUS:
        hw = cat.hardware[hid]
        assert hw.peak("bf16") > 0, hid  # T4 falls back to its fp16 peak (no bf16 hardware)
        assert hw.memory_gb > 0 and hw.memory_bw_gbps > 0 and hw.tdp_w > 0, hid
        assert hw.interconnect_gbps > 0, hid
        assert set(hw.peak_tflops) <= set(PRECISIONS)


@pytest.mark.parametrize("hid", ["h100-sxm", "h200-sxm", "l4", "l40s", "mi300x"])
def test_fp8_where_the_chip_has_it(cat, hid):
    hw = cat.hardware[hid]
    assert "fp8" in hw.peak_tflops
    # dense FP8 is twice dense BF16 on every one of these parts
    assert hw.peak_tflops["fp8"] == pytest.approx(2 * hw.peak_tflops["bf16"], rel=0.02)


@pytest.mark.parametrize("hid", ["a100-80gb-sxm", "t4"])
def test_no_fp8_on_older_chips(cat, hid):
    assert "fp8" not in cat.hardware[hid].peak_tflops


def test_datasheet_spot_checks(cat):
    hw = cat.hardware
    # dense, not sparse: the sparse H100 BF16 figure (1,979) would fail this
    assert hw["h100-sxm"].peak("bf16") == pytest.approx(989.4, rel=0.01)
    assert hw["h200-sxm"].memory_gb == 141 and hw["h200-sxm"].memory_bw_gbps == 4800
    assert hw["a100-80gb-sxm"].peak("bf16") == pytest.approx(312)
    assert hw["mi300x"].peak("bf16") == pytest.approx(1307.4)
    assert hw["l4"].tdp_w == 72 and hw["t4"].tdp_w == 70
    assert hw["h100-sxm"].interconnect_gbps == 450  # NVLink 900 bidirectional -> 450 one way
    assert hw["a10g"].peak("bf16") < 100  # not the A10's 125
    assert hw["t4"].peak("bf16") == hw["t4"].peak_tflops["fp16"]


def test_new_accelerators_present_with_datasheet_figures(cat):
    for hid in REQUIRED_ACCELERATORS:
        hw = cat.hardware[hid]
        assert hw.kind == "gpu" and hw.per == "device", hid
        assert hw.peak("bf16") > 0 and hw.memory_gb > 0 and hw.memory_bw_gbps > 0, hid
        assert hw.vendor_family and hw.interconnect is not None, hid
        assert set(hw.peak_tflops) <= set(PRECISIONS), hid
    hw = cat.hardware
    # dense figures: the sparse B200 BF16 (4,500) or FP8 (9,000) would fail these
    assert hw["b200"].peak("bf16") == 2250 and hw["b200"].peak("fp8") == 4500
    assert hw["b200"].interconnect.gbps == 900  # NVLink 5: 1.8 TB/s bidirectional
    # MI325X = MI300X compute with more, faster memory
    assert hw["mi325x"].peak_tflops == hw["mi300x"].peak_tflops
    assert (hw["mi325x"].memory_gb, hw["mi325x"].memory_bw_gbps) == (256, 6000)
    assert hw["gaudi3"].peak("fp8") == hw["gaudi3"].peak("bf16") == 1835
    # Neuron figures are per chip (2 NeuronCore-v2): 190 BF16 TFLOPS, 380 INT8 TOPS
    for hid in ("inferentia2", "trainium"):
        assert hw[hid].peak("bf16") == 190 and hw[hid].peak("int8") == 380
    assert hw["tpu-v5e"].peak("bf16") == 197 and hw["tpu-v6e"].peak("bf16") == 918
    assert hw["tpu-v5e"].peak("fp8") == 197  # no fp8 published: falls back to bf16
    assert hw["tpu-v6e"].interconnect.kind == "ici" and hw["tpu-v6e"].interconnect.gbps == 400


def test_vendor_family_and_interconnect_on_every_device(cat):
    expected = {"h100-sxm": "hopper", "h200-sxm": "hopper", "a100-80gb-sxm": "ampere", "a10g": "ampere",
                "l4": "ada", "l40s": "ada", "t4": "turing", "mi300x": "cdna3", "b200": "blackwell",
                "gaudi3": "gaudi", "inferentia2": "neuron", "tpu-v5e": "tpu", "x86-vcpu": "cpu"}
    for hid, fam in expected.items():
        assert cat.hardware[hid].vendor_family == fam, hid
    for hid, hw in cat.hardware.items():
        assert hw.vendor_family in VENDOR_FAMILIES, hid
        if hw.kind == "cpu":
            continue
        assert hw.interconnect.kind in INTERCONNECT_KINDS, hid
        # interconnect sets interconnect_gbps, the field the roofline reads
        assert hw.interconnect_gbps == hw.interconnect.gbps, hid
        assert hw.l2_mb >= 0 and hw.idle_watts >= 0, hid
    assert cat.hardware["h100-sxm"].l2_mb == 50 and cat.hardware["mi300x"].l2_mb == 256
    assert cat.hardware["l4"].interconnect.kind == "pcie"


# -- model shapes -----------------------------------------------------------------------

def decoder_params(m: ModelArch, experts: int | None = None) -> int:
    """Parameters recomputed from the shape: embeddings + layers x (attention with GQA + MLP
    x experts + router + 2 norms) + final norm + lm_head unless tied."""
    experts = m.experts if experts is None else experts
    head_dim = m.head_dim or m.hidden // m.heads
    q = m.hidden * m.heads * head_dim
    kv = 2 * m.hidden * m.kv_heads * head_dim
    o = m.heads * head_dim * m.hidden
    mlp = 3 * m.hidden * m.intermediate * experts
    router = m.hidden * m.experts if m.experts > 1 else 0
    bias = (m.heads + 2 * m.kv_heads) * head_dim if m.qkv_bias else 0
    layer = q + kv + o + mlp + router + bias + 2 * m.hidden
    embed = m.vocab * m.hidden
    head = 0 if m.tied_embeddings else m.vocab * m.hidden
    return embed + m.layers * layer + m.hidden + head


def bert_params(m: ModelArch, *, type_vocab: int, pooler: bool) -> int:
    h, i = m.hidden, m.intermediate
    embed = (m.vocab + m.max_context + type_vocab) * h + 2 * h  # + embedding LayerNorm
    layer = (4 * (h * h + h)) + (h * i + i) + (i * h + h) + 2 * 2 * h
    return embed + m.layers * layer + ((h * h + h) if pooler else 0)


@pytest.mark.parametrize("mid", ["llama-3.1-8b", "llama-3.1-70b", "llama-3.3-70b", "mixtral-8x7b",
                                 "llama-2-70b", "llama-3.1-405b", "qwen2.5-7b", "qwen2.5-72b"])
def test_decoder_params_match_shape(cat, mid):
    m = cat.models[mid]
    assert m.family == "decoder"
    assert decoder_params(m) == pytest.approx(m.params, rel=0.01)


@pytest.mark.parametrize("mid, exact", [
    ("llama-2-70b", 68_976_648_192),     # the HF safetensors total for Llama-2-70b-hf
    ("qwen2.5-7b", 7_615_616_512),       # HF total: only right if the q/k/v biases are counted
    ("qwen2.5-72b", 72_706_203_648),
    ("llama-3.1-405b", 405_853_388_800),
])
def test_decoder_params_exact(cat, mid, exact):
    # e.g. qwen2.5-7b: layer = q 3584*3584 + kv 2*3584*512 + o 3584*3584 + mlp 3*3584*18944
    #   + bias (3584 + 2*512) + norms 2*3584 = 233,057,792; x28 = 6,525,618,176;
    #   + embed and lm_head 2 * 152064*3584 = 1,089,994,752; + final norm 3584 -> 7,615,616,512
    assert decoder_params(cat.models[mid]) == exact == cat.models[mid].params


def mla_moe_params(m: ModelArch, routed: int) -> int:
    """DeepSeek-V3-style parameters: MLA attention, `dense_layers` dense MLPs, then MoE layers
    with `routed` routed experts counted plus the shared ones, router weights and bias."""
    h, heads, hd, rope = m.hidden, m.heads, m.head_dim, m.qk_rope_head_dim
    attn = (h * m.q_lora_rank + m.q_lora_rank                       # q down-projection + norm
            + m.q_lora_rank * heads * (hd + rope)                   # q up-projection (no-RoPE + RoPE)
            + h * (m.kv_lora_rank + rope) + m.kv_lora_rank          # kv down-projection + norm
            + m.kv_lora_rank * heads * (hd + hd)                    # k (no-RoPE) and v up-projection
            + heads * hd * h)                                       # output projection
    dense = 3 * h * m.dense_intermediate
    moe = (routed + m.shared_experts) * 3 * h * m.intermediate + m.experts * h + m.experts
    return (2 * m.vocab * h + h + m.layers * (attn + 2 * h)
            + m.dense_layers * dense + (m.layers - m.dense_layers) * moe)


def test_deepseek_v3_shape(cat):
    m = cat.models["deepseek-v3"]
    assert (m.experts, m.experts_per_token, m.shared_experts, m.dense_layers) == (256, 8, 1, 3)
    assert m.attention == "mla"
    # 671B total / 37B active per the technical report; recomputed: 671,026,419,200 and
    # 37,552,297,472 (attention alone is 187,107,328 per layer)
    assert mla_moe_params(m, routed=256) == m.params == 671_026_419_200
    assert mla_moe_params(m, routed=8) == m.active_params == 37_552_297_472
    # MLA caches the 512-element latent + one 64-element RoPE key per token per layer
    assert m.kv_cache_dim == m.kv_lora_rank + m.qk_rope_head_dim == 576
    assert m.kv_elements_per_token_layer() == 576
    # without kv_cache_dim the GQA rule applies: llama-3.1-8b 2 x 8 x 128
    assert cat.models["llama-3.1-8b"].kv_elements_per_token_layer() == 2048


def test_dlrm_dcnv2_shape(cat):
    m = cat.models["dlrm-dcnv2"]
    assert m.family == "recommender"
    assert len(m.embedding_rows) == len(m.lookups_per_item) == 26
    assert sum(m.lookups_per_item) == 214
    d = m.embedding_dim * (len(m.embedding_rows) + 1)  # 128 x 27 = 3,456 into the cross network
    assert d == 3456

    def mlp(widths):  # (params, MACs) of a chain of fully connected layers with biases
        pairs = list(zip(widths, widths[1:], strict=False))
        return sum(a * b + b for a, b in pairs), sum(a * b for a, b in pairs)

    bottom = mlp([m.dense_features, *m.bottom_mlp])
    top = mlp([d, *m.top_mlp])
    cross_params = m.cross_layers * (2 * d * m.cross_rank + d)
    cross_macs = m.cross_layers * 2 * d * m.cross_rank
    embed = sum(m.embedding_rows) * m.embedding_dim  # 204,184,588 x 128 = 26,135,627,264
    assert embed + bottom[0] + cross_params + top[0] == m.params == 26_151_671_809
    assert 2 * (bottom[1] + cross_macs + top[1]) == m.flops_per_item == 32_060_928
    assert m.bottom_mlp[-1] == m.embedding_dim  # the dense tower ends at the embedding width


def test_mixtral_moe_fields(cat):
    m = cat.models["mixtral-8x7b"]
    assert (m.experts, m.experts_per_token) == (8, 2)
    assert m.active_params == pytest.approx(decoder_params(m, experts=2), rel=0.01)
    assert m.active_params < m.params / 3


def test_encoder_params_match_shape(cat):
    bert = cat.models["bert-base"]
    assert bert.family == "encoder" and bert.seq_len == 128
    assert bert_params(bert, type_vocab=2, pooler=True) == pytest.approx(bert.params, rel=0.02)
    minilm = cat.models["all-minilm-l6-v2"]
    assert bert_params(minilm, type_vocab=2, pooler=True) == pytest.approx(minilm.params, rel=0.02)
    distil = cat.models["distilbert"]
    assert bert_params(distil, type_vocab=0, pooler=False) == pytest.approx(distil.params, rel=0.02)
    for mid in ("bert-base", "distilbert", "all-minilm-l6-v2"):
        m = cat.models[mid]
        assert m.family == "encoder" and m.seq_len == 128 and m.layers and m.heads and m.vocab
    large = cat.models["bert-large"]
    # 335,141,888: embeddings (30522 + 512 + 2) x 1024 + LN 2048 = 31,782,912;
    # 24 layers x 12,596,224 = 302,309,376; pooler 1,049,600
    assert bert_params(large, type_vocab=2, pooler=True) == large.params == 335_141_888
    assert large.seq_len == 384


def test_vision_model(cat):
    r = cat.models["resnet50"]
    assert r.family == "vision"
    assert r.flops_per_item == pytest.approx(2 * 4.089e9, rel=0.01)  # 2 x MACs at 224x224
    assert r.bytes_per_item == 3 * 224 * 224


#: Decoders whose attention width (heads x head_dim) differs from the hidden size, as their
#: model cards publish: Qwen3-235B-A22B (64 query heads x 128 = 8192 over a 4096 hidden;
#: config.json of Qwen/Qwen3-235B-A22B) and DeepSeek-V3 (MLA: 128 heads x 128 no-RoPE head
#: dim over a 7168 hidden; config.json of deepseek-ai/DeepSeek-V3).
DECOUPLED_HEAD_DIM = {"qwen3-235b-a22b": (128, 64, 4096), "deepseek-v3": (128, 128, 7168)}


def test_model_fields_are_consistent(cat):
    known = {f.name for f in fields(ModelArch)}
    for mid, m in cat.models.items():
        assert m.params > 0, mid
        assert m.default_precision in PRECISIONS, mid
        assert m.family in ("decoder", "encoder", "vision", "generic", "recommender"), mid
        if m.family == "decoder":
            assert 0 < m.kv_heads <= m.heads and m.heads % m.kv_heads == 0, mid
            # head_dim, stated or derived, times heads is the hidden size for every decoder
            # in the catalog (one that decouples them would need a stated reason here)
            head_dim = m.head_dim or m.hidden // m.heads
            if mid not in DECOUPLED_HEAD_DIM:
                assert head_dim * m.heads == m.hidden, (mid, head_dim, m.heads, m.hidden)
            else:  # the stated decoupling, exactly as published
                assert (head_dim, m.heads, m.hidden) == DECOUPLED_HEAD_DIM[mid], mid
            assert head_dim in (64, 80, 96, 128, 256), (mid, head_dim)
        if m.family == "encoder":
            assert m.seq_len > 0 and m.hidden % m.heads == 0, mid
    assert "seq_len" in known and "head_dim" in known


# -- prices -------------------------------------------------------------------------------

@pytest.mark.parametrize("provider", HYPERSCALERS + GPU_CLOUDS)
def test_required_providers_price_h100_on_demand(cat, provider):
    money, row = cat.gpu_hour_price(provider, "h100-sxm", "on-demand")
    assert money.currency == "USD"
    assert Decimal("0.5") < money.amount < Decimal("20"), (provider, money)
    assert row.hardware == "h100-sxm"


def test_accelerator_prices_are_per_chip(cat):
    have = {(i.provider, i.instance): i for i in cat.instances}
    # inf2.48xlarge: $12.98127 per instance / 12 chips = $1.081773 per chip-hour
    inf2 = have[("aws", "inf2.48xlarge")]
    assert inf2.gpus == 12 and inf2.per_gpu_hour["on-demand"] == Decimal("1.081773")
    # trn1.32xlarge: $21.50 / 16 chips = $1.34375, the trn1.2xlarge single-chip rate
    assert have[("aws", "trn1.32xlarge")].per_gpu_hour["on-demand"] == Decimal("1.34375")
    money, _ = cat.gpu_hour_price("gcp", "tpu-v6e", "reserved-3y")
    assert money.amount == Decimal("1.22")


def test_plan_ordering_wherever_present(cat):
    for i in cat.instances:
        p = i.per_gpu_hour
        label = (i.provider, i.instance)
        if "spot" in p and "on-demand" in p:
            assert p["spot"] < p["on-demand"], label
        if "reserved-1y" in p and "on-demand" in p:
            assert p["reserved-1y"] < p["on-demand"], label
        if "reserved-3y" in p and "reserved-1y" in p:
            assert p["reserved-3y"] < p["reserved-1y"], label
        if "reserved-3y" in p and "on-demand" in p:
            assert p["reserved-3y"] < p["on-demand"], label


def test_committed_prices_exist_somewhere(cat):
    plans = {p for i in cat.instances for p in i.per_gpu_hour}
    assert {"on-demand", "spot", "reserved-1y", "reserved-3y", "owned"} <= plans


def test_owned_is_cheaper_than_renting(cat):
    owned, _ = cat.gpu_hour_price("owned", "h100-sxm", "owned")
    rented, _ = cat.gpu_hour_price("aws", "h100-sxm", "on-demand")
    assert owned.amount < rented.amount


def test_services_for_hyperscalers(cat):
    for provider in HYPERSCALERS + ["aws-sagemaker", "runpod"]:
        s = cat.get_services(provider)
        assert s.vcpu_hour >= 0 and s.storage_gb_month > 0 and s.egress_gb >= 0
    for provider in HYPERSCALERS:
        s = cat.get_services(provider)
        assert Decimal("0.01") < s.vcpu_hour < Decimal("0.2")
        assert Decimal("0.01") < s.egress_gb < Decimal("0.2")


def test_api_prices(cat):
    assert len(cat.api_tokens) >= 5
    for a in cat.api_tokens:
        assert a.input_per_1m > 0 and a.output_per_1m >= a.input_per_1m, (a.provider, a.model)
    assert cat.api_price("openai", "gpt-4o-mini").input_per_1m == Decimal("0.15")
    assert cat.api_price("together", "llama-3.1-8b").output_per_1m > 0
    with pytest.raises(InputError):
        cat.api_price("openai", "no-such-model")


# -- user overrides -----------------------------------------------------------------------

def test_user_file_overrides_and_adds(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text(
        "hardware:\n"
        "  h100-sxm:\n"
        "    name: H100 with more memory\n"
        "    kind: gpu\n"
        "    peak_tflops: {bf16: 989.4}\n"
        "    memory_gb: 96\n"
        "    memory_bw_gbps: 3350\n"
        "    source: my lab measurement\n"
        "    as_of: 2026-11-01\n"
        "  my-npu:\n"
        "    name: My NPU\n"
        "    kind: gpu\n"
        "    peak_tflops: {int8: 400}\n"
        "    memory_gb: 32\n"
        "    memory_bw_gbps: 800\n"
        "    source: vendor sheet\n"
        "    as_of: 2026-10-01\n"
        "prices:\n"
        "  instances:\n"
        "    - {provider: aws, instance: p5.48xlarge, hardware: h100-sxm, gpus: 8,\n"
        "       per_gpu_hour: {on-demand: 4.10}, source: negotiated contract, as_of: 2026-11-01}\n"
    )
    cat = load_catalog(f)
    assert cat.hardware["h100-sxm"].memory_gb == 96
    assert cat.hardware["h100-sxm"].source == "my lab measurement"
    assert cat.hardware["my-npu"].peak("int8") == 400
    money, _ = cat.gpu_hour_price("aws", "h100-sxm", "on-demand")
    assert money.amount == Decimal("4.10")
    # the rest of the bundled catalog is untouched, and the bundled copy is not mutated
    assert "mi300x" in cat.hardware
    assert load_catalog().hardware["h100-sxm"].memory_gb == 80


def test_user_file_unknown_key_is_named(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text(
        "hardware:\n  x1:\n    name: X\n    kind: gpu\n    memry_gb: 3\n"
        "    source: s\n    as_of: 2026-01-01\n"
    )
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert "memry_gb" in str(e.value)
    assert "hardware.x1" in str(e.value)


def test_user_file_missing_source_is_named(tmp_path):
    f = tmp_path / "nosource.yaml"
    f.write_text("models:\n  tiny:\n    family: decoder\n    params: 1000\n    as_of: 2026-01-01\n")
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert "source" in str(e.value)
    assert "models.tiny" in str(e.value)


def test_user_file_bad_plan_is_rejected(tmp_path):
    f = tmp_path / "plan.yaml"
    f.write_text(
        "prices:\n  instances:\n"
        "    - {provider: x, instance: y, hardware: h100-sxm, gpus: 1,\n"
        "       per_gpu_hour: {monthly: 1}, source: s, as_of: 2026-01-01}\n"
    )
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert "monthly" in str(e.value)


def test_user_file_new_optional_fields(tmp_path):
    f = tmp_path / "hw.yaml"
    f.write_text(
        "hardware:\n"
        "  my-gpu:\n"
        "    name: My GPU\n"
        "    kind: gpu\n"
        "    vendor_family: hopper\n"
        "    peak_tflops: {bf16: 500}\n"
        "    memory_gb: 64\n"
        "    memory_bw_gbps: 2000\n"
        "    l2_mb: 40\n"
        "    idle_watts: 90\n"
        "    interconnect: {kind: pcie, gbps: 64}\n"
        "    source: my lab\n"
        "    as_of: 2026-11-01\n"
    )
    hw = load_catalog(f).hardware["my-gpu"]
    assert (hw.l2_mb, hw.idle_watts, hw.interconnect.kind, hw.interconnect_gbps) == (40, 90, "pcie", 64.0)


@pytest.mark.parametrize("line, named", [
    ("    interconnect: {kind: warp-drive, gbps: 10}\n", "warp-drive"),
    ("    interconnect: {kind: pcie}\n", "hardware.x1.interconnect"),
    ("    interconnect: {kind: pcie, gbps: 32}\n    interconnect_gbps: 16\n", "disagrees"),
    ("    vendor_family: volta\n", "volta"),
])
def test_user_file_bad_optional_hardware_fields_are_named(tmp_path, line, named):
    f = tmp_path / "bad.yaml"
    f.write_text("hardware:\n  x1:\n    name: X\n    kind: gpu\n" + line
                 + "    source: s\n    as_of: 2026-01-01\n")
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert named in str(e.value)


@pytest.mark.parametrize("line, named", [
    ("    family: diffusion\n", "diffusion"),
    ("    family: recommender\n    embedding_rows: [10, -1]\n", "embedding_rows"),
    ("    family: decoder\n    attention: sliding\n", "sliding"),
])
def test_user_file_bad_model_fields_are_named(tmp_path, line, named):
    f = tmp_path / "bad.yaml"
    f.write_text("models:\n  m1:\n    params: 10\n" + line + "    source: s\n    as_of: 2026-01-01\n")
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert named in str(e.value) and "models.m1" in str(e.value)


def test_bundled_files_read_as_load_yaml_reads_them():
    # the bundled files are parsed by libyaml (speed): the same objects as the checked
    # reader (duplicate keys, alias expansion), which must accept them
    from importlib import resources

    from infercost.core.catalog import BUNDLED, _read_bundled
    from infercost.core.yamlio import load_yaml

    pkg = resources.files("infercost.core") / "catalog_data"
    for name in BUNDLED:
        text = (pkg / name).read_text()
        checked = load_yaml(text, name)
        assert isinstance(checked, dict) and checked
        fast = _read_bundled(name, text)
        assert fast == checked and repr(fast) == repr(checked)  # types too: 1 vs 1.0
    # the energy catalog (core.energy_catalog.load_energy) likewise
    import yaml

    text = (pkg / "energy.yaml").read_text()
    checked = load_yaml(text, "energy.yaml")
    fast = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    assert repr(fast) == repr(checked) and fast["energy"]["grid"]


def test_bundled_reader_falls_back_to_the_checked_reader():
    from infercost.core.catalog import _read_bundled

    # what libyaml refuses or is no mapping: load_yaml says what is wrong, naming the line
    # (a duplicate key libyaml keeps silently: the test above holds the bundled files free)
    with pytest.raises(InputError, match="x.yaml: line 2"):
        _read_bundled("x.yaml", "a: [1\n")
    with pytest.raises(InputError, match="mapping at the top level"):
        _read_bundled("x.yaml", "- 1\n")


# -- a catalog of the wrong shape or with impossible values: exit 2 naming file and key ------

_L4 = ("hardware:\n  l4:\n    name: L4\n    kind: gpu\n    peak_tflops: {bf16: 121}\n"
       "    memory_gb: 24\n    memory_bw_gbps: 300\n    tdp_w: 72\n    source: me\n    as_of: 2026-11-01\n")


@pytest.mark.parametrize("text, named", [
    ("hardware: 5\n", "hardware: expected a mapping of id -> entry, got int"),
    ("hardware:\n  - {id: myhw, family: x}\n", "hardware: expected a mapping of id -> entry, got list"),
    ("models:\n  - x\n", "models: expected a mapping of id -> entry, got list"),
    ("prices: [1]\n", "prices: expected a mapping"),
    ("prices:\n  instances: {a: 1}\n", "prices.instances: expected a list of entries, got dict"),
    ("prices:\n  services: [aws]\n", "prices.services: expected a mapping"),
    (_L4.replace("bf16: 121", "bf16: 0"), "hardware.l4.peak_tflops.bf16: expected a number > 0, got 0"),
    (_L4.replace("{bf16: 121}", "[121]"), "hardware.l4.peak_tflops: expected a mapping"),
    (_L4.replace("bf16: 121", "bf16: .nan"), "hardware.l4.peak_tflops.bf16: expected a finite number"),
    (_L4.replace("tdp_w: 72", "tdp_w: -72"), "hardware.l4.tdp_w: expected a number >= 0, got -72"),
    (_L4.replace("memory_gb: 24", "memory_gb: 0"), "hardware.l4.memory_gb: expected GB > 0"),
    (_L4.replace("    memory_gb: 24\n", ""), "hardware.l4.memory_gb: expected GB > 0"),
    (_L4.replace("memory_bw_gbps: 300", "memory_bw_gbps: -1"), "hardware.l4.memory_bw_gbps: expected a number >= 0"),
    (_L4.replace("memory_bw_gbps: 300", "memory_bw_gbps: 0"), "hardware.l4.memory_bw_gbps: expected GB/s > 0"),
    (_L4.replace("tdp_w: 72", "tdp_w: 72\n    idle_watts: 80"), "hardware.l4.idle_watts: idle_watts 80 W is above"),
    (_L4.replace("tdp_w: 72", "tdp_w: .inf"), "hardware.l4.tdp_w: expected a finite number"),
    (_L4.replace("kind: gpu", "kind: fpga"), "hardware.l4.kind: unknown kind 'fpga'"),
    (_L4.replace("tdp_w: 72", "tdp_w: true"), "hardware.l4.tdp_w: expected a number, got True"),
])
def test_user_catalog_shape_and_values_are_refused(tmp_path, text, named):
    f = tmp_path / "cat.yaml"
    f.write_text(text)
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert f"{f}: {named}" in str(e.value)


_M = {"family": "decoder", "params": 1000, "layers": 2, "hidden": 64, "heads": 4, "source": "s",
      "as_of": "2026-01-01"}


@pytest.mark.parametrize("change, named", [
    ({"params": 0}, "models.m1.params: expected params > 0"),
    ({"layers": 2.5}, "models.m1.layers: expected a whole number, got 2.5"),
    ({"heads": 0}, "models.m1.heads: a decoder needs heads > 0"),
    ({"kv_heads": 8}, "models.m1.kv_heads: kv_heads 8 is more than heads 4"),
    ({"experts": 2, "experts_per_token": 3}, "models.m1.experts_per_token"),
    ({"active_params": 2000}, "models.m1.active_params"),
    ({"default_precision": "fp6"}, "models.m1.default_precision: unknown precision 'fp6'"),
    ({"tied_embeddings": "yes"}, "models.m1.tied_embeddings: expected true or false"),
    ({"vocab": -1}, "models.m1.vocab: expected a number >= 0"),
])
def test_user_catalog_impossible_model_values_are_refused(tmp_path, change, named):
    import json

    f = tmp_path / "cat.yaml"
    f.write_text(json.dumps({"models": {"m1": {**_M, **change}}}))  # JSON is YAML
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert named in str(e.value)


@pytest.mark.parametrize("entry, named", [
    ("{provider: aws, instance: x, hardware: l4, gpus: 0, per_gpu_hour: {on-demand: 1}, source: s, as_of: 2026-01-01}",
     "prices.instances[0].gpus: expected gpus >= 1"),
    ("{provider: aws, instance: x, hardware: l4, gpus: 1, per_gpu_hour: {on-demand: -1}, source: s, as_of: 2026-01-01}",
     "prices.instances[0].per_gpu_hour.on-demand: expected a price >= 0, got -1"),
    # an instance of hardware the catalog does not have loaded; the error came later, from
    # the scenario ("aws offers ... nosuch-gpu")
    ("{provider: aws, instance: x, hardware: nosuch-gpu, gpus: 1, per_gpu_hour: {on-demand: 1}, source: s, as_of: 2026-01-01}",
     "prices.instances[0].hardware: unknown hardware 'nosuch-gpu'"),
    # a figure read in 2999 is a typo
    ("{provider: aws, instance: x, hardware: l4, gpus: 1, per_gpu_hour: {on-demand: 1}, source: s, as_of: 2999-01-01}",
     "prices.instances[0].as_of: as_of 2999-01-01 is more than a year in the future"),
    # the same instance twice in one file: the later silently replaced the earlier
    ("{provider: aws, instance: x, hardware: l4, gpus: 1, per_gpu_hour: {on-demand: 1}, source: s, as_of: 2026-01-01}\n"
     "    - {provider: aws, instance: x, hardware: l4, gpus: 1, per_gpu_hour: {on-demand: 9}, source: s, as_of: 2026-01-01}",
     "prices.instances[1]: aws x is given twice in this file (prices.instances[0] and [1]): keep one"),
])
def test_user_catalog_impossible_prices_are_refused(tmp_path, entry, named):
    f = tmp_path / "cat.yaml"
    f.write_text(f"prices:\n  instances:\n    - {entry}\n")
    with pytest.raises(InputError) as e:
        load_catalog(f)
    assert named in str(e.value)


def test_cli_catalog_zero_peak_exits_2_naming_the_file(tmp_path, cli):
    f = tmp_path / "cat.yaml"
    f.write_text(_L4.replace("bf16: 121", "bf16: 0"))
    code, out, err = cli("estimate", "examples/chatbot.yaml", "--set", "deployment.hardware=l4",
                         "--catalog", f)
    assert code == 2 and f"{f}: hardware.l4.peak_tflops.bf16" in err and "Traceback" not in err


def test_cli_catalog_number_past_the_bound_exits_2_naming_the_key(tmp_path, cli):
    """`peak_tflops {bf16: 1e308}` (and memory 1e308) crashed the performance model with
    "cannot convert float NaN to integer", exit 1."""
    f = tmp_path / "cat.yaml"
    f.write_text(_L4.replace("bf16: 121", "bf16: 1e308"))
    code, out, err = cli("estimate", "examples/chatbot.yaml", "--set", "deployment.hardware=l4",
                         "--catalog", f)
    assert code == 2 and "Traceback" not in err, err
    assert f"{f}: hardware.l4.peak_tflops.bf16: expected a finite number below 1e15" in err
