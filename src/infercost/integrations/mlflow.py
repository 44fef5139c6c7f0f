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
  latest figures for that version, overwritten by the next log (an `infercost.*` tag
  the new figures lack is removed).
- an attribution slice whose summary reports idle / shared cost for the whole bill
  instead of spreading it over the slices holds allocated cost only: its money
  figures are named `allocated_cost_per_1k_requests`, `allocated_cost_per_request`,
  `allocated_monthly_cost`, the run and version get the tag `infercost.left_out`
  ("idle,shared", ...), and a note says how much was left out.

The model version must exist, unless `create_model=True`: then a missing registered
model is created, and a missing version is created from the run (its source the run's
artifact folder, its run the run) when it is the next version number.

Tracking URI: the argument, else MLFLOW_TRACKING_URI, else a local SQLite store
`mlflow.db` in the working folder with artifacts in `mlartifacts/` beside it. Network
retries and timeouts follow MLflow's MLFLOW_HTTP_REQUEST_MAX_RETRIES and
MLFLOW_HTTP_REQUEST_TIMEOUT. Every failure a user can fix (unreachable server, a server
that is not MLflow, no such model version, unsupported URI, an artifact folder that
cannot be written) raises `InputError` naming the URI, the path or the option; what
can be checked is checked before the store is touched, and a failed log undoes what
it made (see `log_figures`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

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
#: The money metrics: named `allocated_<name>` when the figures leave idle / shared out.
MONEY = ("cost_per_1k_requests", "cost_per_request", "monthly_cost")


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
            out[_name(f, name)] = float(v)
    for name, v in f.components.items():
        out[f"component.{_safe(name)}"] = float(v)
    return out


def version_tags(f: CostFigures) -> dict[str, str]:
    """Model-version tags: each figure as an exact string (money as the decimal string of
    the breakdown), plus currency, source and name."""
    out = {"infercost.source": f.source, "infercost.currency": f.currency,
           "infercost.name": f.name}
    if f.left_out:
        out["infercost.left_out"] = ",".join(f.left_out)
    for name, attr in METRICS.items():
        v = getattr(f, attr)
        if v is not None:
            out[f"infercost.{_name(f, name)}"] = str(v)
    return out


def _name(f: CostFigures, metric: str) -> str:
    """The metric's name for these figures: money figures that leave part of the bill
    out (an attribution slice without idle / shared) are `allocated_<metric>`."""
    return f.money_prefix + metric if metric in MONEY else metric


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
    m = re.search(r"\[Errno -?\d+\] ([^'\")\]:]+):? ?'([^']+)'", text)
    if m:  # an OSError with its path: "No such file or directory: /proc/nope/art"
        return f"{m.group(1).strip()}: {m.group(2)}"
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
    code = re.search(r"error code (\d+) != 200", text)
    if code:  # an HTTP answer that is not an MLflow API response
        if code.group(1) == "404":
            return InputError("the server answered but is not an MLflow tracking server "
                              "(HTTP 404 on the MLflow API)", where)
        return InputError(f"the server answered HTTP {code.group(1)} on the MLflow API, "
                          "not an MLflow response", where)
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
    `InputError`: version not a whole number >= 1, an empty tracking URI, no such model
    or version (without `create_model`), no SQLite store file (without `create_model`;
    with it, a version other than 1), a local artifact location that cannot be written,
    an unreachable, unsupported or non-MLflow tracking URI.

    Everything checkable is checked before the store is touched. When logging fails
    after that, what this call made is undone: its run and registered model are
    deleted, and a SQLite store file (and artifact folder) it created is removed.
    """
    version = str(model_version).strip()
    if not version.isdigit() or int(version) < 1:
        raise InputError(f"expected a whole number >= 1, got {model_version!r}",
                         "--model-version")
    version = str(int(version))
    if not model_name.strip():
        raise InputError("expected a registered model name, got an empty one", "--model-name")
    if tracking_uri is not None and not tracking_uri.strip():
        raise InputError("expected a tracking URI (http(s)://, sqlite:///, ...), got an "
                         "empty one; leave the option out for MLFLOW_TRACKING_URI or "
                         "./mlflow.db", "--tracking-uri")
    uri = resolve_tracking_uri(tracking_uri)
    where = _where(tracking_uri, uri)
    db = _sqlite_path(uri)
    new_store = db is not None and not db.exists()
    if new_store and not create_model:
        raise InputError(f"no such file, so no model {model_name!r} either; pass "
                         "--create-model to create them", where)
    if new_store and version != "1":
        raise InputError(f"{where} does not exist yet, so --create-model creates model "
                         f"{model_name!r} version 1, not {version}", "--model-version")
    if db is not None and db.exists() and not db.is_file():
        raise InputError("expected a SQLite database file, got a folder", where)
    if new_store and not db.absolute().parent.is_dir():
        raise InputError(f"no such folder: {db.absolute().parent}", where)
    given_location = artifact_location is not None
    if artifact_location is None and db is not None:
        artifact_location = (db.resolve().parent / DEFAULT_ARTIFACTS).as_uri()
    art_dir = _local_dir(artifact_location) if artifact_location else None
    if art_dir is not None:
        _check_writable(art_dir, "--artifact-location" if given_location else
                        f"{where}: artifact folder")
    new_art_dir = art_dir is not None and not art_dir.exists()

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
    made = _Made()
    client = None
    try:
        client = MlflowClient(tracking_uri=uri, registry_uri=registry)
        need_model, mv = _model_version(client, model_name, version, create_model, uri)
        exp = client.get_experiment_by_name(experiment)
        if exp is not None and exp.lifecycle_stage != "active":
            raise InputError(f"experiment {experiment!r} is deleted in {redact(uri)}; "
                             "restore it or pick another", "--experiment")
        created: list[str] = []
        if exp is None:
            eid = client.create_experiment(experiment, artifact_location=artifact_location)
            created.append(f"experiment {experiment}")
        else:
            eid = exp.experiment_id
        run_tags = {"infercost.source": figures.source, "infercost.model_name": model_name,
                    "infercost.model_version": version}
        if figures.left_out:
            run_tags["infercost.left_out"] = ",".join(figures.left_out)
        run = client.create_run(eid, run_name=f"infercost {figures.source} "
                                f"{model_name}/v{version}", tags=run_tags)
        made.run_id = run.info.run_id
        metrics = metric_values(figures)
        params = {"currency": figures.currency, "source": figures.source,
                  "name": figures.name[:500]}
        if input_path:
            params["input"] = str(input_path)[:500]
        _log_batch(client, made.run_id, metrics, params)
        client.log_text(made.run_id, json.dumps(figures.result, indent=1, sort_keys=True),
                        f"infercost/{figures.source}.json")
        if need_model:
            client.create_registered_model(model_name,
                                           description="created by infercost mlflow log")
            made.model = model_name
            created.append(f"registered model {model_name}")
        if mv is None:
            mv = client.create_model_version(model_name, source=run.info.artifact_uri,
                                             run_id=made.run_id,
                                             description="created by infercost mlflow log")
            version = str(mv.version)  # the number the store gave (the next one)
            created.append(f"model version {model_name}/{version}")
        tags = version_tags(figures) | {"infercost.run_id": made.run_id}
        for k in (mv.tags or {}):  # the previous log's figures this one does not have
            if k.startswith("infercost.") and k not in tags:
                client.delete_model_version_tag(model_name, version, k)
        for k, v in tags.items():
            client.set_model_version_tag(model_name, version, k, v)
        client.set_terminated(made.run_id, "FINISHED")
    except InputError:
        _undo(client, made, db if new_store else None, art_dir if new_art_dir else None)
        raise
    except (MlflowException, SQLAlchemyError, OSError) as e:
        _undo(client, made, db if new_store else None, art_dir if new_art_dir else None)
        raise _mlflow_error(e, where) from None
    return Logged(run_id=made.run_id, experiment_id=str(eid), tracking_uri=redact(uri),
                  model_name=model_name, model_version=version, metrics=metrics,
                  params=params, tags=run_tags, model_version_tags=tags, created=created,
                  notes=list(figures.notes))


def _local_dir(location: str) -> Path | None:
    """The folder of a local artifact location (a plain path or a file: URI), or None
    for a remote one (s3://, gs://, mlflow-artifacts:, ...)."""
    parts = urlsplit(location)
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    if len(parts.scheme) <= 1:  # no scheme, or a Windows drive letter
        return Path(location)
    return None


def _check_writable(folder: Path, where: str) -> None:
    """Raise `InputError` naming `folder` unless it is, or can be made, a writable
    folder: a folder is made and removed in its nearest existing parent to prove it."""
    import tempfile

    p = folder.absolute()
    if p.exists() and not p.is_dir():
        raise InputError(f"expected a folder for artifacts, got a file: {p}", where)
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"cannot write the artifact folder {p} ({probe} is a file)",
                         where)
    try:
        Path(tempfile.mkdtemp(prefix=".infercost-", dir=probe)).rmdir()
    except OSError as e:
        raise InputError(f"cannot write the artifact folder {p} "
                         f"({e.strerror or e} in {probe})", where) from None


@dataclass
class _Made:
    """What one `log_figures` call created in the store, to undo on failure."""

    run_id: str | None = None
    model: str | None = None


def _undo(client: Any, made: _Made, new_db: Path | None, new_art_dir: Path | None) -> None:
    """Undo a failed log (best effort: the store may be what failed): delete the run and
    registered model this call made; remove the SQLite store file and artifact folder it
    created."""
    import shutil

    if client is not None:
        for step in (lambda: made.model and client.delete_registered_model(made.model),
                     lambda: made.run_id and client.delete_run(made.run_id)):
            try:
                step()
            except Exception:  # noqa: BLE001 - the original error is the one to report
                pass
    if new_db is not None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(str(new_db) + suffix).unlink(missing_ok=True)
    if new_art_dir is not None:
        shutil.rmtree(new_art_dir, ignore_errors=True)


def _log_batch(client: Any, run_id: str, metrics: dict[str, float],
               params: dict[str, str]) -> None:
    import time

    from mlflow.entities import Metric, Param

    ts = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric(k, v, ts, 0) for k, v in metrics.items()],
                     params=[Param(k, v) for k, v in params.items()])


def _model_version(client: Any, name: str, version: str, create: bool, uri: str):
    """(whether to create the registered model, the model version or None to create it
    from the run). Creates nothing. Raises InputError."""
    from mlflow.exceptions import MlflowException

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
        return True, None
    try:
        return False, client.get_model_version(name, version)
    except MlflowException as e:
        if getattr(e, "error_code", "") != "RESOURCE_DOES_NOT_EXIST":
            raise
    quoted = name.replace("\\", "\\\\").replace("'", "\\'")
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{quoted}'"))
    latest = versions[-1] if versions else 0
    if create and int(version) == latest + 1:
        return False, None
    have = f"versions up to {latest}" if latest else "no versions"
    hint = f"; --create-model creates version {latest + 1} only" if create else \
        ("; pass --create-model to create it" if int(version) == latest + 1 else "")
    raise InputError(f"model {name!r} has no version {version} ({have}){hint}",
                     "--model-version")
