"""A relative file path in a scenario file is read from that file's folder, whichever
form of an option's `set:` names it: the dotted key, or inside a mapping set as a whole
(`workload.arrivals: {process: trace, path: ...}`, `workload: {arrivals: ...}`,
`deployment: {engine: ...}`)."""

from __future__ import annotations

import json
from pathlib import Path

from infercost.core.scenario import apply_option, load_scenario, resolve_file_keys

SCENARIO = """name: replay
currency: USD
workload:
  arrivals: {process: poisson, rate_per_s: 5}
  duration_s: 100
service: {distribution: exponential, mean_ms: 20}
deployment: {hardware: h100-sxm, replicas: 1, batching: {max_batch: 1}}
options:
  - name: dotted
    set: {workload.arrivals.path: sub/trace.csv, workload.arrivals.process: trace}
  - name: mapping
    set: {workload.arrivals: {process: trace, path: sub/trace.csv}}
  - name: workload
    set: {workload: {arrivals: {process: trace, path: sub/trace.csv}, duration_s: 100}}
"""


def test_a_mapping_set_by_an_option_has_its_paths_joined_to_the_scenario_folder(tmp_path):
    sub = tmp_path / "scen"
    (sub / "sub").mkdir(parents=True)
    (sub / "cal.jsonl").write_text("")
    (sub / "s.yaml").write_text(SCENARIO)
    sc = load_scenario(sub / "s.yaml")
    want = str(sub / "sub" / "trace.csv")
    for name in ("dotted", "mapping", "workload"):
        assert apply_option(sc, name).workload.arrivals.path == want, name
    raw = {"options": [{"name": "e", "set": {"deployment": {"engine": "cal.jsonl"}}},
                       {"name": "n", "set": {"deployment": {"engine": "vllm@0.10"}}}]}
    out = resolve_file_keys(raw, sub)
    assert out["options"][0]["set"]["deployment"]["engine"] == str(sub / "cal.jsonl")
    assert out["options"][1]["set"]["deployment"]["engine"] == "vllm@0.10"  # a name
    assert raw["options"][0]["set"]["deployment"]["engine"] == "cal.jsonl"  # unchanged




def test_simulate_reads_the_same_trace_from_any_folder(tmp_path, monkeypatch, cli):
    sub = tmp_path / "scen"
    (sub / "sub").mkdir(parents=True)
    (sub / "sub" / "trace.csv").write_text(
        "timestamp\n2026-10-01T00:00:00Z\n2026-10-01T00:00:01Z\n")
    (sub / "s.yaml").write_text(SCENARIO)
    other = tmp_path / "elsewhere"
    (other / "sub").mkdir(parents=True)  # a 3-request trace at the same relative path
    (other / "sub" / "trace.csv").write_text(
        "timestamp\n2026-10-01T00:00:00Z\n2026-10-01T00:00:01Z\n2026-10-01T00:00:02Z\n")
    monkeypatch.chdir(other)
    for option in ("dotted", "mapping"):
        code, out, err = cli("simulate", "../scen/s.yaml", "--option", option,
                              "--json")
        assert code == 0, err
        assert json.loads(out)["requests"]["arrived"] == 2, option  # the scenario's 2
    assert Path.cwd() == other


def test_a_missing_set_trace_path_gets_no_scenario_folder_hint(tmp_path, monkeypatch, cli):
    sub = tmp_path / "project"
    sub.mkdir()
    (sub / "t.yaml").write_text(SCENARIO.replace(
        "{process: poisson, rate_per_s: 5}", "{process: trace, path: missing.csv}"))
    monkeypatch.chdir(tmp_path)
    # typed on the command line: read from the current folder, and said so
    for typed in ("workload.arrivals.path=./typed-1.csv",
                  "workload.arrivals={process: trace, path: typed-2.csv}"):
        code, out, err = cli("simulate", "project/t.yaml", "--set", typed)
        name = "typed-1.csv" if "typed-1" in typed else "typed-2.csv"
        assert (code, out) == (2, "")
        assert err == (f"error: project/t.yaml: workload.arrivals.path: {name}: trace file "
                       "not found (a path typed with --set is read from the current "
                       "folder)\n")
    # written in the scenario file: read from its folder, and said so
    code, out, err = cli("simulate", "project/t.yaml")
    assert err == ("error: project/t.yaml: workload.arrivals.path: project/missing.csv: "
                   "trace file not found (a relative path in a scenario file is read from "
                   "that file's folder)\n")
