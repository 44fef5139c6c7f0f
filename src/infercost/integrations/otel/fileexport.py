"""`OtlpJsonFileExporter`: spans to a file in OTLP/JSON, one ExportTraceServiceRequest a line.

The encoding is the OTLP exporters' own (`opentelemetry-exporter-otlp-proto-common`'s
`encode_spans`, then protobuf's JSON mapping), with the two changes the OTLP/JSON
specification makes to protobuf's mapping: trace and span ids as hex strings (not
base64) and enums as integers. `infercost attribute --usage FILE` and
`infercost reprice FILE` read it back, as does the OpenTelemetry Collector's
`otlpjsonfile` receiver.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

log = logging.getLogger("infercost.otel")

_ID_KEYS = ("traceId", "spanId", "parentSpanId")


def _hex_ids(obj) -> None:
    """In place: base64 ids (protobuf's mapping of bytes) as lowercase hex (OTLP/JSON)."""
    import base64

    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in _ID_KEYS and isinstance(v, str):
                obj[k] = base64.b64decode(v).hex()
            else:
                _hex_ids(v)
    elif isinstance(obj, list):
        for v in obj:
            _hex_ids(v)


def encode_json(spans: Sequence[ReadableSpan]) -> str:
    """One ExportTraceServiceRequest for `spans` as a line of OTLP/JSON (no newline)."""
    from google.protobuf import json_format
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    d = json_format.MessageToDict(encode_spans(spans), use_integers_for_enums=True)
    _hex_ids(d)
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)


class OtlpJsonFileExporter(SpanExporter):
    """Append each exported batch of spans to `path` as one line of OTLP/JSON.

    Thread-safe; the file is created on the first export (parent folders too). A write
    that fails (disk full, permissions) is logged as a warning and returns FAILURE: it
    never raises into the service."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._closed = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._closed:
            return SpanExportResult.FAILURE
        if not spans:
            return SpanExportResult.SUCCESS
        try:
            line = encode_json(spans) + "\n"
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(line)
        except Exception as e:  # never into the app: the span data is lost, say so
            log.warning("infercost: could not write %d spans to %s: %s", len(spans), self.path, e)
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self._closed = True

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
