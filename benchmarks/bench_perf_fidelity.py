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

    sys.path.insert(0, str(ROOT))
    from benchmarks.bench_perf_published import errors, load_rows

    from infercost.perf.engines import OPTIMIZED

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
    else:
        main(args)
