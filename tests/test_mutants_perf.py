"""The performance model's pure parts, pinned where `make mutate` found them loose:
precision names and their widths, the emulation notes, the memory fit and its error,
the smooth maximum, efficiency look-ups, achievable rates and the roofline step time of
small hand-built steps.

Every expectation is computed by hand in the comments. Judged-equivalent mutants are
listed in docs/mutation.md.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from infercost.errors import InputError
from infercost.perf.arch import OpGroup, StepWork, Traffic
from infercost.perf.efficiency import Efficiency, smax
from infercost.perf.memory import MemoryFit, check_fit
from infercost.perf.precision import Precision, emulated, kv_element_bytes, parse_precision
from infercost.perf.roofline import Rates, StepTime, op_precision, rates_for, step_time
from infercost.perf.vendors import LINKS

# -- precision ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,want", [
    # name as written -> (name, base, weight bytes, act bytes, compute, weights_only)
    ("fp32", ("fp32", "fp32", 4.0, 4.0, "fp32", False)),
    ("tf32", ("tf32", "tf32", 4.0, 4.0, "tf32", False)),
    ("bf16", ("bf16", "bf16", 2.0, 2.0, "bf16", False)),
    (" FP16 ", ("fp16", "fp16", 2.0, 2.0, "fp16", False)),
    ("fp8", ("fp8", "fp8", 1.0, 2.0, "fp8", False)),  # fp8 alone means -wa
    ("int8", ("int8", "int8", 1.0, 2.0, "int8", False)),  # int8 alone means -wa
    ("int4", ("int4", "int4", 0.5, 2.0, "bf16", True)),  # int4 alone means -w
    ("int8-w", ("int8-w", "int8", 1.0, 2.0, "bf16", True)),
    ("int4-wa", ("int4-wa", "int4", 0.5, 2.0, "int4", False)),
    ("fp8-w", ("fp8-w", "fp8", 1.0, 2.0, "bf16", True)),
    ("float32", ("fp32", "fp32", 4.0, 4.0, "fp32", False)),
    ("float16", ("fp16", "fp16", 2.0, 2.0, "fp16", False)),
    ("bfloat16", ("bf16", "bf16", 2.0, 2.0, "bf16", False)),
    ("half", ("fp16", "fp16", 2.0, 2.0, "fp16", False)),
    ("torch.float32", ("fp32", "fp32", 4.0, 4.0, "fp32", False)),
    ("torch.float16", ("fp16", "fp16", 2.0, 2.0, "fp16", False)),
    ("torch.bfloat16", ("bf16", "bf16", 2.0, 2.0, "bf16", False)),
    ("fp8_e4m3", ("fp8", "fp8", 1.0, 2.0, "fp8", False)),
    ("FP8-E4M3", ("fp8", "fp8", 1.0, 2.0, "fp8", False)),
    ("w8a16", ("int8-w", "int8", 1.0, 2.0, "bf16", True)),
    ("w4a16", ("int4-w", "int4", 0.5, 2.0, "bf16", True)),
    ("w8a8", ("int8-wa", "int8", 1.0, 2.0, "int8", False)),
    ("w4a4", ("int4-wa", "int4", 0.5, 2.0, "int4", False)),
])
def test_parse_precision_table(name, want):
    p = parse_precision(name)
    assert (p.name, p.base, p.weight_bytes, p.act_bytes, p.compute, p.weights_only) == want


def test_parse_precision_errors():
    with pytest.raises(InputError) as e:
        parse_precision("fp6")
    assert str(e.value) == ("model.precision: unknown precision 'fp6'; allowed: fp32, tf32, bf16, fp16, fp8, "
                            "int8, int4 (int8/int4/fp8 may end in -w for weights-only or -wa for "
                            "weights+activations)")
    with pytest.raises(InputError) as e:
        parse_precision("int8-x", where="--precision")
    assert e.value.where == "--precision"
    for bad in ("bf16-w", "fp16-wa", "fp32-w", "tf32-wa"):
        with pytest.raises(InputError) as e:
            parse_precision(bad)
        assert str(e.value) == (f"model.precision: precision {bad!r}: the -w/-wa suffix applies to "
                                "fp8, int8, int4 only")


def test_kv_element_bytes():
    assert kv_element_bytes("fp8") == 1.0 and kv_element_bytes("int8") == 1.0
    assert kv_element_bytes("bf16") == 2.0 and kv_element_bytes("FP16") == 2.0
    assert kv_element_bytes("fp32") == 4.0 and kv_element_bytes("int4") == 0.5
    assert kv_element_bytes("fp8-wa") == 1.0  # the suffix is ignored
    for auto in ("auto", " AUTO ", ""):
        with pytest.raises(InputError) as e:
            kv_element_bytes(auto)
        assert str(e.value) == "--kv-precision: kv precision 'auto' is the engine default; omit it instead"
    with pytest.raises(InputError) as e:
        kv_element_bytes("fp6", where="kv")
    assert e.value.where == "kv"


T4 = {"fp32": 8.1, "fp16": 65.0, "int8": 130.0, "int4": 260.0}
A100 = {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "fp16": 312.0, "int8": 624.0}


def test_emulated_notes_exact():
    assert emulated("bf16", T4, "t4") == (
        "t4 has no bf16 peak in the catalog: bf16 is costed at the fp16 peak, which real kernels "
        "reach only by emulating it, if at all")
    assert emulated("fp8", A100, "a100") == (
        "a100 has no fp8 tensor-core peak: fp8 weights are de-quantised and matmuls run at the "
        "16-bit peak (fp8-w)")
    # a CPU gets the generic note with the fallback peak: fp8 -> fp16 then bf16 (x86 has bf16)
    assert emulated("fp8", {"fp32": 1.0, "bf16": 2.0}, "x86", "cpu") == (
        "x86 has no fp8 peak in the catalog: fp8 is costed at the bf16 peak, which real kernels "
        "reach only by emulating it, if at all")
    # weights-only without any 16-bit peak: the need is named, the fallback starts at bf16 -> fp16
    assert emulated("int4", {"fp32": 1.0}, "old") == (
        "old has no 16-bit (bf16 or fp16) peak in the catalog: int4 is costed at no peak it has, "
        "which real kernels reach only by emulating it, if at all")
    # tf32 falls back to fp32
    assert emulated("tf32", {"fp32": 1.0}, "v") == (
        "v has no tf32 peak in the catalog: tf32 is costed at the fp32 peak, which real kernels "
        "reach only by emulating it, if at all")
    # int4 with activations runs on an int8 peak natively; a zero peak does not count
    assert emulated("int4-wa", {"int8": 1.0}, "x") is None
    assert emulated("fp16", {"fp16": 0.0, "bf16": 1.0}, "x") is not None
    assert emulated("int8-w", {"fp16": 1.0}, "x") is None and emulated("int8-w", {"bf16": 1.0}, "x") is None
    assert emulated("fp32", None, "x") is not None
    # int8 on a CPU without int8: fallback order fp8, fp16, bf16
    assert emulated("int8", {"fp16": 1.0, "bf16": 1.0}, "c", "cpu").endswith(
        "int8 is costed at the fp16 peak, which real kernels reach only by emulating it, if at all")
    # int4-wa on a CPU whose int8 peak is 0: fallback int8 (0), fp8 (absent), fp16
    assert emulated("int4-wa", {"int8": 0.0, "fp16": 1.0, "bf16": 1.0}, "c", "cpu") == (
        "c has no int4 peak in the catalog: int4-wa is costed at the fp16 peak, which real kernels "
        "reach only by emulating it, if at all")


# -- memory ------------------------------------------------------------------------------

def test_memory_fit_and_check():
    # 10 GB usable, 6 GB weights, 1 GB activations: 3 GB free
    f = MemoryFit(usable=10e9, weights=6e9, activations=1e9, kv_per_token=131072.0)
    assert f.free == 3e9
    assert f.to_dict() == {"usable_gb": 10.0, "weights_gb": 6.0, "activations_gb": 1.0, "kv_free_gb": 3.0,
                           "kv_bytes_per_token": 131072.0}
    # rounding to 3 places of GB
    g = MemoryFit(usable=1.23456e9, weights=0.5e9, activations=0.0, kv_per_token=0.0)
    assert g.to_dict()["usable_gb"] == 1.235 and g.to_dict()["kv_free_gb"] == 0.735
    check_fit(f, "m", "bf16", "h", 1)
    # exactly full (free 0) does not fit: needs 10.5 GB, has 10.0 GB, short 0.5
    full = MemoryFit(usable=10e9, weights=9.5e9, activations=0.5e9, kv_per_token=1.0)
    with pytest.raises(InputError) as e:
        check_fit(full, "llama", "fp16", "l4", 2)
    assert str(e.value) == (
        "deployment.hardware: model llama in fp16 does not fit on 2 x l4: needs 10.0 GB per device "
        "for weights and activations, 10.0 GB usable; short by 0.0 GB per device (add GPUs / tensor "
        "parallelism or lower the precision)")
    over = MemoryFit(usable=10e9, weights=12e9, activations=0.5e9, kv_per_token=1.0)
    with pytest.raises(InputError) as e:
        check_fit(over, "m", "bf16", "h", 1)
    assert "needs 12.5 GB per device" in str(e.value) and "10.0 GB usable; short by 2.5 GB" in str(e.value)


# -- efficiency --------------------------------------------------------------------------

def test_smax_by_hand():
    assert smax(3.0, 4.0, 2.0) == pytest.approx(5.0, rel=1e-12)  # sqrt(9 + 16)
    assert smax(4.0, 3.0, 2.0) == pytest.approx(5.0, rel=1e-12)
    assert smax(3.0, 4.0, 1.0) == pytest.approx(7.0, rel=1e-12)  # p = 1: the sum
    assert smax(3.0, 4.0, 60.0) == 4.0  # p >= 60: the plain max
    assert smax(3.0, 4.0, 59.0) > 4.0
    assert smax(0.0, 4.0, 2.0) == 4.0 and smax(0.0, -1.0, 2.0) == 0.0 and smax(-2.0, 4.0, 2.0) == 4.0
    assert smax(3.0, 0.0, 2.0) == 3.0 and smax(3.0, -1.0, 2.0) == 3.0
    # (1e-200)^2 underflows without the scaling by the larger value: sqrt(2) x 1e-200
    assert smax(1e-200, 1e-200, 2.0) == pytest.approx(2 ** 0.5 * 1e-200, rel=1e-12)
    assert smax(1e200, 1e200, 2.0) == pytest.approx(2 ** 0.5 * 1e200, rel=1e-12)


def test_efficiency_lookups():
    e = Efficiency("x", compute_eff={"fp8": 0.5, "default": 0.6}, host_factor={"decode": 2.0, "default": 1.5})
    assert e.eff("fp8") == 0.5 and e.eff("bf16") == 0.6
    assert e.factor("decode") == 2.0 and e.factor("prefill") == 1.5
    bare = Efficiency("y", compute_eff={"fp8": 0.5})
    assert bare.eff("bf16") == 0.7 and bare.factor("decode") == 1.0
    assert Efficiency("z").eff("bf16") == 0.7
    w = e.with_(bw_eff=0.5)
    assert w.bw_eff == 0.5 and w.compute_eff == e.compute_eff and e.bw_eff == 0.85
    d = Efficiency("z", max_tokens=8192).with_(reserve_gb=float("inf")).to_dict()
    assert d["reserve_gb"] is None and d["name"] == "z" and d["bw_eff"] == 0.85
    assert d["traffic"] == {"act_passes_hidden": 8.0, "act_passes_inter": 3.0, "kv_read_factor": 1.0,
                            "kernels_per_layer": 12.0, "kernels_fixed": 10.0, "kernels_per_conv": 1.0,
                            "encoder_passes_hidden": 6.0, "encoder_passes_inter": 2.0, "fused_conv": True}


# -- rates -------------------------------------------------------------------------------

def test_rates_compute_fallbacks():
    r = Rates(flops={"fp16": 100.0, "bf16": 90.0, "fp32": 10.0, "int8": 0.0}, bw=1.0)
    assert r.compute("int8") == 100.0  # int8 zero -> fp8 missing -> fp16
    assert r.compute("int4") == 100.0
    assert r.compute("fp8") == 100.0
    assert r.compute("bf16") == 90.0 and r.compute("fp16") == 100.0
    assert r.compute("tf32") == 10.0 and r.compute("fp32") == 10.0
    assert r.compute("weird") == 100.0  # unknown: the largest rate
    assert Rates(flops={"bf16": 90.0}, bw=1.0).compute("fp16") == 90.0
    assert Rates(flops={"fp32": 5.0, "x": 7.0}, bw=1.0).compute("bf16") == 7.0  # none of the chain: max
    assert r.link_bw == 0.0 and r.link is LINKS["nvlink"] and r.l2 == 0.0


def _gpu(**kw):
    base = dict(id="h100-test", name="H100", kind="gpu", per="gpu", peak_tflops={"bf16": 1000.0, "fp8": 2000.0},
                memory_bw_gbps=3000.0, interconnect_gbps=450.0, vendor_family="hopper", l2_mb=50.0)
    base.update(kw)
    return SimpleNamespace(**base)


def test_rates_for_by_hand():
    e = Efficiency("x", compute_eff={"bf16": 0.5, "default": 0.25}, bw_eff=0.8)
    r = rates_for(_gpu(), e)
    # 1000 TFLOP/s x 0.5 = 5e14; fp8 2000 x 0.25 = 5e14; bw 3000 GB/s x 0.8 = 2.4e12 B/s
    assert r.flops == {"bf16": 5e14, "fp8": 5e14}
    assert r.bw == pytest.approx(2.4e12, rel=1e-12) and r.link_bw == 450e9 and r.l2 == 50e6
    assert r.link is LINKS["nvlink"]
    # measured figures override: 300 TFLOP/s bf16, 2000 GB/s
    m = rates_for(_gpu(), e.with_(achieved_tflops={"bf16": 300.0}, achieved_bw_gbps=2000.0))
    assert m.flops["bf16"] == 3e14 and m.flops["fp8"] == 5e14 and m.bw == 2e12
    # a CPU: per-vCPU figures x 8 units; measured ones too when per == "vcpu"
    cpu = _gpu(kind="cpu", per="vcpu", peak_tflops={"fp32": 0.1}, memory_bw_gbps=10.0, interconnect_gbps=0.0,
               vendor_family="cpu", l2_mb=2.0)
    c = rates_for(cpu, e, units=8.0)
    # 0.1e12 x 0.25 x 8 = 2e11; 10e9 x 0.8 x 8 = 6.4e10; L2 2 MB x 8
    assert c.flops == {"fp32": pytest.approx(2e11)} and c.bw == pytest.approx(6.4e10) and c.l2 == 16e6
    cm = rates_for(cpu, e.with_(achieved_tflops={"fp32": 0.05}, achieved_bw_gbps=5.0), units=8.0)
    assert cm.flops["fp32"] == pytest.approx(4e11) and cm.bw == pytest.approx(4e10)
    # vendor scaling: efficiencies fitted on hopper carried to ampere: compute x 0.86 / 0.80,
    # fp8 x 0.86 / 0.72 (ampere has no fp8 figure: its bf16 one), bandwidth x 0.88 / 0.89
    amp = _gpu(vendor_family="ampere")
    s = rates_for(amp, e, vendor_scale=True)
    assert s.flops["bf16"] == pytest.approx(5e14 * 0.86 / 0.80)
    assert s.flops["fp8"] == pytest.approx(5e14 * 0.86 / 0.72)
    assert s.bw == pytest.approx(2.4e12 * 0.88 / 0.89)
    # not asked: no scaling; a CPU is never scaled
    assert rates_for(amp, e).flops["bf16"] == 5e14
    assert rates_for(cpu, e, units=8.0, vendor_scale=True).flops["fp32"] == pytest.approx(2e11)


def test_op_precision():
    fp32 = parse_precision("fp32")
    e = Efficiency("x")  # matmul_tf32 False, conv_tf32 True
    assert op_precision("gemm", fp32, e) == "fp32"
    assert op_precision("conv", fp32, e) == "tf32"
    assert op_precision("gemm", fp32, e.with_(matmul_tf32=True)) == "tf32"
    assert op_precision("conv", fp32, e.with_(conv_tf32=False)) == "fp32"
    assert op_precision("attn", fp32, e) == "fp32" and op_precision("elem", fp32, e) == "fp32"
    int8 = parse_precision("int8")
    assert op_precision("gemm", int8, e) == "int8"
    assert op_precision("attn", int8, e) == "bf16" and op_precision("elem", int8, e) == "bf16"
    assert op_precision("gather", int8, e) == "int8"
    assert op_precision("attn", parse_precision("fp16"), e) == "bf16"


# -- step time ---------------------------------------------------------------------------

BF16 = parse_precision("bf16")
# rates: 1e12 FLOP/s for bf16, 1e9 B/s; plain roofline (p = 60: max) and no host
PLAIN = Efficiency("plain", p_dev=60.0, p_host=60.0, gemm_bw_eff=0.5, attn_eff=0.5, conv_eff=0.25,
                   gather_eff=0.5)
R = Rates(flops={"bf16": 1e12, "fp32": 1e11}, bw=1e9, link_bw=100e9, link=LINKS["nvlink"], l2=1e6)


def test_step_time_gemm_by_hand():
    # gemm: 2e9 FLOPs / 1e12 = 2 ms; bytes 3e6 of which 1e6 weights:
    # 2e6 / 1e9 = 2 ms + 1e6 / (1e9 x 0.5) = 2 ms -> memory 4 ms; max(2, 4) = 4 ms
    w = StepWork([OpGroup("g", "gemm", flops=2e9, bytes=3e6, weight_bytes=1e6)], kernels=0, phase="decode")
    t = step_time(w, BF16, R, PLAIN)
    assert t.compute == pytest.approx(2e-3) and t.memory == pytest.approx(4e-3)
    assert t.device == pytest.approx(4e-3) and t.seconds == pytest.approx(4e-3)
    assert t.host == 0.0 and t.comm == 0.0 and t.bound == "bandwidth"
    # the same on p = 2: sqrt(2^2 + 4^2) = sqrt(20) ms
    t2 = step_time(w, BF16, R, PLAIN.with_(p_dev=2.0))
    assert t2.device == pytest.approx(20 ** 0.5 * 1e-3)
    # dev_scale 2 doubles device, compute and memory
    t3 = step_time(w, BF16, R, PLAIN.with_(dev_scale=2.0))
    assert (t3.device, t3.compute, t3.memory) == pytest.approx((8e-3, 4e-3, 8e-3))


def test_step_time_kinds_by_hand():
    # attention: 1e9 FLOPs at 1e12 x 0.5 = 2 ms; weights of a non-gemm group go at full bandwidth:
    # 1e6 / 1e9 = 1 ms
    w = StepWork([OpGroup("a", "attn", flops=1e9, bytes=1e6, weight_bytes=1e6)], phase="decode")
    t = step_time(w, BF16, R, PLAIN)
    assert t.compute == pytest.approx(2e-3) and t.memory == pytest.approx(1e-3) and t.bound == "compute"
    # conv: 1e9 / (1e12 x 0.25) = 4 ms
    w = StepWork([OpGroup("c", "conv", flops=1e9)], phase="vision")
    assert step_time(w, BF16, R, PLAIN).compute == pytest.approx(4e-3)
    # fp32 conv without TF32 in the rates: CUDA-core fp32 1e11 x conv_eff_simt 0.5 = 5e10 -> 20 ms
    fp32 = parse_precision("fp32")
    assert step_time(w, fp32, R, PLAIN.with_(conv_eff_simt=0.5)).compute == pytest.approx(20e-3)
    # ... or conv_eff when no SIMT figure: 1e9 / (1e11 x 0.25) = 40 ms
    assert step_time(w, fp32, R, PLAIN).compute == pytest.approx(40e-3)
    # gather: 1e6 bytes at 1e9 x 0.5 = 2 ms
    w = StepWork([OpGroup("e", "gather", bytes=1e6)], phase="generic")
    assert step_time(w, BF16, R, PLAIN).memory == pytest.approx(2e-3)
    # elementwise in a fused phase is not scaled; gemm is (x fused_compute_scale 0.5):
    # 1e9 / (1e12 x 0.5) = 2 ms
    fused = PLAIN.with_(fused_compute_scale=0.5)
    w = StepWork([OpGroup("g", "gemm", flops=1e9)], phase="encoder")
    assert step_time(w, BF16, R, fused).compute == pytest.approx(2e-3)
    w = StepWork([OpGroup("e", "elem", flops=1e9)], phase="encoder")
    assert step_time(w, BF16, R, fused).compute == pytest.approx(1e-3)
    w = StepWork([OpGroup("g", "gemm", flops=1e9)], phase="decode")  # not a fused phase
    assert step_time(w, BF16, R, fused).compute == pytest.approx(1e-3)
    # eff_scale multiplies the rate: 1e9 / (1e12 x 0.25) = 4 ms
    w = StepWork([OpGroup("g", "gemm", flops=1e9, eff_scale=0.25)], phase="decode")
    assert step_time(w, BF16, R, PLAIN).compute == pytest.approx(4e-3)


def test_step_time_l2_residency_by_hand():
    # 3e6 bytes, 1e6 of them resident activations with a working set of 0.4e6 <= 1e6 x 0.5:
    # charged 2e6 -> 2 ms; a working set of 0.6e6 > 0.5e6 is charged in full: 3 ms
    g = OpGroup("e", "elem", bytes=3e6, resident_bytes=1e6, working_set=0.4e6)
    assert step_time(StepWork([g]), BF16, R, PLAIN).memory == pytest.approx(2e-3)
    g = OpGroup("e", "elem", bytes=3e6, resident_bytes=1e6, working_set=0.5e6)  # equal: fits
    assert step_time(StepWork([g]), BF16, R, PLAIN).memory == pytest.approx(2e-3)
    g = OpGroup("e", "elem", bytes=3e6, resident_bytes=1e6, working_set=0.6e6)
    assert step_time(StepWork([g]), BF16, R, PLAIN).memory == pytest.approx(3e-3)
    g = OpGroup("e", "elem", bytes=3e6, resident_bytes=1e6, working_set=0.4e6)
    assert step_time(StepWork([g]), BF16, R, PLAIN.with_(cache_residency=False)).memory == pytest.approx(3e-3)
    # charged bytes never go below 0
    g = OpGroup("e", "elem", bytes=1e6, resident_bytes=2e6, working_set=0.1e6)
    assert step_time(StepWork([g]), BF16, R, PLAIN).memory == 0.0


def test_step_time_comm_and_host_by_hand():
    # all-reduce at tp 4 over NVLink: 2 calls x (8 us + 2 us x (4 - 2)) = 24 us, plus
    # 2 x 3/4 x 1e6 B / (100e9 x 0.7 x comm_eff 0.5) = 1.5e6 / 3.5e10 = 42.857 us
    w = StepWork([OpGroup("ar", "comm", bytes=1e6, count=2)], phase="decode")
    t = step_time(w, BF16, R, PLAIN.with_(comm_eff=0.5), tp=4)
    assert t.comm == pytest.approx(24e-6 + 1.5e6 / 3.5e10, rel=1e-12)
    assert t.device == t.comm
    assert step_time(w, BF16, R, PLAIN, tp=1).comm == 0.0  # no all-reduce on one device
    no_link = Rates(flops={"bf16": 1e12}, bw=1e9, link_bw=0.0)
    assert step_time(w, BF16, no_link, PLAIN, tp=2).comm == pytest.approx(2 * 8e-6)
    # host: (t_step 1 ms + 10 kernels x 0.1 ms) x factor 3 = 6 ms; fp32 x 0.5 more = 3 ms
    e = PLAIN.with_(t_step=1e-3, t_kernel=1e-4, host_factor={"decode": 3.0})
    w = StepWork([OpGroup("g", "gemm", flops=1e9)], kernels=10, phase="decode")
    t = step_time(w, BF16, R, e)
    assert t.host == pytest.approx(6e-3) and t.seconds == pytest.approx(6e-3) and t.bound == "overhead"
    assert step_time(w, parse_precision("fp32"), R, e.with_(fp32_host_factor=0.5)).host == pytest.approx(3e-3)
    # overlap p_host = 1: host + device = 6 + 1 ms
    assert step_time(w, BF16, R, e.with_(p_host=1.0)).seconds == pytest.approx(7e-3)
    # fused phases use their own overlap exponents when set: p_host_fused 1 -> 6 + 1 ms
    we = StepWork([OpGroup("g", "gemm", flops=1e9)], kernels=10, phase="encoder")
    ef = e.with_(host_factor={"default": 3.0}, p_host_fused=1.0)
    assert step_time(we, BF16, R, ef).seconds == pytest.approx(7e-3)
    assert step_time(w, BF16, R, ef).seconds == pytest.approx(6e-3)  # decode: p_host 60
    # p_dev_fused: an encoder group with compute 1 ms and memory 1 ms on p 1 -> 2 ms
    g = OpGroup("g", "gemm", flops=1e9, bytes=1e6)
    assert step_time(StepWork([g], phase="encoder"), BF16, R, PLAIN.with_(p_dev_fused=1.0)).device \
        == pytest.approx(2e-3)
    assert step_time(StepWork([g], phase="decode"), BF16, R, PLAIN.with_(p_dev_fused=1.0)).device \
        == pytest.approx(1e-3)


def test_step_time_kv_serial_by_hand():
    # decode attention 2 ms (1e9 FLOPs at 0.5e12) serialised with a 5 ms host:
    # smax(5, 2 - 2) + 2 = 7 ms; without kv_serial max(5, 2) = 5 ms; not in prefill
    e = PLAIN.with_(t_step=5e-3, kv_serial=True)
    w = StepWork([OpGroup("a", "attn", flops=1e9)], phase="decode")
    assert step_time(w, BF16, R, e).seconds == pytest.approx(7e-3)
    assert step_time(w, BF16, R, e.with_(kv_serial=False)).seconds == pytest.approx(5e-3)
    assert step_time(StepWork([OpGroup("a", "attn", flops=1e9)], phase="prefill"), BF16, R, e).seconds \
        == pytest.approx(5e-3)
    # serial time is scaled by dev_scale too: 2 x 2 = 4 ms -> 5 + 4 = 9 ms
    assert step_time(w, BF16, R, e.with_(dev_scale=2.0)).seconds == pytest.approx(9e-3)


def test_step_time_bound_labels():
    assert StepTime(1.0, device=1.0, host=1.0, compute=0.0, memory=0.0, comm=0.0).bound == "overhead"
    assert StepTime(1.0, device=1.0, host=0.5, compute=0.5, memory=0.5, comm=0.0).bound == "compute"
    assert StepTime(1.0, device=1.0, host=0.5, compute=0.4, memory=0.5, comm=0.0).bound == "bandwidth"


def test_traffic_defaults_and_precision_dataclass():
    assert Traffic().kernels_per_layer == 12.0
    p = Precision("x", "bf16", 2.0, 2.0, "bf16", False)
    assert p == parse_precision("bf16").__class__("x", "bf16", 2.0, 2.0, "bf16", False)


# -- PerfProfile: memory of Llama-3.1-8B (config.json figures) ---------------------------

def _profile(precision="bf16", **kw):
    from infercost.core.catalog import load_catalog
    from infercost.perf.profile import PerfProfile

    cat = load_catalog()
    eff = kw.pop("eff", Efficiency("t", mem_util=0.9, reserve_gb=2.0, max_batch=256, max_tokens=8192))
    return PerfProfile(cat.get_model("llama-3.1-8b"), parse_precision(precision), cat.get_hardware("h100-sxm"),
                       eff, vendor_scale=False, **kw)


# Llama-3.1-8B: 8,030,261,248 parameters, 32 layers, hidden 4096, 32 heads, 8 KV heads of
# 128, intermediate 14,336, vocab 128,256 (untied); H100 SXM: 80 GB
PARAMS, LM = 8_030_261_248, 128_256 * 4096  # LM = 525,336,576
# activations: 8192 tokens x (4 x 4096 + 2 x 14336 = 45,056) x 2 B = 738,197,504
#   + logits of min(256, 8192) tokens x 128,256 x 4 B = 131,334,144  -> 869,531,648
ACTS = 869_531_648


def test_llama8b_memory_bf16_by_hand():
    p = _profile()
    f = p.fit
    assert f.usable == pytest.approx(70e9)  # 80e9 x 0.9 - 2e9
    assert f.weights == PARAMS * 2  # 16,060,522,496 (the 16-bit head is 2 B like the rest)
    assert f.activations == ACTS
    assert f.kv_per_token == 131_072  # 2 x 32 layers x 8 x 128 x 2 B
    # free 70e9 - 16,060,522,496 - 869,531,648 = 53,069,945,856; / (131,072 x 4,096) = 98.85
    assert p.max_concurrency(4096) == 98
    # a short context hits the engine's cap of 256
    assert p.max_concurrency(100) == 256
    assert p.is_llm and p.replicas == 1 and p.kv_bytes == 2.0


def test_llama8b_memory_tp2_int4_and_kv_widths():
    p = _profile(tp=2, gpus=8)
    # weights and activations halve; KV: max(1/2, 1/8) of the heads -> 65,536 B per token
    assert p.fit.weights == PARAMS and p.fit.activations == ACTS / 2 and p.fit.kv_per_token == 65_536
    # free 70e9 - 8,030,261,248 - 434,765,824 = 61,534,972,928; / (65,536 x 4,096) = 229.2
    assert p.max_concurrency(4096) == 229
    assert p.replicas == 4  # 8 GPUs / tp 2
    # int4 weights-only: body at 0.5 B, the output head kept at 2 B:
    # (8,030,261,248 - 525,336,576) x 0.5 + 525,336,576 x 2 = 4,803,135,488
    assert _profile("int4").fit.weights == 4_803_135_488
    # fp32: 4 B weights and activations, KV in fp32 too
    p32 = _profile("fp32")
    assert p32.kv_bytes == 4.0 and p32.fit.kv_per_token == 262_144
    # KV element bytes: the scenario's kv_precision first, then the engine's, then fp8-on-fp8
    assert _profile(kv_precision="fp8").kv_bytes == 1.0
    eff = Efficiency("t", mem_util=0.9, reserve_gb=2.0, max_batch=256, max_tokens=8192)
    assert _profile(eff=eff.with_(kv_bytes=1.5)).kv_bytes == 1.5
    assert _profile("fp8", eff=eff.with_(kv_fp8=True)).kv_bytes == 1.0
    assert _profile("fp8", eff=eff).kv_bytes == 2.0
    # max_tokens above 16,384 is capped there: 16384 x 45056 x 2 + 256 x 128256 x 4
    assert _profile(eff=eff.with_(max_tokens=50_000)).fit.activations == 16384 * 45056 * 2 + 256 * 513_024
    assert _profile(gpus=1, tp=1).replicas == 1


def test_llama8b_does_not_fit_messages():
    eff = Efficiency("t", mem_util=0.2, reserve_gb=2.0, max_batch=256, max_tokens=8192)
    with pytest.raises(InputError) as e:
        _profile(eff=eff)
    # usable 16e9 - 2e9 = 14.0 GB; needs 16.06 + 0.87 = 16.93 GB; short 2.93
    assert str(e.value) == (
        "deployment.hardware: model llama-3.1-8b in bf16 does not fit on 1 x h100-sxm: needs 16.9 GB per "
        "device for weights and activations, 14.0 GB usable; short by 2.9 GB per device (add GPUs / tensor "
        "parallelism or lower the precision)")
    # usable 24e9 - 2e9 = 22e9; free 22e9 - 16,060,522,496 - 869,531,648 = 5,069,945,856 B;
    # one sequence of 65,536 tokens needs 131,072 x 65,536 = 8,589,934,592 B
    p = _profile(eff=eff.with_(mem_util=0.3))
    with pytest.raises(InputError) as e:
        p.max_concurrency(65_536)
    assert str(e.value) == ("workload: model llama-3.1-8b fits on h100-sxm but not even one sequence of 65536 "
                            "tokens does: KV needs 8.59 GB, 5.07 GB free per device")
    assert p.max_concurrency(32_768) == 1  # 5.07e9 // 4.29e9


def test_profile_argument_checks():
    p = _profile()
    for bad, shown in ((0, "0"), (-1, "-1"), (float("nan"), "nan"), (None, "None")):
        with pytest.raises(InputError) as e:
            p.prefill_seconds(bad, 10)
        assert str(e.value) == f"batch: batch must be a positive number, got {shown}"
    with pytest.raises(InputError) as e:
        p.prefill_seconds(1, 0)
    assert str(e.value) == "prompt_len: prompt_len must be a positive number, got 0"
    with pytest.raises(InputError) as e:
        p.decode_step_seconds(1, -1)
    assert str(e.value) == "context_len: context_len must be >= 0, got -1"
    assert p.decode_step_seconds(1, 0) > 0
    with pytest.raises(InputError) as e:
        p.max_concurrency(0)
    assert str(e.value) == "context_len: context_len must be a positive number, got 0"


def test_batch_seconds_simpson_by_hand():
    p = _profile()
    # output 1: the prefill alone; prompt 0 means 128 tokens
    assert p.batch_seconds(4, 512, 1) == p.prefill_seconds(4, 512)
    assert p.batch_seconds(4, 0, 1) == p.prefill_seconds(4, 128)
    # output 3: prefill + 2 decode steps at contexts 512 and 513, Simpson over [512, 513]:
    # 2 x (f(512) + 4 f(512.5) + f(513)) / 6
    f = [p.decode_step_seconds(4, c) for c in (512.0, 512.5, 513.0)]
    assert p.batch_seconds(4, 512, 3) == pytest.approx(p.prefill_seconds(4, 512) + 2 * (f[0] + 4 * f[1] + f[2]) / 6,
                                                       rel=1e-12)
    # decode at a fixed context is linear in the context, so Simpson equals the sum of the steps
    steps = sum(p.decode_step_seconds(4, 512 + k) for k in range(10))
    assert p.batch_seconds(4, 512, 11) == pytest.approx(p.prefill_seconds(4, 512) + steps, rel=1e-3)


# -- more edges: emulation fallbacks, rounding, step-time branches, non-LLM profiles ----

def test_emulated_fallback_orders():
    # int8 with activations on a CPU: fp8, then fp16, then bf16
    note = "c has no {0} peak in the catalog: {1} is costed at the {2} peak, which real kernels reach only " \
           "by emulating it, if at all"
    assert emulated("int8", {"fp8": 1.0, "fp16": 1.0}, "c", "cpu") == note.format("int8", "int8", "fp8")
    assert emulated("int8", {"bf16": 1.0}, "c", "cpu") == note.format("int8", "int8", "bf16")
    # int4-wa: fp8, fp16, bf16 after int8 (an int8 peak counts as native)
    assert emulated("int4-wa", {"fp8": 1.0}, "c", "cpu") == note.format("int4", "int4-wa", "fp8")
    assert emulated("int4-wa", {"bf16": 1.0}, "c", "cpu") == note.format("int4", "int4-wa", "bf16")
    # fp8: fp16 then bf16; fp16: bf16
    assert emulated("fp8", {"fp16": 1.0, "bf16": 1.0}, "c", "cpu") == note.format("fp8", "fp8", "fp16")
    assert emulated("fp16", {"bf16": 1.0}, "c") == note.format("fp16", "fp16", "bf16")
    # weights-only without a 16-bit peak falls back from bf16 (to nothing), not from int8
    assert emulated("int4", {"int8": 1.0}, "c").endswith("int4 is costed at no peak it has, which real kernels "
                                                         "reach only by emulating it, if at all")
    # a GPU without int8 / int4 peaks: the tensor-core note (the default kind is gpu)
    assert emulated("int8", {"fp16": 1.0, "bf16": 1.0}, "g") == (
        "g has no int8 tensor-core peak: int8 weights are de-quantised and matmuls run at the 16-bit "
        "peak (int8-w)")
    assert emulated("int4-wa", {"fp16": 1.0}, "g").startswith("g has no int4 tensor-core peak")
    # KV width of a name with a suffix the weights would refuse: only the base counts
    assert kv_element_bytes("fp16-w") == 2.0


def test_memory_to_dict_rounding():
    # 1,235,500,000 B = 1.2355 GB -> 1.236 (3 places); 2,000,500,000 -> 2.001; 3,001,500,000 -> 3.002
    f = MemoryFit(usable=10e9, weights=1.2355e9, activations=2.0005e9, kv_per_token=7.0)
    d = f.to_dict()
    assert (d["weights_gb"], d["activations_gb"]) == (1.236, 2.001)
    assert MemoryFit(3.0015e9, 0.0, 0.0, 0.0).to_dict()["usable_gb"] == 3.002
    assert MemoryFit(10e9, 1.23456e9, 0.0, 0.0).to_dict()["weights_gb"] == 1.235
    assert MemoryFit(10e9, 0.0, 1.23456e9, 0.0).to_dict()["activations_gb"] == 1.235
    e = Efficiency("k").to_dict()
    import dataclasses
    assert set(e) == {f.name for f in dataclasses.fields(Efficiency)}


def test_step_time_more_branches():
    # tp defaults to 1: no all-reduce time
    w = StepWork([OpGroup("ar", "comm", bytes=1e6, count=2)], phase="decode")
    assert step_time(w, BF16, R, PLAIN).comm == 0.0
    # a 1 B/s link (x 0.7 NVLink efficiency = 0.7 B/s): 2 x 8 us + 2 x 1/2 x 100 B / 0.7
    slow = Rates(flops={"bf16": 1e12}, bw=1e9, link_bw=1.0)
    w = StepWork([OpGroup("ar", "comm", bytes=100.0, count=2)], phase="decode")
    assert step_time(w, BF16, slow, PLAIN, tp=2).comm == pytest.approx(16e-6 + 100 / 0.7, rel=1e-12)
    # groups after an all-reduce still count: 1 ms of gemm after it
    w = StepWork([OpGroup("ar", "comm", bytes=1e6, count=1), OpGroup("g", "gemm", flops=1e9)], phase="decode")
    assert step_time(w, BF16, R, PLAIN, tp=1).compute == pytest.approx(1e-3)
    # vision and generic forwards are fused phases too: gemm at 1e12 x 0.5 -> 2 ms
    fused = PLAIN.with_(fused_compute_scale=0.5)
    for phase in ("vision", "generic"):
        w = StepWork([OpGroup("g", "gemm", flops=1e9)], phase=phase)
        assert step_time(w, BF16, R, fused).compute == pytest.approx(2e-3)
    # fp32 conv on rates that have TF32: 1e9 / (5e11 x 0.25) = 8 ms
    r32 = Rates(flops={"bf16": 1e12, "tf32": 5e11, "fp32": 1e11}, bw=1e9)
    w = StepWork([OpGroup("c", "conv", flops=1e9)], phase="vision")
    assert step_time(w, parse_precision("fp32"), r32, PLAIN).compute == pytest.approx(8e-3)
    # a non-gemm group with weights: (2e6 - 1e6) / 1e9 + 1e6 / 1e9 = 2 ms
    w = StepWork([OpGroup("a", "attn", bytes=2e6, weight_bytes=1e6)], phase="decode")
    assert step_time(w, BF16, R, PLAIN).memory == pytest.approx(2e-3)
    # two serial attention groups add: host 5 ms, attention 2 + 2 ms -> smax(5, 0) + 4 = 9 ms
    e = PLAIN.with_(t_step=5e-3, kv_serial=True)
    w = StepWork([OpGroup("a", "attn", flops=1e9), OpGroup("b", "attn", flops=1e9)], phase="decode")
    assert step_time(w, BF16, R, e).seconds == pytest.approx(9e-3)
    # the fp32 host factor is for 4-byte activations only: bf16 keeps 6 ms
    e = PLAIN.with_(t_step=1e-3, t_kernel=1e-4, host_factor={"decode": 3.0}, fp32_host_factor=0.5)
    w = StepWork([OpGroup("g", "gemm", flops=1e9)], kernels=10, phase="decode")
    assert step_time(w, BF16, R, e).host == pytest.approx(6e-3)


def _cat_profile(model_id, precision="fp16", **kw):
    from infercost.core.catalog import load_catalog
    from infercost.perf.profile import PerfProfile

    cat = load_catalog()
    eff = kw.pop("eff", Efficiency("t", mem_util=0.9, reserve_gb=2.0, max_batch=256, max_tokens=8192))
    return PerfProfile(cat.get_model(model_id), parse_precision(precision), cat.get_hardware("h100-sxm"),
                       eff, vendor_scale=False, **kw)


def test_non_llm_profiles_by_hand():
    bert = _cat_profile("bert-base")
    # bert-base: hidden 768, intermediate 3072, 12 heads, seq_len 128, fp16 (2 B):
    # 128 x (4 x 768 + 2 x 3072) x 2 + 12 x 128^2 x 2 = 2,359,296 + 393,216 = 2,752,512 B per item
    assert bert.item_bytes() == 2_752_512
    # seq 64: 64 x 9216 x 2 + 12 x 64^2 x 2 = 1,179,648 + 98,304
    assert bert.item_bytes(64) == 1_277_952
    # weights 109,482,240 x 2 B (vocab x hidden at 2 B too); no KV, no activations reserved
    assert bert.fit.weights == 109_482_240 * 2 and bert.fit.activations == 0.0 and bert.fit.kv_per_token == 0.0
    # items that fit: (70e9 - 218,964,480) // 2,752,512 = 25,351, under the 65,536 cap
    assert bert.max_concurrency(0) == int((70e9 - 218_964_480) // 2_752_512)
    assert not bert.is_llm
    # the forward of an encoder at seq 0 is the model's seq_len
    assert bert.forward_step(4).seconds == bert.forward_step(4, 128).seconds
    assert bert.batch_seconds(4) == bert.forward_step(4).seconds
    assert bert.forward_step(4, 64).seconds < bert.forward_step(4, 128).seconds
    for what, call in (("prefill", lambda: bert.prefill_work(1, 8)), ("decode", lambda: bert.decode_work(1, 8)),
                       ("mixed", lambda: bert.mixed_work([(1, 1, 8)], 1))):
        with pytest.raises(InputError) as e:
            call()
        assert str(e.value) == f"{what} applies to decoder LLMs; model 'bert-base' is an encoder model"
    rn = _cat_profile("resnet50")
    with pytest.raises(InputError) as e:
        rn.prefill_work(1, 8)
    assert str(e.value) == "prefill applies to decoder LLMs; model 'resnet50' is a vision model"
    # ResNet-50 at 224 (torchvision v1.5: stride in the 3x3): the largest conv input + output
    # is layer2's first 1x1, 256 x 56^2 in + 128 x 56^2 out = 1,204,224 values, held twice,
    # at 2 B: 4,816,896 B per image
    assert rn.item_bytes() == 4_816_896
    assert rn.forward_step(2).seconds > rn.forward_step(1).seconds > 0


def test_decoder_steps_and_defaults():
    p = _profile()
    # a forward of a decoder is a prefill of 128 tokens by default
    assert p.forward_step(2).seconds == p.prefill_seconds(2, 128)
    assert p.forward_step(2, 64).seconds == p.prefill_seconds(2, 64)
    # batch_seconds with defaults: prompt 128, output 0 -> the prefill alone
    assert p.batch_seconds(2) == p.prefill_seconds(2, 128)
    # output 2: the prefill and one decode step at the prompt length
    assert p.batch_seconds(2, 512, 2) == pytest.approx(p.prefill_seconds(2, 512) + p.decode_step_seconds(2, 512),
                                                      rel=1e-12)
    # decode is one new token per sequence; mixed work with the same groups is the same work
    d = p.decode_work(4, 100)
    m = p.mixed_work([(4, 1, 100)], logits_tokens=4)
    assert d.phase == "decode" and (d.flops, d.bytes) == (m.flops, m.bytes)
    pre = p.prefill_work(4, 100)
    assert pre.phase == "prefill"
    assert (pre.flops, pre.bytes) == (p.mixed_work([(4, 100, 0)], logits_tokens=4).flops,
                                      p.mixed_work([(4, 100, 0)], logits_tokens=4).bytes)
    # the decode host factor applies to decode steps, the prefill one to prefills
    eff = Efficiency("t", mem_util=0.9, reserve_gb=2.0, max_batch=256, max_tokens=8192, t_step=1e-3,
                     host_factor={"decode": 10.0, "prefill": 2.0})
    q = _profile(eff=eff)
    assert q.decode_step(1, 100).host == pytest.approx(10e-3) and q.prefill_step(1, 100).host == pytest.approx(2e-3)


def test_profile_setup_by_hand():
    import dataclasses

    from infercost.core.catalog import load_catalog
    from infercost.perf.profile import PerfProfile

    cat = load_catalog()
    m8, h100, a100 = cat.get_model("llama-3.1-8b"), cat.get_hardware("h100-sxm"), cat.get_hardware("a100-80gb-sxm")
    base = Efficiency("t", mem_util=0.9, reserve_gb=2.0, max_batch=256, max_tokens=8192)
    bf16 = parse_precision("bf16")
    # an engine's device-time factor for the hardware's family (H100: hopper), when asked
    e = base.with_(vendor_dev_scale={"hopper": 2.0, "ampere": 3.0})
    assert PerfProfile(m8, bf16, h100, e).eff.dev_scale == 2.0
    assert PerfProfile(m8, bf16, h100, e, vendor_scale=False).eff.dev_scale == 1.0
    assert PerfProfile(m8, bf16, h100, base.with_(vendor_dev_scale={"ampere": 3.0})).eff.dev_scale == 1.0
    # and the rates carried from the fitted family (hopper) to ampere: bf16 x 0.86 / 0.80
    on_a100 = PerfProfile(m8, bf16, a100, base)
    assert on_a100.rates.flops["bf16"] == pytest.approx(a100.peak_tflops["bf16"] * 1e12 * 0.7 * 0.86 / 0.80)
    assert PerfProfile(m8, bf16, a100, base, vendor_scale=False).rates.flops["bf16"] == pytest.approx(
        a100.peak_tflops["bf16"] * 1e12 * 0.7)
    # tf32: True / False set both matmuls and convolutions; None keeps the engine's (off, on)
    assert (PerfProfile(m8, bf16, h100, base, tf32=True).eff.matmul_tf32,
            PerfProfile(m8, bf16, h100, base, tf32=True).eff.conv_tf32) == (True, True)
    assert (PerfProfile(m8, bf16, h100, base, tf32=False).eff.conv_tf32,
            PerfProfile(m8, bf16, h100, base, tf32=False).eff.matmul_tf32) == (False, False)
    assert (PerfProfile(m8, bf16, h100, base).eff.matmul_tf32, PerfProfile(m8, bf16, h100, base).eff.conv_tf32) \
        == (False, True)
    assert PerfProfile(m8, bf16, h100, base).family == "decoder"
    # 8-bit activations between fused layers: non-decoders with -wa fp8/int8/int4 only
    bert = cat.get_model("bert-base")
    low = base.with_(lowp_acts=True)
    for name, want in (("int8", 1.0), ("fp8", 1.0), ("int4-wa", 1.0), ("int8-w", 2.0), ("fp16", 2.0)):
        assert PerfProfile(bert, parse_precision(name), h100, low).precision.act_bytes == want, name
    assert PerfProfile(bert, parse_precision("int8"), h100, base).precision.act_bytes == 2.0
    assert PerfProfile(m8, parse_precision("int8"), h100, low).precision.act_bytes == 2.0
    # units multiply a GPU's memory only for per-vCPU hardware: an H100 stays 80 GB
    assert PerfProfile(m8, bf16, h100, base, units=2.0).fit.usable == 80e9 * 0.9 - 2e9
    # integers and floats are both accepted as counts
    assert _profile().prefill_seconds(2.0, 10) == _profile().prefill_seconds(2, 10)
    _ = dataclasses


def test_recommender_and_vision_memory_and_forward():
    dlrm = _cat_profile("dlrm-dcnv2")
    # 26,151,671,809 parameters x 2 B; tables sharded over tp: half each at tp 2
    assert dlrm.fit.weights == 26_151_671_809 * 2
    assert _cat_profile("dlrm-dcnv2", tp=2, gpus=2).fit.weights == 26_151_671_809
    assert (dlrm.fit.activations, dlrm.fit.kv_per_token) == (0.0, 0.0)
    # item: (26 tables + 1) x 128 x 2 B x 4 + 214 lookups x 128 x 2 B = 27,648 + 54,784
    assert dlrm.item_bytes() == 82_432
    from infercost.perf.arch import recommender_work, vision_work
    w = recommender_work(dlrm.model, dlrm.precision, 16, traffic=dlrm.eff.traffic, tp=1)
    assert dlrm.forward_step(16).seconds == dlrm.time(w).seconds
    rn = _cat_profile("resnet50", tp=2, gpus=2)
    # a vision model holds a whole copy per device: 25,557,032 x 2 B whatever tp
    assert rn.fit.weights == 25_557_032 * 2 and (rn.fit.activations, rn.fit.kv_per_token) == (0.0, 0.0)
    t = Traffic(kernels_per_conv=5.0)
    rn = _cat_profile("resnet50", eff=Efficiency("t", traffic=t, t_kernel=1e-5))
    assert rn.forward_step(2).seconds == rn.time(vision_work(rn.model, rn.precision, 2, traffic=t)).seconds


def test_generic_and_encoder_defaults():
    import dataclasses

    from infercost.core.catalog import load_catalog
    from infercost.perf.arch import encoder_work, generic_work
    from infercost.perf.profile import PerfProfile

    cat = load_catalog()
    h100 = cat.get_hardware("h100-sxm")
    base = Efficiency("t", mem_util=0.9, reserve_gb=2.0, t_kernel=1e-5, traffic=Traffic(kernels_per_layer=3.0))
    gen = dataclasses.replace(cat.get_model("dlrm-dcnv2"), id="g", family="generic", bytes_per_item=2e6,
                              flops_per_item=1e9)
    p = PerfProfile(gen, parse_precision("fp16"), h100, base)
    # bytes per item: the catalog's 2 MB; without a figure, 1 MB
    assert p.item_bytes() == 2e6
    assert PerfProfile(dataclasses.replace(gen, bytes_per_item=0), parse_precision("fp16"), h100, base).item_bytes() \
        == 1e6
    assert p.forward_step(3).seconds == p.time(generic_work(gen, p.precision, 3, traffic=base.traffic)).seconds
    # an encoder without seq_len runs 128 tokens; bert-large's own is 384
    bert = cat.get_model("bert-base")
    noseq = PerfProfile(dataclasses.replace(bert, seq_len=None), parse_precision("fp16"), h100, base)
    assert noseq.forward_step(2).seconds == noseq.forward_step(2, 128).seconds
    assert noseq.item_bytes() == noseq.item_bytes(128)
    large = PerfProfile(cat.get_model("bert-large"), parse_precision("fp16"), h100, base)
    assert large.forward_step(2).seconds == large.forward_step(2, 384).seconds
    assert large.item_bytes() == large.item_bytes(384) != large.item_bytes(128)
    # the encoder's work uses the profile's tp and traffic
    b2 = PerfProfile(bert, parse_precision("fp16"), h100, base, tp=2, gpus=2)
    w = encoder_work(b2.shape, b2.precision, 4, 128, tp=2, traffic=base.traffic)
    assert b2.forward_step(4, 128).seconds == b2.time(w).seconds
    # items that fit at a given sequence length: (usable - weights) // bytes per item at 64
    b1 = PerfProfile(bert, parse_precision("fp16"), h100, base)
    assert b1.max_concurrency(64) == int((b1.fit.usable - b1.fit.weights) // 1_277_952)


def test_work_phases_and_tp():
    p2 = _profile(tp=2, gpus=2)
    # prefill work is the mixed work of (batch, prompt, 0) at the profile's tp, in phase prefill
    pre, mix = p2.prefill_work(4, 100), p2.mixed_work([(4, 100, 0)], logits_tokens=4)
    assert (pre.flops, pre.bytes, pre.phase, mix.phase) == (mix.flops, mix.bytes, "prefill", "decode")
    # two all-reduces add up: 2 x (1 call x 8 us + 2 x 1/2 x 1e6 B / (100e9 x 0.7))
    w = StepWork([OpGroup("a", "comm", bytes=1e6, count=1), OpGroup("b", "comm", bytes=1e6, count=1)])
    assert step_time(w, BF16, R, PLAIN, tp=2).comm == pytest.approx(2 * (8e-6 + 1e6 / 7e10), rel=1e-12)


def test_rates_for_units_and_fitted_family():
    e = Efficiency("x", compute_eff={"bf16": 0.5, "default": 0.25}, bw_eff=0.8)
    # a GPU's measured figures are per device: units do not multiply them
    m = rates_for(_gpu(), e.with_(achieved_tflops={"bf16": 300.0}, achieved_bw_gbps=2000.0), units=8.0)
    assert (m.flops["bf16"], m.bw, m.l2) == (3e14, 2e12, 50e6)
    # a CPU is never vendor-scaled: bandwidth stays 10 GB/s x 0.8 x 8
    cpu = _gpu(kind="cpu", per="vcpu", peak_tflops={"fp32": 0.1}, memory_bw_gbps=10.0, interconnect_gbps=0.0,
               vendor_family="cpu", l2_mb=2.0)
    assert rates_for(cpu, e, units=8.0, vendor_scale=True).bw == pytest.approx(6.4e10, rel=1e-12)
    # efficiencies fitted on ampere, used on ampere: no scaling
    amp = _gpu(vendor_family="ampere")
    assert rates_for(amp, e.with_(fitted_family="ampere"), vendor_scale=True).flops["bf16"] == pytest.approx(
        5e14, rel=1e-12)


def test_fit_and_concurrency_edges():
    # half a byte free still fits
    check_fit(MemoryFit(usable=10.0, weights=9.5, activations=0.0, kv_per_token=0.0), "m", "bf16", "h", 1)
    # 10.05 GB usable prints as 10.1 (one place)
    with pytest.raises(InputError) as e:
        check_fit(MemoryFit(usable=10.05e9, weights=11e9, activations=0.0, kv_per_token=0.0), "m", "bf16", "h", 1)
    assert "needs 11.0 GB per device for weights and activations, 10.1 GB usable; short by 0.9 GB" in str(e.value)
    # KV of one 1,000-token sequence 1.375 GB (prints 1.38), 0.375 GB free (prints 0.38)
    p = _profile()
    p.fit = MemoryFit(usable=1.375e9, weights=1e9, activations=0.0, kv_per_token=1.375e6)
    with pytest.raises(InputError) as e:
        p.max_concurrency(1000)
    assert str(e.value).endswith("KV needs 1.38 GB, 0.38 GB free per device")
    # a rate of 0.5 FLOP/s is a rate, not a missing one
    assert Rates(flops={"bf16": 0.5, "fp16": 100.0}, bw=1.0).compute("bf16") == 0.5


def test_one_item_fits_and_recommender_tp_traffic():
    import dataclasses

    from infercost.core.catalog import load_catalog
    from infercost.perf.arch import recommender_work
    from infercost.perf.profile import PerfProfile

    cat = load_catalog()
    h100 = cat.get_hardware("h100-sxm")
    base = Efficiency("t", mem_util=0.9, reserve_gb=2.0, traffic=Traffic(kernels_per_layer=3.0), t_kernel=1e-5)
    # 26,151,671,809 x 2 B of weights leave 70e9 - 52,303,343,618 = 17,696,656,382 B: one item
    # of 10 GB fits (17.7 // 10 = 1), none of 20 GB, and the answer is still at least 1
    gen = dataclasses.replace(cat.get_model("dlrm-dcnv2"), id="g", family="generic", flops_per_item=1e9)
    for per, want in ((10e9, 1), (20e9, 1), (5e9, 3)):
        p = PerfProfile(dataclasses.replace(gen, bytes_per_item=per), parse_precision("fp16"), h100, base)
        assert p.max_concurrency(0) == want
    # a recommender's launches: 11 layers x 3 + 26 table lookups (unfused) + 50 fixed
    rb = base.with_(traffic=Traffic(fused_conv=False, kernels_fixed=50.0))
    d2 = PerfProfile(cat.get_model("dlrm-dcnv2"), parse_precision("fp16"), h100, rb, tp=2, gpus=2)
    w = recommender_work(d2.model, d2.precision, 16, traffic=rb.traffic, tp=2)
    assert w.kernels == 11 * 3 + 26 + 50
    assert d2.forward_step(16).seconds == d2.time(w).seconds
