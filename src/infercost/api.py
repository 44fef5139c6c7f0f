"""The Python API: the verbs a notebook user calls, each returning a result object.

    import infercost as ic

    sc = ic.load_scenario("examples/chatbot.yaml")
    est = ic.estimate(sc, workload__arrivals__rate_per_s=400)   # override: a__b__c=value
    est.to_frame()       # pandas DataFrame, one row per cost line, money as Decimal
    est.to_dict()        # what `infercost estimate --json` prints
    sim = ic.simulate(sc, seed=1)
    att = ic.attribute("bill.csv", "usage.parquet", rules="rules.yaml")

Verbs are functions here; nouns are the engine packages they call (`capacity` for the
analytic model, `sim` for the simulator, `allocation` for attribution), so no function
shadows a package. The command line calls these functions, never the engines directly.

**Overrides** (the one way): keyword arguments whose name is the scenario key path with
`__` for each dot, e.g. `workload__arrivals__rate_per_s=400` sets
`workload.arrivals.rate_per_s`; list items by index, `workload__classes__0__rate_per_s=5`.
Values are taken as given (no YAML parsing). The key path is checked against the
scenario schema; an unknown key raises `InputError` naming it and the allowed keys.

**Money** in `.to_frame()` is `decimal.Decimal` (exact, object dtype columns); pass
`money="float"` for float64 columns to plot. In `.to_dict()` money is a decimal string,
as everywhere in infercost's JSON.

**Errors**: every bad input (file, key, value, option name) raises
`infercost.errors.InputError` with `.where` (file, row or key path) and `.message`.
"""

from __future__ import annotations

import copy
import html
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from infercost.econ.spanprice import price_span  # noqa: F401  (the verb that prices one span)
from infercost.errors import InputError

if TYPE_CHECKING:  # pragma: no cover - types only
    import pandas as pd

    from infercost.capacity.estimate import Estimate as _EngineEstimate
    from infercost.core.catalog import Catalog
    from infercost.core.scenario import Scenario
    from infercost.econ.breakdown import CostBreakdown
    from infercost.sim.run import SimResult

__all__ = [
    "AttributionResult",
    "DemoInputs",
    "EstimateResult",
    "RepriceResult",
    "SimulationResult",
    "attribute",
    "demo_inputs",
    "estimate",
    "load_scenario",
    "overrides_from_sets",
    "price_span",
    "price_table",
    "reconcile",
    "reprice",
    "simulate",
]

MoneyKind = Literal["decimal", "float"]

#: Keys of a breakdown line (`CostBreakdown.to_dict()["components"]`) that stay text.
_TEXT_KEYS = frozenset({"name", "label", "group", "driver", "unit", "kind", "detail", "currency",
                        "period", "model", "model_version", "endpoint", "tenant", "component"})


# -- scenarios -----------------------------------------------------------------------

def load_scenario(source: Any, **overrides: Any) -> Scenario:
    """A validated `Scenario` from a YAML path, a dict (the YAML's shape) or a `Scenario`.

    `overrides`: scenario key paths with `__` for each dot, e.g.
    `load_scenario("examples/chatbot.yaml", deployment__replicas=4)`; applied in the
    order given, before validation. Returns a new `Scenario` (the input is not changed).

    Raises `InputError`: file missing, empty or malformed YAML; a key path not in the
    schema (the message lists the allowed keys); a value failing validation (the message
    names the key path and what is allowed); `source` of another type.
    """
    from infercost.core.scenario import Scenario, read_raw, set_path, validate

    if isinstance(source, Scenario):
        if not overrides:
            return source
        raw = source.model_dump(mode="python", exclude_none=True)
        origin = f"scenario {source.name!r}" if source._source is None else source._source
        path = source._source
    elif isinstance(source, Mapping):
        raw = copy.deepcopy(dict(source))
        origin, path = "scenario dict", None
    elif isinstance(source, (str, os.PathLike)):
        raw = read_raw(source)
        origin = path = str(source)
    else:
        raise InputError(f"expected a scenario path, dict or Scenario, got {type(source).__name__}",
                         "scenario")
    for key, value in overrides.items():
        raw = set_path(raw, _dotted(key), value, f"{origin}: override")
    return validate(raw, origin, path)


def overrides_from_sets(sets: list[str] | tuple[str, ...] | None) -> dict[str, Any]:
    """`--set path=value` strings as override keywords: `{"workload__arrivals__rate_per_s": 400}`.

    Values are parsed as YAML scalars ('4' -> 4). Raises `InputError` for a string without
    `=` or with an empty path. Used by the command line; a notebook passes keywords."""
    from infercost.core.scenario import parse_sets

    return {k.replace(".", "__"): v for k, v in parse_sets(list(sets or []))}


def _dotted(key: str) -> str:
    return key.replace("__", ".")


def _prepare(scenario: Any, option: str | None, overrides: dict[str, Any]) -> Scenario:
    from infercost.core.scenario import apply_option

    sc = load_scenario(scenario, **overrides)
    return apply_option(sc, option) if option else sc


def _names_file(verb):
    """Decorate a scenario verb: an `InputError` naming only a key path (``model.id``) from
    inside an engine gets the scenario file's name in front, as the loader's own errors
    have (``chatbot.yaml: model.id: unknown model``). Errors that name a file, an option or
    an argument of the API are left as they are."""
    import functools

    @functools.wraps(verb)
    def wrapped(scenario: Any, *args: Any, **kwargs: Any):
        try:
            return verb(scenario, *args, **kwargs)
        except InputError as e:
            from infercost.core.scenario import Scenario

            where = "" if e.where is None else str(e.where)
            path = str(scenario) if isinstance(scenario, (str, os.PathLike)) \
                else getattr(scenario, "_source", None)
            head = re.split(r"[.\[]", where, maxsplit=1)[0]
            if path and head in Scenario.model_fields:  # a scenario key, not an argument
                raise type(e)(e.message, f"{path}: {where}") from None
            raise
    return wrapped


def load_catalog(catalog: Any = None) -> Catalog:
    """The bundled catalogs (hardware, models, prices; each figure sourced and dated), with
    a user YAML file's entries overriding or adding to them. Raises `InputError` for a bad
    override file."""
    return _catalog(catalog)


def _catalog(catalog: Any) -> Catalog:
    from infercost.core.catalog import Catalog, load_catalog

    if isinstance(catalog, Catalog):
        return catalog
    return load_catalog(catalog)


# -- estimate ------------------------------------------------------------------------

@_names_file
def estimate(scenario: Any, *, catalog: Any = None, option: str | None = None,
             **overrides: Any) -> EstimateResult:
    """Predicted monthly cost per inference from the analytic (fluid) capacity model.

    `scenario`: path, dict or `Scenario` (see `load_scenario`); `catalog`: None (the
    bundled catalog, each entry with source and as_of), a YAML path overriding entries,
    or a `Catalog`; `option`: a variant named in the scenario's `options:`, applied after
    `overrides` (keywords `a__b=value`, see the module docstring).

    Service time comes from the scenario's `service:` when given, else from the
    performance model for the named model and hardware (`result.service.source` says
    which). Returns an `EstimateResult` (breakdown per month of 730 h and per inference,
    USD or the scenario's currency). Raises `InputError` for bad input (scenario, catalog,
    option name, an id missing from the catalog).
    """
    from infercost.capacity.estimate import estimate as run

    sc = _prepare(scenario, option, overrides)
    return EstimateResult(run(sc, _catalog(catalog)))


@dataclass(frozen=True)
class EstimateResult:
    """What `estimate` returns. `engine` is the capacity model's own result."""

    engine: _EngineEstimate

    @property
    def scenario(self) -> Scenario:
        return self.engine.scenario

    @property
    def breakdown(self) -> CostBreakdown:
        """The itemised `econ.CostBreakdown` (money in the scenario currency)."""
        return self.engine.breakdown

    @property
    def service(self):
        """The service-time model used (`.source` says where it came from)."""
        return self.engine.service

    @property
    def usage(self):
        """Monthly capacity (replica-hours busy, idle, warm-up; requests served, dropped)."""
        return self.engine.usage

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, exactly what `infercost estimate --json` prints (money as strings)."""
        from infercost.core.io import to_jsonable

        return to_jsonable(self.engine.to_dict())

    def to_frame(self, money: MoneyKind = "decimal") -> pd.DataFrame:
        """One row per cost line: scenario, name, label, group, period_cost, monthly_cost,
        per_inference, share, driver (and any further fields of the line). Money columns
        are `Decimal` (or float64 with `money="float"`)."""
        return breakdown_frame(self.to_dict(), money)

    def __repr__(self) -> str:
        return _breakdown_text("estimate", self.to_dict())

    def _repr_html_(self) -> str:
        return _breakdown_html("estimate", self.to_dict())


# -- simulate ------------------------------------------------------------------------

@_names_file
def simulate(scenario: Any, *, seed: int = 0, catalog: Any = None, option: str | None = None,
             force: bool = False, progress: Any = None, **overrides: Any) -> SimulationResult:
    """Discrete-event simulation of the serving fleet: queues, batching, autoscaling,
    spot preemptions, cascades; the same seed gives the same result.

    Arguments as for `estimate`, plus `seed` (int), `force` (run even past the 2e9
    expected-request limit) and `progress` (a callable `progress(arrived, expected)` polled
    during long runs). Simulates `workload.duration_s` seconds. Returns a `SimulationResult`: latency, queue wait, TTFT/TPOT percentiles (ms),
    SLO attainment, utilisation, replica-hours and the cost breakdown from the simulated
    replica-hours. Raises `InputError` for bad input, including an offered load at or
    above the fleet's capacity (`sim.run.UnstableQueueError`, a subclass).
    """
    from infercost.sim.run import simulate as run

    sc = _prepare(scenario, option, overrides)
    res = run(sc, _catalog(catalog), seed=seed, force=force, progress=progress)
    return SimulationResult(res)


@dataclass(frozen=True)
class SimulationResult:
    """What `simulate` returns. `engine` is the simulator's `SimResult` (times in ms
    inside its dicts, replica-hours in hours)."""

    engine: SimResult

    @property
    def breakdown(self) -> CostBreakdown | None:
        return self.engine.cost

    @property
    def latency_ms(self) -> dict[str, float] | None:
        """Request latency percentiles, ms: mean, p50, p95, p99, max."""
        return self.engine.latency_ms

    @property
    def slo_attainment(self) -> float | None:
        return self.engine.slo.get("attainment")

    @property
    def utilization(self) -> float:
        return self.engine.utilization

    def to_dict(self, series: bool = True) -> dict[str, Any]:
        """JSON-ready, what `infercost simulate --json` prints; `series=False` drops the
        per-minute time series."""
        from infercost.core.io import to_jsonable

        d = self.engine.to_dict()
        if not series:
            d.pop("series", None)
        return to_jsonable(d)

    def to_frame(self, money: MoneyKind = "decimal") -> pd.DataFrame:
        """One row per cost line of the simulated breakdown (columns as
        `EstimateResult.to_frame`). Empty when the run has no cost."""
        d = self.to_dict(series=False)
        return breakdown_frame(d["cost"] if d.get("cost") else None, money)

    def series_frame(self) -> pd.DataFrame:
        """The per-bucket time series (one row per `bucket_s` seconds, column `t_s` the
        bucket start in seconds): arrivals, served, dropped, latency, replicas, ..."""
        import pandas as pd

        s = self.engine.series or {}
        n = len(s.get("t_s", []))
        return pd.DataFrame({k: v for k, v in s.items() if isinstance(v, list) and len(v) == n})

    def __repr__(self) -> str:
        r = self.engine
        lat = r.latency_ms or {}
        head = (f"simulation {r.name!r}: {r.duration_s:g} s, seed {r.seed}; "
                f"{r.requests['served']:,} served, {r.requests['dropped']:,} dropped")
        if lat:
            head += f"; latency p50 {lat['p50']:.1f} ms, p99 {lat['p99']:.1f} ms"
        d = self.to_dict(series=False)
        return head + ("\n" + _breakdown_text("cost", d["cost"]) if d.get("cost") else "")

    def _repr_html_(self) -> str:
        d = self.to_dict(series=False)
        r = self.engine
        head = html.escape(f"simulation {r.name!r}: {r.duration_s:g} s, seed {r.seed}; "
                           f"utilisation {r.utilization:.1%}")
        return f"<p>{head}</p>" + (_breakdown_html("cost", d["cost"]) if d.get("cost") else "")


# -- attribute -----------------------------------------------------------------------

def attribute(bill: Any, usage: Any = None, counts: Any = None, rules: Any = None, *,
              backend: str = "duckdb", out: Any = None, bill_format: str = "auto",
              cost_basis: str | None = None, check_duplicates: bool = True,
              write_requests: bool | None = None, by: str = "combination",
              counts_resource: str | None = None,
              counts_period_s: float | None = None) -> AttributionResult:
    """Measured cost: allocate a bill to the serving logs that used it.

    `bill`: FOCUS 1.0-1.2 CSV/Parquet, AWS CUR 2.0 or GCP billing export; a file, folder,
    glob or a list of them. `usage`: serving logs (CSV, Parquet, JSON lines) or OTel
    GenAI spans; file, folder, glob or list; None (with no `counts`): the bill's own
    breakdown, everything shared or idle. `counts`: call counts per period instead of
    logs (CSV/Parquet with period_start, period_s, resource_id, ... requests; or
    `aws cloudwatch get-metric-data` JSON with `counts_resource` and `counts_period_s`,
    seconds). `rules`: allocation rules, a YAML file or a dict of the same keys (None:
    the defaults).
    `backend`: "duckdb" or "spark". `out`: folder to write allocations.csv/.parquet,
    requests.parquet and summary.json into (all or nothing); None writes nothing that
    stays. `write_requests` (default: True when `out` is given) writes requests.parquet.
    `by`: "combination" (one CostBreakdown per model, version, endpoint and tenant) or
    "day" (one per day and combination), in the summary's `breakdowns`. `bill_format`:
    "auto", "focus", "cur" or "gcp". `cost_basis`: "EffectiveCost" or "BilledCost"
    (overrides the rules). `check_duplicates=False` skips counting duplicate request
    ids. `counts_resource`, `counts_period_s` (seconds): for counts that do not carry
    their ResourceId or period (`infercost attribute --counts-resource`,
    `--counts-period`).

    Returns an `AttributionResult` (money as Decimal in the bill currency). Raises
    `InputError` for bad input: unreadable or malformed files (file, row or column named),
    both `usage` and `counts`, mixed currencies without a rate, an unknown backend, a
    `bill` of None, an empty `out` name ("" would be the current folder: give "."),
    `check_duplicates` or `write_requests` not True or False. An
    error that `infercost attribute` gives about a flag names the argument here
    (`where` is `counts_resource`, not `--counts-resource`; a message naming a flag ends
    "in the API, --counts-resource is counts_resource=").
    """
    import shutil
    import tempfile

    import numpy as np

    from infercost.allocation.run import public_summary, run_attribution

    if backend not in ("duckdb", "spark"):
        raise InputError(f"expected duckdb or spark, got {backend!r}", "backend")
    bills = _paths(bill, "bill")
    usages = None if usage is None else _paths(usage, "usage")
    counts = None if counts is None else _paths(counts, "counts")
    if rules is not None and not isinstance(rules, (str, Path, dict)):
        raise InputError(f"expected the path of a rules YAML file or a mapping of rule keys, "
                         f"got a value of type {type(rules).__name__}", "rules")
    if usages and counts:
        raise InputError("give one of them (a request log or call counts, not both)",
                         "usage and counts")
    if isinstance(out, str) and not out.strip():  # (Path("") is the current folder)
        raise InputError("expected an output folder, got an empty name (out='.' writes "
                         "into the current folder)", "out")
    for name, flag in (("check_duplicates", check_duplicates),
                       ("write_requests", write_requests)):
        if not isinstance(flag, (bool, np.bool_)) and not (
                name == "write_requests" and flag is None):
            raise InputError(f"expected True or False, got {flag!r}", name)
    keep = out is not None
    folder = Path(out) if keep else Path(tempfile.mkdtemp(prefix="infercost-attribute-"))
    try:
        try:
            summary = run_attribution(
                bills, usages, folder / "attribution" if not keep else folder, rules,
                backend=backend, bill_format=bill_format, check_duplicates=check_duplicates,
                write_requests=keep if write_requests is None else write_requests,
                cost_basis=cost_basis, by=by, counts=counts, counts_resource=counts_resource,
                counts_period_s=counts_period_s)
        except InputError as e:
            raise _in_api_words(e) from None
        frame = _read_allocations(folder if keep else folder / "attribution")
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return AttributionResult(public_summary(summary), frame, folder if keep else None)


#: `infercost attribute`'s flags -> `attribute`'s arguments (for the API's errors)
_API_ARGUMENTS = {"--counts-resource": "counts_resource", "--counts-period": "counts_period_s",
                  "--cost-basis": "cost_basis", "--bill-format": "bill_format",
                  "--counts": "counts", "--usage": "usage", "--bill": "bill",
                  "--rules": "rules", "--out": "out", "--by": "by", "--backend": "backend"}
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*(?![\w-])")


def _in_api_words(e: InputError) -> InputError:
    """An error of the attribution run as a Python caller knows the names: a `where` that
    is a command-line flag (`--counts-resource`, `--out FOLDER`) names the argument
    instead (`counts_resource`, `out=FOLDER`), and a message that names a flag says
    which argument it is ("...; in the API, --counts-resource is counts_resource=").
    The error as raised is kept as `cli_words` (the command line prints that one)."""
    where = e.where
    if where == "--counts and --usage":
        where = "usage and counts"
    elif isinstance(where, str):
        for flag, name in _API_ARGUMENTS.items():
            if where == flag:
                where = name
            elif where.startswith(flag + " "):
                where = f"{name}={where[len(flag) + 1:]}"
            else:
                continue
            break
    flags = [f for f in dict.fromkeys(_FLAG.findall(e.message)) if f in _API_ARGUMENTS]
    message = e.message + ("; in the API, " + ", ".join(
        f"{f} is {_API_ARGUMENTS[f]}=" for f in flags) if flags else "")
    if (message, where) == (e.message, e.where):
        return e
    try:
        out = type(e)(message, where)
    except TypeError:  # (a subclass made otherwise)
        out = InputError(message, where)
    out.cli_words = e
    return out


_NONE = object()  # (no bad item found: None itself is a bad item)


def _paths(value: Any, name: str) -> list[str]:
    """`value` (a path, a glob or a list of them) as a non-empty list of strings; InputError
    naming `name` for anything else: a DataFrame (give the file it came from), an empty
    list (a glob that matched nothing, say)."""
    items = list(value) if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise InputError("expected one or more files, folders or globs, got an empty list",
                         name)
    bad = next((x for x in items if not isinstance(x, (str, Path))), _NONE)
    if bad is None:
        raise InputError("expected a file, folder or glob, got None", name)
    if bad is not _NONE:
        raise InputError(f"expected a path, folder or glob, got a {type(bad).__name__} (give "
                         "the file it was read from)", name)
    return [str(x) for x in items]


class PlainDecimal(Decimal):
    """A `Decimal` that prints as allocations.csv writes money, in positional notation:
    `str` 0.0000000162 and `repr` Decimal('0.0000000162'), where a Decimal of that value
    prints 1.62E-8 (Python writes an exponent below 1E-6, whatever the digits). Equal to
    and hashing as the Decimal of its value; arithmetic on it gives plain Decimals.
    `format(x, spec)` with a spec is Decimal's."""

    __slots__ = ()

    def __str__(self) -> str:
        return Decimal.__format__(self, "f")

    def __repr__(self) -> str:
        return f"Decimal('{self}')"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else Decimal.__format__(self, spec)


def _read_allocations(folder: Path) -> pd.DataFrame:
    """allocations.parquet as a frame, its money columns as the exact Decimals of
    allocations.csv (Parquet's decimal128(38, 18) reads back as 0E-18, 12.500000000000000000
    and is rounded past 18 decimals; the CSV's figures are exact: 0, 12.5), each a
    `PlainDecimal` (printed as the CSV writes it: 0.0000000162, not 1.62E-8)."""
    import pandas as pd
    import pyarrow.parquet as pq

    from infercost.allocation.run import MONEY_COLUMNS

    frame = pq.read_table(folder / "allocations.parquet").to_pandas()
    money = [c for c in MONEY_COLUMNS if c in frame]
    if money and len(frame):
        text = pd.read_csv(folder / "allocations.csv", usecols=money, dtype=str,
                           keep_default_na=False)
        for c in money:
            frame[c] = [PlainDecimal(t) if t else None for t in text[c]]
    return frame


@dataclass(frozen=True)
class AttributionResult:
    """What `attribute` returns: `summary` (summary.json's content, money as Decimal),
    `allocations` (allocations.parquet as a DataFrame: one row per period, model,
    model_version, endpoint, tenant and kind of cost; money Decimal, exactly the figures
    of allocations.csv and printed as it writes them: `PlainDecimal`, 0.0000000162 not
    1.62E-8) and `out` (the folder written, or None)."""

    summary: dict[str, Any]
    allocations: pd.DataFrame = field(repr=False)
    out: Path | None = None

    @property
    def currency(self) -> str:
        return self.summary["currency"]

    @property
    def conservation(self) -> dict[str, Any]:
        """Bill total = allocated + idle + shared + unallocated, checked exactly."""
        return self.summary["conservation"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, what `infercost attribute --json` prints (summary.json)."""
        from infercost.core.io import to_jsonable

        return to_jsonable(self.summary)

    def to_frame(self, money: MoneyKind = "decimal") -> pd.DataFrame:
        """One row per allocated cost line (a copy of `allocations`), money columns
        `Decimal` in the bill currency, printed positionally as allocations.csv writes
        them (`PlainDecimal`), or float64 with `money="float"`. Raises `InputError` for
        another `money`."""
        _money_kind(money)
        df = self.allocations.copy()
        if money == "float":
            from infercost.allocation.run import MONEY_COLUMNS

            for c in MONEY_COLUMNS:
                if c in df:
                    df[c] = df[c].astype("float64")
        return df

    def rollup(self, *by: str) -> list:
        """The allocation table grouped by some of period, model, model_version, endpoint,
        tenant: `allocation.rollup.RollupRow`s (requests; allocated, idle, shared and
        unallocated cost as Decimal in the bill currency, without trailing zeros, as
        allocations.csv has them; cost per 1k requests). A label the requests lack (no
        tenant) is None in the key, sorted first. Cost not allocated to requests falls in
        one row with empty ("") model/tenant keys, so the rows sum to the bill. Raises
        `InputError` for an unknown key."""
        from infercost.allocation.rollup import KEYS, rollup

        bad = [k for k in by if k not in KEYS]
        if bad or not by:
            raise InputError(f"expected some of {', '.join(KEYS)}, got {', '.join(by) or 'none'}",
                             "rollup keys")
        return rollup(self.allocations, by)

    def __repr__(self) -> str:
        return _attribution_text(self.to_dict())

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(_attribution_text(self.to_dict())) + "</pre>"


@dataclass(frozen=True)
class DemoInputs:
    """The bundled month's input files (paths): a FOCUS bill, a usage log, rules YAML."""

    bill: Path
    usage: Path
    rules: Path


def demo_inputs(folder: Any, seed: int = 7, requests_per_hour: int = 300) -> DemoInputs:
    """Write the bundled month (October 2026, generated from `seed`, no real customer data)
    into `folder`: a FOCUS 1.2 bill for a small AWS GPU fleet, its serving log (Parquet)
    and allocation rules, the inputs `infercost demo` attributes. Same seed, same bytes.
    `requests_per_hour`: mean per chat instance at the daily peak (fewer, smaller log).
    Returns their paths."""
    from infercost.allocation.demo import DEMO_RULES, generate

    folder = Path(folder)
    bill, usage = generate(folder, seed, requests_per_hour)
    rules = folder / "rules.yaml"
    rules.write_text(DEMO_RULES)
    return DemoInputs(Path(bill), Path(usage), rules)


# -- pricing spans (tracking) ---------------------------------------------------------

def price_table(scenario: Any, *, catalog: Any = None, option: str | None = None,
                **overrides: Any):
    """The prices one traced request needs (`econ.spanprice.PriceTable`), from `estimate`'s
    breakdown of `scenario`, so spans are priced by the same cost model as everything else.

    replica_price_per_s = the busy lines' price per GPU-hour (their amount / GPU-hours)
    x `deployment.gpus_per_replica` / 3,600 (currency per replica-second, 18 decimals);
    replica_concurrency = the service's max batch; idle_per_inference = (idle + warm-up
    lines) per inference; per_inference = every other line per inference, by component;
    token_prices = the catalog's hosted API prices in the scenario currency, with the
    cached input price where the catalog has one (a call to a hosted provider without a
    price in that currency stays unpriced, its reason naming the currency the catalog
    prices it in: `other_currency_prices`); model = the
    scenario's `model.id` or `model.name` (else its name, `model_named` False): a
    self-hosted span of another model stays unpriced. `version`
    names the table (sha256 prefix of its content, @ the catalog's newest as_of).
    Arguments as for `estimate`. Raises `InputError` for bad input, a scenario that serves
    no inferences or provisions no priced accelerator time.
    """
    from infercost.econ.spanprice import PerInference, PriceTable, TokenPrice, per_second

    cat = _catalog(catalog)
    est = estimate(scenario, catalog=cat, option=option, **overrides)
    sc, b = est.scenario, est.breakdown
    if b.inferences == 0:
        raise InputError("the scenario serves no inferences; spans cannot be priced from it",
                         "workload")
    busy = [c for c in b.components if c.name == "accelerator_busy" and c.rate is not None
            and c.quantity]
    if not busy:
        raise InputError("the scenario provisions no priced accelerator time", "deployment")
    gpu_h = sum((c.quantity for c in busy), Decimal(0))
    per_gpu_hour = (busy[0].rate.amount if len(busy) == 1
                    else sum((c.amount.amount for c in busy), Decimal(0)) / gpu_h)
    idle = sum((b.per_inference(c).amount for c in b.components
                if c.name in ("accelerator_idle", "accelerator_warmup")), Decimal(0))
    others: dict[str, Decimal] = {}
    for c in b.components:
        if c.name not in ("accelerator_busy", "accelerator_idle", "accelerator_warmup"):
            others[c.name] = others.get(c.name, Decimal(0)) + b.per_inference(c).amount
    tokens = tuple(TokenPrice(a.provider, a.model, a.input_per_1m, a.output_per_1m, a.source,
                              a.as_of.isoformat(), a.cached_input_per_1m)
                   for a in cat.api_tokens if a.currency == sc.currency)
    elsewhere = tuple((a.provider, a.model, a.currency) for a in cat.api_tokens
                      if a.currency != sc.currency)
    dates = [i.as_of for i in cat.instances] + [s.as_of for s in cat.services.values()] + \
        [a.as_of for a in cat.api_tokens]
    named = sc.model.id or sc.model.name if sc.model is not None else None
    model = named or sc.name
    return PriceTable(
        scenario=sc.name, currency=sc.currency, model=str(model),
        replica_price_per_s=per_second(per_gpu_hour, sc.deployment.gpus_per_replica),
        replica_concurrency=int(est.service.max_batch), idle_per_inference=idle,
        per_inference=tuple(PerInference(k, v) for k, v in others.items()),
        token_prices=tokens,
        hosted_providers=tuple(sorted({a.provider for a in cat.api_tokens})),
        other_currency_prices=elsewhere, model_named=bool(named), as_of=max(dates).isoformat() if dates else "",
        source=busy[0].driver)


def reprice(spans: Any, *, scenario: Any = None, catalog: Any = None,
            option: str | None = None, **overrides: Any) -> RepriceResult:
    """Price stored spans again with a newer price table.

    `spans`: OTLP/JSON file(s) the `OtlpJsonFileExporter` wrote (one
    ExportTraceServiceRequest per line; path or list). `scenario` (path, dict or
    Scenario): the deployment whose `price_table(scenario, catalog=catalog)` is the new
    table. Each span that carries an infercost cost (`infercost.cost.amount_decimal`) is
    priced again from its own busy time, batch and tokens; spans without one, without a
    model, or of another model than the scenario's (a self-hosted span; hosted API calls
    are priced from their tokens) are counted by reason. Spans read twice (traceId and
    spanId) count once. Returns a `RepriceResult` (old and new totals over the spans both
    tables price, per model/version/tenant, Decimal; a span the new table cannot price is
    counted apart with its stored cost, `old_unpriced`). Raises `InputError` for an unreadable file (file and
    document named), a file without spans, a span whose stored cost or attributes are
    malformed, a scenario in another currency than the spans, spans none of which are
    the scenario's.
    """
    from infercost.ingest.spans import read_priced_spans

    if scenario is None:
        raise InputError("give the scenario whose prices the spans get (--scenario)", "scenario")
    table = price_table(scenario, catalog=catalog, option=option, **overrides)
    files = [Path(s) for s in (spans if isinstance(spans, (list, tuple)) else [spans])]
    stored = read_priced_spans(files)
    res = RepriceResult.build(stored, table)
    if not res.rows and res.mismatched:
        reason = max(res.mismatched, key=lambda k: res.mismatched[k])
        n = sum(res.mismatched.values())
        raise InputError(f"none of the {n:,} priced spans is for scenario '{table.scenario}' "
                         f"({reason}); reprice spans with the scenario that served them",
                         ", ".join(str(f) for f in files))
    return res


def _exact_sum(items) -> Decimal:
    """Sum of Decimals at 60 digits: span costs carry up to 27 decimals, so sums of them
    stay exact where the default 28-digit context would round."""
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        return sum(items, Decimal(0))


@dataclass(frozen=True)
class RepriceRow:
    """Old and new cost of the spans of one model, version and tenant (Decimal).

    `spans`: the spans priced again; `old` and `new` cover those spans alone, so `change`
    compares like with like. `unpriced_new`: priced spans the new table could not price (a
    bad batch size, a negative duration, a hosted model without a new price); their stored
    cost is `old_unpriced`, in neither `old` nor `new`."""

    model: str
    model_version: str
    tenant: str
    spans: int
    old: Decimal
    new: Decimal
    unpriced_new: int = 0
    old_unpriced: Decimal = Decimal(0)

    @property
    def change(self) -> Decimal:
        return _exact_sum((self.new, self.old.copy_negate()))


@dataclass(frozen=True)
class RepriceResult:
    """What `reprice` returns: totals old and new, rows per model/version/tenant, the
    price-table versions the spans carried and the new one, unpriced spans by reason."""

    currency: str
    new_version: str
    old_versions: tuple[str, ...]
    rows: tuple[RepriceRow, ...]
    unpriced: dict[str, int]
    spans: int
    #: spans per old price-table version (those in the old total)
    old_version_spans: dict[str, int] = field(default_factory=dict)
    #: spans read that are not inference requests; spans read twice (counted once)
    skipped: int = 0
    duplicates: int = 0
    #: priced spans not repriced because they are another model's or scenario's, by reason
    mismatched: dict[str, int] = field(default_factory=dict)

    @property
    def old_total(self) -> Decimal:
        return _exact_sum(r.old for r in self.rows)

    @property
    def new_total(self) -> Decimal:
        return _exact_sum(r.new for r in self.rows)

    @property
    def old_unpriced_total(self) -> Decimal:
        """Stored cost of the spans the new table could not price (in neither total)."""
        return _exact_sum(r.old_unpriced for r in self.rows)

    @classmethod
    def build(cls, stored, table) -> RepriceResult:
        from infercost.econ.spanprice import UnpricedError, price_span

        groups: dict[tuple[str, str, str], list] = {}
        unpriced: dict[str, int] = {}
        mismatched: dict[str, int] = {}
        versions: dict[str, int] = {}
        currencies: set[str] = set()

        def count(d: dict[str, int], key: str) -> None:
            d[key] = d.get(key, 0) + 1

        for s in stored.spans:
            if s.old_cost is None:
                count(unpriced, s.reason or "no stored cost")
                continue
            if s.model is None:  # as the processor: no model, no price
                count(unpriced, "missing model")
                continue
            if not table.hosted_provider(s.provider):  # self-hosted: the scenario's own?
                other = None
                if not table.serves(s.model):
                    other = f"model '{s.model}' is not the scenario's '{table.model}'"
                elif not table.model_named and s.scenario and s.scenario != table.scenario:
                    other = f"scenario '{s.scenario}' is not '{table.scenario}'"
                if other is not None:
                    count(unpriced, other)
                    count(mismatched, other)
                    continue
            key = (s.model or "", s.model_version or "", s.tenant or "")
            bad = s.bad or (s.bad_tokens if table.hosted_provider(s.provider) else None)
            try:
                if bad is not None:  # as the pricer: an attribute it cannot read
                    raise UnpricedError(bad, bad)
                new = price_span(table, busy_ns=s.busy_ns, batch=s.batch, index=s.index,
                                 input_tokens=s.input_tokens, output_tokens=s.output_tokens,
                                 cached_input_tokens=s.cached_input_tokens,
                                 provider=s.provider, model=s.model).total
            except UnpricedError as e:
                # not priced again: its stored cost goes in neither total (old and new
                # cover the same spans); its row counts it and keeps that cost apart
                count(unpriced, f"new table: {e.reason}")
                new = None
            currencies.add(s.currency)
            g = groups.setdefault(key, [0, Decimal(0), Decimal(0), 0, Decimal(0)])
            if new is None:
                g[3] += 1
                g[4] = _exact_sum((g[4], s.old_cost))
                continue
            count(versions, s.old_version or "unknown")
            g[0] += 1
            g[1] = _exact_sum((g[1], s.old_cost))
            g[2] = _exact_sum((g[2], new))
        other = sorted(c for c in currencies if c != table.currency)
        if other:
            raise InputError(f"the spans are priced in {', '.join(other)} but the scenario is in "
                             f"{table.currency}; reprice with a scenario in the same currency",
                             "scenario.currency")
        rows = tuple(RepriceRow(m, v, t, n, old, new, nn, old_nn)
                     for (m, v, t), (n, old, new, nn, old_nn) in sorted(groups.items()))
        return cls(table.currency, table.version, tuple(sorted(versions)), rows,
                   dict(sorted(unpriced.items())), stored.total, dict(sorted(versions.items())),
                   stored.skipped, stored.duplicates, dict(sorted(mismatched.items())))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, what `infercost reprice --json` prints (money as strings)."""
        from infercost.core.money import format_decimal

        return {
            "currency": self.currency,
            "price_table": {"old_versions": list(self.old_versions),
                            "old_version_spans": dict(self.old_version_spans),
                            "new_version": self.new_version},
            "spans": {"total": self.spans, "repriced": sum(r.spans for r in self.rows),
                      "unpriced_new": sum(r.unpriced_new for r in self.rows),
                      "unpriced": self.unpriced, "skipped": self.skipped,
                      "duplicates": self.duplicates},
            "total": {"old": format_decimal(self.old_total), "new": format_decimal(self.new_total),
                      "change": format_decimal(
                          _exact_sum((self.new_total, self.old_total.copy_negate()))),
                      "old_unpriced": format_decimal(self.old_unpriced_total)},
            "rows": [{"model": r.model, "model_version": r.model_version, "tenant": r.tenant,
                      "spans": r.spans, "unpriced_new": r.unpriced_new,
                      "old": format_decimal(r.old), "new": format_decimal(r.new),
                      "change": format_decimal(r.change),
                      "old_unpriced": format_decimal(r.old_unpriced)} for r in self.rows],
        }

    def to_frame(self, money: MoneyKind = "decimal") -> pd.DataFrame:
        """One row per model, model_version and tenant: spans, old, new, change, then
        unpriced_new and old_unpriced (the spans the new table could not price and their
        stored cost, in neither old nor new); money Decimal, or float64 with `money="float"`."""
        import pandas as pd

        _money_kind(money)
        conv = (lambda x: x) if money == "decimal" else float
        return pd.DataFrame([{"model": r.model, "model_version": r.model_version,
                              "tenant": r.tenant, "spans": r.spans, "old": conv(r.old),
                              "new": conv(r.new), "change": conv(r.change),
                              "unpriced_new": r.unpriced_new, "old_unpriced": conv(r.old_unpriced)}
                             for r in self.rows],
                            columns=["model", "model_version", "tenant", "spans", "old", "new",
                                     "change", "unpriced_new", "old_unpriced"])

    def __repr__(self) -> str:
        return (f"<RepriceResult {self.spans} spans: {self.old_total} -> {self.new_total} "
                f"{self.currency} (table {self.new_version})>")


# -- reconcile -----------------------------------------------------------------------

@_names_file
def reconcile(scenario: Any, *, attribution: Any = None, bill: Any = None, usage: Any = None,
              counts: Any = None, rules: Any = None, simulate: bool = False, seed: int = 0,
              catalog: Any = None, option: str | None = None,
              **overrides: Any) -> ReconciliationResult:
    """Predicted next to measured, component by component, with the difference split into
    volume (inferences), utilisation (busy vs idle hours), price (rate on the bill vs the
    catalog) and the residual, applied in that order (docs/reconcile.md).

    `scenario` as for `estimate`. The measured side is either `attribution` (a folder that
    `attribute --out` wrote: its summary.json) or `bill` + `usage` logs or `counts` (call
    counts, as for `attribute`; attributed here, nothing written). `simulate=True` adds the
    simulated column (seed `seed`).

    Returns a `ReconciliationResult` (money as Decimal in the scenario currency; the bill
    must be in the same currency). Raises `InputError` for bad input: neither or both of
    `attribution` and `bill`, `bill` without `usage` or `counts`, both `usage` and
    `counts`, usage or counts with an
    attribution folder, a folder without summary.json, a bill
    with no fleet instance-hours or in another currency.
    """
    import tempfile

    from infercost.core.io import to_jsonable
    from infercost.reconciliation.run import read_summary
    from infercost.reconciliation.run import reconcile as run

    if attribution is None and not bill:
        raise InputError("give an attribution folder, or a bill and its usage logs", "reconcile")
    if attribution is not None and bill:
        raise InputError("give an attribution folder or a bill and usage, not both", "reconcile")
    if bill and not usage and counts is None:
        raise InputError("a bill needs its usage logs or call counts", "usage")
    if usage and counts:
        raise InputError("give one of them (a request log or call counts, not both)",
                         "usage and counts")
    if attribution is not None and (usage or counts is not None):
        raise InputError("usage logs and counts go with a bill, not with an attribution folder",
                         "counts" if counts is not None else "usage")
    sc = _prepare(scenario, option, overrides)
    cat = _catalog(catalog)
    if attribution is not None:
        summary = read_summary(attribution)
    else:
        from infercost.allocation.run import run_attribution

        bills = [str(b) for b in (bill if isinstance(bill, (list, tuple)) else [bill])]
        usages = None if not usage else [
            str(u) for u in (usage if isinstance(usage, (list, tuple)) else [usage])]
        with tempfile.TemporaryDirectory(prefix="infercost-reconcile-") as tmp:
            summary = to_jsonable(run_attribution(bills, usages, Path(tmp) / "a", rules,
                                                  write_requests=False, counts=counts))
    return ReconciliationResult(run(sc, cat, summary, with_simulation=simulate, seed=seed))


@dataclass(frozen=True)
class ReconciliationResult:
    """What `reconcile` returns. `engine` is the `reconciliation.run.Reconciliation`."""

    engine: Any

    @property
    def decomposition(self) -> dict[str, Any]:
        """volume, utilisation, price, residual and the difference (decimal strings)."""
        return self.to_dict()["decomposition"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, exactly what `infercost reconcile --json` prints."""
        return self.engine.to_dict()

    def to_frame(self, money: MoneyKind = "decimal") -> pd.DataFrame:
        """One row per component: predicted, simulated (or None), measured, difference."""
        import pandas as pd

        _money_kind(money)
        conv = (lambda x: None if x is None else Decimal(x)) if money == "decimal" else \
            (lambda x: None if x is None else float(x))
        rows = [{"component": c["component"], **{k: conv(c[k]) for k in
                                                 ("predicted", "simulated", "measured", "difference")}}
                for c in self.to_dict()["components"]]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        d = self.to_dict()
        t = d["total"]
        def m(x: str) -> str:  # to the cent for reading; exact figures in to_dict()
            return f"{Decimal(x):,.2f}"

        return (f"<ReconciliationResult {d['scenario']!r}: predicted {m(t['predicted'])} vs "
                f"measured {m(t['measured'])} {d['currency']}, difference {m(t['difference'])}>")

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


@_names_file
def tco(scenario: Any, *, simulate: bool = False, catalog: Any = None, option: str | None = None,
        **overrides: Any) -> TcoResult:
    """Total cost of ownership over `finance.horizon_months`: renting (on-demand, spot,
    1- and 3-year commitments) against buying (capex, depreciation, power at the modelled
    utilisation, hosting, staff), with NPV, IRR, payback, break-even utilisation, the
    recommendation and the conditions that flip it (docs/finance.md).

    Utilisation comes from `estimate` (or `simulate` with `simulate=True`), never assumed.
    Returns a `TcoResult` (money in the scenario currency). Raises `InputError` for bad
    input (a horizon of zero, negative prices, growth past `finance.owned.max_gpus`, ...).
    """
    from infercost.finance.decision import decide
    from infercost.finance.tco import build_inputs

    sc = _prepare(scenario, option, overrides)
    cat = _catalog(catalog)
    usage = (simulate_(sc, catalog=cat).engine.usage if simulate
             else estimate(sc, catalog=cat).usage)
    return TcoResult(sc.name, decide(build_inputs(sc, cat, usage)),
                     "simulate" if simulate else "estimate")


simulate_ = simulate  # `tco(simulate=...)` shadows the verb inside it


@dataclass(frozen=True)
class TcoResult:
    """What `tco` returns: `decision` is the `finance.decision.TcoDecision` (cash flows per
    option, NPVs, flips, sensitivity, energy)."""

    scenario: str
    decision: Any
    utilization_source: str = "estimate"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, exactly what `infercost tco --json` prints."""
        from infercost.finance.decision import to_dict

        d = to_dict(self.decision)
        d["scenario"] = self.scenario
        d["utilization_source"] = self.utilization_source
        return d

    def to_frame(self) -> pd.DataFrame:
        """One row per option: NPV and cost per inference (floats, scenario currency)."""
        import pandas as pd

        d = self.to_dict()
        rows = [{"option": name, **{k: v for k, v in o.items() if not isinstance(v, (list, dict))}}
                for name, o in d.get("options", {}).items()]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        d = self.to_dict()
        return f"<TcoResult {self.scenario!r}: recommended {d.get('recommended')!r}>"


@_names_file
def place(scenario: Any, *, catalog: Any = None, **overrides: Any) -> list:
    """The cheapest valid edge/cloud placement of `pipeline:` for each of `segments:`
    (on-site data kept on site, latency budgets met), with compute and transfer cost per
    month (docs/finance.md), and its energy and carbon (`finance.placement_energy`, on
    `.energy`). Returns a list of `finance.placement.Placement`. Raises
    `InputError` when the scenario has no pipeline or segments, or a segment has no valid
    placement (the binding constraint is named)."""
    import dataclasses

    from infercost.finance.placement import place as run
    from infercost.finance.placement_energy import placement_energy

    sc = _prepare(scenario, None, overrides)
    if sc.pipeline is None or not sc.segments:
        raise InputError("place needs `pipeline:` and `segments:`", "pipeline")
    cat = _catalog(catalog)
    req = sc.workload.request
    tok = None
    if req.prompt_tokens is not None or req.output_tokens is not None:
        tok = sum((Decimal(repr(float(d.mean))) for d in (req.prompt_tokens, req.output_tokens) if d is not None),
                  Decimal(0))
    out = []
    for seg in sc.segments:
        pl = run(sc.pipeline, seg)
        en = placement_energy(sc.pipeline, seg, pl.assignment, pl.edge_nodes, cat, tok)
        out.append(dataclasses.replace(pl, energy=en))
    return out


@_names_file
def pnl(scenario: Any, *, catalog: Any = None, **overrides: Any) -> list:
    """Revenue, cost, gross margin and contribution per customer segment per month, and
    the price that reaches each segment's target margin (docs/finance.md). A segment's
    variable cost per inference: its own figure, else its pipeline placement plus the
    estimate's other variable costs per inference, else the estimate's; the estimate's
    fixed costs (priced by the month) are counted once, split by share of requests over
    the segments costed from the scenario (`finance.pnl.cost_basis`). Returns
    `finance.pnl.PnlRows` (a list of `SegmentPnl`, with `.notes`). Raises `InputError`
    without `segments:`."""
    from infercost.finance.pnl import (
        PnlRows,
        allocate_fixed,
        cost_basis,
        estimate_energy,
        segment_pnl,
    )

    sc = _prepare(scenario, None, overrides)
    if not sc.segments:
        raise InputError("pnl needs `segments:`", "segments")
    placed = {p.segment: p for p in place(sc, catalog=catalog)} if sc.pipeline is not None else {}
    est = None

    def breakdown():
        nonlocal est
        if est is None:
            est = estimate(sc, catalog=catalog).breakdown
        return est

    costed = [seg for seg in sc.segments if seg.cost_per_inference is None]
    basis = cost_basis(breakdown()) if costed else None
    shares = dict(zip((s.name for s in costed),
                      allocate_fixed(basis.fixed_per_month if basis else Decimal(0),
                                     [Decimal(repr(float(s.requests_per_month))) for s in costed]),
                      strict=True))
    rows = []
    for seg in sc.segments:
        note = None
        if seg.cost_per_inference is not None:
            cpi, src = seg.cost_per_inference, "segment"
            en = None
            note = "the segment's own cost figure names no hardware: energy not modelled"
        elif seg.name in placed:
            cpi = placed[seg.name].per_request + basis.other_variable_per_inference
            src = "placement + estimate's other costs"
            en = placed[seg.name].energy.to_dict()
        else:
            cpi, src = basis.variable_per_inference, "estimate"
            en = estimate_energy(breakdown().facts.get("energy"))
            if en is None:
                note = "no power figure for the scenario's hardware: energy not modelled"
        rows.append(segment_pnl(seg, Decimal(cpi), src, shares.get(seg.name, Decimal(0)),
                                energy=en, energy_note=note))
    return PnlRows(rows, _pnl_notes(sc, basis, costed))


def _pnl_notes(sc: Any, basis: Any, costed: list) -> list[str]:
    """What `pnl`'s cost rule assumes, in words (figures in the scenario currency)."""
    notes = []
    own = [s.name for s in sc.segments if s.cost_per_inference is not None]
    if own:
        notes.append(f"{', '.join(own)}: own cost_per_inference, taken as the full cost per request "
                     "(no share of the scenario's fixed costs)")
    if basis is None:
        return notes
    total = sum((Decimal(repr(float(s.requests_per_month))) for s in costed), Decimal(0))
    cur = sc.currency
    if basis.fixed_per_month:
        rule = "by share of requests" if total else "evenly (the segments have no requests)"
        notes.append(f"fixed costs ({', '.join(basis.fixed_labels)}: {basis.fixed_per_month:,.2f} "
                     f"{cur} a month) counted once and split {rule}; cost = requests x variable cost "
                     "per inference (per inf) + that share (fixed) + edge depreciation")
    if basis.inferences_per_month and total.quantize(Decimal(1)) != basis.inferences_per_month.quantize(Decimal(1)):
        ratio = total / basis.inferences_per_month
        notes.append(f"the segments total {total:,.0f} requests a month, the workload "
                     f"{basis.inferences_per_month:,.0f} ({ratio:.3g}x): variable costs (accelerator "
                     "time at the estimate's utilisation, review, egress, ...) scale with the segments' "
                     "volume")
    return notes


@_names_file
def roadmap(scenario: Any, *, catalog: Any = None, **overrides: Any):
    """Cost per inference month by month as `roadmap:` milestones land, against the
    target, with the savings (docs/finance.md). Returns `finance.roadmap` projection
    (`.to_dict()`). Raises `InputError` without `roadmap:` or when nothing is served."""
    from infercost.finance.roadmap import project

    sc = _prepare(scenario, None, overrides)
    if sc.roadmap is None:
        raise InputError("roadmap needs `roadmap:` (milestones)", "roadmap")
    b = estimate(sc, catalog=catalog).breakdown
    if b.inferences == 0:
        raise InputError("the scenario serves no inferences", "workload")
    total = b.total.amount / b.inferences
    part = total if sc.roadmap.applies_to == "total" else b.group_total("accelerator").amount / b.inferences
    import dataclasses

    from infercost.finance.roadmap import energy_by_month

    res = project(sc.roadmap, part, total - part, b.inferences * b.month_factor)
    today = b.facts.get("energy")
    months, note = energy_by_month(res, sc.roadmap.applies_to, today)
    notes = ([note, *today["notes"]] if today is not None and note
             else ["no power figure for the hardware: energy not modelled"])
    return dataclasses.replace(res, energy=tuple(months), energy_notes=tuple(notes))


# -- decisions -----------------------------------------------------------------------

@_names_file
def compare(scenario: Any, *, catalog: Any = None, keep_replicas: bool = False,
            simulate: bool = False, seed: int = 0, **overrides: Any):
    """The baseline and every `options:` variant, each sized to its own fleet (the fewest
    replicas meeting the SLO unless its `set:` names replicas, or `keep_replicas`), with
    cost per inference, per month, p99 and SLO met (docs/decide.md). Returns
    `decide.compare.Comparison` (`.to_dict()`). Raises `InputError` for bad input
    (options that set unknown keys, ...)."""
    from infercost.decide.compare import compare as run

    sc = _prepare(scenario, None, overrides)
    return run(sc, _catalog(catalog), keep_replicas=keep_replicas, simulate=simulate, seed=seed)


@_names_file
def cost_curve(scenario: Any, *, catalog: Any = None, multiples: Any = None,
               **overrides: Any) -> list:
    """Cost per inference against traffic: the scenario's arrival rate x each of
    `multiples` (default 0.05x to 10x), each fleet sized as `compare` sizes it, then costed
    (docs/decide.md). Returns `decide.curves.CostPoint`s (money in the scenario currency,
    rates in requests/s). Raises `InputError` for bad input, a trace (no rate to scale)
    or a multiple <= 0."""
    from infercost.decide.curves import DEFAULT_MULTIPLES
    from infercost.decide.curves import cost_curve as run

    sc = _prepare(scenario, None, overrides)
    return run(sc, _catalog(catalog), DEFAULT_MULTIPLES if multiples is None else multiples)


@_names_file
def latency_curve(scenario: Any, *, catalog: Any = None, loads: Any = None, **overrides: Any):
    """Analytic p99 (ms) against throughput (requests/s) of the fleet sized at the
    scenario's peak, offered each fraction of its capacity in `loads` (default 5% to 98%).
    Returns `decide.curves.LatencyCurve`. Raises `InputError` for bad input."""
    from infercost.decide.curves import DEFAULT_LOADS
    from infercost.decide.curves import latency_curve as run

    sc = _prepare(scenario, None, overrides)
    return run(sc, _catalog(catalog), DEFAULT_LOADS if loads is None else loads)


@_names_file
def optimize(scenario: Any, *, catalog: Any = None, **options: Any):
    """The cheapest plan meeting the SLOs and a quality floor: a vectorised screen over
    hardware or MIG slice x precision x engine x GPUs per replica x batch x replicas or
    autoscaling bounds x pricing plan, the finalists simulated (docs/decide.md). `options`:
    as `decide.optimize.optimize` (confidence, quality_floor, finalists, runners_up,
    simulate, sim_requests, seed, hardware, engines, mig, autoscale, backend). Returns `decide.optimize.Optimum`. Raises `InputError` naming the binding
    constraint and the closest candidate when no plan meets the SLOs."""
    from infercost.decide.optimize import optimize as run

    sc, cat = _prepare(scenario, None, {}), _catalog(catalog)
    if sc.model.id is not None and sc.model.arch is None:
        cat.get_model(sc.model.id)  # an unknown id, not "no hardware can serve it"
    return run(sc, cat, **options)


@_names_file
def frontier(scenario: Any, *, catalog: Any = None, **options: Any) -> dict[str, Any]:
    """The cost-quality Pareto frontier over the variants and the tiered-routing sweep
    between a large and a small model (docs/decide.md). `options`: as
    `decide.frontier_run.run_frontier` (large, small, reference, value_per_point,
    segments, steps). Returns a JSON-ready dict. Raises `InputError` when a variant lacks
    the quality score the frontier needs."""
    from infercost.decide.frontier_run import run_frontier

    return run_frontier(_prepare(scenario, None, {}), _catalog(catalog), **options)


@_names_file
def build_vs_buy(scenario: Any, *, catalog: Any = None, **options: Any):
    """Self-hosted cost per 1M input / output tokens against the catalog's hosted API
    prices (standard, cached input, batch) and the monthly volume where self-hosting breaks
    even (docs/decide.md). `options`: utilization, cached_share, apis. Returns
    `decide.buy.BuildVsBuy`."""
    from infercost.decide.buy import build_vs_buy as run

    return run(_prepare(scenario, None, {}), _catalog(catalog), **options)


def diff(base: Any, head: Any, *, catalog: Any = None, path: str = ""):
    """The change in monthly cost, cost per inference and p99 from `base` to `head`, line
    by line (a pull-request comment: `.to_markdown()` where available). Returns
    `decide.diff.CostDiff`. Raises `InputError` when the two are in different currencies."""
    from infercost.decide.diff import cost_diff

    return cost_diff(load_scenario(base), load_scenario(head), _catalog(catalog), path)


def changed_scenarios(ref: str):
    """Scenario files changed since git `ref` (read with `git show REF:path`), as
    (path, base Scenario, head Scenario) pairs plus notes on files added, deleted or not
    scenarios. Raises `InputError` when `ref` is not a commit of this repository."""
    from infercost.decide.gitfiles import changed_scenarios as run

    return run(ref)


def parse_segments(text: str):
    """`name:traffic_share:lift_share,...` (riskiest first) as frontier segments. Raises
    `InputError` for a malformed list or shares that do not sum to 1."""
    from infercost.decide.frontier import parse_segments as run

    return run(text)


# -- shared rendering ----------------------------------------------------------------

def breakdown_frame(d: dict[str, Any] | None, money: MoneyKind = "decimal") -> pd.DataFrame:
    """A breakdown dict (`CostBreakdown.to_dict()`, JSON-ready) as a DataFrame, one row per
    cost line, with `scenario` and `currency` columns so results concatenate; numeric
    strings become Decimal (or float with `money="float"`)."""
    import pandas as pd

    _money_kind(money)
    if not d:
        return pd.DataFrame()
    rows = []
    for c in d["components"]:
        row: dict[str, Any] = {"scenario": d["scenario"], "currency": d["currency"]}
        for k, v in c.items():
            row[k] = v if k in _TEXT_KEYS else _number(v, money)
        rows.append(row)
    return pd.DataFrame(rows)


def _money_kind(money: Any) -> None:
    """Refuse a `money=` other than "decimal" or "float" (InputError)."""
    if money not in ("decimal", "float"):
        raise InputError(f'expected "decimal" or "float", got {money!r}', "money")


def _number(v: Any, money: MoneyKind) -> Any:
    if isinstance(v, str):
        try:
            v = Decimal(v)
        except InvalidOperation:
            return v
    if money == "float" and isinstance(v, Decimal):
        return float(v)
    return v


def _fmt(s: str | None, places: int = 2) -> str:
    if s is None:
        return "n/a"
    from infercost.report.terminal import money_txt, per_unit_txt

    d = Decimal(s)
    return money_txt(d, places) if places else per_unit_txt(d)


def _breakdown_text(kind: str, d: dict[str, Any]) -> str:
    t, cur = d["total"], d["currency"]
    w = max([9, *(len(c["label"]) for c in d["components"])])
    lines = [f"{kind} {d['scenario']!r}: {_fmt(t['monthly_cost'])} {cur}/month, "
             f"{_fmt(t['per_inference'], 0)} {cur} per inference",
             f"  {d['main_driver']}",
             f"  {'component':<{w}} {'per month':>14} {'per inference':>14} {'share':>6}"]
    for c in d["components"]:
        lines.append(f"  {c['label']:<{w}} {_fmt(c['monthly_cost']):>14} "
                     f"{_fmt(c['per_inference'], 0):>14} {float(c['share']) * 100:>5.1f}%")
    return "\n".join(lines)


def _breakdown_html(kind: str, d: dict[str, Any]) -> str:
    t, cur = d["total"], d["currency"]
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(c['label'])}</td><td style='text-align:right'>{_fmt(c['monthly_cost'])}</td>"
        f"<td style='text-align:right'>{_fmt(c['per_inference'], 0)}</td>"
        f"<td style='text-align:right'>{float(c['share']) * 100:.1f}%</td><td>{e(c['driver'])}</td></tr>"
        for c in d["components"])
    return (f"<p><b>{e(kind)} {e(d['scenario'])}</b>: {_fmt(t['monthly_cost'])} {e(cur)}/month, "
            f"{_fmt(t['per_inference'], 0)} {e(cur)} per inference; {e(d['main_driver'])}</p>"
            f"<table><thead><tr><th>component</th><th>per month ({e(cur)})</th>"
            f"<th>per inference ({e(cur)})</th><th>share</th><th>driver</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _attribution_text(s: dict[str, Any]) -> str:
    from infercost.core.money import unit_cost_text

    t, cur, u = s["totals"], s["currency"], s["unit_costs"]
    cons = s["conservation"]
    return "\n".join([
        f"attribution {s['billing_period']['start']} .. {s['billing_period']['end']} "
        f"({s['cost_basis']}, driver {s['driver']})",
        f"  bill {_fmt(t['bill'])} {cur} = allocated {_fmt(t['allocated'])} + idle "
        f"{_fmt(t['idle'])} + shared {_fmt(t['shared'])} + unallocated {_fmt(t['unallocated'])}",
        f"  conservation {'holds' if cons['holds'] else 'VIOLATED'}",
        f"  per 1k requests {unit_cost_text(u['cost_per_1k_requests'])} {cur}; "
        f"rows {s['rows']['usage_allocated']:,} allocated, {s['rows']['usage_rejected']:,} rejected",
    ])
