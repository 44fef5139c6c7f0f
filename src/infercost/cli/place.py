"""`infercost place SCENARIO`: the cheapest valid edge / cloud placement per customer segment."""

from __future__ import annotations

import typer

from infercost.cli.options import ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def place(scenario: ScenarioArg, set_: SetOpt = None, json_: JsonOpt = False, md: MdOpt = False,
              csv: CsvOpt = None, xlsx: XlsxOpt = None, html: HtmlOpt = None) -> None:
        """Place each pipeline component on edge or cloud, per customer segment: the cheapest
        placement that keeps on-site data on site and meets the latency budget."""
        from infercost import api
        from infercost.cli.outputs import emit

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        res = api.place(scenario, **api.overrides_from_sets(set_))  # names the file on error
        d = {"scenario": sc.name, "currency": sc.currency, "placements": [p.to_dict() for p in res]}
        tables = place_tables(d)
        emit(d, tables, place_charts(d), f"{sc.name}: placement per segment",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html, csv_table=place_csv_table(d, tables[0]))


def place_tables(d: dict) -> list:
    """The placement dict as one table (display rounding only)."""
    from decimal import Decimal

    from infercost.report.tables import Table

    rows = []
    for p in d["placements"]:
        where = ", ".join(f"{c}@{o}" for c, o in p["assignment"].items())
        rows.append([p["segment"], where, f"{Decimal(p['compute_per_month']):,.0f}",
                     f"{Decimal(p['transfer_per_month']):,.0f}", f"{Decimal(p['cost_per_request']):.5f}",
                     f"{p['latency_ms']:,.0f}"])
    notes = list(d["placements"][0]["notes"]) if d["placements"] else []
    return [Table(f"{d['scenario']}: placement per segment ({d['currency']} per month)",
                  ["segment", "placement", "compute", "transfer", "per req", "ms"], rows, notes),
            segment_energy_table([(p["segment"], p.get("energy")) for p in d["placements"]])]


ENERGY_KEYS = ("kwh_per_1k_inferences", "gco2e_per_1k_inferences", "kwh_per_1m_tokens")
ENERGY_COLUMNS = ["kWh per 1k requests", "gCO2e per 1k requests", "kWh per 1M tokens"]


def energy_cells(e: dict | None) -> list[str]:
    """kWh and gCO2e per 1k requests and kWh per 1M tokens as shown ("-": not modelled)."""
    from infercost.report.terminal import sig_txt

    return ["-" if e is None or e.get(k) is None else sig_txt(e[k]) for k in ENERGY_KEYS]


def energy_raw(e: dict | None) -> list[float | None]:
    """The same figures as machine values (None: not modelled, an empty CSV cell)."""
    return [None if e is None else e.get(k) for k in ENERGY_KEYS]


def segment_energy_table(rows: list[tuple[str, dict | None]], why_none: dict[str, str] | None = None):
    """One row per segment: kWh and gCO2e per 1,000 requests, kWh per 1M tokens ("-" where
    not modelled, with the reason in a note), the energy notes under it, each once."""
    from infercost.report.tables import Table

    out, by_note = [], {}
    for seg, e in rows:
        out.append([seg, *energy_cells(e)])
        why = (why_none or {}).get(seg, "no powered hardware: energy not modelled")
        for n in ([why] if e is None else e.get("notes", [])):
            by_note.setdefault(n, []).append(seg)
    names = [s for s, _ in rows]
    notes = [n if who == names else f"{', '.join(who)}: {n}" for n, who in by_note.items()]
    return Table("energy and carbon per 1k requests", ["segment", "kWh", "gCO2e", "kWh/1M tok"], out, notes)


def place_csv_table(d: dict, main):
    """The main table with the energy columns (CSV has one table), cells as machine values:
    money as the exact decimal strings of `--json`, energy as floats, empty where not modelled."""
    from infercost.report.tables import Table

    ps = d["placements"]
    rows = [r + energy_cells(p.get("energy")) for r, p in zip(main.rows, ps, strict=True)]
    raw = [[p["segment"], ", ".join(f"{c}@{o}" for c, o in p["assignment"].items()), p["compute_per_month"],
            p["transfer_per_month"], p["cost_per_request"], p["latency_ms"], *energy_raw(p.get("energy"))]
           for p in ps]
    return Table(main.title, main.columns + ENERGY_COLUMNS, rows, main.notes, raw_rows=raw)


def place_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    segs = [p["segment"] for p in d["placements"]]
    return [Chart("bar", "monthly compute vs transfer per segment", "segment", f"{d['currency']} per month",
                  [Series("compute", segs, [float(p["compute_per_month"]) for p in d["placements"]]),
                   Series("transfer", segs, [float(p["transfer_per_month"]) for p in d["placements"]])])]
