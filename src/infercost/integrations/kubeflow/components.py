"""KFP v2 container components, each one `infercost` command in the pod.

    from infercost.integrations.kubeflow.components import make_components

    ops = make_components(image="registry.example.com/infercost:0.1.0")
    est = ops.estimate(scenario=...)        # inside a @dsl.pipeline function

Each component runs `infercost ...` in `image` (one with infercost installed, see
docs/mlflow-kubeflow.md). Commands that print their result (`estimate --json`,
`simulate --json`, `reconcile --json`, `mlflow log --json`) run under a two-line
`sh` wrapper that writes stdout to the output artifact's path
(`exec infercost "$@" > "$0"`: the argument list is the infercost command line, its exit
code the step's); `attribute` writes its folder itself (`--out`). A bad input fails the
step with infercost's one `error:` line in the pod log and exit code 2.

Inputs and outputs (KFP types):

| component | inputs | outputs |
|---|---|---|
| estimate | scenario: Artifact (YAML) | estimate: Artifact (JSON, `estimate --json`) |
| simulate | scenario: Artifact; seed: int | simulation: Artifact (JSON, no series) |
| attribute | bill, usage: Dataset; usage_option: str (`--usage` or `--counts`) | attribution: Artifact (folder: summary.json, allocations) |
| reconcile | scenario, attribution: Artifact | reconciliation: Artifact (JSON) |
| mlflow_log | source: Artifact (scenario or attribution); model_name, model_version, tracking_uri: str (empty: the pod's MLFLOW_TRACKING_URI) | logged: Artifact (JSON: run id, metrics, tags) |

infercost picks a file's reader by its extension (.yaml, .csv, .parquet, .json,
.jsonl): import inputs from URIs that end in one (an importer keeps the name).
Requires kfp>=2.7 (the `kubeflow` extra).
"""

# no `from __future__ import annotations`: KFP reads the real annotations
from dataclasses import dataclass
from typing import Any

#: The image the components run in unless told otherwise: build it from the repository
#: (docs/mlflow-kubeflow.md) and push it where the cluster can pull it.
DEFAULT_IMAGE = "infercost:0.1.0"

#: `sh -ec SCRIPT OUT ARGS...`: runs `infercost ARGS...` with stdout in the file OUT.
STDOUT_TO_FILE = 'mkdir -p "$(dirname "$0")"\nexec infercost "$@" > "$0"'

#: `sh -ec SCRIPT OUT URI ARGS...`: as STDOUT_TO_FILE, with `--tracking-uri URI` appended
#: only when URI is not empty (then MLFLOW_TRACKING_URI of the pod applies; infercost
#: refuses an empty --tracking-uri).
MLFLOW_TO_FILE = ('mkdir -p "$(dirname "$0")"\nuri="$1"; shift\n'
                  'if [ -n "$uri" ]; then set -- "$@" --tracking-uri "$uri"; fi\n'
                  'exec infercost "$@" > "$0"')


@dataclass(frozen=True)
class Components:
    """The container components (KFP `ContainerComponent`s), all on one image."""

    image: str
    estimate: Any
    simulate: Any
    attribute: Any
    reconcile: Any
    mlflow_log: Any


def make_components(image: str = DEFAULT_IMAGE) -> Components:
    """Build the components for `image` (see the module docstring for their inputs and
    outputs). Raises ImportError without kfp (the `kubeflow` extra)."""
    from kfp import dsl
    from kfp.dsl import Artifact, ContainerSpec, Dataset, Input, Output

    def printed(out: Any, *args: Any) -> ContainerSpec:
        return ContainerSpec(image=image, command=["sh", "-ec", STDOUT_TO_FILE],
                             args=[out.path, *args])

    @dsl.container_component
    def estimate(scenario: Input[Artifact], estimate: Output[Artifact]):
        """infercost estimate: the scenario's predicted monthly cost per inference."""
        return printed(estimate, "estimate", scenario.path, "--json")

    @dsl.container_component
    def simulate(scenario: Input[Artifact], simulation: Output[Artifact], seed: int = 0):
        """infercost simulate: latency percentiles, SLO attainment and the simulated cost."""
        return printed(simulation, "simulate", scenario.path, "--seed", seed, "--json",
                       "--no-series")

    @dsl.container_component
    def attribute(bill: Input[Dataset], usage: Input[Dataset], attribution: Output[Artifact],
                  usage_option: str = "--usage"):
        """infercost attribute: the bill allocated to the usage logs (or call counts with
        usage_option="--counts"); the output is the attribution folder."""
        return ContainerSpec(image=image, command=["infercost"],
                             args=["attribute", "--bill", bill.path, usage_option, usage.path,
                                   "--out", attribution.path, "--json"])

    @dsl.container_component
    def reconcile(scenario: Input[Artifact], attribution: Input[Artifact],
                  reconciliation: Output[Artifact]):
        """infercost reconcile: predicted next to measured, with the difference decomposed."""
        return printed(reconciliation, "reconcile", scenario.path, "--attribution",
                       attribution.path, "--json")

    @dsl.container_component
    def mlflow_log(source: Input[Artifact], logged: Output[Artifact], model_name: str,
                   model_version: str, tracking_uri: str):
        """infercost mlflow log: the figures as an MLflow run linked to a model version;
        an empty tracking_uri leaves --tracking-uri out (the pod's MLFLOW_TRACKING_URI)."""
        return ContainerSpec(image=image, command=["sh", "-ec", MLFLOW_TO_FILE],
                             args=[logged.path, tracking_uri, "mlflow", "log", source.path,
                                   "--model-name", model_name, "--model-version",
                                   model_version, "--json"])

    return Components(image=image, estimate=estimate, simulate=simulate, attribute=attribute,
                      reconcile=reconcile, mlflow_log=mlflow_log)
