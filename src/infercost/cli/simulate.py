"""`infercost simulate SCENARIO`: discrete-event simulation of the serving fleet."""

from __future__ import annotations

from typing import Annotated

import typer

from infercost.cli.options import CatalogOpt, OptionOpt, ScenarioArg, SetOpt, VerboseOpt

SeedOpt = Annotated[int, typer.Option("--seed", help="random seed (same seed, same output)")]
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
        verbose: VerboseOpt = False,
    ) -> None:
        """Simulate serving under real traffic: queues, batching, autoscaling, spot, tiers.

        Reports latency percentiles, queue wait, SLO attainment, utilisation, replica-hours
        (busy, idle, warm-up) and the itemised cost per inference.
        """
        from infercost import api
        from infercost.cli.common import print_json

        bar = _ProgressBar()
        try:
            result = api.simulate(scenario, seed=seed, catalog=catalog, option=option, force=force,
                                  progress=bar if bar.enabled else None,
                                  **api.overrides_from_sets(set_))
        finally:
            bar.close()
        if json_:
            print_json(result.to_dict(series=series))
            return
        _print(result.engine, verbose)


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


def _print(r, verbose: bool = False) -> None:
    """The run as a person reads it at 80 columns (user text escaped)."""
    from infercost.report.terminal import (
        esc,
        make_console,
        new_table,
        percentile_txt,
        print_breakdown,
        print_wrapped,
    )

    con = make_console()
    req = r.requests
    con.print(f"[bold]{esc(r.name)}[/bold]: simulated {r.duration_s:g} s, seed {r.seed}", highlight=False)
    print_wrapped(con, f"requests: {req['arrived']:,} arrived, {req['served']:,} served, "
                       f"{req['dropped']:,} dropped, {req['abandoned']:,} abandoned (client timeout), "
                       f"{req['in_flight_end']:,} in flight at the end, {req['late']:,} late", indent="  ")

    t = new_table()
    t.add_column("ms", no_wrap=True)
    for c in ("mean", "p50", "p95", "p99", "max"):
        t.add_column(c, justify="right", no_wrap=True)
    for label, d in (("latency", r.latency_ms), ("queue wait", r.queue_wait_ms),
                     ("TTFT", r.ttft_ms), ("TPOT", r.tpot_ms)):
        if d:
            t.add_row(label, f"{d['mean']:,.3f}", percentile_txt(d["p50"]), percentile_txt(d["p95"]), percentile_txt(d["p99"]), f"{d['max']:,.3f}")
    con.print(t)
    if r.slo.get("attainment") is not None:
        con.print(f"SLO ({r.slo['latency_ms']} ms): {r.slo['attainment']:.4%} met", highlight=False)
    if r.slo.get("ttft_attainment") is not None:
        con.print(f"TTFT SLO ({r.slo['ttft_ms']:g} ms): {r.slo['ttft_attainment']:.4%} met", highlight=False)
    rh = r.replica_hours
    print_wrapped(con, f"utilisation {r.utilization:.1%}; replica-hours {rh['total']:.2f} "
                       f"(busy {rh['busy']:.2f}, idle {rh['idle']:.2f}, warm-up {rh['warmup']:.2f}); "
                       f"scale-ups {r.fleet['scale_ups']}, preemptions {r.fleet['preemptions']}", indent="  ")
    if r.phases:
        t = new_table("phases")
        for c, j in (("phase", "left"), ("window s", "left"), ("p99 ms", "right"),
                     ("mean\nreplicas", "right"), ("accelerator cost\nper inference", "right"),
                     ("dropped", "right")):
            t.add_column(c, justify=j, no_wrap=True)
        for name, ph in r.phases.items():
            t.add_row(esc(name), esc(f"[{ph['from_s']:g}, {ph['to_s']:g})"), f"{ph['latency_p99_ms']:,}",
                      f"{ph['replicas_mean']}", esc(ph["accelerator_cost_per_inference"] or "n/a"),
                      f"{ph['dropped']:,}")
        con.print(t)
    for note in r.notes:
        print_wrapped(con, f"note: {note}", indent="  ")
    if r.cost is not None:
        print_breakdown(r.cost, title=f"{r.name}: simulated cost", subtitle="from simulated replica-hours",
                        console=con, verbose=verbose)
