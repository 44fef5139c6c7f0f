"""Decisions: compare options, cost diffs, the cost-quality frontier, build vs buy.

Layer: above `capacity`, `sim` and `econ` (it calls them directly), below `api`.
Each module has one job: `latency` (analytic p99 of a fleet), `sizing` (the fewest
replicas meeting the SLO), `compare`, `diff`, `frontier`, `buy`.
"""
