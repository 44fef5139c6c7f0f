"""The whole loop on this machine: serve, load, bill, attribute, reconcile.

    python -m examples.service.loop --out run/ --rate 4 --seconds 20

0. writes the run's scenario, OUT/scenario.yaml (SCENARIO with the calibration, the rate,
   the batching and the vCPUs of this run), and what the run used, OUT/run.json: the one
   prediction the spans are priced with and the reconciliation compares against;
1. starts the service (`python -m examples.service.app --scenario OUT/scenario.yaml`) on a
   free loopback port, with its spans going to OUT/spans.jsonl;
2. drives it with the bounded Poisson load generator (`loadgen`), client latencies in
   OUT/load.json;
3. stops it (the spans are flushed on shutdown), writes the machine's bill for the hours
   the run touched (OUT/bill.csv, `bill.write_bill`) and the attribution rules;
4. `infercost attribute --bill OUT/bill.csv --usage OUT/spans.jsonl --rules OUT/rules.yaml
   --out OUT/attribution`, then `infercost reconcile OUT/scenario.yaml --attribution
   OUT/attribution --json` (OUT/reconcile.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from examples.service.bill import write_bill, write_rules
from examples.service.loadgen import LoadSpec, run_load

ROOT = Path(__file__).resolve().parents[2]
RESOURCE_ID = "i-0service0minilm01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("HF_HUB_OFFLINE", "1")
    return env


def _path(p: str | Path) -> Path:
    """`p` as given when it exists from here, else under the repository root (where the
    committed defaults live); absolute either way."""
    q = Path(p)
    return (q if q.exists() or q.is_absolute() else ROOT / q).resolve()


def write_run_scenario(out: Path, scenario: str | Path, *, calibration: str | Path | None, rate: float,
                       max_batch: int, max_wait_ms: float, vcpus: int) -> tuple[Path, str]:
    """Write OUT/scenario.yaml: `scenario` with deployment.engine = `calibration` (absolute;
    None keeps the scenario's own, a relative file path made absolute against the repository
    root), the arrival rate, max_batch, max_wait_ms and gpus_per_replica = `vcpus`. Returns
    (its path, the engine it names)."""
    import yaml

    doc = yaml.safe_load(_path(scenario).read_text())
    dep = doc.setdefault("deployment", {})
    engine = str(dep.get("engine", "")) if calibration is None else str(calibration)
    if calibration is not None or (engine.endswith((".jsonl", ".json")) and not Path(engine).is_absolute()):
        engine = str(_path(engine))
    dep["engine"] = engine
    dep["gpus_per_replica"] = vcpus
    dep["batching"] = {**(dep.get("batching") or {}), "max_batch": max_batch, "max_wait_ms": max_wait_ms}
    doc.setdefault("workload", {}).setdefault("arrivals", {})["rate_per_s"] = rate
    path = out / "scenario.yaml"
    path.write_text("# written by examples.service.loop: the prediction of this run (see run.json)\n"
                    + yaml.safe_dump(doc, sort_keys=False))
    return path, engine


def start_service(port: int, spans: Path, *, max_batch: int = 8, max_wait_ms: float = 5.0, seq_len: int = 32,
                  threads: int = 1, otlp_endpoint: str | None = None, log: Path | None = None,
                  ready_s: float = 120.0, scenario: str | Path | None = None) -> subprocess.Popen:
    """Start the service and wait until /healthz answers (RuntimeError after `ready_s`). Its
    spans are priced under `scenario` (None: the service's default)."""
    cmd = [sys.executable, "-m", "examples.service.app", "--port", str(port), "--spans", str(spans),
           "--resource-id", RESOURCE_ID, "--max-batch", str(max_batch), "--max-wait-ms", str(max_wait_ms),
           "--seq-len", str(seq_len), "--threads", str(threads)]
    if scenario is not None:
        cmd += ["--scenario", str(scenario)]
    if otlp_endpoint:
        cmd += ["--otlp-endpoint", otlp_endpoint]
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + ready_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the service exited with {proc.returncode} before it was ready"
                               + (f"; see {log}" if log else ""))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    stop_service(proc)
    raise RuntimeError(f"the service did not answer /healthz within {ready_s:.0f} s")


def stop_service(proc: subprocess.Popen, wait_s: float = 30.0) -> None:
    """SIGINT (graceful: the lifespan closes the batcher and flushes the spans), then kill."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def infercost(*args: str) -> subprocess.CompletedProcess:
    """`python -m infercost ARGS` from the repository root (its exit code checked by the caller)."""
    return subprocess.run([sys.executable, "-m", "infercost", *map(str, args)], cwd=ROOT, env=_env(),
                          capture_output=True, text=True)


def run_loop(out: str | Path, *, rate: float = 4.0, seconds: float = 20.0, max_requests: int = 2000,
             max_in_flight: int = 64, scenario: str | Path = "examples/service/scenario.yaml",
             calibration: str | Path | None = None, max_batch: int = 8, max_wait_ms: float = 5.0,
             seq_len: int = 32, threads: int = 1, vcpus: int = 1, seed: int = 0,
             otlp_endpoint: str | None = None) -> dict:
    """Run the loop into `out`; returns the paths, the load summary and the reconcile JSON.
    One prediction end to end: OUT/scenario.yaml (`calibration`, or the scenario's own engine)
    prices the spans and is what reconcile compares against; OUT/run.json records it.
    Raises RuntimeError when a step fails (its stderr in the message)."""
    o = Path(out)
    o.mkdir(parents=True, exist_ok=True)
    spans = o / "spans.jsonl"
    spans.unlink(missing_ok=True)
    run_sc, engine = write_run_scenario(o, scenario, calibration=calibration, rate=rate, max_batch=max_batch,
                                        max_wait_ms=max_wait_ms, vcpus=vcpus)
    run = {"scenario": str(_path(scenario)), "run_scenario": str(run_sc.resolve()), "calibration": engine,
           "rate_per_s": rate, "seconds": seconds, "max_requests": max_requests, "max_batch": max_batch,
           "max_wait_ms": max_wait_ms, "seq_len": seq_len, "threads": threads, "vcpus": vcpus, "seed": seed}
    (o / "run.json").write_text(json.dumps(run, indent=1))
    port = free_port()
    proc = start_service(port, spans, max_batch=max_batch, max_wait_ms=max_wait_ms, seq_len=seq_len,
                         threads=threads, otlp_endpoint=otlp_endpoint, log=o / "service.log", scenario=run_sc)
    try:
        spec = LoadSpec(rate, max_requests=max_requests, max_in_flight=max_in_flight, max_seconds=seconds,
                        seed=seed)
        res = asyncio.run(run_load("127.0.0.1", port, spec))
    finally:
        stop_service(proc)
    (o / "load.json").write_text(json.dumps(res.to_dict(), indent=1))
    start = datetime.fromtimestamp(res.started_at, UTC)
    end = datetime.fromtimestamp(res.ended_at, UTC)
    bill = write_bill(o / "bill.csv", start, end, resource_id=RESOURCE_ID, vcpus=vcpus)
    rules = write_rules(o / "rules.yaml")
    att = infercost("attribute", "--bill", bill["path"], "--usage", spans, "--rules", rules,
                    "--out", o / "attribution", "--json")
    if att.returncode != 0:
        raise RuntimeError(f"infercost attribute failed: {att.stderr.strip()}")
    rec = infercost("reconcile", run_sc, "--attribution", o / "attribution", "--json")
    if rec.returncode != 0:
        raise RuntimeError(f"infercost reconcile failed: {rec.stderr.strip()}")
    (o / "reconcile.json").write_text(rec.stdout)
    return {"out": o, "spans": spans, "run": run, "bill": bill, "load": res.summary(), "attribution": json.loads(att.stdout),
            "reconcile": json.loads(rec.stdout)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="service-run")
    ap.add_argument("--rate", type=float, default=4.0)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--scenario", default="examples/service/scenario.yaml")
    ap.add_argument("--calibration", default=None, help="bench file for deployment.engine (default: the scenario's)")
    ap.add_argument("--otlp-endpoint", default=None, help="also send the spans to this OTLP/HTTP collector")
    a = ap.parse_args(argv)
    r = run_loop(a.out, rate=a.rate, seconds=a.seconds, scenario=a.scenario, calibration=a.calibration,
                 otlp_endpoint=a.otlp_endpoint)
    print(json.dumps(r["load"]))
    rec = r["reconcile"]
    print(json.dumps({"inferences": rec["inferences"], "factors": rec["factors"],
                      "decomposition": rec["decomposition"]}, indent=1))
    print(f"files in {r['out']}: run.json scenario.yaml spans.jsonl load.json bill.csv rules.yaml "
          "attribution/ reconcile.json")


if __name__ == "__main__":
    main()
