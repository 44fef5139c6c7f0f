"""Fit the `optimized` engine defaults on the 'fit' rows of the published TensorRT-LLM
throughput table and report the error on the 'report' rows.

    .venv/bin/python benchmarks/bench_perf_published.py          # report with current defaults
    .venv/bin/python benchmarks/bench_perf_published.py --fit    # refit, print the parameters

Rows: src/infercost/perf/data/published_throughput.jsonl (each with its source and conditions).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
from importlib import resources

import numpy as np


def load_rows():
    text = (resources.files("infercost.perf") / "data" / "published_throughput.jsonl").read_text()
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def predict(rows, eff):
    from infercost.core.catalog import load_catalog
    from infercost.perf.precision import parse_precision
    from infercost.perf.profile import PerfProfile
    from infercost.perf.throughput import max_load

    cat = load_catalog()
    out = []
    for r in rows:
        prof = PerfProfile(cat.get_model(r["model"]), parse_precision(r["precision"]),
                           cat.get_hardware(r["hardware"]), eff, tp=r["tp"], gpus=r["gpus"], engine=eff.name)
        out.append(max_load(prof, r["isl"], r["osl"])["output_tokens_per_s"])
    return out


def errors(rows, eff):
    pred = predict(rows, eff)
    return [(p - r["output_tokens_per_s"]) / r["output_tokens_per_s"] for p, r in zip(pred, rows, strict=True)], pred


def fit(rows):
    from infercost.perf.calibrate import nelder_mead
    from infercost.perf.engines import OPTIMIZED

    best = None
    for kv_fp8, reserve in itertools.product((True, False), ("full", "mean")):
        base = OPTIMIZED.with_(kv_fp8=kv_fp8, kv_reserve=reserve)

        def build(x, base=base):
            return base.with_(compute_eff={**base.compute_eff, "default": min(0.95, math.exp(x[0]))},
                              bw_eff=min(0.90, math.exp(x[1])), t_step=math.exp(x[2]))

        def obj(x, build=build):
            e, _ = errors(rows, build(x))
            return float(sum(math.log1p(v) ** 2 for v in e))

        x, val = nelder_mead(obj, [math.log(0.6), math.log(0.8), math.log(1e-3)], step=0.2, iters=60)
        if best is None or val < best[0]:
            best = (val, build(x))
    return best[1]


def main(argv):
    from infercost.perf.engines import OPTIMIZED

    rows = load_rows()
    fit_rows = [r for r in rows if r["split"] == "fit"]
    rep_rows = [r for r in rows if r["split"] == "report"]
    eff = fit(fit_rows) if "--fit" in argv else OPTIMIZED
    if "--fit" in argv:
        print("fitted:", {"compute_eff": eff.compute_eff, "bw_eff": eff.bw_eff, "t_step": eff.t_step,
                          "kv_fp8": eff.kv_fp8, "kv_reserve": eff.kv_reserve})
    for name, rs in (("fit", fit_rows), ("report", rep_rows)):
        e, pred = errors(rs, eff)
        print(f"\n{name} rows: median |err| {np.median(np.abs(e)):.1%}  max {np.max(np.abs(e)):.1%}")
        for r, p, v in zip(rs, pred, e, strict=True):
            print(f"  {r['model']:14s} {r['hardware']:9s} tp{r['tp']} {r['isl']:>5d}/{r['osl']:<5d} "
                  f"published {r['output_tokens_per_s']:>7,.0f}  predicted {p:>9,.0f}  {v:+.1%}")


if __name__ == "__main__":
    main(sys.argv[1:])
