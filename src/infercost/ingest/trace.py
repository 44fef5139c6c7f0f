"""Replayed usage logs for the simulator and the capacity model (`arrivals: {process:
trace, path: ...}`): request start times and, when present, token counts.

One reader for every format a usage log comes in (CSV, Parquet, JSON lines or a JSON
array, `.gz` alike), the same as `attribute` accepts (`billrows.file_kind`): bad files,
timestamps and token counts are an `InputError` naming the file and row, never zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from infercost.errors import InputError, engine_text, shown


@dataclass(frozen=True)
class Trace:
    """`seconds`: request starts in seconds from the first (float64, sorted);
    `input_tokens`, `output_tokens`: int64 per request (missing cells 0), or None when
    the log has no such column."""

    seconds: np.ndarray
    input_tokens: np.ndarray | None
    output_tokens: np.ndarray | None


SCENARIO_KEY = "workload.arrivals.path"  # where a scenario names its trace


def read_trace(path: str | Path, key: str | None = None) -> Trace:
    """Read a usage log's `timestamp` (and token columns when present).

    `key`: the scenario key that named `path` (`SCENARIO_KEY`), put in front of every
    error's file name so the user knows which setting to fix.
    Column names are matched without regard to case, blanks or a BOM (`Timestamp`,
    `Input_Tokens`). Rows: in a CSV the header is row 1 and a blank line is a row; in
    Parquet and JSON the first record is row 1.
    Raises InputError: no such file, unreadable file, a CSV row without the header's
    number of fields (row named), a quoted CSV field never closed (row named), a byte
    that is not UTF-8 (row or line and column named), two columns that read as one name
    (both named), no `timestamp` column, an unparsable or out-of-order timestamp (row
    named), a token count that is not a whole number >= 0 (row named)."""
    try:
        return _read_trace(Path(path), key)
    except InputError as e:
        if key is None:
            raise
        raise InputError(e.message, f"{key}: {e.where}") from None


def _read_trace(p: Path, key: str | None) -> Trace:
    import pandas as pd

    from infercost.ingest.billrows import file_kind, json_records

    path = p
    if not p.is_file():
        from infercost.core.scenario import typed_on_command_line

        hint = ("" if key is None else
                " (a path typed with --set is read from the current folder)"
                if typed_on_command_line(str(path)) else
                " (a relative path in a scenario file is read from that file's folder)")
        raise InputError(("is a folder; expected a usage log file" if p.is_dir() else
                          "trace file not found") + hint, str(path))
    kind = file_kind(p)
    want = ("timestamp", "input_tokens", "output_tokens")
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            cols = _wanted(pq.read_schema(p).names, want, path)
            df = pq.read_table(p, columns=list(cols)).to_pandas().rename(columns=cols)
        elif kind == "csv":
            check_csv_shape(p)  # a short row would read as empty cells, a long one unnamed
            df = pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                             index_col=False)
            cols = _wanted([str(c) for c in df.columns], want, path)
            df = df[list(cols)].rename(columns=cols)
        else:
            df = pd.DataFrame(json_records(p))
            cols = _wanted([str(c) for c in df.columns], want, path)
            df = df[list(cols)].rename(columns=cols)
    except InputError:
        raise
    except UnicodeDecodeError:
        raise _not_utf8(p, kind) from None
    except Exception as e:  # pandas / pyarrow errors: name the file
        if kind == "csv" and "EOF inside string" in str(e):
            raise InputError("a quoted field is never closed (expected a closing \" "
                             "before the end of the file)",
                             f"{path}: row {_open_quote_row(p)}") from None
        raise InputError(f"cannot read {kind}: {engine_text(e)}",
                         str(path)) from None
    if "timestamp" not in df.columns:
        raise InputError("missing column `timestamp`", str(path))
    if len(df) == 0:
        raise InputError("no requests (expected one row per request, with its timestamp)",
                         str(path))
    row_of = _row_namer(p, kind)
    raw = df["timestamp"]
    text = raw.astype(str).str.replace("\ufeff", "", regex=False).str.strip()
    ts = pd.to_datetime(raw if pd.api.types.is_datetime64_any_dtype(raw) else text,
                        utc=True, errors="coerce", format="mixed")
    bad = ts.isna()
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"row {row_of(i)}: unparsable timestamp {shown(raw.iloc[i])}",
                         str(path))
    secs = (ts - ts.iloc[0]).dt.total_seconds().to_numpy() if len(ts) else np.zeros(0)
    back = np.nonzero(np.diff(secs) < 0)[0]
    if len(back):
        raise InputError(f"row {row_of(int(back[0]) + 1)}: timestamps are not sorted "
                         "(earlier than the row before)", str(path))
    tokens = [_tokens(df[c], c, path, row_of) if c in df.columns else None
              for c in ("input_tokens", "output_tokens")]
    return Trace(secs.astype(np.float64), tokens[0], tokens[1])


def check_csv_shape(path: Path) -> None:
    """Refuse a CSV trace whose rows do not all have the header's number of fields, or
    that is not UTF-8: InputError naming the file and the row as a user counts it (the
    header is row 1), e.g. `log.csv: row 3: expected 2 fields, got 1 (...)`, or the row
    and the column NAME of the first byte that is not UTF-8."""
    from infercost.ingest.textscan import ragged_csv_row, scan_csv

    try:
        ragged = ragged_csv_row(path)
    except UnicodeDecodeError:
        ragged, bad = scan_csv(path)  # the first of the two problems, in file order
        if bad is not None:
            raise InputError(bad.describe(), f"{path}: row {bad.row}") from None
    if ragged is not None:
        raise InputError(f"expected {ragged.expected} fields, got {ragged.fields} (rows counted "
                         "from the header, row 1)", f"{path}: row {ragged.row}")


def _key(name: str) -> str:
    """A column name as it is matched: BOM and blanks dropped, lower case."""
    return name.replace("\ufeff", "").strip().lower()


def _wanted(names: Sequence[str], want: Sequence[str], path: Path) -> dict[str, str]:
    """{column name in the file: the name it stands for} for each of `want` found, matched
    without regard to case, blanks or a BOM (`Input_Tokens` is `input_tokens`). Two
    columns that stand for the same name: InputError naming both."""
    out: dict[str, str] = {}
    for name in names:
        k = _key(name)
        if k not in want:
            continue
        other = next((n for n, v in out.items() if v == k), None)
        if other is not None:
            raise InputError(f"columns {other!r} and {name!r} both read as `{k}` (names are "
                             "matched without regard to case); expected one", str(path))
        out[name] = k
    return out


def _row_namer(p: Path, kind: str) -> Callable[[int], int]:
    """Record index (0 = the first request) -> the row a user names: in a CSV the header
    is row 1 and a blank line is a row (as `check_csv_shape` counts); elsewhere the
    first record is row 1. The CSV is scanned only when a row is named."""
    if kind != "csv":
        return lambda i: i + 1

    def row(i: int) -> int:
        import csv

        from infercost.ingest.textscan import open_text

        with open_text(p) as fh:
            seen = -1
            for k, record in enumerate(csv.reader(fh), start=1):
                if k > 1 and record:
                    seen += 1
                    if seen == i:
                        return k
        return i + 2  # not reached for a file pandas read
    return row


def _open_quote_row(p: Path) -> int:
    """The row (header = row 1, blank lines counted) of the CSV record whose quoted field
    runs to the end of the file: the last record, which the `csv` module reads to the
    end of the file."""
    import csv

    from infercost.ingest.textscan import open_text

    k = 0
    with open_text(p) as fh:
        for _ in csv.reader(fh):
            k += 1
    return k

def _not_utf8(path: Path, kind: str) -> InputError:
    """A file that is not UTF-8, named by its first bad line (and key, in JSON)."""
    from infercost.ingest.textscan import not_utf8_lines

    bad = not_utf8_lines(path)
    if bad is None:
        return InputError(f"cannot read {kind}: not UTF-8 (expected UTF-8 text)", str(path))
    return InputError(bad.describe("key"), f"{path}: line {bad.line}")


def _tokens(col, name: str, path, row_of: Callable[[int], int]) -> np.ndarray:
    import pandas as pd

    s = col.astype(str).str.replace("\ufeff", "", regex=False).str.strip()
    empty = s.isin(["", "nan", "None", "NULL", "<NA>"]) | col.isna()
    v = pd.to_numeric(s.where(~empty, "0"), errors="coerce")
    bad = v.isna() | (v < 0) | (v != v.round()) | (v.abs() > 2**53)
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(f"row {row_of(i)}: column {name}: expected a whole number >= 0, "
                         f"got {shown(col.iloc[i])}", str(path))
    return v.to_numpy(dtype=np.int64)


def read_trace_seconds(path: str | Path, key: str | None = None) -> list[float]:
    """Request start times (seconds from the first request) from a usage log's `timestamp`.

    CSV, Parquet or JSON lines; timestamps must parse and be sorted (the row is named).
    `key` as in `read_trace`.
    """
    return [float(x) for x in read_trace(path, key).seconds]


def read_trace_tokens(path: str | Path, n: int,
                      key: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`input_tokens`, `output_tokens` per request (int64; 0 where a column is absent).
    `n`: the number of requests the caller replays; a log of another length is an
    InputError (never silently zeros). `key` as in `read_trace`."""
    t = read_trace(path, key)
    if len(t.seconds) != n:
        raise InputError(f"expected {n} requests, the log has {len(t.seconds)}",
                         str(path) if key is None else f"{key}: {path}")
    zero = np.zeros(n, dtype=np.int64)
    return (t.input_tokens if t.input_tokens is not None else zero,
            t.output_tokens if t.output_tokens is not None else zero)


def trace_rates(path: str | Path, n: int, dt: float,
                key: str | None = None) -> tuple[list[float], int]:
    """Requests per second in each of n slices of dt seconds, and the count after the
    last slice. `key` as in `read_trace`."""
    counts = [0] * n
    beyond = 0
    for s in read_trace_seconds(path, key):
        i = int(s // dt)
        if i < n:
            counts[i] += 1
        else:
            beyond += 1
    return [c / dt for c in counts], beyond
