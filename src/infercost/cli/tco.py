"""`infercost tco SCENARIO`: 3-year TCO, rent vs buy, with the decision and its flip conditions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, OptionOpt, ScenarioArg, SetOpt

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
MdOpt = Annotated[bool, typer.Option("--md", help="print markdown")]
XlsxOpt = Annotated[Optional[Path], typer.Option("--xlsx", help="write a workbook with live formulas")]
HtmlOpt = Annotated[Optional[Path], typer.Option("--html", help="write an HTML report with charts")]
SimOpt = Annotated[bool, typer.Option("--simulate", help="take utilisation from the simulator")]


def register(app: typer.Typer) -> None:
    @app.command()
    def tco(
        scenario: ScenarioArg,
        set_: SetOpt = None,
        catalog: CatalogOpt = None,
        option: OptionOpt = None,
        json_: JsonOpt = False,
        md: MdOpt = False,
        xlsx: XlsxOpt = None,
        html: HtmlOpt = None,
        simulate: SimOpt = False,
    ) -> None:
        """Total cost of ownership over a horizon: rent (on-demand, spot, commitments) vs buy.

        Monthly cash flows, NPV, IRR and payback of buying, break-even utilisation, the
        conditions under which the recommendation flips, sensitivity, energy and carbon.
        """
        from infercost import api
        from infercost.cli.common import one_stdout, print_json
        from infercost.core.io import check_output_file

        one_stdout(json_, md)
        for path, opt in ((xlsx, "--xlsx"), (html, "--html")):
            if path is not None:
                check_output_file(path, opt)
        res = api.tco(scenario, simulate=simulate, catalog=catalog, option=option,
                      **api.overrides_from_sets(set_))
        dec, d = res.decision, res.to_dict()
        import sys

        for note in d["notes"]:  # as estimate warns: the scenario's fleet cannot serve its load
            if note.startswith("overloaded:"):
                print(f"warning: {note}", file=sys.stderr)
        sc_name = res.scenario
        if xlsx is not None:
            from infercost.report.xlsx import write_tco_workbook

            write_tco_workbook(dec, xlsx)
        if html is not None:
            from infercost.core.io import write_atomic
            from infercost.report.tco import html_report

            write_atomic(html, html_report(d, f"{sc_name}: total cost of ownership"))
        title = f"{sc_name}: total cost of ownership"
        if json_:
            print_json(d)
        elif md:
            from infercost.report.tco import markdown

            print(markdown(d, title))
        else:
            from infercost.report.tco import print_terminal

            print_terminal(d, title)
