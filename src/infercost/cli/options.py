"""Argument and option types shared by the scenario commands (typer `Annotated` aliases)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="override a key: path=value (repeatable)")]
CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="YAML overriding or adding catalog entries")]
OptionOpt = Annotated[Optional[str], typer.Option("--option", help="apply a named variant from `options:`")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="print each component's full driver text")]
