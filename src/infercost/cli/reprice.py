"""`infercost reprice SPANS --scenario S [--catalog NEW.yaml]`: stored spans, new prices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, SetOpt
from infercost.cli.outputs import CsvOpt, JsonOpt, MdOpt

SpansArg = Annotated[list[Path], typer.Argument(
    help="OTLP/JSON span files (what OtlpJsonFileExporter writes)", show_default=False,
    metavar="SPANS...")]
ScenarioOpt = Annotated[Optional[Path], typer.Option(
    "--scenario", help="scenario YAML of the deployment that served the spans (required)")]


def register(app: typer.Typer) -> None:
    @app.command()
    def reprice(spans: SpansArg, scenario: ScenarioOpt = None, catalog: CatalogOpt = None,
                set_: SetOpt = None, json_: JsonOpt = False, md: MdOpt = False,
                csv: CsvOpt = None) -> None:
        """Price stored spans again with a newer price table: old vs new, per model/tenant."""
        from infercost import api
        from infercost.cli.outputs import emit
        from infercost.errors import InputError

        if scenario is None:
            raise InputError("expected the scenario that prices the spans (a YAML file)",
                             "--scenario")
        if csv is not None:  # refused before any work, so nothing is half-done
            from infercost.core.io import check_output_file

            check_output_file(csv, "--csv")
        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        res = api.reprice(list(spans), scenario=sc, catalog=catalog)
        d = res.to_dict()
        emit(d, reprice_tables(d), [], "reprice", json_=json_, md=md, csv=csv)


def reprice_tables(d: dict) -> list:
    """The reprice dict as one table (one row per model, version and tenant, then the
    total), with the price-table versions and the unpriced spans in its notes."""
    from decimal import Decimal

    from infercost.report.tables import Table
    from infercost.report.terminal import per_unit_txt

    def m(s: str) -> str:
        return per_unit_txt(Decimal(s))

    rows = [[r["model"] or "-", r["model_version"] or "-", r["tenant"] or "-", f"{r['spans']:,}",
             m(r["old"]), m(r["new"]), m(r["change"])] for r in d["rows"]]
    t = d["total"]
    rows.append(["total", "", "", f"{d['spans']['repriced']:,}", m(t["old"]), m(t["new"]),
                 m(t["change"])])
    pt = d["price_table"]
    notes = [f"price table: {', '.join(pt['old_versions']) or 'none'} -> {pt['new_version']}",
             f"{d['spans']['total']:,} spans read, {d['spans']['repriced']:,} repriced"]
    un = d["spans"]["unpriced"]
    if un:
        notes.append("unpriced: " + "; ".join(f"{k} {v:,}" for k, v in un.items()))
    return [Table(f"reprice ({d['currency']})",
                  ["model", "version", "tenant", "spans", "old", "new", "change"], rows, notes)]
