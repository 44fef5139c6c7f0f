"""Input faults found by fresh users, each refused (or read) the way a user counts:

- a trace CSV row with fewer (or more) fields than its header is refused, naming the
  file, the row (the header is row 1) and "expected N fields, got M";
- a relative `workload.arrivals.path` (and a calibration file in `deployment.engine`)
  is read from the scenario file's folder, and trace errors name that key;
- files that are not UTF-8 are named by row or line and column (or JSON key), never by
  a byte position; JSON errors by line, never by character offset; values are shown as
  Python shows them (`1.5`, not `np.float64(1.5)`);
- `--counts-resource` loses invisible format characters (Unicode Cf) at its ends like
  whitespace, and refuses one (or a control character) inside.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infercost.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad" / "ingest"

SCENARIO = """\
name: replay
currency: USD
workload:
  arrivals: {{process: trace, path: {path}}}
  duration_s: 100
service: {{distribution: exponential, mean_ms: 20}}
deployment:
  hardware: h100-sxm
  replicas: 1
  batching: {{max_batch: 1}}
"""
LOG = "timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n2026-10-01T00:00:01Z,6\n"




def _err(fn, *args, **kwargs) -> InputError:
    with pytest.raises(InputError) as e:
        fn(*args, **kwargs)
    return e.value


# ---------------------------------------------------------------- 1a: short trace rows


def test_a_trace_row_with_fewer_fields_than_the_header_is_refused(tmp_path):
    from infercost.ingest.trace import read_trace

    # header (row 1) has 3 fields; row 3 has 2: its output_tokens was read as empty (0)
    p = tmp_path / "log.csv"
    p.write_text("timestamp,input_tokens,output_tokens\n"
                 "2026-10-01T00:00:00Z,5,7\n"
                 "2026-10-01T00:00:01Z,6\n")
    e = _err(read_trace, p)
    assert (e.where, e.message) == (
        f"{p}: row 3", "expected 3 fields, got 2 (rows counted from the header, row 1)")
    # a blank line is a row as a user counts lines (row 4 here), and a wider row is the
    # same kind: refused by the same check, not by pandas' "line N, saw M"
    p.write_text("timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n\n2026-10-01T00:00:01Z,6,x\n")
    e = _err(read_trace, p)
    assert (e.where, e.message) == (
        f"{p}: row 4", "expected 2 fields, got 3 (rows counted from the header, row 1)")
    # a quoted newline keeps a record one row: the short record after it is row 4
    p.write_text('timestamp,note\n2026-10-01T00:00:00Z,"a\nb"\n2026-10-01T00:00:01Z,x\n'
                 "2026-10-01T00:00:02Z\n")
    assert _err(read_trace, p).where == f"{p}: row 4"
    # compressed logs alike
    g = tmp_path / "log.csv.gz"
    g.write_bytes(gzip.compress(b"timestamp,input_tokens\n2026-10-01T00:00:00Z\n"))
    e = _err(read_trace, g)
    assert (e.where, e.message[:25]) == (f"{g}: row 2", "expected 2 fields, got 1 ")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(widths=st.lists(st.integers(1, 4), min_size=1, max_size=6))
def test_a_trace_is_read_only_when_every_row_has_the_header_fields(tmp_path, widths):
    from infercost.ingest.trace import read_trace

    # header: timestamp plus 2 columns (3 fields); row k+2 has widths[k] fields
    p = tmp_path / "w.csv"
    rows = [",".join([f"2026-10-01T00:00:{k:02d}Z"] + ["1"] * (w - 1))
            for k, w in enumerate(widths)]
    p.write_text("timestamp,input_tokens,output_tokens\n" + "\n".join(rows) + "\n")
    first_bad = next((k for k, w in enumerate(widths) if w != 3), None)
    if first_bad is None:
        assert len(read_trace(p).seconds) == len(widths)
    else:
        e = _err(read_trace, p)
        assert e.where == f"{p}: row {first_bad + 2}"
        assert e.message.startswith(f"expected 3 fields, got {widths[first_bad]} ")


def test_simulate_refuses_a_short_trace_row_in_one_line(tmp_path, monkeypatch, cli):
    (tmp_path / "log.csv").write_text(LOG + "2026-10-01T00:00:02Z\n")
    (tmp_path / "t.yaml").write_text(SCENARIO.format(path="log.csv"))
    monkeypatch.chdir(tmp_path)
    for verb in ("simulate", "estimate"):
        code, out, err = cli(verb, "t.yaml")
        assert (code, out) == (2, "")
        assert err == ("error: t.yaml: workload.arrivals.path: log.csv: row 4: expected 2 "
                       "fields, got 1 (rows counted from the header, row 1)\n")


# ---------------------------------------------------------------- 1b: trace path


def test_a_relative_trace_path_is_read_from_the_scenario_folder(tmp_path, monkeypatch, cli):
    sub = tmp_path / "project"
    (sub / "logs").mkdir(parents=True)
    (sub / "logs" / "log.csv").write_text(LOG)
    (sub / "t.yaml").write_text(SCENARIO.format(path="logs/log.csv"))
    monkeypatch.chdir(tmp_path)  # not the scenario's folder: logs/log.csv is not here
    code, out, err = cli("simulate", "project/t.yaml", "--json")
    assert code == 0, err
    assert json.loads(out)["requests"]["arrived"] == 2
    code, out, err = cli("estimate", "project/t.yaml", "--json")
    assert code == 0, err
    # and from the scenario's own folder, the same file
    monkeypatch.chdir(sub)
    code, out, err = cli("simulate", "t.yaml", "--json")
    assert code == 0 and json.loads(out)["requests"]["arrived"] == 2, err


def test_a_missing_trace_names_the_key_and_the_folder_it_was_read_from(tmp_path, monkeypatch, cli):
    sub = tmp_path / "project"
    sub.mkdir()
    (tmp_path / "log.csv").write_text(LOG)  # in the current folder, not the scenario's
    (sub / "t.yaml").write_text(SCENARIO.format(path="log.csv"))
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("simulate", "project/t.yaml")
    assert (code, out) == (2, "")
    assert err == ("error: project/t.yaml: workload.arrivals.path: project/log.csv: trace "
                   "file not found (a relative path in a scenario file is read from that "
                   "file's folder)\n")


def test_a_set_trace_path_stays_relative_to_the_current_folder(tmp_path, monkeypatch, cli):
    sub = tmp_path / "project"
    sub.mkdir()
    (tmp_path / "other.csv").write_text(LOG + "2026-10-01T00:00:02Z,7\n")
    (sub / "t.yaml").write_text(SCENARIO.format(path="missing.csv"))
    monkeypatch.chdir(tmp_path)
    # a value typed on the command line means the folder it is typed in
    code, out, err = cli("simulate", "project/t.yaml", "--json",
                          "--set", "workload.arrivals.path=other.csv")
    assert code == 0, err
    assert json.loads(out)["requests"]["arrived"] == 3


def test_file_keys_in_a_scenario_and_its_options_are_joined_to_its_folder(tmp_path):
    from infercost.core.scenario import load_scenario, resolve_file_keys

    sub = tmp_path / "p"
    sub.mkdir()
    (sub / "cal.jsonl").write_text("")
    text = SCENARIO.format(path="logs/a.csv") + (
        "options:\n  - {name: b, set: {workload.arrivals.path: logs/b.csv, "
        "deployment.batching.max_batch: 2}}\n")
    (sub / "t.yaml").write_text(text)
    sc = load_scenario(sub / "t.yaml")
    assert sc.workload.arrivals.path == str(sub / "logs" / "a.csv")
    assert sc.options[0].set == {"workload.arrivals.path": str(sub / "logs" / "b.csv"),
                                 "deployment.batching.max_batch": 2}
    raw = {"workload": {"arrivals": {"process": "trace", "path": "a.csv"}},
           "deployment": {"engine": "cal.jsonl"}}
    out = resolve_file_keys(raw, sub)
    assert out["workload"]["arrivals"]["path"] == str(sub / "a.csv")
    assert out["deployment"]["engine"] == str(sub / "cal.jsonl")  # a file there
    assert raw["workload"]["arrivals"]["path"] == "a.csv"  # the input is not changed
    # an engine name, or a calibration path that is not in the scenario's folder, is
    # kept as given; absolute paths and the current folder's scenarios are unchanged
    for engine in ("vllm@0.10", "optimized", "elsewhere/cal.jsonl"):
        assert resolve_file_keys({"deployment": {"engine": engine}}, sub) == {
            "deployment": {"engine": engine}}
    absolute = {"workload": {"arrivals": {"path": str(tmp_path / "x.csv")}}}
    assert resolve_file_keys(absolute, sub) == absolute
    assert resolve_file_keys(raw, Path(".")) is raw


def test_the_example_calibration_file_is_found_from_any_folder(tmp_path, monkeypatch):
    from infercost.core.scenario import load_scenario

    monkeypatch.chdir(tmp_path)
    sc = load_scenario(ROOT / "examples" / "service" / "scenario.yaml")
    assert sc.deployment.engine == str(ROOT / "examples" / "service" / "calibration.jsonl")


# ---------------------------------------------------------------- 1c: rows, not bytes


def test_a_trace_that_is_not_utf8_is_named_by_row_and_column(tmp_path):
    from infercost.ingest.trace import read_trace

    p = tmp_path / "log.csv"  # Latin-1 e-acute (0xe9) in row 3's input_tokens
    p.write_bytes(b"timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n2026-10-01T00:00:01Z,\xe9\n")
    e = _err(read_trace, p)
    assert (e.where, e.message) == (
        f"{p}: row 3", "column input_tokens: not UTF-8 (byte 0xe9; expected UTF-8 text)")
    # a short row before the bad byte is the first problem, and is named
    p.write_bytes(b"timestamp,input_tokens\n2026-10-01T00:00:00Z\n2026-10-01T00:00:01Z,\xe9\n")
    assert _err(read_trace, p).where == f"{p}: row 2"
    j = tmp_path / "log.jsonl"
    j.write_bytes(b'{"timestamp": "2026-10-01T00:00:00Z"}\n'
                  b'{"timestamp": "2026-10-01T00:00:01Z", "tenant": "caf\xe9"}\n')
    e = _err(read_trace, j)
    assert (e.where, e.message) == (
        f"{j}: line 2", "key tenant: not UTF-8 (byte 0xe9; expected UTF-8 text)")
    assert "position" not in str(e) and "codec" not in str(e)


def test_trace_values_are_shown_as_python_shows_them(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from infercost.errors import shown
    from infercost.ingest.trace import read_trace

    p = tmp_path / "log.parquet"
    pq.write_table(pa.table({"timestamp": ["2026-10-01T00:00:00Z", "2026-10-01T00:00:01Z"],
                             "input_tokens": [5.0, 1.5]}), p)
    e = _err(read_trace, p)
    assert e.message == "row 2: column input_tokens: expected a whole number >= 0, got 1.5"
    assert shown(np.float64(1.5)) == "1.5" and shown(np.int64(3)) == "3"
    assert shown("a") == "'a'" and shown(None) == "None"
    assert shown(np.datetime64("2026-10-01T00:00:00")) == "'2026-10-01T00:00:00'"


def test_a_numpy_override_is_shown_as_a_number(tmp_path):
    from infercost import api

    e = _err(api.load_scenario, ROOT / "examples" / "chatbot.yaml",
             workload__duration_s=np.float64(-1.5))
    assert e.message.endswith("(got -1.5)"), e.message


def test_counts_files_name_the_line_and_column_not_a_byte(tmp_path):
    from infercost.ingest.counts import read_counts

    p = tmp_path / "c.csv"  # line 2 (the first data row), column tenant
    p.write_bytes(b"period_start,period_s,resource_id,tenant,requests\n"
                  b"2026-10-01T00:00:00Z,3600,i-1,caf\xe9,5\n")
    e = _err(read_counts, p)
    assert (e.where, e.message) == (
        f"{p}: line 2", "column tenant: not UTF-8 (byte 0xe9; expected UTF-8 text)")
    j = tmp_path / "cw.json"  # a trailing comma on line 3: named by line, not by char
    j.write_text('{"MetricDataResults": [\n{"Label": "Invocations", "Timestamps": [], '
                 '"Values": []}\n,]}\n')
    e = _err(read_counts, j, resource="r", period_s=60)
    assert (e.where, e.message) == (f"{j}: line 3", "invalid JSON: expecting value at column 2")
    j.write_bytes(b'{"MetricDataResults": [{"Label": "Invocations\xe9"}]}\n')
    e = _err(read_counts, j, resource="r", period_s=60)
    assert e.where == f"{j}: line 1" and e.message.startswith("key MetricDataResults[0].Label")


def test_otlp_spans_that_are_not_utf8_name_the_line_and_key(tmp_path):
    from infercost.ingest.spans import read_priced_spans

    p = tmp_path / "s.jsonl"
    p.write_bytes(b'{"resourceSpans": []}\n{"resourceSpans": [{"resource": {"attributes": '
                  b'[]}, "scopeSpans": [{"spans": [{"name": "ch\xe9t"}]}]}]}\n')
    e = _err(read_priced_spans, [p])
    assert (e.where, e.message) == (
        f"{p}: line 2", "key resourceSpans[0].scopeSpans[0].spans[0].name: not UTF-8 "
                        "(byte 0xe9; expected UTF-8 text)")


# ---------------------------------------------------------------- 2: --counts-resource

FORMAT_CHARS = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


@pytest.mark.parametrize("ch", FORMAT_CHARS)
def test_invisible_format_characters_at_the_ends_are_stripped(ch):
    from infercost.ingest.counts import clean_resource

    assert unicodedata.category(ch) == "Cf"
    assert clean_resource(f"{ch}i-0abc{ch}") == "i-0abc"
    assert clean_resource(f" {ch} i-0abc {ch}\t") == "i-0abc"
    e = _err(clean_resource, f"i-0{ch}abc")
    assert e.where == "--counts-resource"
    assert f"invisible character U+{ord(ch):04X}" in e.message
    assert e.message.startswith(f"expected a ResourceId (as in the bill), got 'i-0\\u{ord(ch):04x}abc'")
    assert _err(clean_resource, f"{ch} {ch}").message == (
        "expected a ResourceId (as in the bill), got an empty one")


@settings(max_examples=100, deadline=None)
@given(st.text(st.characters(categories=["Cf", "Zs"]), max_size=4),
       st.text(st.characters(categories=["Lu", "Ll", "Nd", "Pd"]), min_size=1, max_size=8),
       st.text(st.characters(categories=["Cf", "Zs"]), max_size=4))
def test_any_invisible_padding_comes_off(left, core, right):
    from infercost.ingest.counts import clean_resource

    assert clean_resource(left + core + right) == core


@pytest.mark.parametrize("ch", ["\u00a0", "\u2009", "\u3000", "\n"])
def test_a_space_other_than_u0020_inside_is_refused(ch):
    """A no-break, thin or ideographic space (or a newline) inside a ResourceId is as
    unseen as a format character: refused, naming it; a plain space is kept."""
    from infercost.ingest.counts import clean_resource

    e = _err(clean_resource, f"i-0{ch}abc")
    assert e.where == "--counts-resource"
    assert e.message.startswith(
        f"expected a ResourceId (as in the bill), got 'i-0\\u{ord(ch):04x}abc', which "
        f"holds the invisible character U+{ord(ch):04X} (")
    assert clean_resource(f"{ch}i-0 abc{ch}") == "i-0 abc"


def test_a_control_character_inside_is_refused():
    from infercost.ingest.counts import clean_resource

    e = _err(clean_resource, "i-0\tabc")
    assert "U+0009" in e.message


def test_a_zero_width_space_in_counts_resource_still_joins_the_bill(tmp_path, cli):
    # counts.csv: 5 requests on i-1 in the bill's hour; the bill: 2.5 USD of i-1 and
    # 0.2 USD of tax. With "i-1" + U+200B nothing joined (allocated 0, exit 0) before.
    out = tmp_path / "o"
    code, stdout, err = cli("attribute", "--bill", str(BAD / "bill.csv"), "--counts",
                             str(BAD / "counts.csv"), "--counts-resource", "i-1\u200b",
                             "--out", str(out), "--json")
    assert code == 0, err
    s = json.loads(stdout)
    assert s["totals"]["allocated"] == "2.5"
    assert s["rows"]["usage_without_bill_row"] == 0
    code, stdout, err = cli("attribute", "--bill", str(BAD / "bill.csv"), "--counts",
                             str(BAD / "counts.csv"), "--counts-resource", "i-\u200b1",
                             "--out", str(tmp_path / "o2"))
    assert (code, stdout) == (2, "")
    assert err.startswith("error: --counts-resource: expected a ResourceId")
    assert not (tmp_path / "o2").exists()


def test_a_scenario_that_is_not_utf8_names_its_line(tmp_path):
    from infercost.core.scenario import load_scenario

    p = tmp_path / "s.yaml"
    p.write_bytes(b"name: x\ncurrency: USD\n# caf\xe9\n")
    e = _err(load_scenario, p)
    assert (e.where, e.message) == (
        f"{p}: line 3", "not a text file (expected UTF-8 YAML): byte 0xe9 is not UTF-8")


def test_a_scenario_taken_from_git_reads_its_trace_beside_the_working_copy(tmp_path, monkeypatch):
    import shutil
    import subprocess

    from infercost.decide.gitfiles import changed_scenarios

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "svc" / "logs").mkdir(parents=True)
    (repo / "svc" / "logs" / "log.csv").write_text(LOG)
    scenario = repo / "svc" / "t.yaml"
    scenario.write_text(SCENARIO.format(path="logs/log.csv"))

    def git(*a):
        subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", *a], cwd=repo,
                       check=True, capture_output=True)
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "base")
    scenario.write_text(SCENARIO.format(path="logs/log.csv").replace("replicas: 1", "replicas: 2"))
    monkeypatch.chdir(repo)
    # the base version is read from a temporary copy: its trace is still the one in svc/
    [(name, base, head)], _ = changed_scenarios("HEAD")
    top = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=repo,
                              capture_output=True, text=True).stdout.strip())
    want = str(top / "svc" / "logs" / "log.csv")
    assert (name, base.workload.arrivals.path, head.workload.arrivals.path) == (
        "svc/t.yaml", want, want)
    assert (base.deployment.replicas, head.deployment.replicas) == (1, 2)
