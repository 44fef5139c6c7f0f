"""Allocation rules: how a bill's cost reaches requests. All keys are optional.

The rules, precisely (the defaults first; the tests pin each one down):

R0  Cost basis. Every bill row's cost is its EffectiveCost (amortised, after discounts
    and commitments); `cost_basis: BilledCost` uses the invoiced amount instead. Credits,
    refunds, corrections, taxes and commitment purchases (used and unused) are rows like
    any other: kept, labelled, and counted in exactly one of the four totals below.

R1  Fleet. The fleet is the set of bill rows whose ResourceId appears in the usage log's
    `resource_id` column (on any row, rejected or not). `fleet:` can add rows by ResourceId (`resource_ids`), by
    tag (`tags: {team: ml}`: every pair must match the row's Tags), by ServiceName
    (`services`) or by SkuId (`skus`); `from_usage: false` drops the default selection.

R2  Hours. A fleet row's cost is spread evenly over the UTC clock hours its charge period
    [ChargePeriodStart, ChargePeriodEnd) touches, in units of 1e-10 of the currency
    (the quantum); the leftover quanta go to the earliest hours, and the part of the
    amount below one quantum stays with the row's first hour and ends up idle (R4).
    A fleet row without a usable charge period (null, or end <= start) is unallocated.

R2' Pay per token. A fleet row billed per token (a hosted model: Bedrock, Vertex AI
    Gemini, Azure OpenAI, a proxy's FOCUS export), recognised by a PricingUnit (else
    ConsumedUnit) that names tokens, or by its ServiceName or SkuId in `per_token:`, has
    no idle capacity: its cost is spread over the hours of its charge period in
    proportion to the tokens of the resource's accepted requests in each hour (their
    request count when the period has no tokens; evenly, hence idle, only when the
    period has no request at all), and within an hour its resource's cost goes to the
    requests by tokens (or requests), whatever `driver` says.

R3  Requests. A resource's cost in one hour is allocated to the requests that started
    on that resource in that hour, in proportion to their driver weight:
      duration_ms (default)  busy time, counted in microseconds
      tokens                 input_tokens + output_tokens (missing counts as 0)
      requests               1 per request
      gpu_time               gpu_ms, in microseconds (the usage log must carry gpu_ms)
      capacity               duration_ms against a declared capacity per resource-hour
                             (`capacity_ms_per_hour`, default 3,600,000 ms, per resource
                             by ResourceId): a request gets cost x weight / max(capacity,
                             total weight), so idle is the unused share of each hour.
    A request's share is q x w + floor(r x w / W) quanta with q, r = divmod(cost_q, W)
    (W: the hour's total weight, or max(capacity, W)); q and r are exact integers, the
    last floor is taken of one IEEE double division, the same on every backend, so a
    share is the exact floor(cost_q x w / W) or one quantum below it.

R4  Idle. For each fleet resource and day, idle = the resource's cost in that day minus
    what its hours handed out, floor(cost_q x min(W, den) / den) per hour: all of an
    hour with cost and no requests, the unused share under `capacity`, and the
    sub-quantum rest of R2. It is reported per resource and day as `__idle__` rows
    (detail: the ResourceId), not spread. The per-request rounding of R3 (what the hours
    handed out minus what the requests got, under one quantum per request) is one more
    idle row, `rounding: sub-quantum request shares`. `idle: share` spreads each
    resource's idle over the allocation rows that used the resource, in proportion to
    their allocated cost (then what cannot be spread is reported per resource for the
    whole period).

R5  Shared. Bill rows outside the fleet are shared: reported as `__shared__` rows by
    ServiceCategory and charge label, not spread. `shared: requests | cost | even`
    spreads each of them over all allocation rows, in proportion to requests, to
    allocated cost, or evenly.

R6  Unallocated. Usage that matches no fleet cost (no bill row for its resource and hour,
    outside the billing period), usage with a bill row that weighs nothing under the
    driver ("zero weight under the driver": no tokens under `tokens`, zero busy time
    under `duration_ms`, under every driver the same reason) and rejected usage (no
    timestamp, a hosted API call without a resource of its own: a `provider` and no
    resource_id, "hosted API call: billed by its provider", its cost is on the
    provider's bill and never on the host that called it; no resource_id, negative tokens, a negative, NaN, infinite or huge
    duration_ms: over 1e9 ms per request; a missing duration_ms under the drivers that
    read it, duration_ms and capacity) is reported as `__unallocated__` rows with its
    request count and zero cost: never priced by guess. Fleet cost that R2 cannot
    place is unallocated cost.

    Call counts (`--counts`) are usage rows that stand for `requests` requests each;
    every count above is a number of requests, not of rows.

R7  Conservation. allocated + idle + shared + unallocated = the bill's total cost,
    exactly (Decimal), per currency; checked on every run. A bill in several currencies
    needs `currency` and `exchange_rates` (units of `currency` per unit), else it is an
    error.

Spreads (R4 `share`, R5) are exact: largest remainder in quanta, the sub-quantum rest
to the row with the largest weight.

Example:

    cost_basis: EffectiveCost
    fleet: {tags: {team: inference}, services: [Amazon Elastic Compute Cloud]}
    driver: capacity
    capacity_ms_per_hour: {default: 28800000, i-0abc: 3600000}
    idle: share
    shared: requests
    currency: USD
    exchange_rates: {EUR: "1.08"}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from infercost.core.currency import check_currency
from infercost.errors import InputError

DRIVERS = ("duration_ms", "tokens", "requests", "gpu_time", "capacity")
IDLE = ("report", "share")
SHARED = ("report", "requests", "cost", "even")
_KEYS = {"cost_basis", "fleet", "driver", "capacity_ms_per_hour", "idle", "shared",
         "currency", "exchange_rates", "period", "per_token"}
_FLEET_KEYS = {"from_usage", "resource_ids", "tags", "services", "skus"}


@dataclass
class Rules:
    """Parsed allocation rules (see the module docstring for their meaning)."""

    cost_basis: str = "EffectiveCost"
    from_usage: bool = True
    resource_ids: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    services: list[str] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    driver: str = "duration_ms"
    capacity_ms_per_hour: dict[str, Decimal] = field(default_factory=dict)
    idle: str = "report"
    shared: str = "report"
    currency: str | None = None
    exchange_rates: dict[str, Decimal] = field(default_factory=dict)
    per_token: list[str] = field(default_factory=list)
    #: the top-level keys the rules file gave (the rest are defaults)
    given: frozenset[str] = frozenset()
    #: where they came from (the file's path; "rules" for defaults), named in errors
    source: str = field(default="rules", compare=False)

    def capacity_ms(self, resource_id: str) -> Decimal:
        """Declared busy-time capacity of one resource-hour, in ms."""
        return self.capacity_ms_per_hour.get(
            resource_id, self.capacity_ms_per_hour.get("default", Decimal(3_600_000))
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "cost_basis": self.cost_basis, "driver": self.driver, "idle": self.idle,
            "shared": self.shared,
            "fleet": {"from_usage": self.from_usage, "resource_ids": self.resource_ids,
                      "tags": self.tags, "services": self.services, "skus": self.skus},
            "capacity_ms_per_hour": self.capacity_ms_per_hour or None,
            "currency": self.currency, "exchange_rates": self.exchange_rates or None,
            "per_token": self.per_token or None,
        }  # fmt: skip


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if value not in allowed:
        raise InputError(f"expected one of {', '.join(allowed)}, got {value!r}", where)
    return value


def _scalar(v: Any) -> bool:
    """A YAML value that reads as one text (a string or a number; no list, mapping,
    boolean or null)."""
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def parse_rules(data: dict | None, source: str = "rules") -> Rules:
    """Rules from a parsed YAML mapping; unknown keys and bad values name the key path."""
    from infercost.core.money import to_decimal
    from infercost.ingest.billrows import azure_lower

    data = data or {}
    if not isinstance(data, dict):
        raise InputError("expected a mapping of rule keys", source)
    unknown = sorted(str(k) for k in set(data) - _KEYS)  # keys may be numbers in YAML
    if unknown:
        raise InputError(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_KEYS))}",
                         f"{source}: {unknown[0]}")
    r = Rules(given=frozenset(data), source=source)
    if "cost_basis" in data:
        cb = str(data["cost_basis"])
        if cb.replace("_", "").lower() not in ("effectivecost", "billedcost"):
            raise InputError(f"expected EffectiveCost or BilledCost, got {cb!r}",
                             f"{source}: cost_basis")
        r.cost_basis = "BilledCost" if cb.lower().startswith("billed") else "EffectiveCost"
    fleet = data.get("fleet")
    fleet = {} if fleet is None else fleet  # (`fleet: []` or `false` is no mapping)
    if not isinstance(fleet, dict):
        raise InputError("expected a mapping", f"{source}: fleet")
    bad = sorted(set(fleet) - _FLEET_KEYS)
    if bad:
        raise InputError(f"unknown key {bad[0]!r}; allowed: {', '.join(sorted(_FLEET_KEYS))}",
                         f"{source}: fleet.{bad[0]}")
    r.from_usage = fleet.get("from_usage", True)
    if not isinstance(r.from_usage, bool):  # ("no" in quotes is text, and text is true)
        raise InputError(f"expected true or false, got {r.from_usage!r}",
                         f"{source}: fleet.from_usage")
    for key in ("resource_ids", "services", "skus"):
        v = fleet.get(key)
        v = [] if v is None else [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(_scalar(x) for x in v):
            raise InputError(f"expected a list of strings, got {v!r}"[:200],
                             f"{source}: fleet.{key}")
        setattr(r, key, [str(x) for x in v])
    tags = fleet.get("tags")
    tags = {} if tags is None else tags
    if not isinstance(tags, dict) or not all(_scalar(v) for v in tags.values()):
        raise InputError(f"expected a mapping of tag: value (text), got {tags!r}"[:200],
                         f"{source}: fleet.tags")
    r.tags = {str(k).strip(): str(v) for k, v in tags.items()}
    r.driver = _choice(data.get("driver", r.driver), DRIVERS, f"{source}: driver")
    r.idle = _choice(data.get("idle", r.idle), IDLE, f"{source}: idle")
    r.shared = _choice(data.get("shared", r.shared), SHARED, f"{source}: shared")
    cap = data.get("capacity_ms_per_hour") or {}
    if isinstance(cap, (int, float, str)):
        cap = {"default": cap}
    if not isinstance(cap, dict):
        raise InputError("expected a number or a mapping of ResourceId: ms",
                         f"{source}: capacity_ms_per_hour")
    for k, v in cap.items():
        d = to_decimal(v, f"{source}: capacity_ms_per_hour.{k}")
        if d <= 0:
            raise InputError(f"expected a positive number of ms, got {v!r}",
                             f"{source}: capacity_ms_per_hour.{k}")
        # (Azure ids compared in lower case, as the bill's are)
        r.capacity_ms_per_hour[azure_lower(str(k)) if k != "default" else "default"] = d
    if "currency" in data:
        r.currency = check_currency(str(data["currency"]).upper(), f"{source}: currency")
    rates = data.get("exchange_rates") or {}
    if not isinstance(rates, dict):
        raise InputError("expected a mapping of currency: rate", f"{source}: exchange_rates")
    for k, v in rates.items():
        d = to_decimal(v, f"{source}: exchange_rates.{k}")
        if d <= 0:
            raise InputError(f"expected a positive rate, got {v!r}",
                             f"{source}: exchange_rates.{k}")
        code = check_currency(str(k).upper(), f"{source}: exchange_rates.{k}")
        r.exchange_rates[code] = d
    pt = data.get("per_token") or []
    if isinstance(pt, str):
        pt = [pt]
    if not isinstance(pt, list):
        raise InputError("expected a list of ServiceName or SkuId values",
                         f"{source}: per_token")
    r.per_token = [str(x) for x in pt]
    if "period" in data and data["period"] != "day":
        raise InputError(f"expected day, got {data['period']!r}", f"{source}: period")
    return r


def load_rules(path: str | Path | dict | None) -> Rules:
    """Rules from a YAML file, or a mapping of the same keys (None: the defaults).
    Raises InputError naming the file (or `rules`) and the key."""
    if path is None:
        return Rules()
    if isinstance(path, dict):
        return parse_rules(path, "rules")
    from infercost.core.yamlio import load_yaml

    p = Path(path)
    if not p.exists():
        raise InputError("no such rules file", str(p))
    if p.is_dir():
        raise InputError("a folder, not a rules file (expected a YAML file)", str(p))
    try:  # (not only a regular file: /dev/null reads as an empty document, the
        text = p.read_text()  # defaults, and a shell's <(...) as what it writes)
    except UnicodeDecodeError:
        raise InputError("not a text file (expected UTF-8 YAML)", str(p)) from None
    except OSError as e:
        raise InputError(f"cannot be read ({e.strerror or e})", str(p)) from None
    data = load_yaml(text, str(p))
    return parse_rules(data, str(p))
