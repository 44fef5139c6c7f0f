"""Cell and row helpers shared by every bill format: paths, raw reads, nulls, amounts,
timestamps, enums, tags, labels. The format modules (focus, cur, gcp) build on these;
`bill.read_bill` dispatches to them. The normalized columns are described in `bill`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infercost.errors import InputError, engine_text

BILL_COLUMNS = [
    "row", "source", "provider", "currency", "billed_cost", "effective_cost",
    "charge_category", "charge_class", "charge_frequency", "commitment_status",
    "commitment_id", "service_category", "service_name", "sku_id", "resource_id",
    "resource_name", "description", "charge_start", "charge_end", "billing_start",
    "billing_end", "tags", "label", "pricing_unit", "nrows", "period_dropped",
]  # fmt: skip

NULL_STRINGS = {"", "NULL", "null", "None", "NaN", "nan"}
#: text a number column of a log or counts file may hold for "no value" (R writes NA,
#: spreadsheets #N/A): more than a bill amount may, where NA is no amount
NUMBER_NULLS = (NULL_STRINGS - {""}) | {"NA", "N/A", "n/a", "#N/A", "<NA>"}

_CATEGORY = {c.lower(): c for c in ("Usage", "Purchase", "Tax", "Credit", "Adjustment")}
_FREQUENCY = {c.lower(): c for c in ("One-Time", "Recurring", "Usage-Based")}
_STATUS = {"used": "Used", "unused": "Unused"}
_CLASS = {"correction": "Correction"}


@dataclass(frozen=True)
class HourRows:
    """Bill rows of one whole clock hour each, summed into the rows of `Bill.rows` they
    belong to (`bill_engine` sums a day of a resource's hourly rows with the same labels
    into one reduced row): one entry per bill row, so rule R2 still spreads each hour's
    own amount. `row`: position in `Bill.rows` (int64); `hour`: the charge period's start
    (datetime64[us], UTC; the period ends one hour later); `quanta`: cost column
    (billed_cost, effective_cost) -> (floor of the amount in 1e-10 of the currency,
    int64; whether every amount was a whole number of them)."""

    row: np.ndarray
    hour: np.ndarray
    quanta: dict[str, tuple[np.ndarray, bool]]

    def __len__(self) -> int:
        return len(self.row)

    def shifted(self, by: int) -> HourRows:
        """The same entries for `Bill.rows` with `by` rows before these."""
        return HourRows(self.row + by, self.hour, self.quanta)

    @staticmethod
    def concat(parts: list[HourRows]) -> HourRows:
        """`parts` end to end (each already `shifted` to its rows)."""
        keys = list(parts[0].quanta)
        return HourRows(np.concatenate([p.row for p in parts]),
                        np.concatenate([p.hour for p in parts]),
                        {k: (np.concatenate([p.quanta[k][0] for p in parts]),
                             all(p.quanta[k][1] for p in parts)) for k in keys})


@dataclass
class Bill:
    """A bill read from one or more files: `rows` follows `BILL_COLUMNS`; `hour_rows`:
    the hourly bill rows summed into some of them (None: every row stands for its own
    charge period)."""

    rows: pd.DataFrame
    sources: list[str]
    format: str
    rows_read: int
    notes: list[str] = field(default_factory=list)
    #: the files read and reduced in the engine (`bill_engine`); the rest row by row
    reduced: list[str] = field(default_factory=list)
    hour_rows: HourRows | None = None
    #: each file's format (focus, cur, gcp), by its `source` text
    formats: dict[str, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        """Bill rows the normalized rows stand for (a reduced row stands for several)."""
        return int(self.rows["nrows"].sum())

    @property
    def currencies(self) -> list[str]:
        return sorted(c for c in pd.unique(self.rows["currency"]) if isinstance(c, str))

    def period(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The billing period [start, end) covered by the bill (UTC)."""
        s = self.rows["billing_start"].dropna()
        e = self.rows["billing_end"].dropna()
        if s.empty or e.empty:
            s = self.rows["charge_start"].dropna()
            e = self.rows["charge_end"].dropna()
        if s.empty or e.empty:
            return None, None
        return s.min(), e.max()

    def cost(self, basis: str = "EffectiveCost") -> pd.Series:
        """The cost column for `basis` (EffectiveCost or BilledCost), Decimal per row."""
        return self.rows[basis_column(basis)]

    def totals(self, basis: str = "EffectiveCost", by: str = "provider") -> dict:
        """Exact sums of the cost basis per `by` value (Decimal)."""
        col = basis_column(basis)
        keys = self.rows[by].astype(object).where(self.rows[by].notna(), "(none)")
        return {k: sum(g, Decimal(0)) for k, g in self.rows[col].groupby(keys.to_numpy())}


def basis_column(basis: str) -> str:
    b = basis.replace("_", "").lower()
    if b in ("effectivecost", "effective"):
        return "effective_cost"
    if b in ("billedcost", "billed"):
        return "billed_cost"
    raise InputError(f"cost basis must be EffectiveCost or BilledCost, got {basis!r}", "cost_basis")


# ---------------------------------------------------------------- raw reading


def expand_paths(paths: list[str | Path] | str | Path, exts: tuple[str, ...]) -> list[Path]:
    """Files named by paths, globs or directories (searched recursively for `exts`)."""
    import glob

    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        s = str(p)
        if any(ch in s for ch in "*?["):
            hits = sorted(glob.glob(s, recursive=True))
            if not hits:
                raise InputError("no file matches this pattern", s)
            out.extend(Path(h) for h in hits if Path(h).is_file())
        elif Path(s).is_dir():
            hits = sorted(
                f for f in Path(s).rglob("*") if f.is_file() and f.name.lower().endswith(exts)
            )
            if not hits:
                raise InputError(f"directory holds no {'/'.join(exts)} file", s)
            out.extend(hits)
        elif Path(s).is_file():
            out.append(Path(s))
        else:
            raise InputError("no such file or directory", s)
    seen: dict[Path, Path] = {}
    for f in out:  # one file named twice (two paths, a folder and a glob) is read once
        key = f.resolve()
        if key in seen:
            raise InputError(f"named twice (also as {seen[key]}): expected each file once "
                             "(its rows would count twice)", str(f))
        seen[key] = f
    return out


def refuse_same_bytes(files: list[Path], what: str = "bill") -> None:
    """InputError naming two files of the same bytes (an export copied into a subfolder,
    downloaded twice, a log saved under two names): each charge or request would count
    twice. Files of one size only are hashed. `what`: the files' kind, as said."""
    import hashlib

    by_size: dict[int, list[Path]] = {}
    for f in files:
        by_size.setdefault(f.stat().st_size, []).append(f)
    for group in by_size.values():
        if len(group) < 2:
            continue
        digests: dict[str, Path] = {}
        for f in group:
            h = hashlib.sha256()
            with open(f, "rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(block)
            d = h.hexdigest()
            if d in digests:
                raise InputError(f"the same bytes as {digests[d]}: expected each {what} file "
                                 "once (one export given twice?)", str(f))
            digests[d] = f


def case_twins(columns: list[str], known: set[str] | None = None
               ) -> tuple[str, str] | None:
    """The first two column names equal but for letter case (`effectivecost` and
    `EffectiveCost`; legacy CUR `lineItem/UnblendedCost` compared by its snake_case
    name), among the names in `known` (lower case; None: every name), or None: the
    readers find their columns in any case, so such a pair leaves no telling which one
    holds the figures. Columns a reader does not read (AWS tag keys `user:Team` and
    `user:team`, which are case-sensitive) are no such pair."""
    seen: dict[str, str] = {}
    for c in map(str, columns):
        k = _legacy_snake(c.strip()) if "/" in c else c.strip().lower()
        if known is not None and k not in known:
            continue
        if k in seen:
            return seen[k], c
        seen[k] = c
    return None


def _legacy_snake(name: str) -> str:
    from infercost.ingest.cur import _snake

    return _snake(name)


def bill_columns_read() -> set[str]:
    """The bill columns some reader reads (FOCUS names in lower case, CUR 2.0 snake_case
    names, GCP export fields): where two names equal but for case are refused."""
    from infercost.ingest import focus
    from infercost.ingest.bill_engine import CUR_AMOUNTS, CUR_COLUMNS

    return ({k.lower() for k in focus._all_known()} | {"provider", "chargetype"}
            | set(CUR_COLUMNS) | set(CUR_AMOUNTS)
            | {"cost", "currency", "usage_start_time", "usage_end_time", "cost_type",
               "credits", "invoice", "service", "sku", "resource", "labels", "usage"})


def refuse_case_twins(columns: list[str], source: str, known: set[str] | None = None) -> None:
    """Raise InputError naming the pair `case_twins` finds among a file's `known`
    columns (default: `bill_columns_read`)."""
    twins = case_twins(columns, bill_columns_read() if known is None else known)
    if twins is not None:
        raise InputError(f"columns {twins[0]!r} and {twins[1]!r} differ only in letter case "
                         "(expected each column once: which one holds the figures?)",
                         source)


def file_kind(path: Path) -> str:
    """csv, parquet or json from the file name."""
    n = path.name.lower()
    for suffix in (".gz", ".zst", ".bz2"):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
    if n.endswith((".parquet", ".pq")):
        return "parquet"
    if n.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    if n.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    raise InputError("unknown file type (expected .csv, .parquet, .json or .jsonl)", str(path))


def read_raw(path: Path) -> pd.DataFrame:
    """A file as a DataFrame; CSV columns are all strings (nothing is guessed or rounded)."""
    kind = file_kind(path)
    try:
        if kind == "csv":
            return csv_batches(path).read_all().to_pandas()
        if kind == "parquet":
            import pyarrow.parquet as pq

            df = pq.read_table(path).to_pandas()
            for c in df.columns:  # numbers as objects (amounts become exact Decimals)
                if pd.api.types.is_numeric_dtype(df[c].dtype) and not \
                        pd.api.types.is_bool_dtype(df[c].dtype):
                    df[c] = df[c].astype(object)
            return df
        return pd.DataFrame(json_records(path)).astype(object)
    except InputError:
        raise
    except Exception as e:  # pyarrow / parquet errors: name the file
        if kind == "csv":
            ragged_row_check(path)
            from infercost.ingest.textscan import csv_not_utf8_error

            located = csv_not_utf8_error(path)  # line and column, not a byte offset
            if located is not None:
                raise located from None
        raise InputError(f"cannot read {kind}: {engine_text(e)}", str(path)) from None


def csv_batches(path: Path):
    """A CSV file as a stream of Arrow record batches, every column text (nothing guessed
    or rounded): the one CSV parse of the bill readers, row by row or in the engine.
    Comma-separated, double quotes (doubled inside a quoted cell), newlines allowed in
    quoted cells, empty cells as empty strings; `.gz`, `.bz2` and `.zst` read by name
    (any case). Raises InputError for a file without a header; pyarrow's errors for the
    rest (callers name the file)."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    with _open_text(path) as fh:
        header = next(csv.reader([fh.readline()]), [])
    if not header:
        raise InputError("empty file (no header row)", str(path))
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise InputError(f"column {h!r} appears twice in the header (expected each "
                             "column once)", f"{path}: line 1")
        seen.add(h)
    return pacsv.open_csv(
        pa.input_stream(str(path), compression=_compression(path)),
        read_options=pacsv.ReadOptions(block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(
            column_types={h: pa.string() for h in header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
    )


def _compression(path: Path) -> str | None:
    n = path.name.lower()
    return {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}.get(Path(n).suffix)


def ragged_row_check(path: Path) -> None:
    """InputError naming `file: line N` of the first CSV row whose number of fields is
    not the header's (a short or long row; `textscan.ragged_csv_row`); nothing when
    every row fits (or the file cannot be read as text: the caller reports that)."""
    import csv

    from infercost.ingest.textscan import ragged_csv_row

    try:
        r = ragged_csv_row(path)
    except (OSError, UnicodeDecodeError, EOFError, csv.Error):
        return
    if r is not None:
        shown = ",".join(r.record)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise InputError(f"expected {r.expected} columns as in the header, got "
                         f"{r.fields} ({shown})", f"{path}: line {r.line}")


def json_fault(e: json.JSONDecodeError, what: str = "file") -> str:
    """The message for JSON Python cannot read, whole: Python's own text stops at "at"
    ("Invalid control character at", its position in a suffix the message left out).
    Text that ends inside a value (nothing but blanks after the fault, or a string never
    closed: `what`, the file or the line, was cut short) is said so; either way the
    column is named (the caller names the file and line)."""
    rest = (e.doc or "")[e.pos:]
    msg = e.msg[:-3] if e.msg.endswith(" at") else e.msg
    cut = "it is cut short (truncated, or read while still being written)"
    if msg.startswith("Unterminated string"):
        return f"invalid JSON: the {what} ends inside a string opened at column {e.colno}: {cut}"
    if not rest.strip():
        return f"invalid JSON: the {what} ends inside a value, at column {e.colno}: {cut}"
    if msg == "Invalid control character":
        msg += " (a raw tab or line break inside a string)"
    return f"invalid JSON: {msg[:1].lower()}{msg[1:]} at column {e.colno}"


def json_records(path: Path) -> list[dict]:
    """The records of a JSON file: one array of objects, one object (pretty-printed or
    not), or JSON lines; `.gz` read transparently. Bad JSON: InputError with the line."""
    with open_text(path) as fh:
        text = fh.read()
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            if stripped.startswith("[") or "\n" not in stripped.rstrip():
                raise InputError(json_fault(e), f"{path}: line {e.lineno}") from None
            doc = None  # JSON lines: one object per line
        if isinstance(doc, list):
            if not all(isinstance(x, dict) for x in doc):
                raise InputError("expected a JSON array of objects", str(path))
            return doc
        if isinstance(doc, dict):
            return [doc]
    rows = []
    for i, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise InputError(json_fault(e, "line"), f"{path}: line {i}") from None
            if not isinstance(rec, dict):
                raise InputError("expected a JSON object per line", f"{path}: line {i}")
            rows.append(rec)
    return rows


def open_text(path: Path):
    """A text file (UTF-8, BOM skipped), gzip-compressed when named `.gz`."""
    return _open_text(path)


def _open_text(path: Path):
    comp = _compression(path)
    if comp is None:
        return open(path, encoding="utf-8-sig")
    import io

    import pyarrow as pa

    return io.TextIOWrapper(pa.input_stream(str(path), compression=comp), encoding="utf-8-sig")


# ---------------------------------------------------------------- value parsing


#: characters a terminal shows as nothing or as a plain blank: C0/C1 controls and DEL,
#: format characters (soft hyphen, zero-width space and joiners, direction marks, word
#: joiner, BOM), the combining grapheme joiner, Hangul fillers, Khmer and Mongolian
#: invisible marks, variation selectors (Unicode's default-ignorable code points) and
#: spaces other than U+0020 (no-break, thin, ideographic)
INVISIBLE = re.compile("[\x00-\x1f\x7f-\xa0\u00ad\u034f\u061c\u115f\u1160\u1680\u17b4"
                       "\u17b5\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f"
                       "\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]")


def is_invisible(ch: str) -> bool:
    """A character a terminal does not show: one of `INVISIBLE` or any other Unicode
    format character (Cf)."""
    import unicodedata

    return bool(INVISIBLE.fullmatch(ch)) or unicodedata.category(ch) == "Cf"


def find_invisible(text: str) -> str | None:
    """The first invisible character of `text` (`is_invisible`), or None."""
    return next((ch for ch in text if is_invisible(ch)), None)


def escape_invisible(text: str) -> str:
    """`text` with each invisible character (`is_invisible`) written as \\uXXXX
    ('i-1\\u200b'): two ids a message lists then never look the same, and
    `--counts-resource` reads the form back."""
    return "".join(f"\\u{ord(ch):04x}" if is_invisible(ch) else ch for ch in text)


def quoted_id(rid: str) -> str:
    """A ResourceId as a note or error names it: as it is, or quoted and escaped
    (`escape_invisible`) where it holds an invisible character."""
    shown = escape_invisible(rid)
    return rid if shown == rid else f"'{shown}'"


def strip_cell(s: str) -> str:
    """Whitespace and byte-order marks (U+FEFF) off both ends of a cell: some exports
    concatenate files, so a BOM can start any data row, not only the header."""
    return s.strip().strip("\ufeff").strip()


def is_null(v: Any) -> bool:
    if v is None or v is pd.NA:  # pd.NA: a nullable column written by pandas
        return True
    if isinstance(v, float) and v != v:
        return True
    if isinstance(v, str) and strip_cell(v) in NULL_STRINGS:
        return True
    return v is pd.NaT


def flatten_text(series: pd.Series, column: str | None = None,
                 source: str | None = None) -> pd.Series:
    """Text from list-valued cells (Parquet LIST, e.g. Google's FOCUS view lists product
    taxonomy in ServiceCategory): the non-empty items joined with ", " in their order.
    A map or struct where text is expected is an InputError naming the column."""
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind != "mixed":  # lists, arrays and dicts infer as "mixed"
        return series
    out = []
    for i, v in enumerate(series.tolist()):
        if hasattr(v, "tolist") and not isinstance(v, str):
            v = v.tolist()
        if isinstance(v, (list, tuple)):
            if any(isinstance(x, (dict, list, tuple)) for x in v):
                raise _nested(column, source, i)
            v = ", ".join(strip_cell(str(x)) for x in v if not is_null(x)) or None
        elif isinstance(v, dict):
            raise _nested(column, source, i)
        out.append(v)
    return pd.Series(out, index=series.index, dtype=object)


def _nested(column: str | None, source: str | None, i: int) -> InputError:
    return InputError(f"column {column or '?'}: expected text or a list of text, got a "
                      "map or struct", f"{source}: row {i + 1}" if source else None)


def clean_str(series: pd.Series, column: str | None = None,
              source: str | None = None, then: Any = None) -> pd.Series:
    """Strings with `NULL`/empty turned into None (each distinct value cleaned once);
    list-valued cells joined by `flatten_text`. `then`: a function of the list of
    distinct cleaned values (None among them) giving each one's final value, applied
    once per distinct value, as applying it to every row would give."""
    codes, cleaned = _cleaned(series, column, source)
    if then is not None:
        cleaned = list(then(cleaned))
    table = np.array(cleaned + [None], dtype=object)  # code -1 (missing) -> None
    return pd.Series(table[codes], index=series.index, dtype=object)


def _cleaned(series: pd.Series, column: str | None = None,
             source: str | None = None) -> tuple[np.ndarray, list]:
    """(codes, cleaned distinct values) of `clean_str`: code -1 is a missing cell."""
    series = flatten_text(series, column, source)
    codes, uniq = pd.factorize(series, use_na_sentinel=True)
    cleaned = []
    for u in uniq:
        v = None if is_null(u) else strip_cell(str(u))
        cleaned.append(None if v is None or v in NULL_STRINGS else v)
    return codes, cleaned


def parse_amounts(series: pd.Series, column: str, source: str, rows: pd.Series,
                  bounded: bool = True) -> pd.Series:
    """Exact Decimals; nulls become 0 only for amounts (an absent cost is no cost).

    Strings are parsed once per distinct value (bills repeat their rates a lot). A typed
    Decimal of 1e15 or more is refused as text is (`bounded`; False for the sums of rows
    the engine reduced, whose rows it checked)."""
    if pd.api.types.infer_dtype(series, skipna=True) == "decimal":
        if bounded:
            _bounded(series, column, source, rows)
        if series.notna().all():
            return series.astype(object)
        return series.astype(object).where(series.notna(), Decimal(0))
    parsed: dict = {}
    out = []
    for v, r in zip(series, rows, strict=True):
        if isinstance(v, Decimal):
            out.append(v)
            continue
        d = parsed.get(v) if isinstance(v, str) else None
        if d is None:
            d = _amount(v, column, source, r)
            if isinstance(v, str):
                parsed[v] = d
        out.append(d)
    return pd.Series(out, index=series.index, dtype=object)


#: Amounts of 1e15 or more in one bill row are refused as malformed (exact sums of such
#: figures would outgrow the decimal context and no real bill holds them).
MAX_AMOUNT_DIGITS = 15


def _bounded(series: pd.Series, column: str, source: str, rows: pd.Series) -> None:
    """Raise InputError naming the first Decimal of `series` (a typed decimal column)
    of 1e15 or more, as `_amount` refuses it in text."""
    for i, v in enumerate(series.tolist()):
        if isinstance(v, Decimal) and v.is_finite() and v and v.adjusted() >= MAX_AMOUNT_DIGITS:
            raise InputError(f"column {column}: expected an amount below "
                             f"1e{MAX_AMOUNT_DIGITS}, got {str(v)!r}",
                             f"{source}: row {rows.iloc[i]}")


def _amount(v: Any, column: str, source: str, r: Any) -> Decimal:
    if is_null(v):
        return Decimal(0)
    if isinstance(v, float):
        v = repr(v)
    text = strip_cell(str(v))
    try:  # (Python reads "1_408" and non-ASCII digits too: no export writes those)
        if "_" in text or not text.isascii():
            raise ValueError(text)
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        raise InputError(
            f"column {column}: expected a decimal amount, got {v!r}", f"{source}: row {r}"
        ) from None
    if not d.is_finite():
        raise InputError(f"column {column}: expected a finite amount, got {v!r}",
                         f"{source}: row {r}")
    if d and d.adjusted() >= MAX_AMOUNT_DIGITS:  # no bill row is 1e15 of a currency
        raise InputError(f"column {column}: expected an amount below 1e{MAX_AMOUNT_DIGITS}, "
                         f"got {str(v)!r}", f"{source}: row {r}")
    return d


def parse_times(series: pd.Series, column: str, source: str, rows: pd.Series) -> pd.Series:
    """UTC timestamps (naive, microseconds). Accepts `2024-09-18 22:00:00`, ISO 8601 with
    T/Z/offsets (any case), and other spellings with a month's name (`18 Sep 2024 23:00`);
    refuses all-number dates not year first and bare numbers (`text_times`). Raises
    InputError naming the first cell that does not read, or that reads and is refused
    (`refused_why`: a local time its zone repeats or skips, a year outside 1-9999)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        t = pd.to_datetime(series, utc=True)
        return t.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    s = clean_str(series) if not _all_stamps(series) else series
    if s.isna().all():
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
    parsed = _text_times(s)
    bad = parsed.isna() & s.notna()
    if bad.any():
        i = bad.to_numpy().nonzero()[0][0]
        why = refused_why(str(s.iloc[i]))
        raise InputError(
            f"column {column}: timestamp {s.iloc[i]!r}: {why}" if why else
            f"column {column}: cannot parse timestamp {s.iloc[i]!r} (expected ISO 8601, "
            f"year first: 2026-10-01T00:00:00Z){zone_hint(str(s.iloc[i]))}",
            f"{source}: row {rows.iloc[i]}",
        )
    return parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")


def zone_hint(value: str) -> str:
    """Why a timestamp was not read for its zone or offset, and what to write instead;
    "" when its zone or offset is not the reason. One value, when an error names it.
    (A value that reads and is refused says why by `refused_why`.)"""
    v = value.strip()
    m = re.match(_ZONE_NAMED, v)
    if m and _zone(m.group(2)) is None:
        name = m.group(2)
        if name.lower() in NO_PLACE_KEYS:
            return (f"; {name!r} names no place's clock: give the offset or a Region/City "
                    "name (America/Los_Angeles)")
        if "/" in name:
            return (f"; {name!r} is no zone name of the IANA list (Region/City, such as "
                    "Europe/Paris)")
    if m and _zone(m.group(2)) is not None:
        return ""
    if _bad_offset(v):
        return "; an offset is at most 14:00 and its minutes below 60"
    if re.match(r"^\s*-?(0000|0001|9999|\d{5,})-\d", v):  # a year that UTC moves out
        return "; a year from 1 to 9999, in UTC, is expected"
    token = re.search(r"(?:^|[\s\d])([A-Za-z]{2}[A-Za-z0-9]{0,6})$", v)
    if token and re.search(r"\d", v[:token.start(1)]) and not re.fullmatch(
            r"(?i)utc|gmt|z", token.group(1)):
        return ("; zones are read as an offset (-08:00, UTC+5:30) or a Region/City name "
                "(America/Los_Angeles): an abbreviation (PST, CET) does not say whether "
                "summer time applies")
    return ""


def refused_why(value: str) -> str | None:
    """What is wrong with a timestamp text that reads but is refused, said to the user:
    a local time its IANA zone repeats (`it falls in the hour Europe/Berlin repeats when
    summer time ends: give the offset, ...`) or skips, a local time with both an offset
    and a zone name, a year outside 1-9999 (`year 12026 is outside 1-9999`; `year 10000
    in UTC ...` where an offset or zone moves it there). None for a value refused for
    another reason (or read). One value, when an error names it."""
    import datetime as dt

    v = value.strip()
    m = re.match(_ZONE_NAMED, v)
    zone = _zone(m.group(2)) if m else None
    if zone is not None:
        local = _local_time(m.group(1))
        if local is not None and local.tzinfo is not None:
            return ("it gives both an offset and a zone name: which one holds is not said; "
                    "give one")
        if local is not None:
            first, second = local.replace(tzinfo=zone), local.replace(tzinfo=zone, fold=1)
            a, b = first.utcoffset(), second.utcoffset()
            if a != b:
                try:
                    exists = first.astimezone(dt.UTC).astimezone(zone).replace(
                        tzinfo=None) == local
                except OverflowError:
                    exists = True
                span = "hour" if abs(a - b) == dt.timedelta(hours=1) else "time"
                name = m.group(2)
                if exists:  # a time the clock shows twice: the first at offset a
                    when = ("when summer time ends" if first.dst() and not second.dst()
                            else "when its clocks go back")
                    return (f"it falls in the {span} {name} repeats {when}: give the offset, "
                            f"{_offset_text(a)} (the first time) or {_offset_text(b)} "
                            "(the second)")
                when = ("when summer time starts" if second.dst() and not first.dst()
                        else "when its clocks go forward")
                return (f"it falls in the {span} {name} skips {when} (no such local time): "
                        "give the offset")
    year = _utc_year(v)
    if year is None or 1 <= year <= 9999:
        return None
    written = int(re.match(r"\s*([+-]?\d+)", v).group(1))
    return f"year {year}{'' if year == written else ' in UTC'} is outside 1-9999"


def _local_time(text: str) -> Any:
    """A local date and time (`2026-10-25 02:30`, `25 Oct 2026 02:30`, year 1 to 9999)
    as a Python datetime (aware when the text gives an offset), or None."""
    from datetime import datetime

    t = pd.to_datetime(pd.Series([text]), errors="coerce", format="mixed")
    if t.notna().all():
        return t.iloc[0].to_pydatetime()
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def _offset_text(offset: Any) -> str:
    """A UTC offset (timedelta) as ISO 8601 writes it: `+02:00`, `-03:30`."""
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


#: a timestamp text whose year comes first: the year and the rest
_YEAR_FIRST = re.compile(r"^\s*([+-]?\d{4,})(-\d{2}-\d{2}(?:[Tt\s].*)?)$", re.DOTALL)


def _utc_year(text: str) -> int | None:
    """The year in UTC of a year-first timestamp text (ISO 8601, an offset or a zone name
    after it) whose written year is 1, 9999 or beyond 1-9999, which Python's dates do not
    all hold; None for other years (an offset under a day moves no year 2-9998 out of
    1-9999) and texts the bill's reader cannot read. Read by its day and time in a year
    of the same length (2000 or 2001), then moved by the years UTC moves that."""
    m = _YEAR_FIRST.match(text)
    if not m:
        return None
    year = int(m.group(1))
    if 2 <= year <= 9998:
        return None
    probe = 2000 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 2001
    read = text_times([f"{probe}{m.group(2)}"])[0]
    return None if read is None else year + read.year - probe


#: an offset at the end of a timestamp: `+05:30`, `-0800`, `UTC+2`, `GMT-05:30`
_OFFSET_END = re.compile(r"(?:UTC|GMT|utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$")


def _bad_offset(text: str) -> bool:
    """Whether `text` ends in an offset no clock has: past 14:00, or minutes past 59
    (`+02:75`, `UTC+15`, `+14:30`). A date's own `-05` is no offset (`2026-10-05`)."""
    if re.search(r"\d{4}-\d{2}-\d{2}$", text.strip()):
        return False
    m = _OFFSET_END.search(text)
    if not m or ":" not in text[: m.start()]:  # (an offset follows a time of day)
        return False
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    return minutes > 59 or hours * 60 + minutes > 14 * 60


def text_times(values: list[str]) -> list[pd.Timestamp | None]:
    """Each text value as `parse_times` reads a bill's cell: a naive UTC Timestamp
    (microseconds), or None where it refuses the value (unreadable, an all-number date
    not year first, a bare number). Values are taken as given (no null spellings)."""
    if not len(values):
        return []
    parsed = _text_times(pd.Series(list(values), dtype=object))
    naive = parsed.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
    return [None if v is pd.NaT else v for v in naive.tolist()]


def _text_times(s: pd.Series) -> pd.Series:
    """Text (or Timestamps) as datetime64[us, UTC], NaT where null or refused: ISO 8601
    first, then the other spellings of the values ISO could not read ("2024-09-18
    22:00:00 UTC", "18 Sep 2024 23:00"), but for all-number dates not year first
    ("2/10/2026" is February or October by locale) and bare numbers (epoch seconds or
    ms?)."""
    parsed = pd.to_datetime(s, utc=True, errors="coerce", format="ISO8601")
    parsed = parsed.astype("datetime64[us, UTC]")  # (one unit: the rest is put in it)
    bad = parsed.isna() & s.notna()
    if bad.any():
        text = s.astype(str).str.strip()
        ambiguous = (text.str.match(r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}\b")
                     | text.str.fullmatch(r"[+-]?\d+(\.\d*)?"))
        again = bad & ~ambiguous
        if again.any():
            # "UTC+2" / "GMT-05:30" as the offsets +02:00 / -05:30 (the usage reader's
            # reading; dateutil takes them POSIX-wise, "UTC+2" as two hours behind)
            fixed = text[again].str.replace(_UTC_PLUS, _iso_offset, regex=True)
            parsed[again] = pd.to_datetime(fixed, utc=True, errors="coerce",
                                           format="mixed").astype("datetime64[us, UTC]")
            zoned = again & parsed.isna() & text.str.match(_ZONE_NAMED)
            if zoned.any():
                parsed[zoned] = _zone_named(text[zoned])
    # an offset past 14:00 or with minutes past 59 reads as no time (each distinct
    # text tested once: a bill's periods repeat)
    text = s.astype(object)
    wrong = [t for t in pd.unique(text.to_numpy()) if isinstance(t, str) and _bad_offset(t)]
    if wrong:
        parsed[text.isin(wrong).to_numpy(bool)] = pd.NaT
    years = parsed.dt.year
    parsed[(years < 1) | (years > 9999)] = pd.NaT  # (in UTC: no date of the outputs holds it)
    return parsed


#: a local time followed by an IANA zone name: `2026-10-02 01:15 America/New_York`,
#: `2026-10-02 01:15 EST5EDT` (`_zone` tells whether the name is one)
_ZONE_NAMED = r"^(.*\d)\s+([A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)$"


def _zone_named(text: pd.Series) -> pd.Series:
    """Local times named by an IANA zone (`... Europe/Paris`) in UTC, with the zone's
    offset on that date (summer time included); NaT for an unknown zone, a local time
    that also carries an offset, or one the zone's clock skips or repeats (the hour a
    summer time ends happens twice: which one is not said)."""
    parts = text.str.extract(_ZONE_NAMED)
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    for name, idx in parts.groupby(1).groups.items():
        zone = _zone(name)
        if zone is None:
            continue
        local = pd.to_datetime(parts.loc[idx, 0], errors="coerce", format="mixed")
        if getattr(local.dt, "tz", None) is not None:
            continue  # an offset and a zone name: which one holds is not said
        try:
            out[idx] = (local.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
                        .dt.tz_convert("UTC").astype("datetime64[us, UTC]"))
        except Exception:  # noqa: BLE001 (a time past the zone's rules: year 9999 in New
            continue       # York is year 10000 in UTC): refused, as any unread value
    return out


def _zone(name: str) -> Any:
    """The IANA zone `name`, any key of the IANA list (`zoneinfo.available_timezones`) in
    any letter case (`europe/paris`, `EST5EDT`, `UCT`, `GB`) but `ABBREVIATION_KEYS` and
    `NO_PLACE_KEYS`; None for any other name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    global _ZONES_LOWER
    if _ZONES_LOWER is None:
        _ZONES_LOWER = {z.lower(): z for z in available_timezones()
                        if z.lower() not in ABBREVIATION_KEYS | NO_PLACE_KEYS}
    canonical = _ZONES_LOWER.get(name.lower())
    if canonical is None:
        return None
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError):
        return None


#: IANA keys that are abbreviations people write for a local time, refused as PST is:
#: EST, MST and HST are one offset all year (or Panama's, Phoenix's, Honolulu's time,
#: by the tzdata release), not the US Eastern or Mountain time meant by most who write
#: them; CET, EET, MET and WET are one city's time in newer releases
ABBREVIATION_KEYS = frozenset({"cet", "eet", "est", "hst", "met", "mst", "wet"})
#: IANA keys of no place: `localtime` is the reading machine's own zone, `Factory` a
#: zone for "not set"
NO_PLACE_KEYS = frozenset({"factory", "localtime"})
_ZONES_LOWER: dict[str, str] | None = None


#: a "UTC+2" / "GMT-05:30" suffix: sign, hours, minutes
_UTC_PLUS = r"\s*(?:UTC|GMT)\s*([+-])(\d{1,2})(?::?(\d{2}))?\s*$"


def _iso_offset(m: Any) -> str:
    """`UTC+2` as the ISO offset `+02:00` (one no clock has, `UTC+2:75`, is refused after
    parsing, by `_bad_offset`, as its ISO spelling is)."""
    return f"{m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}"


def _all_stamps(series: pd.Series) -> bool:
    return len(series) > 0 and all(isinstance(v, (pd.Timestamp,)) for v in series.iloc[:50])


def canon(series: pd.Series, table: dict[str, str]) -> pd.Series:
    """Canonical enum spelling (FOCUS values arrive as `Usage-based` and `Usage-Based`)."""
    codes, cleaned = _cleaned(series)  # each distinct cell cleaned, then spelled, once
    mapped = np.array([None if u is None else table.get(u.lower(), u) for u in cleaned]
                      + [None], dtype=object)
    return pd.Series(mapped[codes], index=series.index, dtype=object)


#: the one key of the tags `parse_tags` could not read (the text kept under it)
UNREAD_TAGS = "_raw"


def unread_tags_note(tags: pd.Series, rows: pd.Series, source: str) -> str | None:
    """The note for rows whose Tags text `parse_tags` could not read (None when every
    row's could be): they match no `fleet: tags` selector."""
    bad = np.fromiter((UNREAD_TAGS in t and len(t) == 1 for t in tags), dtype=bool,
                      count=len(tags))
    if not bad.any():
        return None
    n = int(bad.sum())
    first = rows.to_numpy()[np.flatnonzero(bad)[0]]
    return (f"{source}: {n} row{'s' if n > 1 else ''} whose Tags are not a JSON object "
            f"(first: row {first}): read as no tags, so no `fleet: tags` selector "
            "matches them")


def parse_tags(v: Any) -> dict:
    """Tags as a dict of str -> str: JSON objects (Azure's older exports without the
    braces too), maps (list of pairs) or key/value lists; text that is none of these
    as {UNREAD_TAGS: text} (`unread_tags_note`)."""
    if is_null(v) if not isinstance(v, (list, dict)) else False:
        return {}
    if isinstance(v, str):
        text = strip_cell(v)
        try:
            v = json.loads(text)
        except json.JSONDecodeError:
            try:  # Azure's older exports: `"env": "prod","team": "ml"` (no braces)
                v = json.loads("{" + text + "}")
            except json.JSONDecodeError:
                return {UNREAD_TAGS: v}
    if isinstance(v, dict):
        return {str(k).strip(): "" if x is None else str(x) for k, x in v.items()}
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, list):
        out = {}
        for item in v:
            if isinstance(item, dict) and "key" in item:
                out[str(item["key"]).strip()] = str(item.get("value", ""))
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                out[str(item[0]).strip()] = str(item[1])
        return out
    return {}


def azure_lower(v: Any) -> Any:
    """An Azure Resource Manager id (`/subscriptions/...`) in lower case; anything else
    as it is (see `lower_azure_ids`)."""
    return v.lower() if isinstance(v, str) and v[:15].lower() == "/subscriptions/" else v


def azure_lower_all(values: list) -> list:
    """`azure_lower` of each value (for `clean_str(..., then=)`)."""
    return [azure_lower(v) for v in values]


def lower_azure_ids(ids: pd.Series) -> pd.Series:
    """Azure Resource Manager ids (`/subscriptions/...`) in lower case: Azure compares them
    case-insensitively, and its bill and its OTel resource detector spell them differently.
    Other providers' ids are case-sensitive and kept as they are."""
    codes, uniq = pd.factorize(ids, use_na_sentinel=True)
    if not len(uniq):
        return ids
    table = np.array([azure_lower(u) for u in uniq] + [None], dtype=object)
    return pd.Series(table[codes], index=ids.index, dtype=object)


def require(df: pd.DataFrame, columns: list[str], source: str, what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"{what}: missing required column{'s' if len(missing) > 1 else ''} "
            + ", ".join(missing),
            source,
        )


def label_rows(df: pd.DataFrame) -> pd.Series:
    """The label of each normalized row (see module docstring)."""
    cat = _equal_to(df["charge_category"], ("Tax", "Credit", "Adjustment", "Purchase"))
    cls = _equal_to(df["charge_class"], ("Correction",))
    status = _equal_to(df["commitment_status"], ("Used", "Unused"))
    cid = df["commitment_id"].notna().to_numpy()
    # "refund" in the description, tested once per distinct description
    codes, uniq = pd.factorize(df["description"], use_na_sentinel=True)
    hit = pd.Series(uniq, dtype=object).astype("string").str.lower().str.contains("refund")
    hit = np.append(hit.fillna(False).to_numpy(dtype=bool), False)
    desc = hit[codes]
    # the first condition that holds names the label (index into _LABELS; 9: usage)
    which = np.select(
        [cls["Correction"], cat["Tax"], cat["Credit"] & desc, cat["Credit"],
         cat["Adjustment"], cat["Purchase"] & cid, cat["Purchase"], status["Used"],
         status["Unused"]],
        list(range(9)), default=9,
    )
    return pd.Series(_LABELS[which], index=df.index, dtype=object)


#: the labels `label_rows` gives, in the order of its conditions, then the default
_LABELS = np.array(["correction", "tax", "refund", "credit", "adjustment",
                    "commitment_purchase", "purchase", "commitment_used",
                    "commitment_unused", "usage"], dtype=object)


def _equal_to(col: pd.Series, values: tuple[str, ...]) -> dict[str, np.ndarray]:
    """value -> whether each cell of `col` equals it (each distinct cell compared once)."""
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    out = {}
    for v in values:
        hit = np.array([u == v for u in uniq] + [False], dtype=bool)
        out[v] = hit[codes]
    return out


def check_row_fields(df: pd.DataFrame, source: str, currency: str,
                     billing: tuple[str, str]) -> None:
    """InputError naming the first row (`df["row"]`) whose currency is no ISO 4217 code
    (`currency`: the format's column, named in the error), or whose billing period ends
    at or before it starts (`billing`: the start and end columns). Before, a code such as
    `XYZ` failed at the end of the run with no file or row, and a reversed billing period
    printed as the run's period."""
    from infercost.core.currency import currency_problem

    codes = df["currency"]
    for code in pd.unique(codes.dropna()):
        problem = currency_problem(code)
        if problem is not None:
            i = int(np.flatnonzero((codes == code).to_numpy(dtype=bool))[0])
            raise InputError(f"column {currency}: {problem} (got {code!r})",
                             f"{source}: row {df['row'].iloc[i]}")
    start, end = df.get("billing_start"), df.get("billing_end")
    if start is None or end is None:
        return
    back = (pd.to_datetime(end) <= pd.to_datetime(start)).to_numpy(dtype=bool)
    if back.any():
        i = int(np.flatnonzero(back)[0])
        raise InputError(
            f"column {billing[1]}: the billing period ends at or before it starts "
            f"({billing[0]} {pd.Timestamp(start.iloc[i]):%Y-%m-%dT%H:%M:%SZ}, {billing[1]} "
            f"{pd.Timestamp(end.iloc[i]):%Y-%m-%dT%H:%M:%SZ}); expected the end after the start",
            f"{source}: row {df['row'].iloc[i]}")


def finish(df: pd.DataFrame) -> pd.DataFrame:
    """Fill absent optional columns, add labels, order columns."""
    for c in BILL_COLUMNS:
        if c not in df.columns:
            df[c] = None
    df["nrows"] = 1  # one bill row each (a reduced bill sets its own counts)
    df["period_dropped"] = False
    if "label" not in df or df["label"].isna().all():
        df["label"] = label_rows(df)
    return df[BILL_COLUMNS].reset_index(drop=True)


