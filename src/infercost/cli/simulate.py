"""`infercost simulate SCENARIO`: discrete-event simulation of the serving fleet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
SetOpt = Annotated[Optional[list[str]], typer.Option("--set", help="override a key: path=value (repeatable)")]
SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (same seed, same output)")]
CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="YAML overriding or adding catalog entries")]
OptionOpt = Annotated[Optional[str], typer.Option("--option", help="apply a named variant from `options:`")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON (latency, utilisation, cost, time series)")]
SeriesOpt = Annotated[bool, typer.Option("--series/--no-series", help="include the per-minute time series in --json")]


def register(app: typer.Typer) -> None:
    @app.command()
    def simulate(
        scenario: ScenarioArg,
        set_: SetOpt = None,
        seed: SeedOpt = 0,
        catalog: CatalogOpt = None,
        option: OptionOpt = None,
        json_: JsonOpt = False,
        series: SeriesOpt = True,
    ) -> None:
        """Simulate serving under real traffic: queues, batching, autoscaling, spot, tiers.

        Reports latency percentiles, queue wait, SLO attainment, utilisation, replica-hours
        (busy, idle, warm-up) and the itemised cost per inference.
        """
        from infercost import api
        from infercost.cli.common import print_json

        result = api.simulate(scenario, seed=seed, catalog=catalog, option=option,
                              **api.overrides_from_sets(set_))
        if json_:
            print_json(result.to_dict(series=series))
            return
        _print(result.engine)


def _print(r) -> None:
    from infercost.cli.common import console

    con = console()
    req = r.requests
    con.print(f"[bold]{r.name}[/bold]: simulated {r.duration_s:g} s, seed {r.seed}")
    con.print(f"requests: {req['arrived']:,} arrived, {req['served']:,} served, "
              f"{req['dropped']:,} dropped, {req['in_flight_end']:,} in flight at the end, {req['late']:,} late")

    def row(label, d):
        if d:
            con.print(f"{label:<16} mean {d['mean']:>10.3f}  p50 {d['p50']:>10.3f}  p95 {d['p95']:>10.3f}  "
                      f"p99 {d['p99']:>10.3f}  max {d['max']:>10.3f}")

    row("latency ms", r.latency_ms)
    row("queue wait ms", r.queue_wait_ms)
    row("TTFT ms", r.ttft_ms)
    row("TPOT ms", r.tpot_ms)
    if r.slo.get("attainment") is not None:
        con.print(f"SLO ({r.slo['latency_ms']} ms): {r.slo['attainment']:.4%} met")
    rh = r.replica_hours
    con.print(f"utilisation {r.utilization:.1%}; replica-hours {rh['total']:.2f} "
              f"(busy {rh['busy']:.2f}, idle {rh['idle']:.2f}, warm-up {rh['warmup']:.2f}); "
              f"scale-ups {r.fleet['scale_ups']}, preemptions {r.fleet['preemptions']}")
    if r.phases:
        for name, ph in r.phases.items():
            con.print(f"  {name:<7} [{ph['from_s']:g}, {ph['to_s']:g}) s: p99 {ph['latency_p99_ms']} ms, "
                      f"mean replicas {ph['replicas_mean']}, accelerator cost/inference "
                      f"{ph['accelerator_cost_per_inference']}, dropped {ph['dropped']}")
    if r.cost is not None:
        from infercost.report.terminal import print_breakdown

        print_breakdown(r.cost, title=f"{r.name}: simulated cost", subtitle="from simulated replica-hours")
