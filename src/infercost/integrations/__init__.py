"""Integrations with other tools (OpenTelemetry, MLflow, Kubeflow Pipelines): each calls infercost.api, never the engines."""
