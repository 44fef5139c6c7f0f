"""Integrations with other tools (layer above `infercost.api`, beside the command line).

`integrations.otel`: price every traced inference (OpenTelemetry spans) from the cost
model, with cost metrics and a Prometheus endpoint (extra `otel`; docs/tracking.md).
Integrations call `infercost.api`, never the engines.
"""
