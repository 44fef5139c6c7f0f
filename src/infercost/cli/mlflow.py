"""`infercost mlflow log (SCENARIO | ATTRIBUTION_DIR) --model-name N --model-version V`:
the cost figures as metrics of an MLflow run and tags on a model version.

mlflow is imported inside the command (the `mlflow` extra), so `infercost --help` stays
fast and works without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, OptionOpt, SetOpt

HELP = (
    "Log cost per 1k requests, cost per request, monthly cost, throughput, p99 latency "
    "(--simulate) and each cost component as metrics of an MLflow run, and tag the model "
    "version with the latest figures. INPUT is a scenario (estimated, or simulated with "
    "--simulate) or a folder written by `infercost attribute --out` (a --slice whose idle "
    "and shared cost the attribution did not spread is logged as allocated_cost_per_request, "
    "... with a note). The store: "
    "--tracking-uri, else MLFLOW_TRACKING_URI, else sqlite mlflow.db here (artifacts in "
    "mlartifacts/)."
)


def register(app: typer.Typer) -> None:
    sub = typer.Typer(name="mlflow", help="Log cost figures to MLflow (the mlflow extra).",
                      no_args_is_help=True, rich_markup_mode=None)
    sub.command("log", help=HELP)(log_command)
    app.add_typer(sub, name="mlflow")


def log_command(
    source: Annotated[Path, typer.Argument(
        metavar="INPUT", help="scenario YAML, or an attribution folder (summary.json)",
        show_default=False)],
    model_name: Annotated[str, typer.Option("--model-name", help="registered model name",
                                            show_default=False)],
    model_version: Annotated[str, typer.Option("--model-version", help="its version (1, 2, ...)",
                                               show_default=False)],
    tracking_uri: Annotated[Optional[str], typer.Option(
        "--tracking-uri", help="MLflow tracking URI (http(s)://, sqlite:///, ...)")] = None,
    experiment: Annotated[str, typer.Option("--experiment", help="experiment for the run")]
    = "infercost",
    artifact_location: Annotated[Optional[str], typer.Option(
        "--artifact-location", help="artifact root of a new experiment "
        "(default: mlartifacts/ beside a sqlite store)")] = None,
    create_model: Annotated[bool, typer.Option(
        "--create-model", help="create the store, registered model or next version if missing")]
    = False,
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="simulate the scenario (adds p99_latency_ms)")] = False,
    seed: Annotated[int, typer.Option("--seed", help="simulation seed")] = 0,
    slice_: Annotated[Optional[list[str]], typer.Option(
        "--slice", help="an attribution slice: key=value, e.g. model_version=3 (repeatable)")]
    = None,
    set_: SetOpt = None,
    catalog: CatalogOpt = None,
    option: OptionOpt = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", help="seconds per HTTP request to the server (no retries unless "
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES is set)")] = 10.0,
    json_: Annotated[bool, typer.Option("--json", help="print what was logged as JSON")] = False,
) -> None:
    import os

    from infercost import api
    from infercost.cli.common import at_least, print_json
    from infercost.errors import InputError

    at_least(seed, "--seed")
    if not timeout > 0:
        raise InputError(f"expected seconds > 0, got {timeout}", "--timeout")
    slice_key: dict[str, str] = {}
    for item in slice_ or []:
        k, eq, v = item.partition("=")
        if not eq or not k.strip():
            raise InputError(f"expected key=value, got {item!r}", "--slice")
        slice_key[k.strip()] = v.strip()
    try:
        import mlflow  # noqa: F401
    except ImportError:
        raise InputError("mlflow is not installed; pip install 'infercost[mlflow]'",
                         "infercost mlflow") from None
    # MLflow retries a refused connection 7 times with backoff by default (minutes);
    # the user's own settings win
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(max(1, round(timeout))))

    from infercost.integrations.figures import load_figures
    from infercost.integrations.mlflow import log_figures

    figures = load_figures(source, simulate=simulate, seed=seed, catalog=catalog, option=option,
                           overrides=api.overrides_from_sets(set_), slice_key=slice_key or None)
    logged = log_figures(figures, model_name=model_name, model_version=model_version,
                         tracking_uri=tracking_uri, experiment=experiment,
                         artifact_location=artifact_location, create_model=create_model,
                         input_path=str(source))
    if json_:
        print_json(logged.to_dict())
    else:
        print(render(logged, figures.currency))


def render(logged, currency: str, width: int = 80) -> str:
    """The terminal report: the run, the model version, each metric (money in
    `currency`), notes; lines wrapped to `width` columns."""
    import textwrap

    lines = [f"MLflow run {logged.run_id} (experiment {logged.experiment_id})",
             f"  model {logged.model_name} version {logged.model_version}: "
             f"{len(logged.model_version_tags)} infercost.* tags set"]
    lines += [f"  created {c}" for c in logged.created]
    lines.append(f"  metrics ({currency}; monthly_cost and component.* per month of 730 h):")
    pad = min(36, max((len(k) for k in logged.metrics), default=0))
    for k, v in logged.metrics.items():
        unit = "ms" if k.endswith("_ms") else "req/s" if k.endswith("_rps") else currency
        lines.append(f"    {k:<{pad}}  {_num(v)} {unit}")
    lines += [f"  note: {n}" for n in logged.notes]
    out: list[str] = []
    for line in lines:
        out += textwrap.wrap(line, width, subsequent_indent="      ", break_on_hyphens=False,
                             break_long_words=False) or [""]
    return "\n".join(out)


def _num(v: float) -> str:
    """A figure to read: thousands separated to the cent from 1 up, four significant
    digits below (unit costs are often far below a cent); exact values are in --json
    and the model version's tags."""
    return f"{v:,.2f}" if abs(v) >= 1 else f"{v:.4g}"
