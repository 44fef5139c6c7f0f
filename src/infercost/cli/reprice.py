"""`infercost reprice SPANS --scenario S [--catalog NEW.yaml]`: stored spans, new prices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, SetOpt
from infercost.cli.outputs import CsvOpt, JsonOpt, MdOpt

SpansArg = Annotated[list[Path], typer.Argument(
    help="OTLP/JSON span files (what OtlpJsonFileExporter writes)", show_default=False,
    metavar="SPANS")]
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
        if json_ or md:
            emit(d, reprice_tables(d), [], "reprice", json_=json_, md=md, csv=csv)
            return
        from infercost.report import tables as tb

        if csv is not None:  # the whole names in the file; fitted to 80 columns on screen
            tb.write_csv(reprice_tables(d)[0], csv)
        tb.print_tables(reprice_tables(d, fit_width=True))
        if csv is not None:
            print(f"wrote {csv}")


def reprice_tables(d: dict, fit_width: bool = False) -> list:
    """The reprice dict as one table (one row per model, version and tenant, then the
    total), with the price-table versions and the unpriced spans in its notes.
    `fit_width`: model, version and tenant names wrapped to two lines of a fixed width
    (the terminal's 80 columns); whole otherwise (CSV, markdown)."""
    from decimal import Decimal

    from infercost.report.tables import Table
    from infercost.report.terminal import fit, per_unit_txt

    def m(s: str) -> str:
        return per_unit_txt(Decimal(s))

    def name(s: str, width: int) -> str:
        return fit(s or "-", width) if fit_width else (s or "-")

    rows = [[name(r["model"], 16), name(r["model_version"], 10), name(r["tenant"], 12),
             f"{r['spans']:,}", m(r["old"]), m(r["new"]), m(r["change"])] for r in d["rows"]]
    # for CSV: whole names, span counts without separators, the exact money strings
    raw = [[r["model"], r["model_version"], r["tenant"], r["spans"], r["old"], r["new"], r["change"]]
           for r in d["rows"]]
    t = d["total"]
    rows.append(["total", "", "", f"{d['spans']['repriced']:,}", m(t["old"]), m(t["new"]),
                 m(t["change"])])
    raw.append(["total", "", "", d["spans"]["repriced"], t["old"], t["new"], t["change"]])
    pt, sp = d["price_table"], d["spans"]
    old = pt["old_versions"]
    if len(old) > 1:  # the old total adds up spans priced with different tables: say so
        notes = [f"price table: {len(old)} old versions -> {pt['new_version']}"]
        for v in old:
            n = pt["old_version_spans"].get(v, 0)
            notes.append(f"old price table {v}: {n:,} span{'' if n == 1 else 's'}")
        notes.append(f"the old total adds up spans priced with {len(old)} different tables")
    else:
        notes = [f"price table: {', '.join(old) or 'none'} -> {pt['new_version']}"]
    read = f"{sp['total']:,} spans read, {sp['repriced']:,} repriced"
    if sp.get("skipped"):
        read += f", {sp['skipped']:,} not inference spans (skipped)"
    notes.append(read)
    if sp.get("duplicates"):
        notes.append(f"{sp['duplicates']:,} duplicate spans (same traceId and spanId) "
                     "counted once")
    un = sp["unpriced"]
    if un:
        notes.append("unpriced: " + "; ".join(f"{k} {v:,}" for k, v in un.items()))
    return [Table(f"reprice ({d['currency']})",
                  ["model", "version", "tenant", "spans", "old", "new", "change"], rows, notes,
                  raw_rows=raw)]
