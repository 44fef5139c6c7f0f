"""Rich tables for the terminal."""

from __future__ import annotations

from decimal import Decimal

from infercost.core.money import format_decimal
from infercost.econ.breakdown import CostBreakdown


def money_txt(d: Decimal, places: int = 2) -> str:
    q = format_decimal(d, places)
    neg = q.startswith("-")
    whole, _, frac = q.lstrip("-").partition(".")
    whole = f"{int(whole):,}"
    return ("-" if neg else "") + (f"{whole}.{frac}" if frac else whole)


def per_unit_txt(d: Decimal) -> str:
    """Small per-inference amounts with enough significant digits."""
    if d == 0:
        return "0"
    ad = abs(d)
    places = 2 if ad >= 1 else max(4, -ad.adjusted() + 3)
    return money_txt(d, min(places, 12))


def print_breakdown(b: CostBreakdown, title: str = "", subtitle: str = "", console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t = Table(title=title, caption=subtitle or None, show_footer=True)
    cur = b.currency
    t.add_column("component", footer="total")
    t.add_column(f"per month ({cur})", justify="right", footer=money_txt(b.monthly_total.amount))
    t.add_column(f"per inference ({cur})", justify="right", footer=per_unit_txt(b.cost_per_inference.amount))
    t.add_column("share", justify="right", footer="100%")
    t.add_column("driver", overflow="fold", max_width=60)
    for c in b.components:
        t.add_row(c.label, money_txt(b.monthly(c.cost).amount), per_unit_txt(b.per_inference(c).amount),
                  f"{float(b.share(c)) * 100:.1f}%", c.driver)
    console.print(t)
    per1k = b.cost_per_inference.amount * 1000
    line = f"inferences per month: {float(b.inferences * b.month_factor):,.0f}   per 1k inferences: {per_unit_txt(per1k)} {cur}"
    if b.cost_per_1m_tokens is not None:
        line += f"   per 1M tokens: {per_unit_txt(b.cost_per_1m_tokens.amount)} {cur}"
    console.print(line)
    console.print(f"[bold]{b.main_driver()}[/bold]")
    for note in b.facts.get("notes", []):
        console.print(f"[yellow]warning:[/yellow] {note}")
