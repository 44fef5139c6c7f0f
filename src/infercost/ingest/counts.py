"""Call counts from platform monitoring (the baseline without per-request logs).

A managed endpoint (SageMaker, Vertex AI, Azure ML) reports invocation counts and model
latency per endpoint per period (CloudWatch `Invocations`, `ModelLatency`; Vertex
`prediction_count`; Azure ML `RequestsPerMinute`). `read_counts` turns them into usage
rows that go through the same rules and conservation as a per-request log.

Inputs:

- CSV or Parquet with columns `period_start` (UTC), `period_s` (seconds), `resource_id`
  (as the bill's ResourceId), `endpoint`, `model`, `model_version`, `tenant`, `requests`
  (invocations in the period) and optionally `mean_latency_ms`, `input_tokens`,
  `output_tokens` (totals in the period). A missing label column means one value (null)
  for all rows; `period_s` and `resource_id` may come from `--counts-period` and
  `--counts-resource` instead. Given beside the file's own column, `--counts-resource`
  replaces a `resource_id` column holding one ResourceId (blanks aside; with a note) and
  is an InputError when the column holds several (every endpoint's requests would go to
  one); `--counts-period` fills blank `period_s` cells (with a note: how many, the file,
  the value) and is an InputError naming the row where a cell differs from it (the
  file's periods are never silently replaced); without it a blank cell is an InputError
  that names the flag.
- The JSON output of `aws cloudwatch get-metric-data` (`MetricDataResults`), which
  carries neither resource nor period: both are required (`resource`, `period_s`).
  Results are recognised by Label or Id: `Invocations` (statistic Sum) gives requests,
  `ModelLatency` (statistic Average, microseconds as SageMaker reports it) the mean
  latency; other metrics (`InvocationsPerInstance`, `OverheadLatency`, ...) are ignored
  with a note. Several results of one metric with one Id (its Label when it has none:
  the pages of one query) are merged; two series of one metric (two Ids: two endpoints'
  or variants' Invocations) are an InputError naming both (a file is read for one
  resource). A timestamp given twice with different values is an InputError naming the
  metric and the timestamp (twice with the same value: taken once, with a note). A result whose
  `StatusCode` is neither `Complete` nor `PartialData` (e.g. `InternalError`,
  `Forbidden`), or top-level `Messages`, is an InputError when no values came with it
  and a note otherwise.

A period (`period_s`, `--counts-period`) is at most 366 days (31,622,400 s).

Two rows of one resource and labels whose periods overlap count the same calls twice
(InputError naming both rows). Rows of one resource whose periods overlap, from files
of which one lacks a label column the other has (a total beside its split by tenant),
are added, with a note (`mixed_label_notes`); so are rows of one file and resource whose
periods overlap where one leaves blank a label the other sets, agreeing on the labels
the first sets (a row of blank tenant beside rows of `t1` and `t2`: `blank_label_notes`,
one note per file naming the rows, the label and the first resource-hour). The labels compared are `resource_id`, `endpoint`,
`model`, `model_version`, `tenant`, and each column of a file that is not read, unless
it is a row id: a column whose values differ on every row of a file covering more than
one period start (a `row_id`, a `request_uuid`). A grouping dimension (a SageMaker
`variant_name`) recurs from period to period, so it keeps rows apart (they are summed,
with a note); an id never recurs, so it does not (with a note naming it). In a file of
one period start, values distinct on every row are read as a grouping (two variants of
one hour look the same as two ids).

Each counts row is spread over the UTC clock hours its period touches, in proportion to
the seconds in each hour (integer requests and tokens, largest remainder, the rest to
the earliest hours); one usage row per (counts row, hour) with `requests` = the share,
`duration_ms` = share x mean latency (busy time; null without latency), `timestamp` = the
later of the period start and the hour start. An hour whose share of requests is 0 but
of tokens is not (a row of 0 requests with tokens, as a usage log keeps a row of 0
requests; or a few requests over a long period) is a row of 0 requests, its tokens and
`duration_ms` 0. A period with 0 invocations (and no tokens) adds no row
and needs no mean latency (CloudWatch gives no ModelLatency point for an hour without
calls): only rows with calls decide whether the counts have a latency (`has_latency`);
a ResourceId with no invocation in any of its rows is listed in `Counts.quiet`
(`usage.counts_usage` names it in `Usage.named_ids`: rule R1 puts it in the fleet,
its instance time idle). `Counts.covered` keeps the first and last clock hour each
ResourceId's periods cover, rows of 0 requests included (the span the counts cover,
which hours without a usage row do not show).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infercost.errors import InputError
from infercost.ingest.billrows import (
    NUMBER_NULLS,
    clean_str,
    escape_invisible,
    expand_paths,
    file_kind,
    is_invisible,
    json_fault,
    open_text,
    quoted_id,
    read_raw,
    refuse_case_twins,
)

LABELS = ["endpoint", "model", "model_version", "tenant"]
OPTIONAL = ["mean_latency_ms", "input_tokens", "output_tokens"]
#: every column a counts table is read by (lower case)
COUNTS_COLUMNS = ["period_start", "period_s", "resource_id", *LABELS, "requests", *OPTIONAL]
COUNTS_EXTENSIONS = (".csv", ".csv.gz", ".parquet", ".json", ".json.gz")


@dataclass
class Counts:
    """Counts spread over clock hours as usage rows (Arrow table in the usage columns).
    `has_latency`: every counts row with calls (requests > 0) has a mean latency (a row
    of 0 requests adds no usage row and needs none); False when no row is read."""

    table: Any
    files: list[Path]
    has_latency: bool
    rows_read: int
    notes: list[str] = field(default_factory=list)
    #: counts rows with calls (requests > 0) but without a mean latency, and the first
    #: of them ("FILE: row N", or "FILE: TIMESTAMP" for CloudWatch JSON; None when every
    #: such row has one); a row of 0 requests needs no latency and is not counted
    without_latency: int = 0
    first_without_latency: str | None = None
    #: ResourceIds (as the counts spell them) with no invocation in any of their counts
    #: rows -> how many counts rows name them: endpoints without traffic, which add no
    #: usage row (their Azure ids compared in lower case, as the engine joins them)
    quiet: dict[str, int] = field(default_factory=dict)
    #: counts rows with calls (requests > 0): those `without_latency` is counted among
    rows_with_calls: int = 0
    #: per ResourceId (Azure ids in lower case, as the engine joins them) the first and
    #: the last clock hour its counts rows' periods cover, rows of 0 requests included
    #: (columns resource_id, first, last; datetime64[us]): the span the counts cover,
    #: which hours of 0 calls add no usage row to show
    covered: pd.DataFrame | None = None


#: read_counts' note when some rows only have a mean latency, as the default driver
#: treats them (`allocation.run` replaces it by one naming the rows and what the run's
#: driver, the default or the rules', did with their requests)
SOME_LATENCY_NOTE = ("counts: mean latency given on some rows only; cost is split by "
                     "request count and idle is not measured")


def read_counts(paths: list[str | Path] | str | Path, resource: str | None = None,
                period_s: float | None = None) -> Counts:
    """Counts files (CSV, Parquet, CloudWatch get-metric-data JSON) as usage rows.

    `resource`, `period_s`: the ResourceId and period length (seconds) for files that do
    not carry them (required for CloudWatch JSON). Raises InputError naming file, row and
    column for anything that cannot be read, or an empty `resource`. `resource` is cleaned
    as the bill's ResourceId is (blanks and byte-order marks off its ends), and invisible
    format characters (zero-width spaces, U+200B-U+200D, U+2060, U+FEFF: Unicode
    category Cf) are taken off its ends too, so `--counts-resource " i-0abc\u200b"`
    joins the bill's `i-0abc`; one left inside the value, or a control character, is an
    InputError (it could never join the bill)."""
    if resource is not None:
        resource = clean_resource(resource)
    files = expand_paths(paths, COUNTS_EXTENSIONS)
    frames, notes = [], []
    seen: dict[Any, str] = {}  # CloudWatch (resource, period start) -> the file giving it
    json_sources = set()
    label_columns: dict[str, tuple[str, ...]] = {}  # file -> the labels it has columns for
    for f in files:
        if file_kind(f) == "json":
            df, more = cloudwatch_rows(f, resource, period_s)
            notes += more
            json_sources.add(str(f))
            label_columns[str(f)] = ("endpoint",)  # (the resource, as CloudWatch's endpoint)
            for t in df["period_start"]:  # pages of one query never overlap: a period in
                if (resource, t) in seen:  # two files is one file given twice
                    raise InputError(f"the Invocations of {pd.Timestamp(t).isoformat()} for "
                                     f"{quoted_id(resource)} are in {seen[(resource, t)]} too; expected "
                                     "each period in one file (a page given twice?)",
                                     str(f))
                seen[(resource, t)] = str(f)
        else:
            df = _table_rows(f, resource, period_s)
            label_columns[str(f)] = tuple(df.attrs.get("label_columns", ()))
            if df.attrs.get("unread"):
                cols = df.attrs["unread"]
                notes.append(f"counts: {f.name}: column{'s' if len(cols) > 1 else ''} "
                             f"{', '.join(cols[:4])}{' and more' if len(cols) > 4 else ''} "
                             "not read (the labels are " + ", ".join(LABELS) + "): rows "
                             "differing only there are summed")
            if df.attrs.get("row_ids"):
                cols = df.attrs["row_ids"]
                many = len(cols) > 1
                notes.append(f"counts: {f.name}: column{'s' if many else ''} "
                             f"{', '.join(cols[:4])}{' and more' if len(cols) > 4 else ''} "
                             f"not read (a different value on every row of several "
                             f"periods: {'row ids' if many else 'a row id'}, not a label); "
                             "rows differing only there count the same calls twice")
            if df.attrs.get("periods_filled"):
                k = df.attrs["periods_filled"]
                notes.append(f"counts: {f.name}: {k:,} blank period_s cell"
                             f"{'s' if k > 1 else ''} (of {len(df):,} rows) filled with "
                             f"--counts-period {seconds(period_s)} s")
            if resource is not None and df.attrs.get("had_resource_column"):
                notes.append(f"counts: --counts-resource {quoted_id(resource)} replaces the "
                             f"resource_id column of {f.name}")
        frames.append(df)
    _check_spacing(seen, period_s)
    rows = pd.concat(frames, ignore_index=True)
    _check_overlaps(rows)
    notes += mixed_label_notes(rows, label_columns)
    notes += blank_label_notes(rows)
    # (a period without calls needs no latency: CloudWatch gives no ModelLatency for it)
    calls = (rows["requests"] > 0).to_numpy() if len(rows) else np.zeros(0, dtype=bool)
    lat = rows["mean_latency_ms"].notna().to_numpy() if len(rows) else calls
    has_latency = bool(len(rows)) and bool(lat[calls].all())
    if not has_latency and lat[calls].any():
        notes.append(SOME_LATENCY_NOTE)
    blank = np.flatnonzero(calls & ~lat)
    first = None
    if len(blank):
        r = rows.iloc[int(blank[0])]
        first = (f"{r['source']}: {pd.Timestamp(r['period_start']).isoformat()}"
                 if r["source"] in json_sources else f"{r['source']}: row {r['row']}")
    return Counts(hourly_usage(rows), files, has_latency, len(rows), notes,
                  len(blank), first, quiet_resources(rows), int(calls.sum()),
                  covered_hours(rows))


def covered_hours(rows: pd.DataFrame) -> pd.DataFrame:
    """Per ResourceId of counts `rows` (Azure ids in lower case, as the engine joins
    them), the first and the last clock hour its rows' periods [start, start + period_s)
    touch, rows of 0 requests included: columns resource_id, first, last
    (datetime64[us]); no row without counts rows."""
    from infercost.ingest.billrows import azure_lower

    if not len(rows):
        return pd.DataFrame({"resource_id": pd.Series([], dtype=object),
                             "first": pd.Series([], dtype="datetime64[us]"),
                             "last": pd.Series([], dtype="datetime64[us]")})
    start = pd.to_datetime(rows["period_start"]).astype("datetime64[us]")
    end = start + pd.to_timedelta(np.round(rows["period_s"].to_numpy(dtype=np.float64)
                                           * 1e6).astype(np.int64), unit="us")
    key = rows["resource_id"].map(azure_lower)
    first = start.groupby(key, sort=False).min().dt.floor("h")
    last = (end.groupby(key, sort=False).max() - pd.Timedelta(microseconds=1)).dt.floor("h")
    return pd.DataFrame({"resource_id": first.index.to_numpy(dtype=object),
                         "first": first.to_numpy().astype("datetime64[us]"),
                         "last": last.reindex(first.index).to_numpy().astype("datetime64[us]")})


def quiet_resources(rows: pd.DataFrame) -> dict[str, int]:
    """The ResourceIds of counts `rows` whose every row has 0 requests, each with how
    many rows name it (first spelling kept; Azure ids compared in lower case, as the
    engine joins them), in order of first appearance."""
    from infercost.ingest.billrows import azure_lower

    if not len(rows):
        return {}
    key = rows["resource_id"].map(azure_lower)
    per = rows.groupby(key, sort=False).agg(first=("resource_id", "first"),
                                            calls=("requests", "sum"),
                                            n=("requests", "size"))
    return {str(r.first): int(r.n) for r in per.itertuples() if r.calls == 0}


def overlap_columns(rows: pd.DataFrame, unread: list[str]) -> tuple[list[str], list[str]]:
    """The unread columns of one counts file split into (grouping columns, row ids).
    A row id is a column whose values differ on every row (blanks alike) of a file
    covering more than one `period_start`: a grouping dimension (a variant, a region)
    recurs from period to period, an id does not. Grouping columns join the overlap key
    (rows told apart by them are summed); row ids do not (rows differing only there
    count the same calls twice). In a file of one period start every column is taken as
    a grouping: two variants of one hour cannot be told from two ids."""
    if not unread or len(rows) < 2 or rows["period_start"].nunique() < 2:
        return list(unread), []
    ids = [c for c in unread if rows[c].astype(str).nunique(dropna=False) == len(rows)]
    return [c for c in unread if c not in ids], ids


def _check_overlaps(rows: pd.DataFrame) -> None:
    """Two rows of one resource and labels (endpoint, model, version, tenant, and a file's
    unread grouping columns, `overlap_columns`: not its row ids) whose periods overlap
    would count the same calls twice (a row repeated, a file given twice, an hourly and a
    daily export mixed): InputError naming both rows (file and row)."""
    if len(rows) < 2:
        return
    keys = ["resource_id", *LABELS] + (["__extra"] if "__extra" in rows else [])
    k = rows[keys].astype(object).where(rows[keys].notna(), "\x00")
    start = pd.to_datetime(rows["period_start"]).astype("datetime64[us]").astype(np.int64)
    end = start + np.round(rows["period_s"].to_numpy(dtype=np.float64) * 1e6).astype(np.int64)
    order = np.lexsort((start.to_numpy(), *[pd.factorize(k[c])[0] for c in reversed(keys)]))
    codes = np.stack([pd.factorize(k[c])[0][order] for c in keys])
    same = (codes[:, 1:] == codes[:, :-1]).all(axis=0)
    s_, e_ = start.to_numpy()[order], end[order]
    hit = np.flatnonzero(same & (s_[1:] < e_[:-1]))
    if len(hit):
        a, b = rows.iloc[order[hit[0]]], rows.iloc[order[hit[0] + 1]]
        other = (f"row {a['row']}" if a["source"] == b["source"]
                 else f"{a['source']}: row {a['row']}")
        what = ("the same period as" if s_[hit[0]] == s_[hit[0] + 1]
                else "a period overlapping that of")
        raise InputError(
            f"counts {what} {other} ({pd.Timestamp(a['period_start']).isoformat()}, "
            f"{seconds(a['period_s'])} s) for the same resource and labels; expected each call "
            "counted once", f"{b['source']}: row {b['row']}")


def mixed_label_notes(rows: pd.DataFrame, label_columns: dict[str, tuple[str, ...]]) -> list[str]:
    """Notes on counts files of which one lacks a label column another has, whose rows of
    one resource overlap in time: a file without a `tenant` column counts every tenant's
    calls, so beside a file split by tenant for the same resource and hours it may count
    the same calls twice (a total beside its split). Such rows differ in that label (None
    and a tenant), so `_check_overlaps` cannot tell them from two tenants' files, which
    are legitimate: they are read and added, and this names the files and the first
    resource-hour where they overlap (one note per pair of label sets).

    `rows`: the counts rows of every file (`source`, `resource_id`, `period_start`,
    `period_s`); `label_columns`: per file (as `source` names it) the labels it has a
    column for (a CloudWatch file: `endpoint`, the resource it is read for). Resources
    are compared as the engine joins them (Azure ids in lower case)."""
    from infercost.ingest.billrows import azure_lower

    kinds = list(dict.fromkeys(label_columns.values()))  # in the files' order
    if len(kinds) < 2 or not len(rows):
        return []
    from collections import Counter

    order_of = {src: i for i, src in enumerate(label_columns)}
    names = Counter(Path(src).name for src in label_columns)
    shown = {src: (Path(src).name if names[Path(src).name] == 1 else src)
             for src in label_columns}
    kind = rows["source"].map({src: kinds.index(k) for src, k in label_columns.items()})
    kind = kind.to_numpy(dtype=np.int64)
    res = pd.factorize(rows["resource_id"].map(azure_lower))[0]
    start = (pd.to_datetime(rows["period_start"]).astype("datetime64[us]")
             .astype(np.int64).to_numpy())
    end = start + np.round(rows["period_s"].to_numpy(dtype=np.float64) * 1e6).astype(np.int64)
    notes = []
    for i, ka in enumerate(kinds):
        for kb in kinds[i + 1:]:
            idx = np.flatnonzero((kind == kinds.index(ka)) | (kind == kinds.index(kb)))
            hit = _first_overlap(idx, kind[idx] == kinds.index(ka), res[idx], start[idx],
                                 end[idx])
            if hit is None:
                continue
            j, k = sorted(hit, key=lambda r: order_of[rows["source"].iloc[r]])
            a, b = rows["source"].iloc[j], rows["source"].iloc[k]
            said = []
            for x, y in ((a, b), (b, a)):
                miss = [c for c in LABELS if c in label_columns[y] and c not in label_columns[x]]
                if miss:
                    many = len(miss) > 1
                    said.append(f"{shown[x]} has no {', '.join(miss)} column{'s' if many else ''}"
                                f" and {shown[y]} has {'them' if many else 'one'}")
            later = max(start[j], start[k])
            hour = pd.Timestamp(later, unit="us").floor("h")
            rid = rows["resource_id"].iloc[j if start[j] >= start[k] else k]
            notes.append(f"counts: {'; '.join(said)}, and their rows of one resource overlap "
                         f"in time (first: {quoted_id(rid)}, hour {hour:%Y-%m-%dT%H:%M}Z): "
                         "both are added, which may count the same calls twice (a total "
                         "beside its split)")
    return notes


def blank_label_notes(rows: pd.DataFrame) -> list[str]:
    """Notes on rows of one counts file of which one leaves a label blank that another
    sets, of one resource and the same other labels, whose periods overlap: a row of
    blank `tenant` beside rows of `t1` and `t2` for the same hour may be their total
    (a total beside its split), as `mixed_label_notes` says of two files. Such rows
    differ in that label, so `_check_overlaps` reads them as different labels: they are
    added, and this names the file, the two rows, the label(s) and the first
    resource-hour where they overlap (one note per file). A row is compared with those
    that set every label it sets, to the same value (a row of model `m1` and no tenant
    is no total of model `m2`), and the same unread grouping columns (`__extra`).

    `rows`: the counts rows of every file (`source`, `row`, `resource_id`, the labels,
    `period_start`, `period_s`). Resources are compared as the engine joins them (Azure
    ids in lower case)."""
    from infercost.ingest.billrows import azure_lower

    if len(rows) < 2:
        return []
    bits = np.zeros(len(rows), dtype=np.int64)
    for b, c in enumerate(LABELS):
        bits |= rows[c].notna().to_numpy(dtype=bool).astype(np.int64) << b
    files, names = pd.factorize(rows["source"])
    mixed = [f for f in range(len(names))
             if len(np.unique(bits[files == f])) > 1]  # (most files: one set of labels)
    if not mixed:
        return []
    res = rows["resource_id"].map(azure_lower).to_numpy(dtype=object)
    extra = (rows["__extra"].astype(object).where(rows["__extra"].notna(), "\x00")
             .to_numpy(dtype=object) if "__extra" in rows else None)
    start = (pd.to_datetime(rows["period_start"]).astype("datetime64[us]")
             .astype(np.int64).to_numpy())
    end = start + np.round(rows["period_s"].to_numpy(dtype=np.float64) * 1e6).astype(np.int64)
    notes = []
    for f in mixed:
        src = names[f]
        mine = np.flatnonzero(files == f)
        kinds = np.unique(bits[mine])
        best = None  # (later start, (row, row), coarse kind, fine kind)
        for a in kinds:
            for b in kinds:
                if a == b or (a & b) != a:  # a's labels a strict subset of b's
                    continue
                idx = mine[(bits[mine] == a) | (bits[mine] == b)]
                keep = [c for k, c in enumerate(LABELS) if a >> k & 1]
                key = {"resource_id": res[idx], **{c: rows[c].to_numpy(dtype=object)[idx]
                                                   for c in keep}}
                if extra is not None:
                    key["__extra"] = extra[idx]
                codes = pd.DataFrame(key).groupby(list(key), sort=False).ngroup().to_numpy()
                hit = _first_overlap(idx, bits[idx] == a, codes, start[idx], end[idx])
                if hit is not None and (best is None
                                        or max(start[list(hit)]) < best[0]):
                    best = (max(start[list(hit)]), hit, a, b)
        if best is None:
            continue
        later, (j, k), a, b = best
        coarse, fine = (j, k) if bits[j] == a else (k, j)
        blank = [c for n, c in enumerate(LABELS) if b >> n & 1 and not a >> n & 1]
        said = " and ".join(blank)
        rid = rows["resource_id"].iloc[j if start[j] >= start[k] else k]
        hour = pd.Timestamp(later, unit="us").floor("h")
        notes.append(f"counts: {Path(src).name}: a row with a blank {said} (row "
                     f"{rows['row'].iloc[coarse]}) and a row with "
                     f"{'them' if len(blank) > 1 else 'one'} (row {rows['row'].iloc[fine]}),"
                     f" of one resource, overlap in time (first: {quoted_id(rid)}, hour "
                     f"{hour:%Y-%m-%dT%H:%M}Z): both are added, which may count the same "
                     "calls twice (a total beside its split)")
    return notes


def _first_overlap(idx: np.ndarray, side: np.ndarray, res: np.ndarray, start: np.ndarray,
                   end: np.ndarray) -> tuple[int, int] | None:
    """Of rows `idx` (two sides, `side` True for one), the first pair of one resource
    (`res` codes) and the two sides whose periods [start, end) overlap: (row, row) of
    `idx`, the pair whose later start is earliest (ties: the resource first met); None
    when no such pair. One sort by resource and start; per side, the running largest end
    of its earlier rows of the resource says whether a row of the other side starts
    before that end."""
    if not len(idx) or side.all() or not side.any():
        return None
    order = np.lexsort((start, res))
    r, s0, e0, sd = res[order], start[order], end[order], side[order]
    best = None
    for this in (True, False):
        ends = pd.Series(np.where(sd == this, e0, np.iinfo(np.int64).min))
        reach = ends.groupby(r).cummax().to_numpy()
        hits = np.flatnonzero((sd != this) & (reach > s0))
        if len(hits):
            h = int(hits[np.argmin(s0[hits])])
            if best is None or s0[h] < s0[best[0]]:
                best = (h, this)
    if best is None:
        return None
    h, this = best
    partner = np.flatnonzero((r == r[h]) & (sd == this) & (s0 <= s0[h]) & (e0 > s0[h])
                             & (np.arange(len(r)) < h))
    return int(idx[order[h]]), int(idx[order[int(partner[0])]])


def _check_spacing(seen: dict, period_s: float | None) -> None:
    """CloudWatch returns one value per Period: two timestamps of a resource closer than
    `--counts-period` mean another period was asked for (each value would be read as
    covering more time than it does). InputError naming both timestamps and the file."""
    if not seen or period_s is None:
        return
    stamps = sorted(seen)
    for (r0, t0), (r1, t1) in zip(stamps, stamps[1:], strict=False):
        gap = (pd.Timestamp(t1) - pd.Timestamp(t0)).total_seconds()
        if r0 == r1 and gap < period_s:
            raise InputError(
                f"Invocations at {pd.Timestamp(t0).isoformat()} and "
                f"{pd.Timestamp(t1).isoformat()} are {seconds(gap)} s apart, less than "
                f"--counts-period {seconds(period_s)} s; expected --counts-period to be the "
                "Period the metrics were queried with", seen[(r1, t1)])


#: `\uXXXX` (or five digits past U+FFFF, as `escape_invisible` writes U+E0001)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4,5})")


def _unescaped(text: str) -> str:
    """`text` with each `\\uXXXX` that writes an invisible character (`billrows.is_invisible`) as
    that character: the form notes and errors print (`escape_invisible`), so a ResourceId
    holding one can be typed. Five hex digits are read where they name an invisible
    character (U+E0001), four otherwise; an escape of a visible character stays text."""
    def one(m: re.Match) -> str:
        digits = m.group(1)
        for d in (digits, digits[:4]):
            ch = chr(int(d, 16))
            if is_invisible(ch):
                return ch + digits[len(d):]
        return m.group()

    return _ESCAPE.sub(one, text)


def clean_resource(value: Any) -> str:
    """`--counts-resource` as it must match the bill's ResourceId: whitespace, byte-order
    marks and other invisible characters (`billrows.INVISIBLE`: zero-width spaces, word
    joiner, Hangul fillers, variation selectors...; and any Unicode format character,
    Cf) off both ends. Then `\\uXXXX` written for an invisible character is read as
    that character (`i-0abc\\u200b` names a bill ResourceId ending in U+200B: the form
    notes and errors print, `escape_invisible`). Raises InputError (naming
    `--counts-resource`) for an empty value or one with an invisible character inside
    as typed, showing the value escaped and naming its code point."""
    import unicodedata

    text = str(value)
    start, end = 0, len(text)
    while start < end and (text[start].isspace() or is_invisible(text[start])):
        start += 1
    while end > start and (text[end - 1].isspace() or is_invisible(text[end - 1])):
        end -= 1
    text = text[start:end]
    if not text:
        raise InputError("expected a ResourceId (as in the bill), got an empty one",
                         "--counts-resource")
    bad = next((ch for ch in text if is_invisible(ch)), None)
    if bad is not None:
        name = unicodedata.name(bad, "a control character")
        shown = escape_invisible(text)
        raise InputError(f"expected a ResourceId (as in the bill), got '{shown}', which "
                         f"holds the invisible character U+{ord(bad):04X} ({name}) inside "
                         f"(a bill ResourceId holding it is named escaped: '{shown}')",
                         "--counts-resource")
    return _unescaped(text)


def _table_rows(f: Path, resource: str | None, period_s: float | None) -> pd.DataFrame:
    try:
        raw = read_raw(f)
    except InputError as e:  # name a byte that is not UTF-8 by line and column
        from infercost.ingest.textscan import csv_not_utf8_error

        located = csv_not_utf8_error(f) if e.message.startswith("cannot read csv") else None
        if located is not None:
            raise located from None
        raise
    refuse_case_twins(list(raw.columns), str(f), set(COUNTS_COLUMNS))
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    src = str(f)
    need = ["period_start", "requests"]
    need += [] if period_s is not None else ["period_s"]
    need += [] if resource is not None else ["resource_id"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise InputError(f"counts: missing required column{'s' if len(missing) > 1 else ''} "
                         + ", ".join(missing) + (" (or --counts-period / --counts-resource)"
                                                 if {"period_s", "resource_id"} & set(missing)
                                                 else ""), src)
    # a header and no rows reads as no rows, as a usage log does (the run notes it when
    # no counts file holds a row: "the counts file holds no rows ...")
    rows = pd.Series(range(1, len(raw) + 1), index=raw.index)
    out = pd.DataFrame(index=raw.index)
    out.attrs["had_resource_column"] = "resource_id" in raw.columns
    out.attrs["label_columns"] = [c for c in LABELS if c in raw.columns]
    extras = [c for c in raw.columns if c not in COUNTS_COLUMNS]
    out["source"] = src
    out["row"] = rows
    out["period_start"] = _times(raw["period_start"], src)
    grouping, ids = overlap_columns(raw.assign(period_start=out["period_start"]), extras)
    out.attrs["unread"], out.attrs["row_ids"] = grouping, ids
    if grouping:  # (rows told apart by them are not the same calls counted twice)
        out["__extra"] = raw[grouping].astype(str).agg("\x1f".join, axis=1)
    if "period_s" not in raw:
        out["period_s"] = float(_check_period(period_s))
    elif period_s is None:
        out["period_s"] = _check_periods(_given_periods(raw["period_s"], src), src)
    else:
        out["period_s"], out.attrs["periods_filled"] = _agreeing_periods(
            raw["period_s"], _check_period(period_s), src)
    if "resource_id" in raw and resource is not None:
        _one_resource(clean_str(raw["resource_id"], "resource_id", src), resource, src)
    out["resource_id"] = (clean_str(raw["resource_id"], "resource_id", src)
                          if "resource_id" in raw and resource is None else resource)
    if out["resource_id"].isna().any():
        i = int(np.flatnonzero(out["resource_id"].isna().to_numpy())[0])
        raise InputError("column resource_id: empty (expected the bill's ResourceId)",
                         f"{src}: row {i + 1}")
    for c in LABELS:
        out[c] = clean_str(raw[c], c, src) if c in raw else None
    out["requests"] = _numbers(raw["requests"], "requests", src, integer=True, required=True)
    for c in OPTIONAL:
        out[c] = (_numbers(raw[c], c, src, integer=c != "mean_latency_ms")
                  if c in raw else np.nan)
    return out


MAX_PERIOD_S = 366 * 86400  # 31,622,400 s: the longest period a counts row may cover


def _given_periods(col: pd.Series, src: str) -> pd.Series:
    """A file's `period_s` column without `--counts-period` (seconds, each positive).
    A blank cell is an InputError naming the first such row, how many cells are blank,
    and `--counts-period` (which fills blank cells)."""
    vals = _numbers(col, "period_s", src, positive=True)
    blank = np.flatnonzero(vals.isna().to_numpy())
    if len(blank):
        raise InputError(f"column period_s: empty (expected a positive number); "
                         f"{len(blank):,} of {len(vals):,} cells "
                         f"{'is' if len(blank) == 1 else 'are'} blank: "
                         "--counts-period SECONDS fills blank cells",
                         f"{src}: row {int(blank[0]) + 1}")
    return vals


def _agreeing_periods(col: pd.Series, period_s: float,
                      src: str) -> tuple[pd.Series, int]:
    """A file's `period_s` column beside `--counts-period` (seconds): blank cells take
    `period_s` (returned with how many were blank, for a note); a cell that differs from
    it is an InputError naming the row (the file's periods are never silently replaced:
    hourly rows read as minutes would move every request to other hours)."""
    vals = _numbers(col, "period_s", src, positive=True)
    off = (vals.notna() & (vals != period_s)).to_numpy()
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise InputError(f"column period_s: {seconds(vals.iloc[i])} s, but --counts-period "
                         f"says {seconds(period_s)} s; expected them to agree (or no "
                         "--counts-period: the column gives each row's period)", f"{src}: row {i + 1}")
    return vals.fillna(period_s), int(vals.isna().sum())


def _one_resource(col: pd.Series, resource: str, src: str) -> None:
    """`--counts-resource` beside a file's `resource_id` column (cleaned): InputError
    naming the file, the flag and the column's distinct ResourceIds (the first three, in
    order of appearance; Azure ids compared in lower case) when it holds more than one:
    every row would be put on `resource`, merging other endpoints' requests into it.
    Where one of them holds an invisible character they are quoted, and such characters
    written as `\\uXXXX` (`escape_invisible`)."""
    from infercost.ingest.billrows import azure_lower

    seen: dict[Any, str] = {}
    for v in col.dropna().tolist():
        seen.setdefault(azure_lower(v), v)
    if len(seen) < 2:
        return
    ids = list(seen.values())
    shown = ids  # (quoted and escaped where one holds an invisible character)
    if any(escape_invisible(x) != x for x in ids):
        shown = [f"'{escape_invisible(x)}'" for x in ids]
    named = ", ".join(shown[:3]) + (f" and {len(ids) - 3:,} more" if len(ids) > 3 else "")
    raise InputError(f"column resource_id holds {len(ids):,} distinct ResourceIds ({named}), "
                     f"and --counts-resource {quoted_id(resource)} would put every row on it; "
                     "expected one ResourceId in the column (or no --counts-resource: each "
                     "row joins the bill by its own)", src)


def seconds(x: Any) -> str:
    """A number of seconds as messages echo it, as a plain number: a whole number below
    1e9 in full (0, 3600, 31622400: every period up to 366 days), others as `:g` writes
    them (0.5, 1e+12) where that is exact, else in full (Python's shortest exact form)."""
    x = float(x)
    if x.is_integer() and abs(x) < 1e9:
        return f"{x:.0f}"  # (-0 keeps its sign)
    short = f"{x:g}"
    return short if not math.isfinite(x) or float(short) == x else repr(x)


def _check_period(period_s: float | None) -> float:
    """`--counts-period` in seconds: positive, finite, at most MAX_PERIOD_S (366 days).
    Raises InputError naming `--counts-period` otherwise."""
    if period_s is not None and (isinstance(period_s, bool)
                                 or not isinstance(period_s, numbers.Real)):
        raise InputError(f"expected a positive number of seconds, got {period_s!r}",
                         "--counts-period")
    if period_s is None or not (period_s > 0 and math.isfinite(period_s)):
        shown = "none" if period_s is None else seconds(period_s)
        raise InputError(f"expected a positive number of seconds, got {shown}",
                         "--counts-period")
    if period_s > MAX_PERIOD_S:
        raise InputError(f"expected at most {MAX_PERIOD_S} seconds (366 days), "
                         f"got {seconds(period_s)}", "--counts-period")
    return float(period_s)


def _check_periods(col: pd.Series, src: str) -> pd.Series:
    """The `period_s` column, each at most MAX_PERIOD_S (366 days); InputError naming
    the first row over it."""
    over = (col > MAX_PERIOD_S).to_numpy()
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(f"column period_s: expected at most {MAX_PERIOD_S} seconds "
                         f"(366 days), got {seconds(col.iloc[i])}", f"{src}: row {i + 1}")
    return col


def _times(col: pd.Series, src: str) -> pd.Series:
    from infercost.ingest.billrows import parse_times

    t = parse_times(col, "period_start", src, pd.Series(range(1, len(col) + 1), index=col.index))
    if t.isna().any():
        i = int(np.flatnonzero(t.isna().to_numpy())[0])
        raise InputError("column period_start: empty (expected a UTC timestamp)",
                         f"{src}: row {i + 1}")
    return t


def _numbers(col: pd.Series, name: str, src: str, integer: bool = False,
             positive: bool = False, required: bool = False) -> pd.Series:
    """Finite, non-negative numbers (whole numbers when `integer`); empty -> NaN, or an
    InputError naming the row when `required` (a NaN cell, written or a float, is said
    to be "not a number", a blank or NULL one "empty")."""
    vals = []
    what = ("a positive number" if positive else
            "a whole number >= 0" if integer else "a finite number >= 0")
    for i, v in enumerate(col.tolist()):
        s = None if v is None or (isinstance(v, float) and v != v) else str(v).strip()
        text = s.strip("\ufeff").strip() if s is not None else None
        nan = (isinstance(v, float) and v != v) or (text is not None and text.lower() == "nan")
        s = None if s is not None and s.strip("\ufeff") in NUMBER_NULLS | {""} else s
        if s is None:
            if required:  # (NaN, written or a float, is a value that is no number)
                said = f"{text or 'NaN'} is not a number" if nan else "empty"
                raise InputError(f"column {name}: {said} (expected {what})",
                                 f"{src}: row {i + 1}")
            vals.append(np.nan)
            continue
        try:  # (Python reads "1_196" and non-ASCII digits: no export writes those)
            t = s.strip("\ufeff")
            x = float(t) if "_" not in t and t.isascii() else float("nan")
        except ValueError:
            x = float("nan")
        bad = not math.isfinite(x) or x < 0 or (positive and x == 0) or (
            integer and x != int(x)) or x > 2**53
        signed = x == 0 and not bad and str(v).strip().strip("\ufeff")[:1] in ("-", "+")
        if bad or signed:  # (a count with a sign is a column of differences, say)
            raise InputError(f"column {name}: expected {what}, got {v!r}"
                             + (" (a zero with a sign)" if signed else ""),
                             f"{src}: row {i + 1}")
        vals.append(x)
    return pd.Series(vals, index=col.index, dtype="float64")


def cloudwatch_rows(f: Path, resource: str | None,
                    period_s: float | None) -> tuple[pd.DataFrame, list[str]]:
    """Counts rows from `aws cloudwatch get-metric-data` output (see the module doc)."""
    src = str(f)
    try:
        with open_text(f) as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as e:  # the line, not a character offset
        raise InputError(json_fault(e), f"{src}: line {e.lineno}") from None
    except UnicodeDecodeError:
        from infercost.ingest.textscan import json_not_utf8_error

        raise (json_not_utf8_error(f) or InputError("not UTF-8 (expected UTF-8 JSON)",
                                                    src)) from None
    if not isinstance(doc, dict) or "MetricDataResults" not in doc:
        raise InputError("expected the output of `aws cloudwatch get-metric-data` "
                         "(a MetricDataResults list)", src)
    if resource is None:
        raise InputError("CloudWatch output names no resource: give --counts-resource "
                         "(the bill's ResourceId of the endpoint)", src)
    period = _check_period(period_s)
    results = doc["MetricDataResults"]
    if results is None:
        results = []
    if not isinstance(results, list):
        raise InputError(f"MetricDataResults: expected a list of metric results, got "
                         f"{_json_type(results)}", src)
    series: dict[str, dict] = {}
    labels: dict[str, str] = {}
    idents: dict[str, tuple] = {}  # metric -> (its series' Id or Label, its first result)
    repeats: dict[str, int] = {}
    notes = []
    for k, res in enumerate(results):
        where = f"{src}: MetricDataResults[{k}]"
        if not isinstance(res, dict):
            raise InputError(f"expected an object (Id, Label, Timestamps, Values), got "
                             f"{_json_type(res)}", where)
        name = str(res.get("Label") or res.get("Id") or "").lower().replace(" ", "")
        kind = ("requests" if name.endswith("invocations") or name == "invocations" else
                "latency_us" if "modellatency" in name else None)
        if kind is None:
            notes.append(f"{src}: metric {res.get('Label') or res.get('Id')!r} ignored "
                         "(only Invocations and ModelLatency are read)")
            continue
        label = str(res.get("Label") or res.get("Id"))
        # one series per metric: its pages repeat its Id (its Label when it has no Id)
        ident = f"Id {res['Id']}" if res.get("Id") else f"Label {label}"
        if kind in idents and idents[kind][0] != ident:
            metric = "Invocations" if kind == "requests" else "ModelLatency"
            raise InputError(
                f"two series of {metric} in one file, {_series_name(idents[kind][1])} and "
                f"{_series_name(res)}; expected one series per metric (the pages of one "
                "query repeat its Id): give each series its own file, or write them as a "
                "counts CSV with resource_id and endpoint columns", where)
        idents.setdefault(kind, (ident, res))
        ts, vs = res.get("Timestamps") or [], res.get("Values") or []
        if not isinstance(ts, list) or not isinstance(vs, list):
            raise InputError("Timestamps and Values: expected lists", where)
        if len(ts) != len(vs):
            raise InputError("Timestamps and Values differ in length", where)
        status = str(res.get("StatusCode") or "Complete")
        if status not in ("Complete", "PartialData"):
            codes = _message_codes(res.get("Messages"))
            said = f"StatusCode {status}" + (f" ({', '.join(codes)})" if codes else "")
            if not vs:
                raise InputError(f"metric {label!r}: CloudWatch returned {said} and no "
                                 "values (expected StatusCode Complete or PartialData)",
                                 where)
            notes.append(f"{src}: metric {label!r}: CloudWatch returned {said}; "
                         f"its {len(vs):,} value{'s' if len(vs) > 1 else ''} read as "
                         "given")
        elif status == "PartialData":
            notes.append(f"{src}: metric {res.get('Label')!r} is PartialData "
                         "(CloudWatch returned part of the range)")
        when = _times(pd.Series(ts, dtype=object), where)
        vals = _numbers(pd.Series(vs, dtype=object), res.get("Label") or kind, where)
        merged = series.setdefault(kind, {})
        labels.setdefault(kind, label)
        for i, (t, v) in enumerate(zip(when.tolist(), vals.tolist(), strict=True)):
            if t in merged:
                if merged[t] != v and not (math.isnan(merged[t]) and math.isnan(v)):
                    raise InputError(f"metric {label!r}: timestamp {ts[i]} given twice "
                                     f"with different values ({merged[t]:g} and {v:g}); "
                                     "expected one value per timestamp", where)
                repeats[kind] = repeats.get(kind, 0) + 1
                continue
            merged[t] = v
    for kind, n in repeats.items():
        notes.append(f"{src}: metric {labels[kind]!r}: {n:,} timestamp{'s' if n > 1 else ''} "
                     "given twice with the same value, taken once")
    codes = _message_codes(doc.get("Messages"))
    if codes:
        if not any(series.values()):
            raise InputError(f"CloudWatch returned Messages {', '.join(codes)} and no "
                             "values", src)
        notes.append(f"{src}: CloudWatch returned Messages {', '.join(codes)}; the values "
                     "given are read")
    if "requests" not in series:
        raise InputError("no Invocations metric in MetricDataResults", src)
    lat = series.get("latency_us", {})
    stamps = sorted(series["requests"])
    df = pd.DataFrame({
        "source": src, "row": range(1, len(stamps) + 1),
        "period_start": pd.Series(stamps, dtype="datetime64[us]"),
        "period_s": period, "resource_id": resource,
        "endpoint": resource, "model": None, "model_version": None, "tenant": None,
        "requests": [series["requests"][t] for t in stamps],
        "mean_latency_ms": [lat[t] / 1000 if t in lat else np.nan for t in stamps],
        "input_tokens": np.nan, "output_tokens": np.nan,
    })
    bad = df["requests"] != df["requests"].round()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"Invocations: expected whole numbers (statistic Sum), got "
                         f"{df['requests'].iloc[i]}", f"{src}: {stamps[i]}")
    notes.append(f"{src}: CloudWatch Invocations (Sum)"
                 + (" and ModelLatency (Average, µs)" if lat else "")
                 + f" for {quoted_id(resource)}, {seconds(period)} s periods")
    if doc.get("NextToken"):  # the query has more pages than this file holds
        notes.append(f"{src}: NextToken is set: CloudWatch has more pages of this query; "
                     "periods on them are not counted (fetch them and give every page)")
    return df, notes


def _series_name(res: dict) -> str:
    """A CloudWatch result as a message names it: `Id 'a' (Label 'ep-a Invocations')`."""
    rid, label = res.get("Id"), res.get("Label")
    if rid and label:
        return f"Id {str(rid)!r} (Label {str(label)!r})"
    return f"Id {str(rid)!r}" if rid else f"Label {str(label)!r}"


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for an error message."""
    return ("null" if value is None else "a boolean" if isinstance(value, bool) else
            "a number" if isinstance(value, int | float) else
            "a string" if isinstance(value, str) else
            "a list" if isinstance(value, list) else "an object")


def _message_codes(messages: Any) -> list[str]:
    """The `Code` (with `Value`) of each CloudWatch `Messages` entry, as text."""
    if not messages:
        return []
    if not isinstance(messages, list):
        messages = [messages]
    out = []
    for m in messages:
        if isinstance(m, dict):
            code, value = m.get("Code"), m.get("Value")
            out.append(f"{code}: {value}" if code and value else str(code or value or m))
        else:
            out.append(str(m))
    return out


def hourly_usage(rows: pd.DataFrame):
    """Usage rows (Arrow, the usage columns plus `requests`): each counts row spread over
    the clock hours its period touches (module doc). An hour whose share of requests is
    0 but of tokens is not (a row of 0 requests with tokens; a row of few requests over
    many hours) is a row of 0 requests, its tokens and 0 busy time, as a usage log keeps
    a row of 0 requests; one of neither adds no row."""
    import pyarrow as pa

    recs: dict[str, list] = {c: [] for c in (
        "timestamp", "request_id", "model", "model_version", "endpoint", "tenant",
        "resource_id", "duration_ms", "input_tokens", "output_tokens", "requests")}
    for r in rows.itertuples(index=False):
        start = pd.Timestamp(r.period_start)
        end = start + pd.Timedelta(seconds=float(r.period_s))
        h = start.floor("h")
        cuts = []
        while h < end:
            lo, hi = max(h, start), min(h + pd.Timedelta(hours=1), end)
            cuts.append((lo, (hi - lo).total_seconds()))
            h += pd.Timedelta(hours=1)
        secs = [s for _, s in cuts]
        req = _split(int(r.requests), secs)
        tin = _split(None if np.isnan(r.input_tokens) else int(r.input_tokens), secs)
        tout = _split(None if np.isnan(r.output_tokens) else int(r.output_tokens), secs)
        for k, (lo, _s) in enumerate(cuts):
            if req[k] == 0 and not (tin[k] or tout[k]):
                continue  # (no call and no token: nothing to add)
            recs["timestamp"].append(lo.to_pydatetime())
            recs["request_id"].append(f"{r.source}:{r.row}:{k}")
            for c in ("model", "model_version", "endpoint", "tenant", "resource_id"):
                recs[c].append(getattr(r, c))
            lat = r.mean_latency_ms
            # (tokens without a call: 0 busy time, whatever the latency, or none)
            recs["duration_ms"].append(0.0 if req[k] == 0 else
                                       None if np.isnan(lat) else req[k] * float(lat))
            recs["input_tokens"].append(tin[k])
            recs["output_tokens"].append(tout[k])
            recs["requests"].append(req[k])
    schema = pa.schema([
        ("timestamp", pa.timestamp("us")), ("request_id", pa.string()), ("model", pa.string()),
        ("model_version", pa.string()), ("endpoint", pa.string()), ("tenant", pa.string()),
        ("resource_id", pa.string()), ("duration_ms", pa.float64()),
        ("input_tokens", pa.int64()), ("output_tokens", pa.int64()), ("requests", pa.int64()),
    ])
    return pa.table({n: recs[n] for n in schema.names}, schema=schema)


def _split(total: int | None, weights: list[float]) -> list[int | None]:
    """`total` over `weights` in whole units, largest remainder (ties: earliest)."""
    if total is None:
        return [None] * len(weights)
    w = sum(weights)
    exact = [total * x / w for x in weights]
    base = [int(math.floor(e)) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[: total - sum(base)]:
        base[i] += 1
    return base
