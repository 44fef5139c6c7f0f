"""`infercost mlflow log` against a real MLflow store (SQLite in a temporary folder).

The module shares one store (its migrations take a few seconds the first time). The
registered model `small` and its version 1 are created here with MlflowClient, as a
user's training pipeline would; `--create-model` (the command creating a missing model or
the next version) has its own store and test. Every figure is read back with
MlflowClient: the run's metrics, params and tags, and the model version's tags.
"""

from __future__ import annotations

import json
import socket
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES

mlflow = pytest.importorskip("mlflow")

# One H100 SXM replica-hour on AWS on-demand is 6.88 USD (p5.48xlarge 55.04 USD/h / 8
# GPUs, the bundled catalog); a constant 50 ms service time, no other costs.
SMALL = {
    "name": "small",
    "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}, "duration_s": 300},
    "service": {"distribution": "constant", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "pricing": {"provider": "aws", "plan": "on-demand"},
                   "replicas": 2},
}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """(tracking URI, folder, scenario path): a SQLite store holding registered model
    `small` with version 1 (made here, as a training pipeline would)."""
    from mlflow import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("small")
    mv = client.create_model_version("small", source=(folder / "model").as_uri())
    assert str(mv.version) == "1"
    scenario = folder / "small.yaml"
    scenario.write_text(yaml.safe_dump(SMALL))
    return uri, folder, scenario


@pytest.fixture(scope="module")
def client(store):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=store[0], registry_uri=store[0])


def _log(cli, *args):
    code, out, err = cli("mlflow", "log", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_estimate_figures_are_held_by_the_model_version(cli, store, client):
    uri, folder, scenario = store
    logged = _log(cli, scenario, "--model-name", "small", "--model-version", "1",
                  "--tracking-uri", uri)
    run = client.get_run(logged["run_id"])
    m = run.data.metrics
    # busy: 10 req/s x 0.05 s = 0.5 replica, x 730 h = 365 GPU-h x 6.88 = 2,511.20 USD
    # idle: 2 x 730 - 365 = 1,095 GPU-h x 6.88 = 7,533.60 USD; total 10,044.80 USD/month
    # requests: 10 x 730 x 3600 = 26,280,000; per 1k: 10,044.80 / 26,280 = 0.3822222...
    assert m["component.accelerator_busy"] == pytest.approx(2511.2)
    assert m["component.accelerator_idle"] == pytest.approx(7533.6)
    assert m["monthly_cost"] == pytest.approx(10044.8)
    assert m["cost_per_1k_requests"] == pytest.approx(10044.8 / 26280, rel=1e-12)
    assert m["cost_per_request"] == pytest.approx(10044.8 / 26_280_000, rel=1e-12)
    assert m["throughput_rps"] == pytest.approx(10.0)  # 26,280,000 / (730 x 3600)
    assert "p99_latency_ms" not in m  # an estimate has no latency: said in a note
    assert any("p99_latency_ms" in n for n in logged["notes"])
    assert run.data.params["currency"] == "USD" and run.data.params["source"] == "estimate"
    assert run.data.tags["infercost.source"] == "estimate"
    assert run.data.tags["infercost.model_version"] == "1"
    assert run.info.status == "FINISHED"
    # the version holds the latest figures, money as exact decimal strings
    tags = client.get_model_version("small", "1").tags
    assert tags["infercost.run_id"] == logged["run_id"]
    assert tags["infercost.source"] == "estimate" and tags["infercost.currency"] == "USD"
    assert Decimal(tags["infercost.monthly_cost"]) == Decimal("10044.8")
    assert Decimal(tags["infercost.cost_per_1k_requests"]).quantize(Decimal("1e-12")) == \
        Decimal("0.382222222222")
    assert logged["model_version_tags"] == {k: v for k, v in tags.items()
                                            if k.startswith("infercost.")}
    # the full result is the run's artifact, in the explicit artifact location
    art = client.download_artifacts(logged["run_id"], "infercost/estimate.json",
                                    str(folder / "dl"))
    assert json.loads(Path(art).read_text())["total"]["monthly_cost"] == "10044.8"
    assert run.info.artifact_uri.startswith((folder / "mlartifacts").as_uri())


def test_simulation_adds_p99_and_replaces_the_version_tags(cli, store, client):
    uri, _, scenario = store
    logged = _log(cli, scenario, "--model-name", "small", "--model-version", "1",
                  "--tracking-uri", uri, "--simulate", "--seed", "3")
    m = client.get_run(logged["run_id"]).data.metrics
    # every request is served in 50 ms plus its queue wait: p99 at least 50 ms
    assert 50.0 <= m["p99_latency_ms"] < 1000.0
    assert m["throughput_rps"] == pytest.approx(10.0, rel=0.1)  # Poisson 10/s for 300 s
    tags = client.get_model_version("small", "1").tags
    assert tags["infercost.source"] == "simulate"
    assert tags["infercost.run_id"] == logged["run_id"]
    assert float(tags["infercost.p99_latency_ms"]) == m["p99_latency_ms"]


@pytest.fixture(scope="module")
def attribution(tmp_path_factory):
    """An attribution folder from the bundled measured example (1,582,522 requests in
    October 2026 against a 1,118.272 USD FOCUS bill)."""
    from infercost import api

    out = tmp_path_factory.mktemp("att") / "attribution"
    ex = EXAMPLES / "sentiment-bert-measured"
    api.attribute(ex / "bill.csv", counts=ex / "counts.csv", out=out, write_requests=False)
    return out


def test_attribution_folder_logs_the_whole_bill(cli, store, client, attribution):
    uri = store[0]
    logged = _log(cli, attribution, "--model-name", "small", "--model-version", "1",
                  "--tracking-uri", uri)
    m = client.get_run(logged["run_id"]).data.metrics
    # bill 1,118.272 USD over 744 h and 1,582,522 requests:
    # per 1k: 1,118.272 / 1,582.522 = 0.70663915; per month of 730 h: 1,118.272 x 730 / 744
    assert m["cost_per_1k_requests"] == pytest.approx(1118.272 / 1582.522, rel=1e-9)
    assert m["monthly_cost"] == pytest.approx(1118.272 * 730 / 744, rel=1e-9)
    assert m["throughput_rps"] == pytest.approx(1582522 / (744 * 3600), rel=1e-9)
    # the components add up to the whole bill (allocated, idle, shared, unallocated)
    comp = sum(v for k, v in m.items() if k.startswith("component."))
    assert comp == pytest.approx(m["monthly_cost"], rel=1e-9)
    assert client.get_model_version("small", "1").tags["infercost.source"] == "attribution"


def test_attribution_slice_is_named_allocated_cost_and_says_what_it_leaves_out(
        cli, store, client, attribution):
    _log(cli, attribution, "--model-name", "small", "--model-version", "1",
         "--tracking-uri", store[0])  # the whole bill first: its tags are then replaced
    logged = _log(cli, attribution, "--model-name", "small", "--model-version", "1",
                  "--tracking-uri", store[0], "--slice", "model_version=2")
    summary = json.loads((attribution / "summary.json").read_text())
    (hit,) = [s for s in summary["breakdowns"]["slices"] if s["key"]["model_version"] == "2"]
    assert logged["params"]["name"] == "model_version=2"
    # the example's rules report idle and shared for the whole bill (not spread): the
    # slice holds its allocated cost only, so it is not named like the whole-bill figure
    m = logged["metrics"]
    assert m["allocated_cost_per_1k_requests"] == \
        float(Decimal(hit["breakdown"]["total"]["per_1k_inferences"]))
    assert "cost_per_request" not in m and "cost_per_1k_requests" not in m
    tags = client.get_model_version("small", "1").tags
    assert tags["infercost.left_out"] == "idle,shared"
    assert Decimal(tags["infercost.allocated_cost_per_request"]) == \
        Decimal(hit["breakdown"]["total"]["per_inference"])
    assert "infercost.cost_per_request" not in tags  # the whole bill's, logged before
    # idle 1,038.027713546 of the 1,118.272 USD bill = 92.8%; shared 67.92 USD
    (note,) = [n for n in logged["notes"] if n.startswith("model_version=2")]
    assert "idle 1,038.03 USD (92.8% of the bill), shared 67.92 USD" in note
    assert "0.0007066 USD per request" in note  # 1,118.272 / 1,582,522


def test_create_model_makes_the_store_model_and_next_version(cli, tmp_path):
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'new.db'}"
    first = _log(cli, EXAMPLES / "chatbot.yaml", "--model-name", "chatbot",
                 "--model-version", "1", "--tracking-uri", uri, "--create-model")
    assert "registered model chatbot" in first["created"]
    assert "model version chatbot/1" in first["created"]
    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    mv = c.get_model_version("chatbot", "1")
    assert mv.run_id == first["run_id"]  # the version is linked to the run that made it
    assert mv.tags["infercost.run_id"] == first["run_id"]
    # the next number only: version 3 when 1 exists is refused, and nothing is created
    code, out, err = cli("mlflow", "log", EXAMPLES / "chatbot.yaml", "--model-name", "chatbot",
                         "--model-version", "3", "--tracking-uri", uri, "--create-model")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: --model-version: model 'chatbot' has no version 3 (versions up to 1); "
        "--create-model creates version 2 only"]
    assert len(c.search_model_versions("name='chatbot'")) == 1


def test_missing_model_version_is_one_line(cli, store, client):
    before = len(client.search_runs([e.experiment_id for e in client.search_experiments()]))
    code, out, err = cli("mlflow", "log", store[2], "--model-name", "small",
                         "--model-version", "7", "--tracking-uri", store[0])
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: --model-version: model 'small' has no version 7 (versions up to 1)"]
    # checked before the run is made: no run left behind
    assert len(client.search_runs([e.experiment_id for e in client.search_experiments()])) \
        == before


def test_missing_registered_model_is_one_line(cli, store):
    code, _, err = cli("mlflow", "log", store[2], "--model-name", "nope",
                       "--model-version", "1", "--tracking-uri", store[0])
    assert code == 2
    assert err.startswith("error: --model-name: no registered model 'nope'")
    assert err.count("\n") == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_tracking_server_is_one_line(cli, monkeypatch):
    # the command sets no retries unless the user did: keep the user's choice out of it
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", raising=False)
    uri = f"http://127.0.0.1:{_free_port()}"
    code, out, err = cli("mlflow", "log", EXAMPLES / "chatbot.yaml", "--model-name", "m",
                         "--model-version", "1", "--tracking-uri", uri, "--timeout", "2")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        f"error: --tracking-uri {uri}: cannot reach the MLflow tracking server "
        "(Connection refused)"]


def test_a_store_from_the_environment_is_named_as_such(cli, monkeypatch):
    uri = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    code, _, err = cli("mlflow", "log", EXAMPLES / "chatbot.yaml", "--model-name", "m",
                       "--model-version", "1", "--timeout", "2")
    assert code == 2
    assert err.startswith(f"error: MLFLOW_TRACKING_URI={uri}: cannot reach")


def test_folder_without_summary_is_refused(cli, store, tmp_path):
    code, _, err = cli("mlflow", "log", tmp_path, "--model-name", "small",
                       "--model-version", "1", "--tracking-uri", store[0])
    assert code == 2
    assert err == (f"error: {tmp_path}: no summary.json here; expected the --out folder of "
                   "`infercost attribute`\n")


def test_password_in_the_uri_is_not_printed():
    from infercost.integrations.mlflow import redact

    assert redact("https://ann:s3cret@mlflow.example.com:5000/x") == \
        "https://ann:***@mlflow.example.com:5000/x"
    assert redact("sqlite:////tmp/a.db") == "sqlite:////tmp/a.db"


def test_default_store_is_sqlite_in_the_working_folder(tmp_path, monkeypatch):
    from infercost.integrations.mlflow import _sqlite_path, resolve_tracking_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    uri = resolve_tracking_uri(None, cwd=tmp_path)
    assert uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert _sqlite_path(uri) == tmp_path.resolve() / "mlflow.db"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracker:5000")
    assert resolve_tracking_uri(None) == "http://tracker:5000"
    assert resolve_tracking_uri("sqlite:///x.db") == "sqlite:///x.db"  # the option wins
    assert _sqlite_path("sqlite:///x.db") == Path("x.db")
    assert _sqlite_path("http://tracker:5000") is None


def test_empty_tracking_uri_is_refused(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("mlflow", "log", EXAMPLES / "chatbot.yaml", "--model-name", "m",
                         "--model-version", "1", "--tracking-uri", "", "--create-model")
    assert code == 2 and out == "" and err.startswith("error: --tracking-uri: expected a ")
    assert list(tmp_path.iterdir()) == []  # no ./mlflow.db


def test_failed_create_model_leaves_no_store_behind(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    args = ("mlflow", "log", EXAMPLES / "chatbot.yaml", "--model-name", "chatbot",
            "--create-model")
    code, _, err = cli(*args, "--model-version", "3")
    assert code == 2
    assert err == (f"error: --model-version: default store sqlite:///{tmp_path.resolve()}"
                   "/mlflow.db does not exist yet, so --create-model creates model "
                   "'chatbot' version 1, not 3\n")
    (tmp_path / "afile").write_text("")
    bad = tmp_path / "afile" / "art"  # under a file: cannot be made
    code, _, err = cli(*args, "--model-version", "1", "--artifact-location", bad)
    assert code == 2
    assert err.startswith(f"error: --artifact-location: cannot write the artifact folder {bad}")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["afile"]  # no mlflow.db


def test_failure_after_the_run_is_made_undoes_it(cli, store, client):
    uri, folder, scenario = store
    (folder / "afile").write_text("")
    # an experiment bound to an artifact folder that cannot be made (a file's child)
    client.create_experiment("badart", artifact_location=str(folder / "afile" / "art"))
    code, _, err = cli("mlflow", "log", scenario, "--model-name", "small",
                       "--model-version", "2", "--tracking-uri", uri, "--create-model",
                       "--experiment", "badart")
    assert code == 2
    # names the path (not a message ending at "Not a directory:")
    assert err == (f"error: --tracking-uri {uri}: MLflow refused: Not a directory: "
                   f"{folder / 'afile' / 'art'}\n")
    eid = client.get_experiment_by_name("badart").experiment_id
    assert [r.info.lifecycle_stage for r in client.search_runs([eid], run_view_type=3)] \
        == ["deleted"]
    assert [str(v.version) for v in client.search_model_versions("name='small'")] == ["1"]


def test_a_plain_http_server_is_not_an_mlflow_server(cli):
    import threading
    from http.server import HTTPServer, SimpleHTTPRequestHandler

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    srv = HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        code, _, err = cli("mlflow", "log", EXAMPLES / "chatbot.yaml", "--model-name", "m",
                           "--model-version", "1", "--tracking-uri", uri, "--timeout", "2")
    finally:
        srv.shutdown()
    assert code == 2
    assert err == (f"error: --tracking-uri {uri}: the server answered but is not an MLflow "
                   "tracking server (HTTP 404 on the MLflow API)\n")
