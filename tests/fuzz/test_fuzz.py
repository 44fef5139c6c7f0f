"""Fuzz every parser: mutated seed bytes in, a result or InputError out, nothing else.

A short bounded run (FUZZ_EXAMPLES per target, default 30; HYPOTHESIS_PROFILE=long
multiplies it) for `make test`; the long, time-boxed run is `make fuzz`
(tests/fuzz/run_fuzz.py). Every input that once raised something else is kept in
tests/fuzz/regressions/<target>/ and replayed here.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import event, given

from infercost.errors import InputError
from tests.fuzz.mutators import mutated
from tests.fuzz.targets import (
    REGRESSIONS,
    TARGETS,
    open_findings,
    regressions,
    run_bytes,
    seeds,
    signature,
)
from tests.strategies import budget

N = int(os.environ.get("FUZZ_EXAMPLES", "30"))


_KNOWN = open_findings()


def _check(name: str, data: bytes, tolerate_known: bool = False) -> None:
    try:
        run_bytes(name, data)
    except InputError as e:
        line = e.line()
        assert line.startswith("error: ") and "\n" not in line
    except Exception as e:
        if tolerate_known and signature(e, line=False) in _KNOWN.get(name, set()):
            event(f"known open finding {signature(e, line=False)}")
            return
        raise


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_parse(name):
    """Every seed is accepted as is (a fuzzer mutating refused seeds learns little)."""
    for s in seeds(name):
        run_bytes(name, s)


def _fuzz_test(name: str):
    @budget(N)
    @given(data=mutated(seeds(name)))
    def test(data):
        _check(name, data, tolerate_known=True)  # new failures fail; listed ones are xfail below

    test.__name__ = f"test_fuzz_{name}"
    return test


for _name in TARGETS:
    globals()[f"test_fuzz_{_name}"] = _fuzz_test(_name)


def _open() -> set[str]:
    """Regression inputs not fixed yet (tests/fuzz/regressions/OPEN, one path a line)."""
    f = REGRESSIONS / "OPEN"
    if not f.exists():
        return set()
    return {ln.strip() for ln in f.read_text().splitlines() if ln.strip() and not ln.startswith("#")}


_OPEN = _open()
_REGRESSIONS = [
    pytest.param(n, p, id=f"{n}/{p.name}", marks=[pytest.mark.xfail(
        reason="open: a parser still raises this (tests/fuzz/regressions/OPEN)", strict=False)]
        if f"{n}/{p.name}" in _OPEN else [])
    for n in sorted(TARGETS) for p in regressions(n)
]


@pytest.mark.parametrize(("name", "path"), _REGRESSIONS)
def test_regressions(name, path):
    """Each minimal input that once raised a non-InputError now returns or refuses."""
    _check(name, path.read_bytes())
