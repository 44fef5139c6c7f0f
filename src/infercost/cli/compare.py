"""`infercost compare SCENARIO`: the baseline and every `options:` variant, side by side."""

from __future__ import annotations

from typing import Annotated

import typer

from infercost.cli.options import CatalogOpt, ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def compare(
        scenario: ScenarioArg,
        simulate: Annotated[bool, typer.Option("--simulate", help="also simulate each sized variant")] = False,
        keep_replicas: Annotated[bool, typer.Option(
            "--keep-replicas", help="keep the baseline's replicas instead of sizing each variant")] = False,
        seed: Annotated[int, typer.Option("--seed", help="simulation seed")] = 0,
        set_: SetOpt = None,
        catalog: CatalogOpt = None,
        json_: JsonOpt = False,
        md: MdOpt = False,
        csv: CsvOpt = None,
        xlsx: XlsxOpt = None,
        html: HtmlOpt = None,
    ) -> None:
        """Compare the baseline and every option: replicas, cost per inference, p99, SLO, quality."""
        from infercost import api
        from infercost.cli.common import at_least
        from infercost.cli.outputs import emit

        at_least(seed, "--seed")
        result = api.compare(scenario, catalog=catalog, keep_replicas=keep_replicas,
                             simulate=simulate, seed=seed, **api.overrides_from_sets(set_))
        d = result.to_dict()
        tables = comparison_tables(d)
        emit(d, tables, comparison_charts(d), f"{d['scenario']}: options compared",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html, csv_table=comparison_csv_table(d, tables))


def comparison_tables(d: dict) -> list:
    """Format a Comparison's dict as tables (no arithmetic beyond display rounding)."""
    from decimal import Decimal

    from infercost.report.tables import Table
    from infercost.report.terminal import money_txt, per_unit_txt

    cur = d["currency"]
    rows = []
    tokens = any(v["per_1m_input_tokens"] for v in d["variants"])
    sim = any(v["simulated"] for v in d["variants"])
    for v in d["variants"]:
        delta = v["delta_per_inference_pct"]
        row = [
            v["name"], v["hardware"], v["replicas"],
            per_unit_txt(Decimal(v["cost_per_inference"])),
            money_txt(Decimal(v["monthly_cost"]), 0),
            "overload" if v["p99_ms"] is None else f"{v['p99_ms']:,.0f}",
            {True: "yes", False: "NO", None: "-"}[v["slo_met"]],
            "-" if v["quality"] is None else f"{v['quality']:g}",
            "-" if delta is None else f"{delta:+.1f}%",
        ]
        rows.append(row)
    cols = ["variant", "hardware", "repl", "per inf", "per month", "p99 ms", "SLO", "quality",
            "vs base"]
    if all(r[7] == "-" for r in rows):  # no stated quality: the column goes (80 columns)
        cols = cols[:7] + cols[8:]
        rows = [r[:7] + r[8:] for r in rows]
    base = d["variants"][0]
    notes = [bound_line(base)] if base.get("bound_at_peak") else []  # what limits it, first
    notes += list(d["notes"])
    for v in d["variants"]:
        ttft = "" if v.get("ttft_ms") is None else f"; analytic TTFT p99 {v['ttft_ms']:,.0f} ms"
        notes.append(f"{v['name']}: {v['precision']}, {v['plan']}; {v['sized']}{ttft}")
        notes.extend(f"{v['name']}: {n}" for n in v["notes"] if not n.startswith("per-1M-token"))
    main = Table(f"{d['scenario']}: options compared ({cur}; p99 at peak)", cols, rows, notes)
    # short headers, said in full under the table: at 80 columns the variant names stay whole
    dcols = ["variant", "capacity", "served", "per 1k", "month +/-", "bound"]
    dnotes = ["capacity and served: req/s; per 1k: cost per 1k inferences; month +/-: monthly "
              "cost minus the baseline's; bound: what limits a replica at the peak"]
    if tokens:
        dcols += ["1M in", "1M out"]
        dnotes.append("1M in, 1M out: cost per 1M input and per 1M output tokens")

    drows = []
    for v in d["variants"]:
        r = [v["name"], f"{v['capacity_per_s']:,.1f}", f"{v['served_per_s']:,.1f}",
             per_unit_txt(Decimal(v["cost_per_1k_inferences"])),
             "-" if v["delta_monthly"] is None else money_txt(Decimal(v["delta_monthly"]), 0),
             v["bound_at_peak"]["limit"] if v.get("bound_at_peak") else "-"]
        if tokens:
            r += [per_unit_txt(Decimal(v[k])) if v[k] else "-"
                  for k in ("per_1m_input_tokens", "per_1m_output_tokens")]
        drows.append(r)
    out = [main, Table(f"details ({cur})", dcols, drows, dnotes), energy_table(d)]
    if sim:
        srows = []
        ttft = any((v["simulated"] or {}).get("ttft_slo_attainment") is not None for v in d["variants"])
        for v in d["variants"]:
            s = v["simulated"] or {}
            r = [v["name"], f"{s['p99_ms']:,.0f}" if s.get("p99_ms") is not None else "-",
                 f"{s['slo_attainment']:.1%}" if s.get("slo_attainment") is not None else "-"]
            if ttft:
                r += [f"{s['ttft_p99_ms']:,.0f}" if s.get("ttft_p99_ms") is not None else "-",
                      f"{s['ttft_slo_attainment']:.1%}" if s.get("ttft_slo_attainment") is not None else "-"]
            srows.append(r + [per_unit_txt(Decimal(s["cost_per_inference"])),
                              money_txt(Decimal(s["monthly_cost"]), 0)])
        cols = ["variant", "p99 ms", "SLO attainment"] + (["TTFT p99", "TTFT SLO"] if ttft else []) + [
            "per inf", "per month"]
        snotes = (["SLO attainment: share of requests within slo.p99_latency_ms; TTFT SLO: share "
                   "with a first token within slo.ttft_ms"] if ttft else [])
        out.append(Table(f"simulated, seed {d['variants'][0]['simulated']['seed']} ({cur})",
                         cols, srows, snotes))
    return out


def _energy_cells(v: dict) -> list[str]:
    from infercost.report.terminal import sig_txt

    kwh, g = _energy_raw(v)
    return ["-" if kwh is None else sig_txt(kwh), "-" if g is None else sig_txt(g)]


def _energy_raw(v: dict) -> list[float | None]:
    e = v.get("energy")
    if e is None:
        return [None, None]
    return [e["kwh_per_1k_inferences"], e["gco2e_per_1k_inferences"]]


def energy_table(d: dict):
    """kWh and gCO2e per 1,000 inferences per variant (econ.energy, as in `estimate`)."""
    from infercost.report.tables import Table

    rows: list[list[str]] = []
    by_note: dict[str, list[str]] = {}  # a note shared by several variants is printed once
    for v in d["variants"]:
        e = v.get("energy")
        where = "-" if e is None else (f"{e['region']} {e['grid_g_per_kwh']:g} g/kWh"
                                       if e["grid_g_per_kwh"] is not None else e["region"] or "-")
        rows.append([v["name"], *_energy_cells(v), "-" if e is None else f"{e['pue']:g}", where])
        for n in (["no power figure for its hardware: energy not modelled"] if e is None else e["notes"]):
            by_note.setdefault(n, []).append(v["name"])
    names = [v["name"] for v in d["variants"]]
    notes = [n if who == names else f"{', '.join(who)}: {n}" for n, who in by_note.items()]
    notes.append("energy: busy and warm-up GPU-hours at full board power (TDP), idle at idle "
                 "power, plus the host share where the catalog knows it, x PUE; carbon at the "
                 "region's grid intensity")
    return Table("energy and carbon per 1k inferences", ["variant", "kWh", "gCO2e", "PUE", "grid"],
                 rows, notes)


def comparison_csv_table(d: dict, tables: list):
    """The main table with the energy columns added (CSV has one table), its cells as machine
    values: money as the exact decimal strings of `--json`, p99 in ms and the change in %
    at full precision, no thousands separators; empty where there is no figure (the p99 of
    an overloaded variant, a missing quality)."""
    from infercost.report.tables import Table

    main = tables[0]
    rows = [r + _energy_cells(v) for r, v in zip(main.rows, d["variants"], strict=True)]
    raw = [[v["name"], v["hardware"], v["replicas"], v["cost_per_inference"], v["monthly_cost"],
            v["p99_ms"], {True: "yes", False: "NO", None: ""}[v["slo_met"]], v["quality"],
            v["delta_per_inference_pct"], *_energy_raw(v)] for v in d["variants"]]
    return Table(main.title, main.columns + ["kWh per 1k inferences", "gCO2e per 1k inferences"], rows,
                 main.notes, raw_rows=raw)


def bound_line(v: dict) -> str:
    """One line: what limits variant `v`'s replica at the peak, with the step's parts (ms)."""
    b = v["bound_at_peak"]
    return (f"{v['name']} on {v['hardware']} is {b['limit']}-bound at the peak: {b['work']} "
            f"takes {b['step_ms']:.3g} ms; host {b['host_ms']:.3g} ms vs device {b['device_ms']:.3g} ms "
            f"(compute {b['compute_ms']:.3g}, memory {b['memory_ms']:.3g}"
            + (f", communication {b['comm_ms']:.3g}" if b["comm_ms"] else "") + ")")


def comparison_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    names = [v["name"] for v in d["variants"]]
    cur = d["currency"]
    cost = [float(v["cost_per_inference"]) for v in d["variants"]]
    p99 = [v["p99_ms"] for v in d["variants"]]
    return [
        Chart("bar", "cost per inference by variant", "variant", f"{cur} per inference",
              [Series("cost per inference", names, cost)]),
        Chart("scatter", "cost per inference vs p99 latency", "p99 latency at peak (ms)",
              f"{cur} per inference", [Series("variants", p99, cost, names)]),
    ]
