"""The bundled demo month: a generated FOCUS 1.2 bill and serving log for a small fleet.

Everything is generated from a seed (no network, no real customer data), so the same
seed gives the same files and the same attribution, byte for byte.

Fleet (October 2026, AWS us-east-1): two 8xH100 instances (p5.48xlarge) serving chat
models around the clock, one L40S instance (g6e.xlarge) serving embeddings and billed only
from the 6th, and one instance in the bill that serves nothing (pure idle). Around it:
S3 storage, data transfer out, CloudWatch, a support fee, a Savings Plan (its purchase
and its used/unused commitment), a promotional credit, a correction and sales tax.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np

PERIOD_START = datetime(2026, 10, 1)
PERIOD_END = datetime(2026, 11, 1)
FOCUS_COLUMNS = [
    "BilledCost", "EffectiveCost", "ListCost", "ContractedCost", "BillingCurrency",
    "BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd",
    "ChargeCategory", "ChargeClass", "ChargeFrequency", "ChargeDescription",
    "CommitmentDiscountId", "CommitmentDiscountCategory", "CommitmentDiscountStatus",
    "ProviderName", "PublisherName", "InvoiceIssuerName", "BillingAccountId", "SubAccountId",
    "RegionId", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory",
    "ServiceName", "SkuId", "PricingUnit", "PricingQuantity", "ConsumedQuantity",
    "ConsumedUnit", "Tags",
]  # fmt: skip

FLEET = [  # resource id, instance type, $/hour, first day billed, serves
    ("i-0h100a1b2c3d4e5f6", "p5.48xlarge", Decimal("55.04"), 1, "chat"),
    ("i-0h100b7a8b9c0d1e2", "p5.48xlarge", Decimal("55.04"), 1, "chat"),
    ("i-0l40s3f4a5b6c7d8e", "g6e.xlarge", Decimal("1.861"), 6, "embed"),
    ("i-0spare9e8d7c6b5a4", "g6e.xlarge", Decimal("1.861"), 20, None),
]
MODELS = {
    "chat": [("llama-3.1-8b", "2026-09-15", "/v1/chat/completions", 0.55),
             ("llama-3.1-8b", "2026-10-14", "/v1/chat/completions", 0.25),
             ("mistral-7b", "v0.3", "/v1/chat/completions", 0.20)],
    "embed": [("all-minilm-l6-v2", "2", "/v1/embeddings", 1.0)],
}
TENANTS = ["acme", "globex", "initech", "umbrella"]
TENANT_P = [0.45, 0.25, 0.2, 0.1]


def _ts(d: datetime) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


DEMO_RULES = """\
# infercost attribution rules for the demo month (see infercost.allocation.rules)
cost_basis: EffectiveCost
fleet:
  tags: {team: inference}      # also the spare instance that served nothing
driver: capacity               # idle = the unused share of each instance-hour
capacity_ms_per_hour:
  default: 3600000             # one request at a time per instance
idle: report
shared: report
"""


def generate(out_dir: Path, seed: int = 7, requests_per_hour: int = 300) -> tuple[Path, Path]:
    """Write focus-2026-10.csv and usage-2026-10.parquet into `out_dir`; return both paths.

    `requests_per_hour` is the mean per chat instance at the daily peak (the log follows
    a diurnal curve), so the month stays small enough to attribute in a second."""
    import csv
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bill_rows = []
    common = {
        "BillingCurrency": "USD", "BillingPeriodStart": _ts(PERIOD_START),
        "BillingPeriodEnd": _ts(PERIOD_END), "ProviderName": "AWS",
        "PublisherName": "Amazon Web Services, Inc.",
        "InvoiceIssuerName": "Amazon Web Services, Inc.", "BillingAccountId": "111122223333",
        "SubAccountId": "444455556666", "RegionId": "us-east-1", "ChargeClass": None,
    }  # fmt: skip
    sp_id = "arn:aws:savingsplans::111122223333:savingsplan/sp-demo-0001"
    hours = int((PERIOD_END - PERIOD_START).total_seconds() // 3600)
    for rid, itype, rate, first_day, _serves in FLEET:
        for h in range(hours):
            start = PERIOD_START + timedelta(hours=h)
            if start.day < first_day:
                continue
            covered = itype == "p5.48xlarge" and rid.endswith("f6")
            eff = (rate * Decimal("0.72")) if covered else rate
            bill_rows.append({
                **common, "BilledCost": "0" if covered else str(rate),
                "EffectiveCost": str(eff), "ListCost": str(rate), "ContractedCost": str(rate),
                "ChargePeriodStart": _ts(start), "ChargePeriodEnd": _ts(start + timedelta(hours=1)),
                "ChargeCategory": "Usage", "ChargeFrequency": "Usage-Based",
                "ChargeDescription": f"{itype} On Demand Linux",
                "CommitmentDiscountId": sp_id if covered else None,
                "CommitmentDiscountCategory": "Spend" if covered else None,
                "CommitmentDiscountStatus": "Used" if covered else None,
                "ResourceId": rid, "ResourceName": rid, "ResourceType": "Instance",
                "ServiceCategory": "Compute", "ServiceName": "Amazon Elastic Compute Cloud",
                "SkuId": f"BoxUsage:{itype}", "PricingUnit": "Hours", "PricingQuantity": "1",
                "ConsumedQuantity": "1", "ConsumedUnit": "Hours",
                "Tags": json.dumps({"team": "inference", "env": "prod"}),
            })
    day = timedelta(days=1)
    sp_total = Decimal("55.04") * Decimal("0.72") * hours
    others = [
        # (category, service, sku, description, billed, effective, charge cat, freq, extra)
        ("Storage", "Amazon Simple Storage Service", "TimedStorage-ByteHrs",
         "model weights and logs, 2.1 TB-month", "48.30", "48.30", "Usage", "Usage-Based", {}),
        ("Networking", "AWS Data Transfer", "DataTransfer-Out-Bytes",
         "data transfer out to the internet", None, None, "Usage", "Usage-Based", {}),
        ("Management and Governance", "AmazonCloudWatch", "CW:MetricMonitorUsage",
         "metrics and logs", "61.17", "61.17", "Usage", "Usage-Based", {}),
        ("Other", "AWS Support (Business)", "Support", "support fee", "412.00", "412.00",
         "Purchase", "Recurring", {}),
        ("Compute", "Savings Plans for AWS Compute usage", "ComputeSP:1yrNoUpfront",
         "1-year compute savings plan, monthly commitment", str(sp_total), "0",
         "Purchase", "Recurring", {"CommitmentDiscountId": sp_id,
                                   "CommitmentDiscountCategory": "Spend"}),
        ("Compute", "Savings Plans for AWS Compute usage", "ComputeSP:1yrNoUpfront",
         "unused commitment", "0", "19.81", "Usage", "Usage-Based",
         {"CommitmentDiscountId": sp_id, "CommitmentDiscountStatus": "Unused",
          "CommitmentDiscountCategory": "Spend"}),
        ("Other", "AWS Promotional Credits", "Credit", "promotional credit", "-250.00",
         "-250.00", "Credit", "One-Time", {}),
        ("Compute", "Amazon Elastic Compute Cloud", "BoxUsage:p5.48xlarge",
         "correction of September usage", "-12.40", "-12.40", "Adjustment", "One-Time",
         {"ChargeClass": "Correction"}),
    ]
    for cat, svc, sku, desc, billed, eff, ccat, freq, extra in others:
        if billed is None:  # daily egress, varying
            for d in range(31):
                amt = (Decimal(int(rng.integers(900, 1800))) / 100).quantize(Decimal("0.01"))
                start = PERIOD_START + d * day
                bill_rows.append({
                    **common, "BilledCost": str(amt), "EffectiveCost": str(amt),
                    "ListCost": str(amt), "ContractedCost": str(amt),
                    "ChargePeriodStart": _ts(start), "ChargePeriodEnd": _ts(start + day),
                    "ChargeCategory": ccat, "ChargeFrequency": freq, "ChargeDescription": desc,
                    "ServiceCategory": cat, "ServiceName": svc, "SkuId": sku,
                    "ResourceId": None, "Tags": None,
                })
            continue
        bill_rows.append({
            **common, "BilledCost": billed, "EffectiveCost": eff, "ListCost": billed,
            "ContractedCost": billed, "ChargePeriodStart": _ts(PERIOD_START),
            "ChargePeriodEnd": _ts(PERIOD_END), "ChargeCategory": ccat,
            "ChargeFrequency": freq, "ChargeDescription": desc, "ServiceCategory": cat,
            "ServiceName": svc, "SkuId": sku,
            "ResourceId": "arn:aws:s3:::demo-models" if cat == "Storage" else None,
            "Tags": None, **extra,
        })
    total_pre_tax = sum(Decimal(r["BilledCost"]) for r in bill_rows)
    tax = (total_pre_tax * Decimal("0.06")).quantize(Decimal("0.01"))
    bill_rows.append({
        **common, "BilledCost": str(tax), "EffectiveCost": str(tax), "ListCost": str(tax),
        "ContractedCost": str(tax), "ChargePeriodStart": _ts(PERIOD_START),
        "ChargePeriodEnd": _ts(PERIOD_END), "ChargeCategory": "Tax",
        "ChargeFrequency": "One-Time", "ChargeDescription": "sales tax",
        "ServiceCategory": "Other", "ServiceName": "Tax", "SkuId": "Tax",
    })
    bill_path = out_dir / "focus-2026-10.csv"
    with open(bill_path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FOCUS_COLUMNS)
        for r in bill_rows:
            w.writerow(["NULL" if r.get(c) is None else r.get(c) for c in FOCUS_COLUMNS])

    # ---- usage: diurnal Poisson arrivals per instance-hour
    cols = {k: [] for k in ("timestamp", "request_id", "model", "model_version", "endpoint",
                            "tenant", "resource_id", "duration_ms", "input_tokens",
                            "output_tokens", "status")}
    n = 0
    for rid, _itype, _rate, first_day, serves in FLEET:
        if serves is None:
            continue
        choices = MODELS[serves]
        probs = np.array([c[3] for c in choices])
        for h in range(hours):
            start = PERIOD_START + timedelta(hours=h)
            if start.day < first_day:
                continue
            diurnal = 0.55 + 0.45 * np.sin((start.hour - 8) / 24 * 2 * np.pi)
            lam = requests_per_hour * max(diurnal, 0.05) * (3 if serves == "embed" else 1)
            k = int(rng.poisson(lam))
            if k == 0:
                continue
            offs = np.sort(rng.integers(0, 3_600_000_000, size=k))  # µs within the hour
            mi = rng.choice(len(choices), size=k, p=probs / probs.sum())
            ti = rng.choice(len(TENANTS), size=k, p=TENANT_P)
            pin = rng.integers(50, 3000, size=k) if serves == "chat" else rng.integers(8, 512, size=k)
            pout = rng.integers(20, 800, size=k) if serves == "chat" else np.zeros(k, dtype=int)
            for i in range(k):
                m, ver, ep, _p = choices[mi[i]]
                dur = (30 + pin[i] * 0.05 + pout[i] * 12.0) if serves == "chat" else 4 + pin[i] * 0.02
                cols["timestamp"].append(start + timedelta(microseconds=int(offs[i])))
                cols["request_id"].append(f"req-{n:08d}")
                cols["model"].append(m)
                cols["model_version"].append(ver)
                cols["endpoint"].append(ep)
                cols["tenant"].append(TENANTS[ti[i]])
                cols["resource_id"].append(rid)
                cols["duration_ms"].append(round(float(dur), 3))
                cols["input_tokens"].append(int(pin[i]))
                cols["output_tokens"].append(int(pout[i]))
                cols["status"].append("ok")
                n += 1
    table = pa.table({
        **{k: pa.array(v, pa.string()) for k, v in cols.items()
           if k not in ("timestamp", "duration_ms", "input_tokens", "output_tokens")},
        "timestamp": pa.array(cols["timestamp"], pa.timestamp("us", tz="UTC")),
        "duration_ms": pa.array(cols["duration_ms"], pa.float64()),
        "input_tokens": pa.array(cols["input_tokens"], pa.int64()),
        "output_tokens": pa.array(cols["output_tokens"], pa.int64()),
    })
    usage_path = out_dir / "usage-2026-10.parquet"
    pq.write_table(table, usage_path)
    return bill_path, usage_path


def write_demo_month(out_dir: Path, seed: int = 7, backend: str = "duckdb") -> dict:
    """Generate the demo month into `out_dir` and attribute it into `out_dir/attribution`.

    Returns the summary as in summary.json (money as Decimal, in USD)."""
    from infercost.allocation.run import public_summary, run_attribution

    out_dir = Path(out_dir)
    bill, usage = generate(out_dir, seed)
    rules = out_dir / "rules.yaml"
    rules.write_text(DEMO_RULES)
    s = run_attribution(bill, usage, out_dir / "attribution", rules=rules, backend=backend)
    return public_summary(s)  # without run timings: same seed, same bytes
