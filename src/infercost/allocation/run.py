"""One attribution run end to end: read, allocate, write `--out` atomically."""

from __future__ import annotations

import errno
import gc
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

import pandas as pd

OUTPUT_FILES = ("allocations.csv", "allocations.parquet", "requests.parquet", "summary.json")
MONEY_COLUMNS = ("cost", "cost_per_1k_requests", "cost_per_1m_tokens", "direct_cost",
                 "idle_cost", "shared_cost")


def run_attribution(
    bill: str | Path | list[str | Path],
    usage: str | Path | list[str | Path] | None,
    out_dir: str | Path,
    rules: str | Path | None = None,
    backend: str = "duckdb",
    bill_format: str = "auto",
    check_duplicates: bool = True,
    con: Any = None,
    write_requests: bool = True,
    cost_basis: str | None = None,
    by: str = "combination",
    counts: str | Path | list[str | Path] | None = None,
    counts_resource: str | None = None,
    counts_period_s: float | None = None,
) -> dict:
    """Attribute a bill to usage logs and write allocations.csv/.parquet, requests.parquet
    and summary.json into `out_dir` (all or nothing). Returns the summary (money Decimal).

    `bill`, `usage`: files, directories or globs; `usage` None (and no `counts`): the
    bill's own breakdown, everything shared or idle. `counts`: call counts per period
    (`infercost.ingest.counts`; `counts_resource`, `counts_period_s` for files that do
    not carry them); without a `driver` in the rules they are allocated under `capacity`
    when every period has a mean latency (idle = instance time not covered by requests
    x latency), else by request count; a counts ResourceId without any call is in the
    fleet (its billed hours idle), and summary.json's `rows.counts_read` counts the
    counts rows read, its `rows.usage_read` their requests (the unit of the rest of the
    rows block: allocated, rejected, without a bill row...). `backend`: duckdb or spark.
    `check_duplicates=False` skips the duplicate request-id pass; `write_requests=False`
    skips requests.parquet (the per-request costs); `cost_basis` (EffectiveCost or
    BilledCost) overrides the rules file. `by` (combination or day): the slices of the
    `breakdowns` block (allocation.breakdowns). Decimal arithmetic runs at
    WORKING_DIGITS significant digits (exact for every bill amount and sum)."""
    from infercost.allocation.breakdowns import BY
    from infercost.errors import InputError

    if by not in BY:
        raise InputError(f"expected one of {', '.join(BY)}, got {by!r}", "--by")
    with localcontext() as ctx:
        ctx.prec = WORKING_DIGITS
        return _run(bill, usage, out_dir, rules, backend, bill_format, check_duplicates, con,
                    write_requests, cost_basis, by, counts, counts_resource, counts_period_s)


#: significant digits of Decimal arithmetic in a run: every bill amount (15 integer digits,
#: up to 18 decimals, times an exchange rate of up to ~20 digits) and every sum of them
#: is exact (Python's default, 28, rounded converted sums differently by grouping)
WORKING_DIGITS = 80
#: ... except the breakdowns, made at the precision every CostBreakdown is made at
BREAKDOWN_DIGITS = 28


def _run(bill, usage, out_dir, rules, backend, bill_format, check_duplicates, con,
         write_requests, cost_basis, by, counts, counts_resource, counts_period_s) -> dict:
    from infercost.allocation.breakdowns import attribution_breakdowns, idle_not_measured
    from infercost.allocation.counts_notes import (
        counts_join_notes,
        quiet_notes,
        refuse_unknown_counts_resource,
        unmatched_usage_notes,
    )
    from infercost.allocation.engine import attribute
    from infercost.allocation.rules import load_rules, parse_rules
    from infercost.errors import InputError
    from infercost.ingest.backends import connect

    if usage and counts:
        raise InputError("give one of them (a request log or call counts, not both)",
                         "--counts and --usage")
    if not counts and (counts_resource is not None or counts_period_s is not None):
        flag = "--counts-resource" if counts_resource is not None else "--counts-period"
        raise InputError("expected only with --counts (it says what a counts file "
                         "leaves out)", flag)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("expected an output folder, but a file of that name exists",
                         f"--out {out_dir}")
    for name in OUTPUT_FILES:  # (replaced one by one at the end: all must be replaceable)
        if (out_dir / name).is_dir():
            raise InputError(f"{name} there is a folder (expected a file, or none: this run "
                             "writes it)", f"--out {out_dir}")
    r = load_rules(rules)
    if cost_basis is not None:
        try:
            r.cost_basis = parse_rules({"cost_basis": cost_basis}).cost_basis
        except InputError as e:  # (the flag's own words: not "--cost-basis: cost_basis")
            raise InputError(e.message, "--cost-basis") from None
    con = con or connect(backend)
    tmp = _scratch(out_dir)
    try:
        u, c = read_all_usage(con, usage, counts, counts_resource, counts_period_s, r)
        u, pass1, b, t_bill = _pass1_and_bill(con, u, r, bill, bill_format)
        if c is not None:  # (the span the counts cover: hours of 0 calls add no row)
            pass1 = (with_counts_span(pass1[0], c), pass1[1])
        if counts_resource is not None:
            refuse_unknown_counts_resource(counts_resource, b)
        res = attribute(b, u, r, con, tmp, check_duplicates=check_duplicates,
                        write_requests=write_requests, pass1=pass1,
                        overlap=lambda mask, hours: _fleet_resources(b, r, mask, hours))
        s = res.summary
        s["inputs"] = {"bill": b.sources, "bill_format": b.format,
                       "usage": [str(f) for f in u.files], "usage_formats": u.kinds,
                       "rules": (None if not rules else "(a mapping)"
                                 if isinstance(rules, dict) else str(rules))}
        if counts is not None:
            s["inputs"]["counts"] = True
        s["notes"] = s.get("notes", []) + u.notes
        if c is None and usage:  # (the counts name theirs: counts_join_notes)
            s["notes"] += unmatched_usage_notes(pass1[0], b)
        if c is not None:  # (the rows block counts requests throughout, as allocated,
            # rejected, without a bill row... do; the counts rows read under their own key)
            s["rows"]["counts_read"] = c.rows_read
            s["rows"]["usage_read"] = counts_requests(c)
            s["notes"] += quiet_notes(c, b, res.fleet_mask)
            s["notes"] += counts_join_notes(c, b, res.fleet_mask)
        if u.tokens_unknown and s["unit_costs"]["tokens"]:
            n = u.tokens_unknown
            s["notes"].append(f"{n:,} usage row{'s' if n > 1 else ''} without an input or "
                              "output token count: cost per 1M tokens divides all allocated "
                              "cost by the tokens known, so it reads high (an upper bound)")
        if (usage or counts) and not (c.rows_read if c is not None
                                      else s["rows"]["usage_read"]):
            s["notes"].append(f"the {'usage log' if usage else 'counts file'} holds no "
                              "rows: nothing to allocate to, so the bill is all shared, "
                              "idle or unallocated")
        if s["rows"]["duplicate_request_ids"]:
            s["notes"].append(f"{s['rows']['duplicate_request_ids']:,} duplicate request ids "
                              "(each row is allocated as its own request)")
        res.timings["read_bill_s"] = t_bill
        s["_bill_reader"] = {"engine": b.reduced, "rows_in_python": len(b.rows)}
        # kept out of summary.json (same inputs, same bytes); see public_summary
        s["_timings_s"] = {k: round(v, 3) for k, v in res.timings.items()}
        s["outputs"] = {"folder": str(out_dir), "requests": write_requests}
        if not s["conservation"]["holds"]:  # a bug, never the user's input
            raise AssertionError(f"conservation violated: {s['conservation']}")
        with _gc_paused():
            with localcontext() as ctx:  # the cost lines' own precision, as in every other
                ctx.prec = BREAKDOWN_DIGITS  # breakdown (monthly figures round the same way)
                s["breakdowns"] = attribution_breakdowns(res.allocations, s, by).to_dict()
            s["energy"] = _energy(b, r, res, s)
            if idle_not_measured(s):  # (after the energy block, which reads the hours'
                s["idle_share"] = s["fleet"]["idle_share"] = None  # idle as booked)
            tw = time.perf_counter()
            write_outputs(res.allocations, s, tmp)
            s["_timings_s"]["write_outputs_s"] = round(time.perf_counter() - tw, 3)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in OUTPUT_FILES:
            if (tmp / name).exists():
                (tmp / name).replace(out_dir / name)
            elif (out_dir / name).is_file():  # an earlier run's (--no-requests now):
                (out_dir / name).unlink()      # never left beside this run's figures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return s


def counts_requests(c: Any) -> int:
    """The requests of a `Counts` (the sum of its rows' `requests`, as spread over clock
    hours: every request once): a counts run's `rows.usage_read`, in the unit of
    `usage_allocated`, `usage_without_bill_row` and the rest of the rows block."""
    import pyarrow.compute as pc

    if not c.table.num_rows:
        return 0
    return int(pc.sum(c.table.column("requests")).as_py() or 0)


def with_counts_span(gdf: pd.DataFrame, c: Any) -> pd.DataFrame:
    """Pass 1's frame (`engine.resource_hours`) with a row of n = n_ok = W = 0 for each
    resource's first and last hour the counts `c` cover (`Counts.covered`) that has no
    usage row: a period of 0 calls, or hours a few requests spread over a long period
    do not reach, add no usage row, yet the counts cover them. Such rows weigh nothing
    and count no row; `engine._span_note` reads them as covered hours."""
    cov = c.covered
    if cov is None or not len(cov):
        return gdf
    ends = pd.DataFrame({"resource_id": pd.concat([cov["resource_id"], cov["resource_id"]],
                                                  ignore_index=True),
                         "hour": pd.concat([cov["first"], cov["last"]], ignore_index=True)
                         .astype("datetime64[us]")}).drop_duplicates()
    have = pd.MultiIndex.from_frame(gdf[["resource_id", "hour"]].astype(
        {"hour": "datetime64[us]"}))
    new = ends[~pd.MultiIndex.from_frame(ends).isin(have)]
    if not len(new):
        return gdf
    add = new.assign(**{col: 0 for col in gdf.columns if col not in ("resource_id", "hour")})
    out = pd.concat([gdf, add[list(gdf.columns)]], ignore_index=True)
    for col in ("n", "n_ok", "W"):
        out[col] = out[col].astype("int64")
    out["hour"] = out["hour"].astype("datetime64[us]")
    out["resource_id"] = out["resource_id"].astype(object)
    return out


def _scratch(out_dir: Path) -> Path:
    """A new scratch folder beside `out_dir` (its parent made when missing), where the
    outputs are written before they replace the folder's; InputError naming `--out` when
    the parent cannot be made or written (a file on the way, no permission)."""
    from infercost.errors import InputError

    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as e:
        why = {errno.EEXIST: "a file is on the way", errno.ENOTDIR: "a file is on the way",
               errno.EACCES: "no permission to write there",
               errno.EPERM: "no permission to write there",
               errno.EROFS: "a read-only file system"}.get(e.errno, e.strerror or str(e))
        raise InputError(f"cannot write the output folder ({why}; expected a folder "
                         "that can be made and written)", f"--out {out_dir}") from None


def _pass1_and_bill(con: Any, u: Any, r: Any, bill: Any, bill_format: str) -> tuple:
    """Pass 1 over the log (`engine.resource_hours`) and the bill read: (the Usage to
    read from now on, pass 1, Bill, seconds reading the bill). The log's ResourceIds
    tell the engine which bill rows can be in the fleet, so every other row is reduced to
    its sums there. They come first from one quick distinct query (`usage.resource_ids`,
    which also cleans padded Parquet ids); on DuckDB pass 1 then runs on a worker thread
    (the engine alone) while a second connection reads the bill here, its hint every id
    in the log (rule R1: the ids of every row, accepted or rejected). A fault pass 1 meets in the log is raised before one in the bill, as
    when they ran one after the other."""
    from infercost.allocation.engine import (
        plan_resource_hours,
        resource_hours,
        resource_hours_frame,
        run_resource_hours,
    )
    from infercost.errors import InputError, is_interrupt
    from infercost.ingest.backends import meanwhile, second_connection
    from infercost.ingest.bill import read_bill
    from infercost.ingest.usage import resource_ids

    def bill_read(hint: Any, on: Any) -> tuple:
        t0 = time.perf_counter()
        b = read_bill(bill, bill_format, rates=r.exchange_rates, currency=r.currency,
                      con=on, hint=hint, rules_source=r.source,
                      cost_basis=r.cost_basis)
        return b, time.perf_counter() - t0

    try:
        u, ids = resource_ids(con, u)
    except InputError:
        ids = None  # pass 1 names the fault
    other = second_connection(con) if ids is not None else None
    if other is None:
        pass1 = resource_hours(con, u, r)
        named = pass1[0].loc[pass1[0]["n"] > 0, "resource_id"]  # (rule R1: any row's id)
        return (u, pass1, *bill_read(fleet_hint([*named, *u.named_ids], r), con))
    plan = plan_resource_hours(con, u, r)
    try:
        with meanwhile(con, run_resource_hours, plan) as running:
            try:
                b, t_bill = bill_read(fleet_hint(
                    [*ids.column("resource_id").to_pylist(), *u.named_ids], r), other)
            except Exception as e:
                if not is_interrupt(e):
                    running.result()  # a fault in the log first
                raise
            ran = running.result()
    finally:
        other.disconnect()  # (the second connection only; the database stays open)
    return u, (resource_hours_frame(plan, ran), ran.seconds), b, t_bill


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused, then restored as it was: the breakdowns
    and the summary are ~200k new dicts and lists, which set off full collections over
    the whole heap (the allocation table's objects; ~0.15 s on a 151k-row month). These
    steps make no reference cycles to collect."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def fleet_hint(log_ids: Any, rules: Any) -> Any:
    """What can put a bill row in the fleet (rule R1): ResourceIds of the usage log
    (`log_ids`, any iterable; nulls skipped) and the rules' own selections
    (`ingest.bill_engine.FleetHint`)."""
    from infercost.ingest.bill_engine import FleetHint

    ids = {str(x) for x in log_ids if isinstance(x, str)} if rules.from_usage else set()
    return FleetHint(resource_ids=frozenset(ids | set(rules.resource_ids or ())),
                     services=frozenset(rules.services or ()),
                     skus=frozenset(rules.skus or ()), tags=dict(rules.tags or {}))


def _energy(b: Any, r: Any, res: Any, s: dict) -> dict:
    """summary.json's energy block (allocation.energy): the fleet's billed GPU-hours at the
    attribution's measured load, through econ.energy (the run's own fleet and hours)."""
    from infercost.allocation.energy import attribution_energy
    from infercost.core.catalog import load_catalog

    return attribution_energy(b, res.fleet_mask, b.cost(r.cost_basis), res.allocations, s,
                              load_catalog(), res.fleet_hours, res.overlap or False)


def _fleet_resources(b: Any, r: Any, fleet_mask: Any, hours: Any) -> Any:
    """The bill side of the energy block (made while the engine runs its last pass)."""
    from infercost.allocation.energy import fleet_resources

    return fleet_resources(b, fleet_mask, b.cost(r.cost_basis), hours)


def read_all_usage(con: Any, usage, counts, counts_resource, counts_period_s,
                   rules) -> tuple[Any, Any]:
    """The usage log, the counts, or neither (never both: `run_attribution`), as one
    Usage, and the `Counts` read (None without `counts`). Sets the counts driver when
    the rules name none (see `run_attribution`) and says which, once: under `requests`
    the note names how many counts rows lack a mean latency and the first of them (the
    idle share of instance time is not measured then). Under a driver the rules name,
    the note says what that driver did with the rows without a mean latency
    (`given_driver_note`)."""
    from infercost.allocation.counts_notes import given_driver_note, requests_driver_note
    from infercost.ingest.counts import SOME_LATENCY_NOTE, read_counts
    from infercost.ingest.usage import combine, counts_usage, no_usage, read_usage

    parts, c = [], None
    if usage:
        parts.append(read_usage(con, usage))
    if counts:
        c = read_counts(counts, counts_resource, counts_period_s)
        parts.append(counts_usage(con, c))
        notes = parts[-1].notes  # (said once: read_counts' shorter note, which tells
        notes[:] = [n for n in notes if n != SOME_LATENCY_NOTE]  # the default, gives way)
        if "driver" not in rules.given:
            rules.driver = "capacity" if c.has_latency and not usage else "requests"
            if rules.driver == "capacity":
                notes.append("counts: driver capacity (busy time = requests x mean latency "
                             "against one instance-hour per resource-hour; the rest is idle)")
            else:
                notes.append(requests_driver_note(c))
        else:
            said = given_driver_note(c, rules.driver)
            notes += [said] if said else []
        notes += tokens_without_calls_note(c, rules.driver)
    if not parts:
        return no_usage(con), c
    return combine(parts), c


def tokens_without_calls_note(c: Any, driver: str) -> list[str]:
    """A note for tokens the counts give on rows without calls (requests 0): under a
    driver other than `tokens` they weigh nothing, so they sit in the unallocated rows at
    no cost and out of the cost per 1M tokens. [] when there are none, or under tokens."""
    import pyarrow.compute as pc

    t = c.table
    if driver == "tokens" or not t.num_rows or "requests" not in t.column_names:
        return []
    quiet = pc.fill_null(pc.equal(t["requests"], 0), False)
    n = 0
    for col in ("input_tokens", "output_tokens"):
        if col in t.column_names:
            n += int(pc.sum(pc.fill_null(pc.filter(t[col], quiet), 0)).as_py() or 0)
    if not n:
        return []
    return [f"counts: {n:,} tokens on counts rows without calls (requests 0) weigh nothing under "
            f"driver {driver}: they are in the unallocated rows at no cost and out of the "
            "cost per 1M tokens (driver: tokens allocates by them)"]


def write_outputs(table: pd.DataFrame, summary: dict, folder: Path) -> None:
    """allocations.csv (exact decimal strings), allocations.parquet (decimal128(38,18)),
    summary.json (money as strings)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from infercost.core.io import dumps

    cols = list(table.columns) if len(table.columns) else [
        "period", "model", "model_version", "endpoint", "tenant", "requests", "input_tokens",
        "output_tokens", "cost", "cost_per_1k_requests", "cost_per_1m_tokens", "kind",
        "detail", "currency", "direct_cost", "idle_cost", "shared_cost"]
    money = {c: _money_array(table[c].tolist()) for c in MONEY_COLUMNS if c in table}
    rounded = [c for c in money if not money[c][1]]
    if rounded:  # said in the summary: its figures and allocations.csv stay exact
        summary.setdefault("notes", []).append(
            "allocations.parquet: some money values have more than 18 decimals (column"
            f"{'s' if len(rounded) > 1 else ''} {', '.join(rounded)}); Parquet's "
            "decimal128(38, 18) holds them rounded to 18 decimals, so its sums can differ "
            "from the bill below 1e-18 per row (allocations.csv and summary.json are exact)")
    arrays, plain = {}, True
    for c in cols:
        if c in money:
            arrays[c] = money[c][0]
        elif c in ("requests", "input_tokens", "output_tokens"):
            arrays[c] = pa.array(table[c].tolist() if c in table else [], pa.int64())
        else:
            arrays[c], is_text = _text_array(table[c] if c in table
                                             else pd.Series([], dtype=object))
            plain = plain and is_text
    arrow_csv = plain and len(table) and len(set(cols)) == len(cols)
    if not (arrow_csv and _write_csv_arrow(arrays, money, table, cols,
                                           folder / "allocations.csv")):
        csv_df = table.copy()
        for c, arr in money.items():
            csv_df[c] = _money_strings(arr, table[c].tolist())
        csv_df.to_csv(folder / "allocations.csv", index=False, columns=cols,
                      lineterminator="\n")
    pq.write_table(pa.table(arrays), folder / "allocations.parquet")
    (folder / "summary.json").write_text(dumps(public_summary(summary)) + "\n")


def _write_csv_arrow(arrays: dict, money: dict, table: pd.DataFrame, cols: list[str],
                     path: Path) -> bool:
    """allocations.csv through Arrow's CSV writer, byte for byte what `DataFrame.to_csv`
    writes for the same table (csv.QUOTE_MINIMAL, `\\n`): the header through Python's
    csv module, the rows unquoted. False (the file to be written again by pandas) when a
    text value needs quoting (a comma, a quote, a line break) or when Arrow refuses."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    data = {}
    for c in cols:
        if c in money:
            arr, exact = money[c]
            data[c] = (_money_text(arr, table[c].tolist()) if exact
                       else pa.array(_money_strings(money[c], table[c].tolist()), pa.string()))
        else:
            data[c] = arrays[c]
    head = io.StringIO()
    csv.writer(head, lineterminator="\n").writerow(cols)
    try:
        with open(path, "wb") as f:
            f.write(head.getvalue().encode())
            pcsv.write_csv(pa.table(data), f, pcsv.WriteOptions(include_header=False,
                                                                 quoting_style="none"))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _money_text(arr: Any, vals: list) -> Any:
    """The CSV's exact decimal strings (see `_money_strings`) of a decimal128(38, 18) array
    that holds every value of `vals` exactly, as an Arrow string array (null for missing):
    Arrow's text of the value with trailing zeros and point dropped; zero is "0"; the few
    values Arrow writes with an exponent (below 1e-6) are formatted by `_money_strings`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_rtrim(pc.utf8_rtrim(pc.cast(arr, pa.string()), "0"), ".")
    text = pc.if_else(pc.equal(arr, pa.scalar(0, arr.type)), "0", text)
    exp = pc.fill_null(pc.match_substring(text, "E"), False)
    at = np.flatnonzero(exp.to_numpy(zero_copy_only=False))
    if len(at):
        fixed = _money_strings((arr, True), [vals[i] for i in at])
        text = pc.replace_with_mask(text, exp, pa.array(fixed, pa.string()))
    return text


def public_summary(summary: dict) -> dict:
    """The summary as written to summary.json: without run-specific keys (`_timings_s`)."""
    return {k: v for k, v in summary.items() if not k.startswith("_")}


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def _text_array(col: pd.Series) -> tuple[Any, bool]:
    """A text column as an Arrow string array (missing values of any kind -> null), and
    whether it holds text and missing values only, as pandas' text dtype or as Python
    str (False: bytes, numbers, categories, ...: a CSV of it is left to pandas)."""
    import pyarrow as pa

    text = isinstance(col.dtype, pd.StringDtype) or (
        col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in ("string", "empty"))
    if text:  # Arrow's own conversion (nulls where notna is False: None, NaN, NA)
        try:
            if isinstance(col.dtype, pd.StringDtype):
                arr = pa.array(col)
            else:
                arr = pa.array(col.to_numpy(dtype=object), pa.string(), from_pandas=True)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            return (arr if arr.type == pa.string() else arr.cast(pa.string())), True
        except (TypeError, ValueError):  # Arrow's type and value errors among them
            pass
    vals = col.astype(object).where(col.notna(), None).tolist()
    try:
        return pa.array(vals, pa.string()), False
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    return pa.array([None if _missing(v) else str(v) for v in vals], pa.string()), False


def _q18(d: Decimal) -> Decimal:
    return d.quantize(Decimal(1).scaleb(-18))


def _money_array(vals: list):
    """decimal128(38, 18) Arrow array and whether it holds every value exactly."""
    import pyarrow as pa

    try:  # Decimals and None (the engine's money): no pass over the values first
        return pa.array(vals, pa.decimal128(38, 18)), True
    except (pa.ArrowInvalid, TypeError):
        pass
    vals = [None if v is None or v is pd.NA or (isinstance(v, float) and v != v) else v
            for v in vals]
    try:
        return pa.array(vals, pa.decimal128(38, 18)), True
    except (pa.ArrowInvalid, TypeError):  # more than 18 decimals: rounded for Parquet only
        return pa.array([None if v is None else _q18(v) for v in vals],
                        pa.decimal128(38, 18)), False


def _money_strings(money: tuple, vals: list) -> list:
    """Exact decimal strings for the CSV (no exponent, no trailing zeros)."""
    from infercost.core.money import format_decimal

    out = []
    append = out.append
    for v in vals:
        if type(v) is Decimal:  # format_decimal(v), inlined (this runs per money cell)
            if not v:
                append("0")
                continue
            t = format(v, "f")
            if "." in t:
                t = t.rstrip("0").rstrip(".") or "0"
            if t == "-0":
                t = "0"
            append(t)
        elif v is None or v is pd.NA or (isinstance(v, float) and v != v):
            append("")
        else:
            append(format_decimal(v))
    return out
