"""The bad-input corpus: every case in tests/data/bad/**/cases.yaml is refused cleanly.

A case (see tests/data/bad/README.md) gives the command's argv and a substring of the
one `error:` line. For every case the runner checks: exit code 2 (or the case's
`code`), nothing on stdout, exactly one line on stderr that starts with `error: ` and
contains the substring, no traceback, and nothing created in the working folder (the
command runs in an empty temporary folder; `{tmp}` in argv names it). Cases run
in-process through `infercost.cli.main`; those marked `subprocess: true` also run as a
real `python -m infercost` process, to prove no traceback reaches a user's terminal.

Subfolders (`tests/data/bad/<area>/cases.yaml`) are picked up, so each area keeps its
own inputs next to its cases.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
REQUIRED = {"id", "argv", "error"}
OPTIONAL = {"code", "subprocess", "files", "why"}


def _cases() -> list:
    out = []
    for f in sorted(BAD.rglob("cases.yaml")):
        for i, case in enumerate(yaml.safe_load(f.read_text()) or []):
            where = f"{f.relative_to(ROOT)}[{i}]"
            assert isinstance(case, dict), f"{where}: a case is a mapping"
            missing, extra = REQUIRED - set(case), set(case) - REQUIRED - OPTIONAL
            assert not missing and not extra, f"{where}: missing {missing}, unknown {extra}"
            out.append(pytest.param(f.parent, case, id=f"{f.parent.relative_to(BAD)}/{case['id']}"
                                    .lstrip("./")))
    return out


CASES = _cases()


def _sub(text: str, folder: Path, tmp: Path) -> str:
    for k, v in {"{here}": str(folder), "{tmp}": str(tmp), "{root}": str(ROOT)}.items():
        text = text.replace(k, v)
    return text


def _argv(folder: Path, case: dict, tmp: Path) -> list[str]:
    return [_sub(str(a), folder, tmp) for a in case["argv"]]


def _prepare(case: dict, tmp: Path) -> set[str]:
    """Create the case's `files` (name -> text) in tmp; return the folder's listing."""
    for name, text in (case.get("files") or {}).items():
        p = tmp / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return _listing(tmp)


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def _check(case: dict, code: int, out: str, err: str, before: set[str], tmp: Path) -> None:
    lines = err.strip("\n").split("\n") if err.strip() else []
    assert "Traceback" not in err + out, err
    assert code == case.get("code", 2), f"exit {code}; stderr: {err!r}"
    assert out == "", f"stdout should be empty, got {out[:300]!r}"
    assert len(lines) == 1, f"stderr should be one line, got {lines!r}"
    assert lines[0].startswith("error: "), lines[0]
    assert case["error"] in lines[0], f"{case['error']!r} not in {lines[0]!r}"
    assert _listing(tmp) == before, f"created: {sorted(_listing(tmp) - before)}"


def test_the_corpus_is_not_empty():
    # the corpus is the point of this file: an empty or unreadable one must fail loudly
    assert len(CASES) >= 20, [c.id for c in CASES]
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique within their folder"


@pytest.mark.parametrize(("folder", "case"), CASES)
def test_bad_input_is_refused_in_one_line(folder, case, tmp_path, capsys, monkeypatch):
    from infercost.cli import main

    monkeypatch.chdir(tmp_path)
    before = _prepare(case, tmp_path)
    code = 0
    try:
        main(_argv(folder, case, tmp_path))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out, err = capsys.readouterr()
    _check({**case, "error": _sub(case["error"], folder, tmp_path)}, code, out, err, before, tmp_path)


SUBPROCESS = [p for p in CASES if p.values[1].get("subprocess")]


@pytest.mark.parametrize(("folder", "case"), SUBPROCESS)
def test_bad_input_is_refused_by_a_real_process(folder, case, tmp_path):
    before = _prepare(case, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}
    r = subprocess.run([sys.executable, "-m", "infercost", *_argv(folder, case, tmp_path)],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    _check({**case, "error": _sub(case["error"], folder, tmp_path)}, r.returncode, r.stdout,
           r.stderr, before, tmp_path)


def test_at_least_a_handful_run_as_real_processes():
    assert len(SUBPROCESS) >= 5
