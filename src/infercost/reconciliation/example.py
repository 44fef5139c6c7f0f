"""A month of bill and serving log whose difference from its scenario is known.

`examples/reconcile/scenario.yaml` predicts 0.05 requests/s, each keeping one 8xH100
replica busy 10 s (80 GPU-s), on two p5.48xlarge replicas at the catalog's on-demand
price. The generated November 2026 (720 h) differs by construction:

- volume: 20% more traffic, exactly 216 requests an hour (0.06/s) instead of 180;
- utilisation: three instances instead of two, so each is busy 72 x 10 s = 20% of each
  hour instead of 25% (utilisation 0.8x the predicted);
- price: the instance-hour billed at 60.544 USD, 10% above the catalog's 55.04
  (6.88 USD/GPU-h x 8 GPUs);
- busy time per request: unchanged (10,000 ms each), so the accelerator residual is zero
  up to the attribution's money quantum;
- storage: 1,000 GB billed 23.00 USD for the month (the catalog's 0.023 USD/GB-month),
  predicted for 730 h and scaled to 720 h: a small non-accelerator residual.

Same seed, same files, byte for byte (timestamps within each hour are the only random part).
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

START = datetime(2026, 11, 1)
END = datetime(2026, 12, 1)
INSTANCES = ("i-0rec0000000000001", "i-0rec0000000000002", "i-0rec0000000000003")
HOURLY = Decimal("60.544")  # 55.04 x 1.1
REQUESTS_PER_HOUR = 216  # 0.06/s: 1.2 x the scenario's 0.05/s
DURATION_MS = 10_000.0
STORAGE_USD = "23.00"

RULES = """\
# attribution rules for the reconcile example
cost_basis: EffectiveCost
fleet:
  tags: {team: inference}
driver: capacity               # idle = the unused share of each instance-hour
capacity_ms_per_hour:
  default: 3600000             # one request at a time per replica (max_batch 1)
idle: report
shared: report
"""

_COLUMNS = [
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription", "ProviderName",
    "BillingAccountId", "RegionId", "ResourceId", "ResourceType", "ServiceCategory",
    "ServiceName", "SkuId", "PricingUnit", "PricingQuantity", "ConsumedQuantity",
    "ConsumedUnit", "Tags",
]  # fmt: skip


def _ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(out_dir: str | Path, seed: int = 11) -> dict[str, Path]:
    """Write bill.csv (FOCUS 1.2), usage.parquet and rules.yaml into `out_dir`; return paths."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    hours = int((END - START).total_seconds() // 3600)
    common = {"BillingCurrency": "USD", "BillingPeriodStart": _ts(START), "BillingPeriodEnd": _ts(END),
              "ProviderName": "AWS", "BillingAccountId": "111122223333", "RegionId": "us-east-1"}
    rows = []
    for rid in INSTANCES:
        for h in range(hours):
            t = START + timedelta(hours=h)
            rows.append({**common, "BilledCost": str(HOURLY), "EffectiveCost": str(HOURLY),
                         "ListCost": str(HOURLY), "ContractedCost": str(HOURLY),
                         "ChargePeriodStart": _ts(t), "ChargePeriodEnd": _ts(t + timedelta(hours=1)),
                         "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based",
                         "ChargeDescription": "p5.48xlarge On Demand Linux", "ResourceId": rid,
                         "ResourceType": "Instance", "ServiceCategory": "Compute",
                         "ServiceName": "Amazon Elastic Compute Cloud", "SkuId": "BoxUsage:p5.48xlarge",
                         "PricingUnit": "Hours", "PricingQuantity": "1", "ConsumedQuantity": "1",
                         "ConsumedUnit": "Hours", "Tags": json.dumps({"team": "inference"})})
    rows.append({**common, "BilledCost": STORAGE_USD, "EffectiveCost": STORAGE_USD,
                 "ListCost": STORAGE_USD, "ContractedCost": STORAGE_USD,
                 "ChargePeriodStart": _ts(START), "ChargePeriodEnd": _ts(END), "ChargeCategory": "Usage",
                 "ChargeFrequency": "Usage-Based", "ChargeDescription": "model weights, 1,000 GB-month",
                 "ResourceId": "arn:aws:s3:::reconcile-models", "ServiceCategory": "Storage",
                 "ServiceName": "Amazon Simple Storage Service", "SkuId": "TimedStorage-ByteHrs"})
    bill = out / "bill.csv"
    with open(bill, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(_COLUMNS)
        for r in rows:
            w.writerow(["NULL" if r.get(c) is None else r[c] for c in _COLUMNS])

    k = REQUESTS_PER_HOUR
    n = k * hours
    hour = np.repeat(np.arange(hours), k)
    # start within the hour so that the 10 s request ends inside it
    offs_us = rng.integers(0, (3600 - 10) * 1_000_000, size=n)
    base = np.datetime64(START, "us")
    ts = base + hour.astype("timedelta64[h]").astype("timedelta64[us]") + offs_us.astype("timedelta64[us]")
    table = pa.table({
        "timestamp": pa.array(ts, pa.timestamp("us", tz="UTC")),
        "request_id": pa.array([f"req-{i:07d}" for i in range(n)], pa.string()),
        "model": pa.array(["llama-3.1-70b"] * n, pa.string()),
        "model_version": pa.array(["2026-10-01"] * n, pa.string()),
        "endpoint": pa.array(["/v1/chat/completions"] * n, pa.string()),
        "tenant": pa.array(["acme"] * n, pa.string()),
        "resource_id": pa.array([INSTANCES[i % 3] for i in range(n)], pa.string()),
        "duration_ms": pa.array(np.full(n, DURATION_MS), pa.float64()),
    })
    usage = out / "usage.parquet"
    pq.write_table(table, usage)
    rules = out / "rules.yaml"
    rules.write_text(RULES)
    return {"bill": bill, "usage": usage, "rules": rules}
