"""Hypothesis strategies for infercost's inputs: scenarios, bills and usage logs.

- `scenarios()`: any valid scenario as a dict (the schema of core/scenario.py): traffic
  shapes (poisson, constant, diurnal, spike), fixed and autoscaled fleets, batching, spot,
  sharing, cascade, traffic mixes and every cost component. Sizes are small (duration_s
  <= 600 s, rates <= 20 requests/s) so `simulate` runs in milliseconds.
- `focus_rows()`, `cur_rows()`, `gcp_rows()`: bill rows as strings, with nulls, the
  literal `NULL`, odd numbers (exponents, 12+ decimals, negative credits) and timestamps
  in several spellings and UTC offsets. `bill_file()` writes one to bytes (CSV with or
  without a UTF-8 BOM, or JSON lines).
- `usage_rows()`, `usage_file()`: usage logs (CSV / JSON lines) with odd values.

`examples(n)` scales a test's example count by the profile in HYPOTHESIS_PROFILE:
default n, `long` (make fuzz) 10 x n, `mutate` (make mutate) a quarter of n.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
_FACTOR = {"long": 10.0, "mutate": 0.25}.get(PROFILE, 1.0)


def examples(n: int) -> int:
    """`n` examples scaled by the active profile (at least 1)."""
    return max(1, int(n * _FACTOR))


def budget(n: int, **kw) -> settings:
    """settings(max_examples=examples(n), deadline=None) for a property test."""
    return settings(max_examples=examples(n), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture], **kw)


# ---------------------------------------------------------------- scenarios

#: Catalog hardware with an AWS on-demand price (so a scenario without a price override
#: is priced), and the catalog models a scenario may name.
HARDWARE = ["h100-sxm", "h200-sxm", "a100-80gb-sxm", "a10g", "l4"]
MODELS = ["llama-3.1-8b", "qwen2.5-7b", "bert-base", "distilbert", "all-minilm-l6-v2"]

_money_text = st.one_of(
    st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False).map(str),
    st.sampled_from(["0", "0.2", "1e-3", "35", "180000"]),
)
_money = st.one_of(_money_text, st.integers(0, 1000), st.floats(0, 1000, allow_nan=False))


@st.composite
def size_dist(draw, lo: float = 1, hi: float = 2000):
    mean = draw(st.floats(lo, hi, allow_nan=False))
    if draw(st.booleans()):
        return round(mean, 3)
    d = {"mean": round(mean, 3)}
    if draw(st.booleans()):
        d["p95"] = round(mean * draw(st.floats(1, 4)), 3)
    else:
        d["distribution"] = draw(st.sampled_from(["constant", "exponential", "lognormal"]))
    return d


@st.composite
def service(draw):
    d = {"distribution": draw(st.sampled_from(["constant", "exponential", "lognormal"])),
         "mean_ms": draw(st.floats(0.5, 400, allow_nan=False))}
    if draw(st.booleans()):
        d["per_item_ms"] = draw(st.floats(0, 100, allow_nan=False))
    if d["distribution"] == "lognormal" and draw(st.booleans()):
        d["sigma"] = draw(st.floats(0.05, 1.5))
    return d


@st.composite
def arrivals(draw, duration_s: float, rate: float | None = None):
    process = draw(st.sampled_from(["poisson", "constant", "diurnal", "spike"]))
    a = {"process": process,
         "rate_per_s": rate if rate is not None else draw(st.floats(0.05, 20, allow_nan=False))}
    if process == "diurnal":
        a["peak_to_mean"] = draw(st.floats(1, 5))
        a["peak_hour"] = draw(st.floats(0, 23.9))
    if process == "spike":
        start = draw(st.floats(0, duration_s * 0.8))
        a["start_s"] = round(start, 3)
        a["end_s"] = round(draw(st.floats(start + 1, duration_s)), 3)
        a["multiplier"] = draw(st.floats(1, 10))
        if a["end_s"] <= a["start_s"]:
            a["end_s"] = a["start_s"] + 1
    return a


@st.composite
def replicas(draw):
    if draw(st.booleans()):
        return draw(st.integers(1, 4))
    lo = draw(st.integers(0, 2))
    hi = draw(st.integers(max(lo, 1), 5))
    r = {"min": lo, "max": hi}
    if draw(st.booleans()):
        r["initial"] = draw(st.integers(lo, hi))
    return r


@st.composite
def autoscaling(draw, duration_s: float = 600):
    a = {"metric": draw(st.sampled_from(["utilization", "queue_length"])),
         "target_utilization": draw(st.floats(0.1, 1)),
         "warmup_s": draw(st.sampled_from([w for w in (0, 1, 5, 30, 120) if w < duration_s / 2])),
         "scale_down_delay_s": draw(st.sampled_from([0, 10, 60, 300])),
         "evaluation_interval_s": draw(st.sampled_from([1, 5, 30]))}
    if a["metric"] == "queue_length":
        a["target_queue_length"] = draw(st.floats(0.5, 20))
    return a


@st.composite
def costs(draw):
    c = {}
    if draw(st.booleans()):
        c["licensing"] = {"per_1k_inferences": draw(_money), "per_month": draw(_money)}
    if draw(st.booleans()):
        c["human_review"] = {"fraction": draw(st.floats(0, 1)),
                             "minutes_each": draw(st.floats(0, 30)), "hourly_rate": draw(_money)}
    if draw(st.booleans()):
        c["preprocessing"] = {"cpu_ms_per_request": draw(st.floats(0, 100))}
        if draw(st.booleans()):
            c["preprocessing"]["price_per_vcpu_hour"] = draw(_money)
    if draw(st.booleans()):
        c["storage"] = {"gb": draw(st.floats(0, 1e4)), "price_per_gb_month": draw(_money)}
    if draw(st.booleans()):
        c["egress"] = {"bytes_per_response": draw(st.floats(0, 1e5)), "price_per_gb": draw(_money)}
    if draw(st.booleans()):
        c["experiments"] = {"shadow_fraction": draw(st.floats(0, 1))}
    if draw(st.booleans()):
        c["engineering"] = {"fte": draw(st.floats(0, 3)), "annual_cost_per_fte": draw(_money)}
    return c


@st.composite
def scenarios(draw, rate: float | None = None, price_override: bool | None = None,
              with_model: bool | None = None, simulator_keys: bool = True):
    """A valid scenario dict. `rate` pins arrivals.rate_per_s; `price_override` forces
    (or forbids) deployment.pricing.price_per_gpu_hour; `with_model` a catalog model
    (service time from the performance model) instead of a `service:` block."""
    duration = draw(st.sampled_from([10, 30, 60, 120, 600]))
    currency = draw(st.sampled_from(["USD", "USD", "EUR"]))
    sc: dict = {"name": draw(st.text("abcdefghij -_[]/", min_size=1, max_size=12)).strip() or "s",
                "currency": currency,
                "workload": {"arrivals": draw(arrivals(duration, rate)), "duration_s": duration}}
    if currency != "USD":
        sc["fx"] = {"USD": str(draw(st.decimals("0.5", "1.5", places=3)))}
    use_model = draw(st.booleans()) if with_model is None else with_model
    hw = draw(st.sampled_from(HARDWARE))
    if use_model:
        sc["model"] = {"id": draw(st.sampled_from(MODELS)),
                       "precision": draw(st.sampled_from(["bf16", "fp16", "int8"]))}
        sc["workload"]["request"] = {"prompt_tokens": draw(size_dist(1, 1000)),
                                     "output_tokens": draw(size_dist(1, 300))}
    else:
        sc["service"] = draw(service())
        if draw(st.booleans()):
            sc["workload"]["request"] = {"items": draw(size_dist(1, 50))}
    dep: dict = {"hardware": hw, "gpus_per_replica": draw(st.sampled_from([1, 1, 2])),
                 "replicas": draw(replicas()),
                 "batching": {"max_batch": draw(st.integers(1, 8)),
                              "max_wait_ms": draw(st.sampled_from([0, 1, 5, 20]))}}
    plan = draw(st.sampled_from(["on-demand", "on-demand", "spot"]))
    pricing: dict = {"provider": "aws", "plan": plan}
    if price_override or (price_override is None and draw(st.booleans())):
        pricing["price_per_gpu_hour"] = draw(_money_text)
    dep["pricing"] = pricing
    if isinstance(dep["replicas"], dict) or draw(st.booleans()):
        dep["autoscaling"] = draw(autoscaling(duration))
    if draw(st.integers(0, 4)) == 0:
        dep["sharing"] = {"others_utilization": draw(st.floats(0, 0.9)),
                          "idle_rule": draw(st.sampled_from(["proportional", "even", "owner"])),
                          "tenants": draw(st.integers(2, 5))}
    if simulator_keys:
        if draw(st.integers(0, 4)) == 0:
            pricing["spot_fraction"] = draw(st.floats(0, 1))
            dep["spot"] = {"preemptions_per_hour": draw(st.floats(0, 20)),
                           "warmup_s": draw(st.sampled_from([w for w in (0, 1, 10, 60)
                                                             if w < duration / 2]))}
        if draw(st.integers(0, 5)) == 0:
            dep["cascade"] = {"escalate_fraction": draw(st.floats(0, 1)),
                              "service": draw(service()), "replicas": draw(st.integers(1, 2))}
        if draw(st.integers(0, 4)) == 0:
            n = draw(st.integers(1, 3))
            sc["workload"]["mix"] = [
                {"name": f"c{i}", "share": draw(st.floats(0.1, 5)),
                 "tier": draw(st.sampled_from(["realtime", "batch"])),
                 **({"service": draw(service())} if draw(st.booleans()) else {})}
                for i in range(n)]
        dep["max_queue"] = draw(st.sampled_from([50, 1000, 200_000]))
    sc["deployment"] = dep
    if draw(st.booleans()):
        sc["slo"] = {"p99_latency_ms": draw(st.floats(1, 5000))}
    sc["costs"] = draw(costs())
    return sc


# ---------------------------------------------------------------- bills

_NULLS = st.sampled_from(["", "NULL", "null", " NULL ", "None", "NaN"])

#: amounts as a bill may spell them: plain, exponent, many decimals, negative credits
amount_text = st.one_of(
    st.decimals(min_value=-1000, max_value=10000, places=2, allow_nan=False).map(str),
    st.decimals(min_value=-10, max_value=10, places=14, allow_nan=False).map(str),
    st.sampled_from(["1e-3", "1E+2", "-2.5E-1", "0", "-0", "0.000000000001",
                     "12345678.123456789012", " 3.5 ", "+4", "1_000"]),
)

_instant = st.datetimes(min_value=dt.datetime(2026, 9, 28), max_value=dt.datetime(2026, 11, 2))


@st.composite
def time_text(draw, at=None):
    """A timestamp as bills write it: ISO with Z or an offset, space-separated, no zone."""
    at = at or draw(_instant)
    style = draw(st.integers(0, 4))
    if style == 0:
        return at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 1:
        return at.strftime("%Y-%m-%d %H:%M:%S")
    if style == 2:
        off = draw(st.sampled_from(["+00:00", "+05:30", "-08:00", "+14:00"]))
        return at.strftime("%Y-%m-%dT%H:%M:%S") + off
    if style == 3:
        return at.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def _period(draw):
    start = draw(_instant).replace(minute=0, second=0, microsecond=0)
    end = start + dt.timedelta(hours=draw(st.integers(1, 48)))
    return draw(time_text(start)), draw(time_text(end))


RESOURCES = ["i-0", "i-1", "i-2", "arn:aws:s3:::b", "NULL"]


def _currency(bill_currency: str) -> st.SearchStrategy:
    """Mostly the bill's one currency; rarely a lower-case, empty or other code."""
    return st.sampled_from([bill_currency] * 60 + ["usd", "", "EUR" if bill_currency == "USD" else "USD"])


@st.composite
def focus_rows(draw, min_size=1, max_size=12):
    rows = []
    bill_cur = draw(st.sampled_from(["USD", "USD", "EUR"]))
    for _ in range(draw(st.integers(min_size, max_size))):
        s, e = _period(draw)
        cost = draw(amount_text)
        rows.append({
            "BilledCost": draw(st.one_of(st.just(cost), amount_text)),
            "EffectiveCost": draw(st.one_of(st.just(cost), amount_text, _NULLS)),
            "BillingCurrency": draw(_currency(bill_cur)),
            "ChargeCategory": draw(st.sampled_from(["Usage", "usage", "Credit", "Tax", "Purchase",
                                                    "Adjustment", "CREDIT"])),
            "ChargePeriodStart": s, "ChargePeriodEnd": e,
            "BillingPeriodStart": "2026-10-01T00:00:00Z", "BillingPeriodEnd": "2026-11-01T00:00:00Z",
            "ResourceId": draw(st.one_of(st.sampled_from(RESOURCES), _NULLS)),
            "ServiceCategory": draw(st.sampled_from(["Compute", "Storage", "Networking",
                                                     "AI and Machine Learning", "NULL"])),
            "ServiceName": draw(st.sampled_from(["Amazon EC2", "Amazon S3", "NULL"])),
            "ProviderName": draw(st.sampled_from(["AWS", "Google Cloud", "NULL"])),
            "Tags": draw(st.sampled_from(["NULL", "", '{"team": "a"}', '{" team ": "b", "x": 1}',
                                          "{not json", "[]"])),
        })
    return rows


@st.composite
def cur_rows(draw, min_size=1, max_size=12):
    rows = []
    bill_cur = draw(st.sampled_from(["USD", "USD", "EUR"]))
    for _ in range(draw(st.integers(min_size, max_size))):
        s, e = _period(draw)
        t = draw(st.sampled_from(["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage",
                                  "SavingsPlanNegation", "Tax", "Credit", "Refund", "RIFee",
                                  "SavingsPlanRecurringFee", "Fee", "EdpDiscount"]))
        rows.append({
            "line_item_unblended_cost": draw(amount_text),
            "line_item_net_unblended_cost": draw(st.one_of(amount_text, _NULLS)),
            "line_item_currency_code": draw(_currency(bill_cur)),
            "line_item_line_item_type": t,
            "line_item_usage_start_date": s, "line_item_usage_end_date": e,
            "line_item_resource_id": draw(st.one_of(st.sampled_from(RESOURCES), _NULLS)),
            "line_item_product_code": draw(st.sampled_from(["AmazonEC2", "AmazonS3", "AWSELB"])),
            "line_item_usage_type": "BoxUsage:p5.48xlarge",
            "reservation_effective_cost": draw(st.one_of(amount_text, _NULLS)),
            "savings_plan_savings_plan_effective_cost": draw(st.one_of(amount_text, _NULLS)),
            "bill_billing_period_start_date": "2026-10-01T00:00:00Z",
            "bill_billing_period_end_date": "2026-11-01T00:00:00Z",
            "resource_tags": draw(st.sampled_from(["", '{"user_team": "a"}', "NULL"])),
        })
    return rows


@st.composite
def gcp_rows(draw, min_size=1, max_size=12):
    rows = []
    bill_cur = draw(st.sampled_from(["USD", "USD", "EUR"]))
    for _ in range(draw(st.integers(min_size, max_size))):
        s, e = _period(draw)
        credits = draw(st.sampled_from([
            "[]", "", '[{"name": "c", "amount": -1.25, "type": "SUSTAINED_USAGE_DISCOUNT"}]',
            '[{"amount": "-0.5", "type": "COMMITTED_USAGE_DISCOUNT"}]', '[{"amount": "x"}]']))
        rows.append({
            "cost": draw(amount_text),
            "currency": draw(_currency(bill_cur)),
            "cost_type": draw(st.sampled_from(["regular", "tax", "adjustment", "rounding error"])),
            "usage_start_time": s, "usage_end_time": e,
            "service.description": draw(st.sampled_from(["Compute Engine", "Vertex AI", ""])),
            "sku.id": "ABC-123",
            "resource.name": draw(st.one_of(st.sampled_from(RESOURCES), _NULLS)),
            "invoice.month": draw(st.sampled_from(["202610", "202611", "", "2026-10"])),
            "credits": credits,
            "labels": draw(st.sampled_from(["[]", '[{"key": "team", "value": "a"}]', ""])),
        })
    return rows


def csv_bytes(rows: list[dict], bom: bool = False, crlf: bool = False) -> bytes:
    """Rows as CSV bytes (header from the first row), optionally with BOM / CRLF."""
    out = io.StringIO()
    cols = list(rows[0]) if rows else []
    w = csv.DictWriter(out, fieldnames=cols, lineterminator="\r\n" if crlf else "\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    data = out.getvalue().encode()
    return (b"\xef\xbb\xbf" + data) if bom else data


def jsonl_bytes(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


@st.composite
def bill_file(draw, kind: str | None = None):
    """(file name, bytes, format) of a random FOCUS / CUR / GCP bill."""
    kind = kind or draw(st.sampled_from(["focus", "cur", "gcp"]))
    rows = draw({"focus": focus_rows(), "cur": cur_rows(), "gcp": gcp_rows()}[kind])
    if kind == "gcp" and draw(st.booleans()):
        return "bill.jsonl", jsonl_bytes(rows), kind
    return "bill.csv", csv_bytes(rows, bom=draw(st.booleans()), crlf=draw(st.booleans())), kind


# ---------------------------------------------------------------- usage logs

_duration = st.one_of(
    st.floats(0, 3.6e6, allow_nan=False).map(lambda x: repr(round(x, 3))),
    st.sampled_from(["0", "1e3", "2.5E+2", "-1", "", "NULL", "inf", "NaN", "1e300", "abc",
                     "0.0000001", " 12 "]),
)
_tokens = st.one_of(st.integers(0, 5000).map(str), st.sampled_from(["", "-5", "1.5", "x"]))


@st.composite
def usage_rows(draw, min_size=0, max_size=30, valid_only: bool = False):
    """Usage-log rows as strings; `valid_only` keeps every value parseable."""
    rows = []
    for i in range(draw(st.integers(min_size, max_size))):
        dur = repr(round(draw(st.floats(0, 3.6e6)), 3)) if valid_only else draw(_duration)
        toks = (lambda: str(draw(st.integers(0, 5000)))) if valid_only else (lambda: draw(_tokens))
        rows.append({
            "timestamp": draw(time_text()),
            "request_id": draw(st.sampled_from([f"r{i}", f"r{i}", "dup"])),
            "model": draw(st.sampled_from(["m", "m2", ""])),
            "model_version": "1",
            "endpoint": "/v1/chat",
            "tenant": draw(st.sampled_from(["a", "b", "ü", ""])),
            "resource_id": draw(st.sampled_from(["i-0", "i-1", "i-2", "i-9", ""])),
            "duration_ms": dur,
            "input_tokens": toks(),
            "output_tokens": toks(),
        })
    return rows


@st.composite
def usage_file(draw, valid_only: bool = False):
    """(file name, bytes) of a usage log: CSV (maybe with BOM) or JSON lines."""
    rows = draw(usage_rows(min_size=1, valid_only=valid_only))
    if draw(st.booleans()):
        if not valid_only:
            for r in rows:  # JSON lines carry numbers as numbers where they parse
                try:
                    r["duration_ms"] = float(r["duration_ms"])
                except ValueError:
                    pass
        else:
            for r in rows:
                r["duration_ms"] = float(r["duration_ms"])
                r["input_tokens"] = int(r["input_tokens"])
                r["output_tokens"] = int(r["output_tokens"])
        return "usage.jsonl", jsonl_bytes(rows)
    return "usage.csv", csv_bytes(rows, bom=draw(st.booleans()))


def decimal_sum(texts) -> Decimal:
    return sum((Decimal(t) for t in texts), Decimal(0))
