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
        steps: Annotated[int, typer.Option("--steps", help="routing fractions swept: 0, 1/steps, ..., 1")] = 20,
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
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html)


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
    out = [pts]
    r = d["routing"]
    cols = ["to large", "per month", "extra cost"]
    if r["value_per_point"] is not None:
        cols += ["value", "net value"]
    rows = []
    for mx in r["mixes"]:
        row = [f"{float(mx['fraction_large']):.1%}", _m(mx["cost"]), _m(mx["extra_cost"])]
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
