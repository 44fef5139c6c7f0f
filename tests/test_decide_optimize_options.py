"""optimize's --mig and --hardware: what a profile applies to, said in a note."""

from __future__ import annotations

import pytest

from infercost.decide.grid import check_mig
from infercost.errors import InputError


def test_mig_note_names_the_gpus_searched_whole():
    assert check_mig(["1g.10gb"], ["h100-sxm", "t4"], []) == [
        "--mig applies to h100-sxm; t4 (no MIG slices) searched whole"]
    assert check_mig(["1g.10gb"], ["h100-sxm"], []) == []


def test_mig_whole_gpu_and_absent_profile_refused():
    with pytest.raises(InputError, match="7g.80gb is a whole GPU"):
        check_mig(["7g.80gb"], ["h100-sxm"], [])
    with pytest.raises(InputError, match="none of the hardware searched has MIG slices"):
        check_mig(["1g.10gb"], ["t4", "l4"], [])
    # 1g.5gb is a profile of the A100 40GB only
    with pytest.raises(InputError, match="1g.5gb: no hardware searched has that slice; allowed here: "
                                         "1g.10gb, 1g.20gb, 2g.20gb, 3g.40gb, 4g.40gb"):
        check_mig(["1g.5gb"], ["h100-sxm"], [])


def test_engine_calibration_file_is_searched_fixed(cli):
    # an existing calibration file given to --engine: every configuration uses it
    import json
    from pathlib import Path

    calib = Path(__file__).parents[1] / "src" / "infercost" / "perf" / "data" / "cpu-minilm-l6-v2.jsonl"
    bert = Path(__file__).parent / "data" / "bad" / "optimize" / "bert.yaml"
    code, out, err = cli("optimize", bert, "--no-simulate", "--hardware", "t4", "--engine", str(calib),
                         "--json")
    assert code == 0, err
    d = json.loads(out)
    assert {c["engine"] for c in [d["winner"], *d["runners_up"]]} == {str(calib)}
    assert any(n.startswith("--engine is a calibration file") for n in d["notes"])


_MEASURED = {
    "name": "measured", "currency": "USD",
    "workload": {"arrivals": {"process": "poisson", "rate_per_s": 15}, "duration_s": 3600, "request": {}},
    "service": {"distribution": "constant", "mean_ms": 100, "per_item_ms": 100},
    "deployment": {"hardware": "l4", "replicas": 4,
                   "pricing": {"provider": "aws", "plan": "on-demand", "price_per_gpu_hour": 2},
                   "batching": {"max_batch": 1}},
    "slo": {"p99_latency_ms": 1000},
}


@pytest.mark.parametrize("args, where, says", [
    (["--hardware", "nope"], "--hardware", "unknown hardware 'nope'"),
    (["--hardware", "t4"], "--hardware", "service: is measured on deployment.hardware l4, which stays fixed"),
    (["--hardware", "a100-80gb-sxm:1g.10gb"], "--hardware", "--hardware a100-80gb-sxm:1g.10gb cannot be searched"),
    (["--mig", "1g.10gb", "--hardware", "l4"], "--mig", "1g.10gb: none of the hardware searched has MIG slices"),
    (["--mig", "1g.10gb", "--set", "deployment.hardware=h100-sxm"], "--mig",
     "service: is measured on the whole h100-sxm, which stays fixed: MIG slices are not searched"),
    (["--mig", "9g.1gb"], "--mig", "unknown MIG profile '9g.1gb'"),
])
def test_measured_service_scenario_checks_hardware_and_mig_flags(tmp_path, cli, args, where, says):
    import yaml

    f = tmp_path / "measured.yaml"
    f.write_text(yaml.safe_dump(_MEASURED))
    code, out, err = cli("optimize", f, "--no-simulate", *args)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {where}: ") and says in err and err.count("\n") == 1
    code, out, err = cli("optimize", f, "--no-simulate", "--hardware", "l4", "--json")
    assert code == 0, err  # its own hardware is allowed


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_quality_floor_not_a_finite_number_exits_2(cli, value):
    code, out, err = cli("optimize", "examples/sentiment-bert.yaml", "--no-simulate", "--quality-floor", value)
    assert code == 2 and err == f"error: --quality-floor: expected a finite number, got {float(value)}\n"


def test_cheapest_plans_show_the_simulation_of_their_fleet():
    from infercost.cli.optimize import optimize_tables
    from infercost.core.catalog import load_catalog
    from infercost.core.scenario import validate
    from infercost.decide.optimize import optimize

    res = optimize(validate(_MEASURED, "measured"), load_catalog(), finalists=4, runners_up=3,
                   sim_requests=2000, autoscale=False)
    fin = {c.label: c for c in res.finalists}
    assert [c.label for c in res.runners_up] and all(c.label in fin for c in res.runners_up)
    for c in res.runners_up:  # the same fleet, simulated once: one verdict in every table
        assert c.sim == fin[c.label].sim and c.slo_met is fin[c.label].slo_met is True
    d = res.to_dict()
    top, finalists = optimize_tables(d)[0], optimize_tables(d)[-1]
    verdict = {r[0]: r[-1] for r in finalists.rows}
    assert [r[-1] for r in top.rows] == [verdict[r[0]] for r in top.rows] == ["yes"] * len(top.rows)
