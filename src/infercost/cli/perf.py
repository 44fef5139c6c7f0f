"""`infercost perf predict|validate|throughput|calibrate`: the performance model.

The Python API (`infercost.api`) has no verb for the performance model, so these
commands call `infercost.perf` directly (the import-linter contract allows it: only the
engines capacity, sim and allocation are reached through the API).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

perf_app = typer.Typer(help="Performance model: predict, validate, calibrate, max-load throughput.",
                       no_args_is_help=True, add_completion=False, rich_markup_mode=None)


#: the scenario key an error of the performance model names -> the `perf` flag that sets it
FLAGS = {"model.precision": "--precision", "deployment.gpus_per_replica": "--gpus", "deployment.tp": "--tp",
         "deployment.engine": "--engine", "deployment.hardware": "--hardware", "model.id": "--model"}


@contextmanager
def _flags(extra: dict[str, str] | None = None) -> Iterator[None]:
    """Re-raise an InputError that names a scenario key (`FLAGS`, plus `extra`) as one that
    names the command-line flag the user typed (``deployment.tp`` -> ``--tp``); any
    other error passes unchanged."""
    from infercost.errors import InputError

    names = {**FLAGS, **(extra or {})}
    try:
        yield
    except InputError as e:
        flag = names.get(e.where or "")
        if flag is None:
            raise
        raise type(e)(e.message, flag) from None


def _clean(row: dict) -> dict:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _summary(rows: list[dict], key: str = "rel_error") -> dict:
    import numpy as np

    e = [abs(r[key]) for r in rows if r.get(key) is not None]
    return {"rows": len(e), "median_abs_rel_error": float(np.median(e)) if e else None,
            "max_abs_rel_error": float(max(e)) if e else None}


#: the short headers of `_table`'s columns (the JSON keeps the field names)
_HEADERS = {"tokens": "prompt or context", "measured_s": "measured s",
            "predicted_seconds": "predicted s",
            "predicted_s": "predicted s", "rel_error": "error"}
_TEXT_COLUMNS = ("kind", "model", "dtype")


def _table(title: str, rows: list[dict], cols: list[str]) -> None:
    """A table of `rows` whose figures are never cut (4 significant digits; --json has
    them whole): at 80 columns the text columns (kind, model, dtype) wrap instead."""
    from infercost.report.terminal import esc, make_console, new_table

    body = []
    for r in rows:
        cells = []
        for c in cols:
            # (a row's sequence length: a prefill's prompt, a decode's context)
            v = r.get(c) if c != "tokens" else next(
                (r[k] for k in ("prompt_len", "context_len") if r.get(k) is not None), None)
            if isinstance(v, float):
                cells.append(f"{v:+.1%}" if c == "rel_error" else f"{v:.4g}")
            else:
                cells.append("" if v is None else esc(v))
        body.append(cells)
    t = new_table(title)
    for i, c in enumerate(cols):
        head = _HEADERS.get(c, c)
        if c in _TEXT_COLUMNS:
            t.add_column(head, justify="left", overflow="fold")
        else:  # (as wide as its longest figure and header word)
            wide = max([len(w) for w in head.split()] + [len(b[i]) for b in body])
            t.add_column(head, justify="right", min_width=wide)
    for cells in body:
        t.add_row(*cells)
    make_console().print(t)


@perf_app.command()
def predict(
    calibration: Annotated[Path, typer.Option("--calibration", help="measurement file to calibrate on (its hardware)")],
    cases: Annotated[Path, typer.Option("--cases", help="rows without timings: kind + shape fields")],
    json_: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Predict seconds for each case row on the calibration file's machine."""
    from infercost.cli.common import print_json
    from infercost.perf.calibrate import fit_file, predict_row
    from infercost.perf.measurements import TIMED, read_measurements

    cal = fit_file(calibration)
    cs = read_measurements(cases, need_timings=False)
    cs.models = {**cal.ms.models, **cs.models}
    out = []
    cache: dict = {}
    for r in cs.rows:
        if r["kind"] not in TIMED:
            continue
        out.append({**_clean(r), "predicted_seconds": predict_row(r, cal.eff, cal.hardware, cal.units, cs, cache)})
    if json_:
        print_json(out)
    else:
        _table(f"predicted on {cal.hardware.id} ({cal.eff.name})", out,
               ["kind", "model", "dtype", "batch", "tokens", "predicted_seconds"])


@perf_app.command()
def validate(
    calibration: Annotated[Path, typer.Option("--calibration", help="measurement file to calibrate on")],
    measurements: Annotated[Path, typer.Option("--measurements", help="measurement file to check against")],
    json_: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    loo: Annotated[bool, typer.Option("--leave-one-out", help="model rows: refit without each row, then predict it "
                                      "(needs --measurements to be the calibration file)")] = False,
    anchors: Annotated[Optional[str], typer.Option("--anchors", help="comma-separated line numbers of the model rows "
                                                   "to fit on; the other model rows are predicted")] = None,
) -> None:
    """Predicted vs measured per row; median and max absolute relative error."""
    from infercost.cli.common import print_json
    from infercost.errors import InputError
    from infercost.perf.calibrate import calibrate, leave_one_out, residuals
    from infercost.perf.measurements import MODEL_KINDS, read_measurements

    cms = read_measurements(calibration)
    if loo:
        if Path(calibration).resolve() != Path(measurements).resolve():
            raise InputError("--leave-one-out needs --measurements to be the calibration file", "--leave-one-out")
        rows = leave_one_out(cms)
        method = "leave-one-out over model rows"
    else:
        only = None
        if anchors:
            try:
                only = {int(x) for x in anchors.split(",") if x.strip()}
            except ValueError:
                raise InputError(f"--anchors takes line numbers, got {anchors!r}", "--anchors") from None
        cal = calibrate(cms, only_lines=only)
        ms = read_measurements(measurements)
        ms.models = {**cms.models, **ms.models}
        rows = residuals(ms.timed(), cal.eff, cal.hardware, cal.units, ms)
        if only is not None:
            rows = [r for r in rows if r["kind"] in MODEL_KINDS and r["line"] not in only]
            method = f"fit on model rows at lines {sorted(only)} (+ gemm/membw rows), predict the others"
        else:
            method = "fit on the calibration file, predict every timed row"
    model_rows = [r for r in rows if r["kind"] in MODEL_KINDS]
    out = {"calibration": str(calibration), "measurements": str(measurements), "method": method,
           "all_rows": _summary(rows), "model_rows": _summary(model_rows), "rows": rows}
    if json_:
        print_json(out)
        return
    _table(f"perf validate ({method})", rows,
           ["line", "kind", "model", "dtype", "batch", "tokens", "measured_s", "predicted_s",
            "rel_error"])
    for k in ("all_rows", "model_rows"):
        s = out[k]
        if s["rows"]:
            print(f"{k}: {s['rows']} rows, median |error| {s['median_abs_rel_error']:.1%}, "
                  f"max {s['max_abs_rel_error']:.1%}")


def _seed_engine(engine: str) -> str:
    """`--engine` of `perf calibrate`, lower-cased: a named engine (optionally @version),
    whose defaults seed the fit. Raises InputError ("--engine") for any other name: a
    calibration file seeds no fit, and an unknown name is not fitted as hf-eager."""
    from infercost.errors import InputError
    from infercost.perf.engines import ALIASES, ENGINES, parse_engine

    spec = str(engine).strip().lower()
    if spec.partition("@")[0] not in ENGINES and spec.partition("@")[0] not in ALIASES:
        known = ", ".join(sorted({*ENGINES, *ALIASES}))
        raise InputError(f"unknown engine {engine!r}; the fit starts from a named engine: {known} "
                         "(optionally @version)", "--engine")
    with _flags():
        parse_engine(spec)  # an unknown version
    return spec


@perf_app.command()
def calibrate(
    measurements: Annotated[Path, typer.Option("--measurements", help="measurement file (JSON lines)")],
    engine: Annotated[str, typer.Option("--engine", help="engine whose defaults seed the fit")] = "hf-eager",
    json_: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Fit the efficiency model to a measurement file; print parameters and residuals."""
    from infercost.cli.common import print_json
    from infercost.perf.calibrate import calibrate as _cal
    from infercost.perf.measurements import read_measurements

    engine = _seed_engine(engine)
    with _flags():
        cal = _cal(read_measurements(measurements), engine)
    rep = cal.report()
    if json_:
        print_json(rep)
        return
    print(f"calibrated {cal.hardware.id} ({engine}) from {measurements}")
    for k, v in rep["params"].items():
        print(f"  {k}: {v}")
    _table("residuals", rep["rows"], ["line", "kind", "model", "dtype", "batch", "measured_s", "predicted_s",
                                      "rel_error"])
    if rep["model_rows_median_abs_error"] is not None:
        print(f"model rows (in-sample): median |error| {rep['model_rows_median_abs_error']:.1%}, "
              f"max {rep['model_rows_max_abs_error']:.1%}")


@perf_app.command()
def throughput(
    model: Annotated[str, typer.Option("--model", help="catalog model id")],
    hardware: Annotated[str, typer.Option("--hardware", help="catalog hardware id")],
    isl: Annotated[Optional[int], typer.Option("--isl", help="decoders: input (prompt) tokens per request")] = None,
    osl: Annotated[Optional[int], typer.Option("--osl", help="decoders: output tokens per request")] = None,
    batch: Annotated[Optional[int], typer.Option("--batch", help="encoders, vision, recommenders, generic: "
                                                 "items per forward")] = None,
    seq_len: Annotated[Optional[int], typer.Option("--seq-len", help="encoders: tokens per item "
                                                   "(default: the model's)")] = None,
    precision: Annotated[str, typer.Option("--precision", help="fp32 tf32 bf16 fp16 fp8 int8 int4")] = "bf16",
    gpus: Annotated[int, typer.Option("--gpus", help="GPUs in total (vCPUs for CPU hardware)")] = 1,
    tp: Annotated[Optional[int], typer.Option("--tp", help="tensor-parallel degree (default: --gpus for "
                                              "decoders, 1 = a copy per GPU otherwise)")] = None,
    engine: Annotated[str, typer.Option("--engine", help="tensorrt | vllm | sglang | hf-eager | optimized, "
                                        "optionally @version (vllm@0.6), or a calibration file")] = "optimized",
    kv_precision: Annotated[Optional[str], typer.Option("--kv-precision", help="KV cache type (fp8, bf16...); "
                                                        "default: the engine's")] = None,
    tf32: Annotated[Optional[bool], typer.Option("--tf32/--no-tf32", help="fp32 matmuls and convolutions on "
                                                 "TF32 (default: the engine's; PyTorch: convolutions only)")] = None,
    quantile: Annotated[Optional[list[float]], typer.Option("--quantile", help="extra quantile of the rate "
                                                            "(0-1, repeatable); p10 and p90 always")] = None,
    catalog_file: Annotated[Optional[Path], typer.Option("--catalog", help="user catalog YAML")] = None,
    json_: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Max-load (offline) throughput, its 80% interval, and what bounds it.

    Decoders: --isl/--osl -> output_tokens_per_s (whole system = replicas x per replica).
    Other families: --batch [--seq-len] -> samples_per_s (every GPU its own copy unless --tp).
    Bad input exits 2 with one line naming the flag (--tp, --gpus, --precision...).
    """
    # without --tp, the tensor-parallel degree is --gpus: a tp that does not divide the
    # heads is the --gpus typed
    with _flags({"workload": "--isl/--osl", **({"deployment.tp": "--gpus"} if tp is None else {})}):
        _throughput(model, hardware, isl, osl, batch, seq_len, precision, gpus, tp, engine, kv_precision, tf32,
                    quantile, catalog_file, json_)


def _throughput(model, hardware, isl, osl, batch, seq_len, precision, gpus, tp, engine, kv_precision, tf32,
                quantile, catalog_file, json_) -> None:
    from infercost.cli.common import print_json
    from infercost.core.catalog import load_catalog
    from infercost.errors import InputError
    from infercost.perf import build_profile
    from infercost.perf.throughput import QUANTILES, forward_load, max_load, with_interval
    from infercost.perf.uncertainty import perf_family
    from infercost.report.terminal import make_console, print_wrapped

    cat = load_catalog(catalog_file)
    arch = cat.get_model(model, "--model")
    hw = cat.get_hardware(hardware, "--hardware")
    qs = tuple(QUANTILES) + tuple(q for q in (quantile or []) if q not in QUANTILES)
    for q in qs:
        if not 0.0 < q < 1.0:
            raise InputError(f"quantile must be strictly between 0 and 1, got {q!r}", "--quantile")
    llm = arch.family == "decoder"
    if llm:
        if batch is not None or seq_len is not None:
            raise InputError(f"{model!r} is a decoder model: give --isl and --osl, not --batch/--seq-len", "--batch")
        if isl is None or osl is None:
            raise InputError(f"{model!r} is a decoder model: give --isl and --osl", "--isl")
    else:
        if isl is not None or osl is not None:
            fam = arch.family
            art = "an" if fam[:1] in "aeiou" else "a"
            raise InputError(f"{model!r} is {art} {fam} model: give --batch (and --seq-len), not --isl/--osl",
                             "--isl")
        if batch is None:
            raise InputError(f"{model!r} is a {arch.family} model: give --batch", "--batch")
    prof = build_profile(arch, precision, hw, gpus=gpus, tp=tp if (tp is not None or llm) else 1,
                         engine=engine, kv_precision=kv_precision, tf32=tf32)
    if llm:
        out = with_interval(max_load(prof, isl, osl), "output_tokens_per_s", perf_family(arch), prof.eff.name, qs)
    else:
        out = with_interval(forward_load(prof, batch, seq_len), "samples_per_s", perf_family(arch), prof.eff.name,
                            qs)
    out["engine_represents"] = prof.eff.represents
    if json_:
        print_json(out)
        return
    key = "output_tokens_per_s" if llm else "samples_per_s"
    unit = "output tokens/s" if llm else "samples/s"
    what = f"{isl}/{osl} tokens" if llm else f"batch {batch}" + (f", seq len {out['seq_len']}" if out.get("seq_len")
                                                                  else "")
    con = make_console()
    print_wrapped(con, f"{model} {prof.precision.name} on {gpus} x {hardware} (tp {prof.tp}, {prof.engine}), "
                  f"{what}:", indent="  ")
    print(f"  {unit:<17} {out[key]:,.0f}  (80% interval {out[key + '_p10']:,.0f} .. {out[key + '_p90']:,.0f}; "
          f"{out[key + '_per_gpu']:,.0f} per GPU)")
    if llm:
        print(f"  max concurrency   {out['max_concurrency']}  (limited by {out['concurrency_limited_by']})")
        print(f"  TTFT {out['ttft_ms']:.1f} ms   TPOT {out['tpot_ms']:.2f} ms   bound: {out['bound']}")
    else:
        print(f"  step {out['step_ms']:.3f} ms   bound: {out['bound']}")
    for n in out.get("notes", []):
        print_wrapped(con, f"  note: {n}", indent="    ")


def register(app: typer.Typer) -> None:
    app.add_typer(perf_app, name="perf")
