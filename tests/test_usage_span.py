"""A usage log covering part of the billing period says so: the fleet hours outside it
are idle and the whole-bill cost per request divides the whole bill by its requests."""

from __future__ import annotations

from tests.attribution_helpers import attribute_rows, focus_row, usage_row

NOTE = "the usage covers"


def _notes(bill, use) -> list[str]:
    res = attribute_rows(bill, use)
    return [n for n in res.summary["notes"] if n.startswith(NOTE)]


def test_a_week_of_usage_against_a_month_of_bill_is_noted():
    # the bill runs 2026-10-01 to 2026-11-01; requests only in the first 7 days
    bill = [focus_row("744", "i-1", start=0, hours=744)]
    use = [usage_row(f"r{d}", "i-1", 24 * d + 1, 100) for d in range(7)]
    notes = _notes(bill, use)
    assert notes == ["the usage covers 2026-10-01T01:00Z to 2026-10-07T02:00Z (6.0 of the "
                     "billing period's 31.0 days, 2026-10-01 to 2026-11-01): fleet hours "
                     "outside it are idle, and the whole-bill cost per request divides the "
                     "whole period's bill by these requests"]


def test_usage_spanning_the_period_less_a_few_hours_is_not_noted():
    bill = [focus_row("744", "i-1", start=0, hours=744)]
    use = [usage_row("a", "i-1", 5, 100), usage_row("b", "i-1", 743 - 5, 100)]
    assert _notes(bill, use) == []
