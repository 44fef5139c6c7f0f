"""Long commands show progress on stderr only when it is a terminal; stdout stays clean."""

from __future__ import annotations

import contextlib
import io
import sys

from infercost.cli.common import working


def test_no_terminal_no_spinner():
    assert isinstance(working("x"), contextlib.nullcontext)


def test_on_a_terminal_the_spinner_runs_on_stderr_and_leaves_stdout_clean(monkeypatch):
    err = io.StringIO()
    err.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", err)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), working("attributing") as p:
        assert p is not None and len(p.tasks) == 1 and p.tasks[0].description == "attributing"
    assert out.getvalue() == ""
