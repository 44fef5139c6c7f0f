"""Where the optimizer's work runs: in this process (`local`) or as Ray tasks (`ray`).

`run_tasks(fn, args, backend)` returns [fn(*a) for a in args] in order, whichever backend
runs them; `fn` must be a module-level function (Ray ships it by reference). Ray starts
in local mode on this machine (`ray.init(num_cpus=2, include_dashboard=False)`) unless a
cluster is already initialised (`ray.init(address=...)` before the call uses that one);
its workers import infercost from the same place as this process. Ray is the optional
`ray` extra: without it, `backend="ray"` raises InputError saying how to install it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from infercost.errors import InputError

BACKENDS = ("local", "ray")


def check_backend(backend: str, where: str = "--backend") -> None:
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}; allowed: {', '.join(BACKENDS)}", where)


def _ray():
    try:
        import ray
    except ImportError:
        raise InputError("the ray backend needs Ray: pip install 'infercost[ray]'", "--backend") from None
    if not ray.is_initialized():
        from infercost import errors

        # the folder holding the infercost package (errors.py sits at its top level)
        src = os.path.dirname(os.path.dirname(os.path.abspath(errors.__file__)))
        path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
        ray.init(num_cpus=min(2, os.cpu_count() or 1), include_dashboard=False, log_to_driver=False,
                 configure_logging=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    return ray


def run_tasks(fn: Callable[..., Any], args: Sequence[tuple], backend: str = "local") -> list[Any]:
    """[fn(*a) for a in args], in order, in this process or as one Ray task each."""
    check_backend(backend)
    if backend == "local" or not args:
        return [fn(*a) for a in args]
    ray = _ray()
    remote = ray.remote(fn)
    return ray.get([remote.remote(*a) for a in args])
