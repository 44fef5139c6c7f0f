"""The attribution engine: Ibis expressions written once, run on DuckDB or Spark.

Heavy work (every pass over the usage log) is Ibis; what is left in Python is bounded by
the number of resource-hours and of allocation rows, never by the number of requests.
Money inside the engine is integer quanta of 1e-10 of the bill currency (int64, exact
and identical on every backend); at the edges it is `decimal.Decimal`. The rules are
stated in `infercost.allocation.rules`.

Passes over the usage log: (1) per resource-hour weights and row counts (`resource_hours`,
independent of the bill, so `run_attribution` overlaps it with reading the bill),
(2) duplicate request ids, (3) per-request cost (written to requests.parquet), (4) the
aggregate by day, model, model version, endpoint, tenant and allocation status (read
back from (3), or straight from the expression without requests.parquet); with
`idle: share`, one more aggregate by resource.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from infercost.allocation.rules import Rules
from infercost.errors import InputError
from infercost.ingest.bill import Bill, basis_column
from infercost.ingest.usage import Usage

SCALE = 10**10  #: quanta per currency unit
LIMIT = 2**62  #: largest |quanta| the engine accepts in one bill row or resource-hour
QUANTUM = Decimal(1).scaleb(-10)
GROUP = ["day", "model", "model_version", "endpoint", "tenant"]
ALLOCATED = "allocated"
#: allocation status of a request: code -> text (requests.parquet carries both)
STATUS = {0: ALLOCATED, 1: "no bill row for resource-hour", 2: "outside billing period",
          3: "rejected: no timestamp", 4: "rejected: no resource_id",
          5: "rejected: no duration_ms", 6: "rejected: negative duration_ms"}
#: allocations.csv / .parquet columns
OUT_COLUMNS = [
    "period", "model", "model_version", "endpoint", "tenant", "requests", "input_tokens",
    "output_tokens", "cost", "cost_per_1k_requests", "cost_per_1m_tokens", "kind", "detail",
    "currency", "direct_cost", "idle_cost", "shared_cost",
]  # fmt: skip


@dataclass
class Attribution:
    """The outcome: allocation rows (Decimal money), the summary, timings."""

    allocations: pd.DataFrame
    summary: dict
    timings: dict[str, float] = field(default_factory=dict)


def to_quanta(d: Decimal) -> int:
    """floor(d / quantum) as an int (toward minus infinity)."""
    return int((d * SCALE).to_integral_value(rounding="ROUND_FLOOR"))


def q2d(q: int) -> Decimal:
    return Decimal(int(q)).scaleb(-10)


def spread(amount: Decimal, weights: list[int]) -> list[Decimal] | None:
    """Split `amount` exactly over `weights` (largest remainder in quanta; the sub-quantum
    rest to the largest weight). None when all weights are zero."""
    total = sum(weights)
    if total <= 0:
        return None
    qt = to_quanta(amount)
    base = [qt * w // total for w in weights]
    rem = [qt * w % total for w in weights]
    left = qt - sum(base)
    order = sorted(range(len(weights)), key=lambda i: (-rem[i], i))
    for i in order[:left]:
        base[i] += 1
    out = [q2d(b) for b in base]
    rest = amount - q2d(qt)
    if rest:
        imax = max(range(len(weights)), key=lambda i: (weights[i], -i))
        out[imax] += rest
    return out


def quanta_array(amounts: pd.Series) -> tuple[np.ndarray, bool]:
    """floor(amount / quantum) for each Decimal as int64, and whether every amount was a
    whole number of quanta (then nothing is left below the quantum)."""
    import pyarrow as pa

    vals = amounts.tolist()
    try:  # fast path: amounts with at most 10 decimals, as most bills have
        arr = pa.array(vals, pa.decimal128(38, 10))
        if arr.null_count or arr.offset:
            raise TypeError
        # the unscaled 128-bit integers are the quanta; keep them when they fit in int64
        words = np.frombuffer(arr.buffers()[1], dtype="<i8")[: 2 * len(arr)].reshape(-1, 2)
        low, high = words[:, 0], words[:, 1]
        if not np.array_equal(high, low >> 63):
            raise OverflowError
        if len(low) and int(np.abs(low).max()) >= LIMIT:
            raise OverflowError
        return low.astype(np.int64), True
    except (pa.ArrowInvalid, OverflowError, TypeError):
        pass
    qlist = [to_quanta(c) for c in vals]
    if any(abs(x) >= LIMIT for x in qlist):
        raise InputError("a fleet bill row is too large for the engine's int64 quanta "
                         f"(over {LIMIT // SCALE} in one row)", "bill")
    return np.array(qlist, dtype=np.int64), False


# ------------------------------------------------------------------ usage expressions


def weight_expr(u: Any, rules: Rules, usage: Usage) -> Any:
    """Driver weight per request as int64 (µs of busy time, tokens, or 1)."""
    import ibis

    if rules.driver in ("duration_ms", "capacity"):
        return (u.duration_ms * 1000).floor().cast("int64")
    if rules.driver == "gpu_time":
        if not usage.has_gpu_ms:
            raise InputError("driver gpu_time needs a gpu_ms column in the usage log",
                             "rules: driver")
        return (u.gpu_ms.fill_null(0) * 1000).floor().cast("int64")
    if rules.driver == "tokens":
        return (u.input_tokens.fill_null(0) + u.output_tokens.fill_null(0)).cast("int64")
    return ibis.literal(1, type="int64")


def reason_expr(u: Any) -> Any:
    """Why a request cannot be allocated (None when it can, given a bill row)."""
    import ibis

    return ibis.cases(
        (u.timestamp.isnull(), 3),
        (u.resource_id.isnull(), 4),
        (u.duration_ms.isnull(), 5),
        (u.duration_ms < 0, 6),
        else_=ibis.null("int8"),
    ).cast("int8")


def prepared(usage: Usage, rules: Rules) -> Any:
    u = usage.table
    return u.mutate(hour=u.timestamp.truncate("h"), w=weight_expr(u, rules, usage),
                    rejected=reason_expr(u))


# ------------------------------------------------------------------ bill side


def select_fleet(bill: Bill, rules: Rules, usage_resources: set[str]) -> np.ndarray:
    """Boolean mask of fleet rows (rule R1)."""
    df = bill.rows
    rid = df["resource_id"]
    mask = np.zeros(len(df), dtype=bool)
    if rules.from_usage:
        mask |= rid.isin(usage_resources).to_numpy()
    if rules.resource_ids:
        mask |= rid.isin(set(rules.resource_ids)).to_numpy()
    if rules.services:
        mask |= df["service_name"].isin(set(rules.services)).to_numpy()
    if rules.skus:
        mask |= df["sku_id"].isin(set(rules.skus)).to_numpy()
    if rules.tags:
        want = rules.tags
        mask |= np.array([all(t.get(k) == v for k, v in want.items()) for t in df["tags"]],
                         dtype=bool)
    return mask


def fleet_hours(fleet: pd.DataFrame, cost: pd.Series,
                quanta: tuple[np.ndarray, bool] | None = None):
    """Rule R2: per (resource, hour) cost quanta, per (resource, day) sub-quantum rest,
    and the rows without a usable charge period. `quanta`: `quanta_array(cost)` if the
    caller has it (`exact` may be False for a superset of the rows: only slower)."""
    start = fleet["charge_start"]
    end = fleet["charge_end"]
    ok = (start.notna() & end.notna() & (end > start)).to_numpy()
    h0 = start.dt.floor("h")
    n = np.where(ok, np.ceil(((end - h0).dt.total_seconds().fillna(0)) / 3600), 0).astype(np.int64)
    n = np.maximum(n, np.where(ok, 1, 0))
    q, exact = quanta if quanta is not None else quanta_array(cost)
    okidx = np.nonzero(ok)[0]
    reps = n[okidx]
    row_of = np.repeat(okidx, reps)
    offs = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
    base, extra = np.divmod(q[okidx], reps)  # floor division, exact in int64
    hour_q = np.repeat(base, reps) + (offs < np.repeat(extra, reps)).astype(np.int64)
    hours = pd.DataFrame({
        "resource_id": fleet["resource_id"].to_numpy()[row_of],
        "hour": h0.to_numpy()[row_of] + offs.astype("timedelta64[h]"),
        "cost_q": hour_q,
    })
    hq = hours.groupby(["resource_id", "hour"], dropna=False, sort=True)["cost_q"].sum()
    hq = hq.reset_index()
    # the sub-quantum rest of each row (zero for amounts with <= 10 decimals)
    rest = [] if exact else [
        (i, c - q2d(x)) for i, (c, x) in enumerate(zip(cost, q.tolist(), strict=True))
        if ok[i] and c != q2d(x)]
    rest_rows = pd.DataFrame({
        "resource_id": fleet["resource_id"].to_numpy()[[i for i, _ in rest]],
        "day": h0.dt.floor("D").to_numpy()[[i for i, _ in rest]],
        "rest": pd.Series([r for _, r in rest], dtype=object),
    })
    no_period = fleet.iloc[np.nonzero(~ok)[0]]
    return hq, rest_rows, no_period, cost.iloc[np.nonzero(~ok)[0]]


# ------------------------------------------------------------------ the run


def resource_hours(con: Any, usage: Usage, rules: Rules) -> tuple[pd.DataFrame, float]:
    """Pass 1: per (resource_id, hour) the row count, accepted rows and total weight W.

    Independent of the bill, so a caller may run it while the bill is being read."""
    import ibis

    from infercost.ingest.backends import to_arrow

    t0 = time.perf_counter()
    u = prepared(usage, rules)
    ok = u.rejected.isnull()
    g = u.group_by(["resource_id", "hour"]).aggregate(
        n=u.count(),
        n_ok=ok.cast("int64").sum(),
        W=ibis.ifelse(ok, u.w, 0).sum(),
    )
    gdf = to_arrow(con, g).to_pandas()
    if gdf.empty:
        gdf = pd.DataFrame({"resource_id": pd.Series([], dtype=object),
                            "hour": pd.Series([], dtype="datetime64[us]"),
                            **{c: pd.Series([], dtype="int64") for c in ("n", "n_ok", "W")}})
    gdf["hour"] = pd.to_datetime(gdf["hour"]).astype("datetime64[us]")
    gdf["resource_id"] = gdf["resource_id"].astype(object)
    for c in ("n", "n_ok", "W"):
        gdf[c] = gdf[c].fillna(0).astype("int64")
    return gdf, time.perf_counter() - t0


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
) -> Attribution:
    """Allocate `bill` to the requests of `usage` by `rules`; writes requests.parquet into
    `out_dir` (the caller moves it into place) and returns allocation rows and summary.

    Money: Decimal in the bill currency (USD unless the bill says otherwise)."""
    import ibis
    import pyarrow as pa

    from infercost.ingest.backends import (
        backend_name,
        from_arrow,
        to_arrow,
        write_parquet,
    )

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
    u = prepared(usage, rules)
    usage_rows = int(gdf["n"].sum())
    usage_resources = set(gdf.loc[gdf["n_ok"] > 0, "resource_id"].dropna())

    # ---- pass 2: duplicates
    dup = 0
    if check_duplicates:
        t1 = time.perf_counter()
        d = con.execute(usage.table.aggregate(n=usage.table.count(),
                                              k=usage.table.request_id.nunique()))
        dup = int(d["n"].iloc[0]) - int(d["k"].iloc[0] or 0)
        timings["pass2_duplicates_s"] = time.perf_counter() - t1

    # ---- bill side (rules R1, R2)
    tb = time.perf_counter()
    fleet_mask = select_fleet(bill, rules, usage_resources)
    fleet = bill.rows.loc[fleet_mask, ["resource_id", "charge_start", "charge_end"]]
    bq = {c: quanta_array(bill.rows[c]) for c in ("billed_cost", "effective_cost")}
    hq, rest_rows, no_period, no_period_cost = fleet_hours(
        fleet, cost[fleet_mask], (bq[ccol][0][fleet_mask], bq[ccol][1]))
    rh = hq.merge(gdf[["resource_id", "hour", "n_ok", "W"]], on=["resource_id", "hour"],
                  how="left")
    rh["W"] = rh["W"].fillna(0).astype("int64")
    if rules.driver == "capacity":
        capw = rh["resource_id"].map(lambda r: int(rules.capacity_ms(r) * 1000))
        rh["den"] = np.maximum(capw.to_numpy(dtype="int64"), rh["W"].to_numpy())
    else:
        rh["den"] = rh["W"]
    alloc = rh[(rh["den"] > 0) & (rh["W"] > 0)].copy()
    if len(hq) and int(hq["cost_q"].abs().max()) >= LIMIT:
        raise InputError("a resource-hour's cost is too large for the engine's int64 quanta",
                         "bill")
    qq, rr = np.divmod(alloc["cost_q"].to_numpy(dtype=np.int64),
                       alloc["den"].to_numpy(dtype=np.int64))
    alloc["q"] = qq
    alloc["r"] = rr
    # hours with cost whose requests all weigh 0 (e.g. duration 0): the requests match a
    # bill row (allocated, cost 0) and the hour's cost is idle (R4), not "no bill row"
    zero = rh[(rh["W"] == 0) & (rh["n_ok"].fillna(0) > 0)]
    matchable = pd.concat([alloc[["resource_id", "hour", "q", "r", "den"]],
                           zero[["resource_id", "hour"]].assign(q=0, r=0, den=1)])
    rha = pa.table({
        "resource_id": pa.array(matchable["resource_id"].tolist(), pa.string()),
        "hour": pa.array(matchable["hour"].to_numpy().astype("datetime64[us]"), pa.timestamp("us")),
        "q": pa.array(matchable["q"].to_numpy(dtype="int64"), pa.int64()),
        "r": pa.array(matchable["r"].to_numpy(dtype="int64"), pa.int64()),
        "den": pa.array(matchable["den"].to_numpy(dtype="int64"), pa.int64()),
    })
    rht = from_arrow(con, rha, "infercost_resource_hours")
    timings["bill_hours_s"] = time.perf_counter() - tb

    # ---- pass 3: per request (rule R3), written to requests.parquet
    t2 = time.perf_counter()
    j = u.left_join(rht, [u.resource_id == rht.resource_id, u.hour == rht.hour])
    matched = j.den.notnull() & j.rejected.isnull()
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
        (outside, 2),
        else_=1,
    ).cast("int8")
    dec = ibis.literal(QUANTUM, type="decimal(38, 10)")
    req = j.select(
        timestamp=j.timestamp, request_id=j.request_id, model=j.model,
        model_version=j.model_version, endpoint=j.endpoint, tenant=j.tenant,
        resource_id=j.resource_id, duration_ms=j.duration_ms, input_tokens=j.input_tokens,
        output_tokens=j.output_tokens, status=j.status, weight=j.w, allocation_code=code,
        cost_q=share,
    )
    narrow = req
    req = req.mutate(
        allocation=ibis.cases(*[(req.allocation_code == k, v) for k, v in STATUS.items()]),
        cost=(req.cost_q.cast("decimal(38, 10)") * dec).cast("decimal(38, 10)"),
    )
    if write_requests:
        req_path = Path(out_dir) / "requests.parquet"
        write_parquet(con, req, req_path)
        timings["pass3_requests_s"] = time.perf_counter() - t2
        from infercost.ingest.backends import read_files

        rq = read_files(con, "parquet", [req_path])  # pass 4 reads back narrow columns
    else:
        rq = narrow  # without the text and decimal columns nothing below reads
    t3 = time.perf_counter()
    agg = rq.group_by(
        day=rq.timestamp.date(), model=rq.model, model_version=rq.model_version,
        endpoint=rq.endpoint, tenant=rq.tenant, code=rq.allocation_code,
    ).aggregate(
        requests=rq.count(), input_tokens=rq.input_tokens.sum(),
        output_tokens=rq.output_tokens.sum(), cost_q=rq.cost_q.sum(),
    )
    adf = to_arrow(con, agg).to_pandas()
    adf["day"] = _map_distinct(adf["day"], lambda d: None if d is None or d is pd.NaT
                               or d != d else str(d)[:10])
    adf["allocation"] = _map_distinct(adf["code"], lambda c: STATUS[int(c)])
    ok_rows = rq.filter(rq.allocation_code == 0)
    timings["pass4_aggregate_s"] = time.perf_counter() - t3
    for c in ("requests", "input_tokens", "output_tokens", "cost_q"):
        adf[c] = adf[c].fillna(0).astype("int64")
    for c in ("day", "model", "model_version", "endpoint", "tenant"):
        adf[c] = adf[c].astype(object).where(adf[c].notna(), None)
    # what each resource-hour hands out before per-request rounding (exact integers):
    # floor(cost_q * min(W, den) / den); the requests get this minus < 1 quantum each
    target = _handed_out(alloc["cost_q"].to_numpy(dtype=np.int64),
                         alloc["W"].to_numpy(dtype=np.int64),
                         alloc["den"].to_numpy(dtype=np.int64))
    tdf = pd.DataFrame({"resource_id": alloc["resource_id"].to_numpy(),
                        "day": alloc["hour"].dt.floor("D").to_numpy(), "cost_q": target})

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
        jj = per.inner_join(irt, per.resource_id == irt.resource_id)
        part = jj.iq * jj.c + (jj.ir.cast("float64") * jj.c.cast("float64")
                               / jj.ia.cast("float64")).floor().cast("int64")
        jj = jj.mutate(part=part)
        g = to_arrow(con, jj.group_by(GROUP).aggregate(idle_q=jj.part.sum())).to_pandas()
        rs = to_arrow(con, jj.group_by("resource_id").aggregate(idle_q=jj.part.sum())).to_pandas()
        return g, {r: q2d(int(q)) for r, q in zip(rs["resource_id"], rs["idle_q"], strict=True)}

    ta = time.perf_counter()
    result = _assemble(bill, rules, currency, ccol, cost, fleet_mask, hq, rest_rows,
                       no_period, no_period_cost, adf, tdf, gdf, (ps, pe), usage_rows, dup,
                       share_idle, bq)
    result.summary["backend"] = backend_name(con)
    timings["assemble_s"] = time.perf_counter() - ta
    timings["total_engine_s"] = time.perf_counter() - t0
    result.timings = timings
    return result


def _assemble(bill, rules, currency, ccol, cost, fleet_mask, hq, rest_rows, no_period,
              no_period_cost, adf, tdf, gdf, period, usage_rows, dup,
              share_idle, bq=None) -> Attribution:
    """Everything after the engine passes: idle, shared, unallocated, spreads, summary."""
    ps, pe = period
    pstr = f"{ps.date()}/{pe.date()}" if ps is not None else ""
    # one grouping of the bill for shared, drivers and labels (small: a few hundred keys)
    br = bill.rows
    cat_all = br["service_category"].astype(object).where(br["service_category"].notna(), None)
    keyed = pd.DataFrame({"fleet": fleet_mask, "label": br["label"].to_numpy(dtype=object),
                          "category": cat_all.to_numpy(dtype=object)})
    if bq is None:
        bq = {c: quanta_array(br[c]) for c in ("billed_cost", "effective_cost")}
    by_cost = _sum_by(keyed, cost, bq[ccol])
    total = sum(by_cost.values(), Decimal(0))
    al = adf[adf["allocation"] == ALLOCATED]

    # allocation rows (by day, model, version, endpoint, tenant)
    rows = (al.groupby(GROUP, dropna=False, sort=True)[
        ["requests", "input_tokens", "output_tokens", "cost_q"]].sum().reset_index())
    for c in GROUP:
        rows[c] = rows[c].astype(object).where(rows[c].notna(), None)
    rows["direct"] = [q2d(x) for x in rows["cost_q"]]
    rows["idle_part"] = [Decimal(0)] * len(rows)
    rows["shared_part"] = [Decimal(0)] * len(rows)
    allocated_direct = sum(rows["direct"], Decimal(0))

    # idle per (resource, day), rule R4
    fday = hq.assign(day=hq["hour"].dt.floor("D"))
    fcost = {}
    for (r, d), q in fday.groupby(["resource_id", "day"], dropna=False)["cost_q"].sum().items():
        fcost[(r, d)] = q2d(q)
    for r, d, rest in zip(rest_rows["resource_id"], rest_rows["day"], rest_rows["rest"],
                          strict=True):
        fcost[(r, pd.Timestamp(d))] = fcost.get((r, pd.Timestamp(d)), Decimal(0)) + rest
    used = tdf.groupby(["resource_id", "day"], dropna=False)["cost_q"].sum()
    usedmap = {(r, pd.Timestamp(d)): q2d(q) for (r, d), q in used.items()}
    idle = {}
    for k, v in fcost.items():
        idle[k] = v - usedmap.get(k, Decimal(0))
    # per-request rounding: what the hours handed out minus what the requests got
    dust = q2d(int(sum(used)) - int(al["cost_q"].sum())) if len(used) else -q2d(
        int(al["cost_q"].sum()))
    if dust < 0:  # a bug, never the input
        raise AssertionError(f"requests got more than their resource-hours: {dust}")
    if dust:
        idle[("rounding: sub-quantum request shares", None)] = dust
    fleet_total = sum(fcost.values(), Decimal(0))
    idle_total = sum(idle.values(), Decimal(0))

    idle_spread = Decimal(0)
    if rules.idle == "share" and len(rows):
        per_res: dict = {}
        for (r, _d), v in idle.items():
            per_res[r] = per_res.get(r, Decimal(0)) + v
        parts, spread_by_res = share_idle(per_res)
        index = {tuple(k): i for i, k in enumerate(rows[GROUP].itertuples(index=False))}
        for rec in parts.itertuples(index=False):
            key = tuple(getattr(rec, c) for c in GROUP)
            key = tuple(None if (isinstance(x, float) and x != x) else x for x in key)
            rows.at[index[key], "idle_part"] += q2d(int(rec.idle_q))
        idle_spread = sum(spread_by_res.values(), Decimal(0))
        # what stays idle is reported per resource for the whole period
        left = {r: per_res[r] - spread_by_res.get(r, Decimal(0)) for r in per_res}
        idle = {(r, None): v for r, v in left.items()}
    idle_left = idle_total - idle_spread

    # shared (rule R5)
    shared: dict = {}
    for (is_fleet, lab, c), v in by_cost.items():
        if not is_fleet:
            k = (c or "(none)", lab)
            shared[k] = shared.get(k, Decimal(0)) + v
    shared = dict(sorted(shared.items()))
    shared_total = sum(shared.values(), Decimal(0))
    shared_spread = Decimal(0)
    if rules.shared != "report" and len(rows):
        if rules.shared == "requests":
            w = [int(x) for x in rows["requests"]]
        elif rules.shared == "cost":
            w = [max(int(x), 0) for x in rows["cost_q"]]
        else:
            w = [1] * len(rows)
        for k, amount in shared.items():
            parts = spread(amount, w)
            if parts is None:
                continue
            rows["shared_part"] = [a + b for a, b in zip(rows["shared_part"], parts, strict=True)]
            shared_spread += amount
            shared[k] = Decimal(0)
    shared_left = shared_total - shared_spread

    unalloc_cost = sum(no_period_cost, Decimal(0))
    allocated = allocated_direct + idle_spread + shared_spread
    diff = total - (allocated + idle_left + shared_left + unalloc_cost)

    # ---- the table
    costs = [a + b + c for a, b, c in zip(rows["direct"], rows["idle_part"],
                                          rows["shared_part"], strict=True)]
    nreq = rows["requests"].astype("int64").tolist()
    ntok = (rows["input_tokens"] + rows["output_tokens"]).astype("int64").tolist()
    first = pd.DataFrame({
        "period": rows["day"].to_numpy(dtype=object),
        "model": rows["model"].to_numpy(dtype=object),
        "model_version": rows["model_version"].to_numpy(dtype=object),
        "endpoint": rows["endpoint"].to_numpy(dtype=object),
        "tenant": rows["tenant"].to_numpy(dtype=object),
        "requests": nreq,
        "input_tokens": rows["input_tokens"].astype("int64").tolist(),
        "output_tokens": rows["output_tokens"].astype("int64").tolist(),
        "cost": costs,
        "cost_per_1k_requests": [(c * 1000 / n).quantize(QUANTUM) if n else None
                                 for c, n in zip(costs, nreq, strict=True)],
        "cost_per_1m_tokens": [(c * 1_000_000 / t).quantize(QUANTUM) if t else None
                               for c, t in zip(costs, ntok, strict=True)],
        "kind": "allocated", "detail": None, "currency": currency,
        "direct_cost": rows["direct"].to_numpy(dtype=object),
        "idle_cost": rows["idle_part"].to_numpy(dtype=object),
        "shared_cost": rows["shared_part"].to_numpy(dtype=object),
    }, columns=OUT_COLUMNS)
    out = []
    for (r, d), v in sorted(idle.items(), key=lambda kv: (str(kv[0][0]), str(kv[0][1]))):
        if v == 0:
            continue
        per = pstr if d is None else str(pd.Timestamp(d).date())
        out.append(_row(per, "__idle__", None, None, None, 0, 0, 0, v, "idle", r, currency))
    for (c, lab), v in sorted(shared.items()):
        if v == 0 and rules.shared != "report":
            continue
        out.append(_row(pstr, "__shared__", None, None, None, 0, 0, 0, v, "shared",
                        f"{c} / {lab}", currency))
    un = adf[adf["allocation"] != ALLOCATED]
    ug = un.groupby(["day", "allocation"], dropna=False)[
        ["requests", "input_tokens", "output_tokens"]].sum().reset_index()
    for rec in ug.itertuples(index=False):
        out.append(_row(rec.day, "__unallocated__", None, None, None, int(rec.requests),
                        int(rec.input_tokens), int(rec.output_tokens), Decimal(0),
                        "unallocated", rec.allocation, currency))
    if len(no_period):
        out.append(_row(pstr, "__unallocated__", None, None, None, 0, 0, 0, unalloc_cost,
                        "unallocated", f"fleet bill rows without a charge period "
                        f"({len(no_period)})", currency))
    rest_table = pd.DataFrame(out, columns=OUT_COLUMNS)
    table = (pd.concat([first, rest_table], ignore_index=True) if len(rest_table)
             else first) if len(first) else rest_table
    table["detail"] = table["detail"].astype(object).where(table["detail"].notna(), None)

    # ---- summary
    counts = adf.groupby("allocation")["requests"].sum().to_dict()
    rejected = {k: int(v) for k, v in counts.items() if k.startswith("rejected")}
    lab_only = keyed[["label"]]
    billed = _sum_by(lab_only, br["billed_cost"], bq["billed_cost"])
    effective = _sum_by(lab_only, br["effective_cost"], bq["effective_cost"])
    nrows = lab_only.groupby("label").size()
    labels = {lab: {"rows": int(nrows[lab]), "billed_cost": billed[(lab,)],
                    "effective_cost": effective[(lab,)]} for lab in sorted(nrows.index)}
    drivers: dict = {}
    for (is_fleet, lab, c), v in by_cost.items():
        if lab in ("usage", "commitment_used"):
            name = "instance time (fleet)" if is_fleet else (c or "other")
        else:
            name = lab.replace("_", " ") + (" (fleet)" if is_fleet else "")
        drivers[name] = drivers.get(name, Decimal(0)) + v
    drivers_list = [
        {"driver": k, "cost": v, "share": _pct(v, total)}
        for k, v in sorted(drivers.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
    ]
    n_alloc = int(counts.get(ALLOCATED, 0))
    tokens = int(al["input_tokens"].sum() + al["output_tokens"].sum())
    summary = {
        "currency": currency,
        "cost_basis": rules.cost_basis,
        "driver": rules.driver,
        "rules": rules.to_dict(),
        "billing_period": {"start": ps, "end": pe},
        "totals": {"bill": total, "allocated": allocated, "idle": idle_left,
                   "shared": shared_left, "unallocated": unalloc_cost,
                   "allocated_direct": allocated_direct, "idle_spread": idle_spread,
                   "shared_spread": shared_spread, "idle_before_spread": idle_total,
                   "shared_before_spread": shared_total},
        "conservation": {
            "equation": "allocated + idle + shared + unallocated = bill",
            "holds": diff == 0, "difference": diff,
            "line": f"{_f(allocated)} + {_f(idle_left)} + {_f(shared_left)} + "
                    f"{_f(unalloc_cost)} = {_f(total)} {currency}",
        },
        "fleet": {"resources": int(bill.rows.loc[fleet_mask, "resource_id"].nunique()),
                  "bill_rows": int(fleet_mask.sum()), "cost": fleet_total,
                  "resource_hours_billed": len(hq),
                  "resource_hours_with_requests": int((gdf["n_ok"] > 0).sum()),
                  "idle_share": _ratio(idle_total, fleet_total)},
        "idle_share": _ratio(idle_total, fleet_total),
        "drivers": drivers_list,
        "unit_costs": {
            "requests": n_alloc, "tokens": tokens,
            "cost_per_request": _div(allocated, n_alloc),
            "cost_per_1k_requests": _div(allocated * 1000, n_alloc),
            "cost_per_1m_tokens": _div(allocated * 1_000_000, tokens),
            "bill_per_request": _div(total, n_alloc),
        },
        "charges": labels,
        "by_provider": _by_provider(bill, bq),
        "rows": {
            "bill_read": bill.rows_read, "bill_rows_normalized": len(bill.rows),
            "bill_rejected": 0,
            "usage_read": usage_rows, "usage_allocated": n_alloc,
            "usage_rejected": sum(rejected.values()), "usage_rejected_by_reason": rejected,
            "usage_outside_period": int(counts.get("outside billing period", 0)),
            "usage_without_bill_row": int(counts.get("no bill row for resource-hour", 0)),
            "duplicate_request_ids": dup,
        },
        "notes": list(bill.notes),
    }
    return Attribution(table, summary)


def _map_distinct(col: pd.Series, fn) -> pd.Series:
    """`col.map(fn)` with `fn` called once per distinct value (missing values: fn(None))."""
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    table = np.empty(len(uniq) + 1, dtype=object)
    table[:] = [fn(u) for u in uniq] + [fn(None) if (codes < 0).any() else None]
    return pd.Series(table[codes], index=col.index, dtype=object)


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


def _sum_by(keys: pd.DataFrame, amounts: pd.Series,
            quanta: tuple[np.ndarray, bool] | None = None) -> dict:
    """Exact Decimal sums of `amounts` per distinct row of `keys` (tuples; None kept).

    Integer quanta when every amount is a whole number of quanta and the sums fit in
    int64 (the common case, fast); Decimal addition otherwise."""
    cols = list(keys.columns)
    q, exact = quanta if quanta is not None else quanta_array(amounts)
    if exact and float(np.abs(q).sum()) < 2**62:
        fast = _sum_codes(keys, q)
        if fast is not None:
            return fast
    k = keys.astype(object).where(keys.notna(), "\x00none")
    if exact and float(np.abs(q).sum()) < 2**62:
        g = pd.Series(q, index=pd.MultiIndex.from_frame(k)).groupby(level=cols).sum()
        out = {tuple(x) if isinstance(x, tuple) else (x,): q2d(int(v)) for x, v in g.items()}
    else:
        frame = k.assign(__v=amounts.to_numpy(dtype=object))
        out = {}
        for x, grp in frame.groupby(cols, sort=False)["__v"]:
            out[tuple(x) if isinstance(x, tuple) else (x,)] = sum(grp, Decimal(0))
    return {tuple(None if v == "\x00none" else v for v in key): val for key, val in out.items()}


def _sum_codes(keys: pd.DataFrame, q: np.ndarray) -> dict | None:
    """`_sum_by` on integer codes: each key column factorized once (missing -> None), the
    codes combined into one int64 per row, summed exactly by sorting (int64, no floats).
    None when the combined codes could overflow (then the caller takes the slow path)."""
    combined = np.zeros(len(keys), dtype=np.int64)
    levels = []
    card = 1
    for c in keys.columns:
        codes, uniq = pd.factorize(keys[c], use_na_sentinel=True)
        n = len(uniq) + 1
        card *= n
        if card >= 2**62:
            return None
        codes = np.where(codes < 0, len(uniq), codes).astype(np.int64)
        combined = combined * n + codes
        levels.append((n, list(uniq) + [None]))
    if not len(combined):
        return {}
    order = np.argsort(combined, kind="stable")
    sc = combined[order]
    starts = np.flatnonzero(np.r_[True, sc[1:] != sc[:-1]])
    sums = np.add.reduceat(q[order], starts)
    out = {}
    for code, v in zip(sc[starts].tolist(), sums.tolist(), strict=True):
        key = []
        for n, vals in reversed(levels):
            code, i = divmod(code, n)
            x = vals[i]
            key.append(None if x is None or (isinstance(x, float) and x != x) else x)
        out[tuple(reversed(key))] = q2d(int(v))
    return out


def _by_provider(bill: Bill, bq: dict) -> dict:
    keys = bill.rows[["provider"]]
    bt = _sum_by(keys, bill.rows["billed_cost"], bq["billed_cost"])
    et = _sum_by(keys, bill.rows["effective_cost"], bq["effective_cost"])
    return {p[0]: {"billed_cost": bt[p], "effective_cost": et[p]}
            for p in sorted(k for k in bt if isinstance(k[0], str))}


def _f(d: Decimal) -> str:
    from infercost.core.money import format_decimal

    return format_decimal(d)


def _pct(v: Decimal, total: Decimal) -> str:
    if total == 0:
        return "n/a"
    return f"{(v / total * 100).quantize(Decimal('0.1'))}%"


def _ratio(a: Decimal, b: Decimal) -> Decimal | None:
    if b == 0:
        return None
    return (a / b).quantize(Decimal("0.000001"))


def _div(a: Decimal, n: int) -> Decimal | None:
    if not n:
        return None
    return (a / n).quantize(QUANTUM)


def _row(period, model, version, endpoint, tenant, requests, tin, tout, cost, kind, detail,
         currency, direct=None, idle_part=None, shared_part=None) -> dict:
    tokens = tin + tout
    return {
        "period": period, "model": model, "model_version": version, "endpoint": endpoint,
        "tenant": tenant, "requests": requests, "input_tokens": tin, "output_tokens": tout,
        "cost": cost,
        "cost_per_1k_requests": (cost * 1000 / requests).quantize(QUANTUM) if requests and
        kind == "allocated" else None,
        "cost_per_1m_tokens": (cost * 1_000_000 / tokens).quantize(QUANTUM) if tokens and
        kind == "allocated" else None,
        "kind": kind, "detail": detail, "currency": currency,
        "direct_cost": direct if direct is not None else (cost if kind == "allocated" else None),
        "idle_cost": idle_part, "shared_cost": shared_part,
    }
