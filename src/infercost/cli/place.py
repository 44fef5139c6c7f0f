"""`infercost place SCENARIO`: the cheapest valid edge / cloud placement per customer segment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="override a key: path=value (repeatable)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def placements(sc, scenario: Path) -> list:
    from infercost import api
    from infercost.cli.tco import with_file
    from infercost.errors import InputError

    try:
        return api.place(sc)
    except InputError as e:
        raise with_file(e, scenario) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def place(scenario: ScenarioArg, set_: SetOpt = None, json_: JsonOpt = False) -> None:
        """Place each pipeline component on edge or cloud, per customer segment: the cheapest
        placement that keeps on-site data on site and meets the latency budget."""
        from infercost import api
        from infercost.cli.common import print_json

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        res = placements(sc, scenario)
        if json_:
            print_json({"scenario": sc.name, "currency": sc.currency, "placements": [p.to_dict() for p in res]})
            return
        from rich.console import Console
        from rich.table import Table

        con = Console(width=80)
        tab = Table(title=f"{sc.name}: placement per segment ({sc.currency} per month)", title_justify="left")
        for h in ("segment", "placement", "compute", "transfer", "per req", "ms"):
            tab.add_column(h, justify="left" if h in ("segment", "placement") else "right")
        for p in res:
            where = ", ".join(f"{c}@{o}" for c, o in p.assignment.items())
            tab.add_row(p.segment, where, f"{p.compute_per_month:,.0f}", f"{p.transfer_per_month:,.0f}",
                        f"{p.per_request:.5f}", f"{p.latency_ms:,.0f}")
        con.print(tab)
        for n in res[0].notes:
            con.print(f"  note: {n}")
