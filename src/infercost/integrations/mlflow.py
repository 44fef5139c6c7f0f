"""Log infercost's figures to MLflow: a run's metrics, and tags on a model version.

    from infercost.integrations.figures import load_figures
    from infercost.integrations.mlflow import log_figures

    logged = log_figures(load_figures("examples/chatbot.yaml"), model_name="chatbot",
                         model_version="3", tracking_uri="sqlite:///mlflow.db")

What is written (names a user charts; money in `CostFigures.currency`):

- a run in experiment `experiment` (default "infercost"), named
  "infercost <source> <model>/v<version>", with metrics `cost_per_1k_requests`,
  `cost_per_request`, `monthly_cost` (per 730 h), `throughput_rps` (requests/s),
  `p99_latency_ms` (simulate only) and `component.<name>` (monthly cost of each
  breakdown component); params `currency`, `source`, `name`; tags `infercost.source`,
  `infercost.model_name`, `infercost.model_version`; the full result as the artifact
  `infercost/<source>.json`.
- on the model version, tags `infercost.<metric>` with the same figures as exact
  decimal strings (metrics are floats in MLflow), `infercost.currency`,
  `infercost.source`, `infercost.run_id` (the run above) and `infercost.name`: the
  latest figures for that version, overwritten by the next log.

The model version must exist, unless `create_model=True`: then a missing registered
model is created, and a missing version is created from the run (its source the run's
artifact folder, its run the run) when it is the next version number.

Tracking URI: the argument, else MLFLOW_TRACKING_URI, else a local SQLite store
`mlflow.db` in the working folder with artifacts in `mlartifacts/` beside it. Network
retries and timeouts follow MLflow's MLFLOW_HTTP_REQUEST_MAX_RETRIES and
MLFLOW_HTTP_REQUEST_TIMEOUT. Every failure a user can fix (unreachable server, no such
model version, unsupported URI) raises `InputError` naming the URI or the option.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from infercost.errors import InputError
from infercost.integrations.figures import CostFigures

DEFAULT_EXPERIMENT = "infercost"
DEFAULT_DB = "mlflow.db"
DEFAULT_ARTIFACTS = "mlartifacts"

#: Metric name -> the CostFigures field it holds (components are added per name).
METRICS = {
    "cost_per_1k_requests": "cost_per_1k_requests",
    "cost_per_request": "cost_per_request",
    "monthly_cost": "monthly_cost",
    "throughput_rps": "throughput_rps",
    "p99_latency_ms": "p99_latency_ms",
}


@dataclass(frozen=True)
class Logged:
    """What `log_figures` wrote: the run, its metrics (floats as stored), params, run
    tags, the model version's new tags (exact strings), whether the registered model
    or version was created, and notes (figures the source does not give)."""

    run_id: str
    experiment_id: str
    tracking_uri: str
    model_name: str
    model_version: str
    metrics: dict[str, float]
    params: dict[str, str]
    tags: dict[str, str]
    model_version_tags: dict[str, str]
    created: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, what `infercost mlflow log --json` prints."""
        return {"run_id": self.run_id, "experiment_id": self.experiment_id,
                "tracking_uri": self.tracking_uri,
                "model": {"name": self.model_name, "version": self.model_version},
                "metrics": self.metrics, "params": self.params, "tags": self.tags,
                "model_version_tags": self.model_version_tags, "created": self.created,
                "notes": self.notes}


def metric_values(f: CostFigures) -> dict[str, float]:
    """MLflow metrics (name -> float) of the figures; figures the source lacks are left
    out (see `f.notes`). Component names are kept to MLflow's allowed characters."""
    out: dict[str, float] = {}
    for name, attr in METRICS.items():
        v = getattr(f, attr)
        if v is not None:
            out[name] = float(v)
    for name, v in f.components.items():
        out[f"component.{_safe(name)}"] = float(v)
    return out


def version_tags(f: CostFigures) -> dict[str, str]:
    """Model-version tags: each figure as an exact string (money as the decimal string of
    the breakdown), plus currency, source and name."""
    out = {"infercost.source": f.source, "infercost.currency": f.currency,
           "infercost.name": f.name}
    for name, attr in METRICS.items():
        v = getattr(f, attr)
        if v is not None:
            out[f"infercost.{name}"] = str(v)
    return out


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_\-. /]", "_", name)


def resolve_tracking_uri(uri: str | None, cwd: str | Path | None = None) -> str:
    """The tracking URI to use: `uri`, else MLFLOW_TRACKING_URI, else
    sqlite:///<cwd>/mlflow.db (absolute)."""
    if uri:
        return uri
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    return "sqlite:///" + str((Path(cwd or Path.cwd()) / DEFAULT_DB).resolve())


def _sqlite_path(uri: str) -> Path | None:
    """The database file of a sqlite:/// URI (sqlite:////abs or sqlite:///relative), or
    None for any other URI and an in-memory database."""
    if not uri.startswith("sqlite:///"):
        return None
    rest = uri[len("sqlite:///"):].split("?", 1)[0]
    return Path(rest) if rest and rest != ":memory:" else None


def redact(uri: str) -> str:
    """The URI without a password (http://user:secret@host -> http://user:***@host)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return uri
    if parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    return uri


def _cause(e: BaseException) -> str:
    """A short reason from an MLflow / requests error message."""
    text = str(e)
    for pat in (r"\[Errno -?\d+\] ([^'\")\]]+)", r"(Read timed out)", r"(timed out)",
                r"error code (\d+ != 200)", r"(Connection refused)"):
        m = re.search(pat, text)
        if m:
            return m.group(1).strip()
    return text.strip().splitlines()[0][:200] if text.strip() else type(e).__name__


def _where(given: str | None, uri: str) -> str:
    """Name the store and where its URI came from: the option, the environment or the
    default (password redacted)."""
    if given:
        return f"--tracking-uri {redact(uri)}"
    if os.environ.get("MLFLOW_TRACKING_URI") == uri:
        return f"MLFLOW_TRACKING_URI={redact(uri)}"
    return f"default store {redact(uri)}"


def _mlflow_error(e: Exception, where: str) -> InputError:
    """An MLflow failure as one line naming the store (`where`)."""
    text = str(e)
    if type(e).__name__ == "UnsupportedModelRegistryStoreURIException" or \
            "unsupported URI" in text or "Could not find a registered" in text:
        return InputError("unsupported tracking URI (expected http(s)://, sqlite:///, "
                          "postgresql://, mysql://, file:, databricks)", where)
    if "API request to" in text or "Max retries" in text or "Connection" in text \
            or "timed out" in text:
        return InputError(f"cannot reach the MLflow tracking server ({_cause(e)})", where)
    return InputError(f"MLflow refused: {_cause(e)}", where)


def log_figures(figures: CostFigures, *, model_name: str, model_version: str | int,
                tracking_uri: str | None = None, experiment: str = DEFAULT_EXPERIMENT,
                artifact_location: str | None = None, create_model: bool = False,
                input_path: str | None = None) -> Logged:
    """Log `figures` to a new MLflow run linked to `model_name` version `model_version`
    and tag that version with them (see the module docstring for every name).

    `tracking_uri`: see `resolve_tracking_uri` (the registry is the same store unless
    MLFLOW_REGISTRY_URI is set). `artifact_location`: where a newly created experiment
    keeps artifacts (default: mlartifacts/ beside a SQLite store; the server's choice
    otherwise). `create_model`: create a missing registered model / next version.
    `input_path`: recorded as the run's `input` param. Returns `Logged`. Raises
    `InputError`: version not a whole number >= 1, no such model or version (without
    `create_model`), no SQLite store file (without `create_model`), an unreachable or
    unsupported tracking URI.
    """
    version = str(model_version).strip()
    if not version.isdigit() or int(version) < 1:
        raise InputError(f"expected a whole number >= 1, got {model_version!r}",
                         "--model-version")
    version = str(int(version))
    if not model_name.strip():
        raise InputError("expected a registered model name, got an empty one", "--model-name")
    uri = resolve_tracking_uri(tracking_uri)
    where = _where(tracking_uri, uri)
    db = _sqlite_path(uri)
    if db is not None and not db.is_file() and not create_model:
        raise InputError(f"no such file, so no model {model_name!r} either; pass "
                         "--create-model to create them", where)
    if artifact_location is None and db is not None:
        artifact_location = (db.resolve().parent / DEFAULT_ARTIFACTS).as_uri()

    import logging

    for name in ("mlflow", "alembic"):  # store migrations log at INFO on stderr
        logging.getLogger(name).setLevel(logging.WARNING)
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    try:
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError:  # pragma: no cover - mlflow-skinny without sqlalchemy
        SQLAlchemyError = MlflowException  # type: ignore[assignment,misc]

    registry = os.environ.get("MLFLOW_REGISTRY_URI") or uri
    run_id = None
    client = None
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=registry)
        created, mv = _model_version(client, model_name, version, create_model, uri)
        exp = client.get_experiment_by_name(experiment)
        if exp is None:
            eid = client.create_experiment(experiment, artifact_location=artifact_location)
            created.append(f"experiment {experiment}")
        else:
            eid = exp.experiment_id
        run_tags = {"infercost.source": figures.source, "infercost.model_name": model_name,
                    "infercost.model_version": version}
        run = client.create_run(eid, run_name=f"infercost {figures.source} "
                                f"{model_name}/v{version}", tags=run_tags)
        run_id = run.info.run_id
        metrics = metric_values(figures)
        params = {"currency": figures.currency, "source": figures.source,
                  "name": figures.name[:500]}
        if input_path:
            params["input"] = str(input_path)[:500]
        _log_batch(client, run_id, metrics, params)
        client.log_text(run_id, json.dumps(figures.result, indent=1, sort_keys=True),
                        f"infercost/{figures.source}.json")
        if mv is None:
            mv = client.create_model_version(model_name, source=run.info.artifact_uri,
                                             run_id=run_id,
                                             description="created by infercost mlflow log")
            version = str(mv.version)  # the number the store gave (the next one)
            created.append(f"model version {model_name}/{version}")
        tags = version_tags(figures) | {"infercost.run_id": run_id}
        for k, v in tags.items():
            client.set_model_version_tag(model_name, version, k, v)
        client.set_terminated(run_id, "FINISHED")
    except InputError:
        _fail(client, run_id)
        raise
    except (MlflowException, SQLAlchemyError, OSError) as e:
        _fail(client, run_id)
        raise _mlflow_error(e, where) from None
    return Logged(run_id=run_id, experiment_id=str(eid), tracking_uri=redact(uri),
                  model_name=model_name, model_version=version, metrics=metrics,
                  params=params, tags=run_tags, model_version_tags=tags, created=created,
                  notes=list(figures.notes))


def _fail(client: Any, run_id: str | None) -> None:
    """Mark a half-logged run FAILED (best effort: the store may be what failed)."""
    if client is None or run_id is None:
        return
    try:
        client.set_terminated(run_id, "FAILED")
    except Exception:  # noqa: BLE001 - the original error is the one to report
        pass


def _log_batch(client: Any, run_id: str, metrics: dict[str, float],
               params: dict[str, str]) -> None:
    import time

    from mlflow.entities import Metric, Param

    ts = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric(k, v, ts, 0) for k, v in metrics.items()],
                     params=[Param(k, v) for k, v in params.items()])


def _model_version(client: Any, name: str, version: str, create: bool, uri: str):
    """(created, model version or None to create from the run). Raises InputError."""
    from mlflow.exceptions import MlflowException

    created: list[str] = []
    try:
        client.get_registered_model(name)
    except MlflowException as e:
        if getattr(e, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
            raise
        if not create:
            raise InputError(f"no registered model {name!r} in {redact(uri)}; pass "
                             "--create-model to create it", "--model-name") from None
        if version != "1":
            raise InputError(f"model {name!r} does not exist yet, so --create-model creates "
                             f"version 1, not {version}", "--model-version") from None
        client.create_registered_model(name, description="created by infercost mlflow log")
        created.append(f"registered model {name}")
        return created, None
    try:
        return created, client.get_model_version(name, version)
    except MlflowException as e:
        if getattr(e, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
            raise
    quoted = name.replace("\\", "\\\\").replace("'", "\\'")
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{quoted}'"))
    latest = versions[-1] if versions else 0
    if create and int(version) == latest + 1:
        return created, None
    have = f"versions up to {latest}" if latest else "no versions"
    hint = f"; --create-model creates version {latest + 1} only" if create else \
        ("; pass --create-model to create it" if int(version) == latest + 1 else "")
    raise InputError(f"model {name!r} has no version {version} ({have}){hint}",
                     "--model-version")
