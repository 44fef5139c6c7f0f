"""`make fuzz`: the long, time-boxed fuzzing run over every parser.

For each target in turn (tests/fuzz/targets.py), Hypothesis mutates the seed files
(tests/fuzz/mutators.py) until the target's share of the time box is spent. An input
that raises anything but InputError is shrunk to a minimal one and written to
$FUZZ_OUT/<target>/<error>-<hash>.bin with its stack in a .txt beside it; the search then
goes on for failures at other places (one input per exception type and line).

Environment:
  FUZZ_MINUTES  total wall-clock budget, minutes (default 10)
  FUZZ_TARGETS  comma-separated target names (default: all)
  FUZZ_OUT      where found inputs go (default: $TMPDIR/infercost-fuzz-found); copy a
                minimal input into tests/fuzz/regressions/<target>/ once it is fixed

Exit code 1 when a new failure was found, 0 otherwise.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from hypothesis import HealthCheck, Phase, find, settings  # noqa: E402
from hypothesis.errors import NoSuchExample  # noqa: E402

from infercost.errors import InputError  # noqa: E402
from tests.fuzz.mutators import mutated  # noqa: E402
from tests.fuzz.targets import TARGETS, run_bytes, seeds, signature  # noqa: E402


def fuzz_target(name: str, seconds: float, out: Path, seen: set[str]) -> list[str]:
    """Fuzz one target for `seconds`; returns the new failure signatures written."""
    found: list[str] = []
    deadline = time.monotonic() + seconds
    strategy = mutated(seeds(name))

    def fails(data: bytes) -> bool:
        try:
            run_bytes(name, data)
        except InputError:
            return False
        except Exception as e:  # noqa: BLE001 (any other exception is the finding)
            return signature(e) not in seen
        return False

    while time.monotonic() < deadline:
        left = deadline - time.monotonic()
        try:
            data = find(strategy, fails, settings=settings(
                max_examples=200, deadline=None, database=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck)))
        except NoSuchExample:
            continue
        try:
            run_bytes(name, data)
            continue  # flaky: passed on replay
        except InputError:
            continue
        except Exception as e:  # noqa: BLE001
            sig = signature(e)
            seen.add(sig)
            found.append(sig)
            h = hashlib.sha1(data).hexdigest()[:10]
            d = out / name
            d.mkdir(parents=True, exist_ok=True)
            stem = f"{sig.replace('@', '-').replace(':', '-')}-{h}"
            (d / f"{stem}.bin").write_bytes(data)
            (d / f"{stem}.txt").write_text(
                f"target: {name}\ninput: {data!r}\n\n" + "".join(traceback.format_exception(e)))
            print(f"   FOUND {sig}: {data[:120]!r} -> {d / stem}.bin", flush=True)
        if left < 1:
            break
    return found


def main() -> int:
    minutes = float(os.environ.get("FUZZ_MINUTES", "10"))
    wanted = [t.strip() for t in os.environ.get("FUZZ_TARGETS", "").split(",") if t.strip()]
    unknown = [t for t in wanted if t not in TARGETS]
    if unknown:
        print(f"error: FUZZ_TARGETS: unknown target(s) {', '.join(unknown)}; "
              f"known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    names = wanted or list(TARGETS)
    out = Path(os.environ.get("FUZZ_OUT") or Path(tempfile.gettempdir()) / "infercost-fuzz-found")
    per = minutes * 60 / len(names)
    total: list[str] = []
    for name in names:
        print(f"== {name}: {per:.0f} s", flush=True)
        total += fuzz_target(name, per, out, set())
    print(f"{len(total)} distinct failure(s) found" + (f"; inputs in {out}" if total else ""))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
