"""The cost metrics exposed for Prometheus to scrape (OpenTelemetry's Prometheus exporter).

    endpoint = serve_prometheus(port=9464)          # http://127.0.0.1:9464/metrics
    meter_provider = MeterProvider(metric_readers=[endpoint.reader])
    instrument(tracer_provider, scenario, meter_provider=meter_provider, ...)

Prometheus names: `infercost_cost_<unit>_total` (the counter) and
`infercost_cost_per_request_<unit>_bucket/_sum/_count` (the histogram), labels model,
version, tenant, currency (docs/tracking.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class PrometheusEndpoint:
    """A running scrape endpoint: `reader` (give it to a `MeterProvider`), the `port` it
    listens on, the `registry` it serves, and `close()`."""

    reader: Any
    port: int
    address: str
    registry: Any
    server: Any
    thread: Any

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def serve_prometheus(port: int = 9464, address: str = "127.0.0.1", registry: Any = None
                     ) -> PrometheusEndpoint:
    """Start an HTTP scrape endpoint on `address:port` (port 0: a free one) serving a
    `PrometheusMetricReader`'s metrics from `registry` (None: a fresh
    `CollectorRegistry`, so two endpoints in one process never clash). Raises
    `InputError` (nothing started) for a port that is not a whole number 0..65535
    ("port: expected ..."), a port in use ("port N is in use") or an address that cannot
    be listened on."""
    import errno

    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from prometheus_client import CollectorRegistry, start_http_server

    from infercost.errors import InputError

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InputError(f"expected a whole number 0..65535 (0: a free one), got {port!r}",
                         "serve_prometheus(port)")
    reg = registry if registry is not None else CollectorRegistry()
    try:
        server, thread = start_http_server(port, addr=address, registry=reg)
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise InputError(f"port {port} is in use on {address}; pick another, or 0 for a "
                             "free one", "serve_prometheus(port)") from None
        raise InputError(f"cannot listen on {address}:{port} ({e.strerror or e})",
                         "serve_prometheus(address)") from None
    reader = PrometheusMetricReader(registry=reg)
    return PrometheusEndpoint(reader, server.server_port, address, reg, server, thread)
