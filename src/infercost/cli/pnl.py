"""`infercost pnl SCENARIO`: P&L per customer segment and the price that reaches a target margin."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="override a key: path=value (repeatable)")]
CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="YAML overriding or adding catalog entries")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def register(app: typer.Typer) -> None:
    @app.command()
    def pnl(scenario: ScenarioArg, set_: SetOpt = None, catalog: CatalogOpt = None, json_: JsonOpt = False) -> None:
        """Revenue, cost, gross margin and contribution per customer segment per month.

        Cost per inference: the segment's own figure, else its pipeline placement (`place`)
        plus the estimate's non-accelerator costs per inference (review, storage, ...), else
        the scenario's estimate.
        """
        from infercost import api
        from infercost.cli.common import print_json
        from infercost.cli.tco import with_file
        from infercost.errors import InputError

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        try:
            rows = api.pnl(sc, catalog=catalog)
        except InputError as e:
            raise with_file(e, scenario) from None
        if json_:
            print_json({"scenario": sc.name, "currency": sc.currency, "segments": [r.to_dict() for r in rows]})
            return
        from rich.console import Console
        from rich.table import Table

        tab = Table(title=f"{sc.name}: P&L per segment ({sc.currency} per month)", title_justify="left")
        for h in ("segment", "revenue", "cost", "contrib.", "margin", "$/inf", "price@tgt"):
            tab.add_column(h, justify="left" if h == "segment" else "right")
        for r in rows:
            gm = "-" if r.gross_margin is None else f"{r.gross_margin:.0%}"
            tab.add_row(r.segment, f"{r.revenue:,.0f}", f"{r.cost:,.0f}", f"{r.contribution:,.0f}", gm,
                        f"{r.cost_per_inference:.4f}",
                        "-" if r.price_for_target is None else f"{r.price_for_target:.4f}")
        Console(width=80).print(tab)
