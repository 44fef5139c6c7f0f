"""A bill file read and reduced inside the engine (DuckDB or Spark, through Ibis).

A monthly FOCUS or CUR export of a large organisation has 50-500 M rows; reading it whole
into Python is what made the bill, not the usage log, the limit of `attribute`. Here the
engine reads the file lazily, checks every amount, and sums the rows that no rule can
tell apart, so Python receives one row per distinct *charge shape*, never one per bill
row. The reduced table has the file's own columns with the raw cell values (so the
format's reader, `focus.normalize` or `cur.normalize`, labels it exactly as it labels the
whole file) and two more:

- `__nrows`: how many bill rows the reduced row stands for (int);
- `__kept`: whether the row keeps its charge period (bool): a row that can be in the
  fleet (rule R1, from the `FleetHint`) passes as it is; any other row's charge period
  and resource name are dropped (only its sums by label, ServiceCategory, ServiceName,
  SkuId, provider and ResourceId are used) and its description reduced to the one fact
  the labels read (whether it names a refund).

Exactness: a text amount is taken in the engine only when it is plainly written
(optional sign, at most 15 integer digits, at most 18 decimals, whitespace and byte-order
marks around it: the spellings `billrows.parse_amounts` reads the same way) and summed as
DECIMAL(38, 18), which holds every such amount and sum exactly; decimal and integer
columns are summed in their own type. A missing amount stays missing (the group key
holds whether it is), as the readers treat a missing amount apart from a zero. Anything
else (an exponent, more decimals, a floating-point column, a nested column the engine
cannot group, a value the reader would note or refuse) returns None: the caller reads
that file row by row, which gives the same result or names the row. So the engine path
never changes a figure, only where the work is done. The GCP export (credits nested in
each row) is always read row by row.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infercost.ingest.billrows import MAX_AMOUNT_DIGITS, bill_columns_read, case_twins

#: an amount as `billrows._amount` reads it, plainly written: group 1 is the number
AMOUNT = (r"^[ \t\r\n]*\x{FEFF}*[ \t\r\n]*([+-]?[0-9]{1,15}(\.[0-9]{1,18})?)"
          r"[ \t\r\n]*\x{FEFF}*[ \t\r\n]*$")
#: a cell `billrows.is_null` reads as missing (an amount of 0)
NULL_CELL = (r"^[ \t\r\n]*\x{FEFF}*[ \t\r\n]*(NULL|null|None|NaN|nan)?"
             r"[ \t\r\n]*\x{FEFF}*[ \t\r\n]*$")
#: any character outside printable ASCII: such a value is kept as possibly in the fleet
ODD = r"[^ -~]"
MONEY = "decimal(38, 18)"


@dataclass(frozen=True)
class FleetHint:
    """What can put a bill row in the fleet (rule R1), known before the bill is read.

    `resource_ids`: ResourceIds of the usage log and of the rules' `fleet.resource_ids`;
    `services`, `skus`: the rules' ServiceNames and SkuIds; `tags`: the rules' tag pairs
    (a row is in the fleet when its Tags hold all of them)."""

    resource_ids: frozenset[str] = field(default_factory=frozenset)
    services: frozenset[str] = field(default_factory=frozenset)
    skus: frozenset[str] = field(default_factory=frozenset)
    tags: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """Where one bill format keeps what the reduction reads. `cols`: canonical name (the
    reader's, e.g. `EffectiveCost`, `line_item_unblended_cost`) -> the file's column, for
    every column the reader reads; the other fields name canonical keys: `amounts`,
    `period` (charge period), `names` (resource names), `description`, `billing`
    (billing period start and end), `resource`, `service`, `sku`, `tags`; `noted`: the
    amounts whose missing value the reader notes when another amount is not zero
    (FOCUS: EffectiveCost beside a BilledCost), as (missing, other)."""

    format: str
    cols: dict[str, str]
    amounts: tuple[str, ...]
    period: tuple[str, ...]
    names: tuple[str, ...] = ()
    description: str | None = None
    billing: tuple[str, str] | None = None
    resource: str | None = None
    service: str | None = None
    sku: str | None = None
    tags: str | None = None
    noted: tuple[str, str] | None = None


def focus_layout(columns: list[str]) -> Layout | None:
    """FOCUS 1.0-1.2 (and preview) columns, matched as `focus.normalize` matches them."""
    from infercost.ingest.focus import REQUIRED, _all_known

    lower = {c.lower(): c for c in columns}
    if len(lower) != len(columns) or "billedcost" not in lower:
        return None
    want = {k: lower[k.lower()] for k in _all_known() if k.lower() in lower}
    if "ProviderName" not in want and "Provider" in columns:
        want["ProviderName"] = "Provider"
    if "ChargeCategory" not in want and "chargetype" in lower:
        want["ChargeCategory"] = lower["chargetype"]
    if any(k not in want for k in REQUIRED):
        return None
    return Layout("focus", want, ("BilledCost", "EffectiveCost"),
                  ("ChargePeriodStart", "ChargePeriodEnd"), ("ResourceName",),
                  "ChargeDescription", ("BillingPeriodStart", "BillingPeriodEnd"),
                  "ResourceId", "ServiceName", "SkuId", "Tags",
                  noted=("EffectiveCost", "BilledCost"))


#: the CUR 2.0 columns `cur.normalize` reads (snake_case), its amounts among them
CUR_COLUMNS = (
    "line_item_currency_code", "line_item_line_item_type", "line_item_usage_start_date",
    "line_item_usage_end_date", "identity_time_interval", "savings_plan_savings_plan_a_r_n",
    "reservation_reservation_a_r_n", "line_item_product_code", "line_item_usage_type",
    "pricing_unit", "line_item_resource_id", "line_item_line_item_description",
    "bill_billing_period_start_date", "bill_billing_period_end_date", "resource_tags",
)  # fmt: skip
CUR_AMOUNTS = (
    "line_item_unblended_cost", "line_item_net_unblended_cost",
    "savings_plan_savings_plan_effective_cost", "reservation_effective_cost",
    "savings_plan_total_commitment_to_date", "savings_plan_used_commitment",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee", "reservation_net_effective_cost",
    "savings_plan_net_savings_plan_effective_cost",
    "reservation_net_unused_amortized_upfront_fee_for_billing_period",
    "reservation_net_unused_recurring_fee",
)  # fmt: skip


def cur_layout(columns: list[str]) -> Layout | None:
    """AWS CUR 2.0 columns (snake_case, or the legacy `lineItem/...` spelling)."""
    from infercost.ingest.cur import REQUIRED, _snake

    snake = {_snake(c): c for c in columns}
    if len(snake) != len(columns) or not any(c.startswith("line_item_") for c in snake):
        return None
    want = {k: snake[k] for k in (*CUR_COLUMNS, *CUR_AMOUNTS) if k in snake}
    have = set(want)
    period: tuple[str, ...] = ("line_item_usage_start_date", "line_item_usage_end_date")
    if "line_item_usage_start_date" not in have and "identity_time_interval" in have:
        have |= {"line_item_usage_start_date", "line_item_usage_end_date"}
        period = ("identity_time_interval",)
    elif "identity_time_interval" in have:  # both, as CUR 2.0 exports carry them
        period = (*period, "identity_time_interval")
    if any(k not in have for k in REQUIRED):
        return None
    billing = ("bill_billing_period_start_date", "bill_billing_period_end_date")
    return Layout("cur", want, tuple(k for k in CUR_AMOUNTS if k in want), period, (),
                  "line_item_line_item_description", billing, "line_item_resource_id",
                  "line_item_product_code", "line_item_usage_type", "resource_tags")


@dataclass
class Reduced:
    """One bill file reduced in the engine: `rows` (pandas, the file's column names plus
    `__nrows` and `__kept`), `rows_read` (bill rows in the file), `format` (focus, cur)
    and whether any row's charge period was dropped (`dropped`)."""

    rows: Any
    rows_read: int
    format: str
    dropped: bool
    #: the hourly bill rows summed into some of `rows` (`_hour_groups`), or None
    hour_rows: Any = None
    #: rows with neither amount of the layout's `noted` pair (FOCUS: `focus.neither_note`)
    neither: int = 0
    #: the distinct charges of the rows summed with others (`charge_keys`), when asked
    keys: Any = None
    #: CUR rows repeating another's line item id and interval (`cur.repeated_items`)
    repeated: int = 0


def reduce_bill(con: Any, path: Path, hint: FleetHint, fmt: str = "auto",
                keys: bool = False) -> Reduced | None:
    """The bill file `path` reduced in the engine `con` (see the module doc), or None
    when it is not a FOCUS or CUR CSV/Parquet file the engine reads exactly (the caller
    then reads it row by row). `fmt`: auto, focus or cur. `keys`: also find the distinct
    charges of the rows summed with others (`Reduced.keys`, for `shared_charges_note`).
    Raises nothing for bad input: the row-by-row reader is the one that names the file
    and row."""
    from infercost.ingest.backends import backend_name
    from infercost.ingest.billrows import file_kind

    try:
        kind = file_kind(path)
    except Exception:  # noqa: BLE001 (the row-by-row reader names the problem)
        return None
    if kind not in ("csv", "parquet") or fmt not in ("auto", "focus", "cur"):
        return None
    spark = backend_name(con) == "spark"
    tmp = tempfile.mkdtemp(prefix="infercost-bill-")
    try:
        try:
            t = _open(con, kind, path, Path(tmp))
            schema = t.schema()
        except Exception:  # noqa: BLE001
            return None
        try:
            return _reduce(con, t, schema, path, hint, fmt, spark, keys)
        except AssertionError:  # a bug: never hidden
            raise
        except Exception:  # noqa: BLE001 (anything the engine cannot do with this
            return None    # file: the row-by-row reader reads it, or names the fault)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _unused_below_zero(t: Any, lay: Layout, value: dict) -> Any:
    """CUR: true on the commitment fee rows whose unused part is below 0 (a
    SavingsPlanRecurringFee using more than its commitment, an RIFee with a negative
    unused cell: its net cell in the net view, where given), which `cur.normalize` refuses
    or notes per row: a sum of such an hour
    with others could hide it. None for other layouts or without the columns."""
    from infercost.ingest.cur import RI_NET_UNUSED, RI_UNUSED, SP_UNUSED

    want = lay.cols
    if lay.format != "cur" or "line_item_line_item_type" not in want:
        return None
    kind = t[want["line_item_line_item_type"]].cast("string").strip()
    tests = []
    total, used = SP_UNUSED
    if total in value and used in value:
        tests.append((kind == "SavingsPlanRecurringFee")
                     & (value[used].fill_null(0) > value[total].fill_null(0)))
    net_view = "line_item_net_unblended_cost" in want  # (each part read net where given)
    for gross, net in zip(RI_UNUSED, RI_NET_UNUSED, strict=True):
        if gross in value or (net_view and net in value):
            part = value.get(gross)
            if net_view and net in value:
                part = value[net] if part is None else value[net].fill_null(part)
            tests.append((kind == "RIFee") & (part.fill_null(0) < 0))
    return _any([x.fill_null(False) for x in tests]) if tests else None


def _reduce(con: Any, t: Any, schema: Any, path: Path, hint: FleetHint, fmt: str,
            spark: bool, keys_wanted: bool = False) -> Reduced | None:
    import ibis

    from infercost.ingest.backends import to_arrow

    cols = list(schema.names)
    lay = focus_layout(cols) if fmt in ("auto", "focus") else None
    if lay is None and fmt in ("auto", "cur") and not _is_focus(cols):
        lay = cur_layout(cols)
    if lay is None:
        return None
    want = lay.cols
    for k, c in want.items():
        if not _usable(schema[c], k, lay, spark):
            return None
    value, bad, missing, scale = {}, [], {}, {}
    for k in lay.amounts:
        v = _amount(t[want[k]], schema[want[k]])
        if v is None:
            return None
        value[k], b, missing[k], scale[k] = v
        bad.append(b)
    checks = {"n": t.count(), "bad": _count(t, _any(bad))}
    # DuckDB: key columns holding one value in every row are left out of the grouping
    # (and put back from a probe row); amounts never missing need no missing key
    probe = _probe(con, t, lay, schema) if not spark else None
    same = _same_as_probe(t, probe, schema)
    checks.update({f"__differ_{i}": n for i, (_, n) in enumerate(same)})
    if not spark:
        checks.update({f"__missing_{i}": _count(t, missing[k])
                       for i, k in enumerate(lay.amounts) if not schema[want[k]].is_string()})
    if lay.noted and lay.noted[0] in missing:
        m, other = lay.noted
        checks["noted"] = _count(t, missing[m] & (value[other] != 0))
        neither = missing[m] & missing[other]  # (rows said in a note)
        typed = not spark and not any(schema[want[k]].is_string() for k in lay.noted)
        if not typed:  # (typed amounts: counted below, only when both have a null)
            checks["neither"] = _count(t, neither)
    for k in lay.billing or ():
        checks[k] = (_count(t, _present(t[want[k]], schema[want[k]]))
                     if k in want else ibis.literal(0))
    item = _line_item_key(t, lay, schema)
    if item is not None:  # (CUR: a line item repeated in the file, said in a note)
        checks["repeated"] = item.count() - item.nunique()
    below = _unused_below_zero(t, lay, value)
    if below is not None:  # (summed with other hours it could hide: read row by row)
        checks["unused_below_zero"] = _count(t, below)
    try:
        c = to_arrow(con, t.aggregate(**checks)).to_pylist()[0]
    except Exception:  # noqa: BLE001
        if not same:
            return None
        same = []  # a probe value the engine could not compare: every key column kept
        try:
            c = to_arrow(con, t.aggregate(**{k: v for k, v in checks.items()
                                              if not k.startswith("__differ_")})).to_pylist()[0]
        except Exception:  # noqa: BLE001
            return None
    n = int(c["n"] or 0)
    if n == 0 or c["bad"] or c.get("noted") or c.get("unused_below_zero"):
        return None
    if lay.noted and lay.noted[0] in missing and "neither" not in c:
        i, j = (lay.amounts.index(k) for k in lay.noted)
        c["neither"] = (to_arrow(con, t.aggregate(k=_count(t, neither))).to_pylist()[0]["k"]
                        if c.get(f"__missing_{i}") and c.get(f"__missing_{j}") else 0)
    if not _periods_parse(con, t, lay, schema, path):
        return None
    drop = bool(lay.billing) and all(bool(c[k]) for k in lay.billing)
    kept = _maybe_fleet(con, t, lay, hint, spark) if drop else ibis.literal(True)
    back = _ends_before_start(t, lay, schema) if drop else None
    if back is not None:  # kept with its charge period, for the note that names it
        kept = kept | back
    constant = {col for i, (col, _) in enumerate(same) if not c[f"__differ_{i}"]}
    never_missing = {k for i, k in enumerate(lay.amounts)
                     if f"__missing_{i}" in c and not c[f"__missing_{i}"]}
    digits = {k: want[k] for k in lay.amounts if scale[k] is not None}
    # a missing amount stays missing (null), a present one its value
    amount = {k: ibis.ifelse(missing[k], ibis.null(value[k].type()), value[k])
              for k in lay.amounts}
    misses = {f"__miss_{i}": missing[k] for i, k in enumerate(lay.amounts)
              if k not in never_missing}
    raw = {col: t[col] for k, col in want.items() if k not in lay.amounts}
    # rows that can be in the fleet pass as they are (one bill row each), but for rows of
    # one whole hour: a day of them per resource and labels is one row, each hour's own
    # amount kept beside it (`_hour_groups`); a column with one value in every row is put
    # back after the query
    hourly = _one_hour(t, lay, schema, missing, value) if HOUR_GROUPS else None
    fleet = t.filter(kept if hourly is None else kept & ~hourly).select(
        **{col: x for col, x in raw.items() if col not in constant},
        **{want[k]: amount[k] for k in lay.amounts},
        **{f"__scale_{k}": scale[k] for k in digits},
        __kept=ibis.literal(True), __nrows=ibis.literal(1, type="int64"))
    parts = [fleet]
    if hourly is not None:
        parts.append(_hour_groups(t.filter(kept & hourly), lay, raw, constant, value,
                                  scale, digits, schema))
    nulled: set[str] = set()  # columns of the grouped part put back after the query
    if drop:  # the others: summed per distinct shape, without their charge periods
        keys = {}
        for k, col in want.items():
            if k in lay.amounts:
                continue
            x = t[col]
            if k in lay.period or k in lay.names:
                if not spark:  # one null in every row: no key, put back after
                    nulled.add(col)
                    continue
                x = ibis.null(schema[col])
            elif col in constant:  # one value in every row: no key, put back after
                continue
            elif k == lay.description:  # all the labels read of it
                refund = x.cast("string").lower().contains("refund").fill_null(False)
                x = ibis.ifelse(refund, ibis.literal("refund"), ibis.null(schema[col]))
            keys[col] = x
        rest = t.filter(~kept)
        sums = {**{want[k]: _sum(amount[k], schema[want[k]]) for k in lay.amounts},
                **{f"__scale_{k}": scale[k].max() for k in digits},
                "__kept": ibis.literal(False), "__nrows": rest.count()}
        if keys or misses:
            parts.append(rest.group_by(**keys, **misses).aggregate(**sums).drop(*misses))
        else:  # every key column holds one value: one row (none when no row is left)
            parts.append(rest.aggregate(**sums).filter(lambda r: r.__nrows > 0))
    order = [*raw, *(want[k] for k in lay.amounts), *(f"__scale_{k}" for k in digits),
             "__kept", "__nrows"]
    frames, tables = [], []
    hour_rows = None
    for i, part in enumerate(parts):
        try:
            at = to_arrow(con, part)
        except Exception:  # noqa: BLE001 (a sum past DECIMAL(38, 18), a cell the
            return None    # engine cannot convert: read row by row)
        if hourly is not None and i == 1:  # the hourly groups: their hours taken out
            hour_rows = _hour_entries(at.column("__hours"), tables[0].num_rows, lay)
            at = _put_back(at, order, probe, constant, set(), None)
        elif not tables:  # the fleet part: its constant columns put back
            at = _put_back(at, order, probe, constant, set(), None)
        else:  # the grouped part: the columns left out of its grouping put back
            at = _put_back(at, order, probe, constant, nulled, tables[0])
        tables.append(at)
        frames.append(_with_digits(at, digits, _categorical(lay)))
    df = _concat(frames)
    if int(df["__nrows"].sum()) != n:  # a bug, never the input
        raise AssertionError(f"{path}: reduced rows stand for {int(df['__nrows'].sum())} "
                             f"bill rows, the file has {n}")
    summed = [x for x in ((~kept) if drop else None, hourly) if x is not None]
    found = (charge_keys(con, t.filter(summed[0] if len(summed) == 1 else summed[0] | summed[1]),
                         lay) if keys_wanted and summed else None)
    return Reduced(df, n, lay.format, drop and not bool(df["__kept"].all()), hour_rows,
                   int(c.get("neither") or 0), found, int(c.get("repeated") or 0))


def _line_item_key(t: Any, lay: Layout, schema: Any) -> Any:
    """A CUR row's identity_line_item_id and time interval as one text (null without an
    id), as `cur.repeated_items` keys them; None for FOCUS or a CUR without ids."""
    import ibis

    from infercost.ingest.cur import _snake

    if lay.format != "cur":
        return None
    col = next((c for c in schema.names if _snake(c) == "identity_line_item_id"), None)
    when = lay.cols.get("identity_time_interval") or lay.cols.get("line_item_usage_start_date")
    if col is None or when is None:
        return None
    ids = t[col].cast("string").strip()
    ids = ibis.ifelse(_present(t[col], schema[col]) & (ids != ""), ids, ibis.null("string"))
    return ids + ibis.literal("\x1f") + t[when].cast("string").fill_null("")


#: charges of reduced bill rows beyond which files are not compared (a note says so)
MAX_KEYS = 20_000_000


def charge_keys(con: Any, rows: Any, lay: Layout) -> Any:
    """The distinct charges of the bill rows `rows` (an Ibis table of the file's own
    columns): ResourceId, SkuId, charge category (FOCUS ChargeCategory, CUR line item
    type) and charge period, as written, each as two 64-bit hashes of their text (an
    (n, 2) int64 numpy array; Spark's 32-bit hashes make 64 bits a charge). At most
    MAX_KEYS + 1 rows are fetched."""
    import ibis
    import numpy as np

    from infercost.ingest.backends import to_arrow

    keys = (lay.resource, lay.sku, "ChargeCategory", "line_item_line_item_type", *lay.period)
    cols = [lay.cols[k] for k in keys if k in lay.cols]  # (the file's own column names)
    text = ibis.literal("\x1f").join([rows[c].cast("string").fill_null("\x1e") for c in cols])
    q = rows.select(a=text.hash().cast("int64"),
                    b=(text + ibis.literal("\x1d")).hash().cast("int64")).distinct()
    at = to_arrow(con, q.limit(MAX_KEYS + 1))
    return np.column_stack([at.column("a").to_numpy(zero_copy_only=False),
                            at.column("b").to_numpy(zero_copy_only=False)]).astype("int64")


def shared_charges_note(files: list[tuple[str, str, Any]]) -> str | None:
    """A note when a charge (`charge_keys`) of rows the engine summed is in more than
    one bill file of one format: a month exported twice, a file and a slice of it.
    `files`: (path, format, keys) per reduced file. None when no charge is shared. The
    charges stay counted as billed (no figure says which copy is right); the rows the
    engine passes one by one are compared by `allocation.overlaps`."""
    import numpy as np
    import pandas as pd

    notes = []
    for fmt in sorted({f for _, f, _ in files}):
        got = [(p, k) for p, f, k in files if f == fmt and k is not None and len(k)]
        if len(got) < 2:
            continue
        if sum(len(k) for _, k in got) > MAX_KEYS:
            notes.append(f"bill files not compared for charges billed twice: over "
                         f"{MAX_KEYS:,} distinct charges")
            continue
        df = pd.DataFrame(np.concatenate([k for _, k in got]), columns=["a", "b"])
        df["f"] = np.repeat(np.arange(len(got)), [len(k) for _, k in got])
        twice = df[df.duplicated(["a", "b"], keep=False)]
        if twice.empty:
            continue
        n = len(twice.drop_duplicates(["a", "b"]))
        paths = [got[i][0] for i in sorted(twice["f"].unique())]
        names = " and ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3
                                           else "")
        notes.append(f"{n:,} charge{'s' if n > 1 else ''} (the same ResourceId, SkuId, "
                     f"charge category and charge period, as written) in more than one "
                     f"bill file ({names}): if the files overlap, those charges are counted "
                     "twice (every copy is allocated as billed)")
    return "; ".join(notes) or None


#: whether a day of a resource's one-hour FOCUS rows (same labels) is reduced to one row
#: (`_hour_groups`); False: each passes as it is (tests compare the two)
HOUR_GROUPS = True
#: the largest amount an hourly row may have to be grouped (in the bill's currency): a
#: group's sum stays far below the engine's int64 quanta (`allocation.quanta.LIMIT`)
HOUR_ROW_MAX = 10**6


def _one_hour(t: Any, lay: Layout, schema: Any, missing: dict, value: dict) -> Any:
    """True on FOCUS rows whose charge period is one whole clock hour (typed timestamps
    of at most µs precision, as the reader takes them: UTC) and whose amounts are all
    present, not negative and below HOUR_ROW_MAX; None when the file's layout or types
    rule every row out. Such rows carry nothing per row but their hour and amounts."""
    if lay.format != "focus" or len(lay.period) != 2:
        return None
    start, end = (lay.cols.get(k) for k in lay.period)
    for col in (start, end):
        dt = schema[col] if col is not None else None
        if dt is None or not dt.is_timestamp() or (dt.scale is not None and dt.scale > 6):
            return None
    import ibis

    s, e = t[start], t[end]
    cond = s.notnull() & e.notnull() & (s.truncate("h") == s) & (
        e == s + ibis.interval(hours=1))
    for k in lay.amounts:
        cond = cond & ~missing[k] & (value[k] >= 0) & (value[k] < HOUR_ROW_MAX)
    return cond


def _hour_groups(rows: Any, lay: Layout, raw: dict, constant: set, value: dict,
                 scale: dict, digits: dict, schema: Any) -> Any:
    """The one-hour rows (`_one_hour`) that can be in the fleet, one row per day and
    distinct labels (every column the reader reads but the period and amounts): its
    charge period from the first hour's start to the last hour's end, its amounts
    summed (`_sum`), and `__hours`, a list of (h: start, a0, a1, ...: the amounts in
    `lay.amounts` order), one per bill row."""
    import ibis

    start, end = (lay.cols[k] for k in lay.period)
    keys = {col: rows[col] for col in raw if col not in constant and col not in (start, end)}
    hours = ibis.struct({"h": rows[start],
                         **{f"a{i}": value[k] for i, k in enumerate(lay.amounts)}})
    periods = {col: (rows[col].min() if col == start else rows[col].max())
               for col in (start, end) if col not in constant}
    return rows.group_by(**keys, __day=rows[start].truncate("D")).aggregate(
        **periods, **{lay.cols[k]: _sum(value[k], schema[lay.cols[k]])
                      for k in lay.amounts},
        **{f"__scale_{k}": scale[k].max() for k in digits},
        __kept=ibis.literal(True), __nrows=rows.count(), __hours=hours.collect(),
    ).drop("__day")


def _sum(amount: Any, dtype: Any) -> Any:
    """The sum of an amount column; a decimal column's in its own scale (the engines give
    SUM(DECIMAL(p, 0)) two decimals: 6.00 where the reader's sum of 1, 2 and 3 is 6)."""
    import ibis

    total = amount.sum()
    if not dtype.is_decimal():
        return total
    return total.cast(ibis.dtype(f"decimal(38, {dtype.scale or 0})"))


def _hour_entries(lists: Any, first: int, lay: Layout) -> Any:
    """The `__hours` lists of `_hour_groups` as `billrows.HourRows` (rows numbered from
    `first`, where the groups start in the reduced table)."""
    import numpy as np
    import pyarrow as pa

    from infercost.ingest.billrows import HourRows

    arr = lists.combine_chunks() if isinstance(lists, pa.ChunkedArray) else lists
    offsets = arr.offsets.to_numpy()
    counts = np.diff(offsets)
    items = arr.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
    hour = items.field("h").cast(pa.timestamp("us", tz=items.field("h").type.tz))
    hour = np.asarray(hour.cast(pa.int64()).to_numpy(zero_copy_only=False),
                      dtype=np.int64).astype("datetime64[us]")
    names = {"BilledCost": "billed_cost", "EffectiveCost": "effective_cost"}
    quanta = {names[k]: _quanta(items.field(f"a{i}")) for i, k in enumerate(lay.amounts)}
    row = np.repeat(np.arange(first, first + len(counts), dtype=np.int64), counts)
    return HourRows(row, hour, quanta)


def _quanta(amounts: Any) -> tuple[Any, bool]:
    """Amounts (decimal or integer Arrow array, no nulls) as floor quanta of 1e-10 (int64),
    and whether every one was a whole number of them (as `allocation.quanta` reads a
    Decimal column)."""
    import numpy as np
    import pyarrow as pa

    from infercost.core.quanta import SCALE, decimal_quanta, to_quanta

    if pa.types.is_integer(amounts.type):
        return amounts.cast(pa.int64()).to_numpy(zero_copy_only=False) * SCALE, True
    q = decimal_quanta(amounts)
    if q is not None:
        return q, True
    return np.array([to_quanta(v) for v in amounts.to_pylist()], dtype=np.int64), False


#: more distinct charge-period texts than this: the file is read row by row
MAX_PERIOD_TEXTS = 200_000


def _ends_before_start(t: Any, lay: Layout, schema: Any) -> Any:
    """True on rows whose charge period may end before it starts, or None when the layout
    has no two period columns. Such rows are not reduced, so their periods reach the note
    (`steps.period_notes`: the reader's own times decide it). A superset test, the same on
    DuckDB and Spark: a period text is read as a UTC instant (offsets and zone names
    applied, as the reader applies them; a text without one is UTC), and a row is kept
    when its end is before its start or when either text is there but the engine cannot
    read it as a time (Spark does not read `2026-10-01T00:00Z`, neither engine a leading
    byte-order mark)."""
    if len(lay.period) < 2 or any(k not in lay.cols for k in lay.period[:2]):
        return None
    import ibis

    ends, unread = [], []
    for k in lay.period[:2]:
        x = t[lay.cols[k]]
        if schema[lay.cols[k]].is_string():
            at = x.try_cast(ibis.dtype("timestamp('UTC')"))
            unread.append(at.isnull() & x.notnull()  # (the pattern last: rarely run)
                          & ~x.re_search(NULL_CELL).fill_null(False))
            x = at
        ends.append(x)
    back = (ends[1] < ends[0]).fill_null(False)
    for u in unread:
        back = back | u
    return back


def _periods_parse(con: Any, t: Any, lay: Layout, schema: Any, path: Path) -> bool:
    """Whether every charge-period text of the file parses as the reader parses it (each
    distinct text once, by `billrows.parse_times`): the reduction drops the periods of
    rows outside the fleet before any reader sees them, so a bad one must be found here
    (the row-by-row reader then names its row)."""
    import pandas as pd

    from infercost.ingest.backends import to_arrow
    from infercost.ingest.billrows import parse_times

    for k in lay.period:
        col = lay.cols.get(k)
        if col is None or not schema[col].is_string():
            continue
        vals = to_arrow(con, t[col].name("v").as_table().distinct().limit(MAX_PERIOD_TEXTS + 1))
        texts = vals.column("v").to_pylist()
        if len(texts) > MAX_PERIOD_TEXTS:
            return False
        if k == "identity_time_interval":  # start/end in one cell (CUR)
            texts = [p for v in texts if v is not None for p in str(v).split("/", 1)]
        try:
            parse_times(pd.Series(texts, dtype=object), col, str(path),
                        pd.Series(range(1, len(texts) + 1)))
        except Exception:  # noqa: BLE001 (InputError or a value pandas cannot take)
            return False
    return True


def _probe(con: Any, t: Any, lay: Layout, schema: Any) -> Any:
    """One row of the key columns that can hold one value in every row (text, timestamps)
    as Arrow, or None for an empty file."""
    from infercost.ingest.backends import to_arrow

    cols = [col for k, col in lay.cols.items()
            if k not in lay.amounts and k not in lay.period and k not in lay.names
            and k != lay.description and (schema[col].is_string() or
                                          schema[col].is_timestamp())]
    if not cols:
        return None
    row = to_arrow(con, t.select(*cols).limit(1))
    return row if row.num_rows == 1 else None


def _same_as_probe(t: Any, probe: Any, schema: Any) -> list[tuple[str, Any]]:
    """(column, how many rows differ from the probe row in it) for each probe column: a
    column where none differs holds one value (or null) in every row. A value that
    cannot be written as a literal keeps its column out (it stays a key)."""
    import ibis

    out = []
    for col in probe.column_names if probe is not None else ():
        v = probe.column(col)[0].as_py()
        try:
            differ = (t[col].notnull() if v is None else
                      ~t[col].identical_to(ibis.literal(v, type=schema[col])))
        except Exception:  # noqa: BLE001
            continue
        out.append((col, _count(t, differ)))
    return out


def _put_back(at: Any, order: list[str], probe: Any, constant: set, nulled: set,
              fleet: Any) -> Any:
    """The part `at` with the columns left out of its query, in `order`: `constant` ones
    (the probe row's value: every row of the file holds it) and `nulled` ones (null, of
    their type in the `fleet` part)."""
    import pyarrow as pa

    n = at.num_rows
    cols = []
    for name in order:
        if name in nulled:
            cols.append(pa.nulls(n, fleet.schema.field(name).type))
        elif name in constant:
            cols.append(pa.repeat(probe.column(name)[0], n))
        else:
            cols.append(at.column(name))
    return pa.table(cols, names=order)


def _is_focus(columns: list[str]) -> bool:
    return "billedcost" in {c.lower() for c in columns}


def _any(conds: list) -> Any:
    import ibis

    out = ibis.literal(False)
    for x in conds:
        out = out | x
    return out


def _open(con: Any, kind: str, path: Path, tmp: Path) -> Any:
    """The file as a lazy engine table. Parquet as it is (no columns taken from
    `key=value` folder names: the row-by-row reader takes none). CSV parsed by the
    row-by-row reader's own parser (`billrows.csv_batches`: the engines' CSV readers
    differ from it on headers, spaces before quotes, comment and title lines), streamed
    into a Parquet file in `tmp` that the engine reads."""
    import pyarrow.parquet as pq

    # (columns equal but for case: the engines rename one, the row reader names them)
    if kind == "parquet":
        if case_twins(pq.read_schema(str(path)).names, bill_columns_read()) is not None:
            raise ValueError("columns that differ only in case")
        return _read_parquet(con, str(path))
    from infercost.ingest.billrows import csv_batches

    reader = csv_batches(path)
    if case_twins(reader.schema.names, bill_columns_read()) is not None:
        raise ValueError("columns that differ only in case")
    out = tmp / "bill.parquet"
    with pq.ParquetWriter(str(out), reader.schema, compression="zstd") as w:
        for batch in reader:
            w.write_batch(batch)
    return _read_parquet(con, str(out))


def _read_parquet(con: Any, path: str) -> Any:
    from infercost.ingest.backends import backend_name

    if backend_name(con) == "duckdb":
        return con.read_parquet(path, hive_partitioning=False)
    return con.read_parquet(path)


def _usable(dtype: Any, name: str, lay: Layout, spark: bool) -> bool:
    """Whether the engine groups this column exactly as the row-by-row reader reads it."""
    if name in lay.amounts:
        return True  # checked by _amount
    if dtype.is_string() or dtype.is_null():
        return True
    if name in lay.period or name in (lay.billing or ()):
        return dtype.is_timestamp()
    if name == lay.tags:
        return dtype.is_map() and not spark
    if dtype.is_array():  # joined with ", " by the reader: fine for descriptive columns,
        # not for those the fleet rules or the labels test (read row by row)
        return dtype.value_type.is_string() and name not in (
            lay.resource, lay.service, lay.sku, lay.description)
    return False


def _amount(x: Any, dtype: Any):
    """(value, bad, missing, decimals) for an amount column, or None when the engine
    cannot take it exactly (floating point, more than 18 decimals, ...). Text amounts
    become DECIMAL(38, 18) with `decimals` the digits written after the point (their
    sums are given back with as many digits as the row-by-row sums have); decimal and
    integer columns keep their own type (`decimals` None)."""
    import ibis

    none = ibis.literal(False)
    if dtype.is_string():
        ok = x.re_search(AMOUNT).fill_null(False)
        missing = x.isnull() | x.re_search(NULL_CELL).fill_null(False)
        v = ibis.ifelse(ok, x.re_extract(AMOUNT, 1), ibis.literal("0")).cast(MONEY)
        digits = ibis.ifelse(ok, (x.re_extract(AMOUNT, 2).length() - 1).clip(lower=0), 0)
        return v, ~ok & ~missing, missing, digits.cast("int32")
    if dtype.is_null():
        return ibis.literal(0).cast(MONEY), none, ibis.literal(True), ibis.literal(0)
    if dtype.is_decimal():
        if (dtype.scale or 0) > 18 or (dtype.precision or 38) - (dtype.scale or 0) > 20:
            return None
        # (as the row reader refuses; a type of at most 15 integer digits holds none)
        bad = (none if (dtype.precision or 38) - (dtype.scale or 0) <= MAX_AMOUNT_DIGITS
               else x.notnull() & (x.abs() >= 10**MAX_AMOUNT_DIGITS))
        return x.fill_null(0), bad, x.isnull(), None
    if dtype.is_integer():
        bad = x.notnull() & (x.abs() >= 10**MAX_AMOUNT_DIGITS)
        return x.fill_null(0).cast("int64"), bad, x.isnull(), None
    return None


def _categorical(lay: Layout) -> set[str]:
    """The file's columns the format's reader reads only through `billrows.clean_str` or
    `billrows.canon` (FOCUS text: `focus.TEXT_ONLY`): given to it as pandas Categorical,
    their distinct values are read from the codes, not found again row by row."""
    if lay.format != "focus":
        return set()
    from infercost.ingest.focus import TEXT_ONLY

    return {lay.cols[k] for k in TEXT_ONLY if k in lay.cols}


def _with_digits(at: Any, text_amounts: dict, categorical: set = frozenset()) -> dict:
    """The reduced Arrow table as columns for pandas (name -> numpy array, Series, or
    for text `categorical` columns the Arrow column, made Categorical by `_concat`),
    each text amount's sums with the digits the row-by-row reader's sums have (the most
    any of its rows wrote: exact, as a sum never has more). Other text and decimal
    columns become object arrays of `str`/`Decimal` (None for null), each distinct value
    made once; integer amounts Python ints (5, not 5.0, with nulls); the rest as pandas
    converts them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict = {}
    for col in at.column_names:
        if col.startswith("__scale_"):
            continue
        x = at.column(col)
        typ = x.type
        text = pa.types.is_string(typ) or pa.types.is_large_string(typ)
        if pa.types.is_integer(typ) and col != "__nrows":
            out[col] = _object_array(x.to_pylist())
        elif text and col in categorical:
            out[col] = x
        elif (text or pa.types.is_decimal(typ)) and col not in text_amounts.values():
            out[col] = _by_value(x)
        else:
            out[col] = at.select([col]).to_pandas()[col]
    for k, col in text_amounts.items():
        scales = at.column(f"__scale_{k}").fill_null(0)
        arr = at.column(col)
        vals = [None] * len(arr)
        for s in pc.unique(scales).to_pylist():
            idx = pc.indices_nonzero(pc.equal(scales, s))
            got = pc.cast(arr.take(idx), pa.decimal128(38, int(s))).to_pylist()
            for i, v in zip(idx.to_pylist(), got, strict=True):
                vals[i] = v
        out[col] = _object_array(vals)
    return out


def _object_array(values: list) -> Any:
    import numpy as np

    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


def _codes(x: Any) -> tuple[Any, list]:
    """(codes, distinct values) of an Arrow column: code i is values[i], -1 a null."""
    import numpy as np
    import pyarrow.compute as pc

    d = pc.dictionary_encode(x).unify_dictionaries()
    if d.num_chunks == 0:
        return np.empty(0, dtype=np.intp), []
    codes = [c.indices.fill_null(-1).to_numpy(zero_copy_only=False) for c in d.chunks]
    return (np.concatenate(codes).astype(np.intp, copy=False),
            d.chunk(0).dictionary.to_pylist())


def _by_value(x: Any) -> Any:
    """A text or decimal Arrow column as an object array, each distinct value converted
    once (a bill repeats its names and rates)."""
    codes, values = _codes(x)
    return _object_array([*values, None])[codes]


def _concat(frames: list[dict]) -> Any:
    """The parts' columns (`_with_digits`) end to end as one DataFrame."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    cols = {}
    for name in frames[0]:
        parts = [f[name] for f in frames]
        if all(isinstance(p, pa.ChunkedArray) for p in parts):
            if len({p.type for p in parts}) > 1:
                parts = [p.cast(pa.large_string()) for p in parts]
            codes, values = _codes(pa.chunked_array([c for p in parts for c in p.chunks],
                                                    type=parts[0].type))
            cols[name] = pd.Series(pd.Categorical.from_codes(
                codes, categories=pd.Index(values, dtype=object)), copy=False)
            continue
        parts = [_by_value(p) if isinstance(p, pa.ChunkedArray) else p for p in parts]
        if all(isinstance(p, np.ndarray) for p in parts):
            a = np.concatenate(parts) if len(parts) > 1 else parts[0]
            cols[name] = pd.Series(a, dtype=a.dtype, copy=False)  # object stays object
        else:
            cols[name] = (pd.concat(parts, ignore_index=True) if len(parts) > 1
                          else parts[0]).reset_index(drop=True)
    return pd.DataFrame(cols, copy=False)


def _count(t: Any, cond: Any) -> Any:
    """How many rows of `t` meet `cond` (a column, or one value for every row)."""
    import ibis
    import ibis.expr.types as ir

    if isinstance(cond, ir.Column):
        return cond.cast("int64").sum()
    return ibis.ifelse(cond, t.count(), 0)


def _present(x: Any, dtype: Any) -> Any:
    """Whether a cell holds a value (not null, empty or a null spelling)."""
    if dtype.is_string():
        return x.notnull() & ~x.re_search(NULL_CELL).fill_null(False)
    return x.notnull()


def _maybe_fleet(con: Any, t: Any, lay: Layout, hint: FleetHint, spark: bool = False) -> Any:
    """True on every row that rule R1 could put in the fleet (a superset: the row-by-row
    rules decide later; a row outside this set is never in the fleet). On DuckDB a text
    column's test is made once per distinct value (`_fleet_values`), and the rows are
    then picked by their raw value."""
    import ibis

    want = lay.cols
    cond = ibis.literal(False)
    for key, values, fold in ((lay.resource, hint.resource_ids, True),
                              (lay.service, hint.services, False),
                              (lay.sku, hint.skus, False)):
        if key not in want or not values:
            continue
        hits = None if spark else _fleet_values(con, t[want[key]], values, fold)
        if hits is not None:
            if hits:
                cond = cond | t[want[key]].isin(_values(con, key, hits)).fill_null(False)
            continue
        x = t[want[key]].cast("string")
        trimmed = x.strip()  # spaces; any other odd character keeps the row (ODD)
        if fold:
            trimmed = trimmed.lower()
            values = {v.lower() for v in values}
        cond = cond | trimmed.isin(_values(con, key, values)).fill_null(False) | \
            x.re_search(ODD).fill_null(False)
    if hint.tags and lay.tags in want:
        cond = cond | _tagged(con, t[want[lay.tags]], hint.tags)
    return cond


#: more distinct values than this in a fleet column: the test is made on every row
MAX_FLEET_TEXTS = 200_000


def _fleet_values(con: Any, x: Any, values: frozenset, fold: bool) -> set | None:
    """The distinct raw texts of column `x` that the per-row test of `_maybe_fleet` keeps:
    any with a character outside printable ASCII (`ODD`), and those equal to one of
    `values` once spaces are stripped from both ends (and, with `fold`, in lower case:
    for printable ASCII Python's and the engine's lower case agree). None when `x` is
    not text or holds more than `MAX_FLEET_TEXTS` distinct values."""
    import re

    from infercost.ingest.backends import to_arrow

    if not x.type().is_string():
        return None
    got = to_arrow(con, x.name("v").as_table().distinct().limit(MAX_FLEET_TEXTS + 1))
    if got.num_rows > MAX_FLEET_TEXTS:
        return None
    odd = re.compile(ODD)
    want = {v.lower() for v in values} if fold else set(values)
    hits = set()
    for v in got.column("v").to_pylist():
        if v is None:
            continue
        w = v.strip(" ")
        if odd.search(v) or (w.lower() if fold else w) in want:
            hits.add(v)
    return hits


def _values(con: Any, key: str, values: set) -> Any:
    """`values` as a one-column engine table (a semi-join: an IN list of thousands of
    literals is far slower)."""
    import pyarrow as pa

    from infercost.ingest.backends import from_arrow

    t = from_arrow(con, pa.table({"v": pa.array(sorted(values), pa.string())}),
                   f"infercost_fleet_{key.lower()}")
    return t.v


#: more distinct Tags texts than this: every tagged row keeps its charge period
MAX_TAG_TEXTS = 200_000


def _tagged(con: Any, tags: Any, want: dict) -> Any:
    """True on rows whose Tags hold every pair of `want` (each distinct Tags text parsed
    once, as the row-by-row reader parses it); every tagged row when the column is not
    text or has too many distinct texts."""
    import ibis

    from infercost.ingest.backends import to_arrow
    from infercost.ingest.billrows import parse_tags

    if not tags.type().is_string():
        return tags.notnull()
    texts = to_arrow(con, tags.name("t").as_table().distinct().limit(MAX_TAG_TEXTS + 1))
    texts = [x for x in texts.column("t").to_pylist() if x is not None]
    if len(texts) > MAX_TAG_TEXTS:
        return tags.notnull()
    hits = [x for x in texts
            if all(parse_tags(x).get(k) == v for k, v in want.items())]
    if not hits:
        return ibis.literal(False)
    return tags.isin(hits).fill_null(False)
