"""`infercost estimate SCENARIO`: the itemised monthly cost per inference."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="override a key: path=value (repeatable)")]
CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="YAML overriding or adding catalog entries")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
OptionOpt = Annotated[Optional[str], typer.Option("--option", help="apply a named variant from `options:`")]


def register(app: typer.Typer) -> None:
    @app.command()
    def estimate(
        scenario: ScenarioArg,
        set_: SetOpt = None,
        catalog: CatalogOpt = None,
        option: OptionOpt = None,
        json_: JsonOpt = False,
    ) -> None:
        """Predict the monthly cost per inference of a scenario, itemised by component."""
        from infercost.capacity.estimate import estimate as run
        from infercost.cli.common import print_json
        from infercost.core.catalog import load_catalog
        from infercost.core.scenario import apply_option, load_scenario

        sc = load_scenario(scenario, set_ or [])
        if option:
            sc = apply_option(sc, option)
        result = run(sc, load_catalog(catalog))
        for note in result.service.notes:  # e.g. a service time faster than physics
            print(f"warning: {note}", file=sys.stderr)
        if json_:
            print_json(result.to_dict())
        else:
            from infercost.report.terminal import print_breakdown

            print_breakdown(result.breakdown, title=f"{sc.name}: estimated monthly cost",
                            subtitle=result.service.source)
