"""Fuzz targets: one per parser. Each takes bytes, writes them to a file with the name the
parser expects, and parses it. A target may return (the input was accepted) or raise the
project's `InputError` (refused cleanly); anything else is a bug.

Targets: focus, cur, gcp (bill readers, CSV and GCP JSON lines), usage_csv, usage_jsonl,
usage_parquet (the usage reader, materialized so lazy errors surface), otel (OTLP JSON
spans), scenario (scenario YAML through validation), rules (rules YAML), measurements
(calibration JSON lines), trace (replayed traces, CSV and JSON lines).

Seeds: tests/fuzz/seeds/<target>/ (small hand-made files), plus the first rows of
../shared/data/focus/*.csv for `focus` when that folder is present.
"""

from __future__ import annotations

import os
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEEDS = HERE / "seeds"
REGRESSIONS = HERE / "regressions"
SHARED = Path(os.environ.get("INFERCOST_SHARED", HERE.parents[2] / "shared"))


@dataclass(frozen=True)
class Target:
    """A parser under fuzzing: `run(path)` parses the file at `path`."""

    name: str
    suffix: str  # file name the bytes are written to
    run: Callable[[Path], object]


_CON = None


def _con():
    global _CON
    if _CON is None:
        from infercost.ingest.backends import connect

        _CON = connect("duckdb", threads=1)
    return _CON


def _bill(fmt: str) -> Callable[[Path], object]:
    def run(p: Path) -> object:
        from infercost.ingest.bill import read_bill

        b = read_bill(p, fmt)
        b.totals()  # the sums a report makes
        b.period()
        return b

    return run


def _usage(p: Path) -> object:
    from infercost.ingest.backends import to_arrow
    from infercost.ingest.usage import read_usage

    u = read_usage(_con(), p)
    return to_arrow(_con(), u.table)  # lazy tables: errors must surface in read_usage


def _scenario(p: Path) -> object:
    from infercost.core.scenario import load_scenario

    return load_scenario(p)


def _rules(p: Path) -> object:
    from infercost.allocation.rules import load_rules

    return load_rules(p)


def _measurements(p: Path) -> object:
    from infercost.perf.measurements import read_measurements

    return read_measurements(p)


def _trace(p: Path) -> object:
    from infercost.ingest.trace import read_trace_seconds

    return read_trace_seconds(p)


TARGETS: dict[str, Target] = {t.name: t for t in (
    Target("focus", "bill.csv", _bill("focus")),
    Target("cur", "bill.csv", _bill("cur")),
    Target("gcp", "bill.jsonl", _bill("gcp")),
    Target("gcp_csv", "bill.csv", _bill("gcp")),
    Target("usage_csv", "usage.csv", _usage),
    Target("usage_jsonl", "usage.jsonl", _usage),
    Target("usage_parquet", "usage.parquet", _usage),
    Target("otel", "spans.json", _usage),
    Target("scenario", "scenario.yaml", _scenario),
    Target("rules", "rules.yaml", _rules),
    Target("measurements", "calib.jsonl", _measurements),
    Target("trace", "trace.csv", _trace),
    Target("trace_jsonl", "trace.jsonl", _trace),
)}

#: seed folder of each target (two targets share gcp's and trace's seeds)
_SEED_DIR = {"gcp_csv": "gcp", "trace_jsonl": "trace"}
_SEED_SUFFIX = {"gcp": ".jsonl", "gcp_csv": ".csv", "trace": ".csv", "trace_jsonl": ".jsonl"}


def seeds(name: str) -> list[bytes]:
    """The seed inputs of target `name` (never empty)."""
    folder = SEEDS / _SEED_DIR.get(name, name)
    suffix = _SEED_SUFFIX.get(name)
    out = [f.read_bytes() for f in sorted(folder.glob("*"))
           if f.is_file() and (suffix is None or f.name.endswith(suffix))]
    if name == "focus":
        for f in sorted((SHARED / "data" / "focus").glob("*.csv")):
            with f.open("rb") as fh:  # header + 30 rows of a real export
                out.append(b"".join(fh.readline() for _ in range(31)))
    return out or [b""]


def regressions(name: str) -> list[Path]:
    """Minimal inputs that once raised something other than InputError."""
    folder = REGRESSIONS / name
    return sorted(f for f in folder.glob("*") if f.is_file()) if folder.is_dir() else []


def run_bytes(name: str, data: bytes) -> None:
    """Parse `data` with target `name`; return or raise InputError, else it is a bug."""
    t = TARGETS[name]
    with tempfile.TemporaryDirectory(prefix="infercost-fuzz-") as tmp:
        p = Path(tmp) / t.suffix
        p.write_bytes(data)
        t.run(p)


def signature(e: BaseException, line: bool = True) -> str:
    """`Type@file.py:line` of the innermost infercost frame: one finding per place."""
    tb = traceback.extract_tb(e.__traceback__)
    ours = [f for f in tb if "infercost" in f.filename and "/tests/" not in f.filename]
    if not ours:
        return f"{type(e).__name__}@?"
    where = Path(ours[-1].filename).name + (f":{ours[-1].lineno}" if line else "")
    return f"{type(e).__name__}@{where}"


def open_findings() -> dict[str, set[str]]:
    """Known, not yet fixed findings per target, as `Type@file.py` (no line number, so a
    fix elsewhere in the file does not hide them): from tests/fuzz/regressions/OPEN."""
    f = REGRESSIONS / "OPEN"
    out: dict[str, set[str]] = {}
    if not f.exists():
        return out
    for ln in f.read_text().splitlines():
        ln = ln.strip()
        if not ln or ln.startswith("#"):
            continue
        target, _, name = ln.partition("/")
        kind, _, rest = name.partition("-")
        module = rest.split("-")[0]
        out.setdefault(target, set()).add(f"{kind}@{module}")
    return out
