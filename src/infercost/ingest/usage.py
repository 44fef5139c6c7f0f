"""Usage logs (DESIGN.md): one row per request, CSV, Parquet or JSON lines; OTel spans.

Columns (case-insensitive): `timestamp` (UTC request start; ISO 8601 or
`YYYY-MM-DD HH:MM:SS`, offsets converted to UTC), `request_id`, `model`,
`model_version`, `endpoint`, `tenant`, `resource_id` (as the bill's ResourceId),
`duration_ms` (busy time on that resource, milliseconds) and, when known,
`input_tokens`, `output_tokens`, `status`, `gpu_ms` (GPU busy time, milliseconds, for the
`gpu_time` driver). Required: timestamp, request_id, resource_id, duration_ms.

Files are opened lazily through the chosen backend (Parquet directories and globs are
never loaded whole); the normalization below is one set of Ibis expressions.
OpenTelemetry span files (OTLP JSON file exporter) are recognised by their
`resourceSpans` key and mapped by `infercost.ingest.otel`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infercost.errors import InputError
from infercost.ingest.billrows import expand_paths, file_kind

REQUIRED = ["timestamp", "request_id", "resource_id", "duration_ms"]
STRINGS = ["request_id", "model", "model_version", "endpoint", "tenant", "resource_id", "status"]
INTS = ["input_tokens", "output_tokens"]
FLOATS = ["duration_ms", "gpu_ms"]
USAGE_COLUMNS = ["timestamp", *STRINGS[:6], "duration_ms", "gpu_ms", *INTS, "status"]


@dataclass
class Usage:
    """A normalized usage table (Ibis, lazy) and where it came from."""

    table: Any
    files: list[Path]
    kinds: list[str]
    notes: list[str] = field(default_factory=list)
    has_gpu_ms: bool = False
    has_tokens: bool = False


def read_usage(con: Any, paths: list[str | Path] | str | Path) -> Usage:
    """Open usage files (CSV, Parquet, JSON lines, OTel JSON) as one normalized table."""
    from infercost.ingest import otel
    from infercost.ingest.backends import from_arrow, read_files

    files = expand_paths(paths, (".parquet", ".csv", ".csv.gz", ".json", ".jsonl", ".ndjson"))
    groups: dict[str, list[Path]] = {}
    for f in files:
        kind = file_kind(f)
        if kind == "json" and otel.is_otel_file(f):
            kind = "otel"
        groups.setdefault(kind, []).append(f)
    tables = []
    has_gpu = has_tok = False
    notes = []
    for kind, fs in sorted(groups.items()):
        if kind == "otel":
            arrow, n_spans, n_used = otel.read_spans(fs)
            notes.append(f"OTel: {n_used} of {n_spans} spans carry gen_ai attributes")
            raw = from_arrow(con, arrow, "otel_usage")
        else:
            raw = read_files(con, kind, fs)
        cols = {c.lower(): c for c in raw.columns}
        missing = [c for c in REQUIRED if c not in cols]
        if missing:
            where = str(fs[0]) if len(fs) == 1 else f"{fs[0]} (and {len(fs) - 1} more)"
            raise InputError(
                f"usage log: missing required column{'s' if len(missing) > 1 else ''} "
                + ", ".join(missing), where)
        has_gpu |= "gpu_ms" in cols
        has_tok |= "input_tokens" in cols or "output_tokens" in cols
        check_parse(con, raw, fs, kind)
        t = normalize(raw)
        tables.append(t)
    table = tables[0]
    for t in tables[1:]:
        table = table.union(t)
    return Usage(table, files, sorted(groups), notes, has_gpu, has_tok)


def normalize(raw: Any) -> Any:
    """The usage columns from a raw table (strings or native types), as Ibis expressions."""
    import ibis
    import ibis.expr.datatypes as dt

    cols = {c.lower(): c for c in raw.columns}

    def col(name):
        return raw[cols[name]] if name in cols else None

    out = {}
    ts = col("timestamp")
    if ts.type().is_string():
        ts = ts.try_cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp())
    elif ts.type().is_timestamp() and ts.type().timezone is not None:
        ts = ts.cast(dt.Timestamp())
    elif not ts.type().is_timestamp():
        ts = ts.cast("string").try_cast(dt.Timestamp(timezone="UTC")).cast(dt.Timestamp())
    out["timestamp"] = ts
    for c in STRINGS[:6]:
        v = col(c)
        out[c] = ibis.null(dt.string) if v is None else v.cast(dt.string)
    for c in FLOATS:
        v = col(c)
        out[c] = ibis.null(dt.float64) if v is None else (
            v.try_cast(dt.float64) if v.type().is_string() else v.cast(dt.float64))
    for c in INTS:
        v = col(c)
        out[c] = ibis.null(dt.int64) if v is None else (
            v.try_cast(dt.float64).cast(dt.int64) if v.type().is_string() else v.cast(dt.int64))
    v = col("status")
    out["status"] = ibis.null(dt.string) if v is None else v.cast(dt.string)
    return raw.select(**out)


def check_parse(con: Any, raw: Any, files: list[Path], kind: str) -> None:
    """Unparsable timestamps or numbers in text columns: fail naming the file and row."""
    import ibis.expr.datatypes as dt

    cols = {c.lower(): c for c in raw.columns}
    checks = {}
    for c in ["timestamp", *FLOATS, *INTS]:
        if c in cols and raw[cols[c]].type().is_string():
            rv = raw[cols[c]]
            target = dt.Timestamp(timezone="UTC") if c == "timestamp" else dt.float64
            bad = rv.notnull() & (rv.strip() != "") & rv.try_cast(target).isnull()
            checks[c] = bad.cast("int64").sum()
    if not checks:
        return
    counts = con.execute(raw.aggregate(**checks))
    for c in checks:
        v = counts[c].iloc[0]
        n = 0 if v is None or v != v else int(v)
        if n:
            raise InputError(
                f"column {c}: {n} value{'s' if n > 1 else ''} cannot be parsed as "
                f"{'a UTC timestamp' if c == 'timestamp' else 'a number'}",
                _locate(files, kind, c),
            )


def _locate(files: list[Path], kind: str, column: str) -> str:
    """`file: row N` of the first value Python cannot parse either (best effort)."""
    from datetime import datetime

    def bad(v) -> bool:
        if v is None:
            return False
        s = str(v).strip()
        if not s:
            return False
        try:
            if column == "timestamp":
                datetime.fromisoformat(s.replace("Z", "+00:00"))
            else:
                float(s)
            return False
        except ValueError:
            return True

    for f in files:
        try:
            if kind == "csv":
                with open(f, newline="", encoding="utf-8-sig") as fh:
                    reader = csv.DictReader(fh)
                    key = next((k for k in reader.fieldnames or [] if k.lower() == column), None)
                    for i, rec in enumerate(reader, start=1):
                        if bad(rec.get(key)):
                            return f"{f}: row {i}"
            elif kind == "json":
                with open(f, encoding="utf-8") as fh:
                    for i, line in enumerate(fh, start=1):
                        if line.strip():
                            rec = {k.lower(): v for k, v in json.loads(line).items()}
                            if bad(rec.get(column)):
                                return f"{f}: row {i}"
        except (OSError, json.JSONDecodeError, csv.Error):
            continue
    return str(files[0]) if len(files) == 1 else f"{files[0]} (and {len(files) - 1} more)"
