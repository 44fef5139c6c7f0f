"""`infercost estimate SCENARIO`: the itemised monthly cost per inference."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from infercost.cli.options import CatalogOpt, OptionOpt, ScenarioArg, SetOpt, VerboseOpt

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def register(app: typer.Typer) -> None:
    @app.command()
    def estimate(
        scenario: ScenarioArg,
        set_: SetOpt = None,
        catalog: CatalogOpt = None,
        option: OptionOpt = None,
        json_: JsonOpt = False,
        verbose: VerboseOpt = False,
    ) -> None:
        """Predict the monthly cost per inference of a scenario, itemised by component."""
        from infercost import api
        from infercost.cli.common import print_json

        result = api.estimate(scenario, catalog=catalog, option=option,
                              **api.overrides_from_sets(set_))
        import shutil
        import textwrap

        width = max(40, shutil.get_terminal_size((80, 24)).columns)
        for note in result.service.notes:  # e.g. a service time faster than physics
            print(textwrap.fill(f"warning: {note}", width, subsequent_indent="  "), file=sys.stderr)
        if json_:
            print_json(result.to_dict())
        else:
            from infercost.report.terminal import print_breakdown

            print_breakdown(result.breakdown, title=f"{result.scenario.name}: estimated monthly cost",
                            subtitle=result.service.source, verbose=verbose)
