"""The Kubeflow Pipelines components and example pipeline, compiled with the kfp SDK.

The compiled IR (KFP v2 pipeline spec YAML) is read back and checked: each executor runs
`infercost ...` (directly, or through the two-line sh wrapper that writes stdout to the
output artifact), inputs and outputs carry KFP types, and the DAG wires scenario ->
estimate -> attribute -> reconcile (and the MLflow step under its condition). Then the
executors' command lines, placeholders filled with local paths, are run here against an
`infercost` on PATH: the IR does what it says, without a cluster.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLES, ROOT

pytest.importorskip("kfp")

IMAGE = "registry.example.com/infercost:test"


@pytest.fixture(scope="module")
def ir(tmp_path_factory) -> dict:
    from infercost.integrations.kubeflow.pipeline import compile_pipeline

    out = compile_pipeline(tmp_path_factory.mktemp("kfp") / "pipeline.yaml", image=IMAGE)
    return yaml.safe_load(out.read_text())


def _container(ir: dict, name: str) -> dict:
    return ir["deploymentSpec"]["executors"][f"exec-{name}"]["container"]


def _types(ir: dict, comp: str, side: str) -> dict[str, str]:
    arts = ir["components"][f"comp-{comp}"][side].get("artifacts", {})
    return {k: v["artifactType"]["schemaTitle"] for k, v in arts.items()}


def _params(ir: dict, comp: str) -> dict[str, str]:
    ps = ir["components"][f"comp-{comp}"]["inputDefinitions"].get("parameters", {})
    return {k: v["parameterType"] for k, v in ps.items()}


def test_every_step_runs_infercost_on_the_image(ir):
    from infercost.integrations.kubeflow.components import STDOUT_TO_FILE

    for name in ("estimate", "attribute", "reconcile", "mlflow-log"):
        c = _container(ir, name)
        assert c["image"] == IMAGE
        if c["command"] == ["infercost"]:
            argv = c["args"]
        elif name == "mlflow-log":  # sh -ec '...' OUT URI ARGS...: see the test below
            argv = c["args"][2:]
        else:  # sh -ec 'mkdir ...; exec infercost "$@" > "$0"' OUT ARGS...
            assert c["command"] == ["sh", "-ec", STDOUT_TO_FILE]
            assert 'exec infercost "$@" > "$0"' in c["command"][2]
            assert re.fullmatch(r"\{\{\$\.outputs\.artifacts\['\w+'\]\.path\}\}", c["args"][0])
            argv = c["args"][1:]
        assert argv[0] == {"mlflow-log": "mlflow"}.get(name, name)
        assert "--json" in argv
    assert _container(ir, "estimate")["args"][1:] == [
        "estimate", "{{$.inputs.artifacts['scenario'].path}}", "--json"]
    assert _container(ir, "attribute")["args"] == [
        "attribute", "--bill", "{{$.inputs.artifacts['bill'].path}}",
        "{{$.inputs.parameters['usage_option']}}", "{{$.inputs.artifacts['usage'].path}}",
        "--out", "{{$.outputs.artifacts['attribution'].path}}", "--json"]
    assert _container(ir, "mlflow-log")["args"][2:7] == [
        "mlflow", "log", "{{$.inputs.artifacts['source'].path}}", "--model-name",
        "{{$.inputs.parameters['model_name']}}"]


def test_inputs_and_outputs_are_typed(ir):
    assert _types(ir, "estimate", "inputDefinitions") == {"scenario": "system.Artifact"}
    assert _types(ir, "estimate", "outputDefinitions") == {"estimate": "system.Artifact"}
    assert _types(ir, "attribute", "inputDefinitions") == {"bill": "system.Dataset",
                                                          "usage": "system.Dataset"}
    assert _types(ir, "attribute", "outputDefinitions") == {"attribution": "system.Artifact"}
    assert _params(ir, "attribute") == {"usage_option": "STRING"}
    assert _types(ir, "reconcile", "inputDefinitions") == {"scenario": "system.Artifact",
                                                          "attribution": "system.Artifact"}
    assert _types(ir, "reconcile", "outputDefinitions") == {"reconciliation": "system.Artifact"}
    assert _params(ir, "mlflow-log") == {"model_name": "STRING", "model_version": "STRING",
                                         "tracking_uri": "STRING"}
    root = {k: v["parameterType"] for k, v in ir["root"]["inputDefinitions"]["parameters"].items()}
    assert root == {"scenario_uri": "STRING", "bill_uri": "STRING", "usage_uri": "STRING",
                    "usage_option": "STRING", "model_name": "STRING", "model_version": "STRING",
                    "tracking_uri": "STRING", "log_to_mlflow": "BOOLEAN"}


def test_the_dag_wires_estimate_attribute_reconcile_and_mlflow(ir):
    tasks = ir["root"]["dag"]["tasks"]
    by_name = {t["taskInfo"]["name"]: k for k, t in tasks.items()}
    scenario, bill = by_name["scenario"], by_name["bill"]
    assert tasks["estimate"]["inputs"]["artifacts"]["scenario"]["taskOutputArtifact"] == \
        {"outputArtifactKey": "artifact", "producerTask": scenario}
    # estimate first (a bad scenario fails before the bill is attributed)
    assert "estimate" in tasks["attribute"]["dependentTasks"]
    assert tasks["attribute"]["inputs"]["artifacts"]["bill"]["taskOutputArtifact"][
        "producerTask"] == bill
    rec = tasks["reconcile"]["inputs"]["artifacts"]
    assert rec["attribution"]["taskOutputArtifact"] == {"outputArtifactKey": "attribution",
                                                        "producerTask": "attribute"}
    assert rec["scenario"]["taskOutputArtifact"]["producerTask"] == scenario
    # the MLflow step runs under log_to_mlflow, on the attribution, never from cache
    cond = tasks["condition-1"]
    assert cond["triggerPolicy"]["condition"] == \
        "inputs.parameter_values['pipelinechannel--log_to_mlflow'] == true"
    inner = ir["components"]["comp-condition-1"]["dag"]["tasks"]["mlflow-log"]
    assert inner["cachingOptions"] == {}  # caching off: each run logs a new MLflow run
    assert cond["inputs"]["artifacts"]["pipelinechannel--attribute-attribution"][
        "taskOutputArtifact"] == {"outputArtifactKey": "attribution", "producerTask": "attribute"}


def test_the_simulate_component_compiles_alone(tmp_path):
    from kfp import compiler

    from infercost.integrations.kubeflow.components import make_components

    out = tmp_path / "simulate.yaml"
    compiler.Compiler().compile(make_components(IMAGE).simulate, str(out))
    c = _container(yaml.safe_load(out.read_text()), "simulate")
    assert c["args"][1:] == ["simulate", "{{$.inputs.artifacts['scenario'].path}}", "--seed",
                             "{{$.inputs.parameters['seed']}}", "--json", "--no-series"]


def test_the_compile_entry_point_writes_the_yaml(tmp_path):
    from infercost.integrations.kubeflow.pipeline import main

    main(["--out", str(tmp_path / "p.yaml"), "--image", "img:1"])
    assert "image: img:1" in (tmp_path / "p.yaml").read_text()


@pytest.mark.parametrize("out, image, error", [
    ("nodir/p.yaml", "img:1", "--out {t}/nodir/p.yaml: no such folder: {t}/nodir"),
    ("", "img:1", "--out {t}: is a folder; expected a file to write (e.g. "
                  "{t}/infercost-pipeline.yaml)"),
    ("p.txt", "img:1", "--out {t}/p.txt: expected a file ending in .yaml, .yml or .json"),
    ("p.yaml", " ", "--image: expected an image reference (e.g. "
                    "registry.example.com/infercost:0.1.0), got an empty one"),
])
def test_the_compile_entry_point_refuses_bad_arguments_in_one_line(tmp_path, capsys, out,
                                                                   image, error):
    from infercost.integrations.kubeflow.pipeline import main

    path = f"{tmp_path}/{out}" if out else str(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(["--out", path, "--image", image])
    assert e.value.code == 2
    assert capsys.readouterr().err == f"error: {error.format(t=tmp_path)}\n"
    assert list(tmp_path.iterdir()) == []  # nothing written


# -- the IR's command lines, run here -----------------------------------------------------

def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{\$\.(inputs|outputs)\.(artifacts|parameters)\['(\w+)'\](\.path)?\}\}",
                  lambda m: values[m.group(3)], text)


@pytest.fixture
def infercost_on_path(tmp_path) -> dict[str, str]:
    """An environment whose PATH has an `infercost` that runs this checkout."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    exe = bin_ / "infercost"
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m infercost "$@"\n')
    exe.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(ROOT / "src"))
    return env


def _run(ir: dict, name: str, values: dict[str, str], env: dict[str, str]):
    c = _container(ir, name)
    argv = [_fill(a, values) for a in c["command"] + c["args"]]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def test_the_ir_command_lines_run(ir, infercost_on_path, tmp_path):
    ex = EXAMPLES / "sentiment-bert-measured"
    v = {"scenario": str(EXAMPLES / "sentiment-bert.yaml"), "bill": str(ex / "bill.csv"),
         "usage": str(ex / "counts.csv"), "usage_option": "--counts",
         "estimate": str(tmp_path / "out" / "estimate"),  # a folder KFP has not made yet
         "attribution": str(tmp_path / "out" / "attribution"),
         "reconciliation": str(tmp_path / "out" / "reconciliation")}
    r = _run(ir, "estimate", v, infercost_on_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(Path(v["estimate"]).read_text())["scenario"] == "sentiment-bert"
    r = _run(ir, "attribute", v, infercost_on_path)
    assert r.returncode == 0, r.stderr
    assert (Path(v["attribution"]) / "summary.json").is_file()
    r = _run(ir, "reconcile", v, infercost_on_path)
    assert r.returncode == 0, r.stderr
    rec = json.loads(Path(v["reconciliation"]).read_text())
    # the measured side is the bill that attribute read: 1,118.272 USD over 744 h
    assert rec["period_hours"] == "744"
    # a bad input fails the step with infercost's exit code and its one error line
    r = _run(ir, "estimate", {**v, "scenario": str(tmp_path / "nope.yaml")}, infercost_on_path)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"error: {tmp_path / 'nope.yaml'}: file not found"]


def test_the_mlflow_step_leaves_an_empty_tracking_uri_out(ir, tmp_path):
    # a fake `infercost` that prints its argument list, to see what the wrapper passes
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "infercost").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (bin_ / "infercost").chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_}{os.pathsep}{os.environ['PATH']}")
    v = {"source": "att", "model_name": "m", "model_version": "3",
         "logged": str(tmp_path / "out" / "logged")}
    for uri, tail in (("", []), ("http://mlflow:5000", ["--tracking-uri", "http://mlflow:5000"])):
        r = _run(ir, "mlflow-log", {**v, "tracking_uri": uri}, env)
        assert r.returncode == 0, r.stderr
        assert Path(v["logged"]).read_text().splitlines() == [
            "mlflow", "log", "att", "--model-name", "m", "--model-version", "3", "--json",
            *tail]
