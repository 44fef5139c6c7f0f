"""`infercost roadmap SCENARIO`: projected cost per inference under planned milestones."""

from __future__ import annotations

import typer

from infercost.cli.options import CatalogOpt, ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def roadmap(scenario: ScenarioArg, set_: SetOpt = None, catalog: CatalogOpt = None,
                json_: JsonOpt = False, md: MdOpt = False, csv: CsvOpt = None, xlsx: XlsxOpt = None,
                html: HtmlOpt = None) -> None:
        """Cost per inference month by month as milestones land, against a target, with savings."""
        from infercost import api
        from infercost.cli.outputs import emit

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        res = api.roadmap(scenario, catalog=catalog, **api.overrides_from_sets(set_))
        d = {"scenario": sc.name, "currency": sc.currency, "applies_to": sc.roadmap.applies_to,
             **res.to_dict()}
        emit(d, roadmap_tables(d), roadmap_charts(d), f"{sc.name}: cost per inference roadmap",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html)


def roadmap_tables(d: dict) -> list:
    """The roadmap dict as one table: the first and last months, milestone months and the month
    the target is reached (every month is in the chart and `--json`)."""
    from decimal import Decimal

    from infercost.report.tables import Table

    months = d["months"]
    target = d["target_cost_per_inference"]
    hit = d["target_reached_month"]
    from infercost.report.terminal import sig_txt

    rows, raw = [], []
    for m in months:
        if m["milestones"] or m["month"] in (0, len(months) - 1) or m["month"] == hit:
            cpi = Decimal(m["cost_per_inference"])
            gap = "-" if target is None else f"{cpi - Decimal(target):+.6f}"
            kwh, g = m.get("kwh_per_1k_inferences"), m.get("gco2e_per_1k_inferences")
            rows.append([str(m["month"]), f"{cpi:.6f}", gap, f"{Decimal(m['savings']):,.0f}",
                         "-" if kwh is None else sig_txt(kwh), "-" if g is None else sig_txt(g),
                         ", ".join(m["milestones"])])
            raw.append([m["month"], m["cost_per_inference"], None if target is None else str(cpi - Decimal(target)),
                        m["savings"], kwh, g, ", ".join(m["milestones"])])
    reach = "not reached" if hit is None else f"month {hit} from now"
    note = (f"target {target if target is not None else '-'}: {reach}; "
            f"savings over {len(months)} months: {Decimal(d['total_savings']):,.0f}")
    notes = [note, *(f"energy (kWh, gCO2e per 1k inferences): {n}" for n in d.get("energy_notes", []))]
    return [Table(f"{d['scenario']}: cost per inference roadmap ({d['currency']})",
                  ["month", "cost/inf", "vs target", "savings", "kWh/1k", "gCO2e/1k", "milestone"], rows,
                  notes, raw_rows=raw)]


def roadmap_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    x = [m["month"] for m in d["months"]]
    series = [Series("cost per inference", x, [float(m["cost_per_inference"]) for m in d["months"]],
                     [", ".join(m["milestones"]) for m in d["months"]])]
    if d["target_cost_per_inference"] is not None:
        series.append(Series("target", x, [float(d["target_cost_per_inference"])] * len(x)))
    return [Chart("line", "cost per inference by month", "month from now",
                  f"{d['currency']} per inference", series)]
