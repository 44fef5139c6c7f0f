"""Benchmark harness (`infercost bench`, the `bench` extra): measures this machine.

torch and transformers are imported only inside `infercost.bench.harness` functions.
"""
