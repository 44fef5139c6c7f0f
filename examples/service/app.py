"""An instrumented embeddings service: the real all-MiniLM-L6-v2 on the CPU behind a
dynamic-batching queue (`infercost.bench.batching`, the rule `infercost bench --load`
measures), one OpenTelemetry span per request.

    python -m examples.service.app --port 8000 --spans spans.jsonl [--otlp-endpoint URL]

POST /v1/embeddings {"input": "text" | ["text", ...], "model": "all-minilm-l6-v2"}
(header `X-Tenant` names the tenant) -> {"data": [{"embedding": [384 floats], "index": i}],
"usage": {"prompt_tokens": n}}. GET /healthz -> {"ok": true}.

Each request span (name "embeddings all-minilm-l6-v2", start = request received, end =
response ready) carries: gen_ai.operation.name="embeddings", gen_ai.request.model,
gen_ai.response.id, gen_ai.usage.input_tokens (real tokens after truncation to
--seq-len), infercost.model_version, infercost.tenant, infercost.resource_id (the id the
machine has in the bill), infercost.batch.size (the largest batch its texts rode in) and
infercost.busy_ms: the request's share of replica busy time, sum over its texts of
(batch seconds / batch size) x 1000, which `infercost attribute` takes as duration_ms.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import time
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request

from infercost.bench.batching import Batcher, BatchRule
from infercost.bench.embed import MODEL_ID, Embedder

MAX_TEXTS = 64  # texts per request
MAX_CHARS = 20_000  # characters per text


def create_app(embedder: Embedder, rule: BatchRule, tracer, *, resource_id: str,
               model_version: str = "2026-11-29", on_shutdown=None) -> FastAPI:
    """The FastAPI app. `tracer` is an OpenTelemetry Tracer; the batcher starts with the app.
    `on_shutdown()` (e.g. the TracerProvider's shutdown, which flushes the spans) runs when
    the server stops, after the batcher."""
    batcher = Batcher(embedder.embed, rule, name="minilm-batcher")

    @asynccontextmanager
    async def lifespan(_app):
        yield
        batcher.close()
        if on_shutdown is not None:
            on_shutdown()

    app = FastAPI(title="MiniLM embeddings (infercost example)", lifespan=lifespan)
    app.state.batcher = batcher
    ids = itertools.count(1)

    @app.get("/healthz")
    def healthz() -> dict:
        return {"ok": True}

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> dict:
        t0 = time.time_ns()
        try:
            body = await request.json()
        except ValueError:
            raise HTTPException(400, "body must be JSON") from None
        texts = body.get("input") if isinstance(body, dict) else None
        if isinstance(texts, str):
            texts = [texts]
        if (not isinstance(texts, list) or not texts or len(texts) > MAX_TEXTS
                or not all(isinstance(t, str) and len(t) <= MAX_CHARS for t in texts)):
            raise HTTPException(400, f"input: expected a string or a list of 1..{MAX_TEXTS} strings "
                                     f"of at most {MAX_CHARS} characters")
        model = body.get("model", MODEL_ID)
        if model != MODEL_ID:
            raise HTTPException(404, f"model {model!r} is not served here; this service serves {MODEL_ID}")
        tenant = request.headers.get("x-tenant", "default")
        tokens = embedder.tokens(texts)
        futures = [asyncio.wrap_future(batcher.submit(t)) for t in texts]
        results = await asyncio.gather(*futures)
        vectors = [r for r, _ in results]
        busy_ms = sum(rec.seconds / rec.size for _, rec in results) * 1000.0
        rid = f"emb-{next(ids):07d}-{uuid.uuid4().hex[:8]}"
        span = tracer.start_span(f"embeddings {MODEL_ID}", start_time=t0, attributes={
            "gen_ai.operation.name": "embeddings",
            "gen_ai.request.model": MODEL_ID,
            "gen_ai.response.id": rid,
            "gen_ai.usage.input_tokens": int(sum(tokens)),
            "infercost.model_version": model_version,
            "infercost.tenant": tenant,
            "infercost.resource_id": resource_id,
            "infercost.endpoint": "/v1/embeddings",
            "infercost.batch.size": max(rec.size for _, rec in results),
            "infercost.busy_ms": round(busy_ms, 6),
        })
        span.end()
        return {"object": "list", "model": MODEL_ID, "id": rid,
                "data": [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)],
                "usage": {"prompt_tokens": int(sum(tokens)), "total_tokens": int(sum(tokens))}}

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn
    from examples.service.telemetry import setup_tracing

    from infercost.bench.embed import load_embedder

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--spans", default="spans.jsonl", help="OTLP/JSON lines file the spans go to")
    ap.add_argument("--otlp-endpoint", default=None, help="also send spans to this OTLP/HTTP collector")
    ap.add_argument("--scenario", default="examples/service/scenario.yaml")
    ap.add_argument("--resource-id", default="i-0service0minilm01", help="this machine's id in the bill")
    ap.add_argument("--max-batch", type=int, default=8)
    ap.add_argument("--max-wait-ms", type=float, default=5.0)
    ap.add_argument("--seq-len", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (= deployment.gpus_per_replica)")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    provider = setup_tracing(a.spans, scenario=a.scenario, otlp_endpoint=a.otlp_endpoint)
    app = create_app(load_embedder(a.seq_len, a.threads), BatchRule(a.max_batch, a.max_wait_ms / 1000.0),
                     provider.get_tracer("infercost.example.service"), resource_id=a.resource_id,
                     on_shutdown=provider.shutdown)
    uvicorn.run(app, host=a.host, port=a.port, log_level="warning")


if __name__ == "__main__":
    main()
