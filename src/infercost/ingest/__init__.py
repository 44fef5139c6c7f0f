"""Ingest: bills (FOCUS, AWS CUR 2.0, GCP billing export) and usage (logs, OTel spans).

Every bill reader returns a `Bill`: one normalized, FOCUS-shaped pandas table (money as
exact `decimal.Decimal`, timestamps UTC) plus what was read. Every usage reader returns an
Ibis table with the DESIGN.md usage columns, on the backend the caller chose.
"""

from __future__ import annotations

from infercost.ingest.bill import BILL_COLUMNS, Bill, read_bill

__all__ = ["BILL_COLUMNS", "Bill", "read_bill"]
