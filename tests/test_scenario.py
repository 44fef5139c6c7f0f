"""Scenario schema, --set overrides, options, and the bad-input contract (exit 2, one line)."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from infercost.core.scenario import apply_option, load_scenario
from infercost.errors import InputError
from tests.conftest import EXAMPLES

BASE = {
    "name": "t",
    "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 10}, "duration_s": 3600},
    "service": {"distribution": "constant", "mean_ms": 50},
    "deployment": {"hardware": "h100-sxm", "pricing": {"provider": "aws", "plan": "on-demand"},
                   "replicas": 1, "batching": {"max_batch": 1}},
}


def write(tmp_path, data, name="s.yaml"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return p


def test_every_example_loads():
    for f in sorted(EXAMPLES.glob("*.yaml")):
        sc = load_scenario(f)
        assert sc.name and sc.currency == "USD"


def test_set_is_typed_and_validated(tmp_path):
    p = write(tmp_path, BASE)
    sc = load_scenario(p, ["deployment.replicas=4", "workload.arrivals.rate_per_s=2.5",
                           "deployment.replicas={min: 1, max: 3}"])
    assert sc.deployment.replicas.max == 3
    assert sc.workload.arrivals.rate_per_s == 2.5
    sc = load_scenario(p, ["deployment.replicas=4"])
    assert sc.deployment.replicas == 4 and isinstance(sc.deployment.replicas, int)


def test_options_apply_their_sets():
    sc = load_scenario(EXAMPLES / "chatbot.yaml")
    v = apply_option(sc, "int8")
    assert v.model.precision == "int8" and v.model.quality.value == pytest.approx(0.905)
    assert apply_option(sc, "spot").deployment.pricing.plan == "spot"
    with pytest.raises(InputError, match="no option named 'fp4'"):
        apply_option(sc, "fp4")


def _mut(path, value):
    import copy

    d = copy.deepcopy(BASE)
    cur = d
    keys = path.split(".")
    for k in keys[:-1]:
        cur = cur.setdefault(k, {})
    if value is _DEL:
        del cur[keys[-1]]
    else:
        cur[keys[-1]] = value
    return d


_DEL = object()

# (file content or mutation, extra CLI args, text the one line must contain)
BAD = [
    ("name: x\n  bad: [unclosed", [], "malformed YAML"),
    ("", [], "empty"),
    ("- just\n- a list\n", [], "mapping"),
    (_mut("workload.arrivals.rate_per_s", -3), [], "workload.arrivals.rate_per_s"),
    (_mut("workload.arrivals.rate_per_s", 0), [], "greater than 0"),
    (_mut("workload.arrivals.rate_per_s", "fast"), [], "valid number"),
    (_mut("workload.arrivals.speed", 3), [], "unknown key; allowed here"),
    (_mut("currency", _DEL), [], "currency: required"),
    (_mut("currency", "usd"), [], "ISO 4217"),
    (_mut("deployment.hardware", "h100"), [], "did you mean 'h100-sxm'"),
    (_mut("model", {"id": "llama-3.1-8x"}), ["--set", "service=null"], "model.id"),
    (_mut("deployment.batching.max_batch", 0), [], "deployment.batching.max_batch"),
    (_mut("deployment.batching.max_wait_ms", -1), [], "max_wait_ms"),
    (_mut("deployment.replicas", {"min": 4, "max": 2}), [], "min (4) must be <= max (2)"),
    (_mut("deployment.replicas", 0), [], "deployment.replicas"),
    (BASE, ["--set", "workload.arrivals.rate=5"], "no such key 'rate'"),
    (BASE, ["--set", "deployment.hardwares=a"], "no such key 'hardwares'"),
    (BASE, ["--set", "novalue"], "expected path=value"),
    (_mut("currency", "EUR"), [], "add `fx:"),
    (_mut("deployment.pricing.plan", "forever"), [], "deployment.pricing.plan"),
    (_mut("deployment.pricing.provider", "awz"), [], "did you mean 'aws'"),
    (_mut("model.precision", "fp9"), ["--set", "model.id=llama-3.1-8b"], "model.precision"),
    (_mut("service", _DEL), [], "give `service:`"),
    (_mut("workload.arrivals", {"process": "spike", "rate_per_s": 1, "start_s": 10, "end_s": 99999}),
     [], "outside duration_s"),
    (_mut("workload.arrivals", {"process": "trace"}), [], "needs `path`"),
    (_mut("costs", {"human_review": {"fraction": 1.5, "minutes_each": 1, "hourly_rate": 10}}), [],
     "costs.human_review.fraction"),
    (_mut("options", [{"name": "a"}, {"name": "a"}]), [], "repeated: a"),
]


@pytest.mark.parametrize("content,args,expect", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_input_exits_2_with_one_line(tmp_path, cli, content, args, expect):
    p = write(tmp_path, content)
    code, out, err = cli("estimate", p, *args)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    assert expect in err, err
    assert out == ""


def test_missing_file_and_directory(tmp_path, cli):
    code, _, err = cli("estimate", tmp_path / "nope.yaml")
    assert code == 2 and "file not found" in err
    code, _, err = cli("estimate", tmp_path)
    assert code == 2 and "directory" in err


def test_bad_input_subprocess_has_no_traceback(tmp_path):
    import subprocess
    import sys

    p = write(tmp_path, textwrap.dedent("""
        name: x
        currency: USD
        workload: {arrivals: {process: poisson, rate_per_s: -1}}
        service: {mean_ms: 5}
    """))
    r = subprocess.run([sys.executable, "-m", "infercost", "estimate", str(p)],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert str(p) in r.stderr and "workload.arrivals.rate_per_s" in r.stderr


@pytest.mark.parametrize("key,value", [
    ("costs.engineering.annual_cost_per_fte", '"1e400"'),
    ("costs.engineering.annual_cost_per_fte", "1e15"),
    ("deployment.pricing.price_per_gpu_hour", "2e15"),
    ("costs.licensing.per_month", "1000000000000000"),
    ("segments", "[{name: a, requests_per_month: 1, price: {per_request: 1e16}}]"),
    ("finance", "{owned: {capex_per_gpu: '1e20', residual: 0.1}}"),
])
def test_money_past_the_bound_exits_2_naming_the_key(tmp_path, cli, key, value):
    # every money key goes through one validator: below 1e15 of the currency (a bill row's
    # bound); 1e400 used to be accepted and printed a 400-digit table
    p = write(tmp_path, {**BASE, "costs": {"engineering": {"fte": 1, "annual_cost_per_fte": 120000}}})
    code, out, err = cli("estimate", p, "--set", f"{key}={value}")
    assert code == 2 and err.count("\n") == 1, err
    assert "expected an amount below 1e15 of the currency" in err
    assert f"s.yaml: {key}" in err, err
    # just below the bound is money still
    code, out, err = cli("estimate", p, "--set", "costs.engineering.annual_cost_per_fte=999999999999999")
    assert code == 0, err


def test_set_null_removes_a_key_so_its_default_holds(cli):
    """`--set workload.request=null` was refused in pydantic's words ("Input should be a
    valid dictionary or instance of RequestSpec"), though the docs say `null` removes: the
    key's default (the assumed LLM request size, said in a note) now holds."""
    import json

    code, out, err = cli("estimate", "examples/chatbot.yaml", "--set", "workload.request=null",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["total"] and "LLM request size assumed" in err, err
    code, out, err = cli("estimate", "examples/chatbot.yaml", "--set", "currency=null")
    assert code == 2 and "currency: required" in err, err
