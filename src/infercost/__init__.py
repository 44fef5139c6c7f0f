"""infercost: what one inference costs, why, and what it would cost if anything changed.

The package is layered (see DESIGN.md): `core` (money, units, scenario schema,
catalogs) at the bottom, then `perf`, `ingest`, `sim`, `attribute`, `econ`, and the
`cli` and `report` on top. Heavy libraries (numba, ibis, duckdb, torch) are imported
only inside the functions that need them, so `import infercost` stays fast.
"""

__version__ = "0.1.0"
