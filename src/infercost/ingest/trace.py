"""Arrival rates from a replayed usage log (`arrivals: {process: trace, path: ...}`)."""

from __future__ import annotations

from pathlib import Path

from infercost.errors import InputError


def read_trace_seconds(path: str | Path) -> list[float]:
    """Request start times (seconds from the first request) from a usage log's `timestamp`.

    CSV, Parquet or JSON lines; timestamps must parse and be sorted (the row is named).
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise InputError("trace file not found", str(path))
    try:
        if p.suffix == ".parquet":
            df = pd.read_parquet(p, columns=["timestamp"])
        elif p.suffix in (".jsonl", ".json"):
            df = pd.read_json(p, lines=True)
        else:
            df = pd.read_csv(p, usecols=["timestamp"], dtype={"timestamp": str})
    except (ValueError, KeyError) as e:
        raise InputError(f"cannot read a `timestamp` column: {e}", str(path)) from None
    if "timestamp" not in df.columns:
        raise InputError("missing column `timestamp`", str(path))
    ts = pd.to_datetime(df["timestamp"], utc=True, errors="coerce", format="mixed")
    bad = ts.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 1
        raise InputError(f"row {row}: unparsable timestamp {df['timestamp'].iloc[row - 1]!r}", str(path))
    secs = (ts - ts.iloc[0]).dt.total_seconds().to_numpy()
    if len(secs) > 1:
        import numpy as np

        back = np.nonzero(np.diff(secs) < 0)[0]
        if len(back):
            row = int(back[0]) + 2
            raise InputError(f"row {row}: timestamps are not sorted (earlier than the row before)", str(path))
    return [float(x) for x in secs]


def trace_rates(path: str | Path, n: int, dt: float) -> tuple[list[float], int]:
    """Requests per second in each of n slices of dt seconds, and the count after the last slice."""
    counts = [0] * n
    beyond = 0
    for s in read_trace_seconds(path):
        i = int(s // dt)
        if i < n:
            counts[i] += 1
        else:
            beyond += 1
    return [c / dt for c in counts], beyond
