"""Predicted next to measured: `reconcile` lays an estimate (and a simulation) beside a
bill's attribution, component by component, and decomposes the difference into volume,
utilisation, price and the residual (docs/reconcile.md)."""
