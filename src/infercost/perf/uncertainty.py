"""Error bars: intervals from the empirical distribution of the model's own residuals.

`perf/data/residuals.json` (written by `benchmarks/bench_perf_fidelity.py`, never by hand)
holds, per validation group ``family|engine`` (e.g. ``decoder|tensorrt``, ``encoder|hf-eager``),
the log ratios ``ln(measured / predicted)`` of held-out rows. A prediction x of that group
has quantile q at ``x x exp(Q_q(residuals))`` (Q: linear interpolation between order
statistics at level 0.5 + (q - 0.5)(n + 1)/n: the small-sample widening of split
conformal prediction). Groups with fewer than `MIN_ROWS` residuals borrow the
engine's pooled residuals, then every residual, widened by `BORROW_WIDEN` (a prediction
in a family nobody validated is less certain than the pool says).

Throughput quantiles: a step-time residual r gives a throughput of x / exp(r), so
throughput quantile q uses the residual quantile 1 - q (``samples_per_s_p10`` is the
slow end).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

MIN_ROWS = 5
BORROW_WIDEN = 1.5


@lru_cache(maxsize=1)
def residual_table() -> dict:
    """The stored residual table ({} when the data file is absent)."""
    try:
        text = (resources.files("infercost.perf") / "data" / "residuals.json").read_text()
    except (FileNotFoundError, OSError):
        return {}
    return json.loads(text)


def residual_quantile(xs: list[float], q: float) -> float:
    """Quantile q of residuals `xs` with a small-sample (split-conformal style) widening:
    level 0.5 + (q - 0.5) x (n + 1) / n, so that n residuals give an interval that covers
    a new row with the nominal probability rather than less."""
    n = len(xs)
    qa = min(1.0, max(0.0, 0.5 + (q - 0.5) * (n + 1) / n))
    return _quantile(xs, qa)


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    pos = q * (len(s) - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def residuals_for(family: str, engine: str, table: dict | None = None) -> tuple[list[float], str, float]:
    """(log residuals, the group they came from, widening factor) for a family and engine.

    Residuals are of step time / inverse throughput: ln(measured time / predicted time)."""
    groups = (residual_table() if table is None else table).get("groups", {})
    eng = engine.partition("@")[0]
    eng = "tensorrt" if eng == "optimized" else eng
    key = f"{family}|{eng}"
    if len(groups.get(key, {}).get("log_residuals", [])) >= MIN_ROWS:
        return groups[key]["log_residuals"], key, 1.0
    pooled = [x for k, g in groups.items() if k.endswith(f"|{eng}") for x in g["log_residuals"]]
    if len(pooled) >= MIN_ROWS:
        return pooled, f"*|{eng}", BORROW_WIDEN
    every = [x for g in groups.values() for x in g["log_residuals"]]
    if every:
        return every, "*|*", BORROW_WIDEN
    return [], "none", 1.0


@dataclass(frozen=True)
class Prediction:
    """A predicted rate (items per second: tokens or samples) with its error distribution.

    value: the point prediction; residuals: ln(measured time / predicted time) of the
    validation group `group`; widen: multiplies every residual (borrowed groups)."""

    value: float
    residuals: tuple[float, ...]
    group: str
    widen: float = 1.0

    def quantile(self, q: float) -> float:
        """The rate at quantile q in (0, 1): q = 0.1 is the slow end (10% of such set-ups
        measured lower). With no residuals at all it returns the point value."""
        if not 0.0 < q < 1.0:
            from infercost.errors import InputError

            raise InputError(f"quantile must be strictly between 0 and 1, got {q!r}", "--quantile")
        if not self.residuals:
            return self.value
        r = residual_quantile(list(self.residuals), 1.0 - q) * self.widen
        return self.value / math.exp(r)


def perf_family(model) -> str:
    """The validation family of a catalog model: ``moe`` for decoders with experts, else its family."""
    fam = str(getattr(model, "family", "generic"))
    if fam == "decoder" and int(getattr(model, "experts", 1) or 1) > 1:
        return "moe"
    return fam


def prediction(value: float, family: str, engine: str) -> Prediction:
    """A `Prediction` for a rate of a model family served by `engine`."""
    res, group, widen = residuals_for(family, engine)
    return Prediction(value, tuple(res), group, widen)
