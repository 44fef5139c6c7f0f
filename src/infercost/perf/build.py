"""`build_profile`: a PerfProfile from a model, a precision, hardware and an engine (by name
or fitted to a measurement file). Sits above `profile` and `calibrate`, which it joins."""

from __future__ import annotations

from pathlib import Path

from infercost.errors import InputError
from infercost.perf.calibrate import fit_file
from infercost.perf.efficiency import Efficiency
from infercost.perf.engines import ENGINES, default_engine
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


def build_profile(model, precision: str, hardware, *, gpus: int = 1, tp: int | None = None,
                  engine: str = "optimized", calibration: str | Path | None = None) -> PerfProfile:
    """A PerfProfile for `model` (ModelArch) in `precision` on `hardware` (Hardware).

    engine: ``optimized``, ``hf-eager`` or a path to a calibration (measurement) file;
    `calibration` (a path) fits the named engine's parameters to that file instead.
    GPUs: `tp` devices per replica (default: all `gpus`). CPUs: `gpus` counts vCPUs.
    """
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
    eng_name = str(engine)
    if calibration is not None:
        base = eng_name if eng_name in ENGINES else "hf-eager"
        eff, cal = calibrated_efficiency(calibration, base)
        eff = _transfer(eff, cal.hardware, hardware)
    elif eng_name in ENGINES:
        eff = default_engine(eng_name, "cpu" if is_cpu else "gpu")
    elif Path(eng_name).suffix in (".jsonl", ".json") or Path(eng_name).exists():
        eff, cal = calibrated_efficiency(eng_name)
        eff = _transfer(eff, cal.hardware, hardware)
    else:
        raise InputError(f"unknown engine {eng_name!r}; allowed: optimized, hf-eager, or a calibration file path",
                         "deployment.engine")
    return PerfProfile(model, prec, hardware, eff, tp=tp_, gpus=gpus, units=float(gpus) if is_cpu else 1.0,
                       engine=eff.name)
