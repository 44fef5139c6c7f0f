"""Kubeflow Pipelines (KFP v2): container components that run `infercost` commands
(`components.py`) and an example pipeline, estimate -> attribute -> reconcile -> MLflow
(`pipeline.py`). Needs the `kubeflow` extra (kfp) to build and compile; the pods need an
image with infercost installed (docs/mlflow-kubeflow.md)."""
