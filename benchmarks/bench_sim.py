"""Simulator speed: requests simulated per second of wall time, against SimPy.

    .venv/bin/python benchmarks/bench_sim.py            # full: includes the 86.4 M-request day
    .venv/bin/python benchmarks/bench_sim.py --quick    # skips the day
    .venv/bin/python benchmarks/bench_sim.py --validate # theory vs simulation table

Runs, each in a fresh process (so peak memory is per run; numba's compiled code is
loaded from its on-disk cache, compile time is reported separately):
1. the plain queue: M/M/3 at utilisation 0.8 (service exponential 20 ms, 120 requests/s,
   the issue's scenario form), 10 M requests;
2. the same model at 1 M requests, to show memory does not grow with requests;
3. a simulated day at 1,000 requests/s (86.4 M requests): M/M/25, service 20 ms (rho 0.8);
4. the same M/M/3 written with SimPy (Resource + generator processes), 300 k requests,
   same run: the ratio of requests per second is the speed-up.
One core: numba runs single-threaded here (no prange), and SimPy is single-threaded.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

MEAN_S = 0.020


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_infercost(servers: int, rate: float, n_requests: float, seed: int = 1) -> dict:
    from infercost.sim.entities import ArrivalSpec, PoolConfig, RequestClass, ServiceDist, SimConfig
    from infercost.sim.run import simulate_config

    cfg = SimConfig(
        duration_s=n_requests / rate,
        arrivals=ArrivalSpec("poisson", rate_per_s=rate),
        classes=[RequestClass(service=ServiceDist("exponential", mean_s=MEAN_S))],
        pools=[PoolConfig(replicas=servers, max_queue=1_000_000)],
    )
    t0 = time.perf_counter()
    r = simulate_config(cfg, seed=seed)
    total = time.perf_counter() - t0
    n = r.requests["arrived"]
    return {"engine": "infercost", "servers": servers, "rate_per_s": rate, "requests": n,
            "loop_wall_s": round(r.wall_s, 3), "total_wall_s": round(total, 3),
            "requests_per_s": round(n / r.wall_s), "mean_wait_ms": r.queue_wait_ms["mean"],
            "peak_rss_mb": round(_peak_mb(), 1)}


def run_simpy(servers: int, rate: float, n_requests: int, seed: int = 1) -> dict:
    import random

    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=servers)
    waits = []

    def request(env):
        t = env.now
        with res.request() as req:
            yield req
            waits.append(env.now - t)
            yield env.timeout(rng.expovariate(1.0 / MEAN_S))

    def source(env):
        for _ in range(n_requests):
            yield env.timeout(rng.expovariate(rate))
            env.process(request(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run()
    wall = time.perf_counter() - t0
    return {"engine": "simpy", "servers": servers, "rate_per_s": rate, "requests": n_requests,
            "loop_wall_s": round(wall, 3), "requests_per_s": round(n_requests / wall),
            "mean_wait_ms": round(sum(waits) / len(waits) * 1e3, 3), "peak_rss_mb": round(_peak_mb(), 1)}


def validate() -> None:
    """Theory vs simulation for the cases in tests/test_sim_theory.py (same seeds)."""
    from infercost.sim.entities import ArrivalSpec, PoolConfig, RequestClass, ServiceDist, SimConfig
    from infercost.sim.run import simulate_config
    from infercost.sim.theory import md1_mean_wait, mmc_mean_wait, mmc_wait_quantile

    print("queue  rho   requests  mean wait sim/theory (ms)   err    p50 err  p95 err  p99 err  Little gap")
    cases = [(1, 0.5, 4e6, "exponential"), (1, 0.9, 40e6, "exponential"), (3, 0.8, 16e6, "exponential"),
             (3, 0.9, 30e6, "exponential"), (8, 0.9, 24e6, "exponential"), (1, 0.5, 1.5e6, "constant"),
             (1, 0.9, 6e6, "constant")]
    for c, rho, n, dist in cases:
        lam = rho * c / MEAN_S
        cfg = SimConfig(duration_s=n / lam, arrivals=ArrivalSpec("poisson", rate_per_s=lam),
                        classes=[RequestClass(service=ServiceDist(dist, mean_s=MEAN_S))],
                        pools=[PoolConfig(replicas=c, max_queue=10_000_000)])
        r = simulate_config(cfg, seed=7)
        sim = r.queue_wait_ms["mean"] / 1e3
        if dist == "constant":
            th = md1_mean_wait(lam, MEAN_S)
            name, qerr = "M/D/1", ["-", "-", "-"]
        else:
            th = mmc_mean_wait(c, lam, 1 / MEAN_S)
            name = f"M/M/{c}"
            qerr = []
            for q in (0.5, 0.95, 0.99):
                t = mmc_wait_quantile(c, lam, 1 / MEAN_S, q)
                got = r.wait_quantile(q)
                qerr.append("0=0" if t == 0 and got == 0 else f"{(got - t) / t:+.2%}")
        print(f"{name:<6} {rho:<4}  {r.requests['arrived']:>9,}  {sim * 1e3:9.3f} / {th * 1e3:9.3f}"
              f"      {(sim - th) / th:+.2%}  {qerr[0]:>7}  {qerr[1]:>7}  {qerr[2]:>7}  "
              f"{r.littles_law['relative_gap']:.1e}")


def _child(args: list[str]) -> dict:
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--one", *args], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        kind, servers, rate, n = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
        fn = run_infercost if kind == "infercost" else run_simpy
        print(json.dumps(fn(servers, rate, n if kind == "infercost" else int(n))))
        return
    if "--validate" in sys.argv:
        validate()
        return
    quick = "--quick" in sys.argv
    # compile (or load from cache) once, timed
    t0 = time.perf_counter()
    _child(["infercost", "3", "120", "1000"])
    print(f"compile / cache load + tiny run: {time.perf_counter() - t0:.1f} s (separate process)")
    rows = [
        _child(["infercost", "3", "120", "10e6"]),
        _child(["infercost", "3", "120", "1e6"]),
    ]
    if not quick:
        rows.append(_child(["infercost", "25", "1000", "86.4e6"]))
    simpy_row = _child(["simpy", "3", "120", "300000"])
    rows.append(simpy_row)
    for r in rows:
        print(json.dumps(r))
    plain = rows[0]
    ratio = plain["requests_per_s"] / simpy_row["requests_per_s"]
    print(f"\nplain queue (M/M/3, rho 0.8): {plain['requests_per_s'] / 1e6:.2f} M requests/s "
          f"({plain['requests']:,} requests in {plain['loop_wall_s']} s), peak RSS {plain['peak_rss_mb']} MB")
    print(f"same model, 1 M requests: peak RSS {rows[1]['peak_rss_mb']} MB (memory flat in requests)")
    if not quick:
        day = rows[2]
        print(f"a day at 1,000 requests/s (M/M/25): {day['requests']:,} requests in {day['loop_wall_s']} s "
              f"loop ({day['total_wall_s']} s with setup), {day['requests_per_s'] / 1e6:.2f} M requests/s, "
              f"peak RSS {day['peak_rss_mb']} MB")
    print(f"SimPy, same M/M/3: {simpy_row['requests_per_s']:,} requests/s -> infercost is {ratio:.0f}x faster")


if __name__ == "__main__":
    main()
