"""`infercost catalog` tables fit an 80-column terminal without hiding anything."""

from __future__ import annotations

import pytest
from rich.console import Console

from infercost.cli.catalog import catalog_rows, render_table


def _render(section: str) -> list[str]:
    console = Console(width=80, record=True, color_system=None)
    console.print(render_table(section, catalog_rows(section)))
    return console.export_text().splitlines()


@pytest.mark.parametrize("section", ["hardware", "models", "prices", "api"])
def test_tables_fit_80_columns_without_ellipsis(section):
    lines = _render(section)
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert not any("…" in line for line in lines)


def test_every_hardware_and_model_id_is_shown_whole():
    hw = "\n".join(_render("hardware"))
    for r in catalog_rows("hardware"):
        assert f" {r['id']} " in hw, r["id"]
    models = "\n".join(_render("models"))
    for r in catalog_rows("models"):
        assert f" {r['id']} " in models, r["id"]
    # a price is shown to the cent: inf2.48xlarge 12.98127 / 12 chips = 1.081773 -> 1.08
    prices = "\n".join(_render("prices"))
    assert "inf2.48xlarge" in prices and "1.08" in prices
