"""compare's details table and diff's summary at 80 columns: variant names whole, no header
cut, every figure's unit named."""

from __future__ import annotations

import re

import yaml

from tests.conftest import EXAMPLES

#: /tmp/tb/cmp.yaml of the report: one L4, five variants, no token prices
CMP = {
    "name": "cmp", "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 15}},
    "service": {"distribution": "exponential", "mean_ms": 100},
    "deployment": {"hardware": "l4", "replicas": 1,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 2}},
    "slo": {"p99_latency_ms": 1000},
    "options": [{"name": "fast", "set": {"service.mean_ms": 50}},
                {"name": "dear", "set": {"deployment.pricing.price_per_gpu_hour": 3}},
                {"name": "tight", "set": {"slo.p99_latency_ms": 500}},
                {"name": "more", "set": {"workload.arrivals.rate_per_s": 30}}],
}


def _details(out: str) -> list[str]:
    """The lines of the "details" table: from its title to the next table's title."""
    lines = out.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("details ("))
    end = next(i for i, x in enumerate(lines) if x.startswith("energy and carbon"))
    return lines[start:end]


def _compare(cli, monkeypatch, path) -> str:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli("compare", path)
    assert code == 0, err
    assert max(map(len, out.splitlines())) <= 80
    return out


def test_compare_details_keeps_variant_names_whole(cli, monkeypatch, tmp_path):
    sc = tmp_path / "cmp.yaml"
    sc.write_text(yaml.safe_dump(CMP))
    table = _details(_compare(cli, monkeypatch, sc))
    # one line per variant (before: "baselin" / "e" on two lines)
    rows = table[2:next(i for i, x in enumerate(table) if x.startswith("- "))]
    names = [x.split()[0] for x in rows if x.strip()]
    assert names == ["baseline", "fast", "dear", "tight", "more"], table
    assert "…" not in "\n".join(table)


def test_compare_details_with_token_prices_cuts_no_header_or_name(cli, monkeypatch):
    # chatbot: two more columns (per 1M input and output tokens); before, the headers were
    # cut ("capacity re…", "per 1M out…") and "baseline" shown as "baseli"
    table = _details(_compare(cli, monkeypatch, EXAMPLES / "chatbot.yaml"))
    text = "\n".join(table)
    assert "…" not in text, text
    for name in ("baseline", "int8", "spot"):
        assert re.search(rf"^{name}\s", text, re.M), text
    # what each short header stands for is said under the table
    assert "req/s" in text and "per 1k inferences" in text and "1M" in text


def test_diff_names_the_unit_of_the_p99_row(cli, monkeypatch, tmp_path):
    base = {**{k: v for k, v in CMP.items() if k != "options"}}
    base["deployment"] = {**base["deployment"], "replicas": 3}  # not overloaded: a p99 on both sides
    head = yaml.safe_load(yaml.safe_dump(base))
    head["deployment"]["pricing"]["price_per_gpu_hour"] = 3
    b, h = tmp_path / "b.yaml", tmp_path / "h.yaml"
    b.write_text(yaml.safe_dump(base))
    h.write_text(yaml.safe_dump(head))
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli("diff", b, h)
    assert code == 0, err
    # the title says "USD a month unless named": the p99 row names its unit
    assert "a month unless named" in out
    (row,) = [x for x in out.splitlines() if x.startswith("p99 latency")]
    assert row.startswith("p99 latency at peak (ms)"), row
    code, md, _ = cli("diff", b, h, "--md")
    assert "| p99 latency at peak (ms) |" in md
