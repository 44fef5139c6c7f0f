"""Deterministic JSON and all-or-nothing file writes, shared by every layer."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from infercost.core.money import Money, format_decimal

try:  # the fast encoder of `dumps`; `json` gives the same bytes without it
    import orjson
except ImportError:  # pragma: no cover - a core dependency
    orjson = None


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, Decimals (to strings), Money, dates and paths to JSON types."""
    if isinstance(obj, Money):
        return obj.to_json()
    if isinstance(obj, Decimal):
        return format_decimal(obj)
    if is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return to_jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalars
        return obj.item()
    if isinstance(obj, float) and obj != obj:
        return None
    return obj


def dumps(obj: Any) -> str:
    """Deterministic JSON text (same input, same bytes): `to_jsonable(obj)` as
    `json.dumps(..., indent=2, ensure_ascii=False, allow_nan=False)` writes it.

    Encoded by orjson (C) when the tree allows, with byte-identical output: floats and
    integers beyond 64 bits go in as the text `json` writes for them (`repr`); a tree
    holding anything else (an infinite float, a subclass of str or int, an object
    `to_jsonable` leaves as it is) or a string orjson refuses (a lone surrogate) goes
    through `json` itself, which raises the same errors (ValueError, TypeError) as ever."""
    if orjson is not None:
        try:
            return orjson.dumps(_plain(obj), option=orjson.OPT_INDENT_2).decode()
        except (_Slow, orjson.JSONEncodeError):
            pass
    return json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)


class _Slow(Exception):
    """The tree needs the `json` encoder (see `dumps`)."""


_INT_MIN, _INT_MAX = -(2 ** 63), 2 ** 64 - 1  # orjson's integer range
_INF = float("inf")


def _plain(obj: Any) -> Any:
    """`to_jsonable(obj)` with only dict, list, str, int, bool, None and orjson Fragments
    (the `json` text of floats and long integers) in it; raises _Slow where the `json`
    encoder would have to decide (see `dumps`)."""
    t = type(obj)
    if t is str or obj is None or t is bool:
        return obj
    if t is dict:
        return {k if type(k) is str else str(k): _plain(v) for k, v in obj.items()}
    if t is list or t is tuple:
        return [_plain(v) for v in obj]
    if t is int:
        return obj if _INT_MIN <= obj <= _INT_MAX else orjson.Fragment(int.__repr__(obj))
    if t is float:
        if obj != obj:
            return None
        if obj == _INF or obj == -_INF:
            raise _Slow
        return orjson.Fragment(float.__repr__(obj))
    if t is Decimal:
        return format_decimal(obj)
    if t is Money:
        return format_decimal(obj.amount)
    return _final(to_jsonable(obj))


def _final(obj: Any) -> Any:
    """`_plain` of what `to_jsonable` returned (nothing left to convert: a NaN there came
    from a numpy scalar, which json refuses, as it does a subclass of str or int)."""
    t = type(obj)
    if t is str or obj is None or t is bool:
        return obj
    if t is dict:
        if not all(type(k) is str for k in obj):
            raise _Slow
        return {k: _final(v) for k, v in obj.items()}
    if t is list:
        return [_final(v) for v in obj]
    if t is int:
        return obj if _INT_MIN <= obj <= _INT_MAX else orjson.Fragment(int.__repr__(obj))
    if t is float and obj == obj and obj != _INF and obj != -_INF:
        return orjson.Fragment(float.__repr__(obj))
    raise _Slow


def check_output_file(path: Path, option: str | None = None) -> Path:
    """`path` as a file to write: refuse an existing folder (InputError naming the option)."""
    from infercost.errors import InputError

    path = Path(path)
    if path.is_dir():
        raise InputError("is a folder; expected a file name to write", option or str(path))
    return path


def write_atomic(path: Path, data: str | bytes, option: str | None = None) -> None:
    """Write a file through a temporary name so a failure never leaves half a file (nor
    the temporary one). Raises InputError when `path` is an existing folder."""
    path = check_output_file(path, option)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(data, str):
            tmp.write_text(data)
        else:
            tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
