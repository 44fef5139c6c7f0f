"""An example Kubeflow pipeline: predict, measure, compare, record.

    python -m infercost.integrations.kubeflow.pipeline --out infercost-pipeline.yaml \\
        --image registry.example.com/infercost:0.1.0

compiles it to KFP v2 IR YAML (upload it in the Kubeflow UI or with
`kfp.Client().create_run_from_pipeline_package`). The DAG:

    scenario ──> estimate ──> attribute(bill, usage) ──> reconcile(scenario, attribution)
                                                    └──> mlflow_log(attribution)  [if log_to_mlflow]

`estimate` runs first: a bad scenario fails in seconds, before the bill is attributed.
`reconcile` lays the prediction beside the measured cost; `mlflow_log` tags the model
version with the measured figures. Pipeline parameters: scenario_uri, bill_uri,
usage_uri (URIs the cluster reads, ending in .yaml / .csv / .parquet ...), usage_option
("--usage" or "--counts"), model_name, model_version, tracking_uri (empty: the MLflow
step leaves --tracking-uri out and the pod's MLFLOW_TRACKING_URI applies), log_to_mlflow.
Bad --out / --image arguments exit 2 with one `error:` line, before anything is written.
"""

# no `from __future__ import annotations`: KFP reads the real annotations
import argparse
from pathlib import Path
from typing import Any

from infercost.integrations.kubeflow.components import DEFAULT_IMAGE, make_components

PIPELINE_NAME = "infercost-cost-per-inference"


def build_pipeline(image: str = DEFAULT_IMAGE) -> Any:
    """The pipeline function (a KFP `GraphComponent`) on `image`."""
    from kfp import dsl
    from kfp.dsl import Artifact, Dataset

    ops = make_components(image)

    @dsl.pipeline(name=PIPELINE_NAME,
                  description="Predicted vs measured cost per inference, recorded in MLflow.")
    def cost_pipeline(scenario_uri: str, bill_uri: str, usage_uri: str,
                      usage_option: str = "--usage", model_name: str = "",
                      model_version: str = "", tracking_uri: str = "",
                      log_to_mlflow: bool = False):
        scenario = dsl.importer(artifact_uri=scenario_uri, artifact_class=Artifact,
                                reimport=False).set_display_name("scenario")
        bill = dsl.importer(artifact_uri=bill_uri, artifact_class=Dataset,
                            reimport=False).set_display_name("bill")
        usage = dsl.importer(artifact_uri=usage_uri, artifact_class=Dataset,
                             reimport=False).set_display_name("usage")
        est = ops.estimate(scenario=scenario.output).set_display_name("estimate")
        att = ops.attribute(bill=bill.output, usage=usage.output, usage_option=usage_option)
        att.after(est).set_display_name("attribute")
        ops.reconcile(scenario=scenario.output, attribution=att.outputs["attribution"]) \
            .set_display_name("reconcile")
        with dsl.If(log_to_mlflow == True, name="log-to-mlflow"):  # noqa: E712 (KFP condition)
            ops.mlflow_log(source=att.outputs["attribution"], model_name=model_name,
                           model_version=model_version, tracking_uri=tracking_uri) \
                .set_display_name("mlflow log").set_caching_options(False)  # a new run each time

    return cost_pipeline


def compile_pipeline(out: str | Path, image: str = DEFAULT_IMAGE) -> Path:
    """Compile the pipeline to KFP v2 IR YAML (.yaml / .yml; .json for JSON) at `out`;
    returns the path. Raises `InputError` (before writing anything) for an empty image,
    an `out` that is a folder, has another extension or sits in a folder that does not
    exist."""
    from kfp import compiler

    check_args(out, image)
    out = Path(out)
    compiler.Compiler().compile(build_pipeline(image.strip()), str(out))
    return out


def check_args(out: str | Path, image: str) -> None:
    """Raise `InputError` naming the option unless `out` can be written as a pipeline
    file and `image` is not empty."""
    from infercost.errors import InputError

    if not str(image).strip():
        raise InputError("expected an image reference (e.g. registry.example.com/"
                         "infercost:0.1.0), got an empty one", "--image")
    p = Path(out)
    where = f"--out {out}"
    if p.is_dir():
        raise InputError("is a folder; expected a file to write (e.g. "
                         f"{p / 'infercost-pipeline.yaml'})", where)
    if p.suffix not in (".yaml", ".yml", ".json"):
        raise InputError("expected a file ending in .yaml, .yml or .json", where)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"no such folder: {parent}", where)


def main(argv: list[str] | None = None) -> None:
    """Compile the pipeline: --out FILE (default infercost-pipeline.yaml), --image REF.
    Bad arguments exit with code 2 and one `error:` line on stderr."""
    import sys

    from infercost.errors import InputError

    p = argparse.ArgumentParser(description="Compile the example infercost pipeline (KFP v2).")
    p.add_argument("--out", default="infercost-pipeline.yaml", help="YAML file to write")
    p.add_argument("--image", default=DEFAULT_IMAGE, help="image with infercost installed")
    a = p.parse_args(argv)
    try:
        print(compile_pipeline(a.out, a.image))
    except InputError as e:
        print(e.line(), file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as e:  # e.g. no permission to write there
        print(f"error: --out {a.out}: cannot write ({e.strerror or e})", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":  # pragma: no cover
    main()
