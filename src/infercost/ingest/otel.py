"""OpenTelemetry spans (OTLP JSON file exporter) onto usage rows.

A file holds `ExportTraceServiceRequest`s in OTLP/JSON
(`{"resourceSpans": [{"resource": {"attributes": [...]}, "scopeSpans": [{"spans": [...]}]}]}`):
one per line (the file exporter), one pretty-printed over many lines, or a JSON array of
them; `.gz` alike. A span becomes a usage row when it carries a `gen_ai.*`, `llm.*` or
`vllm.*` attribute and is not an agent or tool operation (`gen_ai.operation.name`
`create_agent`, `invoke_agent`, `execute_tool`: `core.semconv.NOT_INFERENCE_OPERATIONS`;
such a span wraps model calls that have spans of their own, and is counted as skipped).
Every published name is read, first present wins: the GenAI semantic conventions
(current and deprecated), OpenLLMetry (`llm.usage.*`), OpenLIT, OpenInference
(`llm.token_count.*`) and vLLM's request spans (`gen_ai.usage.prompt_tokens`,
`gen_ai.request.id`):

| usage column | from (first present) |
|---|---|
| timestamp | span startTimeUnixNano (UTC) |
| duration_ms | endTimeUnixNano - startTimeUnixNano, in ms, divided by infercost.batch.size when set (the span then times its whole batch: each of its n requests was busy 1/n of it), else by infercost.replica.concurrency when set (the requests the replica served at once), else by infercost.cost.divisor (what the span pricer split it by: the scenario's concurrency), as the span pricer divides it; a span with none of them keeps its whole duration |
| request_id | gen_ai.response.id, gen_ai.request.id (vLLM), else traceId:spanId |
| model | infercost.model (the model the span was priced as), gen_ai.response.model, gen_ai.request.model, llm.response.model, llm.request.model, llm.model_name |
| model_version | infercost.model_version, gen_ai.response.model_version, service.version (resource) |
| endpoint | infercost.endpoint, http.route, url.path, server.address, span name |
| tenant | infercost.tenant, tenant.id, enduser.id, user.id |
| resource_id | infercost.resource_id, cloud.resource_id, host.id, k8s.node.name, host.name (span, then resource attributes); a hosted API call: infercost.resource_id, cloud.resource_id of the span only |
| provider | a hosted API call only (below): gen_ai.provider.name, gen_ai.system as `core.semconv.provider_key` |
| input_tokens | gen_ai.usage.input_tokens, gen_ai.usage.prompt_tokens, llm.usage.prompt_tokens, llm.token_count.prompt |
| output_tokens | gen_ai.usage.output_tokens, gen_ai.usage.completion_tokens, llm.usage.completion_tokens, llm.token_count.completion |
| status | error.type, else the span status code (OK / ERROR / UNSET) |

A span read again (a traceId and spanId already read: the files of two exporters, a
batch sent twice), of any kind, is counted once: one usage row, one of the spans the
usage note counts ("2 of 2 spans carry gen_ai attributes; 1 span read again ..."), and
the note says how many were read again.

A hosted API call (`gen_ai.usage.cost.source` "provider", or a `gen_ai.provider.name` /
`gen_ai.system` among the OpenTelemetry GenAI well-known providers,
`core.semconv.WELL_KNOWN_PROVIDERS`, or with token prices in the built-in catalog, such
as together or deepinfra: `hosted_providers()`) ran at its provider, not on the host that called
it: it never takes the host's resource (the process's `host.id` and the like), so it
takes no share of the host's replica time. With its own resource id on the span (the
ResourceId of a pay-per-token bill row) it is allocated as any request (rule R2'); else
the allocation engine rejects it as `hosted API call: billed by its provider`.

Bad input is an `InputError` naming the file, document and span: a document whose
`resourceSpans`, `scopeSpans`, `spans` or `attributes` are not lists of objects, an
`intValue` that is not an integer, a span without `startTimeUnixNano` or
`endTimeUnixNano`, a token count that is not a whole number below 2**63 (a fractional
`doubleValue` or `stringValue` such as 12.7 among them, as in a CSV log). A batch size or
concurrency that is not a whole number >= 1 (whole numbers written as strings or floats,
"4" or 4.0, are read as the span pricer reads them) leaves that span's request without a
duration_ms (its busy share is unknown: the pricer leaves such a span unpriced and
`reprice` counts it so; the usage note counts them, and the duration drivers reject
their rows as `no duration_ms`), and the rest of the file is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
#: where a hosted API call's own resource id is read (span attributes only)
HOSTED_RESOURCE_ID = ["infercost.resource_id", "cloud.resource_id"]
INPUT_TOKENS = list(semconv.INPUT_TOKENS)
OUTPUT_TOKENS = list(semconv.OUTPUT_TOKENS)
REQUEST_ID = ["gen_ai.response.id", "gen_ai.request.id"]
#: attribute prefixes that make a span an inference request
PREFIXES = ("gen_ai.", "llm.", "vllm.")
#: the largest token count (OTLP encodes integer attributes as int64)
_MAX_TOKENS = 2**63 - 1
_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR", "STATUS_CODE_OK": "OK",
           "STATUS_CODE_ERROR": "ERROR", "STATUS_CODE_UNSET": "UNSET"}
_TIMES = "expected startTimeUnixNano and endTimeUnixNano (integer ns)"


def _value(v: Any, key: object = None, where: str = "") -> Any:
    """An OTLP/JSON AnyValue as Python; raises `InputError` for an `intValue` that is not
    an integer or an `arrayValue` that is not an object."""
    if not isinstance(v, dict):
        return v
    for k in ("stringValue", "boolValue", "doubleValue"):
        if k in v:
            return v[k]
    if "intValue" in v:
        iv = v["intValue"]
        try:
            if isinstance(iv, bool) or (isinstance(iv, float) and iv != int(iv)):
                raise ValueError
            return int(iv)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"attribute {key}: intValue: expected an integer, got {iv!r}",
                             where) from None
    if "arrayValue" in v:
        arr = v["arrayValue"]
        if not isinstance(arr, dict) or not isinstance(arr.get("values", []), list):
            raise InputError(f"attribute {key}: arrayValue: expected {{\"values\": [...]}}",
                             where)
        return [_value(x, key, where) for x in arr.get("values", [])]
    return None


def _attrs(lst: Any, where: str = "") -> dict:
    """OTLP/JSON attributes (a list of `{"key": ..., "value": {...}}`) as a dict; raises
    `InputError` naming `where` when they are not a list of objects, or a key comes
    twice."""
    if lst is None:
        return {}
    if not isinstance(lst, list) or not all(isinstance(a, dict) for a in lst):
        raise InputError('attributes: expected a list of {"key": ..., "value": {...}} objects',
                         where)
    out: dict = {}
    for a in lst:
        k = a.get("key")
        if k in out:  # (OTLP: keys are unique; a later empty copy erased the value)
            raise InputError(f"attribute {k!r} given twice (expected each key once, as "
                             "OTLP requires)", where)
        out[k] = _value(a.get("value"), k, where)
    return out


def _objects(v: Any, what: str, where: str) -> list:
    """`v` when it is a list of objects (None and "" read as empty), else `InputError`."""
    if v is None or v == "":
        return []
    if not isinstance(v, list) or not all(isinstance(x, dict) for x in v):
        got = type(v).__name__ if not isinstance(v, list) else "a list holding " + next(
            type(x).__name__ for x in v if not isinstance(x, dict))
        raise InputError(f"{what}: expected a list of objects, got {got}", where)
    return v


def iter_spans(doc: dict, where: str):
    """(resource attributes, span, where) for each span of one OTLP/JSON document, `where`
    naming the document and span. Raises `InputError` naming the document when
    `resourceSpans`, `scopeSpans` (or `instrumentationLibrarySpans`) or `spans` are not
    lists of objects, or the resource's attributes are malformed."""
    for i, rs in enumerate(_objects(doc.get("resourceSpans"), "resourceSpans", where)):
        here = f"{where}: resourceSpans[{i}]"
        res = rs.get("resource") or {}
        if not isinstance(res, dict):
            raise InputError("resource: expected an object", here)
        rattrs = _attrs(res.get("attributes"), f"{here}: resource")
        scopes = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans")
        for j, ss in enumerate(_objects(scopes, "scopeSpans", here)):
            for sp in _objects(ss.get("spans"), "spans", f"{here}: scopeSpans[{j}]"):
                yield rattrs, sp, f"{where}: span {sp.get('spanId')}"


def span_times(sp: dict, where: str) -> tuple[int, int]:
    """(start, end) of a span in integer ns since the epoch; raises `InputError` naming
    `where` when either is missing or not an integer."""
    try:
        start, end = sp["startTimeUnixNano"], sp["endTimeUnixNano"]
        if isinstance(start, bool) or isinstance(end, bool):
            raise ValueError
        return int(start), int(end)
    except (KeyError, ValueError, TypeError):
        raise InputError(_TIMES, where) from None


def whole_number(v: object) -> int:
    """A whole number read as the span pricer reads it: an int, or a float or string
    holding one (4, 4.0, "4"); raises ValueError for anything else (True, 2.5, NaN,
    "four", inf)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise ValueError(v)
    if isinstance(v, int):
        return v
    try:
        f = float(v)
        if f != int(f):
            raise ValueError(v)
        return int(f)
    except OverflowError:
        raise ValueError(v) from None


def hosted_providers() -> frozenset[str]:
    """`provider_key`s of the hosted API providers: the OpenTelemetry GenAI well-known
    ones (`core.semconv.WELL_KNOWN_PROVIDERS`) and every provider with token prices in
    the built-in catalog (`prices.api_tokens`: together, deepinfra, ...), as the span
    pricer counts them."""
    global _HOSTED
    if _HOSTED is None:
        from infercost.core.catalog import load_catalog

        _HOSTED = semconv.hosted_provider_keys(a.provider for a in load_catalog().api_tokens)
    return _HOSTED


_HOSTED: frozenset[str] | None = None


def is_hosted(attrs: dict) -> bool:
    """Whether a span is a hosted API call: `gen_ai.usage.cost.source` "provider", or its
    `gen_ai.provider.name` (else `gen_ai.system`) one of `hosted_providers()`
    (`provider_key` compared)."""
    if attrs.get(semconv.COST_SOURCE) == "provider":
        return True
    provider = semconv.first(attrs, semconv.PROVIDER)
    return provider is not None and semconv.provider_key(provider) in hosted_providers()


@dataclass
class SpanCounts:
    """Spans read from OTLP files: `total` every distinct span (a span read again is one
    of them), `used` the usage rows made, `not_inference` agent and tool spans skipped
    (`gen_ai.operation.name`), `hosted` the rows that are hosted API calls."""

    total: int = 0
    used: int = 0
    not_inference: int = 0
    hosted: int = 0
    #: spans read again (a traceId and spanId already read, e.g. the files of two
    #: exporters, or a batch sent twice), of any kind: the copies, left out of `total`
    #: and of the rows (the span itself is counted once)
    duplicates: int = 0
    #: spans whose batch size (or concurrency, or divisor) is not a whole number >= 1:
    #: their requests' busy time is unknown (no duration_ms)
    bad_divisor: int = 0
    seen: set = field(default_factory=set, repr=False)


def _divisor(a: dict) -> int | None:
    """What a span's duration is split by: its batch size, else the replica's concurrency
    (as the span pricer), else the divisor the pricer wrote on it (`infercost.cost.divisor`:
    the scenario's concurrency it split the span by), else 1; None when the one given is
    not a whole number >= 1 (the request's busy share is then unknown)."""
    for key in (semconv.BATCH_SIZE, semconv.CONCURRENCY, semconv.DIVISOR):
        v = a.get(key)
        if v is None:
            continue
        try:
            n = whole_number(v)
        except ValueError:
            return None
        return n if n >= 1 else None
    return 1


def _tokens(a: dict, keys: list[str], where: str) -> int | None:
    """The first of `keys` in a span's attributes as a token count (None when absent): an
    int (an OTLP intValue exactly, as is a string of digits), or a double or string
    holding a whole number (12.0, "1e3"). Raises `InputError` naming `where` for anything
    else: a fractional count (12.7 was once cut to 12, as the CSV reader refuses it), text,
    NaN, a count of 2**63 or more."""
    v = _first(a, keys)
    if v is None:
        return None
    try:
        if type(v) is int:
            n = v
        elif isinstance(v, str) and v.strip().lstrip("+-").isdigit() and v.isascii():
            n = int(v)  # digits exactly (a float would round past 2**53)
        else:
            n = whole_number(v)
    except ValueError:
        fraction = _is_fraction(v)
        raise InputError(f"{keys[0]}: expected a token count"
                         f"{' (a whole number)' if fraction else ''}, got {v!r}",
                         where) from None
    if abs(n) > _MAX_TOKENS:  # an int64 holds every count OTLP can carry
        raise InputError(f"{keys[0]}: expected a token count below 2**63, got {v!r}", where)
    return n


def _is_fraction(v: object) -> bool:
    """Whether `v` is a finite number (or text of one) with a fractional part."""
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return f == f and abs(f) != float("inf") and f != int(f)


def spans_to_rows(doc: dict, where: str,
                  counts: SpanCounts | None = None) -> tuple[list[dict], int]:
    """Usage rows from one OTLP/JSON document; also returns how many spans it held.
    `counts`, when given, is added to (see `SpanCounts`). Raises `InputError` (module
    docstring)."""
    rows, n = [], 0
    c = counts if counts is not None else SpanCounts()
    for rattrs, sp, at in iter_spans(doc, where):
        n += 1
        ident = (sp.get("traceId"), sp.get("spanId"))
        if ident[1]:  # a span read before (same traceId and spanId): one span, counted once
            if ident in c.seen:
                c.duplicates += 1
                continue
            c.seen.add(ident)
        c.total += 1
        a = _attrs(sp.get("attributes"), at)
        if not any(str(k).startswith(PREFIXES) for k in a):
            continue
        if not semconv.is_inference_operation(a):
            c.not_inference += 1
            continue
        start, end = span_times(sp, at)
        hosted = is_hosted(a)
        merged = {**rattrs, **a}
        # a span of a batch of n (or on a replica serving n at once): the request's busy
        # share is 1/n of the span's time; unknown (no duration) when n is not a whole
        # number >= 1, as the span pricer leaves such a span unpriced
        divisor = _divisor(a)
        if divisor is None:
            c.bad_divisor += 1
        row = {
            "timestamp": start // 1000,  # microseconds since epoch, UTC
            "duration_ms": None if divisor is None else (end - start) / 1e6 / divisor,
            "request_id": str(_first(a, REQUEST_ID)
                              or f"{sp.get('traceId', '')}:{sp.get('spanId', '')}"),
        }
        for col, keys in _MAP.items():
            src = a if col == "model" else merged
            if col == "resource_id" and hosted:  # not the host it was called from
                src, keys = a, HOSTED_RESOURCE_ID
            val = next((src[k] for k in keys if src.get(k) not in (None, "")), None)
            if col == "endpoint" and val is None:
                val = sp.get("name")
            row[col] = None if val is None else str(val)
        row["provider"] = None
        if hosted:
            c.hosted += 1
            row["provider"] = semconv.provider_key(semconv.first(a, semconv.PROVIDER)) \
                or "unknown"
        row["input_tokens"] = _tokens(a, INPUT_TOKENS, at)
        row["output_tokens"] = _tokens(a, OUTPUT_TOKENS, at)
        st = sp.get("status")
        code = st.get("code", 0) if isinstance(st, dict) else 0
        code = _STATUS.get(code, code) if isinstance(code, (int, str)) else code
        row["status"] = str(a.get("error.type") or code)
        rows.append(row)
    c.used += len(rows)
    return rows, n


def _first(attrs: dict, keys: list[str]) -> Any:
    return next((attrs[k] for k in keys if attrs.get(k) not in (None, "")), None)


def documents(path: Path):
    """(where, document) for each OTLP/JSON document of a file: one per line, one
    pretty-printed, or a JSON array of them. A file that is not UTF-8 is an InputError
    naming its first bad line (and the key, when that line is one document), never a
    byte offset."""
    from infercost.ingest.billrows import json_records

    try:
        records = json_records(path)
    except UnicodeDecodeError:
        from infercost.ingest.textscan import json_not_utf8_error

        raise (json_not_utf8_error(Path(path)) or InputError(
            "not a text file (expected OTLP/JSON)", str(path))) from None
    for i, doc in enumerate(records, start=1):
        yield f"{path}: document {i}", doc


def read_spans(files: list[Path]):
    """An Arrow table of usage rows from OTLP/JSON files, and the `SpanCounts`."""
    import pyarrow as pa

    rows: list[dict] = []
    counts = SpanCounts()
    for f in files:
        for where, doc in documents(f):
            r, _ = spans_to_rows(doc, where, counts)
            rows.extend(r)
    schema = pa.schema([
        ("timestamp", pa.timestamp("us")), ("request_id", pa.string()), ("model", pa.string()),
        ("model_version", pa.string()), ("endpoint", pa.string()), ("tenant", pa.string()),
        ("resource_id", pa.string()), ("provider", pa.string()), ("duration_ms", pa.float64()),
        ("input_tokens", pa.int64()), ("output_tokens", pa.int64()), ("status", pa.string()),
    ])
    cols = {name: [r.get(name) for r in rows] for name in schema.names}
    return pa.table(cols, schema=schema), counts
