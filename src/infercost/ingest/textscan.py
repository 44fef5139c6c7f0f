"""Where a text file goes wrong, in the terms a user counts in: the first CSV record whose
number of fields is not the header's, and the first cell that is not UTF-8, by row (or
line) and column NAME, never by byte offset or 0-based column index.

Rows are CSV records counted as a spreadsheet shows them: the header is row 1, the first
data row is row 2 (a quoted cell spanning lines is one row). Lines are physical lines,
1-based. The scans run only to name a problem: readers call them when a file was refused
or, for CSV field counts, before reading (pandas reads a short row's missing cells as
empty strings, so a short row is found here or nowhere).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes that failed to decode (surrogateescape)
_COMPRESSION = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}


@dataclass(frozen=True)
class Ragged:
    """A CSV record whose field count is not the header's. `row`: the record (header =
    row 1); `line`: the physical line it ends on; `fields`, `expected`: its and the
    header's number of fields; `record`: its cells."""

    row: int
    line: int
    fields: int
    expected: int
    record: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotUtf8:
    """The first cell holding a byte that is not UTF-8. `row`: the CSV record (header =
    row 1) or, in JSON, the line; `line`: the physical line; `column`: the header's name
    of the cell's column (CSV) or the key holding the text (JSON), None when unknown or
    in the header itself; `byte`: the first offending byte, e.g. 0xe9."""

    row: int
    line: int
    column: str | None
    byte: int

    def describe(self, what: str = "column") -> str:
        """`column input_tokens: not UTF-8 (byte 0xe9; expected UTF-8 text)`; `what`
        names the column's kind (`key` in JSON)."""
        head = f"{what} {self.column}: " if self.column else ""
        return f"{head}not UTF-8 (byte 0x{self.byte:02x}; expected UTF-8 text)"


def open_text(path: Path, errors: str = "strict"):
    """`path` as text for the `csv` module (UTF-8, BOM skipped, newline=''), gzip, bzip2
    or zstd by name (any case)."""
    comp = _COMPRESSION.get(Path(path.name.lower()).suffix)
    if comp is None:
        return open(path, encoding="utf-8-sig", errors=errors, newline="")
    import pyarrow as pa

    return io.TextIOWrapper(pa.input_stream(str(path), compression=comp),
                            encoding="utf-8-sig", errors=errors, newline="")


def ragged_csv_row(path: Path) -> Ragged | None:
    """The first CSV record (blank lines skipped) whose number of fields is not the
    header's, or None. Raises UnicodeDecodeError for a file that is not UTF-8 (then
    `scan_csv` names both problems in file order)."""
    return _scan(path, "strict")[0]


def scan_csv(path: Path) -> tuple[Ragged | None, NotUtf8 | None]:
    """The first problem of a CSV file in file order: a ragged record or a cell that is
    not UTF-8 (the other is None). Reads undecodable bytes as they are, so it never
    raises UnicodeDecodeError."""
    return _scan(path, "surrogateescape")


def _scan(path: Path, errors: str) -> tuple[Ragged | None, NotUtf8 | None]:
    lenient = errors != "strict"
    with open_text(path, errors) as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        if lenient:
            bad = _bad_cell(header, [], 1, reader.line_num)
            if bad is not None:
                return None, bad
        n = len(header)
        for k, record in enumerate(reader, start=2):
            if not record:
                continue  # a blank line: no record (pandas and Arrow skip it too)
            if lenient:
                bad = _bad_cell(record, header, k, reader.line_num)
                if bad is not None:
                    return None, bad
            if len(record) != n:
                return Ragged(k, reader.line_num, len(record), n, tuple(record)), None
    return None, None


def _bad_cell(record: list[str], header: list[str], row: int, line: int) -> NotUtf8 | None:
    for j, cell in enumerate(record):
        m = _NOT_UTF8.search(cell)
        if m is not None:
            name = header[j] if j < len(header) else None
            return NotUtf8(row, line, name if row > 1 else None, ord(m.group()) - 0xDC00)
    return None


def not_utf8_lines(path: Path) -> NotUtf8 | None:
    """The first line of a text file (JSON lines, a JSON document) holding a byte that
    is not UTF-8, with the JSON key whose text holds it when the line is a JSON object;
    None when every line decodes."""
    with open_text(path, "surrogateescape") as fh:
        for i, line in enumerate(fh, start=1):
            m = _NOT_UTF8.search(line)
            if m is None:
                continue
            try:
                key = _key_of(json.loads(line))
            except ValueError:
                key = None
            return NotUtf8(i, i, key, ord(m.group()) - 0xDC00)
    return None


def _key_of(doc: Any, prefix: str = "") -> str | None:
    """The dotted key whose value (or name) first holds an undecodable byte."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            name = f"{prefix}{k}"
            if _NOT_UTF8.search(str(k)):
                return prefix.rstrip(".") or None
            if isinstance(v, str) and _NOT_UTF8.search(v):
                return name
            inner = _key_of(v, name + ".")
            if inner is not None:
                return inner
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            if isinstance(v, str) and _NOT_UTF8.search(v):
                return f"{prefix.rstrip('.')}[{i}]" if prefix else None
            inner = _key_of(v, f"{prefix.rstrip('.')}[{i}]." if prefix else "")
            if inner is not None:
                return inner
    return None


def csv_not_utf8_error(path: Path):
    """The InputError for a CSV file that a reader refused, when the cause is a byte
    that is not UTF-8: `file: line N` and `column NAME: not UTF-8 (byte 0xe9; ...)`
    (the physical line, header = line 1, as the CSV readers' other structure errors
    name it). None when every cell decodes (the caller keeps its own message)."""
    from infercost.errors import InputError

    try:
        _, bad = scan_csv(path)
    except (OSError, EOFError, csv.Error):
        return None
    return None if bad is None else InputError(bad.describe(), f"{path}: line {bad.line}")


def json_not_utf8_error(path: Path):
    """The InputError for a JSON (lines) file that is not UTF-8: `file: line N` and the
    key holding the byte when the line is one JSON object; None when every line decodes."""
    from infercost.errors import InputError

    try:
        bad = not_utf8_lines(path)
    except (OSError, EOFError):
        return None
    return None if bad is None else InputError(bad.describe("key"), f"{path}: line {bad.line}")
