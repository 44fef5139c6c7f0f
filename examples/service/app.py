"""An instrumented embeddings service: the real all-MiniLM-L6-v2 on the CPU behind a
dynamic-batching queue (`infercost.bench.batching`, the rule `infercost bench --load`
measures), one OpenTelemetry span per request.

    python -m examples.service.app --port 8000 --spans spans.jsonl [--otlp-endpoint URL]

POST /v1/embeddings {"input": "text" | ["text", ...], "model": "all-minilm-l6-v2"}
(header `X-Tenant` names the tenant) -> {"data": [{"embedding": [384 floats], "index": i}],
"usage": {"prompt_tokens": n}}. GET /healthz -> {"ok": true}.

Spans: one server span per HTTP request ("POST /v1/embeddings": received to answered,
the latency) and under it one inference span per text ("embeddings all-minilm-l6-v2"),
timed to the batch the text rode in (start and end of that batch on the replica), with
gen_ai.operation.name="embeddings", gen_ai.request.model, gen_ai.response.id,
gen_ai.usage.input_tokens (real tokens after truncation to --seq-len),
infercost.model_version, infercost.tenant (header X-Tenant), infercost.resource_id (the
id the machine has in the bill), infercost.batch.size and infercost.batch.index. A text
is one inference: its busy share is the batch time / batch size (what the cost span
processor prices and what `infercost attribute` counts as its duration_ms).
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
from opentelemetry import trace
from opentelemetry.trace import SpanKind

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
        served = await asyncio.gather(*(asyncio.wrap_future(batcher.submit(t)) for t in texts))
        rid = f"emb-{next(ids):07d}-{uuid.uuid4().hex[:8]}"
        parent = tracer.start_span("POST /v1/embeddings", start_time=t0, kind=SpanKind.SERVER, attributes={
            "http.request.method": "POST", "http.route": "/v1/embeddings", "infercost.tenant": tenant})
        ctx = trace.set_span_in_context(parent)
        for i, (s, n) in enumerate(zip(served, tokens, strict=True)):
            rec = s.batch
            child = tracer.start_span(f"embeddings {MODEL_ID}", context=ctx, start_time=rec.start_ns, attributes={
                "gen_ai.operation.name": "embeddings",
                "gen_ai.request.model": MODEL_ID,
                "gen_ai.response.id": rid if len(texts) == 1 else f"{rid}.{i}",
                "gen_ai.usage.input_tokens": int(n),
                "infercost.model_version": model_version,
                "infercost.tenant": tenant,
                "infercost.resource_id": resource_id,
                "infercost.endpoint": "/v1/embeddings",
                "infercost.batch.size": rec.size,
                "infercost.batch.index": s.index,
            })
            child.end(end_time=rec.end_ns)
        parent.end()
        return {"object": "list", "model": MODEL_ID, "id": rid,
                "data": [{"object": "embedding", "index": i, "embedding": s.result} for i, s in enumerate(served)],
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
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    provider, pricer = setup_tracing(a.spans, scenario=a.scenario, otlp_endpoint=a.otlp_endpoint)
    app = create_app(load_embedder(a.seq_len, a.threads), BatchRule(a.max_batch, a.max_wait_ms / 1000.0),
                     provider.get_tracer("infercost.example.service"), resource_id=a.resource_id,
                     on_shutdown=provider.shutdown)
    uvicorn.run(app, host=a.host, port=a.port, log_level="warning")


if __name__ == "__main__":
    main()
