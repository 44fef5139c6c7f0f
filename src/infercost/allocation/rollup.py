"""Roll the allocation table up by a few of its keys (model, tenant, day, ...).

Input: the allocation table (`allocations.parquet`: one row per period, model,
model_version, endpoint, tenant and kind; money `Decimal`). Output: one `RollupRow` per
distinct value of the chosen keys, with the requests and the cost of each kind
(allocated to requests, idle, shared, unallocated). Rows that are not allocated to
requests (idle capacity, shared and unallocated charges) carry no model or tenant: under
keys other than `period` they fall in one row whose key values are all "" (`is_unattributed`).
A label the requests lack (no tenant) is None in the key, sorted before the others, as
the breakdowns do. So every roll-up sums to the bill exactly: sum of `total` = allocated + idle + shared +
unallocated. Shared charges billed for the whole month keep their period
("2026-10-01/2026-11-01") and so form their own row when rolled up by `period`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd

KEYS = ("period", "model", "model_version", "endpoint", "tenant")
KINDS = ("allocated", "idle", "shared", "unallocated")


@dataclass(frozen=True)
class RollupRow:
    """One group: `key` maps each chosen column to its value (None: the label is missing);
    money `Decimal` in the bill currency, exact, without trailing zeros (as allocations.csv
    writes it)."""

    key: dict[str, str | None]
    requests: int
    allocated: Decimal
    idle: Decimal
    shared: Decimal
    unallocated: Decimal

    @property
    def total(self) -> Decimal:
        return self.allocated + self.idle + self.shared + self.unallocated

    @property
    def is_unattributed(self) -> bool:
        """True for the row of idle / shared / unallocated cost with no model or tenant."""
        return all(v == "" for k, v in self.key.items() if k != "period")

    @property
    def cost_per_1k_requests(self) -> Decimal | None:
        """Allocated cost per 1,000 requests (None with no requests)."""
        return self.allocated * 1000 / self.requests if self.requests else None

    def to_dict(self) -> dict[str, Any]:
        per_1k = self.cost_per_1k_requests
        return {**self.key, "requests": self.requests, "allocated": str(self.allocated),
                "idle": str(self.idle), "shared": str(self.shared),
                "unallocated": str(self.unallocated), "total": str(self.total),
                "cost_per_1k_requests": None if per_1k is None else str(per_1k)}


def rollup(frame: pd.DataFrame, by: Sequence[str]) -> list[RollupRow]:
    """Group the allocation table by `by` (a subset of KEYS, in that order of output
    columns), sorted by key. Raises ValueError for an unknown key or kind (a bug: the
    table is the engine's own)."""
    bad = [k for k in by if k not in KEYS]
    if bad or not by:
        raise ValueError(f"roll-up keys must be some of {KEYS}, got {list(by)}")
    groups: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in frame.itertuples(index=False):
        kind = row.kind
        if kind not in KINDS:
            raise ValueError(f"unknown allocation kind {kind!r}")
        key = tuple(_label(getattr(row, k)) if kind == "allocated" or k == "period" else ""
                    for k in by)
        g = groups.setdefault(key, {"requests": 0, **{k: Decimal(0) for k in KINDS}})
        g[kind] += Decimal(row.cost)
        if kind == "allocated":
            g["requests"] += int(row.requests)
    rows = [RollupRow(dict(zip(by, key, strict=True)), g["requests"],
                      *(_plain(g[k]) for k in KINDS)) for key, g in groups.items()]
    # days first, then charges billed for a longer span ("2026-10-01/2026-11-01"), then the
    # row of cost no model or tenant carries; a missing label before the others
    return sorted(rows, key=lambda r: (r.is_unattributed, "/" in (r.key.get("period") or ""),
                                       tuple((v is not None, v or "") for v in r.key.values())))


def _label(v: Any) -> str | None:
    """A key value as text; None for a missing one (None, NaN, pd.NA)."""
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def _plain(d: Decimal) -> Decimal:
    """`d` without trailing zeros or an exponent (1050.3520000000 -> 1050.352, 1.000E+3
    -> 1000): the same value, as allocations.csv writes it."""
    from infercost.core.money import format_decimal

    return Decimal(format_decimal(d))
