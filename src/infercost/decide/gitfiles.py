"""Scenario files changed since a git commit, each with its version at that commit.

`git diff --name-only REF -- *.yaml *.yml` lists the changed files (working tree vs
REF); each one that validates as a scenario is paired with `git show REF:path` (the
base). Files new since REF or deleted, and YAML files that are not scenarios (no
`workload:` key), are listed in notes, never silently dropped.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import yaml

from infercost.core.scenario import Scenario, load_scenario
from infercost.errors import InputError


def _git(*args: str) -> str:
    try:
        r = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise InputError("git is not installed", "--git") from None
    if r.returncode != 0:
        raise InputError(r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "git failed",
                         f"--git {args[-1] if args else ''}")
    return r.stdout


def changed_scenarios(ref: str) -> tuple[list[tuple[str, Scenario, Scenario]], list[str]]:
    """[(path, base scenario at REF, head scenario in the working tree)], notes."""
    _git("rev-parse", "--verify", f"{ref}^{{commit}}")
    top = Path(_git("rev-parse", "--show-toplevel").strip())
    names = _git("diff", "--name-only", ref, "--", "*.yaml", "*.yml").split()
    pairs, notes = [], []
    for name in names:
        path = top / name
        if not path.exists():
            notes.append(f"{name}: deleted since {ref}")
            continue
        raw = yaml.safe_load(path.read_text()) or {}
        if not isinstance(raw, dict) or "workload" not in raw:
            notes.append(f"{name}: not a scenario (no workload:), skipped")
            continue
        try:
            old = _git("show", f"{ref}:{name}")
        except InputError:
            notes.append(f"{name}: new since {ref} (no base to compare)")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            base_file = Path(tmp) / Path(name).name
            base_file.write_text(old)
            base = load_scenario(base_file, folder=path.parent)  # paths as in the repo
        pairs.append((name, base, load_scenario(path)))
    return pairs, notes
