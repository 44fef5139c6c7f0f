"""core.io.dumps: the orjson fast path writes the bytes json.dumps writes, or raises as it.

The reference is the contract itself: `json.dumps(to_jsonable(x), indent=2,
ensure_ascii=False, allow_nan=False)`. Trees mix every type summary.json can hold
(floats at any exponent, integers past 64 bits, NaN, Decimals, Money, dates, numpy
scalars, tuples, non-string keys) and the ones json decides (infinities, subclasses of
str and int, objects to_jsonable leaves alone, lone surrogates).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost.core import io
from infercost.core.io import dumps, to_jsonable
from infercost.core.money import Money
from tests.strategies import budget


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@dataclass(frozen=True)
class Point:
    x: float
    label: str


@dataclass(frozen=True)
class Priced:
    cost: Money

    def to_dict(self) -> dict:
        return {"cost": self.cost, "twice": [self.cost.amount * 2, 1.5e-7]}


def reference(obj) -> str:
    return json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)


def outcome(f, obj):
    try:
        return "ok", f(obj)
    except (TypeError, ValueError) as e:  # the same kind of refusal either way
        return "error", type(e).__name__


_leaves = st.one_of(
    st.none(), st.booleans(), st.text(max_size=8),
    st.integers(), st.integers(-(2 ** 70), 2 ** 70),
    st.floats(allow_infinity=False), st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([1e-05, 1e16, 1e+22, -0.0, 5e-324, 1.7976931348623157e308, 2.0 ** 63]),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: Money(d, "EUR")),
    st.dates(), st.datetimes(), st.just(Path("/tmp/x")),
    st.sampled_from([np.float64(0.25), np.int64(-7), np.bool_(True), np.float32(1e-8)]),
    st.builds(Point, st.floats(allow_infinity=False), st.text(max_size=3)),
    st.builds(Priced, st.decimals(-10, 10, places=3).map(Money)),
)
_rare = st.sampled_from([float("inf"), np.float64("nan"), Point(float("-inf"), ""), Colour.RED, Level.HIGH, {1, 2}, "a\ud800b", object()])
_keys = st.one_of(st.text(max_size=5), st.integers(-5, 5), st.booleans(), st.none(),
                  st.floats(allow_nan=False))


def _trees(leaves):
    return st.recursive(leaves, lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.lists(kids, max_size=3).map(tuple),
        st.dictionaries(_keys, kids, max_size=4)), max_leaves=25)


@given(_trees(_leaves))
@budget(300)
def test_dumps_is_json_dumps(tree):
    assert dumps(tree) == reference(tree)


@given(_trees(st.one_of(_leaves, _rare)))
@budget(200)
def test_dumps_is_json_dumps_or_raises_as_it(tree):
    assert outcome(dumps, tree) == outcome(reference, tree)


@pytest.mark.parametrize("obj, text", [
    # floats as Python writes them, not orjson's 1e-5 / 1e16
    ({"a": 1e-05, "b": [1e16]}, '{\n  "a": 1e-05,\n  "b": [\n    1e+16\n  ]\n}'),
    # 2**64 is past orjson's integers: written as json writes it
    ([2 ** 64, -(2 ** 63) - 1], "[\n  18446744073709551616,\n  -9223372036854775809\n]"),
    ({"empty": {}, "none": [], "nan": float("nan")},
     '{\n  "empty": {},\n  "none": [],\n  "nan": null\n}'),
    ({1: Decimal("1.50"), "m": Money(Decimal("-0.000"), "USD")},
     '{\n  "1": "1.5",\n  "m": "0"\n}'),
    ("tab\there \"q\" \u2028 é \x7f \x1f", '"tab\\there \\"q\\" \u2028 é \x7f \\u001f"'),
])
def test_dumps_examples(obj, text):
    assert dumps(obj) == text == reference(obj)


def test_dumps_without_orjson_is_the_same(monkeypatch):
    tree = {"x": [1.5, 2 ** 65, Decimal("3.10")], "d": date(2026, 11, 1),
            "t": datetime(2026, 11, 1, 12, 30)}
    fast = dumps(tree)
    monkeypatch.setattr(io, "orjson", None)
    assert dumps(tree) == fast == reference(tree)


def test_dumps_refuses_as_json():
    with pytest.raises(ValueError):  # allow_nan=False: infinity is no JSON number
        dumps({"x": [float("inf")]})
    with pytest.raises(ValueError):  # a numpy NaN is not mapped to null by to_jsonable
        dumps([np.float64("nan")])
    with pytest.raises(TypeError):
        dumps({"s": {1}})
