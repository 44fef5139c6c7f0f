"""Performance model: roofline + efficiency + calibration (issue 3).

`build_profile(model, precision, hardware, ...)` returns a `PerfProfile` with prefill,
decode and batch step times and the memory fit. See docs/perf.md for the method.
"""

from infercost.perf.profile import PerfProfile, build_profile

__all__ = ["PerfProfile", "build_profile"]
