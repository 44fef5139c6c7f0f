"""Every scenario key either changes the estimate, or the estimate says it does not.

The test walks the scenario schema (every key, nested blocks and list items included) and
requires each key to be in exactly one table:

- MODELLED: changing the key (from a context where it matters) changes a figure of the
  estimate (inferences, tokens, components, totals, utilisation, replica-hours, service
  time);
- NOTED: `estimate` does not model it (`simulate` does); setting it adds a note naming
  the key (capacity.model.SIMULATOR_ONLY);
- ALLOWED: keys that legitimately change nothing in an estimate, each with its reason.

A new key in the schema fails `test_every_key_is_classified` until someone decides.
"""

from __future__ import annotations

import copy
import typing

import pytest

from infercost.capacity.estimate import estimate
from infercost.capacity.model import SIMULATOR_ONLY
from infercost.core.catalog import load_catalog
from infercost.core.io import to_jsonable
from infercost.core.scenario import Scenario, _model_of, set_path, validate

CAT = load_catalog()

BASE = {
    "name": "walk", "currency": "USD",
    "workload": {"arrivals": {"process": "constant", "rate_per_s": 5}, "duration_s": 3600},
    "service": {"distribution": "exponential", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "replicas": 2,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 4}},
}
PERF = {"service": None, "model.id": "llama-3.1-8b", "workload.request.prompt_tokens": {"mean": 500},
        "workload.request.output_tokens": {"mean": 100}}
ENCODER = {"service": None, "model.id": "bert-base", "workload.request.items": {"mean": 4}}
CATALOG_PRICE = {"deployment.pricing.price_per_gpu_hour": None}
AUTO = {"deployment.replicas": {"min": 1, "max": 10}, "deployment.autoscaling": {"warmup_s": 120}}
DIURNAL = {"workload.arrivals.process": "diurnal", "workload.arrivals.rate_per_s": 50}
SPIKE = {"workload.arrivals": {"process": "spike", "rate_per_s": 5, "multiplier": 10,
                               "start_s": 600, "end_s": 1200}}
BATCH = {"workload.arrivals.rate_per_s": 20, "service.per_item_ms": 10,
         "deployment.batching": {"max_batch": 8, "max_wait_ms": 20}}
MIX = {"workload.mix": [{"name": "a", "share": 1},
                        {"name": "b", "share": 1, "service": {"mean_ms": 200}}],
       "deployment.replicas": 4}
CAS = {"deployment.cascade": {"escalate_fraction": 0.5, "service": {"mean_ms": 100}, "replicas": 1}}
CAS_AUTO = {**CAS, "workload.arrivals.rate_per_s": 40,
            "deployment.cascade.replicas": {"min": 1, "max": 5},
            "deployment.cascade.autoscaling": {"warmup_s": 120}}
CAS_BATCH = {**CAS, "workload.arrivals.rate_per_s": 20,
             "deployment.cascade.service.per_item_ms": 10,
             "deployment.cascade.batching": {"max_batch": 8, "max_wait_ms": 20}}
LLAMA_ARCH = {k: v for k, v in vars(CAT.get_model("llama-3.1-8b")).items()
              if k not in ("id", "source", "as_of") and not k.startswith("_") and v is not None}


def m(ctx: dict, at: str, value, *more: dict) -> tuple[dict, str, object]:
    """A mutation: from BASE + contexts, set `at` (a --set path) to `value`."""
    merged: dict = {}
    for c in (ctx, *more):
        merged.update(c)
    return merged, at, value


# schema key -> (context, --set path, new value): the estimate's figures must change
MODELLED = {
    "currency": m({}, "currency", "EUR"),
    "fx": m({**CATALOG_PRICE, "currency": "EUR", "fx": {"USD": 0.8}}, "fx", {"USD": 0.9}),
    "model.id": m(PERF, "model.id", "qwen2.5-7b"),
    "model.arch": m({**PERF, "model.id": None, "model.arch": LLAMA_ARCH}, "model.arch",
                    {**LLAMA_ARCH, "layers": 16} if "layers" in LLAMA_ARCH else
                    {**LLAMA_ARCH, "num_layers": 16}),
    "model.precision": m(PERF, "model.precision", "fp8"),
    "model.weights_only": m({**PERF, "model.precision": "int8"}, "model.weights_only", True),
    "workload.arrivals.process": m(AUTO, "workload.arrivals.process", "diurnal",
                                   {"workload.arrivals.rate_per_s": 50}),
    "workload.arrivals.rate_per_s": m({}, "workload.arrivals.rate_per_s", 10),
    "workload.arrivals.peak_to_mean": m(DIURNAL, "workload.arrivals.peak_to_mean", 4),
    "workload.arrivals.peak_hour": m(DIURNAL, "workload.arrivals.peak_hour", 2),
    "workload.arrivals.multiplier": m(SPIKE, "workload.arrivals.multiplier", 5),
    "workload.arrivals.start_s": m(SPIKE, "workload.arrivals.start_s", 300),
    "workload.arrivals.end_s": m(SPIKE, "workload.arrivals.end_s", 1800),
    "workload.arrivals.path": m({"workload.arrivals": {"process": "trace", "path": "{trace_a}"}},
                                "workload.arrivals.path", "{trace_b}"),
    "workload.duration_s": m(SPIKE, "workload.duration_s", 2400),
    "workload.request.prompt_tokens.mean": m(PERF, "workload.request.prompt_tokens.mean", 1000),
    "workload.request.output_tokens.mean": m(PERF, "workload.request.output_tokens.mean", 200),
    "workload.request.items.mean": m(ENCODER, "workload.request.items.mean", 16),
    "workload.mix[].share": m(MIX, "workload.mix.0.share", 3),
    "workload.mix[].service.mean_ms": m(MIX, "workload.mix.1.service.mean_ms", 400),
    "workload.mix[].service.per_item_ms": m(MIX, "workload.mix.1.service.per_item_ms", 100,
                                            {"deployment.batching": {"max_batch": 8, "max_wait_ms": 20},
                                             "workload.arrivals.rate_per_s": 20}),
    "workload.mix[].request.prompt_tokens.mean": m(
        {**MIX, "workload.request.prompt_tokens": {"mean": 100}}, "workload.mix.1.request.prompt_tokens.mean", 500),
    "workload.mix[].request.output_tokens.mean": m(
        {**MIX, "workload.request.output_tokens": {"mean": 100}}, "workload.mix.1.request.output_tokens.mean", 500),
    "service.mean_ms": m({}, "service.mean_ms", 80),
    "service.per_item_ms": m(BATCH, "service.per_item_ms", 30),
    "deployment.hardware": m(PERF, "deployment.hardware", "h200-sxm"),
    "deployment.gpus_per_replica": m({}, "deployment.gpus_per_replica", 2),
    "deployment.tp": m({**PERF, "deployment.gpus_per_replica": 2}, "deployment.tp", 1),
    "deployment.engine": m(PERF, "deployment.engine", "hf-eager"),
    "deployment.pricing.provider": m(CATALOG_PRICE, "deployment.pricing.provider", "gcp"),
    "deployment.pricing.plan": m(CATALOG_PRICE, "deployment.pricing.plan", "spot"),
    "deployment.pricing.price_per_gpu_hour": m({}, "deployment.pricing.price_per_gpu_hour", 3),
    "deployment.pricing.spot_fraction": m(CATALOG_PRICE, "deployment.pricing.spot_fraction", 0.5),
    "deployment.replicas": m({}, "deployment.replicas", 3),
    "deployment.replicas.min": m(AUTO, "deployment.replicas.min", 3),
    "deployment.replicas.max": m({**AUTO, "workload.arrivals.rate_per_s": 100}, "deployment.replicas.max", 3),
    "deployment.replicas.initial": m({**AUTO, "workload.arrivals.rate_per_s": 50},
                                     "deployment.replicas.initial", 0),
    "deployment.autoscaling.target_utilization": m({**AUTO, "workload.arrivals.rate_per_s": 50},
                                                   "deployment.autoscaling.target_utilization", 0.3),
    "deployment.autoscaling.warmup_s": m({**AUTO, **SPIKE}, "deployment.autoscaling.warmup_s", 600),
    "deployment.autoscaling.scale_down_delay_s": m({**AUTO, **SPIKE},
                                                   "deployment.autoscaling.scale_down_delay_s", 0),
    "deployment.batching.max_batch": m(BATCH, "deployment.batching.max_batch", 2),
    "deployment.batching.max_wait_ms": m(BATCH, "deployment.batching.max_wait_ms", 200),
    "deployment.sharing.others_utilization": m({"deployment.sharing": {"others_utilization": 0.2}},
                                               "deployment.sharing.others_utilization", 0.4),
    "deployment.sharing.idle_rule": m({"deployment.sharing": {"others_utilization": 0.2}},
                                      "deployment.sharing.idle_rule", "owner"),
    "deployment.sharing.tenants": m({"deployment.sharing": {"others_utilization": 0.2, "idle_rule": "even"}},
                                    "deployment.sharing.tenants", 4),
    "deployment.cascade.escalate_fraction": m(CAS, "deployment.cascade.escalate_fraction", 0.2),
    "deployment.cascade.service.mean_ms": m(CAS, "deployment.cascade.service.mean_ms", 200),
    "deployment.cascade.service.per_item_ms": m(CAS_BATCH, "deployment.cascade.service.per_item_ms", 50),
    "deployment.cascade.replicas": m(CAS, "deployment.cascade.replicas", 2),
    "deployment.cascade.replicas.min": m(CAS_AUTO, "deployment.cascade.replicas.min", 4),
    "deployment.cascade.replicas.max": m(CAS_AUTO, "deployment.cascade.replicas.max", 2),
    "deployment.cascade.replicas.initial": m(CAS_AUTO, "deployment.cascade.replicas.initial", 0),
    "deployment.cascade.gpus_per_replica": m(CAS, "deployment.cascade.gpus_per_replica", 2),
    "deployment.cascade.batching.max_batch": m(CAS_BATCH, "deployment.cascade.batching.max_batch", 1),
    "deployment.cascade.batching.max_wait_ms": m(CAS_BATCH, "deployment.cascade.batching.max_wait_ms", 200),
    "deployment.cascade.autoscaling.target_utilization": m(
        CAS_AUTO, "deployment.cascade.autoscaling.target_utilization", 0.3),
    "deployment.cascade.autoscaling.warmup_s": m(
        {**CAS_AUTO, "deployment.cascade.replicas.initial": 0}, "deployment.cascade.autoscaling.warmup_s", 600),
    "deployment.cascade.autoscaling.scale_down_delay_s": m(
        {**CAS_AUTO, **SPIKE, "deployment.cascade.autoscaling.scale_down_delay_s": 600},
        "deployment.cascade.autoscaling.scale_down_delay_s", 0),
    "costs.licensing.per_1k_inferences": m({"costs.licensing": {"per_1k_inferences": 1}},
                                           "costs.licensing.per_1k_inferences", 2),
    "costs.licensing.per_month": m({"costs.licensing": {"per_month": 100}}, "costs.licensing.per_month", 200),
    "costs.human_review.fraction": m(
        {"costs.human_review": {"fraction": 0.01, "minutes_each": 2, "hourly_rate": 30}},
        "costs.human_review.fraction", 0.02),
    "costs.human_review.minutes_each": m(
        {"costs.human_review": {"fraction": 0.01, "minutes_each": 2, "hourly_rate": 30}},
        "costs.human_review.minutes_each", 3),
    "costs.human_review.hourly_rate": m(
        {"costs.human_review": {"fraction": 0.01, "minutes_each": 2, "hourly_rate": 30}},
        "costs.human_review.hourly_rate", 40),
    "costs.preprocessing.cpu_ms_per_request": m({"costs.preprocessing": {"cpu_ms_per_request": 10}},
                                                "costs.preprocessing.cpu_ms_per_request", 20),
    "costs.preprocessing.price_per_vcpu_hour": m({"costs.preprocessing": {"cpu_ms_per_request": 10}},
                                                 "costs.preprocessing.price_per_vcpu_hour", 1),
    "costs.storage.gb": m({"costs.storage": {"gb": 100}}, "costs.storage.gb", 200),
    "costs.storage.price_per_gb_month": m({"costs.storage": {"gb": 100}}, "costs.storage.price_per_gb_month", 1),
    # 1 MB a response, so the month is past the catalog's free egress tier (100 GB)
    "costs.egress.bytes_per_response": m({"costs.egress": {"bytes_per_response": 1_000_000}},
                                         "costs.egress.bytes_per_response", 2_000_000),
    "costs.egress.price_per_gb": m({"costs.egress": {"bytes_per_response": 1000}}, "costs.egress.price_per_gb", 1),
    "costs.experiments.shadow_fraction": m({}, "costs.experiments.shadow_fraction", 0.2),
    "costs.engineering.fte": m({"costs.engineering": {"fte": 1, "annual_cost_per_fte": 100000}},
                               "costs.engineering.fte", 2),
    "costs.engineering.annual_cost_per_fte": m(
        {"costs.engineering": {"fte": 1, "annual_cost_per_fte": 100000}},
        "costs.engineering.annual_cost_per_fte", 200000),
}

# schema key -> (context, --set path, value, text the note must contain)
NOTED = {
    "service.distribution": (*m({}, "service.distribution", "lognormal"), "service.distribution"),
    "service.sigma": (*m({}, "service.sigma", 0.9), "service.sigma"),
    "workload.mix[].tier": (*m(MIX, "workload.mix.1.tier", "batch"), "workload.mix[1].tier"),
    "workload.mix[].slo_ms": (*m(MIX, "workload.mix.1.slo_ms", 100), "workload.mix[1].slo_ms"),
    "workload.mix[].deadline_s": (*m(MIX, "workload.mix.1.deadline_s", 60), "workload.mix[1].deadline_s"),
    "workload.mix[].service.distribution": (*m(MIX, "workload.mix.1.service.distribution", "constant"),
                                            "workload.mix[1].service.distribution"),
    "workload.mix[].service.sigma": (*m(MIX, "workload.mix.1.service.sigma", 0.9),
                                     "workload.mix[1].service.sigma"),
    "workload.mix[].request.items.mean": (
        *m({**ENCODER, "workload.mix": MIX["workload.mix"][:1] + [{"name": "b", "share": 1}]},
           "workload.mix.1.request.items.mean", 32), "workload.mix[1].request"),
    "deployment.autoscaling.metric": (*m(AUTO, "deployment.autoscaling.metric", "queue_length"),
                                      "deployment.autoscaling.metric"),
    "deployment.autoscaling.target_queue_length": (
        *m(AUTO, "deployment.autoscaling.target_queue_length", 4), "deployment.autoscaling.target_queue_length"),
    "deployment.autoscaling.evaluation_interval_s": (
        *m(AUTO, "deployment.autoscaling.evaluation_interval_s", 60), "deployment.autoscaling.evaluation_interval_s"),
    "deployment.spot.preemptions_per_hour": (*m({}, "deployment.spot.preemptions_per_hour", 2), "deployment.spot"),
    "deployment.spot.warmup_s": (*m({}, "deployment.spot.warmup_s", 60), "deployment.spot"),
    "deployment.cascade.service.distribution": (
        *m(CAS, "deployment.cascade.service.distribution", "constant"), "deployment.cascade.service.distribution"),
    "deployment.cascade.service.sigma": (*m(CAS, "deployment.cascade.service.sigma", 0.9),
                                         "deployment.cascade.service.sigma"),
    "deployment.cascade.autoscaling.metric": (
        *m(CAS_AUTO, "deployment.cascade.autoscaling.metric", "queue_length"), "deployment.cascade.autoscaling.metric"),
    "deployment.cascade.autoscaling.target_queue_length": (
        *m(CAS_AUTO, "deployment.cascade.autoscaling.target_queue_length", 4),
        "deployment.cascade.autoscaling.target_queue_length"),
    "deployment.cascade.autoscaling.evaluation_interval_s": (
        *m(CAS_AUTO, "deployment.cascade.autoscaling.evaluation_interval_s", 60),
        "deployment.cascade.autoscaling.evaluation_interval_s"),
    "deployment.max_queue": (*m({}, "deployment.max_queue", 10), "deployment.max_queue"),
    "slo.p99_latency_ms": (*m({}, "slo.p99_latency_ms", 100), "slo.p99_latency_ms"),
    "slo.p95_latency_ms": (*m({}, "slo.p95_latency_ms", 100), "slo.p95_latency_ms"),
    "slo.p50_latency_ms": (*m({}, "slo.p50_latency_ms", 100), "slo.p50_latency_ms"),
    "slo.ttft_ms": (*m({}, "slo.ttft_ms", 100), "slo.ttft_ms"),
    "slo.timeout_ms": (*m({}, "slo.timeout_ms", 2000), "slo.timeout_ms"),
}
for _size in ("prompt_tokens", "output_tokens", "items"):
    for _k, _v in (("p95", 5000), ("distribution", "lognormal")):
        NOTED[f"workload.request.{_size}.{_k}"] = (
            *m({f"workload.request.{_size}": {"mean": 100}}, f"workload.request.{_size}.{_k}", _v),
            f"workload.request.{_size}.{_k}")
        NOTED[f"workload.mix[].request.{_size}.{_k}"] = (
            *m({**MIX, f"workload.mix.1.request.{_size}": {"mean": 100}}, f"workload.mix.1.request.{_size}.{_k}", _v),
            f"workload.mix[1].request.{_size}.{_k}")

# keys that legitimately change nothing in an estimate, and why
ALLOWED = {
    "name": "a label: names the output, no figure depends on it",
    "description": "free text for the reader",
    "model.name": "free text naming a model that is not in the catalog (never looked up)",
    "model.quality.metric": "quality is not a cost; kept for comparing options",
    "model.quality.value": "quality is not a cost; kept for comparing options",
    "workload.mix[].name": "a label of a traffic class",
    "options[].name": "a variant's label; applied only with --option",
    "options[].set": "a variant's overrides; applied only with --option",
}


def schema_keys(model=Scenario, prefix: str = "") -> list[str]:
    """Every key path of the scenario schema; list items as `[]`."""
    out = []
    for name, f in model.model_fields.items():
        path = f"{prefix}{name}"
        sub = _model_of(f.annotation)
        args = [a for a in typing.get_args(f.annotation) if a is not type(None)]
        is_list = typing.get_origin(f.annotation) is list or any(typing.get_origin(a) is list for a in args)
        if sub is None:
            out.append(path)
            continue
        if len(args) > 1:  # a value or a mapping (replicas: 2 | {min, max})
            out.append(path)
        out += schema_keys(sub, path + ("[]." if is_list else "."))
    return out


#: Sections that are other commands' inputs (capacity.model.OTHER_COMMANDS): estimate
#: names the section in a note (test below); finance.owned also prices the owned plan.
OTHER_SECTIONS = ("finance.", "pipeline.", "segments[].", "roadmap.")


def test_other_commands_sections_are_named_in_a_note(traces):
    from infercost.capacity.model import OTHER_COMMANDS

    assert {k.rstrip(".[]") for k in OTHER_SECTIONS} == set(OTHER_COMMANDS)
    _, before = _figures(_build({}, None, None, traces))
    _, after = _figures(_build({}, "roadmap", {"months": 12}, traces))
    assert not any("other commands" in n for n in before)
    assert any("roadmap: (infercost roadmap)" in n for n in after), after


def test_every_key_is_classified():
    keys = {k for k in schema_keys() if not k.startswith(OTHER_SECTIONS)}
    assert len(keys) > 100  # the walk itself must find the nested keys
    tables = [set(MODELLED), set(NOTED), set(ALLOWED)]
    assert not (tables[0] & tables[1] or tables[0] & tables[2] or tables[1] & tables[2])
    assert keys - set().union(*tables) == set(), "classify these new keys"
    assert set().union(*tables) - keys == set(), "these keys are not in the schema"


def test_simulator_only_keys_are_all_noted():
    # every key the capacity model declares simulator-only is walked here (or is a block)
    for key in SIMULATOR_ONLY:
        assert key in NOTED or any(k.startswith(key + ".") for k in NOTED), key


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    d = tmp_path_factory.mktemp("traces")
    for name, n in (("a", 60), ("b", 240)):  # 60 vs 240 requests in the first minute
        rows = "\n".join(f"2025-01-01T00:00:{i * 60 / n:09.6f}Z" for i in range(n))
        (d / f"{name}.csv").write_text("timestamp\n" + rows + "\n")
    return {"{trace_a}": str(d / "a.csv"), "{trace_b}": str(d / "b.csv")}


def _build(ctx: dict, at: str | None, value, traces: dict):
    raw = copy.deepcopy(BASE)
    items = list(ctx.items()) + ([(at, value)] if at else [])
    def sub(v):
        if isinstance(v, dict):
            return {k: sub(x) for k, x in v.items()}
        return traces.get(v, v) if isinstance(v, str) else v

    for path, v in items:
        raw = set_path(raw, path, sub(copy.deepcopy(v)), "walk")
    return validate(raw, "walk")


def _figures(sc) -> tuple[dict, list[str]]:
    d = to_jsonable(estimate(sc, CAT).to_dict())
    notes = d["facts"].pop("notes")
    d["facts"].pop("sources")
    d["service_time"].pop("source")
    for k in ("scenario", "main_driver"):
        d.pop(k)
    for c in d["components"]:
        c.pop("driver")
    return d, notes


@pytest.mark.parametrize("key", sorted(MODELLED))
def test_changing_a_modelled_key_changes_the_estimate(key, traces):
    ctx, at, value = MODELLED[key]
    before, _ = _figures(_build(ctx, None, None, traces))
    after, _ = _figures(_build(ctx, at, value, traces))
    assert before != after, f"{at}: {value!r} changed no figure of the estimate"


@pytest.mark.parametrize("key", sorted(NOTED))
def test_a_key_estimate_does_not_model_is_named_in_a_note(key, traces):
    ctx, at, value, text = NOTED[key]
    _, before = _figures(_build(ctx, None, None, traces))
    _, after = _figures(_build(ctx, at, value, traces))
    assert not any(text in n for n in before), before  # the context alone does not name it
    assert any(text in n and "simulate" in n for n in after), after
