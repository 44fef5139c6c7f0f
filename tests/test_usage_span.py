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
                     "billing period's 31.0 days, 2026-10-01 to 2026-11-01): 599 of the "
                     "744 billed fleet resource-hours fall outside it and are idle, and the "
                     "whole-bill cost per request divides the whole period's bill by these "
                     "requests"]


def test_usage_spanning_the_period_less_a_few_hours_is_not_noted():
    bill = [focus_row("744", "i-1", start=0, hours=744)]
    use = [usage_row("a", "i-1", 5, 100), usage_row("b", "i-1", 743 - 5, 100)]
    assert _notes(bill, use) == []


def test_a_late_billing_period_row_with_no_fleet_hours_outside_the_usage_is_not_noted():
    # one fleet row carries next month's BillingPeriodStart: the run's period is two
    # months, but no fleet hour falls outside the usage: "fleet hours outside it are
    # idle" would be false
    late = focus_row("1", "i-1", start=1, BillingPeriodStart="2026-11-01 00:00:00",
                     BillingPeriodEnd="2026-12-01 00:00:00")
    bill = [focus_row("1", "i-1", start=0), late]
    use = [usage_row("a", "i-1", 0, 100), usage_row("b", "i-1", 1, 100)]
    assert _notes(bill, use) == []


def test_a_span_under_a_day_is_said_in_hours():
    """One hour of logs read "0.0 of the billing period's 31.0 days"."""
    bill = [focus_row("744", "i-1", start=0, hours=744)]
    notes = _notes(bill, [usage_row("a", "i-1", 100, 100)])
    assert notes[0].startswith("the usage covers 2026-10-05T04:00Z to 2026-10-05T05:00Z "
                               "(1 hour of the billing period's 31.0 days, ")
    notes = _notes(bill, [usage_row("a", "i-1", 100, 100), usage_row("b", "i-1", 102, 100)])
    assert "(3 hours of the billing period's 31.0 days, " in notes[0]
