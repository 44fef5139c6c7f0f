"""`infercost catalog hardware|prices|models|api`: list the catalogs with sources and dates.

The Python API has no verb for listing the catalog, so this command reads
`infercost.core.catalog` directly.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer


class Section(StrEnum):
    hardware = "hardware"
    prices = "prices"
    models = "models"
    api = "api"


def catalog_rows(section: str, catalog_file: Path | None = None) -> list[dict]:
    """The catalog section as a list of flat dicts (money as Decimal)."""
    from dataclasses import asdict

    from infercost.core.catalog import load_catalog

    cat = load_catalog(catalog_file)
    if section == "hardware":
        return [asdict(h) for h in cat.hardware.values()]
    if section == "models":
        return [asdict(m) for m in cat.models.values()]
    if section == "api":
        return [asdict(a) for a in cat.api_tokens]
    rows = [{"kind": "instance", **asdict(i)} for i in cat.instances]
    rows += [{"kind": "services", **asdict(s)} for s in cat.services.values()]
    return rows


PLANS = (("on-demand", "on-demand"), ("spot", "spot"), ("reserved-1y", "1y"), ("reserved-3y", "3y"),
         ("owned", "owned"))


def register(app: typer.Typer) -> None:
    @app.command()
    def catalog(
        section: Annotated[Section, typer.Argument(help="hardware | prices | models | api")],
        catalog_file: Annotated[Optional[Path], typer.Option("--catalog", help="user catalog YAML")] = None,
        json_: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
        verbose: Annotated[bool, typer.Option("--verbose", "-v", help="print each entry's source and notes")] = False,
    ) -> None:
        """List catalog entries, each with its source and date."""
        from infercost.cli.common import print_json

        rows = catalog_rows(section.value, catalog_file)
        if json_:
            print_json(rows)
            return
        print_catalog(section.value, rows, verbose)


def print_catalog(section: str, rows: list[dict], verbose: bool = False) -> None:
    """The section as a table readable at 80 columns: ids whole, dates in the caption
    when all entries share one (else a column), sources and notes with `verbose`."""
    from infercost.report.terminal import GAP, esc, fit, make_console, new_table, print_details

    if section == "prices":
        rows = [r for r in rows if r["kind"] == "instance"]
    dates = sorted({str(r["as_of"]) for r in rows})
    # the dates go in the caption (each entry's own date: --verbose or --json), so the
    # columns keep their room at 80 columns
    span = dates[0] if len(dates) == 1 else f"{dates[0]} .. {dates[-1]}"
    caption = (f"as of {span}; " if dates else "") + (
        "sources and dates below" if verbose else "sources: --verbose or --json")
    t = new_table(f"catalog: {section}", caption)
    key: list[str] = []
    if section == "hardware":
        cols = [("id", "left"), ("family", "left"), ("bf16\nTFLOP/s", "right"), ("fp8", "right"),
                ("int8", "right"), ("memory\nGB", "right"), ("memory\nGB/s", "right"), ("TDP W", "right")]
        body = [[r["id"], (r.get("vendor_family") or r["kind"]) + ("/vcpu" if r["per"] == "vcpu" else ""),
                 _n(r["peak_tflops"].get("bf16")), _n(r["peak_tflops"].get("fp8")),
                 _n(r["peak_tflops"].get("int8")), _n(r["memory_gb"]), _n(r["memory_bw_gbps"]),
                 _n(r["tdp_w"])] for r in rows]
        key = [r["id"] for r in rows]
    elif section == "models":
        cols = [("id", "left"), ("family", "left"), ("params", "right"), ("layers", "right"),
                ("hidden", "right"), ("heads/kv", "right"), ("experts", "right")]
        body = [[r["id"], r["family"], f"{r['params'] / 1e9:.2f} B", str(r["layers"] or ""),
                 str(r["hidden"] or ""), f"{r['heads']}/{r['kv_heads']}" if r["heads"] else "",
                 str(r["experts"])] for r in rows]
        key = [r["id"] for r in rows]
    elif section == "api":
        cols = [("provider", "left"), ("model", "left"), ("input\nper 1M", "right"),
                ("output\nper 1M", "right"), ("currency", "left")]
        body = [[r["provider"], r["model"], str(r["input_per_1m"]), str(r["output_per_1m"]),
                 r.get("currency", "")] for r in rows]
        key = [f"{r['provider']} {r['model']}" for r in rows]
    else:
        cols = [("provider\ninstance", "left"), ("hardware", "left"), ("GPUs", "right"),
                (f"{rows[0]['currency'] if rows else 'USD'} per GPU-hour", "left")]
        w_ids = max([8, *(len(r["instance"]) for r in rows)]) + max([8, *(len(r["hardware"]) for r in rows)])
        w_plans = max(20, make_console().width - w_ids - 4 - 3 * GAP)
        body = [[f"{r['provider']}\n{r['instance']}", r["hardware"], str(r["gpus"]),
                 fit(", ".join(f"{h} {r['per_gpu_hour'][k]}" for k, h in PLANS if k in r["per_gpu_hour"]),
                     w_plans)] for r in rows]
        key = [f"{r['provider']} {r['instance']}" for r in rows]
    for i, (name, justify) in enumerate(cols):
        # ids never cut: each column at least as wide as its longest line
        widest = max([1, *(len(line) for b in body for line in str(b[i]).split("\n"))])
        t.add_column(name, justify=justify, no_wrap=True, min_width=widest)
    for b in body:
        t.add_row(*(esc(v) for v in b))
    con = make_console()
    con.print(t)
    if verbose:
        print_details(con, "sources", (
            (k, f"{r['source']} (as of {r['as_of']})" + (f". {r['notes']}" if r.get("notes") else ""))
            for k, r in zip(key, rows, strict=True)))


def _n(x) -> str:
    if x in (None, 0, 0.0):
        return ""
    if isinstance(x, float) and x % 1 and abs(x) < 100:
        return f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x) < 10 else f"{x:,.1f}"
    return f"{x:,.0f}"
