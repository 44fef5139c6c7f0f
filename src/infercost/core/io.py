"""Deterministic JSON and all-or-nothing file writes, shared by every layer."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any


def to_jsonable(obj: Any) -> Any:
    """Convert dataclasses, Decimals (to strings), Money, dates and paths to JSON types."""
    from infercost.core.money import Money, format_decimal

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
    """Deterministic JSON text (same input, same bytes)."""
    return json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)



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
