"""`infercost catalog` tables fit an 80-column terminal without hiding anything."""

from __future__ import annotations

import re

import pytest

from infercost.cli.catalog import catalog_rows, print_catalog


@pytest.fixture(autouse=True)
def _narrow(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")


def _render(section: str) -> list[str]:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        print_catalog(section, catalog_rows(section))
    return buf.getvalue().splitlines()


@pytest.mark.parametrize("section", ["hardware", "models", "prices", "api"])
def test_tables_fit_80_columns_without_ellipsis(section):
    lines = _render(section)
    assert max(len(line.rstrip()) for line in lines) <= 80
    assert not any("…" in line for line in lines)


def test_every_hardware_and_model_id_is_shown_whole():
    hw = "\n".join(_render("hardware"))
    for r in catalog_rows("hardware"):
        assert re.search(rf"(^|\s){re.escape(r['id'])}(\s|$)", hw, re.M), r["id"]
    models = "\n".join(_render("models"))
    for r in catalog_rows("models"):
        assert re.search(rf"(^|\s){re.escape(r['id'])}(\s|$)", models, re.M), r["id"]
    # a price per chip: inf2.48xlarge 12.98127 / 12 chips = 1.081773 (at least to the cent)
    prices = "\n".join(_render("prices"))
    assert "inf2.48xlarge" in prices and "1.08" in prices
