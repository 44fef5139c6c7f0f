"""Exact money inside the engine: int64 quanta of 1e-10 of the bill currency.

`to_quanta`/`q2d` convert one amount, `quanta_array` a column, `spread` splits an amount
exactly over integer weights (largest remainder), `sum_by` sums a column exactly per key.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from infercost.core.quanta import QUANTUM, SCALE, decimal_quanta, q2d, to_quanta  # noqa: F401
from infercost.errors import InputError

LIMIT = 2**62  #: largest |quanta| the engine accepts in one bill row or resource-hour


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


def quanta_array(amounts: pd.Series, strict: bool = True) -> tuple[np.ndarray, bool]:
    """floor(amount / quantum) for each Decimal as int64, and whether every amount was a
    whole number of quanta (then nothing is left below the quantum).

    An amount of LIMIT quanta or more (4.6e8 of the currency) raises InputError when
    `strict` (the engine splits fleet rows in int64); otherwise its quanta read +-LIMIT
    (a caller that needs them checks `abs(q) >= LIMIT`) and the flag is False, so exact
    sums take the Decimal path (`sum_by`)."""
    import pyarrow as pa

    vals = amounts.tolist()
    try:  # fast path: amounts with at most 10 decimals, as most bills have
        low = decimal_quanta(pa.array(vals, pa.decimal128(38, 10)))
    except (pa.ArrowInvalid, TypeError):
        low = None
    if low is not None and not (len(low) and int(np.abs(low).max()) >= LIMIT):
        return low, True
    qlist = [to_quanta(c) for c in vals]
    if any(abs(x) >= LIMIT for x in qlist):
        if strict:
            raise InputError("a fleet bill row is too large for the engine's int64 quanta "
                             f"(over {LIMIT // SCALE} in one row)", "bill")
        qlist = [x if abs(x) < LIMIT else (LIMIT if x > 0 else -LIMIT) for x in qlist]
    return np.array(qlist, dtype=np.int64), False


def sum_by(keys: pd.DataFrame, amounts: pd.Series,
            quanta: tuple[np.ndarray, bool] | None = None) -> dict:
    """Exact Decimal sums of `amounts` per distinct row of `keys` (tuples; None kept).

    Integer quanta when every amount is a whole number of quanta and the sums fit in
    int64 (the common case, fast); Decimal addition otherwise."""
    cols = list(keys.columns)
    q, exact = quanta if quanta is not None else quanta_array(amounts)
    if exact and float(np.abs(q).astype(np.float64).sum()) < 2**62:
        fast = sum_codes(keys, q)
        if fast is not None:
            return fast
    k = keys.astype(object).where(keys.notna(), "\x00none")
    if exact and float(np.abs(q).astype(np.float64).sum()) < 2**62:
        g = pd.Series(q, index=pd.MultiIndex.from_frame(k)).groupby(level=cols).sum()
        out = {tuple(x) if isinstance(x, tuple) else (x,): q2d(int(v)) for x, v in g.items()}
    else:
        frame = k.assign(__v=amounts.to_numpy(dtype=object))
        out = {}
        for x, grp in frame.groupby(cols, sort=False)["__v"]:
            out[tuple(x) if isinstance(x, tuple) else (x,)] = sum(grp, Decimal(0))
    return {tuple(None if v == "\x00none" else v for v in key): val for key, val in out.items()}


def sum_codes(keys: pd.DataFrame, q: np.ndarray) -> dict | None:
    """`sum_by` on integer codes: each key column factorized once (missing -> None), the
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
