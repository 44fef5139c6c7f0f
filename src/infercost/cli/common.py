"""Helpers shared by the commands: JSON output, option types, the rich console."""

from __future__ import annotations

import sys
from typing import Any

from infercost.core.io import dumps, to_jsonable, write_atomic  # noqa: F401  (re-exported)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def at_least(value: int | None, option: str, lowest: int = 0) -> None:
    """Refuse a count or seed below `lowest`: exit 2 with one line naming the option."""
    if value is not None and value < lowest:
        from infercost.errors import InputError

        raise InputError(f"must be a whole number >= {lowest}, got {value}", option)


def one_stdout(json_: bool, md: bool) -> None:
    """Refuse `--json` with `--md`: both print to stdout, so one would be lost."""
    if json_ and md:
        from infercost.errors import InputError

        raise InputError("both print to stdout; give one of them", "--json and --md")


def working(what: str):
    """A rich spinner with elapsed time on stderr while a long command works (only when
    stderr is a terminal: stdout, and so --json, stays clean). Use as a context manager."""
    import contextlib

    if not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    p = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                 console=Console(stderr=True), transient=True)

    class _Ctx:
        def __enter__(self):
            p.start()
            p.add_task(what, total=None)
            return p

        def __exit__(self, *exc):
            p.stop()
            return False

    return _Ctx()


def console():
    from rich.console import Console

    return Console()
