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
        from decimal import Decimal

        from infercost.cli.common import print_json
        from infercost.core.scenario import load_scenario
        from infercost.errors import InputError
        from infercost.finance.pnl import segment_pnl

        sc = load_scenario(scenario, set_ or [])
        if not sc.segments:
            raise InputError("pnl needs `segments:`", f"{scenario}: segments")
        placed = {}
        if sc.pipeline is not None:
            from infercost.cli.place import placements

            placed = {p.segment: p for p in placements(sc, scenario)}
        est = None

        def breakdown():
            nonlocal est
            if est is None:
                from infercost import api

                est = api.estimate(sc, catalog=catalog).breakdown
            return est

        rows = []
        for seg in sc.segments:
            if seg.cost_per_inference is not None:
                cpi, src = seg.cost_per_inference, "segment"
            elif seg.name in placed:
                b = breakdown()
                other = (b.total.amount - b.group_total("accelerator").amount) / b.inferences \
                    if b.inferences else Decimal(0)
                cpi, src = placed[seg.name].per_request + other, "placement + estimate's other costs"
            else:
                cpi, src = breakdown().cost_per_inference.amount, "estimate"
            rows.append(segment_pnl(seg, Decimal(cpi), src))
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
