"""Priced spans read back from OTLP/JSON files (what `infercost reprice` prices again).

The files are those `integrations.otel.OtlpJsonFileExporter` writes: one
ExportTraceServiceRequest per line in OTLP/JSON (a pretty-printed one or a JSON array of
them alike, `.gz` too; see `ingest.otel`). For every inference span (a `gen_ai.*`,
`llm.*`, `vllm.*` or `infercost.batch.*` attribute, and not an agent or tool operation:
`core.semconv.is_inference_operation`) it keeps what pricing needs: busy time (end -
start, integer ns), batch size and index, replica concurrency, tokens, provider and
model (`core.semconv.MODEL`: `infercost.model`, the model it was priced as, first), and what it was priced at (`infercost.cost.amount_decimal`,
`gen_ai.usage.cost.currency`, `infercost.price_table.version`) or why not
(`infercost.cost.unpriced_reason`). Attribute names: `core.semconv`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from infercost.core import semconv as sc
from infercost.errors import InputError
from infercost.ingest.otel import _attrs, documents, iter_spans, span_times, whole_number


@dataclass(frozen=True)
class StoredSpan:
    """One inference span as stored. `old_cost` is None when it was not priced (`reason`)."""

    span_id: str
    busy_ns: int
    batch: int | None
    index: int | None
    input_tokens: int | None
    output_tokens: int | None
    provider: str | None
    model: str | None
    model_version: str | None
    tenant: str | None
    old_cost: Decimal | None
    old_version: str | None
    currency: str | None
    reason: str | None = None
    scenario: str | None = None  # `infercost.scenario`: the scenario that priced it
    #: "bad infercost.batch.size" (or .batch.index, .replica.concurrency): an attribute
    #: the pricer could not read as a whole number; the span is not priced again
    bad: str | None = None
    #: "bad gen_ai.usage.input_tokens" (or output): a token count that is not a whole
    #: number (a hosted call is then not priced again; a self-hosted one ignores tokens)
    bad_tokens: str | None = None
    #: input tokens read from a prompt cache (`semconv.CACHE_READ_INPUT_TOKENS`; part of
    #: `input_tokens`), priced at the catalog's cached input price as the pricer does
    cached_input_tokens: int | None = None


@dataclass(frozen=True)
class StoredSpans:
    """The inference spans of some files. `total` counts every distinct span read (any
    kind); `duplicates` the spans read again with a traceId and spanId already seen
    (counted once, left out of `spans` and `total`)."""

    spans: tuple[StoredSpan, ...]
    total: int
    duplicates: int = 0

    #: agent and tool spans (`gen_ai.operation.name`, `core.semconv.is_inference_operation`)
    not_inference: int = 0

    @property
    def skipped(self) -> int:
        """Spans read that are not inference requests (server, database, agent and tool
        spans)."""
        return self.total - len(self.spans)


def _whole(attrs: dict, keys) -> tuple[int | None, str | None]:
    """(value, None) for a whole-number attribute read as the span pricer reads it (the
    first of `keys`; None when absent), or (None, "bad " + the first key's name) for a
    value that is not a whole number (the pricer's unpriced reason)."""
    v = sc.first(attrs, keys)
    if v is None:
        return None, None
    try:
        return whole_number(v), None
    except ValueError:
        return None, f"bad {keys[0]}"


def _span(sp: dict, rattrs: dict, a: dict, where: str) -> StoredSpan:
    merged = {**rattrs, **a}
    start, end = span_times(sp, where)
    cost, cur = a.get(sc.COST_DECIMAL), a.get(sc.COST_CURRENCY)
    old = None
    if cost is not None:
        try:
            old = Decimal(str(cost))
            if not old.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise InputError(f"{sc.COST_DECIMAL}: expected a decimal number, got {cost!r}",
                             where) from None
        if not cur and a.get(sc.COST_SOURCE) == "provider":
            # hosted calls priced before the exporter wrote their currency: counted, not read
            old, cost = None, None
        elif not cur:
            raise InputError(f"a priced span needs {sc.COST_CURRENCY}", where)

    def text(keys, src=a) -> str | None:
        v = sc.first(src, keys)
        return None if v is None else str(v)

    # as the pricer: the batch size, else the replica's concurrency; the index only with
    # a batch size; a value that is not a whole number leaves the span unpriced ("bad " +
    # the attribute's name), never the whole file refused
    batch, bad = _whole(a, (sc.BATCH_SIZE,))
    index = None
    if batch is not None:
        index, bad = _whole(a, (sc.BATCH_INDEX,))
    elif bad is None:
        batch, bad = _whole(a, (sc.CONCURRENCY,))
    tin, bad_in = _whole(a, sc.INPUT_TOKENS)
    tout, bad_out = _whole(a, sc.OUTPUT_TOKENS)
    tcached, bad_cached = _whole(a, sc.CACHE_READ_INPUT_TOKENS)
    provider = text(sc.PROVIDER)
    return StoredSpan(
        span_id=str(sp.get("spanId", "")), busy_ns=end - start, batch=batch, index=index,
        input_tokens=tin, output_tokens=tout, provider=provider, model=text(sc.MODEL),
        model_version=text(sc.MODEL_VERSION, merged), tenant=text(sc.TENANT, merged),
        old_cost=old, old_version=text((sc.TABLE_VERSION,)), currency=None if cur is None else str(cur),
        reason=None if old is not None else str(
            a.get(sc.UNPRICED) or (f"stored cost without {sc.COST_CURRENCY}" if cost is None
                                   and sc.COST_DECIMAL in a else "not priced when recorded")),
        scenario=text((sc.SCENARIO,)), bad=bad, bad_tokens=bad_in or bad_out or bad_cached,
        cached_input_tokens=tcached)


def read_priced_spans(files: list[Path]) -> StoredSpans:
    """The inference spans of OTLP/JSON `files` (see the module docstring).

    A span read twice (the same traceId and spanId, in one file or two) is counted once
    (`duplicates`); agent and tool spans are skipped (`not_inference`). A batch size,
    index, concurrency or token count that is not a whole number does not stop the read:
    the span carries the pricer's reason (`StoredSpan.bad`, `bad_tokens`). Raises
    `InputError` naming the file (and document and span): a missing or unreadable file,
    invalid JSON, a document without `resourceSpans`, `resourceSpans`, `scopeSpans`,
    `spans` or `attributes` that are not lists of objects, an `intValue` that is not an
    integer, a file without spans, a stored cost that is not a number, a span without
    `startTimeUnixNano` or `endTimeUnixNano`."""
    out: list[StoredSpan] = []
    total = duplicates = not_inference = 0
    seen: set[tuple[str, str]] = set()
    for f in files:
        f = Path(f)
        if not f.is_file():
            raise InputError("file not found" if not f.exists() else "is a folder; expected a file",
                             str(f))
        try:
            docs = list(documents(f))
        except UnicodeDecodeError:
            raise InputError("not a text file (expected OTLP/JSON)", str(f)) from None
        except InputError as e:
            if e.message != "expected a JSON array of objects":
                raise
            raise InputError(_EXPECTED + ", one a line or a JSON array of them", str(f)) from None
        if not docs:
            raise InputError("the file is empty (expected OTLP/JSON spans)", str(f))
        in_file = 0
        for where, doc in docs:
            if not isinstance(doc.get("resourceSpans"), list):
                raise InputError("expected an OTLP/JSON ExportTraceServiceRequest "
                                 "({\"resourceSpans\": [...]})", where)
            for rattrs, sp, at in iter_spans(doc, where):
                in_file += 1
                ids = (str(sp.get("traceId") or ""), str(sp.get("spanId") or ""))
                if ids[0] and ids[1]:
                    if ids in seen:
                        duplicates += 1
                        continue
                    seen.add(ids)
                total += 1
                a = _attrs(sp.get("attributes"), at)
                if not any(str(k).startswith(sc.INFERENCE_PREFIXES) or k == sc.COST_DECIMAL
                           for k in a):
                    continue
                if not sc.is_inference_operation(a):  # an agent or tool span: skipped
                    not_inference += 1
                    continue
                out.append(_span(sp, rattrs, a, at))
        if not in_file:
            raise InputError("no spans in the file (its resourceSpans hold none)", str(f))
    return StoredSpans(tuple(out), total, duplicates, not_inference)


_EXPECTED = 'expected OTLP/JSON ExportTraceServiceRequest objects ({"resourceSpans": [...]})'

