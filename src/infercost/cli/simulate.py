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
ForceOpt = Annotated[bool, typer.Option("--force", help="run even if more than 2e9 requests are expected")]

# a progress bar (on stderr, when it is a terminal) for runs expected to take more than a
# few seconds: 10 M requests at the measured 2-7 M requests/s
PROGRESS_MIN_REQUESTS = 10e6


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
        force: ForceOpt = False,
    ) -> None:
        """Simulate serving under real traffic: queues, batching, autoscaling, spot, tiers.

        Reports latency percentiles, queue wait, SLO attainment, utilisation, replica-hours
        (busy, idle, warm-up) and the itemised cost per inference.
        """
        from infercost.cli.common import print_json
        from infercost.core.catalog import load_catalog
        from infercost.core.scenario import apply_option, load_scenario
        from infercost.errors import InputError
        from infercost.sim.run import simulate as run

        sc = load_scenario(scenario, set_ or [])
        if option:
            sc = apply_option(sc, option)
        try:
            bar = _ProgressBar()
            try:
                result = run(sc, load_catalog(catalog), seed=seed, force=force,
                             progress=bar if bar.enabled else None)
            finally:
                bar.close()
        except InputError as e:
            if e.where is not None and not e.where.startswith(str(scenario)) and "." in e.where \
                    and not e.where.startswith("/"):
                raise type(e)(e.message, f"{scenario}: {e.where}") from None
            raise
        if json_:
            d = result.to_dict()
            if not series:
                d.pop("series", None)
            print_json(d)
            return
        _print(result)


class _ProgressBar:
    """progress(arrived, expected): says up front how many requests the run will simulate and
    shows a rich progress bar on stderr, for runs of at least PROGRESS_MIN_REQUESTS when stderr
    is a terminal (never on stdout, so --json stays clean)."""

    def __init__(self) -> None:
        import sys

        self.enabled = sys.stderr.isatty()
        self._progress = None
        self._task = None

    def __call__(self, arrived: int, expected: float) -> None:
        if self._progress is None:
            if expected < PROGRESS_MIN_REQUESTS:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            err = Console(stderr=True)
            err.print(f"simulating about {expected:,.0f} requests (mean arrival rate x duration_s)",
                      markup=False, highlight=False)
            self._progress = Progress("simulate", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                                      console=err, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("simulate", total=int(expected))
        self._progress.update(self._task, completed=arrived)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _print(r) -> None:
    from infercost.cli.common import console

    con = console()
    req = r.requests
    con.print(f"[bold]{r.name}[/bold]: simulated {r.duration_s:g} s, seed {r.seed}")
    con.print(f"requests: {req['arrived']:,} arrived, {req['served']:,} served, "
              f"{req['dropped']:,} dropped, {req['abandoned']:,} abandoned (client timeout), "
              f"{req['in_flight_end']:,} in flight at the end, {req['late']:,} late")

    def q(x: float) -> str:  # a percentile, to the digit its 0.1% error bound reaches
        from infercost.sim.metrics import error_decimals

        return f"{x:,.{max(0, error_decimals(x))}f}"

    def row(label, d):
        if d:
            con.print(f"{label:<14} mean {d['mean']:>9.3f} p50 {q(d['p50']):>7} p95 {q(d['p95']):>7} "
                      f"p99 {q(d['p99']):>7} max {d['max']:>9.3f}")

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
    for note in r.notes:
        con.print(f"note: {note}", markup=False, highlight=False)
    if r.cost is not None:
        from infercost.report.terminal import print_breakdown

        print_breakdown(r.cost, title=f"{r.name}: simulated cost", subtitle="from simulated replica-hours")
