"""Exact money as int64 counts of 1e-10 of the currency (quanta), the unit the attribution
engine splits bills in: one conversion for the bill reader (`ingest.bill_engine`) and the
engine (`allocation.quanta`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

SCALE = 10**10  #: quanta per currency unit
QUANTUM = Decimal(1).scaleb(-10)


def to_quanta(d: Decimal) -> int:
    """floor(d / quantum) as an int (toward minus infinity)."""
    return int((d * SCALE).to_integral_value(rounding="ROUND_FLOOR"))


def q2d(q: int) -> Decimal:
    """`q` quanta as a Decimal of the currency (exponent -10)."""
    return Decimal(int(q)).scaleb(-10)


def decimal_quanta(arr: Any) -> np.ndarray | None:
    """A decimal Arrow array (no nulls) as int64 quanta: its unscaled integers at scale
    10, or None when a value has more than 10 decimals or does not fit in int64 (the
    caller then converts value by value, `to_quanta`)."""
    import pyarrow as pa

    try:
        d = arr.cast(pa.decimal128(38, 10))  # safe: refuses to drop a digit
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if d.null_count:
        return None
    if d.offset:
        d = pa.concat_arrays([d])
    words = np.frombuffer(d.buffers()[1], dtype="<i8")[: 2 * len(d)].reshape(-1, 2)
    low, high = words[:, 0], words[:, 1]
    if not np.array_equal(high, low >> 63):
        return None
    return low.astype(np.int64)
