"""The cost-quality frontier and tiered (cascade) routing between a large and a small model.

Frontier: each variant is a point (monthly cost, quality). A variant is dominated when
another costs no more and scores no less, and is strictly better on one of the two.

Routing: traffic is split into risk segments, riskiest first, each with its share of
traffic and its share of the large model's lift value (how the lift concentrates; an
input). Routing a fraction f of traffic to the large model sends the riskiest f of it
(segment by segment, uniform within a segment); the rest goes to the small model. The
value of a mix is the sum over segments of each segment's value under the model that
serves it (never a weighted mean of a metric like AUC):

    value(segment s, model m) = value_per_point x lift_m x lift_share_s
    lift_m = quality_m - quality_reference       (points of the metric, as written)

where a segment split x to large and 1 - x to small is worth
x value(s, large) + (1 - x) value(s, small). Cost of a mix: f C_large + (1 - f) C_small,
monthly costs at full traffic scaled linearly by traffic share (a stated
simplification: fixed costs of running two fleets are not added). Net value of a mix =
value - (cost - C_reference). Net value is piecewise linear in f, so the best split is
at a segment boundary; the sweep always includes them.
Money is Decimal; shares and quality are Decimal too so the arithmetic is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from infercost.core.money import format_decimal
from infercost.errors import InputError


@dataclass(frozen=True)
class Point:
    """A variant on the cost-quality plane: monthly cost (currency), quality (metric units)."""

    name: str
    monthly_cost: Decimal
    quality: Decimal
    dominated_by: str | None = None


@dataclass(frozen=True)
class Segment:
    """A risk segment: share of traffic, share of the large model's lift value (both 0..1)."""

    name: str
    traffic_share: Decimal
    lift_share: Decimal


@dataclass(frozen=True)
class Mix:
    """Traffic fraction to the large model, and what the mix costs and is worth (monthly)."""

    fraction_large: Decimal
    cost: Decimal  # monthly cost of the mix
    extra_cost: Decimal  # cost - reference cost
    value: Decimal  # value of the lift over the reference
    net_value: Decimal  # value - extra_cost

    def to_dict(self) -> dict[str, Any]:
        return {k: format_decimal(getattr(self, k)) for k in ("fraction_large", "cost", "extra_cost", "value",
                                                  "net_value")}




def pareto(points: list[Point]) -> list[Point]:
    """The points with `dominated_by` set to a dominating point's name (cheapest such), or None."""
    out = []
    for p in points:
        dom = [o for o in points if o is not p and o.monthly_cost <= p.monthly_cost
               and o.quality >= p.quality and (o.monthly_cost < p.monthly_cost or o.quality > p.quality)]
        best = min(dom, key=lambda o: (o.monthly_cost, -o.quality)).name if dom else None
        out.append(Point(p.name, p.monthly_cost, p.quality, best))
    return out


def check_segments(segments: list[Segment]) -> None:
    """Traffic shares and lift shares must each be >= 0 and sum to 1; InputError otherwise."""
    if not segments:
        raise InputError("give at least one segment", "--segments")
    for what in ("traffic_share", "lift_share"):
        vals = [getattr(s, what) for s in segments]
        if any(v < 0 for v in vals) or abs(sum(vals) - 1) > Decimal("1e-9"):
            raise InputError(f"{what} of the segments must be >= 0 and sum to 1, got "
                             f"{', '.join(format_decimal(v) for v in vals)}", "--segments")


def mix(fraction: Decimal, large: Point, small: Point, reference: Point, segments: list[Segment],
        value_per_point: Decimal) -> Mix:
    """Cost and value of sending the riskiest `fraction` of traffic to `large` (module doc)."""
    lift_l = large.quality - reference.quality
    lift_s = small.quality - reference.quality
    value = Decimal(0)
    left = fraction
    for seg in segments:
        to_large = min(seg.traffic_share, max(Decimal(0), left))
        left -= to_large
        x = to_large / seg.traffic_share if seg.traffic_share else Decimal(0)
        value += value_per_point * seg.lift_share * (x * lift_l + (1 - x) * lift_s)
    cost = fraction * large.monthly_cost + (1 - fraction) * small.monthly_cost
    extra = cost - reference.monthly_cost
    return Mix(fraction, cost, extra, value, value - extra)


def sweep(large: Point, small: Point, reference: Point, segments: list[Segment],
          value_per_point: Decimal, steps: int = 20) -> list[Mix]:
    """Mixes at f = 0, 1/steps, ..., 1 and at every segment boundary, in order of f."""
    check_segments(segments)
    fs = {Decimal(i) / Decimal(steps) for i in range(steps + 1)}
    acc = Decimal(0)
    for seg in segments:
        acc += seg.traffic_share
        fs.add(min(Decimal(1), acc))
    return [mix(f, large, small, reference, segments, value_per_point) for f in sorted(fs)]


def best(mixes: list[Mix]) -> Mix:
    """The mix with the highest net value (the smallest fraction on ties)."""
    return max(mixes, key=lambda m: (m.net_value, -m.fraction_large))


def parse_segments(text: str) -> list[Segment]:
    """'riskiest:0.05:0.5,rest:0.95:0.5' -> segments (name:traffic_share:lift_share)."""
    out = []
    for part in text.split(","):
        bits = part.strip().split(":")
        if len(bits) != 3:
            raise InputError(f"segment {part.strip()!r}: expected name:traffic_share:lift_share",
                             "--segments")
        try:
            out.append(Segment(bits[0], Decimal(bits[1]), Decimal(bits[2])))
        except ArithmeticError:
            raise InputError(f"segment {part.strip()!r}: shares must be numbers", "--segments") from None
    check_segments(out)
    return out
