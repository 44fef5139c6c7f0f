"""`infercost build-vs-buy SCENARIO`: self-hosted token costs vs hosted API prices."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command("build-vs-buy")
    def build_vs_buy(
        scenario: ScenarioArg,
        utilization: Annotated[Optional[float], typer.Option(
            "--utilization", help="replica utilisation the break-even assumes (default: the sized fleet's)")] = None,
        cached_share: Annotated[str, typer.Option(
            "--cached-share", help="share of prompt tokens read from the API's prompt cache")] = "0.5",
        apis: Annotated[Optional[list[str]], typer.Option(
            "--api", help="provider/model from the catalog (repeatable; default: all)")] = None,
        set_: SetOpt = None,
        catalog: CatalogOpt = None,
        json_: JsonOpt = False,
        md: MdOpt = False,
        csv: CsvOpt = None,
        xlsx: XlsxOpt = None,
        html: HtmlOpt = None,
    ) -> None:
        """Self-hosted cost per 1M input/output tokens vs API prices, and the break-even volume."""
        from decimal import Decimal, InvalidOperation

        from infercost import api
        from infercost.cli.outputs import emit
        from infercost.errors import InputError

        try:
            share = Decimal(cached_share)
        except InvalidOperation:
            raise InputError(f"expected a number in [0, 1], got {cached_share!r}", "--cached-share") from None
        if not 0 <= share <= 1:
            raise InputError(f"expected a number in [0, 1], got {cached_share}", "--cached-share")
        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        res = api.build_vs_buy(sc, catalog=catalog, utilization=utilization, cached_share=share, apis=apis)
        d = res.to_dict()
        emit(d, bvb_tables(d), bvb_charts(d), f"{sc.name}: build vs buy",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html, csv_table=csv_table(d))


def _n(v: str | None, places: int = 0) -> str:
    if v is None:
        return "never"
    from decimal import Decimal

    from infercost.report.terminal import money_txt

    return money_txt(Decimal(v), places)


def bvb_tables(d: dict) -> list:
    from decimal import Decimal

    from infercost.report.tables import Table
    from infercost.report.terminal import per_unit_txt

    cur = d["currency"]
    sh = d["self_hosted"]
    be = d["breakeven_assumes"]
    rows = [["self-hosted", f"{sh['hardware']} x{sh['replicas']}",
             per_unit_txt(Decimal(sh["per_1m_input_tokens"] or "0")),
             per_unit_txt(Decimal(sh["per_1m_output_tokens"] or "0")),
             _n(sh["monthly_cost"]), "-"]]
    for a in d["apis"]:
        rows.append([f"{a['provider']}/{a['model']}", a["tier"], per_unit_txt(Decimal(a["input_per_1m"])),
                     per_unit_txt(Decimal(a["output_per_1m"])), _n(a["monthly_cost"]),
                     _n(a["breakeven_requests_per_month"])])
    notes = [f"at {_n(sh['requests_per_month'])} requests a month; break-even assumes "
             f"{be['utilization']:.1%} utilisation of {be['capacity_per_replica_s']:,.2f} req/s per replica: "
             f"{_n(be['requests_per_replica_month'])} requests per "
             f"replica-month at {_n(be['replica_month'], 2)} {cur}, fixed {_n(be['fixed_monthly'], 2)} {cur} "
             f"a month, {per_unit_txt(Decimal(be['variable_per_request']))} {cur} per request"] + d["notes"]
    return [Table(f"{d['scenario']}: build vs buy ({cur}; per 1M tokens)",
                  ["", "tier", "input", "output", "per month", "break-even req/month"], rows, notes),
            energy_table(d)]


_ENERGY = ["kwh_per_1m_tokens", "gco2e_per_1m_tokens", "kwh_per_1k_inferences", "gco2e_per_1k_inferences"]


def energy_table(d: dict):
    """kWh and gCO2e per 1M tokens and per 1k inferences: the self-hosted fleet's; '-' for the
    hosted APIs (providers publish no energy figure) and where the hardware has no power figure."""
    from infercost.report.tables import Table

    e = d["self_hosted"].get("energy")
    raw = [None if e is None else e.get(k) for k in _ENERGY]
    rows = [["self-hosted", *("-" if x is None else f"{x:.4g}" for x in raw)]]
    raws = [["self-hosted", *raw]]
    for name in dict.fromkeys(f"{a['provider']}/{a['model']}" for a in d["apis"]):
        rows.append([name, "-", "-", "-", "-"])
        raws.append([name, None, None, None, None])
    notes = ["hosted APIs: '-', providers publish no energy figure"]
    if e is None:
        notes.append("self-hosted: energy not modelled (no power figure or grid intensity)")
    else:
        notes.extend(e["notes"])
        notes.append(f"grid {e['region'] or 'your site'} {e['grid_g_per_kwh']:g} g/kWh")
    return Table("energy and carbon", ["option", "kWh/1M tok", "gCO2e/1M tok", "kWh/1k inf", "gCO2e/1k inf"],
                 rows, notes, raw_rows=raws)


def csv_table(d: dict):
    """The build-vs-buy rows as machine values with the energy columns (CSV has one table):
    money as plain decimals, break-even empty when never, energy empty for the APIs."""
    from decimal import Decimal

    from infercost.report.tables import Table

    main = bvb_tables(d)[0]
    sh = d["self_hosted"]
    e = sh.get("energy") or {}

    def dec(v):
        return None if v is None else Decimal(v)
    raw = [["self-hosted", f"{sh['hardware']} x{sh['replicas']}", dec(sh["per_1m_input_tokens"]),
            dec(sh["per_1m_output_tokens"]), dec(sh["monthly_cost"]), None,
            *(e.get(k) for k in _ENERGY)]]
    rows = [main.rows[0] + ["-" if x is None else f"{x:.4g}" for x in raw[0][6:]]]
    for a, r in zip(d["apis"], main.rows[1:], strict=True):
        raw.append([f"{a['provider']}/{a['model']}", a["tier"], dec(a["input_per_1m"]), dec(a["output_per_1m"]),
                    dec(a["monthly_cost"]), dec(a["breakeven_requests_per_month"]), None, None, None, None])
        rows.append(r + ["-"] * 4)
    # a CSV header names every column (the terminal table leaves the first one blank)
    return Table(main.title, ["option", *main.columns[1:], "kWh per 1M tokens",
                              "gCO2e per 1M tokens", "kWh per 1k inferences",
                              "gCO2e per 1k inferences"], rows, raw_rows=raw)


def bvb_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    names = ["self-hosted"] + [f"{a['provider']}/{a['model']} {a['tier']}" for a in d["apis"]]
    monthly = [float(d["self_hosted"]["monthly_cost"])] + [float(a["monthly_cost"]) for a in d["apis"]]
    return [Chart("bar", "monthly cost of the same traffic", "option", f"{d['currency']} a month",
                  [Series("monthly cost", names, monthly)], log_y=True)]
