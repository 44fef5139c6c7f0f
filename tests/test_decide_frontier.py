"""frontier: Pareto flags, routing value summed per segment, and the worked case."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost.decide.frontier import Point, Segment, best, mix, pareto, parse_segments, sweep
from infercost.errors import InputError

# The worked case (docs/decide.md). AUC in points (0-100). Monthly costs over today's model:
# large +500,000 for +0.5 points worth 200,000 a month -> value_per_point = 400,000;
# distilled +80,000 for +0.3 points (keeps 60% of the lift);
# the riskiest 5% of traffic holds 50% of the lift's value.
REF = Point("current", D(1_000_000), D("80.0"))
LARGE = Point("large", D(1_500_000), D("80.5"))
DISTILLED = Point("distilled", D(1_080_000), D("80.3"))
SEGS = [Segment("riskiest 5%", D("0.05"), D("0.5")), Segment("rest", D("0.95"), D("0.5"))]
VPP = D(400_000)


def test_worked_case():
    full = mix(D(1), LARGE, DISTILLED, REF, SEGS, VPP)
    # large for everyone: value 400,000 x 0.5 = 200,000; extra cost 500,000; net -300,000
    assert (full.value, full.extra_cost, full.net_value) == (D(200_000), D(500_000), D(-300_000))
    tiered = mix(D("0.05"), LARGE, DISTILLED, REF, SEGS, VPP)
    # riskiest 5% on large: 400,000 x 0.5 (lift share) x 0.5 (points) = 100,000
    # rest on distilled:    400,000 x 0.5 (lift share) x 0.3 (points) =  60,000
    assert tiered.value == D(160_000)
    assert tiered.value / full.value == D("0.8")  # 80% of the benefit
    # cost: 0.05 x 1,500,000 + 0.95 x 1,080,000 = 75,000 + 1,026,000 = 1,101,000 -> +101,000
    assert tiered.extra_cost == D(101_000)
    assert tiered.extra_cost / full.extra_cost == D("0.202")  # about 20% of the cost
    assert tiered.net_value == D(59_000)
    # the best split over the sweep is the segment boundary f = 0.05
    assert best(sweep(LARGE, DISTILLED, REF, SEGS, VPP)).fraction_large == D("0.05")


def test_value_is_a_sum_over_segments_not_a_mean_of_the_metric():
    # uniform lift (one segment): 5% on large is worth only 5% of its lift
    one = [Segment("all", D(1), D(1))]
    m = mix(D("0.05"), LARGE, REF, REF, one, VPP)
    assert m.value == D("0.05") * D(200_000)  # 10,000


def test_pareto_flags_dominated():
    pricey_worse = Point("pricey-worse", D(1_600_000), D("80.4"))
    pts = pareto([REF, LARGE, DISTILLED, pricey_worse])
    flags = {p.name: p.dominated_by for p in pts}
    assert flags == {"current": None, "large": None, "distilled": None, "pricey-worse": "large"}


def test_segments_must_sum_to_one():
    assert parse_segments("a:0.05:0.5, b:0.95:0.5")[0].traffic_share == D("0.05")
    with pytest.raises(InputError, match="sum to 1"):
        parse_segments("a:0.05:0.5,b:0.90:0.5")
    with pytest.raises(InputError, match="name:traffic_share:lift_share"):
        parse_segments("a:0.05")


shares = st.decimals(min_value=D("0.01"), max_value=D("0.99"), places=2)


@given(t=shares, lift=shares, f=st.decimals(min_value=D(0), max_value=D(1), places=3))
def test_mix_value_between_small_and_large(t, lift, f):
    segs = [Segment("r", t, lift), Segment("s", 1 - t, 1 - lift)]
    m = mix(f, LARGE, DISTILLED, REF, segs, VPP)
    lo = mix(D(0), LARGE, DISTILLED, REF, segs, VPP).value
    hi = mix(D(1), LARGE, DISTILLED, REF, segs, VPP).value
    assert lo <= m.value <= hi
    # when the first segment is the riskier (more lift per unit of traffic), routing it
    # first is worth at least a proportional (random) split
    if lift / t >= (1 - lift) / (1 - t):
        assert m.value >= lo + f * (hi - lo) - D("1e-12")


def test_cli_frontier_example_and_missing_quality(tmp_path, capsys):
    import json
    from pathlib import Path

    import yaml

    from infercost.cli import main

    ex = Path(__file__).parents[1] / "examples" / "fraud-tiers.yaml"
    main(["frontier", str(ex), "--json", "--value-per-point", "400000", "--large", "large",
          "--small", "distilled", "--segments", "riskiest:0.05:0.5,rest:0.95:0.5", "--steps", "4"])
    d = json.loads(capsys.readouterr().out)
    flags = {p["name"]: p["dominated_by"] for p in d["points"]}
    assert flags["large-fp32"] == "large" and flags["large"] is None  # same AUC, dearer
    fr = [m["fraction_large"] for m in d["routing"]["mixes"]]
    assert fr == ["0", "0.05", "0.25", "0.5", "0.75", "1"]  # 4 steps + the segment boundary
    # value at f = 0.05: 400,000 x (0.5 x 0.5 + 0.5 x 0.3) = 160,000, whatever the fleet costs
    assert d["routing"]["mixes"][1]["value"] == "160000"
    raw = yaml.safe_load(ex.read_text())
    raw["model"].pop("quality")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    import subprocess
    import sys

    env = {"PYTHONPATH": str(Path(__file__).parents[1] / "src"), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "infercost", "frontier", str(bad)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 2
    # the key path comes after the scenario file's name, as in every scenario command
    assert r.stderr.startswith(f"error: {bad}: model.quality: variant 'baseline' has no quality score")
    assert r.stderr.count("\n") == 1


@pytest.mark.parametrize("args,flag", [
    (["--value-per-point", "nan"], "--value-per-point"),
    (["--value-per-point", "inf"], "--value-per-point"),
    (["--value-per-point", "-Infinity"], "--value-per-point"),
    (["--value-per-point", "1e400"], "--value-per-point"),
    (["--value-per-point", "1", "--steps", "0"], "--steps"),
    (["--value-per-point", "1", "--steps", "-3"], "--steps"),
    (["--steps", "1001"], "--steps"),
])
def test_cli_frontier_bad_flag_is_one_line_naming_it(cli, args, flag):
    from tests.conftest import EXAMPLES

    code, out, err = cli("frontier", EXAMPLES / "fraud-tiers.yaml", *args)
    assert code == 2, (code, err)
    assert err.count("\n") == 1 and flag in err and "Traceback" not in err, err
    assert out == ""


def test_frontier_steps_bounds_in_the_api():
    from infercost.decide.frontier_run import MAX_STEPS, check_frontier_options

    assert MAX_STEPS == 1000
    check_frontier_options(D(1), 1)
    check_frontier_options(None, 1000)
    for steps in (0, -3, 1001):
        with pytest.raises(InputError, match="--steps: expected a whole number from 1 to 1000"):
            check_frontier_options(None, steps)
    with pytest.raises(InputError, match="--value-per-point: expected a finite amount"):
        check_frontier_options(D("NaN"), 20)
