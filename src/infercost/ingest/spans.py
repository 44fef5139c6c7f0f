"""Priced spans read back from OTLP/JSON files (what `infercost reprice` prices again).

The files are those `integrations.otel.OtlpJsonFileExporter` writes: one
ExportTraceServiceRequest per line in OTLP/JSON (a pretty-printed one or a JSON array of
them alike, `.gz` too; see `ingest.otel`). For every inference span (a `gen_ai.*`,
`llm.*`, `vllm.*` or `infercost.batch.*` attribute) it keeps what pricing needs: busy
time (end - start, integer ns), batch size and index, replica concurrency, tokens,
provider and model, and what it was priced at (`infercost.cost.amount_decimal`,
`gen_ai.usage.cost.currency`, `infercost.price_table.version`) or why not
(`infercost.cost.unpriced_reason`). Attribute names: `core.semconv`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from infercost.core import semconv as sc
from infercost.errors import InputError
from infercost.ingest.otel import _attrs, documents


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


@dataclass(frozen=True)
class StoredSpans:
    """The inference spans of some files. `total` counts every distinct span read (any
    kind); `duplicates` the spans read again with a traceId and spanId already seen
    (counted once, left out of `spans` and `total`)."""

    spans: tuple[StoredSpan, ...]
    total: int
    duplicates: int = 0

    @property
    def skipped(self) -> int:
        """Spans read that are not inference requests (server, database, ... spans)."""
        return self.total - len(self.spans)


def _int(attrs: dict, keys, where: str) -> int | None:
    v = sc.first(attrs, keys)
    if v is None:
        return None
    try:
        f = float(v)
        if f != int(f) or isinstance(v, bool):
            raise ValueError
        return int(f)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{keys[0]}: expected a whole number, got {v!r}", where) from None


def _span(sp: dict, rattrs: dict, where: str) -> StoredSpan:
    a = _attrs(sp.get("attributes"))
    merged = {**rattrs, **a}
    try:
        start = int(sp["startTimeUnixNano"])
        end = int(sp.get("endTimeUnixNano", start))
    except (KeyError, ValueError, TypeError):
        raise InputError("expected startTimeUnixNano and endTimeUnixNano (integer ns)",
                         where) from None
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

    batch = _int(a, (sc.BATCH_SIZE,), where)
    return StoredSpan(
        span_id=str(sp.get("spanId", "")), busy_ns=end - start,
        batch=batch if batch is not None else _int(a, (sc.CONCURRENCY,), where),
        index=_int(a, (sc.BATCH_INDEX,), where) if batch is not None else None,
        input_tokens=_int(a, sc.INPUT_TOKENS, where), output_tokens=_int(a, sc.OUTPUT_TOKENS, where),
        provider=text(sc.PROVIDER), model=text(sc.MODEL),
        model_version=text(sc.MODEL_VERSION, merged), tenant=text(sc.TENANT, merged),
        old_cost=old, old_version=text((sc.TABLE_VERSION,)), currency=None if cur is None else str(cur),
        reason=None if old is not None else str(
            a.get(sc.UNPRICED) or (f"stored cost without {sc.COST_CURRENCY}" if cost is None
                                   and sc.COST_DECIMAL in a else "not priced when recorded")),
        scenario=text((sc.SCENARIO,)))


def read_priced_spans(files: list[Path]) -> StoredSpans:
    """The inference spans of OTLP/JSON `files` (see the module docstring).

    A span read twice (the same traceId and spanId, in one file or two) is counted once
    (`duplicates`). Raises `InputError` naming the file (and document and span): a missing
    or unreadable file, invalid JSON, a document without `resourceSpans`, a file without
    spans, a stored cost or count that is not a number, a span without start and end
    times."""
    out: list[StoredSpan] = []
    total = duplicates = 0
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
            for rs in doc["resourceSpans"]:
                rattrs = _attrs((rs.get("resource") or {}).get("attributes"))
                for ss in rs.get("scopeSpans", []) or []:
                    for sp in ss.get("spans", []) or []:
                        in_file += 1
                        ids = (str(sp.get("traceId") or ""), str(sp.get("spanId") or ""))
                        if ids[0] and ids[1]:
                            if ids in seen:
                                duplicates += 1
                                continue
                            seen.add(ids)
                        total += 1
                        keys = [x.get("key", "") for x in sp.get("attributes") or []
                                if isinstance(x, dict)]
                        if any(str(k).startswith(sc.INFERENCE_PREFIXES) or k == sc.COST_DECIMAL
                               for k in keys):
                            out.append(_span(sp, rattrs, f"{where}: span {sp.get('spanId')}"))
        if not in_file:
            raise InputError("no spans in the file (its resourceSpans hold none)", str(f))
    return StoredSpans(tuple(out), total, duplicates)


_EXPECTED = 'expected OTLP/JSON ExportTraceServiceRequest objects ({"resourceSpans": [...]})'

