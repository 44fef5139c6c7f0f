"""`build_profile`: a PerfProfile from a model, a precision, hardware and an engine (by name
or fitted to a measurement file). Sits above `profile` and `calibrate`, which it joins."""

from __future__ import annotations

from pathlib import Path

from infercost.errors import InputError
from infercost.perf.calibrate import fit_file
from infercost.perf.efficiency import Efficiency
from infercost.perf.engines import ALIASES, ENGINES, default_engine
from infercost.perf.precision import parse_precision
from infercost.perf.profile import PerfProfile

_CAL_CACHE: dict[tuple, object] = {}


def calibrated_efficiency(path: str | Path, base: str = "hf-eager") -> tuple[Efficiency, object]:
    """Fit (and cache by path and modification time) an Efficiency from a measurement file."""
    p = Path(path)
    if not p.exists():
        raise InputError("calibration file not found", str(path))
    key = (str(p.resolve()), p.stat().st_mtime_ns, base)
    if key not in _CAL_CACHE:
        _CAL_CACHE[key] = fit_file(p, base=base)
    cal = _CAL_CACHE[key]
    return cal.eff, cal


def _transfer(eff: Efficiency, measured_on, target) -> Efficiency:
    """Use a calibration made on one machine for another one.

    Same hardware id: the measured ceilings as they are. A catalog GPU measured, another
    target: the measured ceilings become fractions of the measured machine's datasheet
    (`compute_eff`, `bw_eff`) applied to the target's datasheet; host and overlap
    parameters carry over unchanged (same engine, similar host). A machine built from its
    own measurements (CPUs, unknown GPUs) keeps its absolute per-unit ceilings.
    """
    if measured_on.id == target.id or str(measured_on.source).startswith("measured"):
        return eff
    ce = dict(eff.compute_eff)
    for p, tf in eff.achieved_tflops.items():
        peak = measured_on.peak_tflops.get(p)
        if peak:
            ce[p] = tf / peak
    bw = eff.bw_eff
    if eff.achieved_bw_gbps and measured_on.memory_bw_gbps:
        bw = eff.achieved_bw_gbps / measured_on.memory_bw_gbps
    return eff.with_(compute_eff=ce, achieved_tflops={}, achieved_bw_gbps=None, bw_eff=bw)


def _check_setup(model, prec, hardware, tp: int, tp_given: bool = True) -> list[str]:
    """Refuse impossible set-ups (InputError, one line); return notes on fallbacks.

    - tensor parallelism must divide the attention heads, and the KV heads must divide
      among (or be replicated across) the tp ranks: kv_heads % tp == 0 or tp % kv_heads == 0;
    - a precision the hardware has no peak of its own for (`perf.precision.emulated`: bf16
      on a T4, fp8 on an A100, ...): costed at the nearest wider peak -- said in a note.
    """
    notes: list[str] = []
    fam = getattr(model, "family", "")
    if tp > 1 and tp_given and fam in ("vision", "generic"):
        raise InputError(f"tp {tp}: {model.id} is a {fam} model, served as one copy per GPU; "
                         "tensor parallelism applies to decoders, encoders and recommenders (drop --tp)",
                         "deployment.tp")
    heads = int(getattr(model, "heads", 0) or 0)
    kvh = int(getattr(model, "kv_heads", 0) or heads)
    if tp > 1 and heads and getattr(model, "family", "") in ("decoder", "encoder"):
        if heads % tp:
            raise InputError(f"tp {tp} does not divide the {heads} attention heads of {model.id}; "
                             f"allowed tp: {', '.join(str(d) for d in range(1, heads + 1) if heads % d == 0 and d <= 64)}",
                             "deployment.tp")
        if kvh % tp and tp % kvh:
            raise InputError(f"tp {tp} neither divides the {kvh} KV heads of {model.id} nor is a multiple of them",
                             "deployment.tp")
    from infercost.perf.precision import emulated

    note = emulated(prec.name, hardware.peak_tflops or {}, hardware.id, getattr(hardware, "kind", "gpu"))
    if note:
        notes.append(note)
    return notes


def build_profile(model, precision: str, hardware, *, gpus: int = 1, tp: int | None = None,
                  engine: str = "optimized", calibration: str | Path | None = None,
                  kv_precision: str | None = None, tf32: bool | None = None) -> PerfProfile:
    """A PerfProfile for `model` (ModelArch) in `precision` on `hardware` (Hardware).

    engine: ``tensorrt``, ``vllm``, ``sglang``, ``hf-eager``, ``optimized`` (alias of
    tensorrt), each optionally ``@version`` (``vllm@0.6``), or a path to a calibration
    (measurement) file; `calibration` (a path) fits the named engine's parameters to that
    file instead. GPUs: `tp` devices per replica (default: all `gpus`). CPUs: `gpus` counts
    vCPUs. kv_precision: KV-cache element type (default: the engine's rule); tf32: run fp32
    matmuls and convolutions on TF32 (default: the engine's, PyTorch = convolutions only).
    Raises InputError (one line) for unknown engines, impossible tensor parallelism and
    models that do not fit.
    """
    from dataclasses import replace

    prec = parse_precision(precision)
    if not isinstance(gpus, int) or gpus < 1:
        raise InputError(f"gpus must be a positive integer, got {gpus!r}", "deployment.gpus_per_replica")
    is_cpu = getattr(hardware, "kind", "gpu") == "cpu"
    if is_cpu:
        tp_ = 1
    else:
        tp_ = gpus if tp is None else tp
        if not isinstance(tp_, int) or tp_ < 1 or tp_ > gpus:
            raise InputError(f"tp must be an integer between 1 and gpus ({gpus}), got {tp!r}", "deployment.tp")
        if gpus % tp_:
            raise InputError(f"gpus ({gpus}) must be a multiple of tp ({tp_})", "deployment.tp")
    notes = _check_setup(model, prec, hardware, tp_, tp_given=tp is not None)
    if notes:
        prec = replace(prec, name=f"{prec.base}-w", compute="bf16", weights_only=True)
    if kv_precision is not None:
        from infercost.perf.precision import kv_element_bytes

        kv_element_bytes(kv_precision)
    eng_name = str(engine)
    named = eng_name.partition("@")[0].strip().lower()
    vendor_scale = True
    if calibration is not None:
        base = eng_name if (named in ENGINES or named in ALIASES) else "hf-eager"
        eff, cal = calibrated_efficiency(calibration, base)
        eff = _transfer(eff, cal.hardware, hardware)
        vendor_scale = False
    elif named in ENGINES or named in ALIASES:
        eff = default_engine(eng_name, "cpu" if is_cpu else "gpu")
    elif Path(eng_name).suffix in (".jsonl", ".json") or Path(eng_name).exists():
        eff, cal = calibrated_efficiency(eng_name)
        eff = _transfer(eff, cal.hardware, hardware)
        vendor_scale = False
    else:
        eff = default_engine(eng_name)  # raises: unknown engine, listing the known ones
    return PerfProfile(model, prec, hardware, eff, tp=tp_, gpus=gpus, units=float(gpus) if is_cpu else 1.0,
                       engine=eff.name, kv_precision=kv_precision, tf32=tf32, vendor_scale=vendor_scale,
                       notes=notes)
