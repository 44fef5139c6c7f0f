"""Usage logs (DESIGN.md): one row per request, CSV, Parquet or JSON lines; OTel spans.

Columns (case-insensitive): `timestamp` (UTC request start; ISO 8601 or
`YYYY-MM-DD HH:MM:SS`, offsets converted to UTC), `request_id`, `model`,
`model_version`, `endpoint`, `tenant`, `resource_id` (as the bill's ResourceId),
`duration_ms` (busy time on that resource, milliseconds) and, when known,
`input_tokens`, `output_tokens`, `status`, `gpu_ms` (GPU busy time, milliseconds, for the
`gpu_time` driver), `provider` (the hosted model API that served a hosted call, e.g.
`openai`; empty for a self-hosted request: a row with a provider and no resource_id is
rejected as `hosted API call: billed by its provider`), `requests` (how many requests
the row stands for, a whole number >= 1, 1 when absent or empty; its duration_ms and
tokens are those requests' totals). Required: timestamp, request_id, resource_id,
duration_ms. Timestamps without a zone or offset are read as UTC, said in one note.

Files are opened lazily through the chosen backend (Parquet directories and globs are
never loaded whole); the normalization below is one set of Ibis expressions. One reader
per format: CSV and Parquet through the backend; JSON lines through the backend, a JSON
array of requests through `billrows.json_records` (the bill's JSON reader); `.gz`
compressed files alike. OpenTelemetry span files (OTLP JSON, one document per line or
pretty-printed, or an array of documents) are recognised by their `resourceSpans` key
and mapped by `infercost.ingest.otel`. Cells are cleaned as in the bill: a byte-order
mark (U+FEFF) counts as whitespace, and a request id or label spelled as one of the
bill's nulls (`NULL`, `None`, `NaN`...) is missing. Azure Resource Manager ids (`/subscriptions/...`)
are compared in lower case (`billrows.lower_azure_ids`).

A file the backend cannot read (not UTF-8, malformed JSON, a CSV named `.parquet`) is an
`InputError` naming the file (and the line where Python can find it), never a traceback.
"""

from __future__ import annotations

import csv
import dataclasses
import decimal
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infercost.errors import InputError, shown
from infercost.ingest.billrows import (
    NULL_STRINGS,
    NUMBER_NULLS,
    azure_lower,
    expand_paths,
    file_kind,
    open_text,
    refuse_same_bytes,
    refused_why,
    zone_hint,
)

REQUIRED = ["timestamp", "request_id", "resource_id", "duration_ms"]
STRINGS = ["request_id", "model", "model_version", "endpoint", "tenant", "resource_id", "status"]
INTS = ["input_tokens", "output_tokens"]
FLOATS = ["duration_ms", "gpu_ms"]
USAGE_COLUMNS = ["timestamp", *STRINGS[:6], "duration_ms", "gpu_ms", *INTS, "status", "provider",
                 "requests"]
#: the usage columns read as text, and as numbers (`_expected` says what each expects)
TEXTS = [*STRINGS, "provider"]
NUMBERS = [*FLOATS, *INTS, "requests"]
#: the counted columns: whole numbers (a 12.7 is refused, as is a `requests` below 1)
WHOLE = [*INTS, "requests"]
#: file names a usage folder is searched for
USAGE_EXTENSIONS = (".parquet", ".csv", ".csv.gz", ".json", ".jsonl", ".ndjson", ".json.gz",
                    ".jsonl.gz", ".ndjson.gz")
BOM = "\ufeff"


@dataclass
class Usage:
    """A normalized usage table (Ibis, lazy) and where it came from."""

    table: Any
    files: list[Path]
    kinds: list[str]
    notes: list[str] = field(default_factory=list)
    has_gpu_ms: bool = False
    has_tokens: bool = False
    #: rows whose token counts (a column the log has) are unknown: missing, NaN or out of
    #: range (None: not counted); cost per 1M tokens reads high when there are some
    tokens_unknown: int | None = None
    #: ResourceIds the usage names without a row (a counts endpoint without any call, as
    #: `Counts.quiet`; Azure ids in lower case): rule R1 puts their bill rows in the fleet
    named_ids: frozenset[str] = frozenset()

    @property
    def where(self) -> str:
        """The log's files as an error names them (the first, and how many more)."""
        return _where(self.files) if self.files else "usage"


def read_usage(con: Any, paths: list[str | Path] | str | Path) -> Usage:
    """Open usage files (CSV, Parquet, JSON lines or array, OTel JSON) as one table."""
    files = expand_paths(paths, USAGE_EXTENSIONS)
    refuse_same_bytes(files, "usage")  # (a log read twice doubles its requests)
    groups: dict[str, list[Path]] = {}
    for f in files:
        kind = file_kind(f)
        if kind == "json":
            kind = json_shape(f)
        groups.setdefault(kind, []).append(f)
    tables = []
    notes = []
    has_gpu = has_tok = False
    unknown: int | None = 0
    no_zone: list[tuple[list[Path], int]] = []
    for kind, fs in sorted(groups.items()):
        raw, note = open_raw(con, kind, fs)
        if note:
            notes.append(note)
        raw, note = fold_case(con, raw, fs, kind)
        if note:
            notes.append(note)
        t, gpu, tok, untok, nz = normalized(con, raw, fs, kind)
        if nz:
            no_zone.append((fs, nz))
        has_gpu |= gpu
        has_tok |= tok
        unknown = None if unknown is None or untok is None else unknown + untok
        tables.append(t)
    if no_zone:
        notes.append(naive_stamps_note(no_zone))
    return Usage(union(tables), files, sorted(groups), notes, has_gpu, has_tok, unknown)


def naive_stamps_note(parts: list[tuple[list[Path], int]]) -> str:
    """The one note for usage timestamps without a zone or offset, read as UTC: `parts`
    holds the files of each kind with how many such timestamps they hold (-1: a column
    type without a zone, every row)."""
    said = [f"every row of {_where(fs)}, a TIMESTAMP column without a time zone" if n < 0
            else f"{n:,} row{'s' if n > 1 else ''} of {_where(fs)}" for fs, n in parts]
    return ("usage timestamps without a zone or offset, read as UTC (as the bill's are): "
            + "; ".join(said) + ". A log written in local time would sit its offset away "
            "from the bill's hours: write Z or an offset such as +02:00")


def counts_usage(con: Any, counts: Any) -> Usage:
    """A `Counts` (`infercost.ingest.counts`) as a Usage: its hourly rows, normalized."""
    from infercost.ingest.backends import from_arrow

    raw = from_arrow(con, counts.table, "counts_usage")
    tok = bool(counts.table.num_rows) and (
        counts.table.column("input_tokens").null_count < counts.table.num_rows)
    return Usage(normalize(raw, clean_text=False), list(counts.files), ["counts"],
                 list(counts.notes), False, tok,
                 counts.table.column("input_tokens").null_count if tok else 0,
                 frozenset(azure_lower(x) for x in counts.quiet))


def no_usage(con: Any) -> Usage:
    """An empty usage table (`attribute --bill` alone: the bill's own breakdown)."""
    import pandas as pd

    from infercost.ingest.backends import from_arrow
    from infercost.ingest.counts import hourly_usage

    empty = hourly_usage(pd.DataFrame(columns=["period_start"]))
    return Usage(normalize(from_arrow(con, empty, "no_usage"), clean_text=False), [], [],
                 ["no usage given: every bill row is shared (or fleet idle by the rules)"])


def footers_rule_out_rejects(usage: Usage, max_duration_ms: float) -> bool:
    """Whether the Parquet footers of every usage file show that no row can be rejected
    for a reason statistics can show: a null, negative or over-`max_duration_ms`
    `duration_ms`, or a negative token count (row-group min, max and null counts; bounds,
    so a writer's inexact statistics only make this answer False). Also False when a
    file has a `requests` column (the bound is per row then), a column is not numeric or
    a statistic is missing, or any file is not Parquet. NaN is not in Parquet statistics:
    the caller checks it (`engine.resource_hours`); so are null timestamps and
    resource_ids (null group keys)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if usage.kinds != ["parquet"] or not usage.files:
        return False
    for f in usage.files:
        try:
            pf = pq.ParquetFile(f)
        except (OSError, pa.ArrowException):
            return False  # the engine's own read names the problem
        names = {n.lower(): n for n in pf.schema_arrow.names}
        if "requests" in names or "duration_ms" not in names:
            return False
        bounds = {"duration_ms": (0.0, max_duration_ms, True)}
        bounds.update({c: (0, None, False) for c in INTS if c in names})
        meta = pf.metadata
        paths = [meta.schema.column(j).path for j in range(meta.num_columns)]
        for col, (lo, hi, no_nulls) in bounds.items():
            name = names[col]
            typ = pf.schema_arrow.field(name).type
            if not (pa.types.is_integer(typ) or pa.types.is_floating(typ)) or name not in paths:
                return False
            j = paths.index(name)
            for i in range(meta.num_row_groups):
                rg = meta.row_group(i)
                if rg.num_rows == 0:
                    continue
                st = rg.column(j).statistics
                if st is None or not st.has_null_count or (no_nulls and st.null_count):
                    return False
                if st.null_count == rg.num_rows:
                    continue  # all null: nothing to bound (tokens only, as said above)
                if not st.has_min_max or not st.min >= lo or (hi is not None
                                                             and not st.max <= hi):
                    return False
    return True


def combine(parts: list[Usage]) -> Usage:
    """Several Usages (a log and counts) as one."""
    if len(parts) == 1:
        return parts[0]
    return Usage(union([p.table for p in parts]), [f for p in parts for f in p.files],
                 sorted({k for p in parts for k in p.kinds}),
                 [n for p in parts for n in p.notes], any(p.has_gpu_ms for p in parts),
                 any(p.has_tokens for p in parts),
                 None if any(p.tokens_unknown is None for p in parts)
                 else sum(p.tokens_unknown for p in parts),
                 frozenset().union(*(p.named_ids for p in parts)))


def union(tables: list[Any]) -> Any:
    """The usage tables one after the other. Columns whose types differ between them (a
    Parquet TIMESTAMP of microseconds beside a CSV's parsed text, milliseconds beside
    microseconds) are cast to the first table's types: without the cast the engine
    refused to union a CSV log with a Parquet one. A single table is left as it is."""
    table = tables[0]
    schema = table.schema()
    for t in tables[1:]:
        other = t.schema()
        if other != schema:
            t = t.cast({c: schema[c] for c in schema if other[c] != schema[c]})
        table = table.union(t)
    return table


def normalized(con: Any, raw: Any, fs: list[Path], kind: str
               ) -> tuple[Any, bool, bool, int | None, int]:
    """Check required columns and parse errors, then normalize; also whether the files
    carry gpu_ms and tokens, how many rows have unknown token counts (None: not
    counted), and how many timestamps carry no zone (-1: the column's type has none)."""
    cols = {c.lower(): c for c in raw.columns}
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        if kind == "csv":  # a ragged row makes the sniffer see one column: say which
            for f in fs:
                with open_text(f) as fh:  # (as the bill's reader says it)
                    if not fh.readline().strip().lstrip(BOM):
                        raise InputError("empty file (no header row)", str(f))
                csv_shape_check(f)  # (the engine's sniffer fails on these)
        if kind == "json":  # a line that is no object (an array, a number) reads as no keys
            located = _locate_unreadable(fs, kind)
            if ": line " in located:
                raise InputError("expected one JSON object per line", located)
        raise InputError(_missing_text(missing), _where(fs))
    if len(fs) > 1 and kind in ("parquet", "csv"):  # one file without them: its rows
        for f in fs:                                  # would be read as nulls, unnamed
            if f.stat().st_size == 0:
                raise InputError("empty file (0 bytes; expected a usage log)", str(f))
            names = _names_in_files(con, [f], kind)
            lacks = [c for c in REQUIRED if names is not None
                     and c not in {n.lower() for n in names}]
            if lacks:
                raise InputError(_missing_text(lacks) + " (the other files have them)",
                                 str(f))
    check_types(raw, fs, kind)
    ts = raw[cols["timestamp"]].type()
    if ts.is_numeric():  # epoch numbers: read as no time at all, every row rejected
        raise InputError(f"column timestamp: expected timestamps (a timestamp type or "
                         f"ISO 8601 text), got {ts} numbers (epoch values are not read as "
                         "times)", _where(fs))
    if ts.is_date():  # a day, no time: every request would sit in the day's first hour
        raise InputError("column timestamp: expected timestamps, got dates without a time "
                         "of day (requests per day are call counts: --counts)", _where(fs))
    untok, stamps, no_zone = check_parse(con, raw, fs, kind)
    has_tok = "input_tokens" in cols or "output_tokens" in cols
    if kind == "parquet":
        untok = _footer_token_nulls(fs) if has_tok else 0
    if kind == "parquet" and ts.is_timestamp() and ts.timezone is None:  # (no zone in the
        no_zone = -1  # type; OTel spans' times are UTC instants, as unix nanoseconds)
    return (normalize(raw, clean_text=kind != "parquet", stamps=stamps), "gpu_ms" in cols,
            has_tok, untok if has_tok else 0, no_zone)


def check_types(raw: Any, fs: list[Path], kind: str) -> None:
    """Refuse a usage column read with a type no value of it can have (the engine's
    schema only: no query): a list, struct or map (a JSON object or array) in any column
    the tool reads, a boolean where a number or a timestamp is expected (JSON `true`, a
    Parquet bool column; in a text column a boolean reads as `true`, as a CSV gives it).
    Columns the tool does not read are not looked at. Raises InputError naming the file,
    row and column of the first such value (`_first_bad`); a column holding no value
    (all null) is let through."""
    cols = {c.lower(): c for c in raw.columns}
    for c in ["timestamp", *TEXTS, *NUMBERS]:
        if c not in cols:
            continue
        t = raw[cols[c]].type()
        if not (t.is_struct() or t.is_array() or t.is_map()
                or (t.is_boolean() and c not in TEXTS)):
            continue
        where, value = _first_bad(fs, kind, c, test=lambda v: v is not None)
        if value is not None:
            raise InputError(f"column {c}: expected {_expected(c)}, got {_got(value, kind, t)}",
                             where)


def _expected(column: str) -> str:
    """What a usage column holds, as an error says it expected it."""
    if column == "timestamp":
        return "a timestamp"
    if column in TEXTS:
        return "text"
    return "a whole number" if column in WHOLE else "a number"


def _misplaced(column: str, value: Any) -> bool:
    """Whether a JSON value has a type no usage `column` holds: an object or an array
    anywhere, a boolean where a number or a timestamp is expected."""
    return isinstance(value, (dict, list)) or (isinstance(value, bool) and column not in TEXTS)


def _refused(column: str, n: int, value: Any, why: str) -> str:
    """The message for `n` values of `column` that read but are refused, the first
    `value`, and `why` (a repeated local hour, a year outside 1-9999, hour 24)."""
    return (f"column {column}: {n} value{'s' if n > 1 else ''} refused; first "
            f"{shown(value)}: {why}")


def _got(value: Any, kind: str, dtype: Any = None) -> str:
    """A value of the wrong type as an error names it: `true`, `an object {"t": 1}`,
    `an array ["i-1"]` (JSON), `a struct ...`, `a list ...`, `a map ...` (Parquet), its
    text cut at 60 characters."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if dtype is not None and dtype.is_map() and isinstance(value, list):
        noun, value = "a map", dict(value)
    elif isinstance(value, dict):
        noun = "an object" if kind.startswith("json") else "a struct"
    else:
        noun = "an array" if kind.startswith("json") else "a list"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return f"{noun} {text if len(text) <= 60 else text[:57] + '...'}"


def _footer_token_nulls(fs: list[Path]) -> int | None:
    """Rows with a null token count in Parquet files, from their footers (per row group,
    the larger null count of input_tokens and output_tokens: a lower bound); None when a
    statistic is missing."""
    import pyarrow.parquet as pq

    total = 0
    try:
        for f in fs:
            meta = pq.ParquetFile(f).metadata
            idx = [j for j in range(meta.num_columns)
                   if meta.schema.column(j).path.lower() in INTS]
            for g in range(meta.num_row_groups):
                nulls = [meta.row_group(g).column(j).statistics for j in idx]
                if any(st is None or not st.has_null_count for st in nulls):
                    return None
                total += max((st.null_count for st in nulls), default=0)
    except Exception:  # noqa: BLE001 (the engine's own read names a bad file)
        return None
    return total


def fold_case(con: Any, raw: Any, fs: list[Path], kind: str) -> tuple[Any, str | None]:
    """Columns whose names differ only in letter case (JSON lines whose keys change case
    between rows, a header naming a field twice) as one column: each row's first
    non-null value, in the order the columns come (as text when their types differ); and
    a note saying so (None when there are none). DuckDB reads such names as one column
    and a renamed one (`Duration_MS` as `Duration_MS_1`); a renamed column is told from
    a column really named so by the files' own names."""
    import ibis

    names = list(raw.columns)
    lows = {c.lower() for c in names}
    renamed = {c: m.group(1) for c in names
               if (m := re.fullmatch(r"(.+)_\d+", c)) and m.group(1).lower() in lows}
    if renamed:
        real = _names_in_files(con, fs, kind)
        spelled = {x.lower() for x in real or ()}
        renamed = {c: b for c, b in renamed.items()
                   if real is not None and c not in real and b.lower() in spelled}
    groups: dict[str, list[str]] = {}
    for c in names:
        groups.setdefault(renamed[c].lower() if c in renamed else c.lower(), []).append(c)
    twice = {k: v for k, v in groups.items() if len(v) > 1}
    if not twice:
        return raw, None
    out = {}
    for cols in twice.values():
        vals = [json_text(raw[c]) for c in cols]
        if len({str(v.type()) for v in vals}) > 1:
            vals = [v.cast("string") for v in vals]
        out[cols[0]] = ibis.coalesce(*vals)
    raw = raw.mutate(**out).drop(*[c for cols in twice.values() for c in cols[1:]])
    said = "; ".join(" and ".join(renamed.get(c, c) for c in cols) for cols in twice.values())
    return raw, (f"{_where(fs)}: names that differ only in letter case read as one column "
                 f"(each row's first non-empty value): {said}")


def _missing_text(missing: list[str]) -> str:
    return (f"usage log: missing required column{'s' if len(missing) > 1 else ''} "
            + ", ".join(missing))


def _names_in_files(con: Any, fs: list[Path], kind: str) -> set[str] | None:
    """The column names (keys) as the files spell them, or None when not known."""
    try:
        if kind == "parquet":
            import pyarrow.parquet as pq

            return {n for f in fs for n in pq.read_schema(f).names}
        if kind == "csv":
            from infercost.ingest.billrows import open_text

            out: set[str] = set()
            for f in fs:
                with open_text(f) as fh:
                    out.update(c.strip().lstrip(BOM) for c in next(csv.reader(fh), []))
            return out
        if kind == "json_array":
            from infercost.ingest.billrows import json_records

            return {k for f in fs for r in json_records(f) for k in r}
        if kind == "json":
            from infercost.ingest.backends import backend_name

            if backend_name(con) != "duckdb":
                return None
            files = ", ".join(repr(str(f)) for f in fs)
            rows = con.con.sql(
                f"SELECT DISTINCT unnest(json_keys(json)) FROM read_json_objects([{files}], "
                "format='newline_delimited')").fetchall()
            return {r[0] for r in rows}
    except Exception:  # noqa: BLE001 (the engine's own read names a fault later)
        return None
    return None


def json_shape(path: Path) -> str:
    """`otel` (OTLP JSON: `resourceSpans` anywhere in the document's first object, one
    document per line or pretty-printed over many), `json_array` (a JSON array of
    requests) or `json` (JSON lines, read by the backend)."""
    try:
        with open_text(path) as fh:
            head = fh.read(1 << 16)
    except UnicodeDecodeError:  # the line and key, not a byte offset
        from infercost.ingest.textscan import json_not_utf8_error

        raise (json_not_utf8_error(path) or InputError("cannot read JSON: not UTF-8",
                                                       str(path))) from None
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read JSON: {e}", str(path)) from None
    text = head.lstrip().lstrip(BOM)
    if "resourceSpans" in text:
        return "otel"
    if text.startswith("["):
        return "json_array"
    first = text.split("\n", 1)[0].strip()
    if text.startswith("{") and not first.endswith("}"):
        # one pretty-printed document: OTLP if its keys say so, else one request
        from infercost.ingest.billrows import json_records

        recs = json_records(path)
        return "otel" if any("resourceSpans" in r for r in recs) else "json_array"
    return "json"


def open_raw(con: Any, kind: str, fs: list[Path]) -> tuple[Any, str | None]:
    """One raw table per kind of file, and a note (OTel span counts)."""
    from infercost.ingest import otel
    from infercost.ingest.backends import from_arrow, read_files

    if kind == "otel":
        arrow, c = otel.read_spans(fs)
        note = f"OTel: {c.used} of {c.total} spans carry gen_ai attributes"
        if c.not_inference:
            note += (f"; {c.not_inference} agent or tool span{'s' if c.not_inference > 1 else ''}"
                     " (gen_ai.operation.name) skipped: not inference requests")
        if c.hosted:
            note += (f"; {c.hosted} hosted API call{'s' if c.hosted > 1 else ''}: billed by "
                     "the provider, no share of the host's time")
        if c.duplicates:
            note += (f"; {c.duplicates} span{'s' if c.duplicates > 1 else ''} read again (same "
                     "traceId and spanId) counted once")
        if c.bad_divisor:
            n = c.bad_divisor
            note += (f"; {n} span{'s' if n > 1 else ''} with a batch size or concurrency "
                     "that is not a whole number >= 1: no duration_ms (busy share unknown)")
        return from_arrow(con, arrow, "otel_usage"), note
    if kind == "json_array":
        return from_arrow(con, _records_table(fs), "json_usage"), None
    try:
        raw = read_files(con, kind, fs)
        return (_json_stamps_as_text(con, raw, fs) if kind == "json" else raw), None
    except InputError:
        raise
    except Exception as e:  # the backend's own errors: name the file (and line)
        raise _unreadable(e, kind, fs) from None


def csv_shape_check(f: Path) -> None:
    """InputError naming the row of a CSV file's first quote out of its place
    (`quote_check`), else of its first row with another number of fields than the header
    (`billrows.ragged_row_check`); nothing when neither."""
    from infercost.ingest.billrows import ragged_row_check

    quote_check(f)
    ragged_row_check(f)


def _unreadable(e: Exception, kind: str, fs: list[Path]) -> InputError:
    """The one-line error for files of `kind` the engine failed to read (`e`, its own
    error): a CSV quote out of place, a ragged row, a byte that is not UTF-8 (its line and
    column), else the file (and line) and the engine's first line. Re-raises an
    interrupt."""
    from infercost.errors import raise_if_interrupt

    raise_if_interrupt(e)
    if kind == "csv":  # (Spark reads a quote out of place or a ragged row at a query)
        from infercost.ingest.textscan import csv_not_utf8_error

        for f in fs:
            csv_shape_check(f)
            located = csv_not_utf8_error(f)  # line and column, no backend text
            if located is not None:
                return located
    where = _where(fs) if kind == "parquet" else _locate_unreadable(fs, kind)
    return (_unreadable_json(where) if kind == "json" else None) or InputError(
        f"cannot read {kind}: {_first_line(e)}", where)


def _json_stamps_as_text(con: Any, raw: Any, fs: list[Path]) -> Any:
    """JSON lines opened again with their `timestamp` key as text where DuckDB typed it
    a timestamp itself (every value it sampled read as ISO 8601): DuckDB's own reading
    takes `24:00` as the next day's 00:00 and `+02:75` as +03:15, which the text checks
    (`check_parse`) refuse as the bill's reader does and Spark's reading (text) sees.
    Other keys keep the types DuckDB found; a lazy open, no scan. Left as it is on
    Spark, and where DuckDB renamed a key spelled in two letter cases (`fold_case`:
    `Duration_MS_1`, which names no key to read by)."""
    from infercost.ingest.backends import backend_name

    names = [c for c in raw.columns if c.lower() == "timestamp"]
    lows = {c.lower() for c in raw.columns}
    renamed = any((m := re.fullmatch(r"(.+)_\d+", c)) and m.group(1).lower() in lows
                  for c in raw.columns)
    if (backend_name(con) != "duckdb" or len(names) != 1 or renamed
            or not raw[names[0]].type().is_timestamp()):
        return raw
    types = con.con.sql(f'DESCRIBE "{raw.get_name()}"').fetchall()
    columns = {n: ("VARCHAR" if n == names[0] else str(t)) for n, t, *_ in types}
    return con.read_json([str(f) for f in fs], format="newline_delimited", columns=columns)


def _records_table(fs: list[Path]):
    """JSON arrays of requests as one Arrow table (every value as text, like CSV)."""
    import pyarrow as pa

    from infercost.ingest.billrows import json_records

    recs = []
    for f in fs:
        for i, r in enumerate(json_records(f), start=1):
            for k, v in r.items():
                c = k.lower()
                if c in USAGE_COLUMNS and _misplaced(c, v):
                    raise InputError(f"column {c}: expected {_expected(c)}, got "
                                     f"{_got(v, 'json_array')}", f"{f}: row {i}")
            recs.append(r)
    names: dict[str, None] = {}
    for r in recs:
        names.update(dict.fromkeys(r))
    cols = {n: [None if r.get(n) is None else str(r[n]) for r in recs] for n in names}
    # a key spelled in two letter cases: the later spelling renamed as DuckDB renames
    # it (`Duration_MS_1`), so the engine can hold both; `fold_case` reads them as one
    taken = set()
    named = {}
    for n in cols:
        k, i = n, 0
        while k.lower() in taken:
            i += 1
            k = f"{n}_{i}"
        taken.add(k.lower())
        named[k] = cols[n]
    return pa.table({n: pa.array(v, pa.string()) for n, v in named.items()})


def _first_line(e: Exception) -> str:
    from infercost.errors import engine_text

    return engine_text(e)


def _where(fs: list[Path]) -> str:
    return str(fs[0]) if len(fs) == 1 else f"{fs[0]} (and {len(fs) - 1} more)"


def normalize(raw: Any, clean_text: bool = True, stamps: Any = None) -> Any:
    """The usage columns from a raw table (strings or native types), as Ibis expressions.

    `clean_text`: strip whitespace and U+FEFF off text cells (CSV and JSON; Parquet
    strings are taken as they are). `stamps`: None, or an engine table (`check_parse`)
    of timestamp texts the engine cannot cast (`__stamp_text`, as `cleaned_text` leaves
    them) and their ISO 8601 UTC spelling (`__stamp_iso`), cast in their place: only
    logs holding such spellings pay for the join. A request id spelled as one of the
    bill's nulls (`NULL`, `null`, `None`, `NaN`, `nan`: `null_spelled_as_null`) is
    missing; so is a label (model, model_version, endpoint, tenant) so spelled, but the
    labels stay as read here and are mapped where they leave the engine (`labels_read`,
    after the aggregate: the log's 100 M rows are not tested one by one)."""
    import ibis
    import ibis.expr.datatypes as dt

    cols = {c.lower(): c for c in raw.columns}
    if stamps is not None:
        key = cleaned_text(json_text(raw[cols["timestamp"]]))
        raw = raw.left_join(stamps, key == stamps["__stamp_text"]).select(
            *raw.columns, "__stamp_iso")

    def col(name):
        return json_text(raw[cols[name]]) if name in cols else None

    def text(v):  # a text cell cleaned as in the bill: BOM and whitespace off the ends
        return cleaned_text(v) if clean_text else v

    out = {}
    ts = col("timestamp")
    if ts.type().is_string():
        ts = text(ts)
        if stamps is not None:
            ts = ibis.coalesce(raw["__stamp_iso"], ts)
        ts = ts.try_cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp())
    elif ts.type().is_timestamp() and ts.type().timezone is not None:
        ts = ts.cast(dt.Timestamp())
    elif not ts.type().is_timestamp():
        ts = ts.cast("string").try_cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp())
    out["timestamp"] = ts
    for c in STRINGS[:6]:
        v = col(c)
        if v is None:
            out[c] = ibis.null(dt.string)
            continue
        v = text(v) if v.type().is_string() else v.cast(dt.string)
        if c == "request_id" or (c == "resource_id" and clean_text):
            # an id spelled as a null is none, as in the bill (labels too, where they
            # leave the engine: `labels_read`; a Parquet log's ResourceIds when its
            # distinct ids hold such a spelling: `resource_ids`)
            v = null_spelled_as_null(v)
        if c == "resource_id":  # Azure ARM ids are case-insensitive
            # (a leading "/" first: the cheap test that most ids fail)
            v = azure_lowered(v)
        out[c] = v
    for c in FLOATS:
        v = col(c)
        out[c] = ibis.null(dt.float64) if v is None else (
            text(v).try_cast(dt.float64) if v.type().is_string() else v.cast(dt.float64))
    for c in INTS:
        v = col(c)
        if v is not None and v.type().is_integer():  # |v| < 2^53, as in float64 below
            v = ibis.ifelse((v > -(2**53)) & (v < 2**53), v.cast(dt.int64),
                            ibis.null(dt.int64))
        elif v is not None:  # beyond 2^53 is no token count: unknown (null), as if absent
            v = text(v).try_cast(dt.float64) if v.type().is_string() else v.cast(dt.float64)
            # (try_cast: NaN is in no Parquet statistic, so DuckDB may take the test for
            # always true and cast NaN itself)
            v = ibis.ifelse(v.abs() < 2**53, v, ibis.null(dt.float64)).try_cast(dt.int64)
        out[c] = ibis.null(dt.int64) if v is None else v
    v = col("provider")  # (spelled as a null: no provider, so no hosted API call)
    out["provider"] = ibis.null(dt.string) if v is None else null_spelled_as_null(
        text(v) if v.type().is_string() else v.cast(dt.string))
    v = col("status")
    out["status"] = ibis.null(dt.string) if v is None else v.cast(dt.string)
    v = col("requests")  # (whole numbers >= 1 or missing once `check_parse` passed)
    if v is not None and not v.type().is_integer():
        v = text(v).try_cast(dt.float64) if v.type().is_string() else v.cast(dt.float64)
        v = ibis.ifelse(v.isnan() | v.isinf(), ibis.null(dt.float64), v).try_cast(dt.int64)
    # a missing cell (empty, or spelled as a null) stands for one request, as a row of a
    # log without the column does
    out["requests"] = (ibis.literal(1, type=dt.int64) if v is None
                       else v.cast(dt.int64).fill_null(1))
    return raw.select(**out)


def cleaned_text(v: Any) -> Any:
    """Text without U+FEFF and blanks at its ends, as the bill's cells are cleaned."""
    return v.replace(BOM, "").strip()


def azure_lowered(v: Any) -> Any:
    """Azure Resource Manager ids (`/subscriptions/...`) in lower case (they are
    case-insensitive; `billrows.lower_azure_ids`), other ids as they are. (A leading "/"
    is tested first: the cheap test most ids fail.)"""
    import ibis

    return ibis.ifelse(v.startswith("/") & v.lower().startswith("/subscriptions/"),
                       v.lower(), v)


def resource_ids(con: Any, usage: Usage) -> tuple[Usage, Any]:
    """The log's distinct ResourceIds (an Arrow table, one column `resource_id`), and the
    Usage to read from now on. Parquet text is read as it is (no per-row cleaning on the
    hot passes); when one of its ResourceIds has blanks or U+FEFF at its ends, which
    could never join the bill, the log's ResourceIds are cleaned as a CSV's are, said in
    a note; when one is spelled as one of the bill's nulls (`NULL`, `None`...), such ids
    are missing, as a CSV's are (a row without a resource: unallocated, or a hosted API
    call when it names a provider). Raises InputError when the engine cannot read the
    log."""
    from infercost.ingest.backends import to_arrow

    d = usage.table.select("resource_id").distinct()
    got = to_arrow(con, d.mutate(clean=azure_lowered(cleaned_text(d.resource_id))))
    if "parquet" not in usage.kinds:
        return usage, got.select(["resource_id"])
    raw, clean = got.column("resource_id").to_pylist(), got.column("clean").to_pylist()
    padded = sum(1 for a, b in zip(raw, clean, strict=True) if a != b)
    spelled = sum(1 for x in clean if x in NULL_STRINGS and x)  # `NULL`: no ResourceId
    if not padded and not spelled:
        return usage, got.select(["resource_id"])
    import pyarrow as pa

    t = usage.table
    rid = t.resource_id if not padded else azure_lowered(cleaned_text(t.resource_id))
    if spelled:  # (so spelled once cleaned, as a CSV's ResourceIds are read)
        rid = null_spelled_as_null(rid)
    notes = list(usage.notes)
    if padded:
        notes.append(f"{padded} ResourceId{'s' if padded > 1 else ''} of the Parquet log "
                     "with blanks or U+FEFF at the ends: read without them, as a CSV's are "
                     "(else they could not join the bill)")
    fixed = dataclasses.replace(usage, table=t.mutate(resource_id=rid), notes=notes)
    ids = sorted({x for x in clean if x is not None and x not in NULL_STRINGS})
    return fixed, pa.table({"resource_id": pa.array(ids, pa.string())})


#: the label columns: as read in the usage table, mapped by `labels_read` where they
#: leave the engine
LABELS = ("model", "model_version", "endpoint", "tenant")

#: the characters trimmed off a label's ends, as `billrows.strip_cell` trims a bill cell:
#: Python's whitespace (`str.isspace`: ASCII blanks and the controls U+001C-U+001F,
#: U+0085, the no-break space U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
#: U+205F, the ideographic space U+3000) and U+FEFF; written as `\x{...}` escapes, which
#: DuckDB's and Spark's regular expressions both read
LABEL_BLANKS = (r"[\x{9}-\x{d}\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}"
                r"\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}]")
_LABEL_ENDS = f"^{LABEL_BLANKS}+|{LABEL_BLANKS}+$"


def trimmed_label(v: Any) -> Any:
    """Text `v` without `LABEL_BLANKS` at its ends (a regular expression: for the
    aggregate's keys, never for every row of a pass)."""
    return v.re_replace(_LABEL_ENDS, "")


def labels_read(t: Any, trim: bool = True) -> Any:
    """Table `t` with its label columns (`LABELS`) read by one rule for every format:
    `LABEL_BLANKS` off their ends (`trim`), then empty or spelled as one of the bill's
    nulls read as missing (`null_spelled_as_null`), as the usage's request ids are.
    Applied to an aggregate's keys (then summed again: `t1` and `t1` followed by a
    no-break space are one label, a null and a `NULL` one missing label), not to every
    row a pass reads. `trim=False`: the null spellings only (equalities, cheap), for the
    rows written out, which are relabelled in full only when the aggregate finds a label
    to trim (`relabelled`)."""
    out = {}
    for c in LABELS:
        if c in t.columns:
            v = trimmed_label(t[c]).nullif("") if trim else t[c]
            out[c] = null_spelled_as_null(v)
    return t.mutate(**out)


def relabelled(t: Any) -> Any:
    """Whether a row of `t` has a label `labels_read` trims or empties (a boolean
    expression, for an aggregate's keys)."""
    import ibis

    tests = [(trimmed_label(t[c]).nullif("") != t[c]).fill_null(False)
             | (t[c].notnull() & (t[c] == "")) for c in LABELS if c in t.columns]
    return ibis.or_(*tests) if tests else ibis.literal(False)


def null_spelled_as_null(v: Any) -> Any:
    """Text `v` with the bill's null spellings (`billrows.NULL_STRINGS`: NULL, null,
    None, NaN, nan) as null. (Equalities, not IN: DuckDB turns an IN list into a join,
    which keeps the column read by passes that never use it.)"""
    import ibis

    return ibis.ifelse(ibis.or_(*[v == x for x in sorted(NULL_STRINGS - {""})]),
                       ibis.null("string"), v)


def json_text(v: Any) -> Any:
    """A column the engine read as JSON (its values of several JSON types across rows or
    files: "1" here, 1 there) as text: a JSON string without its quotes, any other value
    as its JSON text (1, 1.5, true), as a column of one type would be cast. Other columns
    as they are."""
    import ibis
    import ibis.expr.datatypes as dt

    if not v.type().is_json():
        return v
    return ibis.coalesce(v.str, v.cast(dt.string))


#: a timestamp cell that is only a date (no time of day)
DATE_ONLY = r"^\s*\d{4}-\d{2}-\d{2}\s*$"
#: a timestamp text holding a word (two letters in a row: a month's name, a zone, AM/PM),
#: or ending in an offset of 14 hours or more, with minutes past 59 (`+02:75`, which the
#: engines read as +03:15) or with seconds (`+02:00:60`, read as +02:01): the bill's
#: reader reads or refuses those
WORDS = (r"[A-Za-z][A-Za-z]|[+-](1[4-9]|[2-9][0-9]):?[0-9][0-9]\s*$"
         r"|[+-][0-9][0-9]:?[6-9][0-9]\s*$|[+-][0-9][0-9]:?[0-9][0-9]:[0-9][0-9]\s*$")
#: ... but for a plain UTC or GMT suffix, which the engines read as the bill's reader does
PLAIN_UTC = r"^[0-9T:.,+ -]*[0-9]\s*(UTC|GMT|utc|gmt)$"
#: a year-first date and time of day with nothing after it: no `Z`, offset or zone name
#: (read as UTC, and said in a note: `naive_stamps_note`)
NO_ZONE = r"^[+-]?[0-9]{4,}-[0-9]{2}-[0-9]{2}([Tt]|\s+)[0-9]{1,2}(:[0-9]{2}){1,2}([.,][0-9]+)?$"
#: a year-first timestamp text at hour 24 (`2026-10-02T24:00:00Z`): DuckDB reads it as the
#: next day's 00:00, Spark and the bill's reader (`billrows.text_times`) refuse it
HOUR_24 = r"^\s*[+-]?\d{4,}-\d{2}-\d{2}(T|t|\s+)24:"


def check_parse(con: Any, raw: Any, files: list[Path], kind: str
                ) -> tuple[int | None, Any, int]:
    """Unparsable timestamps or numbers in text columns, fractional token counts in
    floating-point (or decimal) columns, and values of the wrong JSON type in a column of
    several (an object or array anywhere, a boolean where a number or timestamp is
    expected): fail naming the file and row. Integer, timestamp and plain text columns
    of a Parquet log get no query here. An unclosed CSV quote behind a refused value is
    named by its row instead (`_quote_fault`, on the error path only). Returns the
    rows whose token counts are unknown (CSV, JSON: the scan counts them; None for
    Parquet, whose footers tell), None or the engine table of timestamp texts the
    engine cannot cast but the bill's reader reads (`other_stamps`), for `normalize`, and
    how many timestamp texts carry no zone or offset (`NO_ZONE`: read as UTC; counted in
    the scan the checks make anyway, 0 for a typed column)."""
    import ibis
    import ibis.expr.datatypes as dt

    cols = {c.lower(): c for c in raw.columns}
    checks = {}
    ts_bad = no_zone = None
    wrong = {}  # columns of several JSON types: objects, arrays, misplaced booleans
    for c in ["timestamp", *TEXTS, *NUMBERS]:
        if c in cols and raw[cols[c]].type().is_json():
            v = raw[cols[c]]
            s = v.cast(dt.string)
            other = v.str.isnull() & s.re_search(r"^[\[{]")
            if c not in TEXTS:
                other = other | (v.str.isnull() & s.isin(["true", "false"]))
            wrong[c] = other.fill_null(False).cast("int64").sum()
    for c in WHOLE:  # a typed 1.5 is no count either (it was rounded to 2)
        t = raw[cols[c]].type() if c in cols else None
        if t is not None and (t.is_floating() or t.is_decimal()):
            # (NaN tested itself: Parquet statistics leave it out, so DuckDB may take
            # `abs < 2^53` for true; Ibis's floor casts to int64, which NaN fails)
            f = raw[cols[c]].cast(dt.float64)
            finite = f.notnull() & ~f.isnan() & ~f.isinf() & (f.abs() < 2**53)
            g = ibis.ifelse(finite, f, 0.0)
            bad = finite & (g % 1.0 != 0)
            if c == "requests":  # (a row stands for one request or more)
                bad = bad | (finite & (g < 1)) | (f.notnull() & ~f.isnan() & ~finite)
            checks[c] = bad.fill_null(False).cast("int64").sum()
        elif c == "requests" and t is not None and t.is_integer():
            checks[c] = (raw[cols[c]] < 1).fill_null(False).cast("int64").sum()
    for c in ["timestamp", *FLOATS, *WHOLE]:
        if c in cols and json_text(raw[cols[c]]).type().is_string():
            rv = json_text(raw[cols[c]]).replace(BOM, "").strip()
            target = dt.Timestamp(timezone="UTC") if c == "timestamp" else dt.float64
            bad = rv.notnull() & (rv.strip() != "") & rv.try_cast(target).isnull()
            if c != "timestamp":  # a null spelling ("null", "None") is a missing number, as
                # in the bill; the engines read "1_000" as 1000 (Python's float too)
                bad = bad & ~rv.isin(sorted(NUMBER_NULLS))
                bad = bad | rv.contains("_").fill_null(False)
            else:  # a date without a time of day read as midnight: the day's first hour;
                # hour 24, read by DuckDB as the next day's 00:00, to the bill's reader
                bad = bad | rv.re_search(f"{DATE_ONLY}|{HOUR_24}").fill_null(False)
                # words the engine reads its own way go to the bill's reader too: zone
                # abbreviations (DuckDB reads PST and CET with summer time), UTC+5:30 (read
                # as +5:00); a plain UTC or GMT suffix is read alike by both
                bad = bad | (rv.re_search(WORDS) & ~rv.re_search(PLAIN_UTC)).fill_null(False)
                ts_bad = (rv, bad)
                no_zone = rv.re_search(NO_ZONE).fill_null(False).cast("int64").sum()
            if c in WHOLE:  # a token count of 12.7 is no count (it was rounded to 13);
                # (NaN, inf and |x| >= 2^53 read as unknown, as `normalize` reads them)
                f = rv.try_cast(dt.float64)
                finite = f.notnull() & (f.abs() < 2**53)
                g = ibis.ifelse(finite, f, 0.0)
                bad = bad | (finite & (g != g.floor())).fill_null(False)
                if c == "requests":  # (2.5 was rounded to 3; 0, -1, inf: no requests)
                    bad = bad | (f.notnull() & ~f.isnan() & ~(finite & (g >= 1))
                                 ).fill_null(False)
            checks[c] = bad.cast("int64").sum()
    if kind == "parquet" and not checks and not wrong:
        return None, None, 0
    scan = {"__rows": raw.count()}  # a full scan: decoding errors surface here
    if no_zone is not None:
        scan["__no_zone"] = no_zone
    unknown = [_token_unknown(json_text(raw[cols[c]])) for c in INTS if c in cols]
    if kind != "parquet" and unknown:
        scan["__untok"] = ibis.or_(*unknown).cast("int64").sum()
    if kind != "parquet":  # and read every text column (a scan decodes only the columns it
        # uses: a byte that is not UTF-8 in another column would surface later, unnamed)
        scan.update({f"__text{i}": raw[c].length().sum() for i, c in enumerate(raw.columns)
                     if raw[c].type().is_string()})
    try:
        counts = con.execute(raw.aggregate(
            **checks, **{f"__wrong_{c}": n for c, n in wrong.items()}, **scan))
    except Exception as e:  # the backend cannot read a file: name it (and the line)
        raise _unreadable(e, kind, files) from None
    for c in wrong:
        v = counts[f"__wrong_{c}"].iloc[0]
        if v is not None and v == v and int(v):
            where, value = _first_bad(files, kind, c, test=lambda x, c=c: _misplaced(c, x))
            raise InputError(f"column {c}: expected {_expected(c)}"
                             + (f", got {_got(value, kind)}" if value is not None else
                                ", got an object, an array or a boolean"), where)
    stamps = None
    for c in checks:
        v = counts[c].iloc[0]
        n = 0 if v is None or v != v else int(v)
        refused = None
        if n and c == "timestamp":  # the rare spellings: each distinct value read once
            n, refused, stamps = other_stamps(con, raw, *ts_bad)
        if n:
            where, value = _first_bad(files, kind, c, refused)
            if kind == "csv" and (value is None or "\n" in str(value) or "\r" in str(value)):
                for f in files:  # a quote never closed: the rest of the file is one value
                    fault = _quote_fault(f)
                    if fault is not None and fault[0] == "unclosed":
                        raise InputError(QUOTE_FAULTS["unclosed"], f"{f}: row {fault[1]}")
            if isinstance(value, decimal.Decimal):  # (a typed Parquet decimal: 1.5)
                value = float(value)
            if isinstance(value, (bool, dict, list)):  # (JSON: `true` among numbers)
                raise InputError(f"column {c}: expected {_expected(c)}, got "
                                 f"{_got(value, kind)}", where)
            why = (refused_why(str(value)) or _hour_24(str(value))
                   if c == "timestamp" and value is not None else None)
            if why:  # a value that reads, refused for what it says (a year, an hour)
                raise InputError(_refused(c, n, value, why), where)
            raise InputError(
                f"column {c}: {n} value{'s' if n > 1 else ''} cannot be parsed as "
                + {"timestamp": "a UTC timestamp (a date and a time of day, ISO 8601: "
                                "2026-10-01T00:15:00Z)",
                   **{k: "a whole number" for k in INTS},
                   "requests": "a whole number of requests >= 1"}.get(c, "a number")
                + (f"; first {shown(value)}" if value is not None else "")
                + (zone_hint(str(value)) if c == "timestamp" and value is not None else ""),
                where,
            )
    z = counts["__no_zone"].iloc[0] if "__no_zone" in scan else 0
    z = 0 if z is None or z != z else int(z)
    if "__untok" not in scan:
        return (None if kind == "parquet" else 0), stamps, z
    v = counts["__untok"].iloc[0]
    return (0 if v is None or v != v else int(v)), stamps, z


def _hour_24(value: str) -> str | None:
    """Why a timestamp text at hour 24 (`HOUR_24`) is refused; None for another."""
    if re.search(HOUR_24, value.replace(BOM, "")):
        return ("hour 24 is no time of day (the bill's reader refuses it too): write 00:00 "
                "of the next day")
    return None


def _quote_fault(f: Path) -> tuple[str, int] | None:
    """The first quote of a CSV file out of its place (RFC 4180, as the engines read
    quotes): ("unclosed", row) for a quote opening a value never closed, ("misplaced",
    row) for text after a quoted value's closing quote (`"m"x`); row 1 is the first after
    the header. None when every quote is in its place. Read only on error paths."""
    try:
        with _rows_text(f) as fh:
            reader = csv.reader(fh, strict=True)
            done = 0
            while True:
                start = reader.line_num + 1
                try:
                    next(reader)
                except StopIteration:
                    return None
                except csv.Error as e:
                    text = str(e)
                    if ("unexpected end of data" in text or "field limit" in text
                            or ("expected after" in text and reader.line_num > start)):
                        return "unclosed", done
                    return ("misplaced", done) if "expected after" in text else None
                done += 1
    except (OSError, UnicodeDecodeError, EOFError):
        return None


#: why a CSV quote out of its place is refused (`_quote_fault`)
QUOTE_FAULTS = {
    "unclosed": 'an unclosed quote (") opens a value that runs on past the end of its line '
                '(close it; a quote inside a quoted value is doubled: "")',
    "misplaced": 'text follows a quoted value\'s closing quote (") before the next comma '
                 '(quote the whole value, with a quote inside it doubled: "m""x")',
}


def quote_check(f: Path) -> None:
    """InputError naming the row of a CSV file's first quote out of its place
    (`_quote_fault`); nothing when every quote is in its place."""
    fault = _quote_fault(f)
    if fault is not None:
        raise InputError(QUOTE_FAULTS[fault[0]], f"{f}: row {fault[1]}")


#: a time of day in a timestamp's text: hours and minutes (`01:15`), or an hour with
#: am/pm (`5am`, `5 p.m.`); without one the value is a date, read as midnight
TIME_OF_DAY = re.compile(r"\d:\d\d|\d\s*[ap]\.?m\b", re.IGNORECASE)
_STAMP_TABLES = itertools.count(1)


def other_stamps(con: Any, raw: Any, text: Any, bad: Any) -> tuple[int, set[str], Any]:
    """The timestamp texts (`text`: cleaned, as an Ibis column of `raw`) the engine
    could not cast (`bad`), read in Python once per distinct value as a bill's cell is
    read (`billrows.text_times`: a month's name, `t`/`z` in lower case, `UTC+2`), but
    for a value without a time of day (`TIME_OF_DAY`: a date would sit in the day's
    first hour; the ISO basic form `20261001T011000Z` alike). Returns the rows of the
    values still refused, those values, and (when none is) an engine table of each
    value's ISO 8601 UTC text (`__stamp_text`, `__stamp_iso`) for `normalize`; None
    when some are refused. The common ISO path never runs this."""
    import ibis
    import pyarrow as pa

    from infercost.ingest import billrows
    from infercost.ingest.backends import from_arrow, to_arrow

    got = to_arrow(con, raw.filter(bad).group_by(__stamp_text=text)
                   .aggregate(__n=ibis._.count()))
    values = got.column("__stamp_text").to_pylist()
    rows = got.column("__n").to_pylist()
    read = billrows.text_times([v for v in values if v is not None])
    it = iter(read)
    times = [None if v is None else next(it) for v in values]
    times = [t if t is not None and TIME_OF_DAY.search(v) else None
             for v, t in zip(values, times, strict=True)]
    refused = {v for v, t in zip(values, times, strict=True) if t is None and v is not None}
    n = sum(int(k) for v, t, k in zip(values, times, rows, strict=True) if t is None)
    if n:
        return n, refused, None
    iso = [t.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for t in times]
    table = pa.table({"__stamp_text": pa.array(values, pa.string()),
                      "__stamp_iso": pa.array(iso, pa.string())})
    return 0, refused, from_arrow(con, table, f"usage_stamps_{next(_STAMP_TABLES)}")


def _token_unknown(v: Any) -> Any:
    """Whether a token-count cell reads as unknown (`normalize`: missing, a null spelling,
    NaN, inf or beyond 2^53), as an Ibis boolean."""
    import ibis.expr.datatypes as dt

    if v.type().is_string():
        v = v.replace(BOM, "").strip().try_cast(dt.float64)
    elif not v.type().is_numeric():
        return v.isnull()
    f = v.cast(dt.float64)
    return (f.isnull() | ~(f.abs() < 2**53)).fill_null(True)


def _unreadable_json(where: str) -> InputError | None:
    """The error for a JSON-lines file whose line `where` (`file: line N`, found by
    `_locate_unreadable`) is no JSON object, in our words and line count (the engine's
    counts lines its own way and names the file by its absolute path); None when
    `where` names no such line."""
    if ": line " not in where or where.endswith(": not UTF-8"):
        return None
    return InputError("cannot read json: expected one JSON object per line", where)


def _locate_unreadable(files: list[Path], kind: str) -> str:
    """`file: line N` of the first line that is not UTF-8 or (JSON) not a JSON object."""
    for f in files:
        try:
            with (open_text(f) if f.name.lower().endswith(".gz") else open(f, "rb")) as fh:
                for i, line in enumerate(fh, start=1):
                    if isinstance(line, bytes):
                        try:
                            line = line.decode("utf-8")
                        except UnicodeDecodeError:
                            return f"{f}: line {i}: not UTF-8"
                    if kind == "json" and line.strip():
                        try:
                            if not isinstance(json.loads(line), dict):
                                return f"{f}: line {i}"
                        except json.JSONDecodeError:
                            return f"{f}: line {i}"
        except (OSError, UnicodeDecodeError, EOFError):
            return str(f)
    return _where(files)


def _locate(files: list[Path], kind: str, column: str) -> str:
    """`file: row N` of the first value Python cannot parse either (best effort)."""
    return _first_bad(files, kind, column)[0]


def _first_bad(files: list[Path], kind: str, column: str,
               refused: set[str] | None = None, test: Any = None) -> tuple[str, Any]:
    """`_locate`'s place and the value there (the file or files and None when no value
    is found). `refused`: the values known to be refused (as `cleaned_text` leaves
    them): the first of those is found (else Python's own reading decides). `test`: a
    function of a value telling whether it is the one sought, in their place."""
    from datetime import datetime

    def bad(v) -> bool:
        if test is not None:
            return bool(test(v))
        if v is None:
            return False
        s = str(v).replace(BOM, "").strip()
        if refused is not None:
            return s in refused
        if not s or (column != "timestamp" and s in NUMBER_NULLS):
            return False
        try:
            if column == "timestamp":
                if re.search(DATE_ONLY, s) or not re.match(r"\d{4}-\d{2}-\d{2}", s):
                    return True  # (Python reads "20261007T061500", the engines do not)
                datetime.fromisoformat(s.replace("Z", "+00:00"))
            else:
                f = float(s)
                if "_" in s or (column in WHOLE and abs(f) < 2**53 and f != int(f)):
                    return True
                if column == "requests" and f == f and not 1 <= f < 2**53:
                    return True
            return False
        except ValueError:
            return True

    for f in files:
        try:
            if kind == "csv":
                with _rows_text(f) as fh:
                    reader = csv.DictReader(fh)
                    key = next((k for k in reader.fieldnames or [] if k.lower() == column), None)
                    for i, rec in enumerate(reader, start=1):
                        if bad(rec.get(key)):
                            return f"{f}: row {i}", rec.get(key)
            elif kind == "json_array":  # row N: the Nth request of the array
                from infercost.ingest.billrows import json_records

                for i, rec in enumerate(json_records(f), start=1):
                    rec = {k.lower(): v for k, v in rec.items()}
                    if bad(rec.get(column)):
                        return f"{f}: row {i}", rec.get(column)
            elif kind == "json":
                with _rows_text(f) as fh:
                    for i, line in enumerate(fh, start=1):
                        if line.strip():
                            rec = {k.lower(): v for k, v in json.loads(line).items()}
                            if bad(rec.get(column)):
                                return f"{f}: row {i}", rec.get(column)
            elif kind == "parquet":  # text columns only reach here: read in row groups
                import pyarrow.parquet as pq

                pf = pq.ParquetFile(f)
                key = next((n for n in pf.schema_arrow.names if n.lower() == column), None)
                if key is None:
                    continue
                at = 0
                for batch in pf.iter_batches(columns=[key], batch_size=65_536):
                    for i, v in enumerate(batch.column(0).to_pylist(), start=at + 1):
                        if bad(v):
                            return f"{f}: row {i}", v
                    at += batch.num_rows
        except (OSError, json.JSONDecodeError, csv.Error, ValueError):
            continue
    return (str(files[0]) if len(files) == 1 else f"{files[0]} (and {len(files) - 1} more)",
            None)


def _rows_text(f: Path):
    """A CSV or JSON-lines file's text for reading its rows in Python: UTF-8, a BOM
    skipped, `.gz` uncompressed (`open_text`); CSV line ends left to the csv module."""
    if f.name.lower().endswith(".gz"):
        return open_text(f)
    return open(f, newline="", encoding="utf-8-sig")


def year_refusal(usage: Usage, year: int, rows: int) -> InputError:
    """The InputError for timestamps the engine read in a year outside 1-9999 (`year`,
    the first it found; `rows`: how many rows): names the file, row and value of the
    first such timestamp (`refused_why`: `year 10000 in UTC is outside 1-9999`, an ISO
    offset having moved it there), or the log and the year when no file shows one (a
    backend's own reading)."""
    from infercost.ingest.billrows import _utc_year

    def outside(v: Any) -> bool:
        y = _utc_year(str(v).replace(BOM, "").strip()) if isinstance(v, str) else None
        return y is not None and not 1 <= y <= 9999

    for f in usage.files:
        try:
            kind = file_kind(f)
            kind = json_shape(f) if kind == "json" else kind
        except InputError:
            continue
        if kind == "parquet":
            found = _typed_year_outside(f)
            if found is not None:
                where, value, y = found
                return InputError(_refused("timestamp", rows, value,
                                           f"year {y} is outside 1-9999"), where)
        if kind not in ("csv", "json", "json_array", "parquet"):
            continue
        where, value = _first_bad([f], kind, "timestamp", test=outside)
        if value is not None:
            why = refused_why(str(value).replace(BOM, "")) or "a year outside 1-9999"
            return InputError(_refused("timestamp", rows, value, why), where)
    return InputError(f"column timestamp: {rows} value{'s' if rows > 1 else ''} refused: "
                      f"year {year} in UTC is outside 1-9999", usage.where)


def _typed_year_outside(f: Path) -> tuple[str, str, int] | None:
    """`file: row N`, the value (as text, in UTC) and the UTC year of the first timestamp
    of a Parquet file's timestamp-typed `timestamp` column outside 1-9999; None when
    there is none (or no such column)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(f)
        key = next((n for n in pf.schema_arrow.names if n.lower() == "timestamp"), None)
        if key is None or not pa.types.is_timestamp(pf.schema_arrow.field(key).type):
            return None
        at = 0
        for batch in pf.iter_batches(columns=[key], batch_size=65_536):
            col = batch.column(0)
            utc = col.cast(pa.timestamp(col.type.unit))  # (the instants, without a zone)
            years = pc.year(utc)
            out = pc.or_(pc.less(years, 1), pc.greater(years, 9999)).fill_null(False)
            hits = pc.indices_nonzero(out)
            if len(hits):
                i = hits[0].as_py()
                text = utc.cast(pa.string())[i].as_py()
                return (f"{f}: row {at + i + 1}", re.sub(r"\.0*$", "", text),
                        years[i].as_py())
            at += batch.num_rows
    except (OSError, pa.ArrowException, ValueError):
        return None
    return None
