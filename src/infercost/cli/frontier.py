"""`infercost frontier SCENARIO`: cost-quality Pareto frontier and tiered routing."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def frontier(
        scenario: ScenarioArg,
        large: Annotated[Optional[str], typer.Option(
            "--large", help="variant serving the riskiest traffic (default: highest quality)")] = None,
        small: Annotated[Optional[str], typer.Option(
            "--small", help="variant serving the rest (default: cheapest on the frontier)")] = None,
        reference: Annotated[str, typer.Option(
            "--reference", help="variant the lift and extra cost are measured from")] = "baseline",
        value_per_point: Annotated[Optional[str], typer.Option(
            "--value-per-point", help="money a month per point of the quality metric")] = None,
        segments: Annotated[str, typer.Option(
            "--segments", help="risk segments, riskiest first: name:traffic_share:lift_share,...")] = "all:1:1",
        steps: Annotated[int, typer.Option("--steps", help="routing fractions swept: 0, 1/steps, ..., 1 (steps from 1 to 1000)")] = 20,
        set_: SetOpt = None,
        catalog: CatalogOpt = None,
        json_: JsonOpt = False,
        md: MdOpt = False,
        csv: CsvOpt = None,
        xlsx: XlsxOpt = None,
        html: HtmlOpt = None,
    ) -> None:
        """Pareto frontier of cost vs quality over the variants, and the large/small routing split."""
        from infercost import api
        from infercost.cli.outputs import emit
        from infercost.errors import InputError

        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        vpp = None
        if value_per_point is not None:
            from decimal import Decimal, InvalidOperation

            try:
                vpp = Decimal(value_per_point)
            except InvalidOperation:
                raise InputError(f"expected a number, got {value_per_point!r}", "--value-per-point") from None
        result = api.frontier(sc, catalog=catalog, large=large, small=small, reference=reference,
                              value_per_point=vpp, segments=api.parse_segments(segments), steps=steps)
        emit(result, frontier_tables(result), frontier_charts(result), f"{sc.name}: cost-quality frontier",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html, csv_table=csv_table(result))


def _m(v: str) -> str:
    from decimal import Decimal

    from infercost.report.terminal import money_txt

    return money_txt(Decimal(v), 0)


def frontier_tables(d: dict) -> list:
    from infercost.report.tables import Table

    cur = d["currency"]
    pts = Table(f"{d['scenario']}: cost vs {d['metric']} ({cur} a month)",
                ["variant", "per month", d["metric"], "frontier"],
                [[p["name"], _m(p["monthly_cost"]), p["quality"],
                  "yes" if p["dominated_by"] is None else f"dominated by {p['dominated_by']}"]
                 for p in d["points"]], d["notes"])
    out = [pts, energy_table(d)]
    r = d["routing"]
    cols = ["to large", "per month", "extra cost", "kWh/1k inf", "gCO2e/1k inf"]
    if r["value_per_point"] is not None:
        cols += ["value", "net value"]
    rows = []
    for mx in r["mixes"]:
        kwh, co2 = mx.get("kwh_per_1k_inferences"), mx.get("gco2e_per_1k_inferences")
        row = [f"{float(mx['fraction_large']):.1%}", _m(mx["cost"]), _m(mx["extra_cost"]),
               "-" if kwh is None else f"{kwh:.4g}", "-" if co2 is None else f"{co2:.4g}"]
        if r["value_per_point"] is not None:
            row += [_m(mx["value"]), _m(mx["net_value"])]
        rows.append(row)
    notes = [f"riskiest traffic to {r['large']}, the rest to {r['small']}; lift and extra cost "
             f"against {r['reference']}"]
    if r["best"] is not None:
        b = r["best"]
        notes.append(f"best split: {float(b['fraction_large']):.1%} to {r['large']}, net value "
                     f"{_m(b['net_value'])} {cur} a month")
    out.append(Table(f"routing {r['large']} / {r['small']} ({cur} a month)", cols, rows, notes))
    return out


_KEYS = ["kwh_per_1k_inferences", "gco2e_per_1k_inferences", "kwh_per_1m_tokens", "gco2e_per_1m_tokens"]


def energy_table(d: dict):
    """kWh and gCO2e per 1k inferences (per 1M tokens too for LLMs) per variant; '-' where
    its hardware has no power figure."""
    from infercost.report.tables import Table

    llm = any((p.get("energy") or {}).get("kwh_per_1m_tokens") is not None for p in d["points"])
    keys = _KEYS if llm else _KEYS[:2]
    raw = [[p["name"], *(None if p.get("energy") is None else p["energy"].get(k) for k in keys)]
           for p in d["points"]]
    rows = [[r[0], *("-" if x is None else f"{x:.4g}" for x in r[1:])] for r in raw]
    notes: list[str] = []
    grids: dict[str, list[str]] = {}
    for p in d["points"]:
        e = p.get("energy")
        if e is None:
            notes.append(f"{p['name']}: energy not modelled (no power figure or grid intensity)")
        else:
            notes.extend(e["notes"])
            grids.setdefault(f"grid {e['region'] or 'your site'} {e['grid_g_per_kwh']:g} g/kWh", []).append(p["name"])
    notes += [g if len(grids) == 1 else f"{g}: {', '.join(names)}" for g, names in grids.items()]
    head = ["variant", "kWh/1k inf", "gCO2e/1k inf"] + (["kWh/1M tok", "gCO2e/1M tok"] if llm else [])
    return Table("energy and carbon", head, rows, list(dict.fromkeys(notes)), raw_rows=raw)


def csv_table(d: dict):
    """The points with their energy columns as machine values (CSV has one table)."""
    from decimal import Decimal

    from infercost.report.tables import Table

    main, en = frontier_tables(d)[:2]
    rows = [m + e[1:] for m, e in zip(main.rows, en.rows, strict=True)]
    raw = [[p["name"], Decimal(p["monthly_cost"]), Decimal(p["quality"]), p["dominated_by"] or "", *e[1:]]
           for p, e in zip(d["points"], en.raw_rows, strict=True)]
    names = {"kWh/1k inf": "kWh per 1k inferences", "gCO2e/1k inf": "gCO2e per 1k inferences",
             "kWh/1M tok": "kWh per 1M tokens", "gCO2e/1M tok": "gCO2e per 1M tokens"}
    return Table(main.title, main.columns + [names[c] for c in en.columns[1:]], rows, raw_rows=raw)


def frontier_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    pts = d["points"]
    on = [p for p in pts if p["dominated_by"] is None]
    off = [p for p in pts if p["dominated_by"] is not None]
    series = [Series("frontier", [float(p["monthly_cost"]) for p in on], [float(p["quality"]) for p in on],
                     [p["name"] for p in on])]
    if off:
        series.append(Series("dominated", [float(p["monthly_cost"]) for p in off],
                             [float(p["quality"]) for p in off], [p["name"] for p in off]))
    charts = [Chart("scatter", "cost-quality frontier", f"{d['currency']} a month", d["metric"], series)]
    r = d["routing"]
    if r["value_per_point"] is not None:
        f = [float(m["fraction_large"]) for m in r["mixes"]]
        charts.append(Chart("line", "routing: value and cost by fraction to the large model",
                            "fraction of traffic to the large model", f"{d['currency']} a month", [
                                Series("value", f, [float(m["value"]) for m in r["mixes"]]),
                                Series("extra cost", f, [float(m["extra_cost"]) for m in r["mixes"]]),
                                Series("net value", f, [float(m["net_value"]) for m in r["mixes"]])]))
    return charts
