"""infercost: what one inference costs, why, and what it would cost if anything changed.

The package is layered (see DESIGN.md): `core` (money, units, scenario schema,
catalogs) at the bottom, then `perf` and `ingest`, the cost model `econ`, the engines
`capacity`, `sim` and `allocation`, `report`, the Python API `api`, and `cli` on top.
Heavy libraries (numba, ibis, duckdb, torch) are imported only inside the functions that
need them, so `import infercost` stays fast.

The API verbs are re-exported here lazily (imported on first use), so
`infercost.estimate(...)` works without slowing `infercost --help`:
`load_scenario`, `estimate`, `simulate`, `attribute`, `reconcile`, `price_table`,
`reprice`. Verbs are API
functions and nouns are engine packages (`capacity`, `sim`, `allocation`,
`reconciliation`, ...), so no function is shadowed by a package.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: Names served from `infercost.api` on first access (PEP 562 module __getattr__).
_API = ("load_scenario", "estimate", "simulate", "attribute", "reconcile", "price_table", "reprice")

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from infercost import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'infercost' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API])
