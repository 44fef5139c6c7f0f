"""`infercost bench`: measure this machine into a measurement file (needs the bench extra).

The Python API has no verb for measuring, so this command calls `infercost.bench`
(the harness beside the CLI) directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer


def _ints(text: str | None, opt: str) -> list[int] | None:
    from infercost.errors import InputError

    if text is None:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"expected comma-separated integers, got {text!r}", opt) from None


def register(app: typer.Typer) -> None:
    @app.command()
    def bench(
        model: Annotated[str, typer.Option("--model", help="all-minilm-l6-v2 | llama-tiny | bert-tiny | catalog id")],
        out: Annotated[Path, typer.Option("--out", help="measurement file to write (JSON lines)")],
        device: Annotated[Optional[str], typer.Option("--device", help="cpu | cuda (default: cuda if present)")] = None,
        batches: Annotated[Optional[str], typer.Option("--batches", help="batch sizes, e.g. 1,2,4,8")] = None,
        lengths: Annotated[Optional[str], typer.Option("--lengths", help="prompt/sequence lengths, e.g. 32,128")] = None,
        dtype: Annotated[str, typer.Option("--dtype", help="fp32 | bf16 | fp16")] = "fp32",
        threads: Annotated[Optional[int], typer.Option("--threads", help="CPU threads for torch")] = None,
        quick: Annotated[bool, typer.Option("--quick", help="small shapes, few repetitions (CI)")] = False,
        json_: Annotated[bool, typer.Option("--json", help="print the measured rows as JSON")] = False,
        load: Annotated[bool, typer.Option("--load", help="also measure under Poisson load behind the "
                                           "example service's batching queue (all-minilm-l6-v2, CPU)")] = False,
        rate: Annotated[float, typer.Option("--rate", help="--load: Poisson arrivals, requests/s")] = 4.0,
        seconds: Annotated[float, typer.Option("--seconds", help="--load: seconds of arrivals")] = 20.0,
        max_batch: Annotated[int, typer.Option("--max-batch", help="--load: batching max_batch")] = 8,
        max_wait_ms: Annotated[float, typer.Option("--max-wait-ms", help="--load: batching max_wait_ms")] = 5.0,
        max_requests: Annotated[int, typer.Option("--max-requests", help="--load: at most this many")] = 5000,
        seed: Annotated[int, typer.Option("--seed", help="--load: arrival seed")] = 0,
    ) -> None:
        """Measure matmul and memory ceilings, then the model at several batch sizes and lengths.

        With --load (all-minilm-l6-v2 on the CPU): also the service's batch function alone
        and under Poisson load (--rate, --seconds) with the example service's batching rule
        (--max-batch, --max-wait-ms); the file's `load` row then scales the batch times
        that `estimate` and `simulate` use (`deployment.engine: FILE`).
        """
        from infercost.errors import InputError

        if dtype not in ("fp32", "bf16", "fp16"):
            raise InputError(f"dtype must be fp32, bf16 or fp16, got {dtype!r}", "--dtype")
        from infercost.cli.common import working

        if load:
            from infercost.bench.load import run_load

            if device not in (None, "cpu") or dtype != "fp32" or batches is not None:
                raise InputError("--load measures fp32 on the CPU at batch sizes up to --max-batch; "
                                 "drop --device, --dtype and --batches", "--load")
            lens = _ints(lengths, "--lengths") or [32]
            if len(lens) != 1:
                raise InputError(f"--load takes one sequence length, got {lens}", "--lengths")
            if threads is not None and threads < 1:
                raise InputError(f"threads must be a positive integer, got {threads}", "--threads")
            with working(f"measuring {model} alone, then {seconds:g} s of Poisson load at {rate:g}/s"):
                rows = run_load(model, out, rate_per_s=rate, seconds=seconds, max_batch=max_batch,
                                max_wait_ms=max_wait_ms, seq_len=lens[0], threads=threads, quick=quick,
                                max_requests=max_requests, seed=seed)
        else:
            from infercost.bench.harness import run

            with working(f"measuring {model} (each shape timed several times)"):
                rows = run(model, out, device=device, batches=_ints(batches, "--batches"),
                           lengths=_ints(lengths, "--lengths"), quick=quick, dtype=dtype, threads=threads)
        if json_:
            from infercost.cli.common import print_json

            print_json({"out": str(out), "rows": rows})
        else:
            print(f"wrote {len(rows)} rows to {out}")
            ld = next((r for r in rows if r["kind"] == "load"), None)
            if ld:
                print("\n".join(load_summary(ld)))


def load_summary(ld: dict) -> list[str]:
    """The terminal lines (each under 80 columns) for a `load` row of `bench --load`: the
    load, the batch time under load against the isolated time, the latency."""
    f = float(ld["factor"])
    how = "slower" if f > 1.005 else "faster" if f < 0.995 else "the same"
    return [f"under load: {ld['rate_per_s']:g} requests/s, {ld['requests']} requests, "
            f"mean batch {ld['mean_batch']:.2f}",
            f"  batches took {f:.2f}x their isolated time ({how})",
            f"  latency p50 {ld['latency_p50_ms']:.1f} ms, p99 {ld['latency_p99_ms']:.1f} ms"]
