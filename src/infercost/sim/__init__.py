"""Discrete-event simulation of a serving fleet.

Public, plain objects in `entities` (SimConfig, ArrivalSpec, RequestClass, PoolConfig,
...); `run.simulate(scenario, catalog, seed)` and `run.simulate_config(config, seed)`
return a `SimResult`. The hot loop is compiled with numba (`engine`).
"""
