"""Plain tables for the decision commands: one `Table`, four renderings.

`Table` holds a title, column names and rows of already-formatted strings (the caller
formats numbers; nothing is computed here), and optionally `raw_rows`: the same cells as
machine values (exact decimal strings for money, floats at full precision, None for
none). Renderings: the terminal (rich, fits 80 columns by folding long cells), markdown (a
pull-request comment), CSV and an xlsx workbook (openpyxl; numbers that parse as numbers
are written as numbers). CSV and xlsx are for machines: they use `raw_rows` when given,
else the shown cells with thousands separators taken out of numbers ("9,631" -> 9631). Files are
written atomically (`core.io.write_atomic`): nothing half-written on error.
"""

from __future__ import annotations

import csv
import io
import math
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
    raw_rows: list[list] | None = None  # machine values for CSV / xlsx, row for row

    def machine_rows(self) -> list[list[str]]:
        """The rows for CSV: `raw_rows` as text (Decimal as plain exact digits, never
        E-notation; None as an empty cell), else the shown rows with thousands separators
        removed from numbers. Raises ValueError when `raw_rows` has not one row per row."""
        if self.raw_rows is None:
            return [[_plain(c) for c in r] for r in self.rows]
        if len(self.raw_rows) != len(self.rows):
            raise ValueError(f"table {self.title!r}: {len(self.raw_rows)} raw rows for {len(self.rows)} rows")
        return [[_raw_text(c) for c in r] for r in self.raw_rows]


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
    w.writerows(table.machine_rows())
    return buf.getvalue()


_NUMBER = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def _plain(cell: object) -> str:
    """A shown cell for a machine: "9,631" -> "9631"; anything else as it is."""
    s = str(cell)
    return s.replace(",", "") if _NUMBER.fullmatch(s) else s


def _raw_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and math.isfinite(v):
        v = Decimal(repr(v))  # the shortest digits that read back as the same float
    if isinstance(v, Decimal) and v.is_finite():
        from infercost.core.money import format_decimal

        return format_decimal(v)  # plain digits: 0.00009825, never 9.825e-05
    return str(v)


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
        for r in t.machine_rows():
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
