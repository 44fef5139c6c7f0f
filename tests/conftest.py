"""Shared test fixtures: paths, the CLI runner, the real data folder in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# `make test` (and CI) runs every property and fuzz test on a fixed, derandomised set of
# examples, so a run is repeatable and a red CI always means a change broke something;
# `make fuzz` (HYPOTHESIS_PROFILE=long) explores new random inputs.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("long", derandomize=False, print_blob=True)
settings.load_profile("long" if os.environ.get("HYPOTHESIS_PROFILE") == "long" else "repeatable")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SHARED = Path(os.environ.get("INFERCOST_SHARED", ROOT.parent / "shared"))


@pytest.fixture
def shared_data() -> Path:
    """../shared/data, or skip when the folder is absent (a user's fresh clone)."""
    d = SHARED / "data"
    if not d.is_dir():
        pytest.skip("../shared/data is not present")
    return d


@pytest.fixture
def cli(capsys):
    """Run `infercost ARGS...` in-process; returns (exit_code, stdout, stderr)."""
    from infercost.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory) -> Path:
    """`infercost demo --out DIR` run once per test session (about 20 s); returns DIR.
    Tests read it and never write into it, except test_demo's second, identical run."""
    from infercost.cli.demo import run_demo

    out = tmp_path_factory.mktemp("demo") / "report"
    run_demo(out, EXAMPLES)
    return out
