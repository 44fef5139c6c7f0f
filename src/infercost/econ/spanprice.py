"""Pricing one traced inference (an OpenTelemetry span) from the cost model.

A `PriceTable` is the cost model of one deployment reduced to what a single request needs
(built by `infercost.api.price_table` from `estimate`'s breakdown, so one cost model prices
everything):

- `replica_price_per_s`: what one replica (all its GPUs) costs per second of wall time,
  USD/s (or the scenario currency): the busy lines' price per GPU-hour x GPUs per replica
  / 3,600, rounded half-even to 18 decimals;
- `replica_concurrency`: requests one replica serves at once (the scenario's max batch);
- `idle_per_inference`: the estimate's idle and warm-up accelerator cost / inferences;
- `per_inference`: every other line of the breakdown (human review, licensing, egress,
  preprocessing, storage, engineering, experiments) per inference;
- `token_prices`: hosted APIs' list prices per 1M input / output tokens (from the catalog),
  and per 1M input tokens read from the prompt cache where the catalog has one;
- `model`: the model the scenario serves; a self-hosted span of another model is not
  priced with this table (`model_matches`).

`price_span` prices one request:

    busy share (replica-s) = busy time (ns) / divisor, the divisor being the batch the
        request rode in, else the replica's concurrency; amount = replica-s x price/s
    idle share             = idle_per_inference (1 inference x rate)
    other shares           = 1 inference x each per-inference amount
    hosted API             = (input - cached) tokens / 1e6 x input price
                             + cached tokens / 1e6 x cached input price (when the catalog
                             has one; else all input tokens at the input price)
                             + output tokens / 1e6 x output price

Concurrent requests share the replica's second: with the batch index i (0-based) of n,
the busy share is round(busy_ns (i+1) / n) - round(busy_ns i / n) whole nanoseconds, so
the n shares of a batch add up to its wall time exactly and no second is counted twice;
without an index each share is round(busy_ns / n) ns (the batch's shares then differ
from its wall time by under n ns). Every part is `quantity unit x rate = amount`, exact
in Decimal (no rounding after the rate).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from typing import Any, NamedTuple

from infercost.core.money import PRECISION, format_decimal
from infercost.core.semconv import hosted_provider_keys, provider_key

NS_PER_S = Decimal(1_000_000_000)
MILLION = Decimal(1_000_000)
#: decimals kept in the replica's price per second (half-even)
RATE_PLACES = 18
#: the largest token count priced (OTLP encodes integer attributes as int64)
INT64_MAX = 2**63 - 1
#: exact arithmetic for span costs: 60 digits hold a share in ns (a day: 14 digits) x a
#: rate of 18 decimals (up to 20 digits) and the sums of them, with room to spare
_CTX = Context(prec=60)


class CostPart(NamedTuple):
    """One part of a span's cost: `quantity unit x rate = amount` (exact). A named tuple:
    made for every span priced, so it is built at tuple speed."""

    name: str  # busy, idle, human_review, licensing, ..., input_tokens, output_tokens
    quantity: Decimal
    unit: str  # replica-s, inference, 1M tokens
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class TokenPrice:
    """A hosted model API's list price per 1M tokens (input, output; `cached_input_per_1m`:
    input tokens read from the prompt cache, None when the catalog has none), in the table
    currency."""

    provider: str
    model: str
    input_per_1m: Decimal
    output_per_1m: Decimal
    source: str = ""
    as_of: str = ""
    cached_input_per_1m: Decimal | None = None


@dataclass(frozen=True)
class PerInference:
    """One component's cost per inference (a breakdown line's amount / inferences)."""

    name: str
    amount: Decimal


_new_tuple = tuple.__new__


class LocalCost(NamedTuple):
    """A self-hosted request's cost without its itemised parts (what `price_span` builds
    its `SpanCost` from, and what a span pricer needs per span): `busy_share_s` the
    replica-seconds it took (whole ns / 1e9, exact), `divisor` what its busy time was
    split by, `busy` its busy share's amount (replica-s x price per replica-second),
    `total` busy + the table's idle and per-inference amounts (all exact, currency)."""

    busy_share_s: Decimal
    divisor: int
    busy: Decimal
    total: Decimal


@dataclass(frozen=True)
class PriceTable:
    """The prices one span needs, with a version that names them.

    `version`: sha256 prefix (12 hex) of the table's canonical JSON, `@` the newest
    catalog `as_of` it used (e.g. `3f2a9c1b7d4e@2026-11-28`): equal tables have equal
    versions, a changed price changes it. Money in `currency`; `replica_price_per_s` in
    currency per replica-second; the per-inference amounts in currency per inference.
    """

    scenario: str
    currency: str
    model: str
    replica_price_per_s: Decimal
    replica_concurrency: int
    idle_per_inference: Decimal
    per_inference: tuple[PerInference, ...] = ()
    token_prices: tuple[TokenPrice, ...] = ()
    as_of: str = ""
    source: str = ""
    #: hosted API providers the catalog knows (any currency): a span from one of them is
    #: a hosted call, priced from its tokens or left unpriced, never as self-hosted time
    hosted_providers: tuple[str, ...] = ()
    #: False when the scenario names no model (`model` is then its name): spans of any
    #: model are priced with it
    model_named: bool = True
    #: (provider, model, currency) of the catalog's hosted prices in other currencies than
    #: `currency` (not used to price; named in the reason a span is left unpriced)
    other_currency_prices: tuple[tuple[str, str, str], ...] = field(default=(), compare=False)
    version: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.version:
            object.__setattr__(self, "version", table_version(self))
        # the parts every local request carries once (idle and the per-inference lines),
        # made once here: pricing a span then only computes its busy share
        one = Decimal(1)
        fixed = (CostPart("idle", one, "inference", self.idle_per_inference,
                          self.idle_per_inference),
                 *(CostPart(p.name, one, "inference", p.amount, p.amount)
                   for p in self.per_inference))
        object.__setattr__(self, "_fixed", fixed)
        total = Decimal(0)
        for p in fixed:
            total = _CTX.add(total, p.amount)
        object.__setattr__(self, "_fixed_total", total)
        object.__setattr__(self, "_hosted", hosted_provider_keys(
            [*self.hosted_providers, *(t.provider for t in self.token_prices)]))
        object.__setattr__(self, "_tokens", {(provider_key(t.provider), t.model.lower()): t
                                             for t in reversed(self.token_prices)})
        object.__setattr__(self, "_served", {self.model: True})
        object.__setattr__(self, "_token_hits", {})

    def token_price(self, provider: str | None, model: str | None) -> TokenPrice | None:
        """The hosted price of `provider`/`model` (both compared case-insensitively, the
        provider as `core.semconv.provider_key`), or None. The exact name first; else the
        catalog model `model_matches` names (an `org/` prefix dropped, a variant or date
        after - _ : @: "gpt-4o-2024-08-06" is "gpt-4o", "meta-llama/Llama-3.1-8B" is
        "llama-3.1-8b"), the longest such name when several match ("gpt-4o-mini-2024-07-18"
        is "gpt-4o-mini", not "gpt-4o"). Remembered per name."""
        if model is None:
            return None
        key = (provider_key(provider), str(model).lower())
        hit = self._tokens.get(key)
        if hit is not None:
            return hit
        if key in self._token_hits:
            return self._token_hits[key]
        best = None
        for (p, m), t in self._tokens.items():
            if p == key[0] and model_matches(key[1], m) and (
                    best is None or len(m) > len(best.model)):
                best = t
        if len(self._token_hits) < 1024:
            self._token_hits[key] = best
        return best

    def priced_elsewhere(self, provider: str | None, model: str | None) -> str | None:
        """The currency the catalog prices hosted `provider`/`model` in when it has no
        price in the table currency (matched as `token_price`), else None."""
        k = provider_key(provider)
        for p, m, cur in self.other_currency_prices:
            if provider_key(p) == k and model is not None and model_matches(str(model), m):
                return cur
        return None

    def hosted_provider(self, provider: str | None) -> bool:
        """Whether `provider` is a hosted API: an OpenTelemetry GenAI well-known
        `gen_ai.provider.name` (or older `gen_ai.system` value), one in
        `hosted_providers`, or one with token prices; case-insensitive."""
        return provider is not None and provider_key(provider) in self._hosted

    def serves(self, model: str | None) -> bool:
        """Whether a self-hosted span of `model` is one this table prices: always when the
        scenario names no model (`model_named` False), else `model_matches(model,
        self.model)` (remembered per name)."""
        if not self.model_named or model is None:
            return True
        hit = self._served.get(model)
        if hit is None:
            hit = model_matches(model, self.model)
            if len(self._served) < 1024:
                self._served[model] = hit
        return hit

    def local_cost(self, busy_ns: int, batch: int | None = None, index: int | None = None,
                   model: str | None = None) -> LocalCost:
        """A self-hosted request's cost (`price_span`'s local branch, without the parts
        list): `busy_ns` whole nanoseconds of busy time, `batch` the requests sharing the
        replica (None: `replica_concurrency`), `index` its 0-based place in the batch,
        `model` the span's model. Returns a `LocalCost` (exact Decimals, table currency).
        Raises `UnpricedError` for a negative duration, a batch below 1, an index outside
        the batch or a model the table does not serve (`serves`)."""
        n = self.replica_concurrency if batch is None else batch
        if busy_ns < 0:
            raise UnpricedError("negative duration", f"busy time {busy_ns} ns is negative")
        if not (type(n) is int or _whole_number(n)) or n < 1:
            raise UnpricedError("bad infercost.batch.size",
                                f"batch size must be a whole number >= 1, got {n!r}")
        if index is not None and not ((type(index) is int or _whole_number(index))
                                      and 0 <= index < n):
            raise UnpricedError("bad infercost.batch.index",
                                f"batch index must be a whole number in 0..{n - 1}, got {index!r}")
        if model is not None and self._served.get(model) is not True and not self.serves(model):
            raise UnpricedError(f"model '{model}' is not the scenario's '{self.model}'",
                                f"a self-hosted span of model '{model}' cannot be priced with "
                                f"scenario '{self.scenario}' (model '{self.model}')")
        share_s = _CTX.divide(Decimal(busy_share_ns(busy_ns, n, index)), NS_PER_S)  # exact
        busy = _CTX.multiply(share_s, self.replica_price_per_s)
        # LocalCost(...) without the named tuple's Python-level __new__ (this runs per span)
        return _new_tuple(LocalCost, (share_s, n, busy, _CTX.add(busy, self._fixed_total)))

    def content(self) -> dict[str, Any]:
        """The table as JSON-ready data without its version (money as decimal strings)."""
        return {
            "scenario": self.scenario, "currency": self.currency, "model": self.model,
            "replica_price_per_s": format_decimal(self.replica_price_per_s),
            "replica_concurrency": self.replica_concurrency,
            "idle_per_inference": format_decimal(self.idle_per_inference),
            "per_inference": {p.name: format_decimal(p.amount) for p in self.per_inference},
            "token_prices": [_token_content(t) for t in self.token_prices],
            "hosted_providers": list(self.hosted_providers),
            "as_of": self.as_of, "source": self.source,
        }

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, **self.content()}


#: what may follow the scenario's model id in a span's model name (a variant or tag):
#: "llama-3.1-8b-instruct", "llama-3.1-8b:latest", "bert-base_v2", "m@2024-05"
_VARIANT_SEPARATORS = ("-", "_", ":", "@")


def _token_content(t: TokenPrice) -> dict[str, Any]:
    """A token price as JSON-ready data (the cached input price only when there is one, so
    a table without one keeps its version)."""
    d = {"provider": t.provider, "model": t.model,
         "input_per_1m": format_decimal(t.input_per_1m),
         "output_per_1m": format_decimal(t.output_per_1m), "source": t.source, "as_of": t.as_of}
    if t.cached_input_per_1m is not None:
        d["cached_input_per_1m"] = format_decimal(t.cached_input_per_1m)
    return d


def model_matches(span_model: str, scenario_model: str) -> bool:
    """Whether a span's model name names the scenario's model: compared case-insensitively
    after any `org/` prefix ("meta-llama/Llama-3.1-8B" is "llama-3.1-8b"), equal or the
    scenario's id followed by a variant or tag after -, _, : or @
    ("llama-3.1-8b-instruct", "llama-3.1-8b:latest"). "llama-3.1-80b" and
    "all-minilm-l6-v2" are not "llama-3.1-8b"."""
    a = str(span_model).strip().lower().rsplit("/", 1)[-1]
    b = str(scenario_model).strip().lower().rsplit("/", 1)[-1]
    if a == b:
        return True
    return bool(b) and a.startswith(b) and a[len(b)] in _VARIANT_SEPARATORS


def table_version(table: PriceTable) -> str:
    """sha256 of the canonical JSON of `table.content()`, 12 hex digits, `@` its as_of."""
    text = json.dumps(table.content(), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    return f"{digest}@{table.as_of}" if table.as_of else digest


def per_second(price_per_gpu_hour: Decimal, gpus_per_replica: int) -> Decimal:
    """A replica's price per second from a price per GPU-hour: x GPUs / 3,600, rounded
    half-even to RATE_PLACES decimals (currency per replica-second)."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        r = price_per_gpu_hour * gpus_per_replica / Decimal(3600)
        return r.quantize(Decimal(1).scaleb(-RATE_PLACES))


class SpanCost(NamedTuple):
    """What one span cost (a named tuple, as `CostPart`). `source`: "local" (self-hosted,
    priced from replica time) or "provider" (a hosted API's token prices); `busy_share_s`:
    the span's replica-seconds (0 for hosted); `divisor`: the batch size or concurrency
    its busy time was split by."""

    source: str
    currency: str
    table_version: str
    parts: tuple[CostPart, ...]
    total: Decimal  # the exact sum of the parts
    busy_share_s: Decimal = Decimal(0)
    divisor: int = 1

    def part(self, name: str) -> Decimal:
        """Amount of the part `name` (0 when absent)."""
        return next((p.amount for p in self.parts if p.name == name), Decimal(0))


class UnpricedError(ValueError):
    """A span that cannot be priced without guessing; `reason` is a short stable key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def busy_share_ns(busy_ns: int, divisor: int, index: int | None = None) -> int:
    """Whole nanoseconds of replica time one of `divisor` concurrent requests takes.

    With `index` (0-based, < divisor): round(busy (i+1)/n) - round(busy i/n) (half-even
    on integers), so the n shares add up to `busy_ns` exactly; without: round(busy / n).
    """
    if index is None:
        return _div_round(busy_ns, divisor)
    # _div_round twice, written out (this runs for every span priced)
    hi, r = divmod(busy_ns * (index + 1), divisor)
    if 2 * r > divisor or (2 * r == divisor and hi % 2 == 1):
        hi += 1
    lo, r = divmod(busy_ns * index, divisor)
    if 2 * r > divisor or (2 * r == divisor and lo % 2 == 1):
        lo += 1
    return hi - lo


def _whole_number(v: object) -> bool:
    """An int and not a bool (an int first: the common case costs one type check)."""
    return type(v) is int or (isinstance(v, int) and not isinstance(v, bool))


def _div_round(a: int, b: int) -> int:
    """a / b rounded half-even, integers only."""
    q, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and q % 2 == 1):
        q += 1
    return q


def price_span(table: PriceTable, busy_s: Decimal | int | float | None = None, *,
               busy_ns: int | None = None, batch: int | None = None, index: int | None = None,
               input_tokens: int | None = None, output_tokens: int | None = None,
               provider: str | None = None, model: str | None = None,
               cached_input_tokens: int | None = None) -> SpanCost:
    """Price one request (span) with `table`.

    Busy time: `busy_ns` (int nanoseconds, the span's end - start) or `busy_s` (seconds,
    converted to whole ns). `batch`: requests sharing the replica with it (the batch it
    rode in, or the replica's concurrency); None: `table.replica_concurrency`. `index`:
    its place in the batch (0-based) for exact sums. When `provider` is a hosted API
    (`table.hosted_provider`), the span is priced from `input_tokens`/`output_tokens`
    instead (source "provider"); `cached_input_tokens` (part of `input_tokens`, read
    from the prompt cache) are priced at the cached input price when the table has one.
    `model`: the span's model; a self-hosted span of a model
    the table does not serve (`table.serves`) is not priced. Returns a `SpanCost`. Raises
    `UnpricedError` (reason key and message) for what cannot be priced without a guess:
    a negative duration, a batch below 1, an index outside the batch, another model than
    the scenario's, a hosted model without a price (in the table currency) or without
    token counts, a token count that is negative or past int64 ("bad
    gen_ai.usage.input_tokens"), more cached input tokens than input tokens.
    """
    if table.hosted_provider(provider):
        tp = table.token_price(provider, model)
        if tp is None:
            elsewhere = table.priced_elsewhere(provider, model)
            if elsewhere is not None:
                raise UnpricedError(
                    f"no price in {table.currency} for provider {provider_key(provider)} "
                    f"model {model} (the catalog prices it in {elsewhere})",
                    f"no token price for {provider}/{model} in {table.currency} in table "
                    f"{table.version}; the catalog prices it in {elsewhere}")
            raise UnpricedError(f"no price for provider {provider_key(provider)} model {model}",
                                f"no token price for {provider}/{model} in table {table.version} "
                                f"(in {table.currency})")
        if input_tokens is None or output_tokens is None:
            raise UnpricedError("missing token counts",
                                f"{provider}/{model}: gen_ai.usage.input_tokens and "
                                "output_tokens are needed to price a hosted API call")
        for name, n in (("gen_ai.usage.input_tokens", input_tokens),
                        ("gen_ai.usage.output_tokens", output_tokens),
                        ("gen_ai.usage.cache_read.input_tokens", cached_input_tokens)):
            if n is not None and not (_whole_number(n) and 0 <= n <= INT64_MAX):
                raise UnpricedError(f"bad {name}",
                                    f"{name} must be a whole number in 0..2**63-1, got {n!r}")
        if cached_input_tokens is not None and cached_input_tokens > input_tokens:
            raise UnpricedError("bad gen_ai.usage.cache_read.input_tokens",
                                f"{cached_input_tokens} cached input tokens is more than the "
                                f"{input_tokens} input tokens they are part of")
        cached = cached_input_tokens if tp.cached_input_per_1m is not None else None
        lines = [("input_tokens", input_tokens - (cached or 0), tp.input_per_1m)]
        if cached:
            lines.append(("cached_input_tokens", cached, tp.cached_input_per_1m))
        lines.append(("output_tokens", output_tokens, tp.output_per_1m))
        parts = []
        total = Decimal(0)
        for name, n, rate in lines:
            qty = _CTX.divide(Decimal(n), MILLION)  # exact: a power of ten
            amount = _CTX.multiply(qty, rate)
            parts.append(CostPart(name, qty, "1M tokens", rate, amount))
            total = _CTX.add(total, amount)
        return SpanCost("provider", table.currency, table.version, tuple(parts), total)
    if busy_ns is None:
        if busy_s is None:
            raise UnpricedError("no duration", "the span has no busy time")
        busy_ns = int((Decimal(str(busy_s)) * NS_PER_S).to_integral_value())
    c = table.local_cost(busy_ns, batch, index, model)
    busy = CostPart("busy", c.busy_share_s, "replica-s", table.replica_price_per_s, c.busy)
    return SpanCost("local", table.currency, table.version, (busy, *table._fixed),
                    c.total, c.busy_share_s, c.divisor)
