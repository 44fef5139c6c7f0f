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
    ) -> None:
        """Measure matmul and memory ceilings, then the model at several batch sizes and lengths."""
        from infercost.bench.harness import run
        from infercost.errors import InputError

        if dtype not in ("fp32", "bf16", "fp16"):
            raise InputError(f"dtype must be fp32, bf16 or fp16, got {dtype!r}", "--dtype")
        from infercost.cli.common import working

        with working(f"measuring {model} (each shape timed several times)"):
            rows = run(model, out, device=device, batches=_ints(batches, "--batches"),
                       lengths=_ints(lengths, "--lengths"), quick=quick, dtype=dtype, threads=threads)
        if json_:
            from infercost.cli.common import print_json

            print_json({"out": str(out), "rows": rows})
        else:
            print(f"wrote {len(rows)} rows to {out}")
