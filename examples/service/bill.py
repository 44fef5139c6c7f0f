"""A FOCUS 1.2 bill for the machine the example service ran on: one row per clock hour
the run touched, for `vcpus` vCPUs at the catalog's price per vCPU-hour.

    python -m examples.service.bill --start 2026-11-29T23:10:00Z --end 2026-11-29T23:11:00Z --out bill.csv
    python -m examples.service.bill --load load.json --out bill.csv --rules rules.yaml

The price is the catalog's (`infercost catalog prices`): the cheapest `plan` listing of
`hardware` at `provider`, per vCPU-hour; an hour costs vcpus x that. Hourly billing: an hour
the run touched is billed whole (EC2 on-demand bills per second, so a run of a few seconds
shows mostly as idle here; run the service for whole hours to compare like with like).
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from infercost.core.catalog import load_catalog

COLUMNS = [
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeFrequency", "ChargeDescription", "ProviderName",
    "BillingAccountId", "RegionId", "ResourceId", "ResourceType", "ServiceCategory",
    "ServiceName", "SkuId", "PricingUnit", "PricingQuantity", "ListUnitPrice",
    "ConsumedQuantity", "ConsumedUnit", "Tags",
]  # fmt: skip

RULES = """\
# attribution rules for the example service
cost_basis: EffectiveCost
fleet:
  tags: {team: inference}
driver: capacity               # busy = each request's infercost.busy_ms; the rest of the hour idle
capacity_ms_per_hour:
  default: 3600000             # one batch at a time per replica
idle: report
shared: report
"""


def _ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_floor(d: datetime) -> datetime:
    return d.replace(minute=0, second=0, microsecond=0)


def write_bill(path: str | Path, start: datetime, end: datetime, *, resource_id: str, vcpus: int = 1,
               provider: str = "aws", hardware: str = "x86-vcpu", plan: str = "on-demand") -> dict:
    """Write the bill to `path`; returns {"path", "hours", "hourly", "instance", "per_vcpu_hour"}.

    `start`/`end`: the run (aware UTC datetimes). Every clock hour in [floor(start), end) is
    one row of vcpus x per-vCPU-hour. Raises InputError (from the catalog) for a provider
    or hardware with no listing; ValueError when end is not after start.
    """
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start})")
    money, inst = load_catalog().gpu_hour_price(provider, hardware, plan)
    rate = money.amount
    hourly = rate * Decimal(vcpus)
    first = hour_floor(start)
    hours = []
    h = first
    while h < end:
        hours.append(h)
        h += timedelta(hours=1)
    common = {"BillingCurrency": money.currency, "BillingPeriodStart": _ts(first),
              "BillingPeriodEnd": _ts(hours[-1] + timedelta(hours=1)), "ProviderName": provider.upper(),
              "BillingAccountId": "111122223333", "RegionId": inst.region or "us-east-1"}
    rows = []
    for t in hours:
        rows.append({**common, "BilledCost": str(hourly), "EffectiveCost": str(hourly), "ListCost": str(hourly),
                     "ContractedCost": str(hourly), "ChargePeriodStart": _ts(t),
                     "ChargePeriodEnd": _ts(t + timedelta(hours=1)), "ChargeCategory": "Usage",
                     "ChargeFrequency": "Usage-Based",
                     "ChargeDescription": f"{vcpus} vCPU of {inst.instance} {plan} ({rate} per vCPU-hour)",
                     "ResourceId": resource_id, "ResourceType": "Instance", "ServiceCategory": "Compute",
                     "ServiceName": "Compute", "SkuId": f"vCPU:{inst.instance}", "PricingUnit": "Hours",
                     "PricingQuantity": "1", "ListUnitPrice": str(hourly), "ConsumedQuantity": "1",
                     "ConsumedUnit": "Hours", "Tags": json.dumps({"team": "inference"})})
    p = Path(path)
    with open(p, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r.get(c, "") for c in COLUMNS])
    return {"path": p, "hours": len(hours), "hourly": hourly, "instance": inst.instance, "per_vcpu_hour": rate}


def write_rules(path: str | Path) -> Path:
    """The attribution rules for the service's bill (driver: capacity, one replica)."""
    p = Path(path)
    p.write_text(RULES)
    return p


def _when(text: str) -> datetime:
    d = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--start", help="run start, ISO 8601 UTC")
    ap.add_argument("--end", help="run end, ISO 8601 UTC")
    ap.add_argument("--out", default="bill.csv")
    ap.add_argument("--resource-id", default="i-0service0minilm01")
    ap.add_argument("--vcpus", type=int, default=1)
    ap.add_argument("--provider", default="aws")
    ap.add_argument("--rules", default=None, help="also write the attribution rules here")
    ap.add_argument("--load", default=None, help="take --start/--end from this load.json (loadgen --out)")
    a = ap.parse_args(argv)
    if a.load:
        doc = json.loads(Path(a.load).read_text())
        a.start = datetime.fromtimestamp(doc["started_at"], UTC).isoformat()
        a.end = datetime.fromtimestamp(doc["ended_at"], UTC).isoformat()
    elif not (a.start and a.end):
        ap.error("give --start and --end, or --load")
    if a.rules:
        write_rules(a.rules)
    info = write_bill(a.out, _when(a.start), _when(a.end), resource_id=a.resource_id, vcpus=a.vcpus,
                      provider=a.provider)
    print(f"wrote {info['hours']} hour(s) of {a.vcpus} vCPU at {info['per_vcpu_hour']} per vCPU-hour "
          f"({info['instance']}) to {info['path']}")


if __name__ == "__main__":
    main()
