"""The attribution engine: Ibis expressions written once, run on DuckDB or Spark.

Heavy work (every pass over the usage log) is Ibis; what is left in Python is bounded by
the number of resource-hours and of allocation rows, never by the number of requests.
Money inside the engine is integer quanta of 1e-10 of the bill currency (int64, exact
and identical on every backend); at the edges it is `decimal.Decimal`. The rules are
stated in `infercost.allocation.rules`.

Passes over the usage log: (1) per resource-hour weights and row counts (`resource_hours`,
independent of the bill, so `run_attribution` runs it on a worker thread while the bill
is read; without per-row reason codes when the Parquet footers rule out every reject they
can show), (2) duplicate request ids, (3) per-request cost (written to requests.parquet),
(4) the aggregate by day, model, model version, endpoint, tenant and allocation status
(read back from (3), or straight from the expression without requests.parquet), run on a
worker thread while Python makes the bill-side steps; with `idle: share`, one more
aggregate by resource. Worker threads run only the engine (`ingest.backends.prepare`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infercost.allocation.overlaps import overlap_notes
from infercost.allocation.quanta import (  # noqa: F401  (spread, to_quanta: public here)
    LIMIT,
    QUANTUM,
    SCALE,
    q2d,
    quanta_array,
    spread,
    to_quanta,
)
from infercost.allocation.rules import Rules
from infercost.allocation.steps import (
    ALLOCATED,
    GROUP,
    ZERO_WEIGHT,
    BillSide,
    UsageSide,
    assemble,
    bill_steps,
)
from infercost.core.money import format_decimal
from infercost.errors import InputError
from infercost.ingest.bill import Bill, basis_column, note_time
from infercost.ingest.billrows import azure_lower
from infercost.ingest.usage import Usage

#: allocation status of a request: code -> text (requests.parquet carries both)
STATUS = {0: ALLOCATED, 1: "no bill row for resource-hour", 2: "outside billing period",
          3: "rejected: no timestamp", 4: "rejected: no resource_id",
          5: "rejected: no duration_ms", 6: "rejected: negative duration_ms",
          7: ZERO_WEIGHT, 8: "rejected: negative tokens",
          9: "rejected: duration_ms not finite or over 1e9 ms",
          10: "rejected: hosted API call: billed by its provider"}  # (per request)
#: the largest busy time one usage row may state (1e9 ms, about 11.6 days: far above any
#: request, and low enough that a resource-hour's total weight in µs fits in int64)
MAX_DURATION_MS = 1e9


@dataclass
class Attribution:
    """The outcome: allocation rows (Decimal money), the summary, timings."""

    allocations: pd.DataFrame
    summary: dict
    timings: dict[str, float] = field(default_factory=dict)
    #: rule R1's fleet (bool per bill row) and rule R2's billed (resource_id, hour, cost_q)
    fleet_mask: np.ndarray | None = None
    fleet_hours: pd.DataFrame | None = None
    #: what `attribute(overlap=...)` returned
    overlap: Any = None


# ------------------------------------------------------------------ usage expressions


#: the FOCUS column of each cost basis, for notes
_FOCUS_NAME = {"effective_cost": "EffectiveCost", "billed_cost": "BilledCost"}


def weight_expr(u: Any, rules: Rules, usage: Usage) -> Any:
    """Driver weight per usage row as int64 (µs of busy time, tokens, or its request
    count). Values outside [0, MAX_DURATION_MS] weigh 0 (such rows are rejected)."""
    if rules.driver in ("duration_ms", "capacity"):
        return _micros(u.duration_ms, u.requests)
    if rules.driver == "gpu_time":
        if not usage.has_gpu_ms:
            raise InputError("driver gpu_time needs a gpu_ms column in the usage log",
                             f"{rules.source}: driver")
        return _micros(u.gpu_ms.fill_null(0), u.requests)
    if rules.driver == "tokens":
        return token_weight(u)
    return u.requests


def _micros(ms: Any, requests: Any) -> Any:
    """Milliseconds as whole µs (int64); NaN, infinite, negative or huge values (over
    MAX_DURATION_MS per request the row stands for) as 0. (NaN is tested on its own:
    Parquet statistics leave NaN out, and DuckDB folds a range test its statistics
    answer, which let a NaN reach the cast to int64.)"""
    import ibis

    ok = ~is_nan(ms) & (ms >= 0) & (ms <= requests * MAX_DURATION_MS)
    return (ibis.ifelse(ok, ms, 0.0) * 1000).floor().cast("int64")


def is_nan(x: Any) -> Any:
    """Whether float `x` is NaN, in a form DuckDB does not answer wrongly from Parquet
    statistics (which leave NaN out): it reads `isnan(x)` as false when a footer gives
    x a finite range, and `x - x` as 0 when the footer's min equals its max; each test
    sees the NaN the other misses (x - x is NaN only for NaN and +-inf)."""
    return x.isnan() | (((x - x) != 0) & ~x.isinf())


def reason_expr(u: Any, rules: Rules) -> Any:
    """Why a usage row cannot be allocated (None when it can, given a bill row). A
    missing duration_ms rejects a row only under the drivers that read it (duration_ms,
    capacity): call counts without latency are allocated by requests."""
    import ibis

    cases = [(u.timestamp.isnull(), 3),
             # a hosted API call without a resource of its own (the provider bills it)
             (u.resource_id.isnull() & u.provider.notnull(), 10),
             (u.resource_id.isnull(), 4)]
    if rules.driver in ("duration_ms", "capacity"):
        cases.append((u.duration_ms.isnull(), 5))
    cases += [
        (is_nan(u.duration_ms) | (u.duration_ms > u.requests * MAX_DURATION_MS), 9),
        (u.duration_ms < 0, 6),
        ((u.input_tokens < 0) | (u.output_tokens < 0), 8),
    ]
    return ibis.cases(*cases, else_=ibis.null("int8")).cast("int8")


def duplicate_key(ids: Any) -> Any:
    """A request id as the duplicate count compares it: without U+FEFF and blanks at
    its ends, and null when that leaves one of the bill's null spellings, as text read
    from CSV or JSON is (`ingest.usage.normalize`)."""
    from infercost.ingest.usage import null_spelled_as_null

    return null_spelled_as_null(ids.replace("\ufeff", "").strip())


def prepared(usage: Usage, rules: Rules, clean: bool = False) -> Any:
    """The usage rows with `hour`, driver weight `w`, token weight `wt` and the reason
    code `rejected` (null: acceptable). `clean`: pass 1 found no row to reject, so
    `rejected` is null on every row and, under the duration drivers, every duration is
    within [0, MAX_DURATION_MS x requests]: the same values from simpler expressions."""
    import ibis

    u = usage.table
    if clean:  # (a row without `requests` weighs 0, as in weight_expr)
        w = (ibis.ifelse(u.requests.notnull(), (u.duration_ms * 1000).floor().cast("int64"), 0)
             if rules.driver in ("duration_ms", "capacity") else weight_expr(u, rules, usage))
        return u.mutate(hour=u.timestamp.truncate("h"), w=w, wt=token_weight(u),
                        rejected=ibis.null("int8"))
    return u.mutate(hour=u.timestamp.truncate("h"), w=weight_expr(u, rules, usage),
                    wt=token_weight(u), rejected=reason_expr(u, rules))


def token_weight(u: Any) -> Any:
    """Tokens of a usage row (input + output, negatives and missing as 0), int64: the
    weight of pay-per-token charges (rule R2')."""
    tin, tout = u.input_tokens.fill_null(0), u.output_tokens.fill_null(0)
    return ((tin > 0).ifelse(tin, 0) + (tout > 0).ifelse(tout, 0)).cast("int64")


# ------------------------------------------------------------------ bill side


def select_fleet(bill: Bill, rules: Rules, usage_resources: set[str]) -> np.ndarray:
    """Boolean mask of fleet rows (rule R1)."""
    df = bill.rows
    rid = df["resource_id"]
    mask = np.zeros(len(df), dtype=bool)
    if rules.from_usage:
        mask |= rid.isin(usage_resources).to_numpy()
    if rules.resource_ids:  # Azure ids compared in lower case, as the bill's are
        mask |= rid.isin({azure_lower(x) for x in rules.resource_ids}).to_numpy()
    if rules.services:
        mask |= df["service_name"].isin(set(rules.services)).to_numpy()
    if rules.skus:
        mask |= df["sku_id"].isin(set(rules.skus)).to_numpy()
    if rules.tags:
        want = rules.tags
        mask |= np.array([all(t.get(k) == v for k, v in want.items()) for t in df["tags"]],
                         dtype=bool)
    return mask


def unmatched_selectors(bill: Bill, rules: Rules) -> list[str]:
    """Notes for the rules' `fleet:` selectors that match no bill row (rule R1 compares
    them exactly, Azure ids in lower case): a misspelt ServiceName or ResourceId would
    otherwise leave its rows shared without a word."""
    df = bill.rows
    out = []

    def say(key: str, values: list[str], how: str = "compared exactly") -> None:
        if values:
            out.append(f"fleet {key}: {_first_three(values)} match"
                       f"{'es' if len(values) == 1 else ''} no bill row ({how}): no row "
                       "joins the fleet by it")

    if rules.resource_ids:
        ids = set(df["resource_id"].dropna())
        say("resource_ids", [x for x in rules.resource_ids if azure_lower(x) not in ids],
            "compared exactly, Azure ids in lower case")
    if rules.services:
        services = set(df["service_name"].dropna())
        say("services", [x for x in rules.services if x not in services])
    if rules.skus:
        skus = set(df["sku_id"].dropna())
        say("skus", [x for x in rules.skus if x not in skus])
    if rules.tags and not any(isinstance(t, dict) and all(t.get(k) == v for k, v in
                                                          rules.tags.items())
                              for t in df["tags"]):
        say("tags", [", ".join(f"{k}={v}" for k, v in rules.tags.items())],
            "every pair on one row's Tags")
    return out


def capacity_notes(rules: Rules, fleet_ids: set) -> list[str]:
    """Notes for `capacity_ms_per_hour` the run does not use: given under another driver,
    or keyed by a ResourceId in no fleet row (a typo: the default applies there)."""
    if not rules.capacity_ms_per_hour or "capacity_ms_per_hour" not in rules.given:
        return []
    if rules.driver != "capacity":
        return [f"capacity_ms_per_hour is used only under driver capacity (driver is "
                f"{rules.driver}): ignored"]
    missing = sorted(k for k in rules.capacity_ms_per_hour
                     if k != "default" and azure_lower(k) not in fleet_ids)
    if not missing:
        return []
    return [f"capacity_ms_per_hour: {_first_three(missing)} name"
            f"{'s' if len(missing) == 1 else ''} no fleet resource (compared exactly): unused"]


def _first_three(values: list[str]) -> str:
    """`a, b, c and 2 more`: a note's list of names, at most three shown."""
    return ", ".join(values[:3]) + (f" and {len(values) - 3} more" if len(values) > 3 else "")


@dataclass(frozen=True)
class FleetHourRows:
    """The hourly bill rows summed into fleet rows (`ingest.billrows.HourRows`, of the
    fleet only): `row` (position among the fleet rows), `hour` (datetime64[us]),
    `quanta` (int64) and whether each amount was a whole number of quanta (`exact`)."""

    row: np.ndarray
    hour: np.ndarray
    quanta: np.ndarray
    exact: bool

    @staticmethod
    def of(bill: Bill, fleet_mask: np.ndarray, column: str) -> FleetHourRows | None:
        """The entries of `bill.hour_rows` whose row is in the fleet, for cost `column`."""
        hr = bill.hour_rows
        if hr is None or not len(hr):
            return None
        keep = fleet_mask[hr.row]
        pos = np.cumsum(fleet_mask) - 1  # a bill row's position among the fleet rows
        q, exact = hr.quanta[column]
        return FleetHourRows(pos[hr.row[keep]], hr.hour[keep], q[keep], exact)


def fleet_hours(fleet: pd.DataFrame, cost: pd.Series,
                quanta: tuple[np.ndarray, bool] | None = None,
                per_token: np.ndarray | None = None, hour_weights: dict | None = None,
                hour_rows: FleetHourRows | None = None):
    """Rule R2: per (resource, hour) cost quanta, per (resource, day) sub-quantum rest,
    and the rows without a usable charge period. `quanta`: `quanta_array(cost)` if the
    caller has it (`exact` may be False for a superset of the rows: only slower).
    `per_token` (bool per fleet row) and `hour_weights` ((resource, hour) -> int): rule
    R2', those rows spread in proportion to the weights (evenly when all are 0).
    `hour_rows`: fleet rows that sum hourly bill rows take those rows' own hours and
    amounts (an hour's whole amount to that hour, as the split of a one-hour row gives)."""
    start = fleet["charge_start"]
    end = fleet["charge_end"]
    ok = (start.notna() & end.notna() & (end > start)).to_numpy()
    grouped = np.zeros(len(fleet), dtype=bool)
    if hour_rows is not None:
        grouped[hour_rows.row] = True
    h0 = start.dt.floor("h")
    n = np.where(ok, np.ceil(((end - h0).dt.total_seconds().fillna(0)) / 3600), 0).astype(np.int64)
    n = np.maximum(n, np.where(ok, 1, 0))
    q, exact = quanta if quanta is not None else quanta_array(cost)
    okidx = np.nonzero(ok & ~grouped)[0]
    reps = n[okidx]
    row_of = np.repeat(okidx, reps)
    offs = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    base, extra = np.divmod(q[okidx], reps)  # floor division, exact in int64
    hour_q = np.repeat(base, reps) + (offs < np.repeat(extra, reps)).astype(np.int64)
    if per_token is not None and per_token.any():
        rid_all = fleet["resource_id"].to_numpy()
        hour_all = h0.to_numpy()
        starts = np.cumsum(reps) - reps
        for k in np.flatnonzero(per_token[okidx]).tolist():
            i, a, m = okidx[k], int(starts[k]), int(reps[k])
            hrs = hour_all[i] + np.arange(m).astype("timedelta64[h]")
            w = [int(hour_weights.get((rid_all[i], pd.Timestamp(h)), 0)) for h in hrs]
            if sum(w) > 0:
                hour_q[a:a + m] = _weighted_split(int(q[i]), w)
    hour = (h0.to_numpy()[row_of] + offs.astype("timedelta64[h]")).astype("datetime64[us]")
    if hour_rows is not None:
        row_of = np.concatenate([row_of, hour_rows.row])
        hour = np.concatenate([hour, hour_rows.hour])
        hour_q = np.concatenate([hour_q, hour_rows.quanta])
    hq = _sum_by_hour(fleet["resource_id"].to_numpy(), row_of, hour, hour_q)
    # the sub-quantum rest of each row (zero for amounts with <= 10 decimals); a row that
    # sums hourly rows keeps what its rows' whole quanta leave of it
    if hour_rows is not None and not hour_rows.exact:
        q = q.copy()
        q[grouped] = 0
        np.add.at(q, hour_rows.row, hour_rows.quanta)
        exact = False
    rest = [] if exact else [
        (i, c - q2d(x)) for i, (c, x) in enumerate(zip(cost, q.tolist(), strict=True))
        if ok[i] and not (grouped[i] and hour_rows.exact) and c != q2d(x)]
    rest_rows = pd.DataFrame({
        "resource_id": fleet["resource_id"].to_numpy()[[i for i, _ in rest]],
        "day": h0.dt.floor("D").to_numpy()[[i for i, _ in rest]],
        "rest": pd.Series([r for _, r in rest], dtype=object),
    })
    no_period = fleet.iloc[np.nonzero(~ok)[0]]
    return hq, rest_rows, no_period, cost.iloc[np.nonzero(~ok)[0]]


def _sum_by_hour(rid: np.ndarray, row_of: np.ndarray, hour: np.ndarray,
                 q: np.ndarray) -> pd.DataFrame:
    """Quanta `q` summed per (resource_id of fleet row `row_of`, `hour`), sorted by
    resource_id (missing last) and hour: what `groupby([...], dropna=False, sort=True)`
    gives, from integer codes (each ResourceId of `rid` factorized once)."""
    codes, uniq = pd.factorize(rid, sort=True)
    c = np.where(codes < 0, len(uniq), codes).astype(np.int64)[row_of]
    h = hour.astype("datetime64[us]").astype(np.int64)
    order = np.lexsort((h, c))
    cs, hs = c[order], h[order]
    first = (np.flatnonzero(np.r_[True, (cs[1:] != cs[:-1]) | (hs[1:] != hs[:-1])])
             if len(cs) else np.zeros(0, dtype=np.int64))
    sums = (np.add.reduceat(q[order], first) if len(cs) else np.zeros(0, dtype=np.int64))
    if len(cs):  # a sum past int64 wraps: where the float sum is far past LIMIT (so the
        # int64 one may have wrapped), +-LIMIT stands for it (refused: `attribute`)
        f = np.add.reduceat(q[order].astype(np.float64), first)
        sums = np.where(np.abs(f) > 2.0**62.5, np.sign(f).astype(np.int64) * LIMIT, sums)
    labels = np.empty(len(uniq) + 1, dtype=object)
    labels[:-1] = list(uniq)
    labels[-1] = None
    rid_out = (pd.Index(labels[cs[first]]) if len(uniq) or not len(cs)
               else np.full(len(first), np.nan))  # (no id at all: pandas' float NaN)
    return pd.DataFrame({"resource_id": rid_out,
                         "hour": hs[first].astype("datetime64[us]"),
                         "cost_q": sums.astype(np.int64)})


def _aligned(left: pd.DataFrame, right: pd.DataFrame, column: str | list[str]
             ) -> np.ndarray | dict[str, np.ndarray]:
    """`right[column]` (int64) for each (resource_id, hour) of `left`, 0 where `right` has
    none: a left join on the two keys (unique in `right`; whole hours on both sides)
    through integer keys. A missing resource_id matches nothing (`right`'s rows without
    one weigh 0). A list of columns: a dict of such arrays, the join made once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, list):
        names = column
    else:
        names = [column]
    outs = {c: np.zeros(len(left), dtype=np.int64) for c in names}
    out = outs if isinstance(column, list) else outs[column]
    lc, uniq = pd.factorize(left["resource_id"], use_na_sentinel=True)
    if not len(uniq) or not len(right):
        return out
    rid = pa.array(right["resource_id"].to_numpy(dtype=object), pa.string(), from_pandas=True)
    rc = pc.index_in(rid, value_set=pa.array([str(x) for x in uniq], pa.string()))
    rc = rc.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    def keys(codes: np.ndarray, hours: pd.Series) -> np.ndarray:
        h = hours.to_numpy().astype("datetime64[us]").astype(np.int64) // 3_600_000_000
        return codes.astype(np.int64) * 2**32 + (h + 2**31)

    have = rc >= 0
    at = pd.Index(keys(rc, right["hour"])[have]).get_indexer(keys(lc, left["hour"]))
    hit = (lc >= 0) & (at >= 0)
    for c in names:
        outs[c][hit] = right[c].to_numpy(dtype=np.int64)[have][at[hit]]
    return out


# ------------------------------------------------------------------ the run


def resource_hours(con: Any, usage: Usage, rules: Rules) -> tuple[pd.DataFrame, float]:
    """Pass 1: per (resource_id, hour) the row count, accepted rows and total weight W;
    and the seconds it took. (`plan_resource_hours` and `run_resource_hours` are its two
    halves, for a caller that runs the query on another thread.)"""
    plan = plan_resource_hours(con, usage, rules)
    ran = run_resource_hours(plan)
    return resource_hours_frame(plan, ran), ran.seconds


@dataclass
class Pass1Plan:
    """Pass 1's queries, prepared on the calling thread (`ingest.backends.prepare`): the
    one without per-row reason codes when it may be taken (see `_unchecked_query`), and
    the checked one."""

    unchecked: Any
    checked: Any
    #: DuckDB: where to say Parquet statistics disagree with the data (None: Spark, which
    #: reads every value, so the checked query is right whatever the footers say)
    trusts_footers: str | None = None


@dataclass
class Pass1Run:
    """What `run_resource_hours` got: an Arrow table and whether the checked query made
    it (else the unchecked one did: columns resource_id, hour, n, n_ok, W already)."""

    table: Any
    checked: bool
    seconds: float


def plan_resource_hours(con: Any, usage: Usage, rules: Rules) -> Pass1Plan:
    """Pass 1's queries, made and prepared on this thread (Ibis code runs only here)."""
    import ibis

    from infercost.ingest.backends import NO_STATISTICS_FOLDING, backend_name, prepare

    u = prepared(usage, rules)
    ok = u.rejected.isnull()
    g = u.group_by(["resource_id", "hour"]).aggregate(
        n=u.count(),
        n_ok=ok.cast("int64").sum(),
        W=ibis.ifelse(ok, u.w, 0).sum(),
    )
    fast = _unchecked_query(usage, rules)
    if fast is None:
        if "parquet" in usage.kinds and backend_name(con) == "duckdb":
            # every row's reason is tested: none answered from a footer, which may be
            # wrong (the unchecked query refuses such a footer instead: `_footers_hold`)
            con.raw_sql(NO_STATISTICS_FOLDING)
        return Pass1Plan(None, prepare(con, g))
    return Pass1Plan(prepare(con, fast), prepare(con, g),
                     usage.where if backend_name(con) == "duckdb" else None)


def run_resource_hours(plan: Pass1Plan) -> Pass1Run:
    """Run pass 1's queries: the unchecked one first, when planned, and the checked one
    when it says a row could be rejected (or the engine could not run it). Only the
    engine and Arrow work here: safe on a thread other than the planning one."""
    from infercost.errors import InputError

    t0 = time.perf_counter()
    if plan.unchecked is not None:
        try:
            table = plan.unchecked.run()
        except InputError:
            table = None  # the checked query names the fault
        got = _verified(table) if table is not None else None
        if got is not None:
            return Pass1Run(got, False, time.perf_counter() - t0)
        if table is not None and plan.trusts_footers is not None:
            _footers_hold(table, plan.trusts_footers)
    return Pass1Run(plan.checked.run(), True, time.perf_counter() - t0)


def _footers_hold(table: Any, where: str) -> None:
    """Raise InputError when the unchecked query found a duration the Parquet footers
    ruled out (below 0 or above MAX_DURATION_MS; NaN aside, which statistics leave out)
    or a negative token count (they showed none):
    the file's statistics are wrong, and DuckDB answers the checked query's range tests
    from them, so it would allocate such a row instead of rejecting it."""
    lo, hi, tok = (table.column(c).to_numpy(zero_copy_only=False).astype(np.float64)
                   for c in ("lo", "hi", "tok"))
    bad_lo = lo[(lo == lo) & (lo < 0)]
    bad_hi = hi[(hi == hi) & (hi > MAX_DURATION_MS)]
    if (tok < 0).any():
        raise InputError(
            f"a token count of {int(np.nanmin(tok))}, below the minimum of 0 its Parquet "
            "statistics give: the file's statistics are wrong (a corrupt or hand-edited "
            "file); write it again", where)
    if len(bad_lo) or len(bad_hi):
        v = float(bad_lo.min()) if len(bad_lo) else float(bad_hi.max())
        raise InputError(
            f"column duration_ms holds {v!r} ms, outside the range its Parquet statistics "
            f"give (every row group's min >= 0 and max <= {MAX_DURATION_MS:.0f}): the file's "
            "statistics are wrong (a corrupt or hand-edited file); write it again", where)


def resource_hours_frame(plan: Pass1Plan, ran: Pass1Run) -> pd.DataFrame:
    """`run_resource_hours`'s table as pass 1's frame (resource_id object, hour
    datetime64[us], n, n_ok, W int64)."""
    table = plan.checked.result(ran.table) if ran.checked else ran.table
    gdf = table.to_pandas()
    if gdf.empty:
        gdf = pd.DataFrame({"resource_id": pd.Series([], dtype=object),
                            "hour": pd.Series([], dtype="datetime64[us]"),
                            **{c: pd.Series([], dtype="int64") for c in ("n", "n_ok", "W")}})
    gdf["hour"] = pd.to_datetime(gdf["hour"]).astype("datetime64[us]")
    gdf["resource_id"] = gdf["resource_id"].astype(object)
    for c in ("n", "n_ok", "W"):
        gdf[c] = gdf[c].fillna(0).astype("int64")
    return gdf


def _unchecked_query(usage: Usage, rules: Rules) -> Any:
    """Pass 1 without the per-row reason codes, when nothing in the log can be rejected
    for a reason the Parquet footers show (None otherwise): per (resource_id, hour) the
    row count n, W as a float sum of whole µs, and the least and greatest duration.

    Under the duration drivers, a log whose footers show no null duration and no
    negative token count (`footers_rule_out_rejects`) can still hold a NaN, infinite,
    negative or too long duration (statistics leave NaN out, and a writer's may be
    wrong), a null timestamp or resource_id: such a row makes a group key null or its
    group's least or greatest duration out of [0, MAX_DURATION_MS], or its least token
    count below 0 (`_verified`)."""
    import ibis

    from infercost.ingest.usage import footers_rule_out_rejects

    if rules.driver not in ("duration_ms", "capacity") or not footers_rule_out_rejects(
            usage, MAX_DURATION_MS):
        return None
    u = usage.table
    ms = u.duration_ms
    return u.group_by(resource_id=u.resource_id, hour=u.timestamp.truncate("h")).aggregate(
        n=u.count(), W=_float_floor(ms * 1000).sum(), lo=ms.min(), hi=ms.max(),
        tok=ibis.least(u.input_tokens.min(), u.output_tokens.min()))


def _verified(table: Any) -> Any:
    """The unchecked query's table as pass 1's columns (n_ok = n, W exact int64), or None
    when a row could be rejected: a null key, a duration outside [0, MAX_DURATION_MS]
    (NaN included), or W not below 2^53 (a float sum of whole µs is exact below that)."""
    import pyarrow as pa

    def floats(name: str) -> np.ndarray:
        return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)

    w, lo, hi = floats("W"), floats("lo"), floats("hi")
    tok = floats("tok")  # (NaN: no token count in the hour)
    # (NaN compares false: a NaN anywhere fails each test; min/max give NaN, or +-inf)
    if (table.column("resource_id").null_count or table.column("hour").null_count
            or not ((lo >= 0) & (hi <= MAX_DURATION_MS)).all()
            or (tok < 0).any() or not ((w >= 0) & (w < 2.0**53)).all()):
        return None
    n = table.column("n").cast(pa.int64())
    return pa.table({"resource_id": table.column("resource_id"), "hour": table.column("hour"),
                     "n": n, "n_ok": n, "W": pa.array(w.astype(np.int64), pa.int64())})


def _float_floor(x: Any) -> Any:
    """floor(x) as the backend computes it, without Ibis's cast to int64 (which stops the
    query at a NaN: here a NaN must reach the sum, where it is seen)."""
    import ibis

    @ibis.udf.scalar.builtin(name="floor", signature=(("float64",), "float64"))
    def floor(v):  # noqa: ARG001 (the backend's own function)
        ...

    return floor(x)


def token_hours(con: Any, usage: Usage, rules: Rules, resources: set) -> pd.DataFrame:
    """Rule R2': per (resource_id, hour) of the pay-per-token resources, the tokens T and
    requests R of the accepted usage rows (one more pass, only when the bill has such
    rows, over those resources' rows)."""
    import ibis

    from infercost.ingest.backends import to_arrow

    u = prepared(usage, rules)
    u = u.filter(u.resource_id.isin(sorted(resources)))
    ok = u.rejected.isnull()
    g = u.group_by(["resource_id", "hour"]).aggregate(
        T=ibis.ifelse(ok, u.wt, 0).sum(), R=ibis.ifelse(ok, u.requests, 0).sum())
    df = to_arrow(con, g).to_pandas()
    if df.empty:
        return pd.DataFrame({"resource_id": pd.Series([], dtype=object),
                             "hour": pd.Series([], dtype="datetime64[us]"),
                             "T": pd.Series([], dtype="int64"),
                             "R": pd.Series([], dtype="int64")})
    df["hour"] = pd.to_datetime(df["hour"]).astype("datetime64[us]")
    df["resource_id"] = df["resource_id"].astype(object)
    for c in ("T", "R"):
        df[c] = df[c].fillna(0).astype("int64")
    return df


def attribute(
    bill: Bill,
    usage: Usage,
    rules: Rules,
    con: Any,
    out_dir: Path,
    *,
    check_duplicates: bool = True,
    write_requests: bool = True,
    pass1: tuple[pd.DataFrame, float] | None = None,
    overlap: Callable[[np.ndarray, pd.DataFrame], Any] | None = None,
) -> Attribution:
    """Allocate `bill` to the requests of `usage` by `rules`; writes requests.parquet into
    `out_dir` (the caller moves it into place) and returns allocation rows and summary.

    Money: Decimal in the bill currency (USD unless the bill says otherwise). `overlap`:
    work of the caller's that needs only the fleet (rule R1's mask, rule R2's billed
    resource-hours), called on this thread while the engine runs the last pass; its
    result is `Attribution.overlap`. Raises InputError for input the engine cannot read."""
    import ibis
    import pyarrow as pa

    from infercost.ingest.backends import (
        backend_name,
        from_arrow,
        meanwhile,
        prepare,
        to_arrow,
        write_parquet,
    )
    from infercost.ingest.usage import labels_read

    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    currency = bill.currencies[0] if bill.currencies else (rules.currency or "USD")
    ccol = basis_column(rules.cost_basis)
    cost = bill.rows[ccol]
    ps, pe = bill.period()

    # ---- pass 1: per resource-hour
    if pass1 is None:
        pass1 = resource_hours(con, usage, rules)
    gdf, timings["pass1_resource_hours_s"] = pass1
    _refuse_years(gdf, usage)
    usage_rows = int(gdf["n"].sum())
    # no row rejected in pass 1: the later passes need no reason codes
    u = prepared(usage, rules, clean=usage_rows == int(gdf["n_ok"].sum()))
    # rule R1: a resource the usage names is in the fleet even when every row of it is
    # rejected (a counts file without latency under `capacity`) or it has no row at all
    # (a counts endpoint without calls): its billed hours are idle, not shared
    usage_resources = set(gdf.loc[gdf["n"] > 0, "resource_id"].dropna().unique())
    usage_resources |= usage.named_ids  # (a counts endpoint without any call: no row)

    # ---- pass 2: duplicates
    dup = None  # not checked
    if check_duplicates:
        t1 = time.perf_counter()
        # rows with an id less distinct ids: a row without one (missing, or blank: ids are
        # trimmed when read) is no one's duplicate
        ids = usage.table.request_id
        if "parquet" in usage.kinds:  # Parquet text is read as it is: compared as CSV
            ids = duplicate_key(ids)  # ids are (trimmed, null spellings as no id)
        ids = ids.nullif("")
        d = to_arrow(con, usage.table.aggregate(n=ids.count(), k=ids.nunique())).to_pylist()[0]
        dup = int(d["n"] or 0) - int(d["k"] or 0)
        timings["pass2_duplicates_s"] = time.perf_counter() - t1

    # ---- bill side (rules R1, R2)
    tb = time.perf_counter()
    fleet_mask = select_fleet(bill, rules, usage_resources)
    if (fleet_mask & bill.rows["period_dropped"].to_numpy(dtype=bool)).any():  # a bug
        raise AssertionError("the engine dropped the charge period of a fleet bill row")
    fleet = bill.rows.loc[fleet_mask, ["resource_id", "charge_start", "charge_end", "nrows"]]
    cap_notes = capacity_notes(rules, set(fleet["resource_id"].dropna()))
    bq = {c: quanta_array(bill.rows[c], strict=False) for c in ("billed_cost", "effective_cost")}
    # the fleet is split in int64 quanta; a row outside it may be larger than they hold
    # (a month of tax in IDR): it is summed in Decimal
    fq = (bq[ccol][0][fleet_mask], bq[ccol][1])
    hour_rows = FleetHourRows.of(bill, fleet_mask, ccol)
    # (a row that sums hourly rows is split by its rows, each far below LIMIT)
    single = np.ones(len(fq[0]), dtype=bool)
    if hour_rows is not None:
        single[hour_rows.row] = False
    if not fq[1] and single.any() and int(np.abs(fq[0][single]).max()) >= LIMIT:
        big = np.flatnonzero(single & (np.abs(fq[0]) >= LIMIT))[0]
        raise _too_large(bill.rows.loc[fleet_mask].iloc[big], ccol, currency,
                         "one fleet bill row")
    notes = unmatched_selectors(bill, rules) + cap_notes
    notes += overlap_notes(bill.rows, fleet_mask, hour_rows, bill.formats, bill.reduced)
    # a fleet Usage row below zero (FOCUS books refunds and credits as Credit or
    # Adjustment rows) is netted into its resource-hour as billed, and said so
    neg = (fq[0] < 0) & (bill.rows["charge_category"].to_numpy(dtype=object)[fleet_mask]
                         == "Usage")
    if neg.any():
        n_neg = int(fleet["nrows"].to_numpy(dtype=np.int64)[neg].sum())
        neg_total = sum(cost[fleet_mask].to_numpy(dtype=object)[neg], Decimal(0))
        many = n_neg > 1
        notes.append(f"{n_neg} fleet Usage row{'s' if many else ''} with a negative "
                     f"{_FOCUS_NAME[ccol]} ({format_decimal(neg_total)} {currency} in all): "
                     f"netted into {'their resource-hours' if many else 'its resource-hour'} "
                     "as billed " + (
                         "(CUR's SavingsPlanNegation rows take back the on-demand cost of "
                         "usage a Savings Plan covered)" if "cur" in bill.format.split("+")
                         else "(FOCUS books refunds and credits as Credit or Adjustment "
                         "rows)"))
    per_tok = per_token_rows(bill, rules) & fleet_mask
    tok_res: dict = {}  # rule R2': resource -> "T" (tokens) or "R" (requests)
    hour_w: dict = {}
    if per_tok.any():
        res = set(bill.rows.loc[per_tok, "resource_id"].dropna())
        sub = token_hours(con, usage, rules, res)
        tot = sub.groupby("resource_id")[["T", "R"]].sum()
        tok_res = {r: "T" if r not in tot.index or tot.loc[r, "T"] > 0 else "R" for r in res}
        for rec in sub.itertuples(index=False):
            hour_w[(rec.resource_id, pd.Timestamp(rec.hour))] = getattr(
                rec, tok_res[rec.resource_id])
        mixed = set(bill.rows.loc[fleet_mask & ~per_tok, "resource_id"].dropna()) & res
        n_tok = int(bill.rows["nrows"].to_numpy(dtype=np.int64)[per_tok].sum())
        notes.append(f"{n_tok} pay-per-token fleet row"
                     f"{'s' if n_tok > 1 else ''} on {len(res)} resource"
                     f"{'s' if len(res) > 1 else ''}: allocated by tokens (by requests where "
                     "the requests carry no tokens) over their charge period, no idle"
                     + (f"; {len(mixed)} of those resources also bill by time, and all "
                        "their cost is split by tokens" if mixed else ""))
    hq, rest_rows, no_period, no_period_cost = fleet_hours(
        fleet, cost[fleet_mask], fq, per_tok[fleet_mask], hour_w, hour_rows)
    notes += _span_note(gdf, ps, pe, hq)
    below = int((hq["cost_q"].to_numpy(dtype=np.int64) < 0).sum())
    if below:
        notes.append(f"{below} fleet resource-hour{'s' if below > 1 else ''} net below zero "
                     "(credits or negative rows exceed the charges): the amounts allocated "
                     "and idle there are negative")
    aligned = _aligned(hq, gdf, ["W", "n_ok"])
    rh = hq.assign(W=aligned["W"])
    hours_with_requests = int((aligned["n_ok"] > 0).sum())  # (billed hours: the summary's)
    wk = np.zeros(len(rh), np.int8)  # R2' weight kind: 0 driver, 1 tokens, 2 requests
    if tok_res:
        rh = rh.merge(sub, on=["resource_id", "hour"], how="left")
        for c in ("T", "R"):
            rh[c] = rh[c].fillna(0).astype("int64")
        wk = rh["resource_id"].map(lambda r: {"T": 1, "R": 2}.get(tok_res.get(r), 0)
                                   ).to_numpy(dtype=np.int8)
        rh["W"] = np.select([wk == 1, wk == 2], [rh["T"], rh["R"]], rh["W"]).astype(np.int64)
    if rules.driver == "capacity":
        capw = rh["resource_id"].map(lambda r: int(rules.capacity_ms(r) * 1000))
        rh["den"] = np.where(wk > 0, rh["W"].to_numpy(),
                             np.maximum(capw.to_numpy(dtype="int64"), rh["W"].to_numpy()))
        over = int(((rh["W"].to_numpy() > capw.to_numpy(dtype="int64")) & (wk == 0)).sum())
        if over:
            notes.append(f"{over} resource-hour{'s' if over > 1 else ''}: busy time "
                         "(duration_ms, or requests x mean latency) exceeds the declared "
                         "capacity (concurrency); idle clamped at zero there")
    else:
        rh["den"] = rh["W"]
    alloc = rh[(rh["den"] > 0) & (rh["W"] > 0)].copy()
    if len(hq) and int(hq["cost_q"].abs().max()) >= LIMIT:
        big = hq.iloc[int(np.argmax(np.abs(hq["cost_q"].to_numpy(dtype=np.int64))))]
        where = [s for s in bill.sources if s] or ["bill"]
        raise InputError(
            f"ResourceId {big['resource_id']}, hour {pd.Timestamp(big['hour']):%Y-%m-%dT%H:%MZ}: "
            f"its fleet rows sum to {q2d(LIMIT):,} {currency} or more, the engine's limit "
            "for one resource-hour (2^62 units of 1e-10)", ", ".join(where))
    # every billed resource-hour goes to the engine (a request there with weight 0 has a
    # bill row: its reason is ZERO_WEIGHT); q, r only where the hour has weight
    live = ((rh["den"] > 0) & (rh["W"] > 0)).to_numpy()
    den = np.where(live, rh["den"].to_numpy(dtype=np.int64), 1)
    qq, rr = np.divmod(np.where(live, rh["cost_q"].to_numpy(dtype=np.int64), 0), den)
    rha = pa.table({
        "resource_id": pa.array(rh["resource_id"], from_pandas=True).cast(pa.string()),
        "hour": pa.array(rh["hour"].to_numpy().astype("datetime64[us]"), pa.timestamp("us")),
        "q": pa.array(qq, pa.int64()),
        "r": pa.array(rr, pa.int64()),
        "den": pa.array(den, pa.int64()),
        "live": pa.array(live, pa.bool_()),
        "wk": pa.array(wk, pa.int8()),
    })
    rht = from_arrow(con, rha, "infercost_resource_hours")
    timings["bill_hours_s"] = time.perf_counter() - tb

    # ---- pass 3: per request (rule R3), written to requests.parquet
    t2 = time.perf_counter()
    narrow = request_costs(u, rht, bool(tok_res), ps, pe)
    dec = ibis.literal(QUANTUM, type="decimal(38, 10)")
    # the rows written out: labels spelled as a null missing; their blanks trimmed after
    # pass 4, only when its sums find a label to trim (`_relabel_requests`)
    req = labels_read(narrow, trim=False).mutate(
        allocation=ibis.cases(*[(narrow.allocation_code == k, v) for k, v in STATUS.items()]),
        cost=(narrow.cost_q.cast("decimal(38, 10)") * dec).cast("decimal(38, 10)"),
    )
    if write_requests:
        req_path = Path(out_dir) / "requests.parquet"
        write_parquet(con, req, req_path)
        timings["pass3_requests_s"] = time.perf_counter() - t2
        from infercost.ingest.backends import read_files

        rq = read_files(con, "parquet", [req_path])  # pass 4 reads back narrow columns
    else:
        rq = narrow  # without the text and decimal columns nothing below reads
    # what each resource-hour hands out before per-request rounding (exact integers):
    # floor(cost_q * min(W, den) / den); the requests get this minus < 1 quantum each
    target = _handed_out(alloc["cost_q"].to_numpy(dtype=np.int64),
                         alloc["W"].to_numpy(dtype=np.int64),
                         alloc["den"].to_numpy(dtype=np.int64))
    tdf = pd.DataFrame({"resource_id": alloc["resource_id"].to_numpy(),
                        "day": alloc["hour"].dt.floor("D").to_numpy(), "cost_q": target})
    bside = BillSide(bill=bill, rules=rules, currency=currency, basis=ccol, cost=cost,
                     quanta=bq, fleet_mask=fleet_mask, hours=hq, rest=rest_rows,
                     no_period=no_period, no_period_cost=no_period_cost, period=(ps, pe))
    t3 = time.perf_counter()
    agg = aggregate_costs(rq)
    # the engine runs pass 4 (without Python's lock) while Python makes what needs only
    # the bill side and pass 1: on a machine of few cores, the cores otherwise idle then
    query = prepare(con, agg)
    with meanwhile(con, query.run) as running:
        pre = bill_steps(bside, tdf)
        side = overlap(fleet_mask, hq) if overlap is not None else None
        table = running.result()
    adf = query.result(table).to_pandas()
    relabel = bool(adf.pop("relabelled").fillna(False).any())
    adf["day"] = _map_distinct(adf["day"], lambda d: None if d is None or d is pd.NaT
                               or d != d else str(d)[:10])
    adf["allocation"] = _map_distinct(adf["code"], lambda c: STATUS[int(c)])
    ok_rows = rq.filter(rq.allocation_code == 0)
    timings["pass4_aggregate_s"] = time.perf_counter() - t3
    for c in ("requests", "input_tokens", "output_tokens", "cost_q"):
        adf[c] = adf[c].fillna(0).astype("int64")
    for c in ("day", "model", "model_version", "endpoint", "tenant"):
        adf[c] = adf[c].astype(object).where(adf[c].notna(), None)

    def share_idle(idle_by_resource: dict) -> tuple[pd.DataFrame, dict]:
        """Rule R4 `idle: share`, in the engine: each resource's idle quanta go to the
        allocation rows that used it, in proportion to their allocated quanta there."""
        ir = []
        alloc_r = tdf.groupby("resource_id")["cost_q"].sum()
        for r, amount in idle_by_resource.items():
            a = int(alloc_r.get(r, 0))
            iq = to_quanta(amount)
            if a > 0 and iq != 0:
                ir.append((r, iq // a, iq % a, a))
        empty = pd.DataFrame({**{c: pd.Series([], dtype=object) for c in GROUP},
                              "idle_q": pd.Series([], dtype="int64")})
        if not ir:
            return empty, {}
        irt = from_arrow(con, pa.table({
            "resource_id": pa.array([x[0] for x in ir], pa.string()),
            "iq": pa.array([x[1] for x in ir], pa.int64()),
            "ir": pa.array([x[2] for x in ir], pa.int64()),
            "ia": pa.array([x[3] for x in ir], pa.int64()),
        }), "infercost_idle_rates")
        per = ok_rows.group_by(
            day=ok_rows.timestamp.date().cast("string"), model=ok_rows.model,
            model_version=ok_rows.model_version, endpoint=ok_rows.endpoint,
            tenant=ok_rows.tenant, resource_id=ok_rows.resource_id,
        ).aggregate(c=ok_rows.cost_q.sum())
        per = labels_read(per)  # (the groups below sum a null and a `NULL` label as one)
        jj = per.inner_join(irt, per.resource_id == irt.resource_id)
        part = jj.iq * jj.c + (jj.ir.cast("float64") * jj.c.cast("float64")
                               / jj.ia.cast("float64")).floor().cast("int64")
        jj = jj.mutate(part=part)
        g = to_arrow(con, jj.group_by(GROUP).aggregate(idle_q=jj.part.sum())).to_pandas()
        rs = to_arrow(con, jj.group_by("resource_id").aggregate(idle_q=jj.part.sum())).to_pandas()
        return g, {r: q2d(int(q)) for r, q in zip(rs["resource_id"], rs["idle_q"], strict=True)}

    ta = time.perf_counter()
    uside = UsageSide(aggregate=adf, handed_out=tdf, resource_hours=gdf, rows_read=usage_rows,
                      duplicates=dup, share_idle=share_idle,
                      billed_hours_with_requests=hours_with_requests)
    table, summary = assemble(bside, uside, pre)
    summary["notes"].extend(notes + invisible_labels_note(adf))
    if write_requests and relabel:
        _relabel_requests(con, req_path)
    result = Attribution(table, summary, fleet_mask=fleet_mask, fleet_hours=hq, overlap=side)
    result.summary["backend"] = backend_name(con)
    timings["assemble_s"] = time.perf_counter() - ta
    timings["total_engine_s"] = time.perf_counter() - t0
    result.timings = timings
    return result



def _span_note(gdf: pd.DataFrame, ps: Any, pe: Any, hq: pd.DataFrame) -> list[str]:
    """A note when the usage covers less of the billing period [ps, pe) than a day short
    at either end (a week of logs against a month's bill) and billed fleet
    resource-hours fall outside it (`hq`: rule R2's hours): those are idle, and the
    whole-bill cost per request divides the period's bill by the requests of that span.
    Empty otherwise, or without usage or a period. The span runs from the first to the
    last hour of `gdf` with an accepted row (n_ok > 0) or with no row at all (n = 0: an
    hour call counts cover without a call, `run.with_counts_span`)."""
    quiet = (gdf["n"] == 0) if "n" in gdf else False  # (a frame of n_ok alone: none)
    hours = gdf.loc[(gdf["n_ok"] > 0) | quiet, "hour"].dropna()
    if not len(hours) or ps is None or pe is None:
        return []
    ps, pe = pd.Timestamp(ps), pd.Timestamp(pe)
    first, last = hours.min(), hours.max() + pd.Timedelta(hours=1)
    day = pd.Timedelta(days=1)
    if first - ps < day and pe - last < day:
        return []
    out = int(((hq["hour"] < first) | (hq["hour"] >= last)).sum()) if len(hq) else 0
    if not out:
        return []
    span = max(min(last, pe) - max(first, ps), pd.Timedelta(0))
    covered = (f"{span / day:.1f} of" if span >= day else  # (under a day: in hours)
               f"{span / pd.Timedelta(hours=1):g} hour{'s' if span != pd.Timedelta(hours=1) else ''} of")
    return [f"the usage covers {first:%Y-%m-%dT%H:%MZ} to {last:%Y-%m-%dT%H:%MZ} "
            f"({covered} the billing period's {(pe - ps) / day:.1f} days, "
            f"{note_time(ps)} to {note_time(pe)}): {out:,} of the {len(hq):,} billed fleet "
            "resource-hours fall outside it and are idle, and the whole-bill cost per "
            "request divides the whole period's bill by these requests"]


def _refuse_years(gdf: pd.DataFrame, usage: Usage) -> None:
    """InputError when a timestamp's year is outside 1-9999 (pass 1's hours show it:
    `12026-10-02`, a year before Christ, or `9999-12-31T23:00:00-05:00`, read by the
    engine as given, that no date of the outputs can hold): names the file, row and
    value of the first (`usage.year_refusal`) and how many rows."""
    from infercost.ingest.usage import year_refusal

    hours = gdf["hour"].dropna()
    if not len(hours):
        return
    lo, hi = hours.min(), hours.max()
    bad = lo if lo.year < 1 else hi if hi.year > 9999 else None
    if bad is not None:
        years = gdf["hour"].dt.year
        rows = int(gdf.loc[(years < 1) | (years > 9999), "n"].sum())
        raise year_refusal(usage, bad.year, max(rows, 1))


def _too_large(row: pd.Series, ccol: str, currency: str, what: str) -> InputError:
    """The InputError for a fleet bill `row` whose `ccol` amount is LIMIT quanta or more:
    names its file, ResourceId and charge period start (an engine-reduced bill has no
    file row numbers for it)."""
    start = row.get("charge_start")
    when = f", ChargePeriodStart {pd.Timestamp(start):%Y-%m-%dT%H:%M:%SZ}" if (
        start is not None and not pd.isna(start)) else ""
    return InputError(
        f"ResourceId {row.get('resource_id')}{when}: {_FOCUS_NAME[ccol]} "
        f"{format_decimal(row[ccol])} is not below {q2d(LIMIT):,} {currency}, the engine's "
        f"limit for {what} (2^62 units of 1e-10)", str(row.get("source") or "bill"))


def request_costs(u: Any, rht: Any, per_token: bool, ps: Any, pe: Any) -> Any:
    """Rule R3 per usage row: the `prepared` rows `u` left-joined to the resource-hour
    table `rht` (q, r, den, live, wk per resource_id and hour), with `weight`,
    `allocation_code` (STATUS) and `cost_q` (int64 quanta: q x w + floor(r x w / den)).
    `per_token`: some resources weigh their requests by tokens or requests (rule R2');
    `ps`, `pe`: the billing period (rows outside it: code 2 when unbilled)."""
    import ibis

    j = u.left_join(rht, [u.resource_id == rht.resource_id, u.hour == rht.hour])
    if per_token:  # rule R2': tokens (or requests) weigh the requests of such resources
        j = j.mutate(w=ibis.cases((j.wk == 1, j.wt), (j.wk == 2, j.requests), else_=j.w))
    billed = j.den.notnull() & j.rejected.isnull()
    matched = billed & j.live & (j.w > 0)
    share = ibis.ifelse(
        matched,
        j.q * j.w + (j.r.cast("float64") * j.w.cast("float64") / j.den.cast("float64"))
        .floor().cast("int64"),
        0,
    )
    lo = ibis.literal(pd.Timestamp(ps).to_pydatetime(), type="timestamp") if ps is not None else None
    hi = ibis.literal(pd.Timestamp(pe).to_pydatetime(), type="timestamp") if pe is not None else None
    outside = (j.timestamp < lo) | (j.timestamp >= hi) if lo is not None else ibis.literal(False)
    code = ibis.cases(
        (j.rejected.notnull(), j.rejected),
        (matched, 0),
        (billed, 7),
        (outside, 2),
        else_=1,
    ).cast("int8")
    return j.select(
        timestamp=j.timestamp, request_id=j.request_id, model=j.model,
        model_version=j.model_version, endpoint=j.endpoint, tenant=j.tenant,
        resource_id=j.resource_id, duration_ms=j.duration_ms, input_tokens=j.input_tokens,
        output_tokens=j.output_tokens, status=j.status, requests=j.requests, weight=j.w,
        allocation_code=code,
        cost_q=share,
    )


def aggregate_costs(rq: Any) -> Any:
    """Pass 4: `request_costs` rows summed by day, model, model_version, endpoint, tenant
    and allocation code (requests, input/output tokens, cost_q). Labels are read by
    `usage.labels_read` on the sums, not row by row (those groups summed again): blanks
    and U+FEFF off their ends in every format, and empty or spelled as a null missing.
    `relabelled`: whether a group holds a label that reading trimmed or emptied (the
    rows written out are then relabelled: `_relabel_requests`)."""
    from infercost.ingest.usage import labels_read, relabelled

    sums = ("requests", "input_tokens", "output_tokens", "cost_q")
    g = rq.group_by(
        day=rq.timestamp.date(), model=rq.model, model_version=rq.model_version,
        endpoint=rq.endpoint, tenant=rq.tenant, code=rq.allocation_code,
    ).aggregate(**{c: rq[c].sum() for c in sums})
    g = labels_read(g.mutate(relabelled=relabelled(g)))
    return g.group_by([*GROUP, "code"]).aggregate(**{c: g[c].sum() for c in sums},
                                                  relabelled=g.relabelled.any())


def _relabel_requests(con: Any, path: Path) -> None:
    """requests.parquet at `path` written again with its labels read as the sums read
    them (`usage.labels_read`): only for a log with a label to trim, so a clean log's
    rows pay for no string function."""
    from infercost.ingest.backends import read_files, write_parquet
    from infercost.ingest.usage import labels_read

    tmp = path.with_name(path.stem + ".relabelled.parquet")
    write_parquet(con, labels_read(read_files(con, "parquet", [path])), tmp)
    tmp.replace(path)


def invisible_labels_note(adf: pd.DataFrame) -> list[str]:
    """A note for the labels (model, model_version, endpoint, tenant) of the aggregate
    `adf` that hold an invisible character (`billrows.is_invisible`: a zero-width space
    inside, a control): such a label is a slice of its own that prints like another;
    notes and the breakdowns name it with `\\uXXXX` (`billrows.escape_invisible`).
    Empty when there is none (one test per distinct label)."""
    from infercost.ingest.billrows import escape_invisible

    odd = []
    for c in ("model", "model_version", "endpoint", "tenant"):
        for v in pd.unique(adf[c].dropna()) if c in adf else ():
            if isinstance(v, str) and escape_invisible(v) != v:
                odd.append((c, v))
    if not odd:
        return []
    c, v = odd[0]
    one = len(odd) == 1
    return [f"{len(odd)} usage label{'' if one else 's'} with an invisible character "
            f"(first: {c} '{escape_invisible(v)}'): read as written, a slice of "
            f"{'its' if one else 'their'} own; the breakdowns write the character as "
            "\\uXXXX"]


def _map_distinct(col: pd.Series, fn) -> pd.Series:
    """`col.map(fn)` with `fn` called once per distinct value (missing values: fn(None))."""
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    table = np.empty(len(uniq) + 1, dtype=object)
    table[:] = [fn(u) for u in uniq] + [fn(None) if (codes < 0).any() else None]
    return pd.Series(table[codes], index=col.index, dtype=object)


def _weighted_split(total: int, weights: list[int]) -> np.ndarray:
    """`total` quanta over integer `weights` exactly: floor shares, the leftover quanta
    by largest remainder (ties to the earliest); sums to `total`."""
    w = sum(weights)
    base = [total * x // w for x in weights]
    rem = [total * x % w for x in weights]
    for i in sorted(range(len(weights)), key=lambda i: (-rem[i], i))[: total - sum(base)]:
        base[i] += 1
    return np.array(base, dtype=np.int64)


def per_token_rows(bill: Bill, rules: Rules) -> np.ndarray:
    """Rule R2': rows billed per token (a PricingUnit/ConsumedUnit naming tokens, or a
    ServiceName/SkuId listed in `per_token:`), as a bool per bill row."""
    codes, uniq = pd.factorize(bill.rows["pricing_unit"], use_na_sentinel=True)
    hit = np.array([isinstance(u, str) and "token" in u.lower() for u in uniq] + [False])
    mask = hit[codes]
    if rules.per_token:
        names = set(rules.per_token)
        mask |= (bill.rows["service_name"].isin(names) | bill.rows["sku_id"].isin(names)
                 ).to_numpy()
    return mask


def _handed_out(cost_q: np.ndarray, w: np.ndarray, den: np.ndarray) -> np.ndarray:
    """floor(cost_q * min(w, den) / den) per resource-hour, exactly: int64 arithmetic when
    no product can overflow, Python integers otherwise."""
    m = np.minimum(w, den)
    out = cost_q.astype(np.int64, copy=True)  # m == den: the whole cost, exactly
    part = np.flatnonzero(m != den)
    if len(part) == 0:
        return out
    c, x, d = cost_q[part], m[part], den[part]
    if float(np.abs(c).max()) * float(np.abs(x).max()) < 2.0**62:
        out[part] = (c * x) // d  # numpy floors like Python for int64
    else:  # |result| <= |cost_q|, so it fits in int64
        out[part] = [int(a) * int(b) // int(e) for a, b, e in
                     zip(c.tolist(), x.tolist(), d.tolist(), strict=True)]
    return out
