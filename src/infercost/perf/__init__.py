"""Performance model: roofline + efficiency + calibration.

`build_profile(model, precision, hardware, ...)` returns a `PerfProfile` with prefill,
decode and batch step times and the memory fit. See docs/perf.md for the method.
"""

from infercost.perf.build import build_profile
from infercost.perf.profile import PerfProfile

__all__ = ["PerfProfile", "build_profile"]
