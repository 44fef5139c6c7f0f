"""Predicted against measured latency for the example service, before and after the
load calibration: the table in docs/perf.md ("Under load").

    python -m examples.service.latency --run service-run

The calibration and scenario are the ones the run used (RUN/run.json, written by
`examples.service.loop`); --calibration / --scenario override them.

Measured: the service's server spans ("POST /v1/embeddings", request received to answer
ready) in RUN/spans.jsonl, and the load generator's client latencies (RUN/load.json).
Predicted: `infercost simulate` of the scenario at the run's rate, with the calibration
file's isolated timings only (before: its `load` rows dropped), with them (after: batch
times matched to those under load), and with the `service:` block the `load` row carries
(lognormal, the spread of the batch times under load), seed 0. Error = predicted /
measured - 1 (against the server spans).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from examples.service.loop import infercost


def server_latencies_ms(spans: Path) -> list[float]:
    out = []
    for line in spans.read_text().splitlines():
        for rs in json.loads(line)["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for sp in ss["spans"]:
                    if sp["name"] == "POST /v1/embeddings":
                        out.append((int(sp["endTimeUnixNano"]) - int(sp["startTimeUnixNano"])) / 1e6)
    return sorted(out)


def pct(xs: list[float], q: int) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[q - 1]


def simulated(scenario: str, calibration: Path, rate: float, max_batch: int, max_wait_ms: float) -> dict:
    r = infercost("simulate", scenario, "--json", "--set", f"deployment.engine={calibration}",
                  "--set", f"workload.arrivals.rate_per_s={rate}", "--set", f"deployment.batching.max_batch={max_batch}",
                  "--set", f"deployment.batching.max_wait_ms={max_wait_ms}")
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return json.loads(r.stdout)["latency_ms"]


def simulated_with_block(scenario: str, block: dict, rate: float, max_batch: int, max_wait_ms: float,
                         tmp: Path) -> dict:
    """simulate with the `service:` block bench --load wrote (lognormal: the measured spread)."""
    import yaml

    doc = yaml.safe_load(Path(scenario).read_text())
    doc["service"] = block
    f = tmp / "with-service.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = infercost("simulate", f, "--json", "--set", f"workload.arrivals.rate_per_s={rate}",
                  "--set", f"deployment.batching.max_batch={max_batch}",
                  "--set", f"deployment.batching.max_wait_ms={max_wait_ms}")
    if r.returncode != 0:
        raise RuntimeError(r.stderr.strip())
    return json.loads(r.stdout)["latency_ms"]


def run_settings(run: Path) -> dict:
    """RUN/run.json: what the loop ran with (scenario, calibration, rate, batching)."""
    p = run / "run.json"
    if not p.is_file():
        raise SystemExit(f"error: {p}: not found; run `python -m examples.service.loop --out {run}` "
                         "or pass --calibration and --scenario")
    return json.loads(p.read_text())


def table(run: Path, calibration: Path | None = None, scenario: str | None = None) -> str:
    """The markdown table; `calibration` / `scenario` default to the run's (RUN/run.json)."""
    if calibration is None or scenario is None:
        settings = run_settings(run)
        calibration = Path(settings["calibration"]) if calibration is None else calibration
        scenario = settings["scenario"] if scenario is None else scenario
    load = json.loads((run / "load.json").read_text())
    rate = float(load["spec"]["rate_per_s"])
    cal_rows = [json.loads(x) for x in calibration.read_text().splitlines() if x.strip()]
    lr = next((r for r in cal_rows if r["kind"] == "load"), None)
    if lr is None:
        raise SystemExit(f"error: {calibration}: no load row; run `infercost bench --load` first")
    with tempfile.TemporaryDirectory() as td:
        iso = Path(td) / "isolated.jsonl"
        iso.write_text("".join(json.dumps(r) + "\n" for r in cal_rows if r["kind"] not in ("load", "load_batch")))
        before = simulated(scenario, iso, rate, lr["max_batch"], lr["max_wait_ms"])
        after = simulated(scenario, calibration, rate, lr["max_batch"], lr["max_wait_ms"])
        spread = (simulated_with_block(scenario, lr["service"], rate, lr["max_batch"], lr["max_wait_ms"], Path(td))
                  if lr.get("service") else None)
    srv = server_latencies_ms(run / "spans.jsonl")
    m50, m99 = pct(srv, 50), pct(srv, 99)
    cl = load["summary"]
    lines = [f"Example service, {len(srv)} requests at {rate:g}/s (Poisson, {cl['seconds']:.0f} s), "
             f"max_batch {lr['max_batch']}, max_wait {lr['max_wait_ms']:g} ms; load factor "
             f"x{lr['factor']:.2f} (bench --load at {lr['rate_per_s']:g}/s)",
             "",
             "| latency | p50 ms | p99 ms | p50 error | p99 error |",
             "|---|---:|---:|---:|---:|",
             f"| measured, server spans | {m50:.1f} | {m99:.1f} | | |",
             f"| measured, client (loopback HTTP) | {cl['p50_ms']:.1f} | {cl['p99_ms']:.1f} | | |",
             f"| measured in-process by bench --load ({lr['requests']} requests) | {lr['latency_p50_ms']:.1f} | "
             f"{lr['latency_p99_ms']:.1f} | | |"]
    rows = [("simulate, isolated timings (before)", before),
            ("simulate, with the bench --load calibration (after)", after)]
    if spread is not None:
        rows.append(("simulate, bench --load `service:` block (lognormal spread)", spread))
    for name, s in rows:
        lines.append(f"| {name} | {s['p50']:.1f} | {s['p99']:.1f} | {s['p50'] / m50 - 1:+.0%} | "
                     f"{s['p99'] / m99 - 1:+.0%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", default="service-run", help="folder written by examples.service.loop")
    ap.add_argument("--calibration", default=None, help="default: the run's (RUN/run.json)")
    ap.add_argument("--scenario", default=None, help="default: the run's (RUN/run.json)")
    a = ap.parse_args(argv)
    print(table(Path(a.run), Path(a.calibration) if a.calibration else None, a.scenario))


if __name__ == "__main__":
    main()
