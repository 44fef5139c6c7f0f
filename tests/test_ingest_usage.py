"""Usage logs (CSV, Parquet, JSON lines) and OTel GenAI spans onto usage rows."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from infercost.errors import InputError
from infercost.ingest.backends import connect
from infercost.ingest.usage import read_usage

ROWS = [
    {"timestamp": "2026-10-01T02:30:00+02:00", "request_id": "a", "model": "m",
     "model_version": "1", "endpoint": "/e", "tenant": "t", "resource_id": "i-1",
     "duration_ms": "12.5", "input_tokens": "10", "output_tokens": "3"},
    {"timestamp": "2026-10-01 01:00:00", "request_id": "b", "model": "m", "model_version": "1",
     "endpoint": "/e", "tenant": "t", "resource_id": "i-1", "duration_ms": "7",
     "input_tokens": "", "output_tokens": "4"},
]


@pytest.fixture(scope="module")
def con():
    return connect("duckdb")


def _frame(con, usage):
    return con.execute(usage.table.order_by("request_id"))


def test_csv_usage_with_offsets_and_blanks(tmp_path, con):
    p = tmp_path / "u.csv"
    pd.DataFrame(ROWS).to_csv(p, index=False)
    df = _frame(con, read_usage(con, p))
    assert [str(t) for t in df["timestamp"]] == ["2026-10-01 00:30:00", "2026-10-01 01:00:00"]
    assert list(df["duration_ms"]) == [12.5, 7.0]
    assert df["input_tokens"].iloc[0] == 10 and pd.isna(df["input_tokens"].iloc[1])


def test_jsonl_and_parquet_glob_and_directory(tmp_path, con):
    (tmp_path / "d").mkdir()
    for i, r in enumerate(ROWS):
        pd.DataFrame([{**r, "duration_ms": float(r["duration_ms"])}]).to_parquet(
            tmp_path / "d" / f"part-{i}.parquet")
    assert len(_frame(con, read_usage(con, tmp_path / "d"))) == 2
    assert len(_frame(con, read_usage(con, str(tmp_path / "d" / "*.parquet")))) == 2
    p = tmp_path / "u.jsonl"
    p.write_text("\n".join(json.dumps({**r, "duration_ms": float(r["duration_ms"])})
                           for r in ROWS) + "\n")
    df = _frame(con, read_usage(con, p))
    assert list(df["request_id"]) == ["a", "b"]
    assert str(df["timestamp"].iloc[0]) == "2026-10-01 00:30:00"


def test_missing_columns_are_named(tmp_path, con):
    p = tmp_path / "u.csv"
    pd.DataFrame([{k: v for k, v in ROWS[0].items() if k not in ("resource_id", "duration_ms")}]
                 ).to_csv(p, index=False)
    with pytest.raises(InputError) as e:
        read_usage(con, p)
    assert "resource_id" in str(e.value) and "duration_ms" in str(e.value)


@pytest.mark.parametrize("col,bad", [("timestamp", "not a time"), ("duration_ms", "fast")])
def test_unparsable_values_name_file_and_row(tmp_path, con, col, bad):
    rows = [dict(ROWS[1]), dict(ROWS[1]), {**ROWS[1], col: bad}]
    p = tmp_path / "u.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    with pytest.raises(InputError) as e:
        read_usage(con, p)
    assert f"{p}: row 3" in str(e.value) and col in str(e.value)


def test_no_such_file(tmp_path, con):
    with pytest.raises(InputError):
        read_usage(con, tmp_path / "nope.parquet")
    with pytest.raises(InputError):
        read_usage(con, str(tmp_path / "*.parquet"))


def _attr(k, v):
    if isinstance(v, int):
        return {"key": k, "value": {"intValue": str(v)}}
    return {"key": k, "value": {"stringValue": v}}


def otel_doc(spans, resource_attrs):
    return {"resourceSpans": [{
        "resource": {"attributes": [_attr(k, v) for k, v in resource_attrs.items()]},
        "scopeSpans": [{"scope": {"name": "vllm"}, "spans": spans}]}]}


def test_otel_spans_map_gen_ai_attributes(tmp_path, con):
    t0 = 1_790_812_800_000_000_000  # 2026-10-01T00:00:00Z in ns
    spans = [
        {"traceId": "t1", "spanId": "s1", "name": "chat llama", "startTimeUnixNano": str(t0),
         "endTimeUnixNano": str(t0 + 250_000_000), "status": {"code": 1},
         "attributes": [_attr("gen_ai.operation.name", "chat"),
                        _attr("gen_ai.request.model", "llama-3.1-8b"),
                        _attr("gen_ai.response.model", "llama-3.1-8b-instruct"),
                        _attr("gen_ai.response.id", "chatcmpl-1"),
                        _attr("gen_ai.usage.input_tokens", 120),
                        _attr("gen_ai.usage.output_tokens", 30),
                        _attr("tenant.id", "acme"), _attr("http.route", "/v1/chat")]},
        {"traceId": "t1", "spanId": "s2", "name": "db", "startTimeUnixNano": str(t0),
         "endTimeUnixNano": str(t0 + 1), "attributes": [_attr("db.system", "redis")]},
    ]
    p = tmp_path / "spans.json"
    p.write_text(json.dumps(otel_doc(spans, {"host.id": "i-1", "service.version": "2.1"})) + "\n")
    u = read_usage(con, p)
    df = _frame(con, u)
    assert len(df) == 1
    r = df.iloc[0]
    assert r["request_id"] == "chatcmpl-1" and r["model"] == "llama-3.1-8b-instruct"
    assert r["model_version"] == "2.1" and r["tenant"] == "acme" and r["endpoint"] == "/v1/chat"
    assert r["resource_id"] == "i-1" and r["duration_ms"] == 250.0
    assert r["input_tokens"] == 120 and r["output_tokens"] == 30 and r["status"] == "OK"
    assert str(r["timestamp"]) == "2026-10-01 00:00:00"
    assert "1 of 2 spans" in u.notes[0]


def test_trace_reader_one_reader_for_every_format(tmp_path):
    """The replay reader takes the formats `attribute` takes, and refuses bad token
    counts naming the row instead of replaying zeros."""
    import gzip

    from infercost.ingest.trace import read_trace, read_trace_tokens

    rows = [{"timestamp": "2026-10-01T00:00:00Z", "input_tokens": 10, "output_tokens": 2},
            {"timestamp": "2026-10-01T00:00:01.5Z", "input_tokens": 20, "output_tokens": 4}]
    arr = tmp_path / "t.json"
    arr.write_text(json.dumps(rows, indent=2))
    gz = tmp_path / "t.jsonl.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write("\n".join(json.dumps(r) for r in rows) + "\n")
    for p in (arr, gz):
        t = read_trace(p)
        assert list(t.seconds) == [0.0, 1.5]
        assert list(t.input_tokens) == [10, 20] and list(t.output_tokens) == [2, 4]
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n2026-10-01T00:00:01Z,-3\n")
    with pytest.raises(InputError) as e:
        read_trace_tokens(bad, 2)
    assert "row 3" in str(e.value) and "input_tokens" in str(e.value)  # header = row 1


@pytest.mark.parametrize("itype", ["int64", "int32", "uint64"])
def test_integer_token_columns_keep_counts_below_2_53(tmp_path, con, itype):
    # Parquet integer tokens take the integer path; it must keep exactly what the float
    # path keeps: |v| < 2**53 is a count, anything at or beyond it is unknown (null)
    import pyarrow as pa
    import pyarrow.parquet as pq

    vals = [0, 7, 2**53 - 1, 2**53, 2**63 - 1] if itype != "int32" else [0, 7, 2**31 - 1]
    if itype == "int64":
        vals += [-(2**53) + 1, -(2**53), -(2**63)]
    n = len(vals)
    t = pa.table({"timestamp": pa.array([pd.Timestamp("2026-10-01")] * n, pa.timestamp("us")),
                  "request_id": [f"r{i:02d}" for i in range(n)],
                  "resource_id": ["i-1"] * n, "duration_ms": [1.0] * n,
                  "input_tokens": pa.array(vals, getattr(pa, itype)()),
                  "output_tokens": pa.array([1] * n, pa.int64())})
    pq.write_table(t, tmp_path / "u.parquet")
    got = _frame(con, read_usage(con, tmp_path / "u.parquet"))["input_tokens"].tolist()
    want = [v if -(2**53) < v < 2**53 else None for v in vals]
    assert [None if pd.isna(x) else int(x) for x in got] == want


def test_json_lines_with_mixed_value_types_read_as_plain_text(tmp_path, con):
    # a field that is a JSON string on one row and a number or boolean on another: the
    # engine reads the column as JSON; its text must lose the quotes ("1" and 1 are one
    # tenant, one request id, one resource), and a quoted number still parses as one
    rows = [{"timestamp": "2026-10-01T00:10:00Z", "request_id": "a", "resource_id": "i-1",
             "duration_ms": 100, "tenant": "acme", "model_version": "1.10"},
            {"timestamp": "2026-10-01T00:11:00Z", "request_id": 1, "resource_id": 1234567,
             "duration_ms": "100.5", "tenant": 1, "model_version": 2},
            {"timestamp": "2026-10-01T00:12:00Z", "request_id": "1", "resource_id": "1234567",
             "duration_ms": 100, "tenant": "1", "model_version": "v2"},
            {"timestamp": "2026-10-01T00:13:00Z", "request_id": "null", "resource_id": "i-1",
             "duration_ms": 100, "tenant": True, "model_version": None}]
    p = tmp_path / "u.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    df = con.execute(read_usage(con, p).table.order_by("timestamp"))
    assert [None if pd.isna(x) else x for x in df["request_id"]] == ["a", "1", "1", None]
    assert df["tenant"].tolist() == ["acme", "1", "1", "true"]
    assert df["resource_id"].tolist() == ["i-1", "1234567", "1234567", "i-1"]
    assert [None if pd.isna(x) else x for x in df["model_version"]] == ["1.10", "2", "v2", None]
    assert df["duration_ms"].tolist() == [100.0, 100.5, 100.0, 100.0]
