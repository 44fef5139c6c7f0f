"""Trace (replayed usage log) reading as a user writes and counts it:

- column names are matched without regard to case, blanks or a BOM, as the usage reader
  of `attribute` matches them; two columns that read as one name are refused, both named;
- every row a CSV trace error names counts the header as row 1 and a blank line as a row
  (the count of the shape check), and an unclosed quote is named by its row.
"""

from __future__ import annotations

import pytest

from infercost.errors import InputError
from infercost.ingest.trace import read_trace


def _err(p) -> InputError:
    with pytest.raises(InputError) as e:
        read_trace(p)
    return e.value


def test_trace_columns_are_matched_without_regard_to_case(tmp_path):
    p = tmp_path / "log.csv"
    # these token columns were ignored (the scenario's means used instead)
    p.write_text("\ufeff Timestamp ,Input_Tokens,OUTPUT_TOKENS\n"
                 "2026-10-01T00:00:00Z,4000,800\n2026-10-01T00:00:01Z,10,20\n")
    t = read_trace(p)
    assert list(t.seconds) == [0.0, 1.0]
    assert list(t.input_tokens) == [4000, 10] and list(t.output_tokens) == [800, 20]


def test_trace_columns_matched_in_parquet_and_json_alike(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    q = tmp_path / "log.parquet"
    pq.write_table(pa.table({"TimeStamp": ["2026-10-01T00:00:00Z"], "Input_Tokens": [7]}), q)
    t = read_trace(q)
    assert list(t.input_tokens) == [7] and t.output_tokens is None
    j = tmp_path / "log.jsonl"
    j.write_text('{"Timestamp": "2026-10-01T00:00:00Z", "Output_Tokens": 9}\n')
    assert list(read_trace(j).output_tokens) == [9]


def test_two_columns_that_differ_only_in_case_are_refused_naming_both(tmp_path):
    p = tmp_path / "log.csv"
    p.write_text("timestamp,input_tokens,Input_Tokens\n2026-10-01T00:00:00Z,1,2\n")
    e = _err(p)
    assert e.where == str(p)
    assert e.message == ("columns 'input_tokens' and 'Input_Tokens' both read as "
                         "`input_tokens` (names are matched without regard to case); "
                         "expected one")


@pytest.mark.parametrize("text, row, message", [
    # header row 1, rows 2 and 3: the bad token count is in row 3 (was "row 2")
    ("timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n2026-10-01T00:00:01Z,x\n", 3,
     "column input_tokens: expected a whole number >= 0, got 'x'"),
    ("timestamp,input_tokens\n2026-10-01T00:00:00Z,5\nbogus,1\n", 3,
     "unparsable timestamp 'bogus'"),
    # rows 2, 3, 4: row 4 (00:00:01) is earlier than row 3 (00:00:05) (was "row 3")
    ("timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n2026-10-01T00:00:05Z,1\n"
     "2026-10-01T00:00:01Z,1\n", 4, "timestamps are not sorted (earlier than the row before)"),
    # rows 3 and 4 are blank lines: the bad cell is on row 5 (was "row 2")
    ("timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n\n\n2026-10-01T00:00:01Z,x\n", 5,
     "column input_tokens: expected a whole number >= 0, got 'x'"),
    # a quoted newline keeps row 2 one row; the quote opened on row 3 never closes
    ('timestamp,note\n2026-10-01T00:00:00Z,"a\nb"\n2026-10-01T00:00:01Z,"open\n', 3,
     'a quoted field is never closed (expected a closing " before the end of the file)'),
])
def test_csv_trace_rows_count_the_header_as_row_1(tmp_path, text, row, message):
    p = tmp_path / "log.csv"
    p.write_text(text)
    e = _err(p)
    assert (e.message, e.where) == (f"row {row}: {message}" if "quoted" not in message
                                    else message,
                                    str(p) if "quoted" not in message else f"{p}: row {row}")
    assert "pandas" not in e.message and "EOF" not in e.message
