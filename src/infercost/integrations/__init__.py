"""Integrations with other tools (layer above `infercost.api`, beside the command line).

`integrations.otel`: price every traced inference (OpenTelemetry spans) from the cost
model, with cost metrics and a Prometheus endpoint (extra `otel`; docs/tracking.md).
`integrations.mlflow`: log cost figures to an MLflow run and model version (extra `mlflow`).
`integrations.kubeflow`: Kubeflow Pipelines v2 components and an example pipeline (extra
`kubeflow`; docs/mlflow-kubeflow.md). Integrations call `infercost.api`, never the engines.
"""
