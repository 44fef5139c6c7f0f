"""Terminal output at 80 columns: no line over 80, ids whole, no table cell over two lines,
and user text printed as written (rich markup escaped)."""

from __future__ import annotations

import re

import pytest
from rich.table import Table

from infercost import api
from infercost.cli.catalog import catalog_rows
from tests.conftest import EXAMPLES

SMALL = {
    "name": "small",
    "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}, "duration_s": 600},
    "service": {"distribution": "constant", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "pricing": {"provider": "aws", "plan": "on-demand"},
                   "replicas": 2},
    "costs": {"storage": {"gb": 500}, "egress": {"bytes_per_response": 4000},
              "human_review": {"fraction": 0.001, "minutes_each": 4, "hourly_rate": 40}},
}


@pytest.fixture
def narrow(monkeypatch):
    """COLUMNS=80, and every rich table cell recorded (its text as given to add_row)."""
    monkeypatch.setenv("COLUMNS", "80")
    cells: list[str] = []
    orig = Table.add_row

    def add_row(self, *renderables, **kw):
        cells.extend(str(r) for r in renderables if isinstance(r, str))
        return orig(self, *renderables, **kw)

    monkeypatch.setattr(Table, "add_row", add_row)
    return cells


def check(out: str, cells: list[str], ids: list[str] = ()) -> None:
    """The three rules: width, ids whole, cells at most two lines (and not re-wrapped:
    each line of a cell appears as written in the output)."""
    lines = out.splitlines()
    assert lines, "no output"
    too_wide = [ln for ln in lines if len(ln) > 80]
    assert not too_wide, too_wide
    for i in ids:
        assert re.search(rf"(^|\s){re.escape(i)}(\s|$)", out, re.M), f"id {i!r} not whole"
    from rich.markup import render

    for c in cells:
        text = render(c).plain  # the cell as printed (escapes resolved)
        parts = text.split("\n")
        assert len(parts) <= 2, f"cell over two lines: {text!r}"
        for p in parts:
            assert p.strip() in out, f"cell line re-wrapped or cut: {p!r}"


def test_estimate_at_80_columns(cli, narrow):
    code, out, err = cli("estimate", EXAMPLES / "chatbot.yaml")
    assert code == 0, err
    check(out, narrow, ["support-chatbot:"])
    # the table holds the short driver (the line's formula); --verbose prints the full
    # text with the price's source
    assert "GPU-h x 6.88" in out and "catalog as of" not in out
    narrow.clear()
    code, out_v, _ = cli("estimate", EXAMPLES / "chatbot.yaml", "--verbose")
    check(out_v, narrow)
    assert "catalog as of" in out_v


def test_simulate_at_80_columns(cli, narrow, tmp_path):
    import yaml

    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(SMALL))
    code, out, err = cli("simulate", p)
    assert code == 0, err
    check(out, narrow, ["small:"])
    assert "latency" in out and "p99" in out


@pytest.mark.parametrize("section", ["hardware", "prices", "models", "api"])
def test_catalog_at_80_columns_with_ids_whole(cli, narrow, section):
    code, out, err = cli("catalog", section)
    assert code == 0, err
    rows = catalog_rows(section)
    if section == "prices":
        ids = [r["instance"] for r in rows if r["kind"] == "instance"] + \
              [r["hardware"] for r in rows if r["kind"] == "instance"]
    elif section == "api":
        ids = [r["model"] for r in rows]
    else:
        ids = [r["id"] for r in rows]
    check(out, narrow, ids)
    assert "…" not in out
    narrow.clear()
    code, out_v, _ = cli("catalog", section, "--verbose")
    check(out_v, narrow)
    assert rows[0]["source"].split()[0] in out_v


def test_demo_table_at_80_columns(narrow, capsys, tmp_path):
    from infercost.cli.demo import EXAMPLES as NAMES
    from infercost.cli.demo import print_demo

    summary = {"estimates": {n: api.estimate(EXAMPLES / f"{n}.yaml").to_dict() for n in NAMES}}
    print_demo(summary, tmp_path)
    out = capsys.readouterr().out
    check(out, narrow, list(NAMES))


def test_attribute_at_80_columns(cli, narrow, tmp_path):
    inputs = api.demo_inputs(tmp_path / "in", seed=3, requests_per_hour=20)
    code, out, err = cli("attribute", "--bill", inputs.bill, "--usage", inputs.usage,
                         "--rules", inputs.rules, "--out", tmp_path / "out")
    assert code == 0, err
    check(out, narrow)
    assert "conservation holds" in out


def test_reprice_at_80_columns(cli, narrow, tmp_path):
    pytest.importorskip("opentelemetry.sdk")
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    from infercost.integrations.otel import OtlpJsonFileExporter, instrument

    spans = tmp_path / "spans.jsonl"
    tp = TracerProvider()
    pricer = instrument(tp, EXAMPLES / "chatbot.yaml", exporter=OtlpJsonFileExporter(spans),
                        meter_provider=MeterProvider())
    for tenant in ("acme-corporation-enterprise-tier", "globex"):
        tp.get_tracer("t").start_span("chat", attributes={
            "gen_ai.request.model": "meta-llama/Llama-3.1-8B-Instruct", "tenant.id": tenant,
            "gen_ai.response.model_version": "2026-11-01-rc1"}).end()
    tp.get_tracer("t").start_span("chat", attributes={"gen_ai.operation.name": "chat"}).end()
    pricer.force_flush()
    code, out, err = cli("reprice", spans, "--scenario", EXAMPLES / "chatbot.yaml",
                         "--set", "deployment.pricing.plan=spot")
    assert code == 0, err
    check(out, narrow, ["globex"])
    assert "unpriced: missing model 1" in out


def test_user_text_is_printed_as_written_not_as_markup(cli, monkeypatch, tmp_path):
    import yaml

    monkeypatch.setenv("COLUMNS", "80")
    p = tmp_path / "odd.yaml"
    p.write_text(yaml.safe_dump({**SMALL, "name": "chat [/bold] x",
                                 "options": [{"name": "spot",
                                              "set": {"deployment.pricing.plan": "spot"}}]}))
    code, out, err = cli("estimate", p)  # a closing tag with no opening one crashed rich
    assert code == 0, err
    assert "chat [/bold] x: estimated monthly cost" in out
    code, out, err = cli("estimate", p, "--option", "spot")
    assert code == 0, err
    assert "chat [/bold] x [spot]: estimated monthly cost" in out
    code, out, err = cli("simulate", p)
    assert code == 0, err
    assert "chat [/bold] x: simulated 600 s" in out


def test_mlflow_log_at_80_columns(cli, narrow, tmp_path):
    import yaml

    pytest.importorskip("mlflow")
    code, out, err = cli("mlflow", "log", "--help")
    assert code == 0, err
    check(out, narrow)
    p = tmp_path / "small.yaml"
    p.write_text(yaml.safe_dump(SMALL))
    code, out, err = cli("mlflow", "log", p, "--model-name", "a-rather-long-model-name",
                         "--model-version", "1", "--create-model",
                         "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert code == 0, err
    check(out, narrow, ["a-rather-long-model-name"])
    assert "component.human_review" in out and "  note: p99_latency_ms" in out


def numbers_whole(out: str, cells: list[str]) -> None:
    """Every cell that is a number (or yes/NO) is printed whole on one line: a number split
    across lines ('0.00000146' then '6') would leave its text nowhere in one line."""
    from infercost.report.tables import is_numeric

    lines = out.splitlines()
    for c in cells:
        t = c.strip()
        if t in ("", "-") or not is_numeric(t):
            continue
        pat = re.compile(rf"(^|\s){re.escape(t)}(\s|$)")
        assert any(pat.search(ln) for ln in lines), f"number {t!r} wrapped or cut"


def test_print_tables_never_wraps_numbers(narrow, capsys):
    from infercost.report.tables import Table, print_tables

    label = "6x a100-80gb-pciex1 int8 sglang@0.4 b256 azure on-demand+25% spot"  # 66 characters
    rows = [[label, "1,946", "1,619.8", "2,392.0", "100.0%", "0.00000146", "yes"]]
    print_tables([Table("t", ["plan", "per month", "p99 ms", "sim p99", "attain", "per inf", "SLO"],
                        rows)])
    out = capsys.readouterr().out
    assert all(len(ln) <= 80 for ln in out.splitlines())
    numbers_whole(out, narrow)
    assert "0.00000146" in out and "1,619.8" in out and "100.0%" in out


def test_compare_numbers_whole_at_80_columns(cli, narrow):
    code, out, err = cli("compare", EXAMPLES / "recsys-spike.yaml")
    assert code == 0, err
    check(out, narrow, ["a100-80gb-sxm"])
    numbers_whole(out, narrow)


def test_optimize_numbers_whole_at_80_columns(cli, narrow):
    code, out, err = cli("optimize", EXAMPLES / "ranking-spike-l4.yaml", "--finalists", "3")
    assert code == 0, err
    check(out, narrow)
    numbers_whole(out, narrow)
