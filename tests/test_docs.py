"""Documentation that is generated from code must match the code."""

from infercost.core.scenario_doc import BEGIN, END, markdown
from tests.conftest import ROOT


def test_scenario_key_reference_is_current():
    text = (ROOT / "docs" / "scenario.md").read_text()
    block = text[text.index(BEGIN): text.index(END) + len(END)]
    assert block == markdown(), "run: python -m infercost.core.scenario_doc --write docs/scenario.md"


def test_readme_opens_with_the_two_commands():
    head = (ROOT / "README.md").read_text().split("\n", 12)
    text = "\n".join(head[:10])
    assert "make demo" in text and "make test" in text
