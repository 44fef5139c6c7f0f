"""Split a serving cost between input (prompt) and output tokens, per 1M tokens.

When the performance model serves an LLM, a request's replica time is one prefill of
the prompt plus the decode steps; the cost is split by those two times (at batch 1,
`PerfProfile.prefill_seconds` vs the rest of `batch_seconds`). Otherwise (a `service:`
time) the split is by token count, and the note says so.
Cost per 1M input tokens = cost x input share / input tokens x 1e6 (same for output).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from infercost.core.money import Money
from infercost.core.scenario import Scenario
from infercost.perf.service import ServiceTime

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class TokenCosts:
    """Cost per 1M input and per 1M output tokens (currency of the scenario)."""

    input_share: Decimal  # share of the cost put on input tokens, 0..1
    per_1m_input: Money | None
    per_1m_output: Money | None
    basis: str  # how the split was made


def input_share(scenario: Scenario, svc: ServiceTime) -> tuple[Decimal, str]:
    """(share of replica time spent on the prompt, how it was found)."""
    req = scenario.workload.request
    isl = req.prompt_tokens.mean if req.prompt_tokens else 0.0
    osl = req.output_tokens.mean if req.output_tokens else 0.0
    prof = svc.profile
    if svc.is_llm and prof is not None and isl > 0:
        pre = prof.prefill_seconds(1, int(round(isl)))
        tot = svc.batch_seconds(1)
        if tot > 0:
            share = Decimal(repr(min(1.0, pre / tot))).quantize(Decimal("0.000001"))
            return share, "split by prefill vs decode time (performance model, batch 1)"
    if isl + osl <= 0:
        return Decimal(0), "no tokens"
    share = (Decimal(repr(isl)) / Decimal(repr(isl + osl))).quantize(Decimal("0.000001"))
    return share, "split by token count (no performance model for prefill vs decode)"


def token_costs(cost: Money, input_tokens: float, output_tokens: float, share: Decimal,
                basis: str) -> TokenCosts:
    """Cost per 1M input / output tokens from a period's cost and token counts."""
    tin = Decimal(repr(input_tokens))
    tout = Decimal(repr(output_tokens))
    pin = (cost * share / tin * MILLION).quantize(6) if tin > 0 else None
    pout = (cost * (1 - share) / tout * MILLION).quantize(6) if tout > 0 else None
    return TokenCosts(share, pin, pout, basis)
