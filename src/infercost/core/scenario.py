"""The scenario file (YAML): the main user input, schema as in DESIGN.md.

Every key in DESIGN.md's example keeps its name and meaning; units are in the field
docs. `load_scenario(path, sets)` reads a file, applies `--set path=value` overrides
(values parsed as YAML scalars, so `--set deployment.replicas=4` is an int), and
validates. Any problem raises `InputError` naming the file, the key path and what is
allowed. `apply_option(scenario, name)` returns the variant named in `options:`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from infercost.core.currency import currency_problem
from infercost.core.scenario_finance import Amount, Finance, Pipeline, Roadmap, Segment
from infercost.errors import InputError, shown

Precision = Literal["fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"]
Plan = Literal["on-demand", "reserved-1y", "reserved-3y", "spot", "owned"]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)


# -- model ---------------------------------------------------------------------------

class Quality(Strict):
    metric: str = "accuracy"
    value: float = Field(description="quality score on `metric` (higher is better)")


class ModelSpec(Strict):
    """The model served. `id` is a catalog id (checked, with did-you-mean) unless `arch`
    gives the architecture inline (then `id` only names it); a model that is in neither
    goes by `name` (free text, never looked up) with a `service:` block."""

    id: str | None = Field(None, description="catalog model id, e.g. llama-3.1-8b (checked against the catalog)")
    name: str | None = Field(None, description="free-text model name (not looked up; use with `service:`)")
    arch: dict[str, Any] | None = Field(None, description="inline architecture (catalog ModelArch fields)")
    precision: Precision = Field("bf16", description="weights (and activations) precision")
    weights_only: bool = Field(False, description="int8/int4: quantised weights, bf16 activations")
    quality: Quality | None = None


# -- workload ------------------------------------------------------------------------

class SizeDist(Strict):
    """A size distribution (tokens or items per request)."""

    mean: PositiveFloat
    p95: PositiveFloat | None = Field(None, description="95th percentile; with mean fits a lognormal")
    distribution: Literal["constant", "exponential", "lognormal"] | None = None

    @model_validator(mode="after")
    def _p95_at_least_mean(self) -> SizeDist:
        if self.p95 is not None and self.p95 < self.mean:
            raise ValueError(f"p95 ({self.p95}) must be >= mean ({self.mean})")
        return self


def _size(v: Any) -> Any:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return {"mean": v}
    return v


class RequestSpec(Strict):
    prompt_tokens: SizeDist | None = Field(
        None, description="input tokens per request (LLMs; none given: the performance model assumes 512, with a note)")
    output_tokens: SizeDist | None = Field(
        None, description="generated tokens per request (LLMs; none given: the performance model assumes 128, "
                          "with a note)")
    items: SizeDist | None = Field(None, description="items (images, sentences) per request (others)")

    _norm = field_validator("prompt_tokens", "output_tokens", "items", mode="before")(
        lambda cls, v: _size(v)
    )


class Arrivals(Strict):
    process: Literal["poisson", "constant", "diurnal", "spike", "trace"] = "poisson"
    rate_per_s: PositiveFloat | None = Field(
        None, description="mean arrival rate, requests per second (base rate for spike)"
    )
    peak_to_mean: float = Field(2.0, ge=1, description="diurnal: peak rate / mean rate")
    peak_hour: float = Field(14.0, ge=0, lt=24, description="diurnal: hour of day (UTC) of the peak")
    multiplier: float = Field(10.0, gt=0, description="spike: rate multiplier inside the window")
    start_s: NonNegFloat | None = Field(None, description="spike: window start, seconds from t=0")
    end_s: NonNegFloat | None = Field(None, description="spike: window end, seconds from t=0")
    path: str | None = Field(None, description="trace: usage log whose timestamps are replayed "
                             "(a relative path is relative to the scenario file)")

    @model_validator(mode="after")
    def _needs(self) -> Arrivals:
        if self.process == "trace":
            if not self.path:
                raise ValueError("process 'trace' needs `path` (a usage log)")
        elif self.rate_per_s is None:
            raise ValueError(f"process {self.process!r} needs `rate_per_s` > 0")
        if self.process == "spike":
            if self.start_s is None or self.end_s is None:
                raise ValueError("process 'spike' needs `start_s` and `end_s` (seconds)")
            if self.end_s <= self.start_s:
                raise ValueError(f"spike window end_s ({self.end_s}) must be after start_s ({self.start_s})")
        return self


# -- service -------------------------------------------------------------------------

class Service(Strict):
    """A measured or assumed service time, used instead of the performance model."""

    distribution: Literal["constant", "exponential", "lognormal"] = "exponential"
    mean_ms: PositiveFloat = Field(description="mean time to serve one request alone, ms")
    per_item_ms: NonNegFloat | None = Field(
        None, description="extra ms per additional request in a batch (default: mean_ms, no batching gain)"
    )
    sigma: PositiveFloat = Field(0.5, description="lognormal: sigma of log(service time)")


class TrafficClass(Strict):
    """A share of the traffic with its own tier, model or tenant (simulator: `workload.mix`)."""

    name: str
    share: PositiveFloat = Field(description="relative share of arrivals (normalised over the mix)")
    tier: Literal["realtime", "batch"] = Field(
        "realtime", description="realtime: served first, latency SLO; batch: fills idle capacity")
    slo_ms: PositiveFloat | None = Field(None, description="latency target, ms (default: slo.p99_latency_ms)")
    deadline_s: PositiveFloat | None = Field(None, description="batch tier: late if not done in this many s")
    service: Service | None = Field(None, description="its own service time (default: the scenario's)")
    request: RequestSpec | None = Field(None, description="its own request sizes (default: workload.request)")


class Workload(Strict):
    arrivals: Arrivals
    duration_s: PositiveFloat = Field(3600.0, description="simulated / modelled time span, seconds")
    request: RequestSpec = Field(default_factory=RequestSpec)
    mix: list[TrafficClass] = Field(
        default_factory=list,
        description="traffic classes (tenants, models, priority tiers) sharing the replicas; "
                    "estimate models their service times and sizes, simulate also tiers and SLOs")

    @model_validator(mode="after")
    def _window_inside(self) -> Workload:
        a = self.arrivals
        if a.process == "spike" and a.end_s is not None and a.end_s > self.duration_s:
            raise ValueError(
                f"spike window end_s ({a.end_s}) is outside duration_s ({self.duration_s})"
            )
        return self


# -- deployment ----------------------------------------------------------------------

class Pricing(Strict):
    provider: str = Field("aws", description="catalog provider id (aws, gcp, azure, lambda, ...)")
    plan: Plan = "on-demand"
    price_per_gpu_hour: Amount | None = Field(
        None, description="override the catalog: price of one GPU-hour in the scenario currency"
    )
    spot_fraction: Fraction | None = Field(
        None, description="share of replicas on spot, the rest on `plan` (simulator)"
    )


class ReplicaRange(Strict):
    min: int = Field(1, ge=0)
    max: int = Field(ge=1)
    initial: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _order(self) -> ReplicaRange:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must be <= max ({self.max})")
        return self


class Autoscaling(Strict):
    metric: Literal["utilization", "queue_length"] = "utilization"
    target_utilization: float = Field(0.7, gt=0, le=1, description="busy fraction to scale to")
    target_queue_length: PositiveFloat | None = Field(None, description="requests waiting per replica")
    warmup_s: NonNegFloat = Field(120.0, description="paid time before a new replica can serve, s")
    scale_down_delay_s: NonNegFloat = Field(300.0, description="low-load time before removing one, s")
    evaluation_interval_s: PositiveFloat = Field(30.0, description="how often the autoscaler looks, s")


class Batching(Strict):
    max_batch: int = Field(1, ge=1, description="largest batch (concurrent sequences for LLMs)")
    max_wait_ms: NonNegFloat = Field(0.0, description="longest a request waits for a batch to fill, ms")


class Sharing(Strict):
    """Replicas shared with other models or tenants."""

    others_utilization: float = Field(
        ge=0, lt=1, description="fraction of provisioned replica time busy with the others' work"
    )
    idle_rule: Literal["proportional", "even", "owner"] = Field(
        "proportional", description="how idle time is split: by busy time, evenly, or all to us"
    )
    tenants: int = Field(2, ge=2, description="number of tenants sharing (for the even rule)")


class Spot(Strict):
    """Spot capacity behaviour (simulator); the spot share is `pricing.spot_fraction` or plan spot."""

    preemptions_per_hour: NonNegFloat = Field(0.0, description="preemption rate per spot replica, 1/h")
    warmup_s: NonNegFloat | None = Field(
        None, description="replacement warm-up after a preemption, s (default autoscaling.warmup_s or 120)")


class Cascade(Strict):
    """Cascade routing (estimate and simulate): a share of requests served by the main (small) model moves
    on to a larger model on its own replicas (same hardware and pricing plan)."""

    escalate_fraction: Fraction = Field(description="share of requests escalated after the small model")
    service: Service = Field(description="service time of the large model")
    replicas: Union[Annotated[int, Field(ge=1)], ReplicaRange] = 1
    gpus_per_replica: int | None = Field(None, ge=1, description="GPUs per large replica (default: main)")
    batching: Batching | None = Field(None, description="default: the main deployment's batching")
    autoscaling: Autoscaling | None = Field(None, description="default: the main deployment's autoscaling")


class Deployment(Strict):
    hardware: str | None = Field(None, description="catalog hardware id, e.g. h100-sxm")
    gpus_per_replica: int = Field(1, ge=1)
    tp: int | None = Field(None, ge=1, description="tensor-parallel degree (default gpus_per_replica)")
    engine: str = Field("optimized", description="optimized | hf-eager | path to a calibration file "
                        "(looked for beside the scenario file first)")
    pricing: Pricing = Field(default_factory=Pricing)
    replicas: Union[Annotated[int, Field(ge=1)], ReplicaRange] = 1
    autoscaling: Autoscaling | None = None
    batching: Batching = Field(default_factory=Batching)
    sharing: Sharing | None = None
    spot: Spot | None = Field(None, description="simulator: spot preemptions")
    cascade: Cascade | None = Field(None, description="escalation to a larger model on its own replicas")
    max_queue: int = Field(200_000, ge=1, description="simulator: waiting requests per tier beyond which arrivals are dropped")

    @model_validator(mode="after")
    def _scaling(self) -> Deployment:
        if self.tp is not None and self.tp > self.gpus_per_replica:
            raise ValueError(f"tp ({self.tp}) cannot exceed gpus_per_replica ({self.gpus_per_replica})")
        return self


class SLO(Strict):
    p99_latency_ms: PositiveFloat | None = None
    p95_latency_ms: PositiveFloat | None = None
    p50_latency_ms: PositiveFloat | None = None
    ttft_ms: PositiveFloat | None = Field(None, description="LLMs: p99 time to first token, ms")
    timeout_ms: PositiveFloat | None = Field(
        None, description="client timeout, ms: a realtime request still waiting in the queue this long "
        "is abandoned (simulate; counted apart from drops)")


# -- other costs (per month unless named otherwise) ------------------------------------

class Licensing(Strict):
    per_1k_inferences: Amount = Decimal(0)
    per_month: Amount = Decimal(0)


class HumanReview(Strict):
    fraction: Fraction = Field(description="share of inferences a person reviews")
    minutes_each: NonNegFloat
    hourly_rate: Amount


class Preprocessing(Strict):
    cpu_ms_per_request: NonNegFloat
    price_per_vcpu_hour: Amount | None = Field(None, description="default: the provider's catalog price")


class Storage(Strict):
    gb: NonNegFloat
    price_per_gb_month: Amount | None = None


class Egress(Strict):
    bytes_per_response: NonNegFloat
    price_per_gb: Amount | None = None


class Experiments(Strict):
    shadow_fraction: NonNegFloat = Field(0.0, description="extra traffic from shadow / A-B copies")


class Engineering(Strict):
    fte: NonNegFloat
    annual_cost_per_fte: Amount


class Costs(Strict):
    licensing: Licensing | None = None
    human_review: HumanReview | None = None
    preprocessing: Preprocessing | None = None
    storage: Storage | None = None
    egress: Egress | None = None
    experiments: Experiments | None = None
    engineering: Engineering | None = None


class Option(Strict):
    name: str
    set: dict[str, Any] = Field(default_factory=dict, description="key path -> value overrides")


class Scenario(Strict):
    #: the YAML file it was read from (None for a dict): errors raised later name it
    _source: str | None = PrivateAttr(default=None)
    name: str
    description: str = ""
    currency: str = Field(description="ISO 4217 code of every figure in this scenario")
    fx: dict[str, Amount] = Field(
        default_factory=dict,
        description="exchange rates: units of `currency` per one unit of another (e.g. USD: 0.92)",
    )
    model: ModelSpec = Field(default_factory=ModelSpec)
    workload: Workload
    service: Service | None = None
    deployment: Deployment = Field(default_factory=Deployment)
    slo: SLO = Field(default_factory=SLO)
    costs: Costs = Field(default_factory=Costs)
    options: list[Option] = Field(default_factory=list)
    finance: Finance | None = Field(None, description="TCO: rent vs buy over a horizon (`infercost tco`)")
    pipeline: Pipeline | None = Field(None, description="components and where they may run (`infercost place`)")
    segments: list[Segment] = Field(default_factory=list, description="customer segments (`infercost pnl`)")
    roadmap: Roadmap | None = Field(None, description="milestones and their effects (`infercost roadmap`)")

    @field_validator("currency")
    @classmethod
    def _iso(cls, v: str) -> str:
        problem = currency_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("fx")
    @classmethod
    def _fx_iso(cls, v: dict) -> dict:
        for code in v:
            problem = currency_problem(code)
            if problem:
                raise ValueError(f"key {code!r} {problem}")
        return v

    @model_validator(mode="after")
    def _how_served(self) -> Scenario:
        if self.service is None and not (self.model.id or self.model.arch):
            raise ValueError("give `service:` (a service time) or `model.id` with `deployment.hardware`")
        if self.service is None and not self.deployment.hardware:
            raise ValueError("`deployment.hardware` is needed to predict service time from the model")
        names = [o.name for o in self.options]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"option names must be unique; repeated: {', '.join(dup)}")
        return self


# -- loading, overrides, options -------------------------------------------------------

def _fmt_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "-" in part or "[" in part or part[:1].isupper():
            continue  # a union branch label (constrained-int, ReplicaRange), not a key
        else:
            out += f".{part}" if out else str(part)
    return out


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    cur: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or cur is None or "-" in part or "[" in part or part[:1].isupper():
            continue
        f = getattr(cur, "model_fields", {}).get(part)
        if f is None:
            return []
        cur = _model_of(f.annotation)
    return sorted(getattr(cur, "model_fields", {})) if cur else []


def _model_of(annotation: Any) -> type[BaseModel] | None:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        m = _model_of(arg)
        if m is not None:
            return m
    return None


def validation_error_line(err: ValidationError, origin: str, model: type[BaseModel] = Scenario) -> InputError:
    """Turn pydantic's first error into one InputError line naming file and key path."""
    errors = err.errors()
    # In a union (replicas: int | {min, max}) prefer the branch that matches the input's shape.
    mismatch = {"int_type", "int_parsing", "float_type", "float_parsing", "string_type", "bool_type"}
    e = next((x for x in errors if not (x["type"] in mismatch and isinstance(x.get("input"), dict))),
             errors[0])
    path = _fmt_loc(e["loc"]) or "(top level)"
    if e["type"] == "extra_forbidden":
        allowed = _allowed_keys(model, e["loc"])
        msg = f"unknown key; allowed here: {', '.join(allowed)}"
    elif e["type"] == "missing":
        msg = "required key is missing"
    else:
        msg = e["msg"].removeprefix("Value error, ")
        got = shown(e.get("input"))  # 1.5, not np.float64(1.5), from a notebook's override
        if "input" in e and not isinstance(e["input"], (dict, list)) and len(got) <= 80:
            msg += f" (got {got})"
    return InputError(msg, f"{origin}: {path}")


def parse_value(text: str) -> Any:
    """A `--set` value, read as a YAML scalar or flow collection ('4' -> 4, '{a: 1}' -> dict)."""
    from infercost.core.yamlio import load_yaml

    try:
        return load_yaml(text, "--set")
    except InputError as e:
        if "malformed YAML" in e.message:
            return text  # not YAML: the plain string
        raise


def _check_path(path: str, origin: str) -> None:
    cur: Any = Scenario
    for part in path.split("."):
        if part.isdigit():
            continue
        fields_ = getattr(cur, "model_fields", None)
        if fields_ is None:
            if cur is dict or cur is None:
                return  # free-form mapping (fx, model.arch, option set)
            raise InputError(f"path goes below a value at {part!r}", f"{origin}: {path}")
        if part not in fields_:
            allowed = ", ".join(sorted(fields_))
            raise InputError(f"no such key {part!r}; allowed: {allowed}", f"{origin}: {path}")
        ann = fields_[part].annotation
        cur = _model_of(ann)
        if cur is None:
            import typing

            origin_t = typing.get_origin(ann)
            args = [typing.get_origin(a) for a in typing.get_args(ann)]
            cur = dict if (origin_t is dict or dict in args) else None


def set_path(raw: dict, path: str, value: Any, origin: str = "--set") -> dict:
    """Return a copy of `raw` with the dotted `path` set to `value` (path checked against the
    schema); `value` None removes the key (a list item is set to None)."""
    _check_path(path, origin)
    out = copy.deepcopy(raw)
    cur: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(cur, list):
            idx = int(part)
            if idx >= len(cur):
                raise InputError(f"index {idx} out of range ({len(cur)} items)", f"{origin}: {path}")
            cur = cur[idx]
            continue
        nxt = cur.get(part)
        if not isinstance(nxt, (dict, list)):
            nxt = {}
            cur[part] = nxt
        cur = nxt
    last = parts[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    elif value is None:  # `null` removes the key: its default, or the error of a required one
        cur.pop(last, None)
    else:
        cur[last] = value
    return out


def parse_sets(sets: list[str] | tuple[str, ...]) -> list[tuple[str, Any]]:
    out = []
    for s in sets:
        if "=" not in s:
            raise InputError(f"expected path=value, got {s!r}", "--set")
        k, v = s.split("=", 1)
        k = k.strip()
        if not k:
            raise InputError(f"empty key path in {s!r}", "--set")
        out.append((k, parse_value(v)))
        _TYPED_PATHS.update(str(Path(f)) for f in _file_paths(k, out[-1][1]) if f.strip())
    return out


# Relative file paths typed on this process's command line (`--set`): read from the
# current folder, so an error about one gives no scenario-folder hint.
_TYPED_PATHS: set[str] = set()


def typed_on_command_line(path: str) -> bool:
    """Was `path` a file key's value typed with `--set` (`parse_sets`)? Compared as
    `Path` text (`./a.csv` is `a.csv`)."""
    return str(Path(path)) in _TYPED_PATHS


def _file_paths(key: str, value: Any) -> list[str]:
    """The `FILE_KEYS` text values that setting dotted `key` to `value` names."""
    if key in FILE_KEYS:
        return [value] if isinstance(value, str) else []
    found: list[str] = []
    if isinstance(value, dict):
        _fix_under(copy.deepcopy(value), key,
                   lambda v, k: found.append(v) if isinstance(v, str) else None)
    return found


def read_raw(path: str | Path, folder: str | Path | None = None) -> dict:
    """Read a scenario file's YAML as a mapping (InputError on missing, empty or malformed),
    its relative file paths joined to `folder` (default: the file's own folder; see
    `resolve_file_keys`)."""
    from infercost.core.yamlio import load_yaml

    p = Path(path)
    try:
        text = p.read_text()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a scenario YAML file", str(path)) from None
    except UnicodeDecodeError as e:  # the line and the byte, not a byte offset
        line = e.object[: e.start].count(b"\n") + 1
        raise InputError(f"not a text file (expected UTF-8 YAML): byte 0x{e.object[e.start]:02x} "
                         "is not UTF-8", f"{path}: line {line}") from None
    raw = load_yaml(text, str(path))
    if raw is None:
        raise InputError("the file is empty; expected a scenario (name, currency, workload, ...)", str(path))
    if not isinstance(raw, dict):
        raise InputError(f"expected a mapping of keys at the top level, got {type(raw).__name__}", str(path))
    return resolve_file_keys(raw, p.parent if folder is None else Path(folder))


# Scenario keys whose value may name a file -> does this relative value, in a scenario
# file in `folder`, name a file there? A trace path always does. An engine is a name or a
# calibration file: it is joined to the folder when that file exists there, and otherwise
# kept as given (an engine name, or a path from the current folder as before).
FILE_KEYS: dict[str, Callable[[str, Path], bool]] = {
    "workload.arrivals.path": lambda value, folder: True,
    "deployment.engine": lambda value, folder: (folder / value).is_file(),
}


def resolve_file_keys(raw: dict, folder: Path) -> dict:
    """`raw` (a scenario file's mapping) with each relative file path among `FILE_KEYS`,
    in the scenario and in its options' `set:`, joined to `folder` (the scenario file's
    folder): a relative path in a scenario means relative to the scenario file, whatever
    folder the command runs in. Absolute paths, non-text values and engine names are
    kept; `--set` values (typed on a command line) are applied later, as given, so they
    stay relative to the current folder. `raw` itself is not changed."""
    if folder == Path("."):
        return raw

    def fix(value: Any, key: str) -> Any:
        if isinstance(value, str) and value.strip() and not Path(value).is_absolute() \
                and FILE_KEYS[key](value, folder):
            return str(folder / value)
        return value

    out = copy.deepcopy(raw)
    _fix_under(out, "", fix)
    options = out.get("options")
    for opt in options if isinstance(options, list) else []:
        if isinstance(opt, dict) and isinstance(opt.get("set"), dict):
            for k, v in opt["set"].items():
                if k in FILE_KEYS:
                    opt["set"][k] = fix(v, k)
                elif isinstance(v, dict):  # a mapping set as a whole, e.g. workload.arrivals
                    _fix_under(v, str(k), fix)
    return out


def _fix_under(node: dict, at: str, fix: Callable[[Any, str], Any]) -> None:
    """Apply `fix` in place to each `FILE_KEYS` value inside `node`, the mapping found at
    dotted key `at` ("" for the whole scenario), e.g. `path` of a mapping set at
    `workload.arrivals`, or `arrivals.path` of one set at `workload`."""
    prefix = f"{at}." if at else ""
    for key in FILE_KEYS:
        if not key.startswith(prefix):
            continue
        *parents, last = key[len(prefix):].split(".")
        cur: Any = node
        for part in parents:
            cur = cur.get(part) if isinstance(cur, dict) else None
        if isinstance(cur, dict) and last in cur:
            cur[last] = fix(cur[last], key)

def validate(raw: dict, origin: str, source: str | None = None) -> Scenario:
    """`raw` validated into a `Scenario` that remembers `source` (the file it came from).
    Raises `InputError` naming `origin` and the key path."""
    try:
        sc = Scenario.model_validate(raw)
    except ValidationError as e:
        raise validation_error_line(e, origin) from None
    sc._source = source
    return sc


def load_scenario(path: str | Path, sets: list[str] | tuple[str, ...] = (),
                  folder: str | Path | None = None) -> Scenario:
    """Read, override (`path=value` strings) and validate a scenario file. `folder`: where
    its relative file paths are read from, when not the file's own folder (a copy of a
    scenario kept elsewhere, e.g. an older version taken from git into a temporary file)."""
    raw = read_raw(path, folder)
    for key, value in parse_sets(sets):
        raw = set_path(raw, key, value, f"{path}: --set")
    return validate(raw, str(path), str(path))


def apply_option(scenario: Scenario, name: str) -> Scenario:
    """The scenario with option `name`'s `set:` overrides applied (options list kept)."""
    for opt in scenario.options:
        if opt.name == name:
            raw = scenario.model_dump(mode="python", exclude_none=True)
            for key, value in opt.set.items():
                raw = set_path(raw, key, value, f"options[{opt.name}]")
            raw["name"] = f"{scenario.name} [{name}]"
            return validate(raw, f"option {name!r}")
    known = ", ".join(o.name for o in scenario.options) or "none"
    raise InputError(f"no option named {name!r}; options: {known}", "options")
