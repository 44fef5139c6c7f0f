"""`infercost demo`: every engine on bundled data, written whole, the same bytes every time."""

from __future__ import annotations

import json

from tests.conftest import EXAMPLES


def test_demo_writes_a_deterministic_report(cli, tmp_path):
    names = ("summary.json", "summary.md", "report.html")
    code, out, err = cli("demo", "--out", tmp_path / "a", "--examples", EXAMPLES)
    assert code == 0, err
    first = {n: (tmp_path / "a" / n).read_bytes() for n in names}
    code2, _, err2 = cli("demo", "--out", tmp_path / "a", "--examples", EXAMPLES, "--json")
    assert code2 == 0, err2
    for n in names:  # same inputs, same folder: byte-identical output
        assert (tmp_path / "a" / n).read_bytes() == first[n], f"{n} differs between two runs"
    s = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert set(s["estimates"]) == {"chatbot", "sentiment-bert", "recsys-spike", "hybrid-healthcare"}
    assert "recsys-spike" in s["simulations"]
    assert set(s["simulations"]["recsys-spike"]["phases"]) == {"before", "during", "after"}
    assert s["attribution"]["conservation"]["holds"] is True
    html = (tmp_path / "a" / "report.html").read_text()
    assert html.count("<svg") >= 2 and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    md = (tmp_path / "a" / "summary.md").read_text()
    assert "### simulated: recsys-spike" in md and "conservation (holds)" in md
    # energy beside cost: every estimate, the simulation and the attributed bill
    assert all(d["facts"]["energy"]["kwh"] > 0 for d in s["estimates"].values())
    assert s["attribution"]["energy"]["kwh"] > 0 and s["attribution"]["energy"]["resources"]
    assert md.count("- energy per 1k inferences:") == 5 and "billed GPU-hours" in md


def test_demo_bad_examples_folder_exits_2_and_writes_nothing(cli, tmp_path):
    code, _, err = cli("demo", "--out", tmp_path / "out", "--examples", tmp_path / "nope")
    assert code == 2 and err.startswith("error: ") and "examples folder not found" in err
    assert not (tmp_path / "out").exists()
