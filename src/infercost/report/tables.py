"""Plain tables for the decision commands: one `Table`, four renderings.

`Table` holds a title, column names and rows of already-formatted strings (the caller
formats numbers; nothing is computed here). Renderings: the terminal (rich, fits 80
columns by folding long cells), markdown (a pull-request comment), CSV and an xlsx
workbook (openpyxl; numbers that parse as numbers are written as numbers). Files are
written atomically (`core.io.write_atomic`): nothing half-written on error.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path


@dataclass(frozen=True)
class Table:
    """A titled table of strings; `notes` are printed under it."""

    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


def to_markdown(tables: list[Table]) -> str:
    """GitHub-flavoured markdown: a `###` title per table, pipes escaped."""
    out: list[str] = []
    for t in tables:
        out.append(f"### {t.title}\n")
        out.append("| " + " | ".join(_md(c) for c in t.columns) + " |")
        out.append("|" + "|".join("---" for _ in t.columns) + "|")
        for r in t.rows:
            out.append("| " + " | ".join(_md(c) for c in r) + " |")
        for n in t.notes:
            out.append(f"\n- {n}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md(s: str) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    w.writerows(table.rows)
    return buf.getvalue()


def write_csv(table: Table, path: str | Path) -> None:
    from infercost.core.io import write_atomic

    write_atomic(Path(path), to_csv(table))


def write_xlsx(tables: list[Table], path: str | Path) -> None:
    """One sheet per table (names cut to Excel's 31 characters); numbers stay numbers."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for i, t in enumerate(tables):
        ws = wb.create_sheet(_sheet_name(t.title, i))
        ws.append(t.columns)
        for r in t.rows:
            ws.append([_cell(c) for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    from infercost.core.io import write_atomic

    write_atomic(Path(path), buf.getvalue())


def _sheet_name(title: str, i: int) -> str:
    bad = '[]:*?/\\'
    name = "".join("_" if ch in bad else ch for ch in title)[:28].strip() or "sheet"
    return f"{i + 1} {name}"[:31]


def _cell(s: str):
    txt = str(s).replace(",", "")
    try:
        d = Decimal(txt)
    except InvalidOperation:
        return s
    return float(d) if d.is_finite() else s


_NUMBER = re.compile(r"^[-+]?[$€£]?(\d[\d,]*)?(\.\d+)?([eE][-+]?\d+)?\s?(%|x|ms|s)?$")


def is_numeric(cell: str) -> bool:
    """A cell that is one number (thousands commas, a sign, a currency sign, an exponent,
    a %, x, ms or s unit) or a dash for none: such cells are never wrapped."""
    t = cell.strip()
    return t in ("-", "") or (any(ch.isdigit() for ch in t) and bool(_NUMBER.match(t)))


def _fixed(cell: str) -> bool:
    """A cell kept on one line: a number (`is_numeric`) or one short word (yes, NO)."""
    t = cell.strip()
    return is_numeric(t) or (len(t) <= 4 and " " not in t)


def print_tables(tables: list[Table], console=None) -> None:
    """Rich tables on the terminal (80 columns: long cells fold)."""
    from rich.console import Console
    from rich.table import Table as RichTable

    console = console or Console()
    for t in tables:
        rt = RichTable(title=t.title, title_justify="left", box=None, pad_edge=False,
                       collapse_padding=True, header_style="bold underline")
        numeric = [i > 0 and bool(t.rows) and all(_fixed(str(r[i])) for r in t.rows if i < len(r))
                   for i in range(len(t.columns))]
        for i, c in enumerate(t.columns):
            cells = [str(r[i]) for r in t.rows if i < len(r)]
            if numeric[i]:
                # numbers (and yes/NO) never wrap: the column keeps its widest cell, text folds
                rt.add_column(c, justify="right", no_wrap=True,
                              min_width=max(len(x) for x in cells))
            else:
                # the first column stays on one line unless only number columns follow
                # (then it is the one that can give way)
                rt.add_column(c, justify="left" if i == 0 else "right", overflow="fold",
                              no_wrap=i == 0 and not all(numeric[1:]))
        for r in t.rows:
            rt.add_row(*r)
        console.print(rt)
        for n in t.notes:
            console.print(f"- {n}", soft_wrap=False)
