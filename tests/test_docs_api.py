"""docs/api.md: its python code blocks run, in order, as one session from the repo root."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def blocks() -> list[str]:
    text = (ROOT / "docs" / "api.md").read_text()
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_api_page_has_the_worked_example():
    code = "\n".join(blocks())
    for verb in ("load_scenario", "ic.estimate", "option=", "ic.simulate", "ic.attribute"):
        assert verb in code, verb
    assert len(blocks()) >= 6


def test_api_page_code_runs(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "80")
    ns: dict = {"__name__": "docs_api"}
    for i, code in enumerate(blocks()):
        try:
            exec(compile(code, f"docs/api.md block {i + 1}", "exec"), ns)  # noqa: S102
        except Exception as e:  # name the block that broke
            raise AssertionError(f"docs/api.md block {i + 1} failed: {e!r}\n{code}") from e
    out = capsys.readouterr().out
    assert "support-chatbot" in out and "conservation holds" in out
    assert "workload.arrivals.rate" in out  # the InputError block printed where
