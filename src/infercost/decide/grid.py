"""The optimizer's candidate grid: configurations (hardware or a MIG slice of it x precision
x serving engine x GPUs per replica), their service-time tables, and the pricing plans each
one can be bought on.

A configuration's service time comes from `perf.service.service_time` on the scenario
with that hardware, precision, engine and GPU count (the stable engine seam), tabulated at
batch sizes 1, 2, 4, ... up to its memory cap; the screen interpolates between them.

- Engines: those that serve the model's family on the hardware's vendor
  (`perf.engines.serving_engines`: tensorrt, vllm, sglang, hf-eager on NVIDIA; vllm,
  sglang, hf-eager on AMD; the vendor's own stack, `optimized`, elsewhere), or the
  `engines` asked for. A calibration file named in `deployment.engine` stays fixed.
- MIG slices (`core.mig`): every profile of a MIG-capable GPU (A100, H100) below the whole
  GPU, one slice per replica (tensor parallel 1), its compute, bandwidth and memory scaled
  by the profile's fractions, priced at its share of the GPU-hour; kept only where the
  model fits in the slice's memory (the perf model's check).

A scenario with a measured `service:` block keeps its own hardware, precision, engine and
GPUs (a measured time does not move across hardware) and the notes say so.
Precisions: bf16, fp8, int8, int4, each only on hardware that runs it natively (a peak
of its own in the catalog, `perf.precision.emulated`; bf16 becomes fp16 where only fp16
is native, e.g. a T4); those left out are named in the notes.
Configurations the model cannot run on (does not fit, no such precision) are counted
in the notes, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np

from infercost.core.catalog import Catalog, InstancePrice
from infercost.core.mig import MigProfile, check_profiles, load_mig, slice_hardware, slice_price
from infercost.core.scenario import Scenario, set_path, validate
from infercost.errors import InputError
from infercost.perf.engines import ENGINES, parse_engine, serving_engines
from infercost.perf.service import resolve_model, service_time

BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256)
PRECISIONS = ("bf16", "fp8", "int8", "int4")
GPUS = (1, 2, 4, 8)
SPOT_MIX = (0.25, 0.5, 0.75)  # spot share of the fleet, the rest on demand (fallback)


@dataclass(frozen=True)
class Config:
    hardware: str  # catalog id, or `<gpu>:<profile>` for a MIG slice
    precision: str
    gpus: int  # GPUs (or MIG slices) per replica
    engine: str  # serving engine, name@version (or the scenario's engine when fixed)
    max_batch: int  # memory cap and the batch grid's top
    seconds: np.ndarray  # batch time, s, at BATCHES (padded with the last value)
    prefill: np.ndarray | None  # LLMs: first-token time F(b), s, at BATCHES (TTFT; decide.latency)
    is_llm: bool
    mig: str | None = None  # MIG profile name when `hardware` is a slice


@dataclass(frozen=True)
class Plan:
    """A way to pay for GPU-hours: provider, plan, spot share, price per GPU-hour."""

    provider: str
    plan: str
    spot_fraction: float
    per_gpu_hour: Decimal

    @property
    def label(self) -> str:
        if self.spot_fraction and self.plan != "spot":
            return f"{self.provider} {self.plan}+{self.spot_fraction:.0%} spot"
        return f"{self.provider} {self.plan}"


@dataclass
class Grid:
    configs: list[Config]
    plans: dict[str, list[Plan]]  # hardware (or slice id) -> plans
    notes: list[str] = field(default_factory=list)
    catalog: Catalog | None = None  # the catalog with the searched MIG slices added
    engine_fixed: bool = False  # the scenario's own engine on every configuration


@dataclass(frozen=True)
class EngineAxis:
    """The engines to search: `asked` (name@version) or None for every valid one; `fixed`:
    the scenario's own engine on every hardware (a `service:` time or a calibration file);
    `extra`: the scenario's own older version, searched beside the latest."""

    asked: list[str] | None
    fixed: bool
    extra: list[str]
    notes: list[str]


def engine_axis(scenario: Scenario, engines: list[str] | None) -> EngineAxis:
    """The engine axis (EngineAxis). `engines` may be one calibration file (an existing
    path): the engine stays fixed to it. Raises InputError naming the known engines for an
    unknown name or version, a missing calibration file, or a file given with others."""
    from infercost.perf.engines import ALIASES, ENGINE_SUPPORT

    dep = str(scenario.deployment.engine or "optimized")
    if scenario.service is not None:
        return EngineAxis([dep], True, [], [])
    if dep.partition("@")[0].lower() not in ENGINES and dep.lower() not in ALIASES and not engines:
        return EngineAxis([dep], True, [], [f"deployment.engine is a calibration file ({dep}): "
                                            "the engine stays fixed"])
    if not engines:
        name, ver = parse_engine(dep)
        base = ALIASES.get(name, name)
        if ver and f"{base}@{ver}" not in ENGINE_SUPPORT:
            latest = next(k for k in ENGINE_SUPPORT if k.startswith(base + "@"))
            return EngineAxis(None, False, [f"{base}@{ver}"],
                              [f"deployment.engine {dep} is searched beside {latest}"])
        return EngineAxis(None, False, [], [])
    files = [e for e in engines if _is_path(e)]
    if files:
        from pathlib import Path

        missing = [f for f in files if not Path(f).is_file()]
        if missing:
            raise InputError(f"no such calibration file {missing[0]!r} (an engine is a name such as "
                             "vllm or vllm@0.6, or an existing calibration file)", "--engine")
        if len(engines) > 1:
            raise InputError(f"a calibration file fixes the engine on every hardware: give "
                             f"--engine {files[0]} alone (got {', '.join(engines)})", "--engine")
        return EngineAxis([files[0]], True, [], [f"--engine is a calibration file ({files[0]}): "
                                                  "the engine stays fixed"])
    out: list[str] = []
    for e in engines:
        try:
            name, ver = parse_engine(e)
        except InputError as err:
            raise InputError(err.message, "--engine") from None
        base = ALIASES.get(name, name)
        full = f"{base}@{ver}" if ver else next(k for k in ENGINE_SUPPORT if k.startswith(base + "@"))
        if full not in out:
            out.append(full)
    return EngineAxis(out, False, [], [])


def _is_path(engine: str) -> bool:
    """An --engine value that names a file (a path separator or an extension), not an engine."""
    from pathlib import Path

    e = str(engine)
    return "/" in e or "\\" in e or Path(e).suffix.lower() in (".jsonl", ".json", ".csv", ".yaml", ".yml")


def _engines_for(asked: list[str] | None, fixed: bool, family: str, vendor: str) -> list[str]:
    """The engines to try on one hardware (module doc)."""
    if fixed:
        return list(asked or [])
    valid = serving_engines(family, vendor)
    if asked is None:
        return list(valid)
    bases = {v.partition("@")[0] for v in valid}
    return [e for e in asked if e.partition("@")[0] in bases]


def with_slices(catalog: Catalog, profiles: list[MigProfile]) -> Catalog:
    """`catalog` plus each MIG slice as hardware, and its price rows (the GPU's x the slice's share)."""
    hw = dict(catalog.hardware)
    inst = list(catalog.instances)
    for p in profiles:
        hw[p.id] = slice_hardware(catalog.hardware[p.hardware], p)
        for i in catalog.instances:
            if i.hardware == p.hardware:
                inst.append(InstancePrice(
                    i.provider, f"{i.instance} MIG {p.name}", p.id, 1,
                    {k: slice_price(v, p) for k, v in i.per_gpu_hour.items()},
                    f"{i.source}; x {p.price_fraction} for MIG {p.name} ({p.source})",
                    min(i.as_of, p.as_of), i.currency, i.region, i.notes))
    return replace(catalog, hardware=hw, instances=inst)


def variant(scenario: Scenario, sets: dict) -> Scenario:
    raw = scenario.model_dump(mode="python", exclude_none=True)
    for k, v in sets.items():
        raw = set_path(raw, k, v, "optimize")
    return validate(raw, f"{scenario.name} (optimize)")


def plans_for(catalog: Catalog, hardware: str, currency: str, need_services: bool = False) -> list[Plan]:
    """Every (provider, plan) with a price for `hardware`, cheapest listing, plus spot mixes.

    need_services: only providers with CPU / storage / network prices (`prices.services`).
    """
    out: list[Plan] = []
    for provider in sorted({i.provider for i in catalog.instances if i.hardware == hardware}):
        if need_services and provider not in catalog.services:
            continue
        prices: dict[str, Decimal] = {}
        for i in catalog.instances:
            if i.provider == provider and i.hardware == hardware and i.currency == currency:
                for plan, p in i.per_gpu_hour.items():
                    prices[plan] = min(p, prices.get(plan, p))
        for plan, p in sorted(prices.items()):
            out.append(Plan(provider, plan, 1.0 if plan == "spot" else 0.0, p))
        if "on-demand" in prices and "spot" in prices:
            for f in SPOT_MIX:
                fd = Decimal(repr(f))
                out.append(Plan(provider, "on-demand", f, (1 - fd) * prices["on-demand"] + fd * prices["spot"]))
    return out


def build_grid(scenario: Scenario, catalog: Catalog, *, hardware: list[str] | None = None,
               precisions: tuple[str, ...] = PRECISIONS, gpus: tuple[int, ...] = GPUS,
               engines: list[str] | None = None, mig: list[str] | None = None) -> Grid:
    """All runnable configurations and their plans (module doc).

    engines: names (``vllm``, ``vllm@0.6``...) to search, None = every engine valid for the
    model and hardware. mig: MIG profile names to search, None = all, [] = none.
    Raises InputError for an unknown engine or MIG profile, or when nothing can serve."""
    notes: list[str] = []
    dep = scenario.deployment
    axis = engine_axis(scenario, engines)
    asked, fixed, own = axis.asked, axis.fixed, axis.extra
    notes.extend(axis.notes)
    if mig:
        check_profiles(mig)
    slices: list[MigProfile] = []
    if scenario.service is not None:
        check_service_flags(catalog, dep.hardware or "", hardware or [], mig)
        hws = [dep.hardware or ""]
        precisions, gpus = (scenario.model.precision,), (dep.gpus_per_replica,)
        notes.append("service: is measured on deployment.hardware: hardware, precision, engine and "
                     "GPUs per replica stay fixed (name model.id to search them with the perf model)")
    else:
        priced = {i.hardware for i in catalog.instances}
        check_hardware(catalog, hardware or [], priced, mig)
        named = [h for h in (hardware or []) if ":" in h]  # MIG slices asked for by id
        whole = [h for h in (hardware or catalog.hardware) if ":" not in h]
        hws = sorted(h for h in whole if h in priced)
        if mig:
            notes.extend(check_mig(mig, hws, named))
        if named:
            slices = [p for ps in load_mig().values() for p in ps if p.id in named]
        elif mig is None or mig:
            slices = [p for h in hws for p in load_mig().get(h, ())
                      if p.price_fraction < 1 and (mig is None or p.name in mig)]
        slices = [p for p in slices if p.hardware in priced]
        if slices:
            catalog = with_slices(catalog, slices)
    arch = resolve_model(scenario, catalog) if scenario.service is None else None
    family = str(getattr(arch, "family", "generic")) if arch is not None else "generic"
    configs: list[Config] = []
    plans: dict[str, list[Plan]] = {}
    skipped = 0
    co = scenario.costs
    need = bool(co.storage or co.egress or co.preprocessing)
    if need:
        lacking = sorted({i.provider for i in catalog.instances} - set(catalog.services))
        notes.append(f"providers without CPU/storage/network prices left out (the scenario's "
                     f"storage, egress or preprocessing needs them): {', '.join(lacking)}")
    override = dep.pricing.price_per_gpu_hour
    if override is not None:
        notes.append(f"deployment.pricing.price_per_gpu_hour {override} {scenario.currency} is used for "
                     f"every hardware (a MIG slice pays its share): pricing plans are not searched")
    emulated_out: dict[str, list[str]] = {}  # precision -> hardware without a native peak
    units: list[tuple[str, MigProfile | None]] = [(h, None) for h in hws] + [(p.id, p) for p in slices]
    for hw, prof in units:
        if override is not None:
            ps = [Plan(dep.pricing.provider, dep.pricing.plan, 0.0,
                       slice_price(Decimal(str(override)), prof) if prof else Decimal(str(override)))]
        else:
            ps = plans_for(catalog, hw, scenario.currency, need)
        if not ps:
            continue
        spec = catalog.get_hardware(hw) if hw else None
        engs = _engines_for(asked, fixed, family, spec.vendor if spec else "")
        engs += [e for e in own if e.partition("@")[0] in {x.partition("@")[0] for x in engs}]
        precs = list(precisions)
        if scenario.service is None and spec is not None:
            precs, gone = native_precisions(precs, spec.peak_tflops or {}, spec.kind)
            for q in gone:
                emulated_out.setdefault(q, []).append(hw)
        for eng in engs:
            for prec in precs:
                for g in (gpus if prof is None else (1,)):
                    c = _config(scenario, catalog, hw, prec, g, eng, prof)
                    if c is None:
                        skipped += 1
                    else:
                        configs.append(c)
        plans[hw] = ps
    if slices:
        names = sorted({p.name for p in slices})
        notes.append(f"MIG slices searched: {', '.join(names)} on "
                     f"{', '.join(sorted({p.hardware for p in slices}))} (priced at their share of the GPU-hour)")
    if emulated_out:
        notes.append("precisions left out where the hardware has no native peak for them (the perf "
                     "model would cost them at a wider peak that real kernels reach only by emulation): "
                     + "; ".join(f"{q} on {', '.join(dict.fromkeys(h.partition(':')[0] for h in hs))}"
                            for q, hs in emulated_out.items()) + " (MIG slices as their GPU)")
    if skipped:
        notes.append(f"{skipped} hardware x precision x engine x GPU configurations cannot run this model "
                     f"(memory, precision or parallelism) and were left out")
    if not configs:
        if asked and not fixed:
            from infercost.perf.engines import ENGINE_SUPPORT

            fams = "; ".join(f"{e}: {', '.join(ENGINE_SUPPORT[e]['families'])} on "
                             f"{', '.join(ENGINE_SUPPORT[e]['vendors'])}" for e in asked if e in ENGINE_SUPPORT)
            raise InputError(f"no priced hardware runs this {family} model on {', '.join(asked)} "
                             f"(engines serve: {fams})", "--engine")
        if engines and fixed and units:  # a calibration file: its own error, if it has one
            hw0, prof0 = units[0]
            try:
                sets = {"deployment.hardware": hw0, "deployment.engine": asked[0] if asked else "",
                        "deployment.tp": 1, "deployment.gpus_per_replica": 1}
                service_time(variant(scenario, sets), catalog)
            except InputError as err:
                raise InputError(f"{asked[0] if asked else ''}: {err.message}", "--engine") from None
        if hardware:
            raise InputError(f"none of the hardware asked for ({', '.join(hardware)}) can run this "
                             "model with a price (memory, precision or parallelism)", "--hardware")
        raise InputError("no hardware in the catalog can serve this model with a price", "deployment.hardware")
    return Grid(configs, plans, notes, catalog, fixed)


def check_hardware(catalog: Catalog, hardware: list[str], priced: set[str], mig: list[str] | None) -> None:
    """InputError (key ``--hardware``, or ``--no-mig``) for an id in `hardware` that is not in
    the catalog (with the closest ids), a MIG slice the GPU does not have, hardware without
    a price, or a slice named while `mig` is [] (whole GPUs only)."""
    import difflib

    for h in hardware:
        gpu, colon, prof = h.partition(":")
        if gpu not in catalog.hardware:
            close = difflib.get_close_matches(gpu, list(catalog.hardware), n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(f"unknown hardware {gpu!r}{hint} (`infercost catalog hardware` lists "
                             "them)", "--hardware")
        if colon:
            profiles = [p.name for p in load_mig().get(gpu, ()) if p.price_fraction < 1]
            if prof not in profiles:
                if profiles:
                    known = [p.id for ps in load_mig().values() for p in ps if p.price_fraction < 1]
                    raise InputError(f"unknown MIG slice {h!r}; known: {', '.join(sorted(known))}",
                                     "--hardware")
                raise InputError(f"unknown MIG slice {h!r} ({gpu} has no MIG slices; MIG GPUs: "
                                 f"{', '.join(sorted(load_mig()))})", "--hardware")
            if mig is not None and not mig:
                raise InputError(f"--no-mig searches whole GPUs only, but --hardware names the MIG slice "
                                 f"{h!r}: give one or the other", "--no-mig")
        if gpu not in priced:
            raise InputError(f"hardware {gpu!r} has no price in the catalog, so it cannot be costed "
                             f"(priced: {', '.join(sorted(priced))})", "--hardware")


def check_service_flags(catalog: Catalog, own: str, hardware: list[str], mig: list[str] | None) -> None:
    """InputError for `--hardware` or `--mig` on a scenario with a measured `service:` time,
    whose hardware (`own`, deployment.hardware) stays fixed: an unknown id (closest ids), a
    MIG slice or any other hardware than `own` (key ``--hardware``); a profile that is
    unknown or that `own` does not have, or any profile at all (key ``--mig``)."""
    import difflib

    for h in hardware:
        gpu = h.partition(":")[0]
        if gpu not in catalog.hardware:
            close = difflib.get_close_matches(gpu, list(catalog.hardware), n=3, cutoff=0.4)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InputError(f"unknown hardware {gpu!r}{hint} (`infercost catalog hardware` lists "
                             "them)", "--hardware")
        if h != own:
            raise InputError(f"service: is measured on deployment.hardware {own}, which stays fixed "
                             f"(a measured time does not move across hardware): --hardware {h} cannot "
                             f"be searched; name model.id to search hardware with the perf model",
                             "--hardware")
    if mig:
        check_mig(mig, [own] if own in catalog.hardware else [], [])
        raise InputError(f"service: is measured on the whole {own}, which stays fixed: MIG slices are "
                         "not searched; drop --mig, or name model.id to search them with the perf model",
                         "--mig")


def check_mig(mig: list[str], hws: list[str], named: list[str]) -> list[str]:
    """Notes for `--mig` profiles searched on whole GPUs `hws`, or InputError (key ``--mig``)
    naming what is allowed: an unknown profile, the whole GPU (7g), a profile none of the
    searched GPUs has, or one that no slice in `named` (``--hardware GPU:PROFILE``) uses."""
    check_profiles(mig)
    offered = {h: [p.name for p in load_mig().get(h, ()) if p.price_fraction < 1] for h in hws}
    allowed = sorted({n for ps in offered.values() for n in ps})
    whole = {p.name for ps in load_mig().values() for p in ps if p.price_fraction >= 1}
    mig_gpus = [h for h, ps in offered.items() if ps]
    for n in mig:
        if n in whole:
            raise InputError(f"{n} is a whole GPU, not a slice: search the GPU itself (drop --mig {n}); "
                             f"slices allowed here: {', '.join(allowed) or 'none'}", "--mig")
        if named:
            if not any(h.partition(":")[2] == n for h in named):
                raise InputError(f"{n} is not among the slices --hardware names ({', '.join(named)}): "
                                 "give the slices in one place", "--mig")
        elif not mig_gpus:
            raise InputError(f"{n}: none of the hardware searched has MIG slices (MIG GPUs: "
                             f"{', '.join(sorted(load_mig()))})", "--mig")
        elif n not in allowed:
            raise InputError(f"{n}: no hardware searched has that slice; allowed here: "
                             f"{', '.join(allowed)}", "--mig")
    without = [h for h in hws if not offered[h]]
    if named or not without:
        return []
    other = ", ".join(without) if len(without) <= 6 else f"the other {len(without)}"
    return [f"--mig applies to {', '.join(mig_gpus)}; {other} (no MIG slices) searched whole"]


def native_precisions(precs: list[str], peaks: dict[str, float],
                      kind: str = "gpu") -> tuple[list[str], list[str]]:
    """(precisions to search, those left out) on hardware with dense `peaks` (TFLOP/s by
    precision): only those it runs natively (`perf.precision.emulated`); bf16 becomes fp16
    where only fp16 is native (a T4), so a 16-bit option stays."""
    from infercost.perf.precision import emulated

    keep: list[str] = []
    gone: list[str] = []
    for q in precs:
        if emulated(q, peaks, "", kind) is None:
            keep.append(q)
        elif q == "bf16" and emulated("fp16", peaks, "", kind) is None:
            keep.append("fp16")
        else:
            gone.append(q)
    return list(dict.fromkeys(keep)), gone


def _config(scenario: Scenario, catalog: Catalog, hw: str, prec: str, g: int, eng: str,
            prof: MigProfile | None) -> Config | None:
    sets = {"deployment.hardware": hw, "model.precision": prec,
            "deployment.gpus_per_replica": g, "deployment.batching.max_batch": BATCHES[-1]}
    if scenario.service is None:
        sets["deployment.tp"] = g
        sets["deployment.engine"] = eng
    try:
        sc = variant(scenario, sets)
        svc = service_time(sc, catalog)
    except (InputError, ValueError, ZeroDivisionError):
        return None
    top = svc.max_batch if scenario.service is None else min(svc.max_batch, BATCHES[-1])
    sec = np.array([svc.batch_seconds(min(b, top)) for b in BATCHES], dtype=float)
    from infercost.decide.latency import first_token_fn

    first = first_token_fn(sc, svc)  # LLMs: admission to first token at b running sequences
    pre = None if first is None else np.array([first(float(min(b, top))) for b in BATCHES])
    return Config(hw, prec, g, eng, top, sec, pre, svc.is_llm, prof.name if prof else None)
