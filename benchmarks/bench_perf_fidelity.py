"""Fidelity of the performance model: every figure in docs/perf.md comes from this script.

    .venv/bin/python benchmarks/bench_perf_fidelity.py [--shared ../shared] [--write docs/perf.md]

`--write FILE` replaces the block between the fidelity markers in FILE with the tables.

1. H200 (hf-eager), leave-one-out over the 10 model rows of h200-hf-eager.jsonl: each row
   predicted by a calibration that never saw it (GEMM / copy / skinny-GEMM rows always in).
2. H200, anchor split: fit on the batch-1 rows only (lines 17, 19, 22, 23, 26), predict the
   other batch sizes, lengths and precisions (lines 18, 20, 24, 25, 27).
3. Baseline: a plain datasheet roofline, max(FLOPs / peak, bytes / bandwidth), on the same rows.
4. CPU (this machine, MiniLM-L6-v2, real weights, 1 thread): fit on batch 1 and 32 at
   sequence 128, predict the other 10 rows.
5. Uncalibrated `optimized` vs the published TensorRT-LLM table (benchmarks/bench_perf_published.py).
6. Other public rows in src/infercost/perf/data/*.jsonl (any file whose rows carry
   `output_tokens_per_s` or `samples_per_s`, a `split` of fit/report and a `source`), predicted
   uncalibrated with the row's engine; rows whose model or hardware is not in the catalog
   are counted and skipped.
7. Error bars: the residual table src/infercost/perf/data/residuals.json (written with
   `--write`), ln(measured time / predicted time) of held-out rows per family|engine
   (never the `fit` rows), and the coverage of the 80% interval under two-fold
   cross-validation (intervals from one half, checked on the other).
"""

from __future__ import annotations

import contextlib
import io
import sys
from importlib import resources
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODEL_KINDS = ("prefill", "decode", "encoder", "vision")


def _shape(r):
    return (f"b={r['batch']}" + (f" p={r['prompt_len']}" if "prompt_len" in r else "")
            + (f" ctx={r['context_len']}" if "context_len" in r else "")
            + (f" s={r['seq_len']}" if "seq_len" in r else "") + (f" {r['dtype']}" if r.get("dtype") else ""))


def table(title, rows, extra=None):
    print(f"\n## {title}\n")
    print("| line | kind | shape | measured ms | predicted ms | error |" + (" roofline ms | roofline error |" if extra else ""))
    print("|---|---|---|---|---|---|" + ("---|---|" if extra else ""))
    for r in rows:
        line = (f"| {r['line']} | {r['kind']} | {_shape(r)} | {r['measured_s'] * 1e3:.2f} | "
                f"{r['predicted_s'] * 1e3:.2f} | {r['rel_error']:+.1%} |")
        if extra:
            b = extra[r["line"]]
            line += f" {b * 1e3:.2f} | {(b - r['measured_s']) / r['measured_s']:+.1%} |"
        print(line)
    e = np.abs([r["rel_error"] for r in rows])
    print(f"\nmedian |error| {np.median(e):.1%}, max {e.max():.1%} ({len(e)} rows)")
    return e


def plain_roofline(ms, rows):
    """Datasheet roofline, no efficiencies, no host overhead (what public calculators do)."""
    from infercost.perf.calibrate import predict_step
    from infercost.perf.efficiency import Efficiency
    from infercost.perf.measurements import resolve_hardware

    hw, units = resolve_hardware(ms)
    eff = Efficiency(name="roofline", compute_eff={"default": 1.0}, bw_eff=1.0, gemm_bw_eff=1.0, attn_eff=1.0,
                     conv_eff=1.0, p_dev=1000.0, t_kernel=0.0, t_step=0.0, p_host=1000.0)
    return {r["_line"]: predict_step(r, eff, hw, units, ms).seconds for r in rows}


def profiles_tables():
    """Engine profiles (what each represents, its parameters and their sources) and vendor ceilings."""
    from infercost.perf.engines import HF_EAGER, VERSIONS
    from infercost.perf.vendors import CEILINGS, LINK_SOURCES, LINKS, SOURCES

    print("\n## Engine profiles (`--engine NAME[@VERSION]`; `optimized` = tensorrt)\n")
    keys = ("compute_eff", "bw_eff", "gemm_bw_eff", "attn_eff", "t_step", "p_host", "max_batch", "max_tokens",
            "kv_fp8", "kv_reserve", "lowp_acts", "matmul_tf32", "conv_tf32", "p_dev_fused", "fused_compute_scale",
            "kv_serial", "moe_m_half", "vendor_dev_scale")
    profs = [(f"{n}@{v}", e) for n, vs in VERSIONS.items() for v, e in vs.items()] + [("hf-eager@5.17", HF_EAGER)]
    print("| parameter | " + " | ".join(n for n, _ in profs) + " |")
    print("|---|" + "---|" * len(profs))
    for k in keys:
        print(f"| {k} | " + " | ".join(str(getattr(e, k)) for _, e in profs) + " |")
    print("\nWhat each represents:\n")
    for n, e in profs:
        print(f"- `{n}`: {e.represents}")
    print("\nSources of the parameters (per profile; later profiles inherit the earlier ones they are built on):\n")
    for n, e in profs:
        for k, v in sorted(e.sources.items()):
            print(f"- `{n}` {k}: {v}")
    print("\n## Vendor ceilings (fractions of datasheet; engine efficiencies are scaled by target / hopper)\n")
    print("| family | bf16 GEMM | fp8 GEMM | copy bandwidth | default L2 MB | source |\n|---|---|---|---|---|---|")
    for k, c in CEILINGS.items():
        print(f"| {k} | {c.compute:.2f} | {(c.fp8_compute or c.compute):.2f} | {c.bw:.2f} | {c.l2_mb:g} | "
              f"{SOURCES[k]} |")
    print("\n| interconnect | all-reduce bus efficiency | latency at tp 2 | + per extra rank | source |"
          "\n|---|---|---|---|---|")
    for k, ln in LINKS.items():
        print(f"| {k} | {ln.eff:.2f} | {ln.latency_s * 1e6:g} us | {ln.latency_per_rank_s * 1e6:g} us | "
              f"{LINK_SOURCES[k]} |")


def main(argv):
    from infercost.perf.calibrate import calibrate, leave_one_out, residuals
    from infercost.perf.measurements import read_measurements

    shared = Path(argv[argv.index("--shared") + 1]) if "--shared" in argv else ROOT.parent / "shared"
    h200 = shared / "data" / "calibration" / "h200-hf-eager.jsonl"
    if h200.exists():
        ms = read_measurements(h200)
        loo = leave_one_out(ms)
        base = plain_roofline(ms, [r for r in ms.timed(MODEL_KINDS)])
        table("H200 hf-eager, leave-one-out (held out: the row itself)", loo, base)
        anchors = {17, 19, 22, 23, 26}
        cal = calibrate(ms, only_lines=anchors)
        rows = [r for r in residuals(ms.timed(), cal.eff, cal.hardware, cal.units, ms)
                if r["kind"] in MODEL_KINDS and r["line"] not in anchors]
        table(f"H200 hf-eager, anchors = lines {sorted(anchors)} (batch 1), predicted = the others", rows, base)
        full = calibrate(ms)
        rows = [r for r in full.residuals if r["kind"] in MODEL_KINDS]
        table("H200 hf-eager, in-sample (all rows fitted; not a held-out figure)", rows)
        print("\nfitted on all rows:", {k: (round(v, 4) if isinstance(v, float) else v)
                                        for k, v in full.params.items()})
    else:
        print(f"{h200} absent: H200 tables skipped")

    cpu = resources.files("infercost.perf") / "data" / "cpu-minilm-l6-v2.jsonl"
    with resources.as_file(cpu) as p:
        ms = read_measurements(p)
        lines = {r["_line"]: r for r in ms.timed(MODEL_KINDS)}
        anchors = {ln for ln, r in lines.items() if r["seq_len"] == 128 and r["batch"] in (1, 32)}
        cal = calibrate(ms, only_lines=anchors)
        rows = [r for r in residuals(ms.timed(), cal.eff, cal.hardware, cal.units, ms)
                if r["kind"] in MODEL_KINDS and r["line"] not in anchors]
        table(f"CPU MiniLM-L6-v2 (1 thread), anchors = lines {sorted(anchors)}, predicted = the others", rows)
        rows_cpu = rows

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_perf_published import errors, load_rows

    from infercost.perf.engines import OPTIMIZED

    global _RESIDUALS
    _RESIDUALS = {"h200": loo if h200.exists() else [], "cpu": rows_cpu}
    rows = load_rows()
    print("\n## Uncalibrated `optimized` vs published TensorRT-LLM max-load throughput\n")
    print(f"Source of every row: {rows[0]['source']}. Conditions: {rows[0]['conditions']}. Split by "
          "sequence-length pair: `fit` rows (128/128, 128/4096, 1000/1000, 2048/128, 5000/500) fitted 3 "
          "continuous and 2 discrete defaults of `optimized`; `report` rows (the other five pairs) were never "
          "used in fitting.")
    for split in ("fit", "report"):
        rs = [r for r in rows if r["split"] == split]
        e, pred = errors(rs, OPTIMIZED)
        print(f"\n**{split} rows**: median |error| {np.median(np.abs(e)):.1%}, max {np.max(np.abs(e)):.1%} "
              f"({len(rs)} rows)\n")
        print("| model | GPU | TP | ISL/OSL | published tok/s | predicted | error |")
        print("|---|---|---|---|---|---|---|")
        for r, p, v in zip(rs, pred, e, strict=True):
            print(f"| {r['model']} | {r['hardware']} | {r['tp']} | {r['isl']}/{r['osl']} | "
                  f"{r['output_tokens_per_s']:,} | {p:,.0f} | {v:+.1%} |")

    others = [r for r in public_rows() if r["_file"] != "published_throughput.jsonl"]
    print(f"\n## Other public rows (perf/data/*.jsonl): {len(others)} rows\n")
    if others:
        print("| file | model | GPU | engine | precision | shape | split | published | predicted | error |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        errs: dict[tuple, list[float]] = {}
        for r in others:
            got = predict_public(r)
            shape = f"{r['isl']}/{r['osl']}" if "isl" in r else f"b={r.get('batch')}"
            if got is None:
                print(f"| {r['_file']} | {r['model']} | {r['hardware']} | {r.get('engine', '')} | {r['precision']} | "
                      f"{shape} | {r['split']} | - | not predicted | - |")
                continue
            fam, eng, pred, meas = got
            e = pred / meas - 1
            if serving_bound(r):
                fam = f"{fam} (Triton, not modelled)"
            errs.setdefault((fam, eng, r["split"]), []).append(abs(e))
            print(f"| {r['_file']} | {r['model']} | {r['hardware']} | {eng} | {r['precision']} | {shape} | "
                  f"{r['split']} | {meas:,.0f} | {pred:,.0f} | {e:+.1%} |")
        print("\n| family | engine | split | rows | median abs error | max |\n|---|---|---|---|---|---|")
        for (fam, eng, split), v in sorted(errs.items()):
            print(f"| {fam} | {eng} | {split} | {len(v)} | {np.median(v):.1%} | {max(v):.1%} |")

    groups, skipped = residual_groups(_RESIDUALS["h200"], _RESIDUALS["cpu"])
    per, hit, tot = coverage(groups)
    print("\n## Error bars: residual groups (held-out rows) and 80% interval coverage\n")
    print("Residual = ln(measured time / predicted time); an interval at quantile q multiplies the prediction "
          "by exp(-residual quantile 1-q). Coverage: two-fold cross-validation within each group "
          f"(intervals from one half, checked on the other). Public rows skipped (not in catalog): {skipped}.\n")
    print("| group | rows | p10 | p50 | p90 | 80% interval covers |\n|---|---|---|---|---|---|")
    from infercost.perf.uncertainty import _quantile

    for k, xs in groups.items():
        cov = f"{per[k][0]}/{per[k][1]}" if k in per else "too few rows"
        print(f"| {k} | {len(xs)} | {_quantile(xs, 0.1):+.3f} | {_quantile(xs, 0.5):+.3f} | "
              f"{_quantile(xs, 0.9):+.3f} | {cov} |")
    print(f"\noverall coverage of the 80% interval: {hit}/{tot} = {hit / max(tot, 1):.0%} (target 70-90%)")
    global GROUPS
    GROUPS = groups
    profiles_tables()


_RESIDUALS: dict = {}
GROUPS: dict = {}


def write_residuals(groups) -> Path:
    """Write perf/data/residuals.json from this run's held-out residuals."""
    import json

    path = ROOT / "src" / "infercost" / "perf" / "data" / "residuals.json"
    data = {"generated_by": "benchmarks/bench_perf_fidelity.py --write docs/perf.md",
            "definition": "ln(measured time / predicted time) of held-out rows, per family|engine",
            "groups": {k: {"log_residuals": v} for k, v in groups.items()}}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    return path


ENGINE_OF = {"tensorrt-llm (pytorch backend)": "tensorrt"}


def _engine(name: str) -> str:
    n = str(name).lower()
    if n in ENGINE_OF:
        return ENGINE_OF[n]
    for k in ("tensorrt", "vllm", "sglang", "hf-eager"):
        if k in n:
            return k
    return "optimized"


def public_rows():
    """Every public row in perf/data/*.jsonl with a throughput figure (see module docstring)."""
    import json

    out = []
    for f in sorted((resources.files("infercost.perf") / "data").iterdir(), key=lambda x: x.name):
        if not f.name.endswith(".jsonl"):
            continue
        for x in f.read_text().splitlines():
            r = json.loads(x) if x.strip() else {}
            split = {"holdout": "report", "held-out": "report"}.get(r.get("split"), r.get("split"))
            if ("output_tokens_per_s" in r or "samples_per_s" in r) and split in ("fit", "report"):
                out.append({**r, "split": split, "_file": f.name})
    return out


def predict_public(r):
    """(family, engine, predicted, measured) for one public row, or None when it cannot be predicted."""
    from infercost.core.catalog import load_catalog
    from infercost.errors import InputError
    from infercost.perf import build_profile
    from infercost.perf.throughput import forward_load, max_load
    from infercost.perf.uncertainty import perf_family

    cat = load_catalog()
    eng = r.get("profile") or _engine(r.get("engine", "optimized"))
    try:
        m, hw = cat.get_model(r["model"]), cat.get_hardware(r["hardware"])
        fam = perf_family(m)
        prof = build_profile(m, r["precision"], hw, gpus=int(r.get("gpus", 1)), tp=int(r.get("tp", 1)), engine=eng)
        if "output_tokens_per_s" in r and "batch" in r:  # one static batch: prefill + osl - 1 decode steps
            b, isl, osl = int(r["batch"]), int(r["isl"]), int(r["osl"])
            return fam, eng, b * osl / prof.batch_seconds(b, isl, osl), r["output_tokens_per_s"]
        if "output_tokens_per_s" in r:
            return fam, eng, max_load(prof, int(r["isl"]), int(r["osl"]))["output_tokens_per_s"], \
                r["output_tokens_per_s"]
        return fam, eng, forward_load(prof, int(r["batch"]), r.get("seq_len"))["samples_per_s"], \
            r["samples_per_s"]
    except (InputError, KeyError, ValueError):
        return None


def serving_bound(r) -> bool:
    """Rows whose metric includes a serving stack's client and transport overhead (Triton
    perf_analyzer): the performance model times the engine only, so these rows are shown
    but kept out of the residuals and the per-family figures."""
    return "triton" in str(r.get("engine", "")).lower() or "client overhead" in str(r.get("conditions", "")).lower()


def residual_groups(h200_loo, cpu_rows):
    """family|engine -> ln(measured time / predicted time) of held-out rows only."""
    import math

    groups: dict[str, list[float]] = {}
    fam = {"prefill": "decoder", "decode": "decoder", "encoder": "encoder", "vision": "vision"}
    for r in h200_loo:
        groups.setdefault(f"{fam[r['kind']]}|hf-eager", []).append(math.log(r["measured_s"] / r["predicted_s"]))
    for r in cpu_rows:
        groups.setdefault(f"{fam[r['kind']]}|hf-eager-cpu", []).append(math.log(r["measured_s"] / r["predicted_s"]))
    skipped = 0
    for r in public_rows():
        if r["split"] != "report" or serving_bound(r):
            continue
        got = predict_public(r)
        if got is None:
            skipped += 1
            continue
        family, eng, pred, meas = got
        groups.setdefault(f"{family}|{eng}", []).append(math.log(pred / meas))  # time ratio = rate ratio inverted
    return {k: sorted(round(x, 5) for x in v) for k, v in sorted(groups.items())}, skipped


def coverage(groups):
    """Two-fold cross-validated coverage of the 80% interval, per group and overall."""
    from infercost.perf.uncertainty import residual_quantile as _quantile

    hit = tot = 0
    per = {}
    for k, xs in groups.items():
        if len(xs) < 4:
            continue
        a, b = xs[0::2], xs[1::2]
        h = 0
        for train, test in ((a, b), (b, a)):
            lo, hi = _quantile(train, 0.1), _quantile(train, 0.9)
            h += sum(lo <= x <= hi for x in test)
        per[k] = (h, len(xs))
        hit += h
        tot += len(xs)
    return per, hit, tot


BEGIN, END = "<!-- fidelity:begin (benchmarks/bench_perf_fidelity.py --write) -->", "<!-- fidelity:end -->"


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--write" in args:
        target = Path(args[args.index("--write") + 1])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            main(args)
        text = target.read_text()
        body = buf.getvalue().replace("\n## ", "\n### ").strip()
        text = text[: text.index(BEGIN) + len(BEGIN)] + "\n\n" + body + "\n\n" + text[text.index(END):]
        target.write_text(text)
        print(f"wrote {target}")
        print(f"wrote {write_residuals(GROUPS)}")
    else:
        main(args)
