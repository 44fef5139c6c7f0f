"""`infercost roadmap SCENARIO`: projected cost per inference under planned milestones."""

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
    def roadmap(scenario: ScenarioArg, set_: SetOpt = None, catalog: CatalogOpt = None,
                json_: JsonOpt = False) -> None:
        """Cost per inference month by month as milestones land, against a target, with savings."""
        from infercost import api
        from infercost.cli.common import print_json
        from infercost.cli.tco import with_file
        from infercost.errors import InputError

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        try:
            res = api.roadmap(sc, catalog=catalog)
        except InputError as e:
            raise with_file(e, scenario) from None
        if json_:
            print_json({"scenario": sc.name, "currency": sc.currency, "applies_to": sc.roadmap.applies_to,
                        **res.to_dict()})
            return
        from rich.console import Console
        from rich.table import Table

        con = Console(width=80)
        tab = Table(title=f"{sc.name}: cost per inference roadmap ({sc.currency})", title_justify="left")
        for h in ("month\nfrom now", "cost/inf", "vs target", "savings", "milestone"):
            tab.add_column(h, justify="left" if h == "milestone" else "right")
        for m in res.months:
            if m.milestones or m.month in (0, len(res.months) - 1) or m.month == res.target_month:
                gap = "-" if res.target is None else f"{m.cost_per_inference - res.target:+.6f}"
                tab.add_row(str(m.month), f"{m.cost_per_inference:.6f}", gap, f"{m.savings:,.0f}",
                            ", ".join(m.milestones))
        con.print(tab)
        reach = ("not reached" if res.target_month is None else f"month {res.target_month} from now")
        con.print(f"  target {res.target if res.target is not None else '-'}: {reach}; "
                  f"savings over {len(res.months)} months: {res.total_savings:,.0f}")
