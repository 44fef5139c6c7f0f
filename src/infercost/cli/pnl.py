"""`infercost pnl SCENARIO`: P&L per customer segment and the price that reaches a target margin."""

from __future__ import annotations

import typer

from infercost.cli.options import CatalogOpt, ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def pnl(scenario: ScenarioArg, set_: SetOpt = None, catalog: CatalogOpt = None, json_: JsonOpt = False,
            md: MdOpt = False, csv: CsvOpt = None, xlsx: XlsxOpt = None, html: HtmlOpt = None) -> None:
        """Revenue, cost, gross margin and contribution per customer segment per month.

        Cost = requests x variable cost per inference + a share of the fixed costs. Variable
        cost per inference: the segment's own figure, else its pipeline placement (`place`)
        plus the estimate's other variable costs per inference (review, egress, ...), else the
        estimate's. Fixed costs (the estimate's lines priced by the month: engineering,
        licensing per month, storage) are counted once and split by share of requests.
        """
        from infercost import api
        from infercost.cli.outputs import emit

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        rows = api.pnl(scenario, catalog=catalog, **api.overrides_from_sets(set_))
        d = {"scenario": sc.name, "currency": sc.currency, "segments": [r.to_dict() for r in rows],
             "notes": list(rows.notes)}
        tables = pnl_tables(d)
        emit(d, tables, pnl_charts(d), f"{sc.name}: P&L per segment",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html, csv_table=pnl_csv_table(d, tables[0]))


def pnl_tables(d: dict) -> list:
    """The P&L dict as one table (display rounding only)."""
    from decimal import Decimal

    from infercost.report.tables import Table

    rows = []
    for s in d["segments"]:
        gm = "-" if s["gross_margin"] is None else f"{s['gross_margin']:.0%}"
        tgt = s["price_per_request_for_target"]
        rows.append([s["segment"], f"{Decimal(s['revenue_per_month']):,.0f}",
                     f"{Decimal(s['cost_per_month']):,.0f}", f"{Decimal(s['contribution_per_month']):,.0f}",
                     gm, f"{Decimal(s['cost_per_inference']):.4f}",
                     f"{Decimal(s['fixed_cost_per_month']):,.0f}",
                     "-" if tgt is None else f"{Decimal(tgt):.4f}"])
    from infercost.cli.place import segment_energy_table

    segs = d["segments"]
    why = {s["segment"]: s["energy_note"] for s in segs if s.get("energy_note")}
    return [Table(f"{d['scenario']}: P&L per segment ({d['currency']} per month)",
                  ["segment", "revenue", "cost", "contrib.", "margin", "per inf", "fixed", "price@tgt"], rows,
                  list(d.get("notes", []))),
            segment_energy_table([(s["segment"], s.get("energy")) for s in segs], why)]


def pnl_csv_table(d: dict, main):
    """The P&L table with the energy columns (CSV has one table), cells as machine values:
    money as the exact decimal strings of `--json`, energy as floats, empty where not modelled."""
    from infercost.cli.place import ENERGY_COLUMNS, energy_cells, energy_raw
    from infercost.report.tables import Table

    segs = d["segments"]
    rows = [r + energy_cells(s.get("energy")) for r, s in zip(main.rows, segs, strict=True)]
    raw = [[s["segment"], s["revenue_per_month"], s["cost_per_month"], s["contribution_per_month"],
            s["gross_margin"], s["cost_per_inference"], s["fixed_cost_per_month"],
            s["price_per_request_for_target"],
            *energy_raw(s.get("energy"))] for s in segs]
    return Table(main.title, main.columns + ENERGY_COLUMNS, rows, main.notes, raw_rows=raw)


def pnl_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    segs = [s["segment"] for s in d["segments"]]
    return [Chart("bar", "revenue vs cost per segment", "segment", f"{d['currency']} per month",
                  [Series("revenue", segs, [float(s["revenue_per_month"]) for s in d["segments"]]),
                   Series("cost", segs, [float(s["cost_per_month"]) for s in d["segments"]])])]
