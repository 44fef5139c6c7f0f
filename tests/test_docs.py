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


def test_catalog_field_reference_and_inventory_are_current():
    from infercost.core import catalog_doc as cd

    assert cd.missing_meanings() == [], "document these fields in infercost.core.catalog_doc.MEANING"
    text = (ROOT / "docs" / "catalog.md").read_text()
    hint = "run: python -m infercost.core.catalog_doc --write docs/catalog.md"
    fields_block = text[text.index(cd.FIELDS_BEGIN): text.index(cd.FIELDS_END) + len(cd.FIELDS_END)]
    assert fields_block == cd.fields_markdown(), hint
    inventory = text[text.index(cd.INVENTORY_BEGIN): text.index(cd.INVENTORY_END) + len(cd.INVENTORY_END)]
    assert inventory == cd.inventory_markdown(), hint
    # every new optional field is documented on the page
    for name in ("vendor_family", "l2_mb", "interconnect", "idle_watts", "kv_cache_dim", "embedding_rows"):
        assert f"`{name}`" in fields_block
