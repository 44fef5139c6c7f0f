"""Properties over generated inputs (tests/strategies.py).

- estimate and simulate on any valid scenario return a result or raise InputError,
  nothing else; through the CLI that is exit 0 or exit 2 with one `error:` line;
- money in `--json` adds up digit for digit: components' period, monthly and
  per-inference costs sum exactly to the totals;
- more traffic never costs less in total (estimate);
- attribution of any generated bill + usage file conserves the bill exactly
  (allocated + idle + shared + unallocated = billed) or refuses with InputError.

Bounded with `budget(n)`: the file runs in well under a minute by default;
HYPOTHESIS_PROFILE=long (make fuzz) runs 10 times as many examples.
"""

from __future__ import annotations

import copy
import json
import tempfile
from decimal import Decimal, localcontext
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, event, given
from hypothesis import strategies as st

from infercost.capacity.estimate import estimate
from infercost.core.catalog import load_catalog
from infercost.core.io import dumps
from infercost.core.scenario import validate
from infercost.errors import InputError
from tests.strategies import bill_file, budget, scenarios, usage_file

CAT = load_catalog()


def _estimate(d: dict):
    return estimate(validate(copy.deepcopy(d), "scenario.yaml"), CAT)


def _assert_sums_exact(d: dict) -> None:
    """`--json` money: each total is the exact sum of the components' strings."""
    comps = d["components"]
    with localcontext() as ctx:
        ctx.prec = 100  # the check itself must not round
        for key in ("period_cost", "monthly_cost", "per_inference"):
            parts = sum((Decimal(c[key]) for c in comps), Decimal(0))
            assert parts == Decimal(d["total"][key]), (key, parts, d["total"][key])
        # per 1k inferences is the per-inference total x 1000, exactly
        assert Decimal(d["total"]["per_1k_inferences"]) == \
            Decimal(d["total"]["per_inference"]) * 1000


@budget(60)
@given(scenarios())
def test_estimate_returns_or_refuses_cleanly(sc):
    try:
        r = _estimate(sc)
    except InputError as e:
        assert e.line().startswith("error: ") and "\n" not in e.line()
        event(f"refused: {e.message[:40]}")
        return
    d = json.loads(dumps(r.to_dict()))  # what --json prints
    _assert_sums_exact(d)
    for c in d["components"]:
        assert Decimal(c["period_cost"]) >= 0, c  # no component of a scenario is a credit


@budget(25)
@given(scenarios())
def test_simulate_returns_or_refuses_cleanly(sc):
    from infercost.sim.run import simulate

    try:
        s = validate(copy.deepcopy(sc), "scenario.yaml")
        r = simulate(s, CAT, seed=1)
    except InputError as e:
        assert e.line().startswith("error: ") and "\n" not in e.line()
        event(f"refused: {e.message[:40]}")
        return
    d = json.loads(dumps(r.to_dict()))
    if r.cost is not None:
        _assert_sums_exact(r.cost.to_dict())
    assert d["requests"]["served"] <= d["requests"]["arrived"]


@budget(8)
@given(scenarios(), st.sampled_from(["estimate", "simulate"]))
def test_cli_exit_code_is_0_or_2_with_one_line(cli, sc, command):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_text(yaml.safe_dump(sc, sort_keys=False))
        code, out, err = cli(command, path, "--json")
    assert code in (0, 2), err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err
    else:
        json.loads(out)


@budget(40)
@given(scenarios(rate=1.0, price_override=True), st.floats(1.01, 8))
def test_more_traffic_never_costs_less(sc, k):
    lo = copy.deepcopy(sc)
    hi = copy.deepcopy(sc)
    hi["workload"]["arrivals"]["rate_per_s"] = 1.0 * k
    try:
        a = _estimate(lo).breakdown
        b = _estimate(hi).breakdown
    except InputError:
        assume(False)
    assert b.total.amount >= a.total.amount, (a.to_dict()["components"], b.to_dict()["components"])
    assert b.inferences >= a.inferences


@pytest.fixture(scope="module")
def con():
    from infercost.ingest.backends import connect

    return connect("duckdb")


@budget(15)
@given(bill=bill_file(),
       usage=st.one_of(usage_file(valid_only=True), usage_file(valid_only=True), usage_file()),
       rules=st.fixed_dictionaries({
           "driver": st.sampled_from(["duration_ms", "tokens", "requests", "capacity"]),
           "idle": st.sampled_from(["report", "share"]),
           "shared": st.sampled_from(["report", "requests", "cost", "even"]),
           "cost_basis": st.sampled_from(["EffectiveCost", "BilledCost"])}))
def test_attribution_conserves_any_bill_or_refuses(con, bill, usage, rules):
    from infercost.allocation.run import run_attribution

    (bname, bdata, _fmt), (uname, udata) = bill, usage
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        (t / bname).write_bytes(bdata)
        (t / uname).write_bytes(udata)
        (t / "rules.yaml").write_text(yaml.safe_dump(rules))
        try:
            s = run_attribution(t / bname, t / uname, t / "out", rules=t / "rules.yaml", con=con,
                                write_requests=False)
        except InputError as e:
            assert e.line().startswith("error: ") and "\n" not in e.line()
            assert not (t / "out").exists()  # nothing half-written
            event(f"refused: {e.message[:40]}")
            return
        c = s["conservation"]
        assert c["holds"], c
        tot = s["totals"]
        parts = sum((Decimal(str(tot[k])) for k in ("allocated", "idle", "shared", "unallocated")),
                    Decimal(0))
        assert parts == Decimal(str(tot["bill"])), tot
