"""OpenTelemetry spans (OTLP JSON file exporter) onto usage rows.

A file holds `ExportTraceServiceRequest`s in OTLP/JSON
(`{"resourceSpans": [{"resource": {"attributes": [...]}, "scopeSpans": [{"spans": [...]}]}]}`):
one per line (the file exporter), one pretty-printed over many lines, or a JSON array of
them; `.gz` alike. A span becomes a usage row when it carries a `gen_ai.*`, `llm.*` or
`vllm.*` attribute. Every published name is read, first present wins: the GenAI semantic
conventions (current and deprecated), OpenLLMetry (`llm.usage.*`), OpenLIT, OpenInference
(`llm.token_count.*`) and vLLM's request spans (`gen_ai.usage.prompt_tokens`,
`gen_ai.request.id`):

| usage column | from (first present) |
|---|---|
| timestamp | span startTimeUnixNano (UTC) |
| duration_ms | endTimeUnixNano - startTimeUnixNano, in ms; divided by infercost.batch.size when set (the span then times its whole batch: each of its n requests was busy 1/n of it) |
| request_id | gen_ai.response.id, gen_ai.request.id (vLLM), else traceId:spanId |
| model | gen_ai.response.model, gen_ai.request.model, llm.response.model, llm.request.model, llm.model_name |
| model_version | infercost.model_version, gen_ai.response.model_version, service.version (resource) |
| endpoint | infercost.endpoint, http.route, url.path, server.address, span name |
| tenant | infercost.tenant, tenant.id, enduser.id, user.id |
| resource_id | infercost.resource_id, cloud.resource_id, host.id, k8s.node.name, host.name (span, then resource attributes) |
| input_tokens | gen_ai.usage.input_tokens, gen_ai.usage.prompt_tokens, llm.usage.prompt_tokens, llm.token_count.prompt |
| output_tokens | gen_ai.usage.output_tokens, gen_ai.usage.completion_tokens, llm.usage.completion_tokens, llm.token_count.completion |
| status | error.type, else the span status code (OK / ERROR / UNSET) |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from infercost.core import semconv
from infercost.errors import InputError

_MAP = {
    "model": list(semconv.MODEL),
    "model_version": list(semconv.MODEL_VERSION),
    "endpoint": ["infercost.endpoint", "http.route", "url.path", "server.address"],
    "tenant": list(semconv.TENANT),
    "resource_id": ["infercost.resource_id", "cloud.resource_id", "host.id", "k8s.node.name",
                    "host.name"],
}
INPUT_TOKENS = list(semconv.INPUT_TOKENS)
OUTPUT_TOKENS = list(semconv.OUTPUT_TOKENS)
REQUEST_ID = ["gen_ai.response.id", "gen_ai.request.id"]
#: attribute prefixes that make a span an inference request
PREFIXES = ("gen_ai.", "llm.", "vllm.")
_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR", "STATUS_CODE_OK": "OK",
           "STATUS_CODE_ERROR": "ERROR", "STATUS_CODE_UNSET": "UNSET"}


def _value(v: dict) -> Any:
    if not isinstance(v, dict):
        return v
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        return int(v["intValue"])
    if "arrayValue" in v:
        return [_value(x) for x in v["arrayValue"].get("values", [])]
    return None


def _attrs(lst) -> dict:
    return {a.get("key"): _value(a.get("value")) for a in lst or [] if isinstance(a, dict)}


def spans_to_rows(doc: dict, where: str) -> tuple[list[dict], int]:
    """Usage rows from one OTLP/JSON document; also returns how many spans it held."""
    rows, n = [], 0
    for rs in doc.get("resourceSpans", []) or []:
        rattrs = _attrs((rs.get("resource") or {}).get("attributes"))
        for ss in rs.get("scopeSpans", []) or rs.get("instrumentationLibrarySpans", []) or []:
            for sp in ss.get("spans", []) or []:
                n += 1
                a = _attrs(sp.get("attributes"))
                if not any(str(k).startswith(PREFIXES) for k in a):
                    continue
                try:
                    start = int(sp["startTimeUnixNano"])
                    end = int(sp.get("endTimeUnixNano", start))
                except (KeyError, ValueError, TypeError):
                    raise InputError("span without a valid startTimeUnixNano",
                                     f"{where}: span {sp.get('spanId')}") from None
                merged = {**rattrs, **a}
                batch = a.get(semconv.BATCH_SIZE)
                if batch is not None and (isinstance(batch, bool) or not isinstance(batch, (int, float))
                                          or batch < 1 or batch != int(batch)):
                    raise InputError(f"{semconv.BATCH_SIZE}: expected a whole number >= 1, got {batch!r}",
                                     f"{where}: span {sp.get('spanId')}")
                row = {
                    "timestamp": start // 1000,  # microseconds since epoch, UTC
                    # a span of a batch of n: the request's busy share is 1/n of the batch time
                    "duration_ms": (end - start) / 1e6 / (int(batch) if batch is not None else 1),
                    "request_id": str(_first(a, REQUEST_ID)
                                      or f"{sp.get('traceId', '')}:{sp.get('spanId', '')}"),
                }
                for col, keys in _MAP.items():
                    src = a if col == "model" else merged
                    val = next((src[k] for k in keys if src.get(k) not in (None, "")), None)
                    if col == "endpoint" and val is None:
                        val = sp.get("name")
                    row[col] = None if val is None else str(val)
                for col, keys in (("input_tokens", INPUT_TOKENS),
                                  ("output_tokens", OUTPUT_TOKENS)):
                    v = _first(a, keys)
                    try:
                        row[col] = None if v is None else int(float(v))
                    except (TypeError, ValueError):
                        raise InputError(f"{keys[0]}: expected a token count, got {v!r}",
                                         f"{where}: span {sp.get('spanId')}") from None
                code = (sp.get("status") or {}).get("code", 0)
                row["status"] = str(a.get("error.type") or _STATUS.get(code, code))
                rows.append(row)
    return rows, n


def _first(attrs: dict, keys: list[str]) -> Any:
    return next((attrs[k] for k in keys if attrs.get(k) not in (None, "")), None)


def documents(path: Path):
    """(where, document) for each OTLP/JSON document of a file: one per line, one
    pretty-printed, or a JSON array of them."""
    from infercost.ingest.billrows import json_records

    for i, doc in enumerate(json_records(path), start=1):
        yield f"{path}: document {i}", doc


def read_spans(files: list[Path]):
    """An Arrow table of usage rows from OTLP/JSON files, plus span counts (total, used)."""
    import pyarrow as pa

    rows: list[dict] = []
    total = 0
    for f in files:
        for where, doc in documents(f):
            r, n = spans_to_rows(doc, where)
            rows.extend(r)
            total += n
    schema = pa.schema([
        ("timestamp", pa.timestamp("us")), ("request_id", pa.string()), ("model", pa.string()),
        ("model_version", pa.string()), ("endpoint", pa.string()), ("tenant", pa.string()),
        ("resource_id", pa.string()), ("duration_ms", pa.float64()),
        ("input_tokens", pa.int64()), ("output_tokens", pa.int64()), ("status", pa.string()),
    ])
    cols = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.table(cols, schema=schema), total, len(rows)
