"""`infercost optimize SCENARIO`: the cheapest plan meeting the SLOs, screened then simulated."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, ScenarioArg, SetOpt
from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt


def register(app: typer.Typer) -> None:
    @app.command()
    def optimize(
        scenario: ScenarioArg,
        confidence: Annotated[Optional[float], typer.Option(
            "--confidence", help="meet the SLO with service time at this quantile (perf error bars)")] = None,
        quality_floor: Annotated[Optional[float], typer.Option(
            "--quality-floor", help="lowest acceptable model.quality.value")] = None,
        finalists: Annotated[int, typer.Option("--finalists", help="cheapest plans to simulate")] = 20,
        no_simulate: Annotated[bool, typer.Option("--no-simulate", help="screen only")] = False,
        hardware: Annotated[Optional[list[str]], typer.Option(
            "--hardware", help="restrict to these catalog hardware ids, GPU:PROFILE for a MIG slice (repeatable)")] = None,
        engine: Annotated[Optional[list[str]], typer.Option(
            "--engine", help="restrict to these serving engines, e.g. vllm or vllm@0.6 (repeatable)")] = None,
        mig: Annotated[Optional[list[str]], typer.Option(
            "--mig", help="restrict MIG slices to these profiles, e.g. 1g.10gb (repeatable)")] = None,
        no_mig: Annotated[bool, typer.Option("--no-mig", help="search whole GPUs only")] = False,
        no_autoscale: Annotated[bool, typer.Option(
            "--no-autoscale", help="fixed fleets only (no autoscaling bounds)")] = False,
        backend: Annotated[str, typer.Option(
            "--backend", help="where screening chunks and simulations run: local or ray")] = "local",
        ray: Annotated[bool, typer.Option("--ray", help="same as --backend ray")] = False,
        seed: Annotated[int, typer.Option("--seed", help="simulation seed")] = 0,
        set_: SetOpt = None,
        catalog: CatalogOpt = None,
        json_: JsonOpt = False,
        md: MdOpt = False,
        csv: CsvOpt = None,
        xlsx: XlsxOpt = None,
        html: HtmlOpt = None,
    ) -> None:
        """Search hardware or MIG slice x precision x engine x GPUs x batching x replicas or
        autoscaling bounds x pricing for the cheapest plan."""
        from infercost import api
        from infercost.cli.common import at_least
        from infercost.cli.outputs import emit

        at_least(finalists, "--finalists")
        at_least(seed, "--seed")
        from infercost.errors import InputError

        if ray and backend != "local":
            raise InputError(f"give --ray or --backend {backend}, not both", "--backend")
        if no_mig and mig:
            raise InputError("give --mig PROFILE or --no-mig, not both", "--mig")
        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        from infercost.cli.common import working

        with working("screening candidates, then simulating the finalists"):
            res = api.optimize(sc, catalog=catalog, confidence=confidence, quality_floor=quality_floor,
                      finalists=finalists, simulate=not no_simulate, seed=seed, hardware=hardware,
                      engines=engine, mig=[] if no_mig else mig, autoscale=not no_autoscale,
                      backend="ray" if ray else backend)
        d = res.to_dict()
        emit(d, optimize_tables(d), optimize_charts(d), f"{sc.name}: optimize",
             json_=json_, md=md, csv=csv, xlsx=xlsx, html=html, csv_table=csv_table(d))


_MET = {True: "yes", False: "NO", None: "-"}


def _row(c: dict, sim: bool) -> list[str]:
    """plan, per month, screened p99, then utilisation (sim False) or the simulation's p99,
    SLO attainment and whether the SLO is met (sim True)."""
    from decimal import Decimal

    from infercost.report.terminal import money_txt

    r = [c["label"], money_txt(Decimal(c["monthly_accelerator_cost"]), 0), f"{c['p99_ms']:,.1f}"]
    if not sim:
        return r + [f"{c['utilization']:.1%}", _MET[c.get("slo_met")]]
    s = c.get("simulated") or {}
    return r + [f"{s['p99_ms']:,.1f}" if s.get("p99_ms") is not None else "-",
                f"{s['slo_attainment']:.1%}" if s.get("slo_attainment") is not None else "-",
                _MET[c.get("slo_met")]]


def headline(d: dict) -> str:
    """The first table's title: says plainly when the winner misses the SLO in simulation."""
    cur = d["currency"]
    w = d["winner"]
    if w.get("slo_met") is False:
        p = (w.get("simulated") or {}).get("p99_ms")
        got = f"simulated p99 {p:,.1f} ms" if p is not None else "simulation failed"
        return (f"{d['scenario']}: NO plan meets the SLO in simulation; the closest misses "
                f"it ({got}) ({cur})")
    return f"{d['scenario']}: cheapest plans ({cur})"


def optimize_tables(d: dict) -> list:
    from infercost.report.tables import Table

    cur = d["currency"]
    head = ["plan", "per month", "p99 ms", "util", "SLO"]
    sim = bool(d["finalists"])
    top = [d["winner"]] + d["runners_up"]
    notes = [f"{d['candidates_screened']:,} candidates screened, {d['feasible']:,} meet the SLOs; "
             f"peak {d['peak_rate_per_s']:,.2f} req/s; per month = accelerator cost; p99 ms "
             "screened (analytic, at the peak); SLO: the simulation of the plan's fleet meets the "
             "SLOs, p99 and, for an LLM, TTFT p99 (yes/NO; - not simulated)"] + d["notes"]
    out = [Table(headline(d), head, [_row(c, False) for c in top], notes)]
    out.append(Table(f"Pareto set, cost vs p99 ({cur})", head[:4], [_row(c, False)[:4] for c in d["pareto"]]))
    out.append(energy_table(d))
    if sim:
        out.append(Table("finalists simulated", head[:3] + ["sim p99", "attain", "SLO met"],
                         [_row(c, True) for c in d["finalists"]]))
    return out


def energy_cells(e: dict | None, llm: bool) -> list[str]:
    """kWh and gCO2e per 1k inferences (and per 1M tokens for an LLM) as text; '-' where
    energy is not modelled."""
    def f(x):
        return "-" if x is None else f"{x:.4g}"
    keys = ["kwh_per_1k_inferences", "gco2e_per_1k_inferences"]
    if llm:
        keys += ["kwh_per_1m_tokens", "gco2e_per_1m_tokens"]
    return [f(None if e is None else e.get(k)) for k in keys]


def energy_raw(e: dict | None, llm: bool) -> list[float | None]:
    """The same figures as machine values (CSV, XLSX): floats, None where not modelled."""
    keys = ["kwh_per_1k_inferences", "gco2e_per_1k_inferences"]
    if llm:
        keys += ["kwh_per_1m_tokens", "gco2e_per_1m_tokens"]
    return [None if e is None else e.get(k) for k in keys]


def is_llm(cands: list[dict]) -> bool:
    """True when the plans serve an LLM (they have a TTFT, or a per-1M-tokens energy figure)."""
    return any(c.get("ttft_ms") is not None or (c.get("energy") or {}).get("kwh_per_1m_tokens") is not None
               for c in cands)


def energy_table(d: dict):
    """kWh and gCO2e per 1k inferences (per 1M tokens for LLMs) of the winner and runners-up."""
    from infercost.report.tables import Table

    top = [d["winner"]] + d["runners_up"]
    llm = is_llm(top)
    head = ["#", "kWh/1k inf", "gCO2e/1k inf"] + (["kWh/1M tok", "gCO2e/1M tok"] if llm else [])
    rows = [[str(k + 1), *energy_cells(c.get("energy"), llm)] for k, c in enumerate(top)]
    raw = [[k + 1, *energy_raw(c.get("energy"), llm)] for k, c in enumerate(top)]
    notes = ["#: the cheapest plans above, in order (1 = the winner)"]
    none = [f"#{k + 1}" for k, c in enumerate(top) if c.get("energy") is None]
    if none:
        notes.append(f"{', '.join(none)}: energy not modelled (the notes above say why)")
    for c in top:
        e = c.get("energy")
        if e is not None:
            notes.extend(e["notes"])
            notes.append(f"grid {e['region'] or 'your site'} {e['grid_g_per_kwh']:g} g/kWh")
    return Table("energy and carbon", head, rows, list(dict.fromkeys(notes)), raw_rows=raw)


def csv_table(d: dict):
    """The cheapest plans with their energy columns as machine values (CSV has one table)."""
    from decimal import Decimal

    from infercost.report.tables import Table

    top = [d["winner"]] + d["runners_up"]
    llm = is_llm(top)
    head = ["plan", "per month", "p99 ms", "util", "SLO", "kWh per 1k inferences",
            "gCO2e per 1k inferences"] + (["kWh per 1M tokens", "gCO2e per 1M tokens"] if llm else [])
    rows = [_row(c, False) + energy_cells(c.get("energy"), llm) for c in top]
    raw = [[c["label"], Decimal(c["monthly_accelerator_cost"]), c["p99_ms"], c["utilization"],
            c.get("slo_met"), *energy_raw(c.get("energy"), llm)] for c in top]
    return Table(headline(d), head, rows, raw_rows=raw)


def optimize_charts(d: dict) -> list:
    from infercost.report.plots import Chart, Series

    p = d["pareto"]
    return [Chart("line", "Pareto set: monthly cost vs p99", "p99 latency at peak (ms)",
                  f"{d['currency']} a month", [Series("pareto", [c["p99_ms"] for c in p],
                                                     [float(c["monthly_accelerator_cost"]) for c in p],
                                                     [c["label"] for c in p])])]
