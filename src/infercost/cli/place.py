"""`infercost place SCENARIO`: the cheapest valid edge / cloud placement per customer segment."""

from __future__ import annotations

import typer

from infercost.cli.options import ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def place(scenario: ScenarioArg, set_: SetOpt = None, json_: JsonOpt = False, md: MdOpt = False,
              csv: CsvOpt = None, xlsx: XlsxOpt = None, html: HtmlOpt = None) -> None:
        """Place each pipeline component on edge or cloud, per customer segment: the cheapest
        placement that keeps on-site data on site and meets the latency budget."""
        from infercost import api
        from infercost.cli.outputs import emit

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        res = api.place(scenario, **api.overrides_from_sets(set_))  # names the file on error
        d = {"scenario": sc.name, "currency": sc.currency, "placements": [p.to_dict() for p in res]}
        emit(d, place_tables(d), place_charts(d), f"{sc.name}: placement per segment",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html)


def place_tables(d: dict) -> list:
    """The placement dict as one table (display rounding only)."""
    from decimal import Decimal

    from infercost.report.tables import Table

    rows = []
    for p in d["placements"]:
        where = ", ".join(f"{c}@{o}" for c, o in p["assignment"].items())
        rows.append([p["segment"], where, f"{Decimal(p['compute_per_month']):,.0f}",
                     f"{Decimal(p['transfer_per_month']):,.0f}", f"{Decimal(p['cost_per_request']):.5f}",
                     f"{p['latency_ms']:,.0f}"])
    notes = list(d["placements"][0]["notes"]) if d["placements"] else []
    return [Table(f"{d['scenario']}: placement per segment ({d['currency']} per month)",
                  ["segment", "placement", "compute", "transfer", "per req", "ms"], rows, notes)]


def place_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    segs = [p["segment"] for p in d["placements"]]
    return [Chart("bar", "monthly compute vs transfer per segment", "segment", f"{d['currency']} per month",
                  [Series("compute", segs, [float(p["compute_per_month"]) for p in d["placements"]]),
                   Series("transfer", segs, [float(p["transfer_per_month"]) for p in d["placements"]])])]
