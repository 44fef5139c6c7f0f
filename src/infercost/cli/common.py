"""Helpers shared by the commands: JSON output, option types, the rich console."""

from __future__ import annotations

import sys
from typing import Any

from infercost.core.io import dumps, to_jsonable, write_atomic  # noqa: F401  (re-exported)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")


def console():
    from rich.console import Console

    return Console()
