"""allocation.breakdowns._slice_sums: the grouped sums are the row-by-row sums, exactly.

The reference is the one-pass loop written out here: per slice key (missing as None),
each money sum is Decimal(0) plus the row values in row order (None skipped), at the
breakdowns' precision (28 digits, where the order of additions shows in the last digit).
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from infercost.allocation.breakdowns import SLICE_KEYS, _k, _slice_sums
from infercost.allocation.run import BREAKDOWN_DIGITS
from tests.strategies import budget

MONEY = ("direct_cost", "idle_cost", "shared_cost", "cost")


def reference(al: pd.DataFrame, keys: list[str]) -> dict:
    out: dict = {}
    for i in range(len(al)):
        key = tuple(None if pd.isna(al[k].iloc[i]) else al[k].iloc[i] for k in keys)
        g = out.setdefault(key, {"direct": Decimal(0), "idle": Decimal(0),
                                 "shared": Decimal(0), "cost": Decimal(0),
                                 "requests": 0, "tokens": 0})
        for name, col in zip(("direct", "idle", "shared", "cost"), MONEY, strict=True):
            v = al[col].iloc[i]
            if v is not None:
                g[name] += v
        g["requests"] += int(al["requests"].iloc[i])
        g["tokens"] += int(al["input_tokens"].iloc[i]) + int(al["output_tokens"].iloc[i])
    return dict(sorted(out.items(), key=lambda kv: tuple(_k(v) for v in kv[0])))


_key = st.one_of(st.none(), st.sampled_from(["a", "b", "", "llama"]), st.just(float("nan")))
_money = st.one_of(st.none(), st.sampled_from([Decimal("1E+30"), Decimal("-1E+30"),
                                               Decimal("0.000"), Decimal("-0")]),
                   st.decimals(-10 ** 6, 10 ** 6, places=18))


@st.composite
def allocations(draw):
    n = draw(st.integers(1, 30))
    cols = {k: pd.Series(draw(st.lists(_key, min_size=n, max_size=n)), dtype=object)
            for k in ("period", *SLICE_KEYS)}
    if draw(st.booleans()):
        cols["model"] = cols["model"].astype("str")
    for c in MONEY:
        cols[c] = pd.Series(draw(st.lists(_money, min_size=n, max_size=n)), dtype=object)
    for c in ("requests", "input_tokens", "output_tokens"):
        cols[c] = pd.Series(draw(st.lists(st.integers(0, 10 ** 12), min_size=n, max_size=n)),
                            dtype="int64")
    return pd.DataFrame(cols)


@given(allocations(), st.booleans())
@budget(100)
def test_slice_sums_are_the_row_sums(al, by_day):
    keys = ["period", *SLICE_KEYS] if by_day else list(SLICE_KEYS)
    with localcontext() as ctx:
        ctx.prec = BREAKDOWN_DIGITS
        got, want = _slice_sums(al, keys), reference(al, keys)
    assert list(got) == list(want)  # the same slices, in the same order
    for key, g in want.items():  # same digits and exponent: str, not just ==
        assert {n: str(v) for n, v in got[key].items()} == {n: str(v) for n, v in g.items()}


def test_slice_sums_keys_python_holds_equal():
    # 1 and 1.0 (and True) are one dict key: one slice, as the row loop made it
    al = pd.DataFrame({"model": pd.Series([1, 1.0, True, "1"], dtype=object),
                       "model_version": [None] * 4, "endpoint": ["e"] * 4,
                       "tenant": [None] * 4,
                       "direct_cost": [Decimal(1)] * 4, "idle_cost": [Decimal(0)] * 4,
                       "shared_cost": [None] * 4, "cost": [Decimal("2.5")] * 4,
                       "requests": [1, 2, 3, 4], "input_tokens": [0] * 4,
                       "output_tokens": [5] * 4})
    got = _slice_sums(al, list(SLICE_KEYS))
    # slice (1, ...): rows 0-2, requests 1 + 2 + 3 = 6, cost 3 x 2.5 = 7.5; ("1", ...): row 3
    assert [g["requests"] for g in got.values()] == [6, 4]
    assert [g["cost"] for g in got.values()] == [Decimal("7.5"), Decimal("2.5")]
    assert got == reference(al, list(SLICE_KEYS))
