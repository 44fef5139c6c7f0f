"""Catalogs: hardware, prices and model architectures, each figure with a source and a date.

The bundled catalog lives in `infercost/core/catalog_data/*.yaml`; a user file
(`--catalog my.yaml`, same layout) overrides or adds entries. Layout:

```yaml
hardware:            # id -> Hardware fields
  h100-sxm: {name: ..., kind: gpu, peak_tflops: {bf16: 989}, memory_gb: 80, ...,
             source: "...", as_of: 2026-11-28}
models:              # id -> ModelArch fields
  llama-3.1-8b: {family: decoder, params: 8030261248, layers: 32, ...}
prices:
  instances:         # list; identity = (provider, instance)
    - {provider: aws, instance: p5.48xlarge, hardware: h100-sxm, gpus: 8,
       per_gpu_hour: {on-demand: 6.88, spot: 2.5}, currency: USD, source, as_of}
  services:          # provider -> vCPU-hour, storage GB-month, egress GB
    aws: {vcpu_hour: 0.0425, storage_gb_month: 0.08, egress_gb: 0.09, ...}
  api_tokens:        # list; identity = (provider, model)
    - {provider: openai, model: gpt-4o-mini, input_per_1m: 0.15, output_per_1m: 0.6, ...}
  owned_hardware:    # list; identity = hardware: the inputs `econ.owned` prices plan `owned` with
    - {hardware: h100-sxm, capex_per_gpu: 39625, depreciation_years: 5, host_watts_per_gpu: 575,
       colo_per_kw_month: 196, maintenance: 0.10, currency: USD, source, as_of}
```

Units: TFLOP/s (TOPS for integer precisions) dense, no sparsity; memory in GB (1e9
bytes); bandwidths in GB/s (1e9 bytes per second; interconnect is per GPU, one
direction); power in watts; caches in MB (1e6 bytes); prices in the entry's currency per
GPU-hour, vCPU-hour, GB-month or GB. Every field is listed in docs/catalog.md.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from infercost.core.currency import check_currency
from infercost.core.money import Money, to_decimal
from infercost.errors import InputError

PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
PLANS = ("on-demand", "reserved-1y", "reserved-3y", "spot", "owned")
# Hardware.vendor_family: the architecture family whose achievable fractions of datasheet
# compute and bandwidth a performance model may look up ("" = not stated).
VENDOR_FAMILIES = ("hopper", "ada", "ampere", "turing", "blackwell", "cdna3", "neuron", "tpu",
                   "gaudi", "cpu")
# Interconnect.kind: the device-to-device link used for tensor-parallel collectives.
INTERCONNECT_KINDS = ("nvlink", "infinity-fabric", "pcie", "ici", "neuronlink", "ethernet")
MODEL_FAMILIES = ("decoder", "encoder", "vision", "generic", "recommender")
ATTENTIONS = ("", "mha", "gqa", "mla")


@dataclass(frozen=True)
class Interconnect:
    """Device-to-device link: `kind` (one of INTERCONNECT_KINDS) and `gbps`, GB/s per device,
    one direction (a datasheet's bidirectional figure halved)."""

    kind: str
    gbps: float


@dataclass(frozen=True)
class Hardware:
    """An accelerator or CPU. For `kind: cpu` every figure is per vCPU (`per: vcpu`)."""

    id: str
    name: str
    kind: str  # gpu | cpu
    source: str
    as_of: date
    vendor: str = ""
    per: str = "device"  # device | vcpu
    peak_tflops: dict[str, float] = field(default_factory=dict)  # dense TFLOP/s (TOPS for int)
    memory_gb: float = 0.0  # GB per device (per vCPU for CPUs: typical GB per vCPU)
    memory_bw_gbps: float = 0.0  # GB/s
    tdp_w: float = 0.0  # W
    interconnect_gbps: float = 0.0  # GB/s per GPU, one direction (NVLink / Infinity Fabric)
    notes: str = ""
    vendor_family: str = ""  # one of VENDOR_FAMILIES; "" = not stated
    l2_mb: float = 0.0  # last-level on-chip cache, MB (L2 on NVIDIA, Infinity Cache on CDNA3, SRAM)
    interconnect: Interconnect | None = None  # kind + GB/s one direction; sets interconnect_gbps
    idle_watts: float = 0.0  # W drawn when powered and idle, where a source gives it; 0 = unknown
    idle_source: str = ""  # where idle_watts comes from; empty = the entry's `source`
    idle_as_of: date | None = None  # date idle_watts was read; None = the entry's `as_of`

    def peak(self, precision: str) -> float:
        """Dense peak in TFLOP/s for `precision`; falls back to the nearest wider precision."""
        order = {"int4": ["int4", "int8", "fp8", "fp16", "bf16"], "int8": ["int8", "fp8", "fp16", "bf16"],
                 "fp8": ["fp8", "fp16", "bf16"], "bf16": ["bf16", "fp16"], "fp16": ["fp16", "bf16"],
                 "tf32": ["tf32", "fp32"], "fp32": ["fp32"]}
        for p in order.get(precision, [precision]):
            if p in self.peak_tflops:
                return float(self.peak_tflops[p])
        raise InputError(
            f"no {precision} peak for hardware {self.id!r}; known: {sorted(self.peak_tflops)}"
        )


@dataclass(frozen=True)
class ModelArch:
    """Architecture numbers a performance model needs.

    Decoders: layers, hidden, heads, kv_heads, head_dim, intermediate (per expert for MoE),
    vocab, experts and experts_per_token (1 for dense). Encoders: the same fields plus
    `seq_len` (default sequence length). Vision and generic models: `flops_per_item`
    (FLOPs for one item, e.g. one 224x224 image = 2 x MACs) and `bytes_per_item`.

    Optional decoder refinements (0 / "" / False = absent): `qkv_bias` (q/k/v projections
    carry biases, as in Qwen2); `shared_experts` (always-on experts of `intermediate` width
    besides the routed ones); `dense_layers` (the first N layers use a dense MLP of width
    `dense_intermediate` instead of experts); `attention` ("mha", "gqa" or "mla"); for MLA,
    `q_lora_rank`, `kv_lora_rank` and `qk_rope_head_dim` (head_dim is then the per-head
    no-RoPE query/key and value width). `kv_cache_dim`: elements cached per token per layer
    for all heads, K and V together; 0 means 2 x kv_heads x head_dim (MHA/GQA). MLA caches
    one compressed latent plus one shared RoPE key: kv_lora_rank + qk_rope_head_dim.

    Recommenders (`family: recommender`, DLRM-style): `embedding_rows` (rows per sparse
    table), `embedding_dim` (elements per row), `lookups_per_item` (rows gathered per table
    for one item, i.e. the multi-hot sizes), `dense_features` (numeric inputs),
    `bottom_mlp` and `top_mlp` (layer output widths), `cross_layers` and `cross_rank`
    (DCNv2 low-rank cross network over the concatenated features). `flops_per_item` then
    counts the dense part (2 x MACs); embedding gathers move sum(lookups_per_item) x
    embedding_dim elements per item.
    """

    id: str
    family: str  # decoder | encoder | vision | generic | recommender
    params: int
    source: str
    as_of: date
    name: str = ""
    layers: int = 0
    hidden: int = 0
    heads: int = 0
    kv_heads: int = 0
    head_dim: int = 0
    intermediate: int = 0
    vocab: int = 0
    experts: int = 1
    experts_per_token: int = 1
    active_params: int = 0
    tied_embeddings: bool = False
    max_context: int = 0
    seq_len: int = 0
    flops_per_item: float = 0.0
    bytes_per_item: float = 0.0
    default_precision: str = "bf16"
    notes: str = ""
    qkv_bias: bool = False
    shared_experts: int = 0
    dense_layers: int = 0
    dense_intermediate: int = 0
    attention: str = ""
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    kv_cache_dim: int = 0
    embedding_rows: tuple[int, ...] = ()
    embedding_dim: int = 0
    lookups_per_item: tuple[int, ...] = ()
    dense_features: int = 0
    bottom_mlp: tuple[int, ...] = ()
    top_mlp: tuple[int, ...] = ()
    cross_layers: int = 0
    cross_rank: int = 0

    def kv_elements_per_token_layer(self) -> int:
        """Elements of KV cache one token keeps in one layer (all heads, K and V together):
        `kv_cache_dim` if given (MLA), else 2 x kv_heads x head_dim."""
        if self.kv_cache_dim:
            return self.kv_cache_dim
        head_dim = self.head_dim or (self.hidden // self.heads if self.heads else 0)
        return 2 * (self.kv_heads or self.heads) * head_dim


@dataclass(frozen=True)
class InstancePrice:
    """A cloud instance holding `gpus` accelerators of one kind, priced per GPU-hour by plan."""

    provider: str
    instance: str
    hardware: str
    gpus: int
    per_gpu_hour: dict[str, Decimal]
    source: str
    as_of: date
    currency: str = "USD"
    region: str = ""
    notes: str = ""


@dataclass(frozen=True)
class ServicePrice:
    """A provider's CPU, storage and network prices."""

    provider: str
    vcpu_hour: Decimal
    storage_gb_month: Decimal
    egress_gb: Decimal
    source: str
    as_of: date
    currency: str = "USD"
    region: str = ""
    notes: str = ""
    egress_free_gb_month: Decimal = Decimal(0)  # GB a month sent free before egress_gb applies


@dataclass(frozen=True)
class ApiPrice:
    """A hosted model API's token prices (per 1M tokens)."""

    provider: str
    model: str
    input_per_1m: Decimal
    output_per_1m: Decimal
    source: str
    as_of: date
    currency: str = "USD"
    notes: str = ""
    cached_input_per_1m: Decimal | None = None  # input tokens read from the prompt cache
    batch_input_per_1m: Decimal | None = None  # batch API (asynchronous, within 24 h)
    batch_output_per_1m: Decimal | None = None


@dataclass(frozen=True)
class OwnedHardware:
    """Inputs for pricing one bought accelerator of `hardware` (plan `owned`, `econ.owned`).

    Money in `currency`; power in W; the electricity price, PUE and grid intensity come from
    the energy catalog (energy.yaml), the board power curve from the hardware entry.
    """

    hardware: str
    capex_per_gpu: Decimal  # purchase price per accelerator, server share included
    depreciation_years: float
    host_watts_per_gpu: float  # server share (CPU, memory, NICs, switches, fans) per accelerator, W
    colo_per_kw_month: Decimal  # hosting per provisioned kW (board TDP + host) per month
    maintenance: float  # per year, share of capex
    source: str
    as_of: date
    residual: float = 0.0  # share of capex left at the end of the life
    currency: str = "USD"
    notes: str = ""


@dataclass
class Catalog:
    hardware: dict[str, Hardware]
    models: dict[str, ModelArch]
    instances: list[InstancePrice]
    services: dict[str, ServicePrice]
    api_tokens: list[ApiPrice]
    owned: dict[str, OwnedHardware] = field(default_factory=dict)  # hardware id -> owned inputs

    # -- look-ups that name the closest ids on a miss ---------------------------------
    def get_hardware(self, hw_id: str, where: str = "deployment.hardware") -> Hardware:
        if hw_id not in self.hardware:
            raise InputError(_unknown("hardware", hw_id, self.hardware), where)
        return self.hardware[hw_id]

    def get_model(self, model_id: str, where: str = "model.id") -> ModelArch:
        if model_id not in self.models:
            raise InputError(_unknown("model", model_id, self.models), where)
        return self.models[model_id]

    def get_services(self, provider: str, where: str = "deployment.pricing.provider") -> ServicePrice:
        if provider not in self.services:
            raise InputError(_unknown("provider", provider, self.services), where)
        return self.services[provider]

    def gpu_hour_price(
        self, provider: str, hardware: str, plan: str, where: str = "deployment.pricing"
    ) -> tuple[Money, InstancePrice]:
        """Price of one GPU-hour of `hardware` at `provider` on `plan` (cheapest listing)."""
        if plan not in PLANS:
            raise InputError(f"unknown plan {plan!r}; allowed: {', '.join(PLANS)}", f"{where}.plan")
        providers = sorted({i.provider for i in self.instances})
        if provider not in providers:
            raise InputError(_unknown("provider", provider, providers), f"{where}.provider")
        rows = [i for i in self.instances if i.provider == provider and i.hardware == hardware]
        if not rows:
            offered = sorted({i.hardware for i in self.instances if i.provider == provider})
            elsewhere = sorted({i.provider for i in self.instances if i.hardware == hardware})
            also = f"; {hardware!r} is listed by: {', '.join(elsewhere)}" if elsewhere else ""
            raise InputError(
                f"provider {provider!r} lists no instance with {hardware!r}; it offers: {', '.join(offered)}"
                f"{also} (or set deployment.pricing.price_per_gpu_hour, per vCPU-hour for CPUs)",
                f"{where}.provider",
            )
        priced = [i for i in rows if plan in i.per_gpu_hour]
        if not priced:
            plans = sorted({p for i in rows for p in i.per_gpu_hour})
            raise InputError(
                f"{provider} {hardware} has no {plan!r} price; it has: {', '.join(plans)}",
                f"{where}.plan",
            )
        best = min(priced, key=lambda i: i.per_gpu_hour[plan])
        return Money(best.per_gpu_hour[plan], best.currency), best

    def api_price(self, provider: str, model: str) -> ApiPrice:
        for a in self.api_tokens:
            if a.provider == provider and a.model == model:
                return a
        raise InputError(_unknown("API model", f"{provider}/{model}",
                                  [f"{a.provider}/{a.model}" for a in self.api_tokens]))


def whole_instances_note(catalog: Catalog, provider: str, hardware: str, plan: str,
                         gpus_per_replica: int, replicas: int) -> str | None:
    """A note when `replicas` x `gpus_per_replica` accelerators of `hardware` are not a
    whole number of the instance `provider` lists at the cheapest `plan` price per
    accelerator-hour (`Catalog.gpu_hour_price`): priced per accelerator-hour as listed, as
    if a share of an instance could be rented; whole instances are ceil(N / k) x k. Prices
    are never changed. None when they are whole, when the instance holds one accelerator,
    for CPU hardware (priced per vCPU) and when the catalog has no such listing."""
    hw = catalog.hardware.get(hardware)
    if hw is None or hw.kind == "cpu":
        return None
    try:
        _, inst = catalog.gpu_hour_price(provider, hardware, plan)
    except InputError:
        return None
    k = int(inst.gpus)
    total = int(replicas) * int(gpus_per_replica)
    if k <= 1 or total <= 0 or total % k == 0:
        return None
    whole = -(-total // k)
    return (f"{total} {hardware} accelerators ({replicas} x {gpus_per_replica}) are not a whole number "
            f"of {provider} {inst.instance}'s {k}: priced per accelerator-hour as listed, as if "
            f"a share of an instance could be rented; whole instances are {whole} x {k} = "
            f"{whole * k} accelerators ({whole * k - total} more)")


def fleet_instances_note(catalog: Catalog, scenario: Any) -> str | None:
    """`whole_instances_note` for a scenario's fleet at its peak (an autoscaled fleet's
    max); None when the scenario sets its own price per GPU-hour (no instance listing)."""
    from infercost.core.scenario import ReplicaRange

    dep = scenario.deployment
    if dep.pricing.price_per_gpu_hour is not None or not dep.hardware:
        return None
    reps = dep.replicas
    peak = reps.max if isinstance(reps, ReplicaRange) else int(reps)
    return whole_instances_note(catalog, dep.pricing.provider, dep.hardware, dep.pricing.plan,
                                dep.gpus_per_replica, peak)


def _unknown(what: str, key: str, known) -> str:
    known = list(known)
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown {what} {key!r}{hint} (known: {', '.join(sorted(known))})"


# -- loading -------------------------------------------------------------------------

def _as_date(v: Any, where: str) -> date:
    """An entry's `as_of`: a date YYYY-MM-DD, not more than a year after today (a figure
    is dated when it was read: 2999 is a typo; the year's slack keeps a machine whose
    clock is behind reading the bundled figures). Raises InputError naming `where`."""
    from datetime import timedelta

    try:
        d = v if isinstance(v, date) else date.fromisoformat(str(v))
    except ValueError:
        raise InputError(f"as_of must be a date YYYY-MM-DD, got {v!r}", where) from None
    if d > date.today() + timedelta(days=366):
        raise InputError(f"as_of {d.isoformat()} is more than a year in the future: the date "
                         "a figure was read from its source", where)
    return d


def build_entry(cls, data: dict, where: str, **extra):
    """A catalog dataclass from a YAML mapping; InputError names `where` and the bad key."""
    if not isinstance(data, dict):
        raise InputError(f"expected a mapping, got {type(data).__name__}", where)
    names = {f.name: f for f in fields(cls)}
    data = {**data, **extra}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise InputError(f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(names))}", where)
    for req in ("source", "as_of"):
        if req in names and not data.get(req):
            raise InputError(f"every catalog figure needs {req!r}", where)
    kw = {}
    for k, v in data.items():
        if k in ("as_of", "idle_as_of"):
            v = _as_date(v, f"{where}.{k}")
        elif k == "currency":
            v = check_currency(v, f"{where}.currency")
        elif k in ("per_gpu_hour",):
            if not isinstance(v, dict):
                raise InputError("expected a mapping of plan -> price", f"{where}.{k}")
            bad = sorted(set(v) - set(PLANS))
            if bad:
                raise InputError(f"unknown plan(s) {bad}; allowed: {', '.join(PLANS)}", f"{where}.{k}")
            v = {p: to_decimal(x, f"{where}.{k}.{p}") for p, x in v.items()}
        elif names[k].type in ("Decimal", "Decimal | None"):
            v = to_decimal(v, f"{where}.{k}")
        elif names[k].type in ("float", "int"):
            v = _number(v, names[k].type, f"{where}.{k}")
        elif names[k].type == "bool" and not isinstance(v, bool):
            raise InputError(f"expected true or false, got {v!r}", f"{where}.{k}")
        elif names[k].type == "tuple[int, ...]":
            if not isinstance(v, (list, tuple)) or not all(isinstance(x, int) and x >= 0 for x in v):
                raise InputError(f"expected a list of non-negative integers, got {v!r}", f"{where}.{k}")
            v = tuple(v)
        elif k == "interconnect":
            v = _interconnect(v, f"{where}.{k}")
        elif k in ("vendor_family", "family", "attention"):
            allowed = {"vendor_family": VENDOR_FAMILIES, "family": MODEL_FAMILIES, "attention": ATTENTIONS}[k]
            if v not in allowed:
                shown = ", ".join(a for a in allowed if a)
                raise InputError(f"unknown {k} {v!r}; allowed: {shown}", f"{where}.{k}")
        elif k == "peak_tflops":
            if not isinstance(v, dict):
                raise InputError(f"expected a mapping of precision -> TFLOP/s, got {v!r}", f"{where}.{k}")
            bad = sorted(set(v) - set(PRECISIONS))
            if bad:
                raise InputError(f"unknown precision(s) {bad}; allowed: {', '.join(PRECISIONS)}", f"{where}.{k}")
            v = {p: _number(x, "float", f"{where}.{k}.{p}", positive=True) for p, x in v.items()}
        kw[k] = v
    ic = kw.get("interconnect")
    if ic is not None:
        given = kw.get("interconnect_gbps")
        if given is not None and float(given) != ic.gbps:
            raise InputError(f"interconnect_gbps {given} disagrees with interconnect.gbps {ic.gbps}; "
                             "give one of them", f"{where}.interconnect_gbps")
        kw["interconnect_gbps"] = ic.gbps
    try:
        return cls(**kw)
    except TypeError as e:
        raise InputError(str(e), where) from None


#: the largest catalog number (405 B parameters is 4.05e11): past it a figure is a typo,
#: and its products overflow the performance model
MAX_NUMBER = 1e15


def _number(v: Any, kind: str, where: str, positive: bool = False) -> float | int:
    """A catalog number: finite and >= 0 (> 0 when `positive`); `kind` "int" must be whole.
    Numeric text is read as a number (YAML 1.1 reads `8.178e9`, no dot in the mantissa, as
    text). Raises InputError naming `where`."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise InputError(f"expected a number, got {v!r}", where)
    try:
        x = float(v)
    except ValueError:
        raise InputError(f"expected a number, got {v!r}", where) from None
    if not math.isfinite(x) or abs(x) >= MAX_NUMBER:
        raise InputError(f"expected a finite number below 1e15, got {v!r}", where)
    if x < 0 or (positive and x == 0):
        raise InputError(f"expected a number {'>' if positive else '>='} 0, got {v!r}", where)
    if kind == "int":
        if x != int(x):
            raise InputError(f"expected a whole number, got {v!r}", where)
        return int(x)
    return x


def _check_hardware(hw: Hardware, where: str) -> None:
    """Values no device has: kind, per, memory and bandwidth (> 0), idle above TDP.
    Raises InputError naming the entry and key."""
    if hw.kind not in ("gpu", "cpu"):
        raise InputError(f"unknown kind {hw.kind!r}; allowed: gpu, cpu", f"{where}.kind")
    if hw.per not in ("device", "vcpu"):
        raise InputError(f"unknown per {hw.per!r}; allowed: device, vcpu", f"{where}.per")
    for k, unit in (("memory_gb", "GB"), ("memory_bw_gbps", "GB/s")):
        if getattr(hw, k) <= 0:
            raise InputError(f"expected {unit} > 0 (a device with no memory cannot serve), "
                             f"got {getattr(hw, k):g}", f"{where}.{k}")
    if hw.tdp_w and hw.idle_watts > hw.tdp_w:
        raise InputError(f"idle_watts {hw.idle_watts:g} W is above tdp_w {hw.tdp_w:g} W, "
                         "the board's power limit", f"{where}.idle_watts")


def _check_model(m: ModelArch, where: str) -> None:
    """Shapes no model has (counts are already >= 0): params > 0, a transformer without
    layers, width or heads, more KV heads than heads, more experts per token than experts,
    more active weights than weights, an unknown default precision. Raises InputError."""
    if m.params <= 0:
        raise InputError(f"expected params > 0, got {m.params}", f"{where}.params")
    if m.family in ("decoder", "encoder"):
        for k in ("layers", "hidden", "heads"):
            if getattr(m, k) <= 0:
                raise InputError(f"a {m.family} needs {k} > 0, got {getattr(m, k)}", f"{where}.{k}")
    if m.kv_heads > m.heads:
        raise InputError(f"kv_heads {m.kv_heads} is more than heads {m.heads}", f"{where}.kv_heads")
    if m.experts < 1 or not 1 <= m.experts_per_token <= m.experts:
        raise InputError(f"expected experts >= 1 and 1 <= experts_per_token <= experts, got "
                         f"{m.experts} and {m.experts_per_token}", f"{where}.experts_per_token")
    if m.active_params > m.params:
        raise InputError(f"active_params {m.active_params} is more than params {m.params}",
                         f"{where}.active_params")
    if m.default_precision not in PRECISIONS:
        raise InputError(f"unknown precision {m.default_precision!r}; allowed: {', '.join(PRECISIONS)}",
                         f"{where}.default_precision")


def _section(raw: dict, key: str, kind: type, where: str) -> Any:
    """raw[key] if it is of `kind` (dict: id -> entry, list: entries); empty when absent."""
    v = raw.get(key)
    if v is None:
        return kind()
    if not isinstance(v, kind):
        shape = "a mapping of id -> entry" if kind is dict else "a list of entries"
        raise InputError(f"expected {shape}, got {type(v).__name__} {v!r}"[:200], f"{where}{key}")
    return v


def _interconnect(v: Any, where: str) -> Interconnect:
    if not isinstance(v, dict) or set(v) != {"kind", "gbps"}:
        raise InputError(f"expected a mapping {{kind, gbps}}, got {v!r}", where)
    if v["kind"] not in INTERCONNECT_KINDS:
        raise InputError(f"unknown interconnect kind {v['kind']!r}; allowed: {', '.join(INTERCONNECT_KINDS)}",
                         f"{where}.kind")
    try:
        gbps = float(v["gbps"])
    except (TypeError, ValueError):
        raise InputError(f"expected a number of GB/s, got {v['gbps']!r}", f"{where}.gbps") from None
    if gbps < 0:
        raise InputError(f"expected GB/s >= 0, got {gbps}", f"{where}.gbps")
    return Interconnect(v["kind"], gbps)


def _read_yaml(path: Path | str, text: str | None = None) -> dict:
    from infercost.core.yamlio import load_yaml

    try:
        text = text if text is not None else Path(path).read_text()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a catalog YAML file", str(path)) from None
    except UnicodeDecodeError:
        raise InputError("not a text file (expected UTF-8 YAML)", str(path)) from None
    raw = load_yaml(text, str(path))
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InputError("expected a mapping at the top level", str(path))
    return raw


def _merge(cat: Catalog, raw: dict, origin: str) -> None:
    allowed = {"hardware", "models", "prices"}
    bad = sorted(set(raw) - allowed)
    if bad:
        raise InputError(f"unknown section(s) {bad}; allowed: {', '.join(sorted(allowed))}", origin)
    for hid, d in _section(raw, "hardware", dict, f"{origin}: ").items():
        where = f"{origin}: hardware.{hid}"
        hw = build_entry(Hardware, d, where, id=hid)
        _check_hardware(hw, where)
        cat.hardware[hid] = hw
    for mid, d in _section(raw, "models", dict, f"{origin}: ").items():
        where = f"{origin}: models.{mid}"
        m = build_entry(ModelArch, d, where, id=mid)
        _check_model(m, where)
        cat.models[mid] = m
    prices = _section(raw, "prices", dict, f"{origin}: ")
    bad = sorted(set(prices) - {"instances", "services", "api_tokens", "owned_hardware"})
    if bad:
        raise InputError(f"unknown price section(s) {bad}", f"{origin}: prices")
    seen: dict[tuple, int] = {}  # (an entry given twice in one file: which one is meant?)
    for i, d in enumerate(_section(prices, "instances", list, f"{origin}: prices.")):
        where = f"{origin}: prices.instances[{i}]"
        ip = build_entry(InstancePrice, d, where)
        _once(seen, (ip.provider, ip.instance), i, where, "instances")
        if ip.hardware not in cat.hardware:
            raise InputError(_unknown("hardware", ip.hardware, cat.hardware), f"{where}.hardware")
        if ip.gpus < 1:
            raise InputError(f"expected gpus >= 1 (accelerators in the instance), got {ip.gpus}", f"{where}.gpus")
        _non_negative(ip.per_gpu_hour, f"{where}.per_gpu_hour")
        cat.instances = [x for x in cat.instances
                         if (x.provider, x.instance) != (ip.provider, ip.instance)] + [ip]
    for prov, d in _section(prices, "services", dict, f"{origin}: prices.").items():
        where = f"{origin}: prices.services.{prov}"
        sp = build_entry(ServicePrice, d, where, provider=prov)
        _non_negative({k: getattr(sp, k) for k in ("vcpu_hour", "storage_gb_month", "egress_gb",
                                                   "egress_free_gb_month")}, where)
        cat.services[prov] = sp
    seen = {}
    for i, d in enumerate(_section(prices, "api_tokens", list, f"{origin}: prices.")):
        where = f"{origin}: prices.api_tokens[{i}]"
        ap = build_entry(ApiPrice, d, where)
        _once(seen, (ap.provider, ap.model), i, where, "api_tokens")
        _non_negative({k: getattr(ap, k) for k in ("input_per_1m", "output_per_1m", "cached_input_per_1m",
                                                   "batch_input_per_1m", "batch_output_per_1m")}, where)
        cat.api_tokens = [x for x in cat.api_tokens
                          if (x.provider, x.model) != (ap.provider, ap.model)] + [ap]
    for i, d in enumerate(_section(prices, "owned_hardware", list, f"{origin}: prices.")):
        where = f"{origin}: prices.owned_hardware[{i}]"
        oh = build_entry(OwnedHardware, d, where)
        if oh.depreciation_years * 12 < 1:
            raise InputError("depreciation_years must be at least one month", f"{where}.depreciation_years")
        if not 0 <= oh.residual < 1 or not 0 <= oh.maintenance <= 1:
            raise InputError("residual must be in [0, 1) and maintenance in [0, 1] (shares of capex a year)",
                             where)
        if oh.capex_per_gpu < 0 or oh.colo_per_kw_month < 0 or oh.host_watts_per_gpu < 0:
            raise InputError("capex_per_gpu, colo_per_kw_month and host_watts_per_gpu must be >= 0", where)
        cat.owned[oh.hardware] = oh


def _once(seen: dict[tuple, int], key: tuple, i: int, where: str, section: str) -> None:
    """InputError when `key` (provider and instance or model) was given earlier in the
    same file's `section` (the later would silently replace it); records it otherwise."""
    if key in seen:
        raise InputError(f"{' '.join(key)} is given twice in this file (prices.{section}"
                         f"[{seen[key]}] and [{i}]): keep one", where)
    seen[key] = i


def _non_negative(prices: dict[str, Decimal | None], where: str) -> None:
    """Catalog prices are >= 0 (a discount or credit is not a list price)."""
    for k, v in prices.items():
        if v is not None and v < 0:
            raise InputError(f"expected a price >= 0, got {v}", f"{where}.{k}")


BUNDLED = ("hardware.yaml", "models.yaml", "prices.yaml")


@lru_cache(maxsize=1)
def _bundled() -> tuple[dict, ...]:
    pkg = resources.files("infercost.core") / "catalog_data"
    out = []
    for name in BUNDLED:
        f = pkg / name
        out.append((f"catalog_data/{name}", _read_bundled(name, f.read_text())))
    return tuple(out)


def _read_bundled(name: str, text: str) -> dict:
    """A bundled catalog file: parsed by libyaml where PyYAML has it (5-8x faster than
    the pure-Python parser of `yamlio.load_yaml`, the same objects: tests/test_catalog.py
    holds the two equal on every bundled file, and load_yaml's checks to them)."""
    import yaml

    loader, raw = getattr(yaml, "CSafeLoader", None), None
    if loader is not None:
        try:
            raw = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            raw = None  # load_yaml says what is wrong, naming the line
    return raw if isinstance(raw, dict) else _read_yaml(name, text)


def load_catalog(user_file: str | Path | None = None) -> Catalog:
    """The bundled catalog, overridden entry by entry by `user_file` (YAML) if given."""
    cat = Catalog({}, {}, [], {}, [])
    for origin, raw in _bundled():
        _merge(cat, raw, origin)
    if user_file is not None:
        raw = _read_yaml(user_file)
        if not any(raw.get(k) for k in ("hardware", "models", "prices")):
            raise InputError("the catalog file has no entries; expected hardware:, models: or "
                             "prices: with at least one entry", str(user_file))
        _merge(cat, raw, str(user_file))
    return cat
