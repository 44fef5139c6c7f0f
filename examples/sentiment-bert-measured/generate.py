"""The classic first exercise, measured: a small BERT sentiment model on a managed
endpoint's default GPU instance for a month, with no per-request log.

Writes, deterministically (fixed seed, no clock), next to this file:

- `bill.csv`: a FOCUS 1.0 bill for October 2026 as AWS exports it for SageMaker real-time
  inference in us-east-1: one ml.g5.xlarge instance-hour per hour (744 rows, $1.408/h:
  the `aws-sagemaker` entry of infercost's price catalog, source
  aws.amazon.com/sagemaker/pricing, as_of 2026-11-28), the endpoint's 20 GB ML storage
  volume ($0.14/GB-month, AWS SageMaker pricing page, ML storage general purpose SSD,
  as_of 2026-11-28), CloudWatch metrics and logs, data transfer out, and sales tax;
- `counts.csv`: CloudWatch's hourly `Invocations` (Sum) and `ModelLatency` (Average,
  converted from µs to ms) for the endpoint, as `period_start, period_s, resource_id,
  endpoint, model, model_version, requests, mean_latency_ms` (an internal tool: about
  2 requests/s in office hours on weekdays, near zero at night; version 2 of the model
  from 15 October).

    python examples/sentiment-bert-measured/generate.py
    infercost attribute --bill examples/sentiment-bert-measured/bill.csv \\
        --counts examples/sentiment-bert-measured/counts.csv --out attribution/
"""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
START = datetime(2026, 10, 1, tzinfo=UTC)
HOURS = 31 * 24
ENDPOINT = "sentiment-prod"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}"
INSTANCE_PER_H = "1.408"  # ml.g5.xlarge, SageMaker real-time inference, us-east-1
STORAGE_GB, STORAGE_PER_GB_MONTH = 20, "0.14"

FOCUS = ["BilledCost", "EffectiveCost", "ListCost", "BillingCurrency", "ChargeCategory",
         "ChargeFrequency", "ChargeDescription", "ChargePeriodStart", "ChargePeriodEnd",
         "BillingPeriodStart", "BillingPeriodEnd", "ProviderName", "ServiceCategory",
         "ServiceName", "SkuId", "ResourceId", "ConsumedQuantity", "ConsumedUnit",
         "PricingUnit", "Region"]


def _t(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def bill_rows() -> list[dict]:
    end = START + timedelta(hours=HOURS)
    common = {"BillingCurrency": "USD", "BillingPeriodStart": _t(START),
              "BillingPeriodEnd": _t(end), "ProviderName": "AWS", "Region": "us-east-1"}
    rows = []
    for h in range(HOURS):
        t0 = START + timedelta(hours=h)
        rows.append({**common, "BilledCost": INSTANCE_PER_H, "EffectiveCost": INSTANCE_PER_H,
                     "ListCost": INSTANCE_PER_H, "ChargeCategory": "Usage",
                     "ChargeFrequency": "Usage-Based",
                     "ChargeDescription": "$1.408 per Hosting ml.g5.xlarge hour in US East "
                                          "(N. Virginia)",
                     "ChargePeriodStart": _t(t0), "ChargePeriodEnd": _t(t0 + timedelta(hours=1)),
                     "ServiceCategory": "AI and Machine Learning",
                     "ServiceName": "Amazon SageMaker", "SkuId": "USE1-Host:ml.g5.xlarge",
                     "ResourceId": ARN, "ConsumedQuantity": "1", "ConsumedUnit": "Hrs",
                     "PricingUnit": "Hrs"})
    month = {**common, "ChargePeriodStart": _t(START), "ChargePeriodEnd": _t(end),
             "ChargeFrequency": "Usage-Based"}
    storage = str(STORAGE_GB * Decimal(STORAGE_PER_GB_MONTH))  # 20 x 0.14 = 2.80
    rows += [
        {**month, "BilledCost": storage, "EffectiveCost": storage, "ListCost": storage,
         "ChargeCategory": "Usage", "ChargeDescription": "ML storage, general purpose SSD",
         "ServiceCategory": "Storage", "ServiceName": "Amazon SageMaker",
         "SkuId": "USE1-Host:VolumeUsage.gp2", "ResourceId": ARN,
         "ConsumedQuantity": str(STORAGE_GB), "ConsumedUnit": "GB-Mo", "PricingUnit": "GB-Mo"},
        {**month, "BilledCost": "4.35", "EffectiveCost": "4.35", "ListCost": "4.35",
         "ChargeCategory": "Usage", "ChargeDescription": "CloudWatch metrics and logs",
         "ServiceCategory": "Management and Governance", "ServiceName": "AmazonCloudWatch",
         "SkuId": "USE1-CW:MetricMonitorUsage", "ResourceId": "",
         "ConsumedQuantity": "14.5", "ConsumedUnit": "Metrics", "PricingUnit": "Metrics"},
        {**month, "BilledCost": "0.27", "EffectiveCost": "0.27", "ListCost": "0.27",
         "ChargeCategory": "Usage", "ChargeDescription": "Data transfer out to the internet",
         "ServiceCategory": "Networking", "ServiceName": "AWS Data Transfer",
         "SkuId": "USE1-DataTransfer-Out-Bytes", "ResourceId": "",
         "ConsumedQuantity": "3", "ConsumedUnit": "GB", "PricingUnit": "GB"},
    ]
    subtotal = sum(Decimal(r["BilledCost"]) for r in rows)
    tax = str((subtotal * Decimal("0.06")).quantize(Decimal("0.01")))  # 6% sales tax
    rows.append({**month, "BilledCost": tax, "EffectiveCost": tax, "ListCost": tax,
                 "ChargeCategory": "Tax", "ChargeFrequency": "One-Time",
                 "ChargeDescription": "Sales tax", "ServiceCategory": "Other",
                 "ServiceName": "Tax", "SkuId": "", "ResourceId": "",
                 "ConsumedQuantity": "", "ConsumedUnit": "", "PricingUnit": ""})
    return rows


def count_rows(seed: int = 11) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(HOURS):
        t0 = START + timedelta(hours=h)
        local = (t0.hour - 4) % 24  # US Eastern (EDT) office hours
        weekday = (t0 - timedelta(hours=4)).weekday() < 5
        office = 9 <= local < 18 and weekday
        rate = 2.0 if office else 0.05 + 0.15 * math.exp(-((local - 20) % 24) / 3)
        n = int(rng.poisson(rate * 3600))
        version = "2" if t0 >= datetime(2026, 10, 15, tzinfo=UTC) else "1"
        lat_ms = (22.0 if version == "1" else 18.0) * (1 + 0.1 * rng.standard_normal())
        rows.append({"period_start": _t(t0), "period_s": 3600, "resource_id": ARN,
                     "endpoint": ENDPOINT, "model": "bert-base-sentiment",
                     "model_version": version, "requests": n,
                     "mean_latency_ms": f"{max(lat_ms, 5.0):.3f}"})
    return rows


def write(folder: Path = HERE) -> tuple[Path, Path]:
    bill, counts = folder / "bill.csv", folder / "counts.csv"
    with open(bill, "w", newline="") as fh:
        w = csv.DictWriter(fh, FOCUS, lineterminator="\n")
        w.writeheader()
        w.writerows(bill_rows())
    rows = count_rows()
    with open(counts, "w", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return bill, counts


if __name__ == "__main__":
    print(*write(), sep="\n")
