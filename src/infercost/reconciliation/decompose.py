"""The difference between a predicted and a measured accelerator cost, decomposed.

Accelerator cost over a period is modelled as

    C(N, u, r, b) = N x b / u x r

N: inferences (user requests served); b: busy GPU-hours per inference; u: utilisation,
busy / provisioned GPU-hours; r: price per provisioned GPU-hour (USD/GPU-h). Predicted
values p and measured values m give C(p) = predicted and C(m) = measured accelerator cost.
The factors change one at a time, in the order volume, utilisation, price; each effect is
the change of its factor holding the earlier ones at measured and the later ones at
predicted values:

    volume      = C(Nm, up, rp, bp) - C(Np, up, rp, bp)
    utilisation = C(Nm, um, rp, bp) - C(Nm, up, rp, bp)
    price       = C(Nm, um, rm, bp) - C(Nm, um, rp, bp)
    residual    = total difference - volume - utilisation - price

The residual holds the busy time per inference (b) and every component that is not
accelerator time; predicted components with no line on the bill at all (engineering,
human review, licensing paid outside the cloud) are in it too, split out as "not on the
bill". Volume, utilisation and price are rounded to 1e-18 of the currency
unit; the residual is what remains, so the four sum to the total difference exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from infercost.core.money import format_decimal

ORDER = ("volume", "utilisation", "price", "residual")


@dataclass(frozen=True)
class Factors:
    """N inferences, b busy GPU-h per inference, u utilisation (0-1], r USD per GPU-h."""

    inferences: Decimal
    busy_gpu_h_per_inference: Decimal
    utilisation: Decimal
    rate: Decimal

    @classmethod
    def of(cls, inferences: Decimal, busy_gpu_h: Decimal, gpu_h: Decimal, cost: Decimal) -> Factors:
        """From totals: inferences, busy and provisioned GPU-hours and their cost (money)."""
        if inferences <= 0 or busy_gpu_h <= 0 or gpu_h <= 0:
            raise ValueError("inferences, busy and provisioned GPU-hours must be positive")
        return cls(inferences, busy_gpu_h / inferences, busy_gpu_h / gpu_h, cost / gpu_h)

    def to_dict(self) -> dict[str, str]:
        return {"inferences": format_decimal(self.inferences), "busy_gpu_h_per_inference": format_decimal(self.busy_gpu_h_per_inference),
                "utilisation": format_decimal(self.utilisation), "rate_per_gpu_h": format_decimal(self.rate)}


def cost(n: Decimal, u: Decimal, r: Decimal, b: Decimal) -> Decimal:
    """C(N, u, r, b) = N x b / u x r (money)."""
    return n * b / u * r


@dataclass(frozen=True)
class Decomposition:
    predicted_total: Decimal
    measured_total: Decimal
    volume: Decimal
    utilisation: Decimal
    price: Decimal
    residual: Decimal
    residual_accelerator: Decimal  # busy time per inference (and rounding)
    residual_other: Decimal  # components that are not accelerator time (on the bill)
    residual_not_on_bill: Decimal = Decimal(0)  # predicted lines no bill carries (- them)

    @property
    def difference(self) -> Decimal:
        return self.measured_total - self.predicted_total

    def to_dict(self) -> dict:
        return {
            "order": list(ORDER),
            "difference": format_decimal(self.difference),
            "volume": format_decimal(self.volume), "utilisation": format_decimal(self.utilisation), "price": format_decimal(self.price),
            "residual": format_decimal(self.residual),
            "residual_parts": {"accelerator_busy_time_per_inference": format_decimal(self.residual_accelerator),
                               "other_components": format_decimal(self.residual_other),
                               "not_on_the_bill": format_decimal(self.residual_not_on_bill)},
        }


def decompose(p: Factors, m: Factors, predicted_total: Decimal, measured_total: Decimal,
              predicted_accel: Decimal, measured_accel: Decimal,
              predicted_not_on_bill: Decimal = Decimal(0)) -> Decomposition:
    """Volume, utilisation, price and residual effects (money), summing to the difference.

    `*_total`: the whole breakdowns' totals; `*_accel`: their accelerator lines (the part
    the factors model); `predicted_not_on_bill`: predicted non-accelerator lines with no
    counterpart in the bill (engineering, human review, licensing paid elsewhere): their
    part of the residual (minus them) is reported apart, as `not_on_the_bill`. Raises ZeroDivisionError only if a factor is zero (see Factors.of).
    """
    with localcontext() as ctx:
        ctx.prec = 60  # the sums below are exact: every term has at most 18 decimals
        c0 = cost(p.inferences, p.utilisation, p.rate, p.busy_gpu_h_per_inference)
        c1 = cost(m.inferences, p.utilisation, p.rate, p.busy_gpu_h_per_inference)
        c2 = cost(m.inferences, m.utilisation, p.rate, p.busy_gpu_h_per_inference)
        c3 = cost(m.inferences, m.utilisation, m.rate, p.busy_gpu_h_per_inference)
        volume, util, price = _q(c1 - c0), _q(c2 - c1), _q(c3 - c2)
        diff = measured_total - predicted_total
        residual = diff - volume - util - price
        other = (measured_total - measured_accel) - (predicted_total - predicted_accel)
        off = -predicted_not_on_bill
        return Decomposition(predicted_total, measured_total, volume, util, price, residual,
                             residual - other, other - off, off)


def _q(d: Decimal) -> Decimal:
    """An effect rounded half-even to 1e-18 of the currency unit (as breakdown lines are)."""
    return d.quantize(Decimal(1).scaleb(-18))


