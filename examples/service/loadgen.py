"""A bounded Poisson load generator for the example service, over loopback HTTP/1.1.

    python -m examples.service.loadgen --port 8000 --rate 4 --max-seconds 20 --out latencies.json

Arrivals are a Poisson process of `rate_per_s` (exponential gaps, numpy seed `seed`). The
run is bounded three ways: at most `max_requests` requests, at most `max_in_flight` open at
once (an arrival that finds the cap reached is shed and counted, not queued), and no
arrival after `max_seconds`; each request gives up `timeout_s` after it was sent. Latency
is measured at the client: from the arrival (connection opened) to the last byte of the
response, in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from dataclasses import asdict, dataclass, field

TEXTS = (
    "How much does one inference cost?",
    "The invoice for November arrived late again.",
    "Please summarise the attached support ticket.",
    "Batching requests raises throughput but adds queueing delay.",
    "A cat sat on the warm keyboard and sent the email.",
    "What is the refund policy for annual plans?",
)
TENANTS = ("acme", "globex")


@dataclass(frozen=True)
class LoadSpec:
    """Poisson arrivals at `rate_per_s` (requests/s), bounded by `max_requests`,
    `max_in_flight`, `max_seconds` (no arrival later) and `timeout_s` per request."""

    rate_per_s: float
    max_requests: int = 1000
    max_in_flight: int = 64
    max_seconds: float = 30.0
    timeout_s: float = 30.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.rate_per_s > 0:
            raise ValueError(f"rate_per_s must be > 0, got {self.rate_per_s}")
        if self.max_requests < 1 or self.max_in_flight < 1 or not self.max_seconds > 0:
            raise ValueError("max_requests, max_in_flight and max_seconds must be positive")


@dataclass(frozen=True)
class Outcome:
    """One request: `sent_at` (Unix seconds), `latency_s`, HTTP `status` (0 = no response)."""

    sent_at: float
    latency_s: float
    status: int
    tenant: str


@dataclass
class LoadResult:
    spec: LoadSpec
    started_at: float  # Unix seconds
    ended_at: float
    outcomes: list[Outcome] = field(default_factory=list)
    shed: int = 0  # arrivals not sent because max_in_flight requests were open

    def ok_latencies(self) -> list[float]:
        return sorted(o.latency_s for o in self.outcomes if o.status == 200)

    def summary(self) -> dict:
        lat = self.ok_latencies()
        q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) >= 2 else lat * 99
        return {"requests": len(self.outcomes), "ok": len(lat), "shed": self.shed,
                "failed": sum(1 for o in self.outcomes if o.status != 200),
                "seconds": round(self.ended_at - self.started_at, 3),
                "offered_rate_per_s": self.spec.rate_per_s,
                "p50_ms": round(q[49] * 1000, 3) if lat else None,
                "p99_ms": round(q[98] * 1000, 3) if lat else None,
                "mean_ms": round(statistics.fmean(lat) * 1000, 3) if lat else None}

    def to_dict(self) -> dict:
        return {"spec": asdict(self.spec), "started_at": self.started_at, "ended_at": self.ended_at,
                "summary": self.summary(), "outcomes": [asdict(o) for o in self.outcomes]}


async def _post(host: str, port: int, body: bytes, tenant: str, timeout_s: float) -> int:
    async def go() -> int:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            writer.write(b"POST /v1/embeddings HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
                         b"Content-Type: application/json\r\nX-Tenant: " + tenant.encode() + b"\r\n"
                         b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            await writer.drain()
            status_line = await reader.readline()
            await reader.read()  # until the server closes: the whole response
            parts = status_line.split()
            return int(parts[1]) if len(parts) > 1 else 0
        finally:
            writer.close()

    try:
        return await asyncio.wait_for(go(), timeout_s)
    except (TimeoutError, OSError, ValueError):
        return 0


async def run_load(host: str, port: int, spec: LoadSpec) -> LoadResult:
    """Drive the service with `spec`; returns every request's outcome."""
    import numpy as np

    rng = np.random.default_rng(spec.seed)
    gaps = rng.exponential(1.0 / spec.rate_per_s, size=spec.max_requests)
    arrivals = np.cumsum(gaps)
    arrivals = arrivals[arrivals <= spec.max_seconds]
    res = LoadResult(spec, time.time(), 0.0)
    open_now = 0
    tasks = []
    t0 = time.perf_counter()

    async def one(i: int) -> None:
        nonlocal open_now
        tenant = TENANTS[i % len(TENANTS)]
        body = json.dumps({"input": TEXTS[i % len(TEXTS)], "model": "all-minilm-l6-v2"}).encode()
        sent, p0 = time.time(), time.perf_counter()
        try:
            status = await _post(host, port, body, tenant, spec.timeout_s)
        finally:
            open_now -= 1
        res.outcomes.append(Outcome(sent, time.perf_counter() - p0, status, tenant))

    for i, at in enumerate(arrivals):
        delay = at - (time.perf_counter() - t0)
        if delay > 0:
            await asyncio.sleep(delay)
        if open_now >= spec.max_in_flight:
            res.shed += 1
            continue
        open_now += 1
        tasks.append(asyncio.create_task(one(i)))
    if tasks:
        await asyncio.gather(*tasks)
    res.ended_at = time.time()
    res.outcomes.sort(key=lambda o: o.sent_at)
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--rate", type=float, default=4.0, help="requests per second (Poisson)")
    ap.add_argument("--max-requests", type=int, default=1000)
    ap.add_argument("--max-in-flight", type=int, default=64)
    ap.add_argument("--max-seconds", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=None, help="write every outcome and the summary here (JSON)")
    a = ap.parse_args(argv)
    spec = LoadSpec(a.rate, a.max_requests, a.max_in_flight, a.max_seconds, seed=a.seed)
    res = asyncio.run(run_load(a.host, a.port, spec))
    if a.out:
        with open(a.out, "w") as fh:
            json.dump(res.to_dict(), fh, indent=1)
    print(json.dumps(res.summary()))


if __name__ == "__main__":
    main()
