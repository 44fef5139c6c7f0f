"""The decision commands' one output convention: `--json` and `--md` print to stdout;
`--csv F`, `--xlsx F`, `--html F` write files; else a terminal table (80 columns)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON to stdout")]
MdOpt = Annotated[bool, typer.Option("--md", help="print markdown (a pull-request comment) to stdout")]
CsvOpt = Annotated[Optional[Path], typer.Option("--csv", help="write the main table as CSV to this file")]
XlsxOpt = Annotated[Optional[Path], typer.Option("--xlsx", help="write an xlsx workbook of the tables")]
HtmlOpt = Annotated[Optional[Path], typer.Option("--html", help="write one self-contained HTML report")]


def emit(data: dict[str, Any], tables: list, charts: list, title: str, *, json_: bool = False,
         md: bool = False, csv: Path | None = None, xlsx: Path | None = None,
         html: Path | None = None, csv_table=None) -> None:
    """Write the requested outputs; the terminal tables when nothing goes to stdout.

    CSV holds one table: `csv_table` when given, else the first of `tables`."""
    from infercost.cli.common import one_stdout, print_json
    from infercost.core.io import check_output_file
    from infercost.report import tables as tb

    one_stdout(json_, md)

    for path, opt in ((csv, "--csv"), (xlsx, "--xlsx"), (html, "--html")):
        if path is not None:  # all checked before anything is written
            check_output_file(path, opt)
    if csv is not None:
        tb.write_csv(csv_table if csv_table is not None else tables[0], csv)
    if xlsx is not None:
        tb.write_xlsx(tables, xlsx)
    if html is not None:
        from infercost.report.plots import write_html

        write_html(html, title, charts, tables)
    if json_:
        print_json(data)
    elif md:
        print(tb.to_markdown(tables), end="")
    else:
        tb.print_tables(tables)
        for p in (csv, xlsx, html):
            if p is not None:
                print(f"wrote {p}")
