"""The normalized bill: FOCUS-shaped rows, exact money, labelled charges.

Every bill reader (FOCUS, AWS CUR 2.0, GCP export) maps its rows onto `BILL_COLUMNS`:

| column | meaning |
|---|---|
| row | 1-based data row in the source file (for error messages) |
| source | the file the row came from |
| provider | ProviderName (AWS, Microsoft, Google Cloud, ...) |
| currency | BillingCurrency, ISO 4217 |
| billed_cost, effective_cost | `Decimal`, in `currency` (BilledCost, EffectiveCost) |
| charge_category | Usage, Purchase, Tax, Credit, Adjustment (canonical case) |
| charge_class | None or Correction |
| charge_frequency | One-Time, Recurring, Usage-Based (canonical case) |
| commitment_status | None, Used, Unused |
| service_category, service_name, sku_id, resource_id, resource_name, description | strings or None |
| charge_start, charge_end | UTC timestamps (naive, end exclusive) |
| billing_start, billing_end | UTC timestamps of the billing period |
| tags | dict of str -> str (keys stripped) |
| pricing_unit | PricingUnit (else ConsumedUnit), CUR pricing_unit, GCP usage.pricing_unit: a unit naming tokens marks a pay-per-token charge |
| label | what the row is: usage, commitment_used, commitment_unused, commitment_purchase,
|       | purchase, credit, refund, discount, tax, adjustment, correction |
| nrows | bill rows the row stands for: 1, or more in a bill reduced in the engine |
| period_dropped | True where the engine dropped the charge period of a row outside the fleet |

Nothing is dropped: credits, refunds, corrections, taxes and commitment rows are kept
and labelled. Strings `NULL` and empty strings are nulls (real exports contain both).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from infercost.errors import InputError
from infercost.ingest.billrows import (  # noqa: F401  (Bill, BILL_COLUMNS, basis_column: public here)
    BILL_COLUMNS,
    Bill,
    HourRows,
    basis_column,
    escape_invisible,
    expand_paths,
    file_kind,
    find_invisible,
    read_raw,
    refuse_case_twins,
    refuse_same_bytes,
)

# ---------------------------------------------------------------- entry point

#: file names a bill folder is searched for (compressed JSON lines: GCP export shards)
BILL_EXTENSIONS = (".csv", ".csv.gz", ".parquet", ".json", ".jsonl", ".ndjson", ".json.gz",
                   ".jsonl.gz", ".ndjson.gz")


def sniff_format(df: pd.DataFrame) -> str:
    cols = set(df.columns)
    if "BilledCost" in cols or "billedcost" in {c.lower() for c in cols}:
        return "focus"
    if any(c.startswith(("line_item_", "lineItem/")) for c in cols):
        return "cur"
    if "cost" in cols and ({"service", "sku", "usage_start_time"} & cols or
                           any(c.startswith("service.") for c in cols)):
        return "gcp"
    raise InputError(
        "cannot tell the bill format: expected FOCUS (BilledCost...), AWS CUR 2.0 "
        "(line_item_...) or GCP export (cost, service, sku...) columns",
        None,
    )


def read_bill(
    paths: list[str | Path] | str | Path,
    fmt: str = "auto",
    rates: dict[str, Decimal] | None = None,
    currency: str | None = None,
    *,
    con: Any = None,
    hint: Any = None,
    rules_source: str = "rules",
    cost_basis: str = "EffectiveCost",
) -> Bill:
    """Read one or more bill files into one normalized `Bill`.

    fmt: auto | focus | cur | gcp. `rates` (units of `currency` per unit of the row's
    currency) convert a mixed-currency bill into `currency`; without them mixed
    currencies are an error (`rules_source`: the rules file that gave them, named in such
    errors). With an engine connection `con` (`ingest.backends.connect`)
    and a `bill_engine.FleetHint`, each FOCUS or CUR CSV/Parquet file is read and reduced
    in the engine (`bill_engine.reduce_bill`: the same figures, one row per distinct
    charge shape); other files, and any the engine cannot take exactly, row by row.
    `cost_basis` (EffectiveCost or BilledCost): the run's; a CUR row whose EffectiveCost
    only a column the file lacks could tell is refused under EffectiveCost, and read
    with a note under BilledCost (`cur.normalize`). A bill of several billing periods
    (BillingPeriodStart) is said in a note (`periods_note`).

    Raises InputError (file and row) for a file that cannot be read as a bill.
    """
    files = expand_paths(paths, BILL_EXTENSIONS)
    # an AWS export folder holds a JSON manifest per period (`...-Manifest.json`: the
    # file list, no charge): skipped, and said, when bill files come with it
    manifests = [f for f in files if f.name.lower().endswith("-manifest.json")]
    skipped = []
    if manifests and len(manifests) < len(files):
        files = [f for f in files if f not in manifests]
        skipped = [f"skipped {len(manifests)} AWS export manifest"
                   f"{'s' if len(manifests) > 1 else ''} ({manifests[0].name}"
                   f"{' and more' if len(manifests) > 1 else ''}): file lists, no charges"]
    refuse_same_bytes(files)
    engine = con is not None and hint is not None and fmt in ("auto", "focus", "cur")
    # (several files: the charges the engine sums are compared across them)
    got = [_read_one(f, fmt, con, hint, engine, cost_basis, len(files) > 1) for f in files]
    if engine and any(g.reduced for g in got) and _converts(got, currency):
        # converting multiplies each bill row by a rate, rounded to the working precision:
        # a reduced row (a sum) would round differently, so those files are read row by row
        got = [_read_one(g.path, fmt, con, hint, False, cost_basis) if g.reduced else g
               for g in got]
    _refuse_same_charges(got)
    parts = [g.rows for g in got]
    rows = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    rows.attrs = {}
    hours, at = [], 0
    for g in got:
        if g.hour_rows is not None and len(g.hour_rows):
            hours.append(g.hour_rows.shifted(at))
        at += len(g.rows)
    bill = Bill(rows=rows, sources=[str(f) for f in files],
                format="+".join(sorted({g.format for g in got})),
                rows_read=sum(g.rows_read for g in got),
                notes=skipped + [n for g in got for n in g.notes],
                reduced=[str(g.path) for g in got if g.reduced],
                hour_rows=HourRows.concat(hours) if hours else None,
                formats={str(g.path): g.format for g in got})
    from infercost.ingest.bill_engine import shared_charges_note

    shared = shared_charges_note([(str(g.path), g.format, g.keys) for g in got if g.reduced])
    if shared:
        bill.notes.append(shared)
    convert_currency(bill, rates or {}, currency, rules_source)
    for note in (periods_note(bill), invisible_ids_note(bill)):
        if note:
            bill.notes.append(note)
    return bill


def invisible_ids_note(bill: Bill) -> str | None:
    """The note for ResourceIds holding a character no one sees (`billrows.is_invisible`: control
    and format characters such as U+200B ZERO WIDTH SPACE or DEL, fillers and variation
    selectors, left by a copy from a web page or a spreadsheet): ids are compared
    exactly, so such an id joins only a usage id with the same character, and a fleet
    resource could read as unused. Names how many ids, the first (escaped) and its
    character. None when there is none."""
    import unicodedata

    ids = pd.unique(bill.rows["resource_id"].dropna().to_numpy(dtype=object))
    odd = []
    for v in ids:
        if isinstance(v, str):
            hit = find_invisible(v)
            if hit is not None:
                odd.append((v, hit))
    if not odd:
        return None
    v, ch = odd[0]
    many = len(odd) > 1
    return (f"{len(odd):,} bill ResourceId{'s' if many else ''} hold{'' if many else 's'} "
            f"an invisible character (first: '{escape_invisible(v)}', U+{ord(ch):04X} "
            f"{unicodedata.name(ch, 'a control character')}): ids are compared exactly, so "
            f"{'they join' if many else 'it joins'} only usage ids with the same character")


def periods_note(bill: Bill) -> str | None:
    """The note for a bill whose rows hold more than one BillingPeriodStart (a month's
    export with a late row of the next one, two months in one folder): the first three
    periods by start with their bill rows, and what the run does with them (its period
    runs from the first start to the last end, `Bill.period`; rows are attributed by
    their charge periods whatever their billing period). None for one period or none."""
    rows = bill.rows
    starts = rows["billing_start"]
    have = starts.notna().to_numpy()
    if not have.any():
        return None
    counts = rows["nrows"][have].groupby(starts[have].to_numpy()).sum().sort_index()
    if len(counts) < 2:
        return None
    shown = ", ".join(f"{note_time(t)}: {int(n):,} row{'s' if n > 1 else ''}"
                      for t, n in counts.iloc[:3].items())
    more = f" and {len(counts) - 3} more" if len(counts) > 3 else ""
    lacking = int(rows["nrows"][~have].sum())
    if lacking:
        more += f"; {lacking:,} row{'s' if lacking > 1 else ''} without one"
    ps, pe = bill.period()
    return (f"the bill holds {len(counts)} billing periods (BillingPeriodStart {shown}{more})"
            f": the run's period is {note_time(ps)}/{note_time(pe)}, from the first start to the "
            "last end, and the rows of every period are attributed alike (fleet rows over "
            "the hours of their charge period, allocated or idle; the rest shared)")


def note_time(t: Any) -> str:
    """A UTC time as a note shows it: the date alone at midnight."""
    t = pd.Timestamp(t)
    return str(t.date()) if t == t.normalize() else t.strftime("%Y-%m-%dT%H:%MZ")


@dataclass
class _File:
    """One bill file, normalized: its rows, how many bill rows it had, its format, its
    notes and whether the engine reduced it."""

    path: Path
    rows: pd.DataFrame
    rows_read: int
    format: str
    notes: list[str]
    reduced: bool
    hour_rows: HourRows | None = None
    #: the distinct charges of the rows the engine summed (`bill_engine.charge_keys`)
    keys: Any = None


def _read_one(f: Path, fmt: str, con: Any, hint: Any, engine: bool,
              cost_basis: str = "EffectiveCost", keys: bool = False) -> _File:
    from infercost.ingest import cur, focus, gcp

    if engine:
        got = _reduced(con, f, hint, fmt, cost_basis, keys)
        if got is not None:
            part, hours, found = got
            n, kind = part.attrs.pop("rows_read"), part.attrs.pop("format")
            neither = part.attrs.pop("neither", 0)
            notes = [focus.neither_note(str(f), neither)] if neither else []
            notes += part.attrs.pop("file_notes", [])  # (notes of the columns: as read)
            part.attrs = {}
            return _File(f, part, n, kind, notes, True, hours, found)
    if f.stat().st_size == 0:
        raise InputError("empty file (0 bytes; expected a bill)", str(f))
    raw = read_raw(f)
    refuse_case_twins(list(raw.columns), str(f))
    if len(raw) == 0:
        raise InputError("no records (expected at least one charge)" if file_kind(f) == "json"
                         else "a header and no rows (expected at least one charge)", str(f))
    kind = fmt if fmt != "auto" else _sniff(raw, f)
    reader = {"focus": focus.normalize, "cur": partial(cur.normalize, cost_basis=cost_basis),
              "gcp": gcp.normalize}.get(kind)
    if reader is None:
        raise InputError(f"unknown bill format {fmt!r} (focus, cur, gcp)", "--bill-format")
    part = reader(raw, str(f))
    notes = [*part.attrs.get("notes", []), *part.attrs.get("file_notes", [])]
    part.attrs = {}
    return _File(f, part, len(raw), kind, notes, False)


def _refuse_same_charges(got: list[_File]) -> None:
    """InputError naming two files holding the same charges in other bytes (an export
    and its .gz, a copy saved with other line endings or as Parquet): every charge would
    count twice. Files are compared by the multiset of their normalized rows (amounts,
    periods, labels, ids, tags), only where their row counts agree."""
    by_size: dict[tuple, list[_File]] = {}
    for g in got:
        by_size.setdefault((g.rows_read, len(g.rows)), []).append(g)
    for group in by_size.values():
        if len(group) < 2:
            continue
        # (first what is cheap: their sums and periods; every row hashed only on a match)
        sums: dict[tuple, list[_File]] = {}
        for g in group:
            r = g.rows
            sums.setdefault((sum(r["billed_cost"], Decimal(0)), sum(r["effective_cost"],
                             Decimal(0)), str(r["charge_start"].min()),
                             str(r["charge_end"].max())), []).append(g)
        seen: dict[bytes, _File] = {}
        for g in [g for same in sums.values() if len(same) > 1 for g in same]:
            key = _charges_digest(g.rows)
            if key in seen:
                raise InputError(f"the same charges as {seen[key].path} (the same export in "
                                 "another form: compressed, other line endings, Parquet?): "
                                 "expected each charge once", str(g.path))
            seen[key] = g


def _charges_digest(rows: pd.DataFrame) -> bytes:
    """A digest of `rows`' normalized charges, whatever their order and file."""
    import hashlib

    import numpy as np

    cols = [c for c in rows.columns if c not in ("row", "source")]
    text = rows[cols].astype(str)
    h = np.sort(pd.util.hash_pandas_object(text, index=False).to_numpy())
    return hashlib.sha256(h.tobytes()).digest()


def _converts(got: list[_File], target: str | None) -> bool:
    """Whether `convert_currency` will convert any reduced row standing for several, or
    one whose hours (`HourRows`, amounts in the bill's currency) rule R2 would spread."""
    cur = sorted({c for g in got for c in g.rows["currency"].dropna().unique()})
    target = target or (cur[0] if len(cur) == 1 else None)
    for g in got:
        if not g.reduced:
            continue
        several = (g.rows["nrows"] > 1).to_numpy().copy()
        if g.hour_rows is not None:
            several[g.hour_rows.row] = True
        if ((g.rows["currency"] != target).to_numpy() & several).any():
            return True
    return False


def _reduced(con: Any, f: Path, hint: Any, fmt: str = "auto",
             cost_basis: str = "EffectiveCost", keys: bool = False) -> tuple | None:
    """`f` reduced in the engine and normalized (see `read_bill`), with the hourly rows
    summed into some of its rows (`HourRows` or None) and, when `keys`, the distinct charges
    of its summed rows (`bill_engine.charge_keys`); or None: then the file is read
    row by row, which also names the row of any fault, and states the fallbacks it takes
    (a note here would count reduced rows, not bill rows)."""
    from infercost.ingest import cur, focus
    from infercost.ingest.bill_engine import reduce_bill

    red = reduce_bill(con, f, hint, fmt, keys)
    if red is None:
        return None
    raw = red.rows
    normalize = {"focus": partial(focus.normalize, reduced=True),
                 "cur": partial(cur.normalize, reduced=True, cost_basis=cost_basis)}[red.format]
    try:
        part = normalize(raw.drop(columns=["__nrows", "__kept"]), str(f))
    except InputError:
        return None
    if part.attrs.get("notes"):
        return None
    part["nrows"] = raw["__nrows"].to_numpy(dtype="int64")
    part["period_dropped"] = ~raw["__kept"].to_numpy(dtype=bool)
    part.attrs = {"rows_read": red.rows_read, "format": red.format, "neither": red.neither,
                  "file_notes": [*part.attrs.get("file_notes", []),
                                 *([cur.repeated_items_note(str(f), red.repeated)]
                                   if red.repeated else [])]}
    if len(part) != len(raw):  # a bug, never the input
        raise AssertionError(f"{f}: the reader made {len(part)} rows of {len(raw)}")
    return part, red.hour_rows, red.keys


def _sniff(raw: pd.DataFrame, f: Path) -> str:
    try:
        return sniff_format(raw)
    except InputError as e:
        raise InputError(e.message, str(f)) from None


def convert_currency(bill: Bill, rates: dict[str, Decimal], target: str | None,
                     rules_source: str = "rules") -> None:
    """Convert every row into one currency with explicit rates, or fail on mixed currencies."""
    cur = bill.currencies
    if not cur:
        return
    target = target or (cur[0] if len(cur) == 1 else None)
    unused = sorted(c for c in (rates or {}) if c not in cur or c == target)
    if unused:  # (a rate the bill has no row for, or the target's own: it is 1)
        held = (f"every bill row is in {target}" if cur == [target] else
                f"the bill has {', '.join(cur)} rows"
                + (f", converted to {target}" if target else ""))
        bill.notes.append(f"exchange_rates: {', '.join(unused)} unused ({held})")
    if cur == [target]:
        return
    if target is None:
        if not rates:
            raise InputError(
                f"the bill mixes currencies {', '.join(cur)}; give exchange rates "
                "(rules: currency + exchange_rates)",
                bill.sources[0] if len(bill.sources) == 1 else "bill",
            )
        raise InputError("rules give exchange_rates but no target currency",
                         f"{rules_source}: currency")
    df = bill.rows
    for c in cur:
        if c == target:
            continue
        if c not in rates:
            raise InputError(
                f"the bill has {c} rows and no exchange rate {c}->{target}",
                f"{rules_source}: exchange_rates",
            )
        rate = Decimal(str(rates[c]))
        m = df["currency"] == c
        for col in ("billed_cost", "effective_cost"):
            df.loc[m, col] = df.loc[m, col].map(lambda d, r=rate: d * r)
        bill.notes.append(f"converted {int(df.loc[m, 'nrows'].sum())} {c} rows to {target} "
                          f"at {rate}")
    df["currency"] = df["currency"].map(lambda c: target if c is not None else target)
