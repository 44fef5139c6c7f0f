"""`infercost reprice`'s terminal table at 80 columns: wide totals, long and non-ASCII names."""

from __future__ import annotations

import io

from rich.cells import cell_len
from rich.console import Console

from infercost.cli.reprice import fold_cells, reprice_tables
from infercost.report.tables import print_tables


def _row(model, version, tenant, spans, old, new, change):
    return {"model": model, "model_version": version, "tenant": tenant, "spans": spans,
            "old": old, "new": new, "change": change}


def _result(rows, total):
    return {"currency": "USD", "rows": rows, "total": total,
            "price_table": {"old_versions": ["8fc8eac1ba14@2026-11-29"],
                            "new_version": "b4fa27abab83@2026-12-01", "old_version_spans": {}},
            "spans": {"total": 36, "repriced": 23, "skipped": 1, "unpriced": {}}}


def _screen(d) -> list[str]:
    buf = io.StringIO()
    print_tables(reprice_tables(d, fit_width=True), Console(file=buf, width=80))
    return buf.getvalue().splitlines()


def test_a_wide_total_and_a_cjk_tenant_fit_80_columns():
    d = _result([
        _row("gpt-4o", "", "", 3, "12500000000.02", "12500000000.02", "0"),
        _row("llama-3.1-8b", "", "Zürich-客户", 1, "0.0003052", "0.0002853", "-0.00001992"),
        _row("meta-llama/Llama-3.1-8B-Instruct", "", "", 1, "0.0003052", "0.0002853",
             "-0.00001992")],
        {"old": "12500000000.04", "new": "12500000000.03", "change": "-0.001578"})
    lines = _screen(d)
    table = lines[:lines.index(next(x for x in lines if x.startswith("- price table")))]
    # 80 cells at most, a CJK character counting 2 ("客户": 4 cells)
    assert max(cell_len(x) for x in lines) <= 80
    text = "\n".join(table)
    assert "客户" in text.replace("\n", "")  # not dropped from a one-cell column
    header = table[1].split()
    assert header == ["model", "version", "tenant", "spans", "old", "new", "change"]
    # title + header + at most two lines per row + the total: no letter-per-line columns
    # (a 1-cell tenant column put "Zürich-客户" on 10 lines before)
    assert len(table) <= 2 + 2 * 3 + 1
    assert any("Zürich" in x for x in table)
    assert "12,500,000,000.04" in text  # numbers never fold


def test_fold_cells_counts_wide_characters_and_keeps_two_lines():
    # "客户" is 4 cells: "ab客户" (6 cells) fits 6, not 5
    assert fold_cells("ab客户", 6) == "ab客户"
    assert fold_cells("ab客户", 5) == "ab客\n户"
    # breaks after a separator past the middle; the second line cut with '…'
    assert fold_cells("meta-llama/Llama-3.1-8B-Instruct", 11) == "meta-llama/\nLlama-3.1-…"
    for w in (4, 7, 12):
        out = fold_cells("Zürich-客户-meta-llama/Llama", w)
        assert len(out.split("\n")) <= 2 and all(cell_len(x) <= w for x in out.split("\n"))
