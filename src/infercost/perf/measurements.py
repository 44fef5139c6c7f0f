"""Measurement files (JSON lines): reading, validating and predicting rows.

Format: ../shared/data/calibration/README.md. One JSON object per line with `kind`:
env, model, gemm, membw, gemm_skinny, prefill, decode, encoder, vision. Timed rows carry
`seconds` (decode: `seconds_per_step`). A cases file (for `perf predict`) has the same
rows without timings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from infercost.errors import InputError

TIMED = ("gemm", "membw", "gemm_skinny", "prefill", "decode", "encoder", "vision")
MODEL_KINDS = ("prefill", "decode", "encoder", "vision")
KINDS = ("env", "model", *TIMED)
REQUIRED = {
    "gemm": ("dtype", "n"),
    "membw": ("bytes",),
    "gemm_skinny": ("m", "k", "n"),
    "prefill": ("model", "batch", "prompt_len"),
    "decode": ("model", "batch", "context_len"),
    "encoder": ("model", "batch"),
    "vision": ("model", "batch"),
}
_DTYPE_BYTES = {"fp32": 4, "tf32": 4, "bf16": 2, "fp16": 2, "fp8": 1, "int8": 1, "int4": 0.5}


def seconds_of(row: dict) -> float | None:
    v = row.get("seconds_per_step", row.get("seconds"))
    return float(v) if isinstance(v, (int, float)) and v > 0 else None


def dtype_key(d: str | None, default: str = "bf16") -> str:
    """Normalise a dtype string (``torch.bfloat16``, ``fp8_e4m3``, ``tf32``) to a precision name."""
    if not d:
        return default
    d = str(d).lower().replace("torch.", "")
    table = {"bfloat16": "bf16", "float16": "fp16", "half": "fp16", "float32": "fp32", "float": "fp32",
             "fp8_e4m3": "fp8", "float8_e4m3fn": "fp8", "int8": "int8", "tf32": "tf32", "fp32": "fp32",
             "bf16": "bf16", "fp16": "fp16", "fp8": "fp8", "int4": "int4"}
    if d not in table:
        raise InputError(f"unknown dtype {d!r}; allowed: {', '.join(sorted(table))}")
    return table[d]


@dataclass
class MeasurementSet:
    """The rows of one file, its machine (`env`) and the models it names."""

    path: str
    rows: list[dict]
    env: dict = field(default_factory=dict)
    models: dict[str, dict] = field(default_factory=dict)

    def timed(self, kinds=TIMED) -> list[dict]:
        return [r for r in self.rows if r["kind"] in kinds and seconds_of(r) is not None]


def read_measurements(path: str | Path, *, need_timings: bool = True) -> MeasurementSet:
    """Read and validate a measurement (or cases) file; InputError names file and line."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", str(path))
    rows: list[dict] = []
    envs: list[tuple[int, dict]] = []
    models: dict[str, dict] = {}
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"not a text file (expected UTF-8 JSON lines; byte {e.start})", str(path)) from None
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{i}"
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"not JSON ({e.msg})", where) from None
        if not isinstance(r, dict) or "kind" not in r:
            raise InputError("each line must be a JSON object with a 'kind'", where)
        kind = r["kind"]
        if kind not in KINDS:
            continue  # unknown kinds are carried, not used
        for k in REQUIRED.get(kind, ()):
            if k not in r:
                raise InputError(f"{kind} row lacks {k!r}", where)
        for k in ("batch", "prompt_len", "context_len", "seq_len", "n", "m", "k", "bytes"):
            if k in r and (not isinstance(r[k], (int, float)) or isinstance(r[k], bool) or r[k] <= 0):
                if not (k == "context_len" and r[k] == 0):
                    raise InputError(f"{k} must be a positive number, got {r[k]!r}", where)
        r = {**r, "_line": i}
        if kind == "env":
            envs.append((i, r))
        elif kind == "model":
            models[r.get("name", "")] = r
        rows.append(r)
    ms = MeasurementSet(str(path), rows, {}, models)
    if envs:
        ident = {(e.get("device"), e.get("gpu"), e.get("cpu") if e.get("device") == "cpu" else None)
                 for _, e in envs}
        if len(ident) > 1:
            raise InputError(f"mixed hardware in one file: {sorted(str(x) for x in ident)}; "
                             "one calibration file describes one machine", str(path))
        ms.env = envs[0][1]
    if need_timings and not ms.timed():
        raise InputError(f"no usable rows (timed rows of kinds {', '.join(TIMED)})", str(path))
    if not need_timings and not [r for r in rows if r["kind"] in TIMED]:
        raise InputError(f"no cases (rows of kinds {', '.join(TIMED)})", str(path))
    return ms


# -- model and hardware of a measurement file -------------------------------------

_FALLBACK_ARCHS = {
    # dimensions stated in shared/data/calibration/README.md, used when the catalog lacks them
    "llama-3.1-8b": dict(family="decoder", params=8030261248, layers=32, hidden=4096, heads=32, kv_heads=8,
                         head_dim=128, intermediate=14336, vocab=128256),
    "bert-base": dict(family="encoder", params=109483778, layers=12, hidden=768, heads=12, kv_heads=12,
                      head_dim=64, intermediate=3072, vocab=30522, seq_len=128),
    "resnet50": dict(family="vision", params=25557032, layers=50, flops_per_item=8.2e9),
}


def resolve_model(name: str, ms: MeasurementSet, catalog=None):
    """A ModelArch for a model named in a measurement file.

    Order: an `arch` object on the file's `model` row; the catalog id (``-shape`` suffix
    dropped); the dimensions the calibration README states.
    """
    from infercost.core.catalog import ModelArch, load_catalog

    row = ms.models.get(name, {})
    if isinstance(row.get("arch"), dict):
        a = dict(row["arch"])
        return ModelArch(id=name, source=f"measurement file {ms.path}", as_of=date.today(), **a)
    cid = name[:-6] if name.endswith("-shape") else name
    cat = catalog or load_catalog()
    if cid in cat.models:
        return cat.models[cid]
    if cid in _FALLBACK_ARCHS:
        return ModelArch(id=cid, source="shared/data/calibration/README.md", as_of=date(2026, 11, 28),
                         **_FALLBACK_ARCHS[cid])
    raise InputError(f"unknown model {name!r} in measurement file; give an 'arch' on its model row or use a "
                     f"catalog id (known: {', '.join(sorted(cat.models))})", ms.path)


def resolve_hardware(ms: MeasurementSet, catalog=None):
    """(Hardware, units) for the machine of a measurement file.

    GPUs: the catalog entry whose name contains the `gpu` model (e.g. "H200"); CPUs and
    unknown GPUs: a Hardware built from the file's own measured peaks and bandwidth
    (per vCPU for CPUs, `units` = cores).
    """
    import re

    from infercost.core.catalog import Hardware, load_catalog

    env = ms.env
    cat = catalog or load_catalog()
    device = env.get("device", "cuda")
    if device != "cpu":
        gpu = str(env.get("gpu", ""))
        toks = [t for t in re.split(r"[\s\-_]+", gpu.upper()) if t and t not in ("NVIDIA", "AMD", "TESLA")]
        best = None
        for hid, hw in sorted(cat.hardware.items()):
            if hw.kind != "gpu":
                continue
            name = hw.name.upper()
            if toks and all(t in re.split(r"[\s\-_]+", name) for t in toks[:1]):
                if best is None or ("SXM" in name and "SXM" not in best[1].name.upper()):
                    best = (hid, hw)
        if best:
            return best[1], 1.0
    gemm = {dtype_key(r.get("dtype"), "fp32"): float(r.get("tflops") or r.get("tops") or 0)
            for r in ms.rows if r["kind"] == "gemm"}
    bw = [float(r["tb_per_s"]) * 1000 for r in ms.rows if r["kind"] == "membw" and r.get("tb_per_s")]
    cores = float(env.get("cores") or 1)
    per = cores if device == "cpu" else 1.0
    peak = {k: v / per for k, v in gemm.items() if v > 0} or {"fp32": 0.1}
    mem = float(env.get("mem_gib") or 16) * 1.073741824
    hw = Hardware(id=f"measured-{device}", name=str(env.get("gpu") or env.get("cpu") or device),
                  kind="cpu" if device == "cpu" else "gpu", source=f"measured: {ms.path}",
                  as_of=date.today(), per="vcpu" if device == "cpu" else "device",
                  peak_tflops=peak, memory_gb=mem / per,
                  memory_bw_gbps=(bw[0] if bw else 10.0) / per)
    return hw, per


@dataclass(frozen=True)
class LoadCalibration:
    """Batch times under load that `infercost bench --load` measured on the serving machine.

    `slowdown`: batch seconds under Poisson load / alone (busy-time weighted, the `load`
    row's `factor`) at `rate_per_s` requests/s with `max_batch` / `max_wait_ms` batching;
    `batches`: batch size -> (batches run, median seconds under load), from the
    `load_batch` rows; `path`: the file.
    """

    slowdown: float
    rate_per_s: float
    max_batch: int
    max_wait_ms: float
    path: str
    batches: dict = field(default_factory=dict)

    def factor_for(self, model_seconds) -> float:
        """The multiplier that maps a model's batch times onto the ones measured under load:
        sum over measured sizes of n_b x loaded_b / sum of n_b x model_seconds(b), i.e. the
        busy-time weighted ratio for the mix of batch sizes the load produced. Without
        `load_batch` rows, `slowdown`."""
        num = sum(n * sec for n, sec in self.batches.values())
        den = sum(n * model_seconds(b) for b, (n, _) in self.batches.items())
        return num / den if num > 0 and den > 0 else self.slowdown

    def note(self, factor: float | None = None) -> str:
        """The note estimate / simulate carry: `factor` (the model's batch times x factor,
        from `factor_for`; None: `slowdown`) and, when it differs from `slowdown`, why:
        factor = slowdown x (the isolated batch time measured / the model's)."""
        k = self.slowdown if factor is None else factor
        s = self.slowdown
        why = f"under load a batch took {s:.2f}x its isolated time"
        if abs(k - s) >= 0.005:
            why += (f", and the isolated times measured are {k / s:.2f}x this model's batch times "
                    f"(busy-time weighted), hence x{k:.2f}")
        return (f"batch times x{k:.2f}: matched to the batch times measured under Poisson load at "
                f"{self.rate_per_s:g} requests/s (max_batch {self.max_batch}, max_wait {self.max_wait_ms:g} ms) "
                f"by `infercost bench --load` in {self.path}; {why}")


def load_calibration(path: str | Path) -> LoadCalibration | None:
    """The `load` and `load_batch` rows of a measurement file as a LoadCalibration, or None
    when the file has no `load` row (or is not a file). Raises InputError for a `load` row
    whose factor, or a `load_batch` row whose batch, batches or seconds, is not positive."""
    p = Path(path)
    if p.suffix not in (".jsonl", ".json") or not p.is_file():
        return None
    found = None
    batches: dict[int, tuple[int, float]] = {}

    def pos(v) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0

    for i, line in enumerate(p.read_text().splitlines(), start=1):
        if '"load' not in line:
            continue
        try:
            r = json.loads(line)
        except ValueError:
            continue  # read_measurements reports malformed lines
        if not isinstance(r, dict):
            continue
        if r.get("kind") == "load_batch":
            if not (pos(r.get("batch")) and pos(r.get("batches")) and pos(r.get("seconds"))):
                raise InputError("load_batch row: batch, batches and seconds must be positive numbers",
                                 f"{p}: line {i}")
            batches[int(r["batch"])] = (int(r["batches"]), float(r["seconds"]))
        elif r.get("kind") == "load":
            f = r.get("factor")
            if not pos(f):
                raise InputError(f"load row: factor must be a positive number, got {f!r}", f"{p}: line {i}")
            found = (float(f), float(r.get("rate_per_s") or 0), int(r.get("max_batch") or 0),
                     float(r.get("max_wait_ms") or 0))
    if found is None:
        return None
    return LoadCalibration(*found, path=str(path), batches=batches)
