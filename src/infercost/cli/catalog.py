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
        from rich.table import Table

        t = Table(title=f"catalog: {section.value}")
        if section.value == "hardware":
            cols = ["id", "kind", "bf16 TFLOP/s", "fp8", "int8", "memory GB", "GB/s", "TDP W", "as_of"]
            for c in cols:
                t.add_column(c, justify="left" if c in ("id", "kind") else "right")
            for r in rows:
                pk = r["peak_tflops"]
                t.add_row(r["id"], r["kind"] + ("/vcpu" if r["per"] == "vcpu" else ""),
                          _n(pk.get("bf16")), _n(pk.get("fp8")), _n(pk.get("int8")),
                          _n(r["memory_gb"]), _n(r["memory_bw_gbps"]), _n(r["tdp_w"]), str(r["as_of"]))
        elif section.value == "models":
            for c in ["id", "family", "params", "layers", "hidden", "heads/kv", "experts", "as_of"]:
                t.add_column(c)
            for r in rows:
                t.add_row(r["id"], r["family"], f"{r['params'] / 1e9:.2f} B", str(r["layers"] or ""),
                          str(r["hidden"] or ""), f"{r['heads']}/{r['kv_heads']}" if r["heads"] else "",
                          str(r["experts"]), str(r["as_of"]))
        elif section.value == "api":
            for c in ["provider", "model", "input $/1M", "output $/1M", "as_of"]:
                t.add_column(c)
            for r in rows:
                t.add_row(r["provider"], r["model"], str(r["input_per_1m"]), str(r["output_per_1m"]), str(r["as_of"]))
        else:
            for c in ["provider", "instance", "hardware", "GPUs", "on-demand", "1y", "3y", "spot", "owned", "as_of"]:
                t.add_column(c)
            for r in rows:
                if r["kind"] != "instance":
                    continue
                p = r["per_gpu_hour"]
                t.add_row(r["provider"], r["instance"], r["hardware"], str(r["gpus"]),
                          *(str(p.get(k, "")) for k in ("on-demand", "reserved-1y", "reserved-3y", "spot", "owned")),
                          str(r["as_of"]))
        Console().print(t)


def _n(x) -> str:
    if x in (None, 0, 0.0):
        return ""
    return f"{x:,.1f}" if isinstance(x, float) and x % 1 else f"{x:,.0f}"
