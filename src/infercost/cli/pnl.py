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

        Cost per inference: the segment's own figure, else its pipeline placement (`place`)
        plus the estimate's non-accelerator costs per inference (review, storage, ...), else
        the scenario's estimate.
        """
        from infercost import api
        from infercost.cli.outputs import emit

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        rows = api.pnl(scenario, catalog=catalog, **api.overrides_from_sets(set_))
        d = {"scenario": sc.name, "currency": sc.currency, "segments": [r.to_dict() for r in rows]}
        emit(d, pnl_tables(d), pnl_charts(d), f"{sc.name}: P&L per segment",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html)


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
                     "-" if tgt is None else f"{Decimal(tgt):.4f}"])
    return [Table(f"{d['scenario']}: P&L per segment ({d['currency']} per month)",
                  ["segment", "revenue", "cost", "contrib.", "margin", "per inf", "price@tgt"], rows)]


def pnl_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    segs = [s["segment"] for s in d["segments"]]
    return [Chart("bar", "revenue vs cost per segment", "segment", f"{d['currency']} per month",
                  [Series("revenue", segs, [float(s["revenue_per_month"]) for s in d["segments"]]),
                   Series("cost", segs, [float(s["cost_per_month"]) for s in d["segments"]])])]
