"""`infercost demo --out DIR`: every engine on bundled data, one report.

Runs `estimate` on each example scenario, its cost-per-inference-against-traffic and
latency-against-throughput curves, `compare` on those with `options:`, the simulator on the
spike example (seed 0, as `infercost simulate`) and attribution on a generated month, then
writes `summary.json`, `summary.md` and a self-contained `index.html` (plotly inline, works
offline) into DIR. Files are written whole or not at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

EXAMPLES = ("chatbot", "sentiment-bert", "recsys-spike", "hybrid-healthcare")


def find_examples(folder: Path) -> list[Path]:
    from infercost.errors import InputError

    if not folder.is_dir():
        raise InputError("examples folder not found (run from the repository root or pass --examples)",
                         str(folder))
    return [folder / f"{n}.yaml" for n in EXAMPLES if (folder / f"{n}.yaml").exists()]


def run_demo(out: Path, examples: Path) -> dict:
    """Run the demo into `out`; returns the summary dict written to summary.json."""
    from rich.progress import Progress

    from infercost import api
    from infercost.cli.common import dumps, write_atomic
    from infercost.core.catalog import load_catalog
    from infercost.errors import InputError
    from infercost.report.summary import estimate_markdown

    if out.exists() and not out.is_dir():
        raise InputError("exists and is not a folder; --out needs a folder (new or existing)",
                         f"--out {out}")
    catalog = load_catalog()
    files = find_examples(examples)
    summary: dict = {"estimates": {}, "simulations": {}, "attribution": None,
                     "comparisons": {}, "curves": {}, "attribution_rollups": {}}
    md = ["# infercost demo", "", "Estimated monthly cost per inference for the bundled examples.", ""]
    steps = [("estimate", f) for f in files] + [("curves", f) for f in files]
    steps += [("compare", f) for f in files if api.load_scenario(f).options]
    steps += [("simulate", f) for f in files if f.stem == "recsys-spike"]
    steps.append(("attribute", None))
    with Progress(transient=True) as progress:
        task = progress.add_task("demo", total=len(steps))
        for kind, f in steps:
            progress.update(task, description=f"{kind} {f.stem if f else 'bundled month'}")
            if kind == "estimate":
                d = api.estimate(f, catalog=catalog).to_dict()
                summary["estimates"][f.stem] = d
                md.append(estimate_markdown(f.stem, d))
            elif kind == "curves":
                summary["curves"][f.stem] = {
                    "cost": [p.to_dict() for p in api.cost_curve(f, catalog=catalog)],
                    "latency": api.latency_curve(f, catalog=catalog).to_dict()}
            elif kind == "compare":
                summary["comparisons"][f.stem] = api.compare(f, catalog=catalog).to_dict()
            elif kind == "simulate":
                sim = _simulate(f, catalog)
                if sim is not None:
                    summary["simulations"][f.stem] = sim
                    md.append(_sim_md(f.stem, sim))
            else:
                att = _attribute(out)
                summary["attribution"] = att.summary
                summary["attribution_rollups"] = {
                    name: [r.to_dict() for r in att.rollup(*keys)]
                    for name, keys in (("model_tenant", ("model", "tenant")), ("day", ("period",)),
                                       ("model_tenant_day", ("model", "tenant", "period")))}
                md.append(_att_md(att.summary))
            progress.advance(task)
    write_atomic(out / "summary.json", dumps(summary) + "\n")
    write_atomic(out / "summary.md", "\n".join(md))
    import json

    from infercost.report.html import demo_html

    write_atomic(out / "index.html", demo_html(json.loads(dumps(summary))))  # what summary.json holds
    return summary


def _simulate(path: Path, catalog) -> dict | None:
    from infercost import api

    return api.simulate(path, catalog=catalog).to_dict()  # the CLI's default seed (0)


def _sim_md(name: str, d: dict) -> str:
    lat, req = d.get("latency_ms", {}), d.get("requests", {})
    lines = [f"### simulated: {name}", "",
             f"- requests arrived {req.get('arrived')}, served {req.get('served')}, "
             f"dropped {req.get('dropped')}; latency p50 {lat.get('p50')} ms, p99 {lat.get('p99')} ms",
             f"- utilisation {d.get('utilization')}; SLO attainment {d.get('slo_attainment')}; "
             f"cost per inference {d.get('cost_per_inference')} {d.get('cost', {}).get('currency', '')}"]
    from infercost.report.summary import energy_markdown

    e = energy_markdown((d.get("cost") or {}).get("facts", {}).get("energy"), "over the simulated run")
    if e:
        lines.append(e)
    phases = d.get("phases") or {}
    if phases:
        lines += ["", "| phase | arrived | dropped | p99 latency (ms) | mean replicas | accelerator cost / inference |",
                  "|---|---:|---:|---:|---:|---:|"]
        for ph, v in phases.items():
            lines.append(f"| {ph} | {v['arrived']} | {v['dropped']} | {v['latency_p99_ms']} | "
                         f"{v['replicas_mean']} | {v['accelerator_cost_per_inference']} |")
    return "\n".join(lines) + "\n"


def _attribute(out: Path):
    from infercost import api

    inputs = api.demo_inputs(out)
    return api.attribute(inputs.bill, inputs.usage, rules=inputs.rules, out=out / "attribution")


def _att_md(d: dict) -> str:
    from decimal import Decimal

    from infercost.report.html import ATTRIBUTION_LINES
    from infercost.report.terminal import money_txt

    t, cur = d.get("totals", {}), d.get("currency", "")
    lines = ["### attributed: the bundled month", ""]
    for k, label in ATTRIBUTION_LINES:
        lines.append(f"- {label}: {money_txt(Decimal(str(t.get(k, 0))))} {cur}")
    lines.append(f"- bill total: {money_txt(Decimal(str(t.get('bill', 0))))} {cur}")
    cons = d.get("conservation")
    if isinstance(cons, dict):
        lines.append(f"- conservation ({'holds' if cons.get('holds') else 'BROKEN'}): {cons.get('line')}")
    for drv in d.get("drivers", [])[:6] if isinstance(d.get("drivers"), list) else []:
        lines.append(f"- driver: {drv['driver']}: {money_txt(Decimal(str(drv['cost'])))} {cur} ({drv['share']})"
                     if isinstance(drv, dict) else f"- driver: {drv}")
    from infercost.cli.attribute import energy_lines

    lines += [f"- {ln.strip()}" for ln in energy_lines(d.get("energy"))]
    return "\n".join(lines) + "\n"


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        out: Annotated[Path, typer.Option("--out", help="folder for the report")] = Path("report"),
        examples: Annotated[Path, typer.Option("--examples", help="folder of example scenarios")] = Path("examples"),
        json_: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="print each main driver in full")] = False,
    ) -> None:
        """Run the bundled examples end to end and write index.html (the report: open it in a
        browser), summary.md and summary.json into --out."""
        import sys

        from infercost.cli.common import print_json

        summary = run_demo(out, examples)
        if json_:
            print_json(summary)
            print(f"report written to {out / 'index.html'}", file=sys.stderr)
            return
        print_demo(summary, out, verbose)


def print_demo(summary: dict, out: Path, verbose: bool = False) -> None:
    """The demo's estimates as one table readable at 80 columns (names whole, the main
    driver shortened to two lines; in full with `verbose`)."""
    from decimal import Decimal

    from infercost.report.terminal import (
        GAP,
        esc,
        fit,
        make_console,
        new_table,
        per_unit_txt,
        print_details,
        print_wrapped,
        short_driver,
    )

    con = make_console()
    ests = summary["estimates"]
    curs = sorted({d["currency"] for d in ests.values()})
    cur = curs[0] if len(curs) == 1 else ""
    rows = []
    for name, d in ests.items():
        tot = d["total"]
        rows.append([name, f"{float(tot['monthly_cost']):,.0f}" + ("" if cur else f" {d['currency']}"),
                     per_unit_txt(Decimal(tot["per_inference"])), f"{d['facts']['utilization']:.1%}",
                     d["main_driver"]])
    heads = ["scenario", f"per month\n{cur}".rstrip(), "per\ninference", "utili-\nsation"]
    widths = [max([len(h.split("\n")[0]), *(len(r[i]) for r in rows)]) for i, h in enumerate(heads)]
    w_driver = max(20, con.width - sum(widths) - len(widths) * GAP)
    t = new_table("infercost demo: estimated cost per inference")
    for i, h in enumerate(heads):
        t.add_column(h, justify="left" if i == 0 else "right", no_wrap=True, min_width=widths[i])
    t.add_column("main driver", no_wrap=True, width=w_driver)
    for r in rows:
        t.add_row(*(esc(v) for v in r[:4]), esc(fit(short_driver(r[4]), w_driver)))
    con.print(t)
    if verbose:
        print_details(con, "main drivers", ((r[0], r[4]) for r in rows))
    print_wrapped(con, f"report written to {out / 'index.html'} (open it in a browser); the same "
                       f"figures in {out / 'summary.md'} and {out / 'summary.json'}")
