"""Numeric precisions: bytes per weight and per activation, and which peak the matmuls use.

Names (scenario `model.precision`): fp32 tf32 bf16 fp16 fp8 int8 int4. Quantised names
take an optional suffix that says what is quantised:

- ``-w``  weights only (W8A16 / W4A16, e.g. AWQ, GPTQ): weights are stored and streamed
  at the low width, matmuls run at the 16-bit peak after de-quantisation;
- ``-wa`` weights and activations (W8A8 / FP8 / W4A4): matmuls run at the low-precision
  peak (int4 falls back to the int8 peak on hardware without an int4 figure).

Defaults: ``fp8`` and ``int8`` mean ``-wa``; ``int4`` means ``-w`` (the common AWQ/GPTQ case).
KV cache and activations stay 16-bit (fp32 for fp32/tf32) unless an engine says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

from infercost.errors import InputError

BASE = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
_WBYTES = {"fp32": 4.0, "tf32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0, "int4": 0.5}


@dataclass(frozen=True)
class Precision:
    """A resolved precision.

    name: as written; base: one of BASE; weight_bytes: bytes per stored weight;
    act_bytes: bytes per activation / KV element; compute: the precision whose dense peak
    the matmuls run at (a key of `Hardware.peak_tflops`).
    """

    name: str
    base: str
    weight_bytes: float
    act_bytes: float
    compute: str
    weights_only: bool


def parse_precision(name: str, where: str = "model.precision") -> Precision:
    """Resolve `name` (e.g. ``bf16``, ``int8``, ``int4-w``, ``int8-wa``) or raise InputError."""
    raw = str(name).strip().lower()
    aliases = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "half": "fp16",
               "torch.float32": "fp32", "torch.float16": "fp16", "torch.bfloat16": "bf16",
               "fp8_e4m3": "fp8", "fp8-e4m3": "fp8", "w8a16": "int8-w", "w4a16": "int4-w",
               "w8a8": "int8-wa", "w4a4": "int4-wa"}
    raw = aliases.get(raw, raw)
    base, _, suffix = raw.partition("-")
    if base not in BASE or suffix not in ("", "w", "wa"):
        raise InputError(
            f"unknown precision {name!r}; allowed: {', '.join(BASE)} "
            "(int8/int4/fp8 may end in -w for weights-only or -wa for weights+activations)",
            where,
        )
    if base in ("fp32", "tf32", "bf16", "fp16") and suffix:
        raise InputError(f"precision {name!r}: the -w/-wa suffix applies to fp8, int8, int4 only", where)
    if not suffix and base in ("fp8", "int8", "int4"):
        suffix = "w" if base == "int4" else "wa"
    weights_only = suffix == "w"
    act = 4.0 if base in ("fp32", "tf32") else 2.0
    if base in ("fp32", "tf32", "bf16", "fp16"):
        compute = base
    elif weights_only:
        compute = "bf16"
    else:
        compute = base
    return Precision(name=raw, base=base, weight_bytes=_WBYTES[base], act_bytes=act,
                     compute=compute, weights_only=weights_only)


def kv_element_bytes(name: str, where: str = "--kv-precision") -> float:
    """Bytes per KV-cache element for a precision name (fp8/int8: 1, bf16/fp16: 2, fp32: 4, int4: 0.5)."""
    raw = str(name).strip().lower()
    if raw in ("auto", ""):
        raise InputError("kv precision 'auto' is the engine default; omit it instead", where)
    return parse_precision(raw.partition("-")[0], where).weight_bytes


def emulated(name: str, peaks: dict[str, float], hardware_id: str, kind: str = "gpu") -> str | None:
    """Why `hardware_id` (dense peaks `peaks`, TFLOP/s by precision; `kind` gpu or cpu) does
    not run precision `name` natively, or None when it does (a note's text).

    Native: the precision the matmuls run at has a peak of its own (bf16 needs a bf16 peak,
    not fp16's; fp8/int8/int4 with activations need theirs, int4 may use int8's);
    weights-only precisions (int4, int8-w, fp8-w) de-quantise to 16 bits by design and need
    a bf16 or fp16 peak. Anything else is costed at the nearest wider peak
    (`Hardware.peak`), which real kernels reach only by emulating the type, if at all.
    """
    p = parse_precision(name)
    have = {k for k, v in (peaks or {}).items() if v}
    if p.weights_only:
        if have & {"bf16", "fp16"}:
            return None
        need = "16-bit (bf16 or fp16)"
    elif p.base in have or (p.base == "int4" and "int8" in have):
        return None
    else:
        need = p.base
    if kind != "cpu" and not p.weights_only and p.base in ("fp8", "int8", "int4"):
        return (f"{hardware_id} has no {p.base} tensor-core peak: {p.base} weights are de-quantised "
                f"and matmuls run at the 16-bit peak ({p.base}-w)")
    order = {"int4": ["int8", "fp8", "fp16", "bf16"], "int8": ["fp8", "fp16", "bf16"],
             "fp8": ["fp16", "bf16"], "bf16": ["fp16"], "fp16": ["bf16"], "tf32": ["fp32"]}
    start = "bf16" if p.weights_only else p.base
    fallback = next((q for q in order.get(start, []) if q in have), None)
    at = f"the {fallback} peak" if fallback else "no peak it has"
    return (f"{hardware_id} has no {need} peak in the catalog: {p.name} is costed at {at}, "
            "which real kernels reach only by emulating it, if at all")
