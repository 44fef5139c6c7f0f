"""`infercost catalog hardware|prices|models`: list the catalogs with sources and dates."""

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


def register(app: typer.Typer) -> None:
    @app.command()
    def catalog(
        section: Annotated[Section, typer.Argument(help="hardware | prices | models | api")],
        catalog_file: Annotated[Optional[Path], typer.Option("--catalog", help="user catalog YAML")] = None,
        json_: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """List catalog entries, each with its source and date."""
        from infercost.cli.common import print_json

        rows = catalog_rows(section.value, catalog_file)
        if json_:
            print_json(rows)
            return
        from rich.console import Console

        Console().print(render_table(section.value, rows))


def render_table(section: str, rows: list[dict]):
    """A rich Table of `rows` that fits an 80-column terminal (every field is in --json)."""
    from rich import box
    from rich.table import Table

    t = Table(title=f"catalog: {section}", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)

    def cols(*names: str) -> None:
        for i, c in enumerate(names):
            t.add_column(c, justify="left" if i == 0 or c in ("family", "provider", "instance", "hardware")
                         else "right", no_wrap=(i > 0 or section != "prices"), overflow="fold")

    if section == "hardware":
        cols("id", "family", "bf16", "fp8", "int8", "GB", "GB/s", "W", "link GB/s")
        for r in rows:
            pk = r["peak_tflops"]
            fam = (r.get("vendor_family") or r["kind"]) + ("/vcpu" if r["per"] == "vcpu" else "")
            t.add_row(r["id"], fam, _n(pk.get("bf16", pk.get("fp16"))), _n(pk.get("fp8")), _n(pk.get("int8")),
                      _n(r["memory_gb"]), _n(r["memory_bw_gbps"]), _n(r["tdp_w"]), _n(r["interconnect_gbps"]))
    elif section == "models":
        cols("id", "family", "params", "layers", "hidden", "heads/kv", "experts")
        for r in rows:
            experts = f"{r['experts_per_token']}/{r['experts']}" if r["experts"] > 1 else ""
            t.add_row(r["id"], r["family"], f"{r['params'] / 1e9:.2f} B", str(r["layers"] or ""),
                      str(r["hidden"] or ""), f"{r['heads']}/{r['kv_heads']}" if r["heads"] else "", experts)
    elif section == "api":
        cols("provider", "model", "input $/1M", "output $/1M", "as_of")
        for r in rows:
            t.add_row(r["provider"], r["model"], str(r["input_per_1m"]), str(r["output_per_1m"]), str(r["as_of"]))
    else:
        cols("provider / instance", "hardware", "n", "on-demand", "1y / 3y", "spot", "owned")
        provider = None
        for r in rows:
            if r["kind"] != "instance":
                continue
            if r["provider"] != provider:
                provider = r["provider"]
                t.add_row(f"[bold]{provider}[/bold]")
            p = r["per_gpu_hour"]
            committed = " / ".join(_money(p.get(k)) or "-" for k in ("reserved-1y", "reserved-3y"))
            t.add_row(f" {r['instance']}", r["hardware"], str(r["gpus"]), _money(p.get("on-demand")),
                      "" if committed == "- / -" else committed, _money(p.get("spot")), _money(p.get("owned")))
    return t


def _money(x) -> str:
    """A per-accelerator-hour price to the cent (the exact value is in --json)."""
    return "" if x is None else f"{x:.2f}"


def _n(x) -> str:
    if x in (None, 0, 0.0):
        return ""
    if isinstance(x, float) and x % 1 and abs(x) < 100:
        return f"{x:,.2f}".rstrip("0").rstrip(".") if abs(x) < 10 else f"{x:,.1f}"
    return f"{x:,.0f}"
