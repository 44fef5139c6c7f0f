"""Bill readers, pinned value by value (mutation testing of the `ingest_bill` group).

Small FOCUS, CUR and GCP inputs written here (CSV text in tmp_path, a few records), with
exact Decimal totals worked out in comments, the exact one-line messages of refused input
(file, row, column, what was expected), and the cleaning rules (BOM, whitespace, NULL
spellings, case), compressed files, labels, credits, currencies, periods and time zones.
"""

from __future__ import annotations

import bz2
import gzip
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from infercost.errors import InputError
from infercost.ingest import bill as billmod
from infercost.ingest import billrows as br
from infercost.ingest import cur, focus, gcp
from infercost.ingest.bill import convert_currency, read_bill, sniff_format

FOCUS_HEAD = ("ProviderName,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,"
              "ChargePeriodStart,ChargePeriodEnd")
T0, T1 = "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _focus(tmp_path: Path, rows: list[str], head: str = FOCUS_HEAD,
           name: str = "focus.csv") -> Path:
    return _write(tmp_path, name, "\n".join([head, *rows]) + "\n")


def _err(fn, *args, **kw) -> InputError:
    with pytest.raises(InputError) as e:
        fn(*args, **kw)
    return e.value


def _nn(series: pd.Series) -> list:
    """The values with every missing one as None (pandas 3 infers text columns built from
    records as `str` with NaN for None)."""
    return [None if v is None or (isinstance(v, float) and v != v) else v for v in series]


# ---------------------------------------------------------------- Bill


def _bill_frame(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    df = pd.DataFrame({c: [None] * n for c in br.BILL_COLUMNS})
    for k, v in cols.items():
        df[k] = v
    return df


def test_bill_counts_currencies_totals_and_basis():
    df = _bill_frame(
        provider=["AWS", "AWS", None],
        currency=["USD", None, "EUR"],
        billed_cost=[Decimal("1.10"), Decimal("2.20"), Decimal("3")],
        effective_cost=[Decimal("1"), Decimal("2"), Decimal("0.5")],
        nrows=[1, 4, 2],
    )
    b = br.Bill(rows=df, sources=["a"], format="focus", rows_read=3)
    assert b.row_count == 7  # 1 + 4 + 2
    assert isinstance(b.row_count, int)
    assert b.currencies == ["EUR", "USD"]  # sorted, the missing one left out
    # EffectiveCost: AWS 1 + 2 = 3, no provider 0.5 under "(none)"
    assert b.totals() == {"AWS": Decimal("3"), "(none)": Decimal("0.5")}
    # BilledCost: AWS 1.10 + 2.20 = 3.30
    assert b.totals("BilledCost") == {"AWS": Decimal("3.30"), "(none)": Decimal("3")}
    assert b.totals("billed_cost", by="currency") == {
        "USD": Decimal("1.10"), "(none)": Decimal("2.20"), "EUR": Decimal("3")}
    assert list(b.cost()) == [Decimal("1"), Decimal("2"), Decimal("0.5")]
    assert list(b.cost("Billed")) == [Decimal("1.10"), Decimal("2.20"), Decimal("3")]
    assert b.notes == [] and b.reduced == []


@pytest.mark.parametrize("basis,col", [
    ("EffectiveCost", "effective_cost"), ("effective_cost", "effective_cost"),
    ("Effective", "effective_cost"), ("BilledCost", "billed_cost"),
    ("billed_cost", "billed_cost"), ("BILLED", "billed_cost"),
])
def test_basis_column_spellings(basis, col):
    assert br.basis_column(basis) == col


def test_basis_column_refuses_other_names():
    e = _err(br.basis_column, "ListCost")
    assert str(e) == "cost_basis: cost basis must be EffectiveCost or BilledCost, got 'ListCost'"


def test_bill_period_prefers_billing_then_charge_then_none():
    t = pd.Timestamp
    df = _bill_frame(
        billing_start=[t("2026-10-01"), t("2026-09-01")],
        billing_end=[t("2026-11-01"), t("2026-10-01")],
        charge_start=[t("2026-10-05"), t("2026-10-06")],
        charge_end=[t("2026-10-07"), t("2026-10-08")],
    )
    for c in ("billing_start", "billing_end", "charge_start", "charge_end"):
        df[c] = pd.to_datetime(df[c])
    b = br.Bill(rows=df, sources=[], format="focus", rows_read=2)
    assert b.period() == (t("2026-09-01"), t("2026-11-01"))  # min start, max end
    df["billing_end"] = pd.NaT
    assert b.period() == (t("2026-10-05"), t("2026-10-08"))
    df["billing_end"] = df["billing_start"]
    df["billing_start"] = pd.NaT
    assert b.period() == (t("2026-10-05"), t("2026-10-08"))
    df["charge_end"] = pd.NaT
    assert b.period() == (None, None)
    df["charge_end"] = df["charge_start"]
    df["charge_start"] = pd.NaT
    assert b.period() == (None, None)


# ---------------------------------------------------------------- paths and file kinds


def test_expand_paths_files_globs_and_folders(tmp_path):
    a = _write(tmp_path, "a.csv", "x\n1\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    b = _write(sub, "B.CSV", "x\n1\n")
    _write(sub, "notes.md", "not a bill")
    (tmp_path / "dir.csv").mkdir()  # a folder whose name matches the glob
    assert br.expand_paths(a, (".csv",)) == [a]
    assert br.expand_paths(str(a), (".csv",)) == [a]
    assert br.expand_paths([a, b], (".csv",)) == [a, b]
    # the folder is searched recursively, case-insensitively, for the extensions
    assert br.expand_paths(tmp_path, (".csv",)) == sorted([a, b])
    assert br.expand_paths(str(tmp_path / "*.csv"), (".csv",)) == [a]
    assert br.expand_paths(str(tmp_path / "**" / "*.CSV"), (".csv",)) == [b]
    assert br.expand_paths(str(tmp_path / "?.csv"), (".csv",)) == [a]
    assert br.expand_paths(str(tmp_path / "[a].csv"), (".csv",)) == [a]
    e = _err(br.expand_paths, str(tmp_path / "*.parquet"), (".csv",))
    assert (e.message, e.where) == ("no file matches this pattern", str(tmp_path / "*.parquet"))
    e = _err(br.expand_paths, sub, (".parquet", ".json"))
    assert (e.message, e.where) == ("directory holds no .parquet/.json file", str(sub))
    e = _err(br.expand_paths, tmp_path / "nope.csv", (".csv",))
    assert (e.message, e.where) == ("no such file or directory", str(tmp_path / "nope.csv"))
    e = _err(br.expand_paths, tmp_path / "NoX.csv", (".csv",))  # no wildcard in the name
    assert e.message == "no such file or directory"
    deep = tmp_path / "deep"
    (deep / "a" / "b").mkdir(parents=True)
    top, one, two = (_write(deep, "t.csv", "x\n"), _write(deep / "a", "o.csv", "x\n"),
                     _write(deep / "a" / "b", "w.csv", "x\n"))
    # `**` matches any depth, none included
    assert br.expand_paths(str(deep / "**" / "*.csv"), (".csv",)) == sorted([top, one, two])


@pytest.mark.parametrize("name,kind", [
    ("a.csv", "csv"), ("A.TSV", "csv"), ("a.txt", "csv"), ("a.csv.gz", "csv"),
    ("a.CSV.ZST", "csv"), ("a.csv.bz2", "csv"), ("a.parquet", "parquet"), ("a.pq", "parquet"),
    ("a.parquet.gz", "parquet"), ("a.json", "json"), ("a.jsonl", "json"),
    ("a.ndjson.gz", "json"),
])
def test_file_kind(name, kind):
    assert br.file_kind(Path(name)) == kind


def test_file_kind_refuses_other_names():
    e = _err(br.file_kind, Path("bill.xlsx"))
    assert str(e) == ("bill.xlsx: unknown file type (expected .csv, .parquet, .json or "
                      ".jsonl)")
    assert br._compression(Path("a.csv.GZ")) == "gzip"
    assert br._compression(Path("a.csv.bz2")) == "bz2"
    assert br._compression(Path("a.csv.zst")) == "zstd"
    assert br._compression(Path("a.csv")) is None


# ---------------------------------------------------------------- raw reading


def test_csv_cells_stay_text_with_quotes_and_newlines(tmp_path):
    p = _write(tmp_path, "a.csv", 'a,b,c\n"x, y","line1\nline2",0.10\n,"say ""hi""",""\n')
    df = br.read_raw(p)
    assert list(df.columns) == ["a", "b", "c"]
    assert df.to_dict("list") == {"a": ["x, y", ""], "b": ["line1\nline2", 'say "hi"'],
                                  "c": ["0.10", ""]}  # nothing guessed, nothing null


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open)])
def test_compressed_csv_is_read_by_name(tmp_path, suffix, opener):
    p = tmp_path / f"focus.csv{suffix.upper()}"
    with opener(p, "wt", encoding="utf-8") as fh:
        fh.write(f"\ufeff{FOCUS_HEAD}\nAWS,USD,1.5,1.25,Usage,{T0},{T1}\n")
    bill = read_bill(p)
    assert bill.format == "focus"
    assert list(bill.rows["effective_cost"]) == [Decimal("1.25")]


def test_zstd_csv_is_read(tmp_path):
    import pyarrow as pa

    p = tmp_path / "focus.csv.zst"
    with pa.output_stream(str(p), compression="zstd") as out:
        out.write(f"{FOCUS_HEAD}\nAWS,USD,1.5,1.25,Usage,{T0},{T1}\n".encode())
    assert list(read_bill(p).rows["billed_cost"]) == [Decimal("1.5")]


def test_csv_without_header_or_with_a_repeated_column(tmp_path):
    p = _write(tmp_path, "empty.csv", "")
    e = _err(br.read_raw, p)
    assert (e.message, e.where) == ("empty file (no header row)", str(p))
    p = _write(tmp_path, "blank.csv", "\n")
    assert _err(br.read_raw, p).message == "empty file (no header row)"
    p = _write(tmp_path, "twice.csv", "a,b,a\n1,2,3\n")
    e = _err(br.read_raw, p)
    assert e.message == "column 'a' appears twice in the header (expected each column once)"
    assert e.where == f"{p}: line 1"


def test_ragged_csv_row_is_named_by_line(tmp_path):
    p = _write(tmp_path, "r.csv", "a,b,c\n1,2,3\n4,5\n")
    e = _err(br.read_raw, p)
    assert (e.message, e.where) == ("expected 3 columns as in the header, got 2 (4,5)",
                                    f"{p}: line 3")
    long = ",".join(f"value{i:02d}" for i in range(10))  # 10 x 7 + 9 = 79 characters
    p = _write(tmp_path, "l.csv", f"a,b\n{long}\n")
    e = _err(br.read_raw, p)
    assert e.message == f"expected 2 columns as in the header, got 10 ({long[:57]}...)"
    assert e.where == f"{p}: line 2"
    exact = "x" * 59 + ",y"  # 61 characters: cut; 60 would be shown whole
    p = _write(tmp_path, "m.csv", f"a\n{exact}\n")
    assert _err(br.read_raw, p).message.endswith(f"({exact[:57]}...)")
    sixty = "x" * 58 + ",y"
    p = _write(tmp_path, "n.csv", f"a\n{sixty}\n")
    assert _err(br.read_raw, p).message.endswith(f"({sixty})")


def test_ragged_check_is_quiet_when_rows_fit_or_file_unreadable(tmp_path):
    p = _write(tmp_path, "ok.csv", "a,b\n1,2\n\n3,4\n")
    assert br.ragged_row_check(p) is None
    assert br.ragged_row_check(tmp_path / "missing.csv") is None
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n\xff\xfe,1,2\n")
    assert br.ragged_row_check(bad) is None


def test_unreadable_file_names_its_kind(tmp_path):
    p = tmp_path / "x.parquet"
    p.write_bytes(b"not parquet")
    e = _err(br.read_raw, p)
    assert e.where == str(p)
    assert e.message.startswith("cannot read parquet: ")
    # pyarrow's "magic bytes not found" in the user's words
    assert e.message == ("cannot read parquet: not a Parquet file, or a truncated one (no "
                         "Parquet footer at its end)")
    assert "\n" not in e.message


def test_parquet_numbers_become_objects_and_booleans_stay(tmp_path):
    p = tmp_path / "a.parquet"
    pq.write_table(pa.table({"x": [1.5, 2.0], "n": [1, 2], "b": [True, False],
                             "s": ["a", "b"]}), p)
    df = br.read_raw(p)
    assert df["x"].dtype == object and df["n"].dtype == object
    assert df["b"].dtype == bool
    assert df["x"].tolist() == [1.5, 2.0] and df["n"].tolist() == [1, 2]


def test_json_records_every_layout(tmp_path):
    arr = _write(tmp_path, "a.json", '[{"a": 1}, {"a": 2}]')
    assert br.json_records(arr) == [{"a": 1}, {"a": 2}]
    one = _write(tmp_path, "o.json", '{\n  "a": 1,\n  "b": "x"\n}\n')
    assert br.json_records(one) == [{"a": 1, "b": "x"}]
    lines = _write(tmp_path, "l.jsonl", '\ufeff{"a": 1}\n\n  \n{"a": 2}\n')
    assert br.json_records(lines) == [{"a": 1}, {"a": 2}]
    gz = tmp_path / "g.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        fh.write('\ufeff{"a": 3}\n{"a": 4}\n')  # the byte-order mark is skipped
    assert br.json_records(gz) == [{"a": 3}, {"a": 4}]
    spaced = _write(tmp_path, "s.json", ' \n [{"a": 5}]\n')
    assert br.json_records(spaced) == [{"a": 5}]
    assert br.read_raw(arr).to_dict("list") == {"a": [1, 2]}
    assert br.read_raw(arr)["a"].dtype == object


def test_a_cloudwatch_file_cut_short_inside_a_key_says_so(tmp_path):
    """It said `invalid JSON (Invalid control character at)`: Python's sentence, cut off."""
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "cw.json", '{"MetricDataResults":[{"Id":"inv","Val\n')
    e = _err(read_counts, p, resource="i-1", period_s=3600)
    assert (e.where, e.message) == (f"{p}: line 1", "invalid JSON: the file ends inside a "
                                    "value, at column 39: it is cut short (truncated, or read "
                                    "while still being written)")
    p = _write(tmp_path, "cw2.json", '{"MetricDataResults":[{"Id":"in\tv"}]}\n')
    e = _err(read_counts, p, resource="i-1", period_s=3600)
    assert e.message == ("invalid JSON: invalid control character (a raw tab or line break "
                         "inside a string) at column 32")


def test_json_records_errors_name_the_line(tmp_path):
    p = _write(tmp_path, "a.json", '[{"a": 1},\n {"a": }]')
    e = _err(br.json_records, p)
    assert (e.where, e.message) == (f"{p}: line 2", "invalid JSON: expecting value at column 8")
    p = _write(tmp_path, "b.json", '{"a": 1')  # cut short: said so, not Python's half sentence
    e = _err(br.json_records, p)
    assert (e.where, e.message) == (f"{p}: line 1", "invalid JSON: the file ends inside a "
                                    "value, at column 8: it is cut short (truncated, or read "
                                    "while still being written)")
    p = _write(tmp_path, "c.jsonl", '{"a": 1}\n{"a": 2}\n{"a": \n')
    e = _err(br.json_records, p)
    assert e.where == f"{p}: line 3" and e.message.startswith("invalid JSON: the line ends ")
    p = _write(tmp_path, "d.jsonl", '{"a": 1}\n[1, 2]\n')
    e = _err(br.json_records, p)
    assert (e.message, e.where) == ("expected a JSON object per line", f"{p}: line 2")
    p = _write(tmp_path, "e.json", '[{"a": 1}, 2]')
    e = _err(br.json_records, p)
    assert (e.message, e.where) == ("expected a JSON array of objects", str(p))
    p = _write(tmp_path, "f.jsonl", "5\n")
    e = _err(br.json_records, p)
    assert (e.message, e.where) == ("expected a JSON object per line", f"{p}: line 1")


# ---------------------------------------------------------------- cells


def test_strip_cell_and_null_spellings():
    assert br.strip_cell("\ufeff  Usage \ufeff ") == "Usage"
    assert br.strip_cell(" \ufeff x") == "x"
    assert br.strip_cell("\ufeff\ufeff x") == "x"
    for v in (None, pd.NA, pd.NaT, float("nan"), "", "  ", "NULL", " null ", "None", "NaN",
              "nan", "\ufeffNULL"):
        assert br.is_null(v), v
    for v in ("0", 0, 0.0, "x", "Null", "none", Decimal(0), [], {}):
        assert not br.is_null(v), v


def test_clean_str_trims_and_nulls_each_distinct_value():
    s = pd.Series([" a ", "NULL", None, "a", "", 7, "\ufeffb", float("nan"), Decimal("NaN")],
                  index=list("pqrstuvwx"))
    out = br.clean_str(s)
    # Decimal NaN is no null to is_null, but its text "NaN" is a null spelling
    assert out.tolist() == ["a", None, None, "a", None, "7", "b", None, None]
    assert list(out.index) == list("pqrstuvwx")
    assert out.dtype == object


def test_list_valued_text_is_joined_and_maps_are_refused():
    s = pd.Series([["AI", " ML ", None], np.array(["Compute"]), [], "plain", None],
                  dtype=object)
    assert br.flatten_text(s).tolist() == ["AI, ML", "Compute", None, "plain", None]
    assert br.clean_str(s).tolist() == ["AI, ML", "Compute", None, "plain", None]
    e = _err(br.flatten_text, pd.Series(["a", {"k": "v"}], dtype=object), "Tags", "f.parquet")
    assert str(e) == ("f.parquet: row 2: column Tags: expected text or a list of text, got a "
                      "map or struct")
    e = _err(br.flatten_text, pd.Series([[{"k": 1}]], dtype=object))
    assert (e.message, e.where) == (
        "column ?: expected text or a list of text, got a map or struct", None)
    e = _err(br.flatten_text, pd.Series([["a", ["b"]]], dtype=object), "C", "s")
    assert (e.message, e.where) == (
        "column C: expected text or a list of text, got a map or struct", "s: row 1")
    listed = br.flatten_text(pd.Series([["a", "b"], None], index=[5, 9], dtype=object))
    assert list(listed.index) == [5, 9] and listed.tolist() == ["a, b", None]
    plain = pd.Series(["a", "b"])
    assert br.flatten_text(plain) is plain


def test_parse_amounts_exact_and_cached():
    rows = pd.Series([1, 2, 3, 4, 5, 6, 7])
    s = pd.Series([" 0.10 ", "0.10", None, "NULL", 0.1, Decimal("2.5"), "1e-12"], dtype=object)
    out = br.parse_amounts(s, "BilledCost", "f.csv", rows)
    assert out.tolist() == [Decimal("0.10"), Decimal("0.10"), Decimal(0), Decimal(0),
                            Decimal("0.1"), Decimal("2.5"), Decimal("1E-12")]
    assert str(out.iloc[4]) == "0.1"  # repr of the float, not its binary expansion
    # sum: 0.10 + 0.10 + 0.1 + 2.5 + 1e-12 = 2.800000000001
    assert sum(out, Decimal(0)) == Decimal("2.800000000001")


def test_parse_amounts_decimal_column_fills_nulls_with_zero():
    s = pd.Series([Decimal("0.1"), None, Decimal("-2")], dtype=object)
    out = br.parse_amounts(s, "c", "f", pd.Series([1, 2, 3]))
    assert out.tolist() == [Decimal("0.1"), Decimal(0), Decimal("-2")]
    assert all(type(x) is Decimal for x in out) and out.dtype == object
    full = pd.Series([Decimal("1"), Decimal("2")], dtype=object)
    assert br.parse_amounts(full, "c", "f", pd.Series([1, 2])).tolist() == [1, 2]


@pytest.mark.parametrize("value,expected", [
    ("abc", "column BilledCost: expected a decimal amount, got 'abc'"),
    ("1,5", "column BilledCost: expected a decimal amount, got '1,5'"),
    ("inf", "column BilledCost: expected a finite amount, got 'inf'"),
    ("-Infinity", "column BilledCost: expected a finite amount, got '-Infinity'"),
    ("sNaN", "column BilledCost: expected a finite amount, got 'sNaN'"),
    ("1e15", "column BilledCost: expected an amount below 1e15, got '1e15'"),
    ("-1000000000000000", "column BilledCost: expected an amount below 1e15, got "
                          "'-1000000000000000'"),
])
def test_bad_amounts_are_refused_with_file_row_and_column(value, expected):
    s = pd.Series(["1", value], dtype=object)
    e = _err(br.parse_amounts, s, "BilledCost", "f.csv", pd.Series([1, 2]))
    assert (e.message, e.where) == (expected, "f.csv: row 2")


def test_amount_limits():
    ok = br._amount("999999999999999.99", "c", "f", 1)  # adjusted exponent 14: kept
    assert ok == Decimal("999999999999999.99")
    assert br._amount("0E+20", "c", "f", 1) == 0  # zero is never too large
    assert br._amount(float("nan"), "c", "f", 1) == 0
    assert br._amount(2.5, "c", "f", 1) == Decimal("2.5")
    assert br._amount(7, "c", "f", 1) == Decimal(7)
    e = _err(br._amount, 1e300, "c", "f", 9)
    assert (e.message, e.where) == ("column c: expected an amount below 1e15, got '1e+300'",
                                    "f: row 9")


def test_parse_times_every_spelling_to_naive_utc():
    s = pd.Series(["2024-09-18 22:00:00", "2024-09-18T22:00:00Z", "2024-09-19T00:00:00+02:00",
                   "NULL", "", " 2024-09-18T22:30:00.5Z "], dtype=object)
    out = br.parse_times(s, "ChargePeriodStart", "f", pd.Series(range(1, 7)))
    assert out.dtype == "datetime64[us]"
    t = pd.Timestamp("2024-09-18 22:00:00")
    assert out.tolist()[:3] == [t, t, t]  # +02:00 at midnight is 22:00 UTC
    assert pd.isna(out.iloc[3]) and pd.isna(out.iloc[4])
    assert out.iloc[5] == pd.Timestamp("2024-09-18 22:30:00.5")


def test_parse_times_other_spellings_take_the_slow_path():
    s = pd.Series(["2024-09-18T22:00:00Z", "18 Sep 2024 23:00", "Sep 19 2024 01:30"],
                  dtype=object)
    out = br.parse_times(s, "c", "f", pd.Series([1, 2, 3]))
    # the two other spellings differ from each other too: each is read on its own
    assert out.tolist() == [pd.Timestamp("2024-09-18 22:00"), pd.Timestamp("2024-09-18 23:00"),
                            pd.Timestamp("2024-09-19 01:30")]


def test_parse_times_of_timestamps_and_datetime_columns():
    aware = pd.Series(pd.to_datetime(["2024-01-01T05:00:00-05:00"]))
    out = br.parse_times(aware, "c", "f", pd.Series([1]))
    assert out.tolist() == [pd.Timestamp("2024-01-01 10:00")] and out.dtype == "datetime64[us]"
    naive = pd.Series(pd.to_datetime(["2024-01-01 05:00"]))
    assert br.parse_times(naive, "c", "f", pd.Series([1])).tolist() == [
        pd.Timestamp("2024-01-01 05:00")]
    stamps = pd.Series([pd.Timestamp("2024-01-01T05:00:00Z"), pd.Timestamp("2024-01-02")],
                       dtype=object)
    assert br._all_stamps(stamps)
    assert not br._all_stamps(pd.Series([], dtype=object))
    assert not br._all_stamps(pd.Series(["2024-01-01"], dtype=object))
    assert br.parse_times(stamps, "c", "f", pd.Series([1, 2])).tolist() == [
        pd.Timestamp("2024-01-01 05:00"), pd.Timestamp("2024-01-02")]
    empty = br.parse_times(pd.Series(["", "NULL"], dtype=object), "c", "f", pd.Series([1, 2]))
    assert empty.dtype == "datetime64[us]" and empty.isna().all()


def test_unparsable_timestamp_names_the_first_bad_row():
    s = pd.Series(["2024-09-18", "NULL", "soon", "later"], dtype=object)
    e = _err(br.parse_times, s, "ChargePeriodEnd", "f.csv", pd.Series([11, 12, 13, 14]))
    assert (e.message, e.where) == ("column ChargePeriodEnd: cannot parse timestamp 'soon'"
                                    " (expected ISO 8601, year first: 2026-10-01T00:00:00Z)",
                                    "f.csv: row 13")


def test_canon_enums_and_tags():
    s = pd.Series(["usage-based", "USAGE-BASED", " Recurring ", "Monthly", "NULL"])
    assert br.canon(s, br._FREQUENCY).tolist() == [
        "Usage-Based", "Usage-Based", "Recurring", "Monthly", None]
    assert br.parse_tags(None) == {} and br.parse_tags("NULL") == {}
    assert br.parse_tags(float("nan")) == {} and br.parse_tags(" ") == {}
    assert br.parse_tags('{" team ": "ml", "n": 3, "x": null}') == {
        "team": "ml", "n": "3", "x": ""}
    assert br.parse_tags("team=ml") == {"_raw": "team=ml"}
    assert br.parse_tags([{"key": " team", "value": "ml"}, {"key": "k"}, {"value": "v"},
                          ("a", 1), ("x",), "junk"]) == {"team": "ml", "k": "", "a": "1"}
    assert br.parse_tags(np.array([("b", "2")], dtype=object)) == {"b": "2"}
    assert br.parse_tags({}) == {} and br.parse_tags([]) == {}
    assert br.parse_tags(42) == {}
    assert br.parse_tags("[1, 2]") == {}  # JSON, but not an object or pairs


def test_azure_ids_lowered_others_kept():
    ids = pd.Series(["/SUBSCRIPTIONS/Ab/rg/VM1", "i-ABC", None, "/subscriptions/x/Y",
                     "/subscription/Q"], dtype=object)
    assert br.lower_azure_ids(ids).tolist() == [
        "/subscriptions/ab/rg/vm1", "i-ABC", None, "/subscriptions/x/y", "/subscription/Q"]
    none = pd.Series([None, None], dtype=object)
    assert br.lower_azure_ids(none) is none
    assert br.azure_lower(5) == 5


def test_require_names_missing_columns():
    df = pd.DataFrame({"a": [1]})
    assert br.require(df, ["a"], "f", "FOCUS bill") is None
    e = _err(br.require, df, ["a", "b"], "f.csv", "FOCUS bill")
    assert (e.message, e.where) == ("FOCUS bill: missing required column b", "f.csv")
    e = _err(br.require, df, ["b", "a", "c"], "f.csv", "X")
    assert e.message == "X: missing required columns b, c"


def test_labels_in_their_order_of_precedence():
    df = _bill_frame(
        charge_category=["Usage", "Tax", "Credit", "Credit", "Adjustment", "Purchase",
                         "Purchase", "Usage", "Usage", "Tax", "Usage", "Credit"],
        charge_class=[None, None, None, None, None, None, None, None, None, "Correction",
                      None, None],
        commitment_status=[None, None, None, None, None, None, None, "Used", "Unused",
                           None, None, "Used"],
        commitment_id=[None, None, None, None, None, "cd-1", None, None, None, None, None,
                       None],
        description=["refund?", None, "Partial REFUND", "promo", None, None, None, None,
                     None, None, None, None],
    )
    assert br.label_rows(df).tolist() == [
        "usage", "tax", "refund", "credit", "adjustment", "commitment_purchase", "purchase",
        "commitment_used", "commitment_unused", "correction", "usage", "credit"]
    out = br.finish(df.drop(columns=["label", "nrows", "tags"]))
    assert list(out.columns) == br.BILL_COLUMNS
    assert out["nrows"].tolist() == [1] * 12
    assert out["period_dropped"].tolist() == [False] * 12
    assert out["label"].iloc[2] == "refund"
    kept = df.copy()
    kept["label"] = ["x"] * 12
    assert br.finish(kept)["label"].tolist() == ["x"] * 12


# ---------------------------------------------------------------- FOCUS


def test_focus_bill_totals_labels_and_cleaning(tmp_path):
    p = _focus(tmp_path, [
        # \ufeff at the start of a data row (concatenated exports) and stray spaces
        f"\ufeffAWS , usd ,10.00,8.00, usage ,{T0},{T1},",
        f"AWS,USD,-2.50,-2.50,credit,{T0},{T1},partial Refund",
        "AWS,USD,1.25,NULL,Tax,2026-10-01 00:00:00,2026-10-01 01:00:00,refund",
        f"Microsoft,USD,0,,Adjustment,{T0},{T1},",
    ], head=FOCUS_HEAD + ",ChargeDescription")
    bill = read_bill(p)
    r = bill.rows
    assert r["provider"].tolist() == ["AWS", "AWS", "AWS", "Microsoft"]
    assert r["currency"].tolist() == ["USD"] * 4
    assert r["charge_category"].tolist() == ["Usage", "Credit", "Tax", "Adjustment"]
    assert r["label"].tolist() == ["usage", "refund", "tax", "adjustment"]
    assert r["row"].tolist() == [1, 2, 3, 4]
    assert r["source"].tolist() == [str(p)] * 4
    # billed: 10.00 - 2.50 + 1.25 + 0 = 8.75; effective: 8.00 - 2.50 + 1.25 (taken from
    # BilledCost, noted) + 0 (empty, BilledCost 0: no note) = 6.75
    assert sum(r["billed_cost"], Decimal(0)) == Decimal("8.75")
    assert sum(r["effective_cost"], Decimal(0)) == Decimal("6.75")
    assert bill.notes == [
        f"{p}: 1 row with a non-zero BilledCost and no EffectiveCost (first: row 3): "
        "BilledCost taken as their EffectiveCost (FOCUS: no commitment amortisation on "
        "those rows)"]
    assert bill.rows_read == 4 and bill.row_count == 4
    assert bill.sources == [str(p)] and bill.format == "focus" and bill.reduced == []
    assert r["charge_start"].tolist() == [pd.Timestamp("2026-10-01")] * 4
    assert r["charge_end"].tolist() == [pd.Timestamp("2026-10-01 01:00")] * 4
    assert r["billing_start"].isna().all() and r["billing_end"].isna().all()
    assert str(r["billing_start"].dtype) == str(r["billing_end"].dtype) == "datetime64[us]"
    assert str(r["charge_end"].dtype) == "datetime64[us]"
    assert r["tags"].tolist() == [{}] * 4
    assert r["nrows"].tolist() == [1] * 4


def test_focus_effective_fallback_note_counts_rows(tmp_path):
    p = _focus(tmp_path, [
        f"AWS,USD,1,1,Usage,{T0},{T1}",
        f"AWS,USD,2,,Usage,{T0},{T1}",
        f"AWS,USD,3, null ,Usage,{T0},{T1}",
    ])
    bill = read_bill(p)
    assert bill.rows["effective_cost"].tolist() == [1, 2, 3]
    assert bill.notes[0].startswith(f"{p}: 2 rows with a non-zero BilledCost and no "
                                    "EffectiveCost (first: row 2)")


def test_focus_effective_fallback_from_null_spellings_in_parquet_text(tmp_path):
    p = tmp_path / "f.parquet"
    pq.write_table(pa.table({
        "ProviderName": ["AWS", "AWS"], "BillingCurrency": ["USD", "USD"],
        "BilledCost": ["1.5", "2"], "EffectiveCost": ["NULL", None],
        "ChargeCategory": ["Usage", "Usage"], "ChargePeriodStart": [T0, T0],
        "ChargePeriodEnd": [T1, T1]}), p)
    bill = read_bill(p)
    # both the text NULL and the missing cell take BilledCost: 1.5 + 2 = 3.5
    assert bill.rows["effective_cost"].tolist() == [Decimal("1.5"), Decimal("2")]
    assert "2 rows with" in bill.notes[0]


def test_focus_effective_fallback_from_null_spellings_in_json(tmp_path):
    recs = [{**FOCUS_OK, "BilledCost": "1.5", "EffectiveCost": "NULL"},
            {**FOCUS_OK, "BilledCost": "2", "EffectiveCost": None}]
    p = _write(tmp_path, "f.jsonl", "\n".join(json.dumps(r) for r in recs) + "\n")
    bill = read_bill(p, "focus")
    # JSON cells are objects (text and None): both missing, both take BilledCost
    assert bill.rows["effective_cost"].tolist() == [Decimal("1.5"), Decimal("2")]
    assert "2 rows with" in bill.notes[0]


def test_focus_optional_columns_in_lower_case(tmp_path):
    head = (FOCUS_HEAD + ",chargeclass,commitmentdiscountstatus,tags,chargesubcategory,"
            "consumedunit")
    p = _focus(tmp_path, [f'AWS,USD,1,1,Usage,{T0},{T1},correction,used,"{{""a"": ""b""}}",'
                          "refund,Hours"], head=head)
    r = read_bill(p).rows
    assert r["charge_class"].tolist() == ["Correction"]
    assert r["commitment_status"].tolist() == ["Used"]
    assert r["tags"].tolist() == [{"a": "b"}]
    assert r["label"].tolist() == ["refund"]  # from the subcategory
    assert r["pricing_unit"].tolist() == ["Hours"]


def test_focus_effective_fallback_from_parquet_nulls(tmp_path):
    p = tmp_path / "f.parquet"
    pq.write_table(pa.table({
        "ProviderName": ["AWS", "AWS"], "BillingCurrency": ["USD", "USD"],
        "BilledCost": [1.5, 0.0], "EffectiveCost": [None, None],
        "ChargeCategory": ["Usage", "Usage"], "ChargePeriodStart": [T0, T0],
        "ChargePeriodEnd": [T1, T1]}), p)
    bill = read_bill(p)
    assert bill.rows["effective_cost"].tolist() == [Decimal("1.5"), Decimal(0)]
    assert len(bill.notes) == 1 and "1 row with" in bill.notes[0]


def test_focus_columns_any_case_and_optional_columns(tmp_path):
    head = ("providername,billingcurrency,BILLEDCOST,effectivecost,chargecategory,"
            "chargeperiodstart,chargeperiodend,ChargeClass,chargefrequency,"
            "CommitmentDiscountStatus,CommitmentDiscountId,BillingPeriodStart,"
            "BillingPeriodEnd,ServiceCategory,ServiceName,SkuId,ResourceId,ResourceName,"
            "ConsumedUnit,x_Custom")
    p = _focus(tmp_path, [
        f"AWS,USD,5,4,usage,{T0},{T1},,usage-based,used,cd-1,2026-10-01,2026-11-01,"
        "Compute,EC2,sku1,/SUBSCRIPTIONS/S1/VM,vm,Hours,z",
        f"AWS,USD,-1,-1,Usage,{T0},{T1},correction,One-time,UNUSED,,2026-10-01,2026-11-01,"
        "AI and Machine Learning,Bedrock,sku2,i-AB,,1M Tokens,z",
    ], head=head)
    r = read_bill(p).rows
    assert r["charge_class"].tolist() == [None, "Correction"]
    assert r["charge_frequency"].tolist() == ["Usage-Based", "One-Time"]
    assert r["commitment_status"].tolist() == ["Used", "Unused"]
    assert r["commitment_id"].tolist() == ["cd-1", None]
    assert r["label"].tolist() == ["commitment_used", "correction"]
    assert r["billing_start"].tolist() == [pd.Timestamp("2026-10-01")] * 2
    assert r["billing_end"].tolist() == [pd.Timestamp("2026-11-01")] * 2
    assert r["service_category"].tolist() == ["Compute", "AI and Machine Learning"]
    assert r["service_name"].tolist() == ["EC2", "Bedrock"]
    assert r["sku_id"].tolist() == ["sku1", "sku2"]
    assert r["resource_id"].tolist() == ["/subscriptions/s1/vm", "i-AB"]
    assert r["resource_name"].tolist() == ["vm", None]
    assert r["pricing_unit"].tolist() == ["Hours", "1M Tokens"]  # from ConsumedUnit
    assert "x_Custom" not in r.columns


def test_pricing_unit_wins_over_consumed_unit(tmp_path):
    p = _focus(tmp_path, [f"AWS,USD,1,1,Usage,{T0},{T1},Hours,GB"],
               head=FOCUS_HEAD + ",PricingUnit,ConsumedUnit")
    assert read_bill(p).rows["pricing_unit"].tolist() == ["Hours"]


def test_pre_1_0_provider_and_preview_charge_type(tmp_path):
    head = ("Provider,BillingCurrency,BilledCost,EffectiveCost,ChargeType,ChargePeriodStart,"
            "ChargePeriodEnd,ChargeSubcategory")
    p = _focus(tmp_path, [
        f"Microsoft,EUR,10,10,Usage,{T0},{T1},Used Commitment",
        f"Microsoft,EUR,3,3,Usage,{T0},{T1},unused commitment",
        f"Microsoft,EUR,-1,-1,Adjustment,{T0},{T1},Refund",
        f"Microsoft,EUR,-2,-2,Adjustment,{T0},{T1},CREDIT",
        f"Microsoft,EUR,0.01,0.01,Adjustment,{T0},{T1},Rounding Error",
        f"Microsoft,EUR,5,5,Adjustment,{T0},{T1},General Adjustment",
        f"Microsoft,EUR,7,7,Usage,{T0},{T1},On-Demand",
        f"Microsoft,EUR,1,1,Tax,{T0},{T1},",
    ], head=head)
    r = read_bill(p).rows
    assert r["provider"].tolist() == ["Microsoft"] * 8
    assert r["charge_category"].tolist()[:2] == ["Usage", "Usage"]
    assert r["label"].tolist() == ["commitment_used", "commitment_unused", "refund", "credit",
                                   "adjustment", "adjustment", "usage", "tax"]
    assert r["commitment_status"].tolist() == ["Used", "Unused", None, None, None, None,
                                               None, None]


def test_subcategory_without_a_known_value_keeps_labels(tmp_path):
    p = _focus(tmp_path, [f"AWS,USD,1,1,Tax,{T0},{T1},On-Demand"],
               head=FOCUS_HEAD + ",ChargeSubcategory")
    r = read_bill(p).rows
    assert r["label"].tolist() == ["tax"] and r["commitment_status"].tolist() == [None]


def test_provider_column_does_not_replace_provider_name(tmp_path):
    p = _focus(tmp_path, [f"AWS,USD,1,1,Usage,{T0},{T1},Other"], head=FOCUS_HEAD + ",Provider")
    assert read_bill(p).rows["provider"].tolist() == ["AWS"]


def test_focus_missing_columns_message(tmp_path):
    p = _focus(tmp_path, ["AWS,USD,1"], head="ProviderName,BillingCurrency,BilledCost")
    e = _err(read_bill, p, "focus")
    assert e.where == str(p)
    assert e.message == ("FOCUS bill: missing required columns EffectiveCost, ChargeCategory, "
                         "ChargePeriodStart, ChargePeriodEnd")


def test_focus_empty_currency_filled_or_refused(tmp_path):
    p = _focus(tmp_path, [f"AWS,eur,1,1,Usage,{T0},{T1}", f"AWS,,2,2,Usage,{T0},{T1}",
                          f"AWS,NULL,3,3,Usage,{T0},{T1}"])
    bill = read_bill(p)
    assert bill.rows["currency"].tolist() == ["EUR"] * 3
    assert bill.notes == [f"{p}: 2 rows with an empty BillingCurrency (first: row 2) taken "
                          "as EUR, the currency of every other row"]
    p = _focus(tmp_path, [f"AWS,USD,1,1,Usage,{T0},{T1}", f"AWS,EUR,2,2,Usage,{T0},{T1}",
                          f"AWS,,3,3,Usage,{T0},{T1}"], name="two.csv")
    e = _err(read_bill, p)
    assert (e.message, e.where) == (
        "column BillingCurrency: empty, and the other rows do not name one currency "
        "(EUR, USD); FOCUS requires an ISO 4217 code", f"{p}: row 3")
    p = _focus(tmp_path, [f"AWS,,3,3,Usage,{T0},{T1}"], name="none.csv")
    e = _err(read_bill, p)
    assert e.message.startswith("column BillingCurrency: empty, and the other rows do not "
                                "name one currency (none);")
    assert e.where == f"{p}: row 1"


def test_focus_tags_text_and_parquet_maps(tmp_path):
    p = _focus(tmp_path, [
        f'AWS,USD,1,1,Usage,{T0},{T1},"{{"" team "": ""ml""}}"',
        f"AWS,USD,1,1,Usage,{T0},{T1},",
        f'AWS,USD,1,1,Usage,{T0},{T1},"{{"" team "": ""ml""}}"',
        f"AWS,USD,1,1,Usage,{T0},{T1},not json",
    ], head=FOCUS_HEAD + ",Tags")
    tags = read_bill(p).rows["tags"].tolist()
    assert tags == [{"team": "ml"}, {}, {"team": "ml"}, {"_raw": "not json"}]
    tags[1]["x"] = "1"  # each row has its own dict
    assert tags[0] == {"team": "ml"}
    q = tmp_path / "t.parquet"
    base = {"ProviderName": ["AWS"] * 4, "BillingCurrency": ["USD"] * 4,
            "BilledCost": ["1"] * 4, "EffectiveCost": ["1"] * 4,
            "ChargeCategory": ["Usage"] * 4, "ChargePeriodStart": [T0] * 4,
            "ChargePeriodEnd": [T1] * 4}
    t = pa.table(base).append_column("Tags", pa.array(
        [[("team", "ml")], None, [], [("a", "1"), ("b", "2")]],
        pa.map_(pa.string(), pa.string())))
    pq.write_table(t, q)
    assert read_bill(q).rows["tags"].tolist() == [{"team": "ml"}, {}, {},
                                                  {"a": "1", "b": "2"}]
    q2 = tmp_path / "t2.parquet"
    pq.write_table(pa.table({**base, "Tags": [None] * 4}), q2)
    assert read_bill(q2).rows["tags"].tolist() == [{}] * 4
    q3 = tmp_path / "t3.parquet"
    pq.write_table(pa.table({**base, "Tags": ['{"k": "v"}', None, '{"k": "v"}', None]}), q3)
    assert read_bill(q3).rows["tags"].tolist() == [{"k": "v"}, {}, {"k": "v"}, {}]


def test_focus_tags_of_mixed_python_values():
    raw = pd.DataFrame({
        "ProviderName": ["AWS"] * 5, "BillingCurrency": ["USD"] * 5, "BilledCost": ["1"] * 5,
        "EffectiveCost": ["1"] * 5, "ChargeCategory": ["Usage"] * 5,
        "ChargePeriodStart": [T0] * 5, "ChargePeriodEnd": [T1] * 5,
        "Tags": ['{"a": "1"}', {"b": 2}, None, float("nan"), '{"a": "1"}']})
    out = focus.normalize(raw, "mem")
    assert out["tags"].tolist() == [{"a": "1"}, {"b": "2"}, {}, {}, {"a": "1"}]
    assert out.attrs["notes"] == []


def test_focus_missing_helper():
    assert focus._missing(pd.Series(["1", "", " NULL ", None])).tolist() == [
        False, True, True, True]
    assert focus._missing(pd.Series([1.0, None, float("nan")], dtype=object)).tolist() == [
        False, True, True]


# ---------------------------------------------------------------- AWS CUR 2.0


CUR_HEAD = ("line_item_line_item_type,line_item_unblended_cost,line_item_net_unblended_cost,"
            "savings_plan_savings_plan_effective_cost,reservation_effective_cost,"
            "savings_plan_total_commitment_to_date,savings_plan_used_commitment,"
            "line_item_currency_code,line_item_usage_start_date,line_item_usage_end_date,"
            "line_item_product_code,line_item_usage_type,line_item_resource_id,"
            "line_item_line_item_description,bill_billing_period_start_date,"
            "bill_billing_period_end_date,pricing_unit")


def test_cur_effective_cost_category_label_per_line_type(tmp_path):
    z = f"usd,{T0},{T1},AmazonEC2,BoxUsage:p5,i-1,desc,2026-10-01,2026-11-01,Hrs"
    rows = [
        f"Usage,10,9,,,,,{z}",                       # net: 9
        f"Usage,4,,,,,,{z}",                          # no net on this row: unblended 4
        f"SavingsPlanCoveredUsage,10,,7,,,,{z}",      # SP effective 7
        f"DiscountedUsage,10,,,6,,,{z}",              # RI effective 6
        f"SavingsPlanNegation,-10,,,,,,{z}",          # 0
        f"SavingsPlanUpfrontFee,100,,,,,,{z}",        # 0
        f"RIFee,50,,,,,,{z}",                         # 0
        f"SavingsPlanRecurringFee,30,,,,30,25,{z}",   # 30 - 25 = 5 unused
        f"Tax,2,2,,,,,{z}",                           # net 2
        f"Refund,-3,,,,,,{z}",
        f"EdpDiscount,-1,,,,,,{z}",
        f"Fee,8,,,,,,{z}",
        f"Mystery,0.5,,,,,,{z}",
        f",0.25,,,,,,{z}",
    ]
    p = _write(tmp_path, "cur.csv", "\n".join([CUR_HEAD, *rows]) + "\n")
    bill = read_bill(p)
    r = bill.rows
    assert bill.format == "cur"
    assert r["effective_cost"].tolist() == [9, 4, 7, 6, 0, 0, 0, 5, 2, -3, -1, 8,
                                            Decimal("0.5"), Decimal("0.25")]
    # billed = unblended: 10+4+10+10-10+100+50+30+2-3-1+8+0.5+0.25 = 210.75
    assert sum(r["billed_cost"], Decimal(0)) == Decimal("210.75")
    # effective: 9+4+7+6+0+0+0+5+2-3-1+8+0.5+0.25 = 37.75
    assert sum(r["effective_cost"], Decimal(0)) == Decimal("37.75")
    assert r["charge_category"].tolist() == [
        "Usage", "Usage", "Usage", "Usage", "Usage", "Purchase", "Purchase", "Purchase",
        "Tax", "Credit", "Credit", "Purchase", "Adjustment", "Usage"]
    assert r["label"].tolist() == [
        "usage", "usage", "commitment_used", "commitment_used", "commitment_negation",
        "commitment_purchase", "commitment_unused", "commitment_unused", "tax", "refund",
        "discount", "purchase", "adjustment", "usage"]
    # (RIFee and SavingsPlanRecurringFee recur, as FOCUS's ChargeFrequency says)
    assert r["charge_frequency"].tolist() == ["Usage-Based"] * 5 + [
        "One-Time", "Recurring", "Recurring"] + ["One-Time"] * 6
    assert _nn(r["commitment_status"]) == [None, None, "Used", "Used", None, None, "Unused",
                                               "Unused", None, None, None, None, None, None]
    assert r["currency"].tolist() == ["USD"] * 14
    assert r["provider"].tolist() == ["AWS"] * 14
    assert r["service_name"].tolist()[0] == "AmazonEC2"
    assert r["sku_id"].tolist()[0] == "BoxUsage:p5"
    assert r["service_category"].tolist()[0] == "Compute"
    assert r["resource_id"].tolist()[0] == "i-1"
    assert r["resource_name"].tolist()[0] is None
    assert r["description"].tolist()[0] == "desc"
    assert r["pricing_unit"].tolist()[0] == "Hrs"
    assert r["charge_class"].tolist() == [None] * 14
    assert r["billing_start"].tolist()[0] == pd.Timestamp("2026-10-01")
    assert r["billing_end"].tolist()[0] == pd.Timestamp("2026-11-01")
    assert r["charge_end"].tolist()[0] == pd.Timestamp("2026-10-01 01:00")
    assert r["tags"].tolist()[0] == {}


def test_cur_without_net_column_takes_unblended(tmp_path):
    head = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "line_item_usage_start_date,line_item_usage_end_date,resource_tags,"
            "savings_plan_savings_plan_a_r_n")
    p = _write(tmp_path, "cur.csv", f"{head}\nUsage,1.5,USD,{T0},{T1},"
               '"{""user_team"": ""ml""}",arn:sp\n')
    r = read_bill(p).rows
    assert r["effective_cost"].tolist() == [Decimal("1.5")]
    assert r["tags"].tolist() == [{"user_team": "ml"}]
    assert r["commitment_id"].tolist() == ["arn:sp"]
    assert r["service_category"].tolist() == [None] and r["service_name"].tolist() == [None]


def test_cur_reservation_arn_and_legacy_spelling(tmp_path):
    head = ("lineItem/LineItemType,lineItem/UnblendedCost,lineItem/CurrencyCode,"
            "lineItem/UsageStartDate,lineItem/UsageEndDate,reservation/ReservationARN")
    p = _write(tmp_path, "cur.csv", f"{head}\nDiscountedUsage,2,USD,{T0},{T1},arn:ri\n")
    # no reservation_effective_cost: the row's EffectiveCost is unknown (it read 0, and
    # the reserved hours cost nothing): refused, naming the row and the column
    with pytest.raises(InputError) as e:
        read_bill(p)
    assert (e.value.where, e.value.message) == (
        f"{p}: row 1", "a DiscountedUsage row and no reservation_effective_cost column "
        "(expected its amortised cost there, the row's EffectiveCost: without it the row "
        "would cost 0); under --cost-basis BilledCost the file reads, with a note")
    p = _write(tmp_path, "cur2.csv", f"{head},reservation/EffectiveCost\n"
               f"DiscountedUsage,2,USD,{T0},{T1},arn:ri,1.25\n")
    bill = read_bill(p)
    assert bill.format == "cur"
    r = bill.rows
    assert r["commitment_id"].tolist() == ["arn:ri"]
    assert r["effective_cost"].tolist() == [Decimal("1.25")]  # the legacy spelling read
    assert r["billed_cost"].tolist() == [2]
    p = _write(tmp_path, "cur3.csv", f"{head},reservation/EffectiveCost\n"
               f"Usage,3,USD,{T0},{T1},,\nDiscountedUsage,2,USD,{T0},{T1},arn:ri,\n")
    with pytest.raises(InputError) as e:  # the column there, its cell empty on row 2
        read_bill(p)
    assert (e.value.where, e.value.message) == (
        f"{p}: row 2", "a DiscountedUsage row with an empty reservation_effective_cost "
        "(expected its amortised cost there, the row's EffectiveCost: without it the row "
        "would cost 0); under --cost-basis BilledCost the file reads, with a note")


def test_cur_snake_case():
    assert cur._snake("lineItem/UnblendedCost") == "line_item_unblended_cost"
    assert cur._snake("savingsPlan/SavingsPlanARN") == "savings_plan_savings_plan_a_r_n"
    assert cur._snake("line_item_x") == "line_item_x"
    assert cur._snake("a/b/CdE") == "a_b_cd_e"


def test_cur_identity_time_interval(tmp_path):
    head = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "identity_time_interval")
    p = _write(tmp_path, "cur.csv", f"{head}\nUsage,1,USD,{T0}/{T1}\nUsage,2,USD,{T0}\n")
    r = read_bill(p).rows
    assert r["charge_start"].tolist() == [pd.Timestamp("2026-10-01")] * 2
    assert r["charge_end"].tolist()[0] == pd.Timestamp("2026-10-01 01:00")
    assert pd.isna(r["charge_end"].iloc[1])
    p = _write(tmp_path, "cur2.csv", f"{head}\nUsage,1,USD,\n")
    r = read_bill(p).rows
    assert pd.isna(r["charge_start"].iloc[0]) and pd.isna(r["charge_end"].iloc[0])


def test_cur_missing_columns_message(tmp_path):
    p = _write(tmp_path, "cur.csv", "line_item_unblended_cost,line_item_currency_code\n1,USD\n")
    e = _err(read_bill, p)
    assert (e.message, e.where) == (
        "AWS CUR 2.0 bill: missing required columns line_item_line_item_type, "
        "line_item_usage_start_date, line_item_usage_end_date", str(p))


def test_cur_service_category_rules():
    assert cur.service_category(None, "x") is None
    assert cur.service_category("", "x") is None
    assert cur.service_category("AmazonEC2", None) == "Compute"
    assert cur.service_category("AmazonEC2", "") == "Compute"
    assert cur.service_category("AmazonEC2", "USE1-EBS:VolumeUsage.gp3") == "Storage"
    assert cur.service_category("AmazonEC2", "USE1-SnapshotUsage") == "Storage"
    assert cur.service_category("AmazonEC2", "USE1-DataTransfer-Out-Bytes") == "Networking"
    assert cur.service_category("AmazonEC2", "BoxUsage:p5.48xlarge") == "Compute"
    assert cur.service_category("Unknown", "x") == "Other"
    assert cur.service_category("AmazonBedrock", "tokens") == "AI and Machine Learning"


# ---------------------------------------------------------------- GCP export


def _gcp(tmp_path: Path, records: list[dict], name: str = "gcp.jsonl") -> Path:
    return _write(tmp_path, name, "\n".join(json.dumps(r) for r in records) + "\n")


def test_gcp_rows_credits_and_labels(tmp_path):
    base = {"usage_start_time": "2026-10-01T00:00:00Z", "usage_end_time": "2026-10-01T01:00:00Z",
            "currency": "usd", "invoice": {"month": "202610"},
            "service": {"description": "Compute Engine"},
            "sku": {"id": "S1", "description": "A100 GPU"},
            "resource": {"name": "vm-1", "global_name": "//compute/vm-1"},
            "usage": {"pricing_unit": "hour"},
            "labels": [{"key": "team", "value": "ml"}]}
    recs = [
        {**base, "cost": "100.5", "credits": [
            {"name": "CUD", "full_name": "Committed use discount", "amount": "-30",
             "type": "COMMITTED_USAGE_DISCOUNT_DOLLAR_BASE"},
            {"name": "SUD", "amount": "-10.25", "type": "SUSTAINED_USAGE_DISCOUNT"},
            {"name": "Promo", "amount": -1, "type": "PROMOTION"},
            {"amount": "-0.25", "type": "discount"},
            {"name": "Free", "amount": "-0.5"}]},
        {**base, "cost": "7", "cost_type": "TAX", "credits": []},
        {**base, "cost": "-2", "cost_type": "adjustment", "resource": {"name": "r2"}},
        {**base, "cost": "0.01", "cost_type": "rounding error",
         "service": {"description": "BigQuery"}},
        {**base, "cost": "3", "cost_type": "something new", "service": {"description": "X"}},
    ]
    bill = read_bill(_gcp(tmp_path, recs))
    r = bill.rows
    assert bill.format == "gcp" and bill.rows_read == 5
    assert r["row"].tolist() == [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
    assert r["label"].tolist() == ["usage", "commitment_used", "discount", "credit",
                                   "discount", "credit", "tax", "correction", "adjustment",
                                   "adjustment"]
    assert r["charge_category"].tolist() == ["Usage"] + ["Credit"] * 5 + [
        "Tax", "Adjustment", "Adjustment", "Adjustment"]
    assert _nn(r["charge_class"]) == [None] * 7 + ["Correction", None, None]
    assert _nn(r["commitment_status"]) == [None, "Used"] + [None] * 8
    # a credit's own name (full name first), never the charge's SKU text
    assert _nn(r["description"])[:6] == ["A100 GPU", "Committed use discount", "SUD",
                                         "Promo", None, "Free"]
    # cost 100.5 + 7 - 2 + 0.01 + 3 = 108.51; credits -30 - 10.25 - 1 - 0.25 - 0.5 = -42
    # net 108.51 - 42 = 66.51, BilledCost = EffectiveCost on every row
    assert sum(r["effective_cost"], Decimal(0)) == Decimal("66.51")
    assert r["billed_cost"].tolist() == r["effective_cost"].tolist()
    assert r["currency"].tolist() == ["USD"] * 10
    assert r["provider"].tolist() == ["Google Cloud"] * 10
    assert r["charge_frequency"].tolist() == ["Usage-Based"] * 10
    assert r["resource_id"].tolist()[0] == "//compute/vm-1"
    assert r["resource_id"].tolist()[7] == "r2"  # no global_name: the name
    assert r["resource_name"].tolist()[0] == "vm-1"
    assert r["service_name"].tolist()[0] == "Compute Engine"
    assert r["service_category"].tolist() == ["Compute"] * 8 + ["Analytics", "Other"]
    assert r["sku_id"].tolist()[0] == "S1"
    assert r["pricing_unit"].tolist()[0] == "hour"
    assert r["tags"].tolist()[0] == {"team": "ml"}
    assert r["commitment_id"].tolist() == [None] * 10
    assert r["source"].tolist() == [str(tmp_path / "gcp.jsonl")] * 10
    # October 2026 in US Pacific (PDT, UTC-7) starts 07:00 UTC; November 1st is still PDT
    # (DST ends on November 1st at 02:00 local), so the end is 07:00 UTC too
    assert r["billing_start"].tolist()[0] == pd.Timestamp("2026-10-01 07:00")
    assert r["billing_end"].tolist()[0] == pd.Timestamp("2026-11-01 07:00")
    assert r["charge_start"].tolist()[0] == pd.Timestamp("2026-10-01 00:00")
    assert r["charge_end"].tolist()[0] == pd.Timestamp("2026-10-01 01:00")


def test_gcp_winter_month_and_no_month(tmp_path):
    recs = [{"cost": 1, "currency": "EUR", "usage_start_time": T0, "usage_end_time": T1,
             "service": {"description": "Cloud Run"}, "invoice": {"month": "202612"}},
            {"cost": 2, "currency": "EUR", "usage_start_time": T0, "usage_end_time": T1,
             "service": {"description": ""}, "invoice": {"month": ""}},
            {"cost": 3, "currency": "EUR", "usage_start_time": T0, "usage_end_time": T1},
            {"cost": 0, "currency": "", "usage_start_time": T0, "usage_end_time": T1}]
    r = read_bill(_gcp(tmp_path, recs)).rows
    assert _nn(r["currency"]) == ["EUR", "EUR", "EUR", None]  # no currency: none
    r = r.iloc[:3]
    # December in PST (UTC-8): 08:00 UTC on the 1st, to January 1st 08:00 UTC
    assert r["billing_start"].iloc[0] == pd.Timestamp("2026-12-01 08:00")
    assert r["billing_end"].iloc[0] == pd.Timestamp("2027-01-01 08:00")
    assert r["billing_start"].iloc[1:].isna().all() and r["billing_end"].iloc[1:].isna().all()
    # no service name: no category (not "Other")
    assert _nn(r["service_category"]) == ["Compute", None, None]
    assert r["label"].tolist() == ["usage"] * 3
    assert r["tags"].tolist() == [{}] * 3


def test_gcp_csv_dotted_columns_and_credit_text(tmp_path):
    head = ("cost,currency,usage_start_time,usage_end_time,service.description,sku.id,"
            "resource.name,invoice.month,credits,cost_type")
    p = _write(tmp_path, "gcp.csv", "\n".join([
        head,
        f'5,USD,{T0},{T1},Vertex AI,S9,ep-1,202610,"[{{""amount"": ""-1.5"", '
        f'""type"": ""FREE_TIER"", ""name"": ""free""}}]",',
        f"2,USD,{T0},{T1},Cloud Storage,S8,,202610,,regular",
    ]) + "\n")
    r = read_bill(p).rows
    assert r["effective_cost"].tolist() == [5, Decimal("-1.5"), 2]  # 5 - 1.5 + 2 = 5.5
    assert r["label"].tolist() == ["usage", "credit", "usage"]
    assert r["service_category"].tolist() == ["AI and Machine Learning"] * 2 + ["Storage"]
    assert r["resource_id"].tolist() == ["ep-1", "ep-1", None]
    assert r["sku_id"].tolist() == ["S9", "S9", "S8"]
    assert _nn(r["description"]) == [None, "free", None]


def test_gcp_get_reads_nested_flat_and_json_text():
    assert gcp._get({"a.b": 1, "a": {"b": 2}}, "a.b") == 1
    assert gcp._get({"a": {"b": {"c": 3}}}, "a.b.c") == 3
    assert gcp._get({"a": ' {"b": 4}'}, "a.b") == 4
    assert gcp._get({"a": "{not json"}, "a.b") is None
    assert gcp._get({"a": "text"}, "a.b") is None
    assert gcp._get({"a": {"c": 1}}, "a.b") is None
    assert gcp._get({}, "a.b") is None


def test_gcp_cell_and_credit_helpers():
    assert gcp._s(None) is None and gcp._s("NULL") is None and gcp._s(float("nan")) is None
    assert gcp._s(" x ") == "x" and gcp._s(5) == "5"
    assert gcp._s(["a"]) == "['a']" and gcp._s({}) == "{}"
    assert gcp._credits(None, "w") == [] and gcp._credits("", "w") == []
    assert gcp._credits(float("nan"), "w") == [] and gcp._credits("NULL", "w") == []
    assert gcp._credits(np.array([{"amount": 1}]), "w") == [{"amount": 1}]
    assert gcp._credits('[{"amount": 1}]', "w") == [{"amount": 1}]
    e = _err(gcp._credits, "[{", "f: row 4")
    assert e.where == "f: row 4" and e.message.startswith("credits: invalid JSON (")
    for bad in ('{"amount": 1}', "[1]", 5, {"amount": 1}):
        e = _err(gcp._credits, bad, "f: row 2")
        assert (e.message, e.where) == (
            "credits: expected a list of {name, amount, type} records", "f: row 2")


def test_gcp_missing_columns_and_bad_credit_row(tmp_path):
    p = _gcp(tmp_path, [{"cost": 1, "currency": "USD", "service": {"description": "x"},
                         "usage_start_time": T0},
                        {"cost": 1, "currency": "USD", "service": {"description": "x"},
                         "usage_start_time": T0, "credits": "[oops"}])
    e = _err(read_bill, p)
    assert e.where == f"{p}: row 2" and e.message.startswith("credits: invalid JSON")
    raw = pd.DataFrame({"cost": [1], "currency": ["USD"], "service": ["x"]})
    e = _err(gcp.normalize, raw, "g.json")
    assert (e.message, e.where) == (
        "GCP billing export: missing required column usage_start_time", "g.json")
    e = _err(gcp.normalize, pd.DataFrame({"cost": [1]}), "g.json")
    assert (e.message, e.where) == ("GCP billing export: missing required column currency",
                                    "g.json")


@pytest.mark.parametrize("field,value,message", [
    ("usage_end_time", "late", "column usage_end_time: cannot parse timestamp 'late' "
     "(expected ISO 8601, year first: 2026-10-01T00:00:00Z)"),
    ("invoice", {"month": "2026ab"},  # (it was read as the timestamp '2026-ab-01')
     "column invoice.month: expected YYYYMM (as 202610), got '2026ab'"),
    ("invoice", {"month": "2026-10"},  # ('2026--1-01': the billing period in January)
     "column invoice.month: expected YYYYMM (as 202610), got '2026-10'"),
    ("invoice", {"month": "202613"}, "column invoice.month: expected YYYYMM (as 202610), "
     "got '202613'"),
])
def test_gcp_bad_end_or_month_names_the_row(tmp_path, field, value, message):
    ok = {"cost": 1, "currency": "USD", "usage_start_time": T0, "usage_end_time": T1,
          "invoice": {"month": "202610"}, "service": {"description": "x"}}
    p = _gcp(tmp_path, [ok, {**ok, field: value}])
    e = _err(read_bill, p)
    assert (e.message, e.where) == (message, f"{p}: row 2")


def test_gcp_bad_cost_names_the_row(tmp_path):
    p = _gcp(tmp_path, [{"cost": 1, "currency": "USD", "usage_start_time": T0,
                         "service": {"description": "x"}},
                        {"cost": "lots", "currency": "USD", "usage_start_time": T0,
                         "service": {"description": "x"}}])
    e = _err(read_bill, p)
    assert (e.message, e.where) == ("column cost: expected a decimal amount, got 'lots'",
                                    f"{p}: row 2")
    p = _gcp(tmp_path, [{"cost": 1, "currency": "USD", "usage_start_time": "when",
                         "service": {"description": "x"}}], name="t.jsonl")
    e = _err(read_bill, p)
    assert (e.message, e.where) == ("column usage_start_time: cannot parse timestamp 'when'"
                                    " (expected ISO 8601, year first: 2026-10-01T00:00:00Z)",
                                    f"{p}: row 1")


# ---------------------------------------------------------------- read_bill, formats


def test_sniff_format():
    assert sniff_format(pd.DataFrame(columns=["BilledCost"])) == "focus"
    assert sniff_format(pd.DataFrame(columns=["billedcost"])) == "focus"
    assert sniff_format(pd.DataFrame(columns=["line_item_x"])) == "cur"
    assert sniff_format(pd.DataFrame(columns=["lineItem/UnblendedCost"])) == "cur"
    assert sniff_format(pd.DataFrame(columns=["cost", "sku"])) == "gcp"
    assert sniff_format(pd.DataFrame(columns=["cost", "service"])) == "gcp"
    assert sniff_format(pd.DataFrame(columns=["cost", "usage_start_time"])) == "gcp"
    assert sniff_format(pd.DataFrame(columns=["cost", "service.description"])) == "gcp"
    for cols in (["cost"], ["service", "sku"], ["amount"]):
        e = _err(sniff_format, pd.DataFrame(columns=cols))
        assert e.where is None
        assert e.message == (
            "cannot tell the bill format: expected FOCUS (BilledCost...), AWS CUR 2.0 "
            "(line_item_...) or GCP export (cost, service, sku...) columns")


def test_read_bill_names_the_file_it_cannot_sniff(tmp_path):
    p = _write(tmp_path, "x.csv", "a,b\n1,2\n")
    e = _err(read_bill, p)
    assert e.where == str(p) and e.message.startswith("cannot tell the bill format")
    e = _err(read_bill, p, "xml")
    assert (e.message, e.where) == ("unknown bill format 'xml' (focus, cur, gcp)",
                                    "--bill-format")
    h = _write(tmp_path, "h.csv", FOCUS_HEAD + "\n")
    e = _err(read_bill, h)
    assert (e.message, e.where) == ("a header and no rows (expected at least one charge)",
                                    str(h))


def test_read_bill_several_files_and_formats(tmp_path):
    d = tmp_path / "bills"
    d.mkdir()
    _focus(d, [f"AWS,USD,1.10,1.00,Usage,{T0},{T1}", f"AWS,USD,2,,Usage,{T0},{T1}"],
           name="a.csv")
    _gcp(d, [{"cost": "3.5", "currency": "USD", "usage_start_time": T0,
              "service": {"description": "Cloud Run"},
              "credits": [{"amount": "-0.5", "type": "FREE_TIER"}]}], name="b.json")
    bill = read_bill(d)
    assert bill.format == "focus+gcp"
    assert bill.rows_read == 3  # 2 FOCUS rows + 1 GCP export row (its credit is extra)
    assert bill.row_count == 4
    assert bill.sources == [str(d / "a.csv"), str(d / "b.json")]
    assert bill.rows["row"].tolist() == [1, 2, 1, 1]
    assert list(bill.rows.index) == [0, 1, 2, 3]
    assert bill.rows.attrs == {}
    # effective 1.00 + 2 (from BilledCost) + 3.5 - 0.5 = 6.00
    assert sum(bill.rows["effective_cost"], Decimal(0)) == Decimal("6.00")
    assert len(bill.notes) == 1 and bill.notes[0].startswith(f"{d / 'a.csv'}: 1 row with")
    assert bill.totals() == {"AWS": Decimal("3.00"), "Google Cloud": Decimal("3.0")}


def test_read_bill_forced_format(tmp_path):
    p = _focus(tmp_path, [f"AWS,USD,1,1,Usage,{T0},{T1}"])
    assert read_bill(p, "focus").format == "focus"
    e = _err(read_bill, p, "cur")
    assert e.message.startswith("AWS CUR 2.0 bill: missing required columns")


def test_currency_conversion_with_rates(tmp_path):
    p = _focus(tmp_path, [f"AWS,USD,10,8,Usage,{T0},{T1}", f"AWS,EUR,10,5,Usage,{T0},{T1}",
                          f"AWS,GBP,1,1,Usage,{T0},{T1}", f"AWS,EUR,1,1,Usage,{T0},{T1}"])
    bill = read_bill(p, rates={"EUR": Decimal("1.1"), "GBP": "1.25"}, currency="USD")
    r = bill.rows
    assert r["currency"].tolist() == ["USD"] * 4
    # EUR 10 x 1.1 = 11.0, 5 x 1.1 = 5.5; GBP 1 x 1.25 = 1.25; EUR 1 x 1.1 = 1.1
    assert r["billed_cost"].tolist() == [10, Decimal("11.0"), Decimal("1.25"), Decimal("1.1")]
    assert r["effective_cost"].tolist() == [8, Decimal("5.5"), Decimal("1.25"), Decimal("1.1")]
    assert bill.notes == ["converted 2 EUR rows to USD at 1.1",
                          "converted 1 GBP rows to USD at 1.25"]
    # into a currency the bill does not hold at all
    bill = read_bill(p, rates={"EUR": 2, "GBP": 3, "USD": 1}, currency="JPY")
    assert bill.rows["currency"].tolist() == ["JPY"] * 4
    assert bill.rows["billed_cost"].tolist() == [10, 20, 3, 2]


def test_currency_conversion_refusals(tmp_path):
    p = _focus(tmp_path, [f"AWS,USD,10,8,Usage,{T0},{T1}", f"AWS,EUR,10,5,Usage,{T0},{T1}"])
    e = _err(read_bill, p)
    assert (e.message, e.where) == (
        "the bill mixes currencies EUR, USD; give exchange rates (rules: currency + "
        "exchange_rates)", str(p))
    q = _focus(tmp_path, [f"AWS,EUR,3,3,Usage,{T0},{T1}"], name="focus2.csv")
    e = _err(read_bill, [p, q])  # two files: the mix is the bill's, not one file's
    assert e.where == "bill"
    e = _err(read_bill, [p, p])  # one file named twice: refused before anything is read
    assert (e.where, e.message) == (str(p), f"named twice (also as {p}): expected each "
                                    "file once (its rows would count twice)")
    e = _err(read_bill, p, rates={"EUR": 1})
    assert (e.message, e.where) == ("rules give exchange_rates but no target currency",
                                    "rules: currency")
    e = _err(read_bill, p, rates={"GBP": 1}, currency="USD")
    assert (e.message, e.where) == ("the bill has EUR rows and no exchange rate EUR->USD",
                                    "rules: exchange_rates")


def test_conversion_into_the_first_currency(tmp_path):
    p = _focus(tmp_path, [f"AWS,EUR,10,8,Usage,{T0},{T1}", f"AWS,USD,10,4,Usage,{T0},{T1}"])
    bill = read_bill(p, rates={"USD": Decimal("0.5")}, currency="EUR")
    # the EUR row as it is; USD 10 x 0.5 = 5.0 and 4 x 0.5 = 2.0
    assert bill.rows["billed_cost"].tolist() == [10, Decimal("5.0")]
    assert bill.rows["effective_cost"].tolist() == [8, Decimal("2.0")]
    assert bill.notes == ["converted 1 USD rows to EUR at 0.5"]


def test_one_currency_bill_is_not_converted(tmp_path):
    p = _focus(tmp_path, [f"AWS,EUR,10,8,Usage,{T0},{T1}"])
    unused = ["exchange_rates: EUR unused (every bill row is in EUR)"]  # (its own rate)
    bill = read_bill(p, rates={"EUR": 2})
    assert bill.rows["billed_cost"].tolist() == [10] and bill.notes == unused
    bill = read_bill(p, rates={"EUR": 2}, currency="EUR")
    assert bill.rows["billed_cost"].tolist() == [10] and bill.notes == unused
    bill = read_bill(p, rates={"EUR": 2}, currency="USD")
    assert bill.rows["billed_cost"].tolist() == [20]
    assert bill.notes == ["converted 1 EUR rows to USD at 2"]


def test_convert_currency_of_a_bill_without_currencies_does_nothing():
    df = _bill_frame(currency=[None], billed_cost=[Decimal(1)], effective_cost=[Decimal(1)],
                     nrows=[1])
    b = br.Bill(rows=df, sources=["x"], format="focus", rows_read=1)
    convert_currency(b, {"EUR": Decimal(2)}, "USD")
    assert b.rows["currency"].tolist() == [None] and b.notes == []


def test_conversion_counts_bill_rows_of_reduced_rows():
    df = _bill_frame(currency=["EUR", "USD"], billed_cost=[Decimal(1), Decimal(1)],
                     effective_cost=[Decimal(1), Decimal(1)], nrows=[5, 1])
    b = br.Bill(rows=df, sources=["x"], format="focus", rows_read=6)
    convert_currency(b, {"EUR": Decimal("0.5")}, "USD")
    assert b.notes == ["converted 5 EUR rows to USD at 0.5"]
    assert b.rows["billed_cost"].tolist() == [Decimal("0.5"), 1]


def test_converts_only_reduced_rows_standing_for_several():
    def f(currency, nrows, reduced):
        rows = _bill_frame(currency=currency, nrows=nrows)
        return billmod._File(Path("x"), rows, len(nrows), "focus", [], reduced)

    assert billmod._converts([f(["EUR"], [3], True), f(["USD"], [1], False)], "USD")
    assert not billmod._converts([f(["EUR"], [1], True), f(["USD"], [1], False)], "USD")
    assert not billmod._converts([f(["EUR"], [3], False), f(["USD"], [1], True)], "USD")
    assert not billmod._converts([f(["EUR"], [3], True)], None)  # one currency: none to do
    assert billmod._converts([f(["EUR", None], [3, 2], True), f(["USD"], [1], False)], None)


# ---------------------------------------------------------------- OTel spans (usage)


def _av(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [_av(x) for x in v]}}
    return {"stringValue": v}


def _attrs(d: dict) -> list[dict]:
    return [{"key": k, "value": _av(v)} for k, v in d.items()]


def _span(span_id, attrs, start=1_000_000_000, end=1_500_000_000, **kw):
    return {"traceId": "t", "spanId": span_id, "name": kw.pop("name", "chat"),
            "startTimeUnixNano": str(start), "endTimeUnixNano": str(end),
            "attributes": _attrs(attrs), **kw}


def _doc(spans, resource=None, key="scopeSpans"):
    return {"resourceSpans": [{"resource": {"attributes": _attrs(resource or {})},
                               key: [{"spans": spans}]}]}


def test_otel_values_and_attributes():
    from infercost.ingest import otel

    assert otel._value({"stringValue": "a"}) == "a"
    assert otel._value({"boolValue": False}) is False
    assert otel._value({"doubleValue": 1.5}) == 1.5
    assert otel._value({"intValue": "7"}) == 7
    assert otel._value({"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "x"}]}}) \
        == [1, "x"]
    assert otel._value({"arrayValue": {}}) == []
    assert otel._value({"kvlistValue": {}}) is None
    assert otel._value(3) == 3
    assert otel._attrs(None) == {}
    assert otel._attrs([{"key": "a", "value": {"intValue": "2"}}]) == {"a": 2}
    with pytest.raises(InputError, match="attributes: expected a list"):
        otel._attrs([{"key": "a", "value": {"intValue": "2"}}, "junk"])
    assert otel._first({"a": "", "b": None, "c": 0, "d": 5}, ["a", "b", "c", "d"]) == 0
    assert otel._first({}, ["a"]) is None


def test_otel_span_rows_every_column():
    from infercost.ingest import otel

    doc = _doc([
        _span("s1", {"gen_ai.request.model": "req-model", "gen_ai.request.id": "r-1",
                     "gen_ai.usage.prompt_tokens": 12.0, "gen_ai.usage.completion_tokens": "3",
                     "enduser.id": "u9", "url.path": "/p", "infercost.batch.size": 4,
                     "error.type": "timeout"},
              start=2_000_000_000_000, end=2_000_800_000_000, status={"code": 2}),
        _span("s2", {"llm.model_name": "m2", "host.id": "", "server.address": "srv"},
              status={"code": "STATUS_CODE_ERROR"}),
        _span("s3", {"db.system": "redis"}),  # not an inference span
        _span("s4", {"vllm.x": 1}, name="gen", status={"code": 9}),
    ], resource={"host.name": "node-1", "service.version": "2.0", "llm.model_name": "res"})
    rows, n = otel.spans_to_rows(doc, "f: document 1")
    assert n == 4 and len(rows) == 3
    r = rows[0]
    assert r["timestamp"] == 2_000_000_000  # microseconds
    assert r["duration_ms"] == 200.0  # 800 ms span of a batch of 4: 800 / 4
    assert r["request_id"] == "r-1" and r["model"] == "req-model"
    assert r["model_version"] == "2.0" and r["tenant"] == "u9" and r["endpoint"] == "/p"
    assert r["resource_id"] == "node-1"
    assert (r["input_tokens"], r["output_tokens"]) == (12, 3)
    assert r["status"] == "timeout"
    r = rows[1]
    # the model comes from the span's own attributes only, not the resource's
    assert r["model"] == "m2" and r["endpoint"] == "srv" and r["resource_id"] == "node-1"
    assert r["request_id"] == "t:s2" and r["status"] == "ERROR"
    assert r["duration_ms"] == 500.0 and r["tenant"] is None
    assert (r["input_tokens"], r["output_tokens"]) == (None, None)
    r = rows[2]
    assert r["model"] is None and r["endpoint"] == "gen" and r["status"] == "9"


def test_otel_status_codes_and_legacy_key():
    from infercost.ingest import otel

    spans = [_span("a", {"gen_ai.x": 1}, status={"code": 0}),
             _span("b", {"gen_ai.x": 1}, status={"code": 1}),
             _span("c", {"gen_ai.x": 1}, status={"code": "STATUS_CODE_OK"}),
             _span("d", {"gen_ai.x": 1}, status={"code": "STATUS_CODE_UNSET"}),
             _span("e", {"gen_ai.x": 1})]
    rows, n = otel.spans_to_rows(_doc(spans, key="instrumentationLibrarySpans"), "w")
    assert [r["status"] for r in rows] == ["UNSET", "OK", "OK", "UNSET", "UNSET"]
    assert otel.spans_to_rows({}, "w") == ([], 0)
    assert otel.spans_to_rows({"resourceSpans": None}, "w") == ([], 0)
    sp = _span("f", {"gen_ai.x": 1})
    del sp["endTimeUnixNano"]  # no duration to weigh: refused, naming the span
    e = _err(otel.spans_to_rows, _doc([sp]), "w")
    assert (e.message, e.where) == (
        "expected startTimeUnixNano and endTimeUnixNano (integer ns)", "w: span f")


@pytest.mark.parametrize("bad", [0, 1.5, True, "2.5", -1])
def test_otel_bad_batch_size(bad):
    """A batch size that is not a whole number >= 1: that span's busy share is unknown
    (no duration_ms), counted; the other spans read as they are."""
    from infercost.ingest import otel

    c = otel.SpanCounts()
    rows, n = otel.spans_to_rows(_doc([_span("s9", {"gen_ai.x": 1, "infercost.batch.size": bad}),
                                       _span("s8", {"gen_ai.x": 1})]), "f: d 1", c)
    assert n == 2 and [r["duration_ms"] is None for r in rows] == [True, False]
    assert c.bad_divisor == 1


def test_otel_bad_start_and_tokens():
    from infercost.ingest import otel

    sp = _span("s7", {"gen_ai.x": 1})
    sp["startTimeUnixNano"] = "soon"
    e = _err(otel.spans_to_rows, _doc([sp]), "f")
    assert (e.message, e.where) == (
        "expected startTimeUnixNano and endTimeUnixNano (integer ns)", "f: span s7")
    sp = _span("s8", {"gen_ai.x": 1})
    del sp["startTimeUnixNano"]
    assert _err(otel.spans_to_rows, _doc([sp]), "f").where == "f: span s8"
    e = _err(otel.spans_to_rows, _doc([_span("s6", {"llm.usage.completion_tokens": "many"})]),
             "f")
    assert (e.message, e.where) == (
        "gen_ai.usage.output_tokens: expected a token count, got 'many'", "f: span s6")


def test_otel_read_spans_counts_and_documents(tmp_path):
    from infercost.ingest import otel

    p = tmp_path / "s.json"
    p.write_text(json.dumps(_doc([_span("a", {"gen_ai.x": 1}), _span("b", {"x": 1})])) + "\n"
                 + json.dumps(_doc([_span("c", {"llm.y": 1})])) + "\n")
    assert [w for w, _ in otel.documents(p)] == [f"{p}: document 1", f"{p}: document 2"]
    # the same file twice: 3 distinct spans of the 6 read, a and c used once each, each
    # of a, b and c read again once (a span of any kind is counted once)
    table, c = otel.read_spans([p, p])
    assert (c.total, c.used, c.duplicates) == (3, 2, 3)
    assert table.num_rows == 2
    assert table.column_names == ["timestamp", "request_id", "model", "model_version",
                                  "endpoint", "tenant", "resource_id", "provider",
                                  "duration_ms", "input_tokens", "output_tokens", "status"]
    assert str(table.schema.field("timestamp").type) == "timestamp[us]"
    assert table.column("request_id").to_pylist() == ["t:a", "t:c"]


# ---------------------------------------------------------------- replay traces (usage)


def test_trace_csv_seconds_tokens_and_rates(tmp_path):
    from infercost.ingest import trace

    # every row has the header's 4 fields (a short row is refused: see test_trace_faults)
    p = _write(tmp_path, "t.csv", "\ufefftimestamp,input_tokens,output_tokens,x\n"
               "2026-10-01T00:00:00Z,10, ,\n"
               " 2026-10-01 00:00:02.5 ,NULL,4,\n"
               "2026-10-01T02:00:03+02:00,0,5,\n")
    t = trace.read_trace(p)
    assert t.seconds.tolist() == [0.0, 2.5, 3.0] and t.seconds.dtype == np.float64
    assert t.input_tokens.tolist() == [10, 0, 0] and t.input_tokens.dtype == np.int64
    assert t.output_tokens.tolist() == [0, 4, 5]
    assert trace.read_trace_seconds(p) == [0.0, 2.5, 3.0]
    i, o = trace.read_trace_tokens(p, 3)
    assert i.tolist() == [10, 0, 0] and o.tolist() == [0, 4, 5]
    # slices of 2 s: [0, 2) holds 1, [2, 4) holds 2, nothing beyond
    assert trace.trace_rates(p, 2, 2.0) == ([0.5, 1.0], 0)
    assert trace.trace_rates(p, 1, 2.0) == ([0.5], 2)
    assert trace.trace_rates(p, 2, 2.5) == ([0.4, 0.8], 0)  # 2.5 // 2.5 = 1
    e = _err(trace.read_trace_tokens, p, 4)
    assert (e.message, e.where) == ("expected 4 requests, the log has 3", str(p))


def test_trace_without_token_columns_and_parquet(tmp_path):
    from infercost.ingest import trace

    p = _write(tmp_path, "t.csv", "timestamp\n2026-10-01T00:00:00Z\n2026-10-01T00:00:01Z\n")
    t = trace.read_trace(p)
    assert t.input_tokens is None and t.output_tokens is None
    i, o = trace.read_trace_tokens(p, 2)
    assert i.tolist() == [0, 0] and o.tolist() == [0, 0] and i.dtype == np.int64
    q = tmp_path / "t.parquet"
    pq.write_table(pa.table({"timestamp": pa.array(
        [pd.Timestamp("2026-10-01T00:00:00Z"), pd.Timestamp("2026-10-01T00:01:00Z")]),
        "output_tokens": [1, 2], "other": ["a", "b"]}), q)
    t = trace.read_trace(q)
    assert t.seconds.tolist() == [0.0, 60.0]
    assert t.input_tokens is None and t.output_tokens.tolist() == [1, 2]
    empty = _write(tmp_path, "e.csv", "timestamp\n")
    with pytest.raises(InputError, match="no requests"):  # was read as 0 requests, and
        trace.read_trace(empty)  # simulate priced a month with no inference, no note


def test_trace_refusals_name_file_and_row(tmp_path):
    from infercost.ingest import trace

    e = _err(trace.read_trace, tmp_path / "none.csv")
    assert (e.message, e.where) == ("trace file not found", str(tmp_path / "none.csv"))
    p = _write(tmp_path, "a.csv", "time\n1\n")
    assert _err(trace.read_trace, p).message == "missing column `timestamp`"
    p = _write(tmp_path, "b.csv", "timestamp\n2026-10-01T00:00:00Z\nnever\n")
    e = _err(trace.read_trace, p)
    # rows counted with the header as row 1: "never" is row 3
    assert (e.message, e.where) == ("row 3: unparsable timestamp 'never'", str(p))
    p = _write(tmp_path, "c.csv", "timestamp\n2026-10-01T00:00:05Z\n2026-10-01T00:00:06Z\n"
               "2026-10-01T00:00:01Z\n")
    e = _err(trace.read_trace, p)
    assert e.message == "row 4: timestamps are not sorted (earlier than the row before)"
    for bad, shown in (("-3", "'-3'"), ("1.5", "'1.5'"), ("x", "'x'"),
                       ("9007199254740993", "'9007199254740993'")):
        p = _write(tmp_path, "d.csv", f"timestamp,output_tokens\n2026-10-01T00:00:00Z,1\n"
                   f"2026-10-01T00:00:01Z,{bad}\n")
        e = _err(trace.read_trace, p)
        assert (e.message, e.where) == (
            f"row 3: column output_tokens: expected a whole number >= 0, got {shown}", str(p))
    p = tmp_path / "e.parquet"
    p.write_bytes(b"junk")
    e = _err(trace.read_trace, p)
    assert e.where == str(p) and e.message.startswith("cannot read parquet: ")
    p = _write(tmp_path, "f.json", "[1, 2]")
    assert _err(trace.read_trace, p).message == "expected a JSON array of objects"


# ---------------------------------------------------------------- platform counts (usage)


def test_counts_split_largest_remainder():
    from infercost.ingest.counts import _split

    assert _split(10, [1, 1, 1]) == [4, 3, 3]  # 3.33 each: the extra unit to the earliest
    assert _split(5, [1, 2]) == [2, 3]  # 1.67 + 3.33: remainders .67 > .33
    assert _split(7, [1800.0, 1800.0]) == [4, 3]
    assert _split(0, [1.0]) == [0]
    assert _split(None, [1.0, 2.0]) == [None, None]
    # 1.5, .75, .75: base 1, 0, 0; the two largest remainders (.75, .75) get the 2 left
    assert _split(3, [0.5, 0.25, 0.25]) == [1, 1, 1]
    assert _split(1, [1, 1]) == [1, 0]  # a tie: the earliest


def test_counts_csv_spread_over_clock_hours(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", "Period_Start, period_s ,resource_id,endpoint,model,requests,"
               "mean_latency_ms,input_tokens\n"
               "2026-10-01T00:30:00Z,3600,ep-1, /e ,m,10,100,1000\n"
               "2026-10-01T02:00:00Z,7200,ep-1,,NULL,7,,\n"
               "2026-10-01T05:00:00Z,60,ep-1,,,0,1,\n")
    c = read_counts(p)
    assert c.rows_read == 3 and c.files == [p] and c.has_latency is False
    assert c.notes == ["counts: mean latency given on some rows only; cost is split by "
                       "request count and idle is not measured"]
    t = c.table.to_pydict()
    # row 1: 00:30-01:00 and 01:00-01:30, 1800 s each: 5 + 5 requests, 500 + 500 tokens,
    # busy 5 x 100 ms = 500 ms each; row 2: 02:00-03:00, 03:00-04:00: 3.5 + 3.5 -> 4 + 3
    assert t["requests"] == [5, 5, 4, 3]
    assert [str(x) for x in t["timestamp"]] == [
        "2026-10-01 00:30:00", "2026-10-01 01:00:00", "2026-10-01 02:00:00",
        "2026-10-01 03:00:00"]
    assert t["duration_ms"] == [500.0, 500.0, None, None]
    assert t["input_tokens"] == [500, 500, None, None]
    assert t["output_tokens"] == [None] * 4
    assert t["request_id"] == [f"{p}:1:0", f"{p}:1:1", f"{p}:2:0", f"{p}:2:1"]
    assert t["endpoint"] == ["/e", "/e", None, None]
    assert t["model"] == ["m", "m", None, None]
    assert t["resource_id"] == ["ep-1"] * 4 and t["tenant"] == [None] * 4


def test_counts_period_and_resource_from_options(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", "period_start,requests,mean_latency_ms\n"
               "2026-10-01T00:00:00Z,3,2.5\n")
    c = read_counts(p, resource="ep-9", period_s=60)
    assert c.has_latency is True and c.notes == []
    t = c.table.to_pydict()
    assert t["resource_id"] == ["ep-9"] and t["requests"] == [3]
    assert t["duration_ms"] == [7.5]  # 3 x 2.5 ms


@pytest.mark.parametrize("head,row,message,where", [
    ("period_start,requests", "2026-10-01,1",
     "counts: missing required columns period_s, resource_id (or --counts-period / "
     "--counts-resource)", ""),
    ("period_s,resource_id", "60,r",
     "counts: missing required columns period_start, requests", ""),
    ("period_start,period_s,resource_id", "2026-10-01,60,r",
     "counts: missing required column requests", ""),
    ("period_start,period_s,resource_id,requests", ",60,r,1",
     "column period_start: empty (expected a UTC timestamp)", ": row 1"),
    ("period_start,period_s,resource_id,requests", "2026-10-01,0,r,1",
     "column period_s: expected a positive number, got '0'", ": row 1"),
    ("period_start,period_s,resource_id,requests", "2026-10-01,,r,1",
     "column period_s: empty (expected a positive number); 1 of 1 cells is blank: "
     "--counts-period SECONDS fills blank cells", ": row 1"),
    ("period_start,period_s,resource_id,requests", "2026-10-01,60,,1",
     "column resource_id: empty (expected the bill's ResourceId)", ": row 1"),
    ("period_start,period_s,resource_id,requests", "2026-10-01,60,r,1.5",
     "column requests: expected a whole number >= 0, got '1.5'", ": row 1"),
    ("period_start,period_s,resource_id,requests", "2026-10-01,60,r,NULL",
     "column requests: empty (expected a whole number >= 0)", ": row 1"),
    ("period_start,period_s,resource_id,requests,mean_latency_ms", "2026-10-01,60,r,1,-1",
     "column mean_latency_ms: expected a finite number >= 0, got '-1'", ": row 1"),
    ("period_start,period_s,resource_id,requests,input_tokens", "2026-10-01,60,r,1,inf",
     "column input_tokens: expected a whole number >= 0, got 'inf'", ": row 1"),
    ("period_start,period_s,resource_id,requests,input_tokens", "2026-10-01,60,r,1,x",
     "column input_tokens: expected a whole number >= 0, got 'x'", ": row 1"),
    ("period_start,period_s,resource_id,requests", "2026-10-01,60,r,1e16",
     "column requests: expected a whole number >= 0, got '1e16'", ": row 1"),
])
def test_counts_refusals(tmp_path, head, row, message, where):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", f"{head}\n{row}\n")
    e = _err(read_counts, p)
    assert (e.message, e.where) == (message, f"{p}{where}")


def test_counts_header_only_and_bad_period_option(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", "period_start,period_s,resource_id,requests\n")
    c = read_counts(p)  # a header and no rows: no rows (the run notes it), as a usage log
    assert (c.rows_read, c.table.num_rows, c.has_latency) == (0, 0, False)
    p = _write(tmp_path, "d.csv", "period_start,resource_id,requests\n2026-10-01,r,1\n")
    for bad in (0, -5, float("inf"), float("nan")):
        e = _err(read_counts, p, period_s=bad)
        assert (e.message, e.where) == (
            f"expected a positive number of seconds, got {bad!r}", "--counts-period")


def _cw(results) -> str:
    return json.dumps({"MetricDataResults": results})


def test_counts_cloudwatch_json(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "cw.json", _cw([
        {"Id": "m1", "Label": "Invocations", "StatusCode": "Complete",
         "Timestamps": ["2026-10-01T01:00:00Z", "2026-10-01T00:00:00Z"], "Values": [6, 4]},
        {"Id": "m2", "Label": "Model Latency", "Timestamps": ["2026-10-01T00:00:00Z"],
         "Values": [2500]},
        {"Id": "m3", "Label": "InvocationsPerInstance", "Timestamps": [], "Values": []},
        {"Id": "other", "Timestamps": [], "Values": []},
    ]))
    c = read_counts(p, resource="ep-1", period_s=3600)
    t = c.table.to_pydict()
    assert t["requests"] == [4, 6]  # sorted by time
    # latency 2500 us = 2.5 ms for 4 requests: 10 ms busy; the 01:00 hour has none
    assert t["duration_ms"] == [10.0, None]
    assert t["endpoint"] == ["ep-1", "ep-1"] and t["resource_id"] == ["ep-1", "ep-1"]
    assert c.has_latency is False
    assert c.notes == [
        f"{p}: metric 'InvocationsPerInstance' ignored (only Invocations and ModelLatency "
        "are read)",
        f"{p}: metric 'other' ignored (only Invocations and ModelLatency are read)",
        f"{p}: CloudWatch Invocations (Sum) and ModelLatency (Average, µs) for ep-1, "
        "3600 s periods",
        "counts: mean latency given on some rows only; cost is split by request count and "
        "idle is not measured"]


def test_counts_cloudwatch_by_id_and_partial_status(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "cw.json", _cw([
        {"Id": "endpointInvocations", "StatusCode": "PartialData",
         "Timestamps": ["2026-10-01T00:00:00Z"], "Values": [2]},
        {"Id": "modellatency", "Timestamps": ["2026-10-01T00:00:00Z"], "Values": [1000]}]))
    c = read_counts(p, resource="ep", period_s=60.5)
    assert c.table.to_pydict()["duration_ms"] == [2.0]
    assert c.has_latency is True
    assert c.notes[0] == (f"{p}: metric None is PartialData (CloudWatch returned part of "
                          "the range)")
    assert c.notes[1].endswith("for ep, 60.5 s periods")


@pytest.mark.parametrize("doc,kw,message,suffix", [
    ("{", {}, None, ": line 1"),  # the line of the JSON error (a char offset before)
    ('{"x": 1}', {}, "expected the output of `aws cloudwatch get-metric-data` (a "
     "MetricDataResults list)", ""),
    ("[1]", {}, "expected the output of `aws cloudwatch get-metric-data` (a "
     "MetricDataResults list)", ""),
    (_cw([]), {"period_s": 60}, "CloudWatch output names no resource: give "
     "--counts-resource (the bill's ResourceId of the endpoint)", ""),
    (_cw([]), {"resource": "r", "period_s": 60},
     "no Invocations metric in MetricDataResults", ""),
    (_cw([{"Label": "Invocations", "Timestamps": ["2026-10-01"], "Values": []}]),
     {"resource": "r", "period_s": 60}, "Timestamps and Values differ in length",
     ": MetricDataResults[0]"),
    (_cw([{"Label": "Invocations", "Timestamps": ["2026-10-01"], "Values": [1.5]}]),
     {"resource": "r", "period_s": 60},
     "Invocations: expected whole numbers (statistic Sum), got 1.5", ": 2026-10-01 00:00:00"),
])
def test_counts_cloudwatch_refusals(tmp_path, doc, kw, message, suffix):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "cw.json", doc)
    e = _err(read_counts, p, **kw)
    assert e.where == f"{p}{suffix}"
    if message is None:
        assert e.message.startswith("invalid JSON: ")
    else:
        assert e.message == message


# ---------------------------------------------------------------- usage logs (usage)


@pytest.fixture(scope="module")
def con():
    from infercost.ingest.backends import connect

    return connect("duckdb")


def _usage_frame(con, u):
    return con.execute(u.table.order_by("request_id"))


USAGE_HEAD = "timestamp,request_id,resource_id,duration_ms"


def test_usage_csv_cleaning_and_columns(tmp_path, con):
    from infercost.ingest.usage import read_usage

    p = _write(tmp_path, "u.csv", "TimeStamp,Request_ID,resource_id,duration_ms,gpu_ms,"
               "input_tokens,output_tokens,status,model,tenant\n"
               "\ufeff2026-10-01T02:30:00+02:00 , a ,/SUBSCRIPTIONS/X/VM,12.5,3,10,9007199254740993,"
               "ok, m ,t\n"
               "2026-10-01 01:00:00,b,i-ABC, 7 ,,,4,,,\n")
    u = read_usage(con, p)
    assert u.kinds == ["csv"] and u.files == [p]
    assert u.notes == [f"usage timestamps without a zone or offset, read as UTC (as the bill's "
                       f"are): 1 row of {p}. A log written in local time would sit its offset "
                       "away from the bill's hours: write Z or an offset such as +02:00"]
    assert u.has_gpu_ms is True and u.has_tokens is True
    df = _usage_frame(con, u)
    assert list(df.columns) == ["timestamp", "request_id", "model", "model_version",
                                "endpoint", "tenant", "resource_id", "duration_ms", "gpu_ms",
                                "input_tokens", "output_tokens", "provider", "status",
                                "requests"]
    assert [str(t) for t in df["timestamp"]] == ["2026-10-01 00:30:00", "2026-10-01 01:00:00"]
    assert df["request_id"].tolist() == ["a", "b"]
    assert df["resource_id"].tolist() == ["/subscriptions/x/vm", "i-ABC"]
    assert df["duration_ms"].tolist() == [12.5, 7.0]
    assert df["gpu_ms"].iloc[0] == 3.0 and pd.isna(df["gpu_ms"].iloc[1])
    assert df["input_tokens"].iloc[0] == 10 and pd.isna(df["input_tokens"].iloc[1])
    # beyond 2^53 is no token count: unknown
    assert pd.isna(df["output_tokens"].iloc[0]) and df["output_tokens"].iloc[1] == 4
    assert df["model"].iloc[0] == "m" and df["tenant"].iloc[0] == "t"
    assert df["status"].iloc[0] == "ok"
    assert df["model_version"].isna().all() and df["endpoint"].isna().all()
    assert df["requests"].tolist() == [1, 1]


def test_usage_without_optional_columns(tmp_path, con):
    from infercost.ingest.usage import read_usage

    p = _write(tmp_path, "u.csv", f"{USAGE_HEAD}\n2026-10-01T00:00:00Z,a,r,1\n")
    u = read_usage(con, p)
    assert u.has_gpu_ms is False and u.has_tokens is False
    df = _usage_frame(con, u)
    assert df["gpu_ms"].isna().all() and df["input_tokens"].isna().all()
    assert df["status"].isna().all() and df["requests"].tolist() == [1]
    p = _write(tmp_path, "v.csv", f"{USAGE_HEAD},output_tokens\n2026-10-01T00:00:00Z,a,r,1,2\n")
    assert read_usage(con, p).has_tokens is True


def test_usage_parquet_native_types(tmp_path, con):
    from infercost.ingest.usage import read_usage

    p = tmp_path / "u.parquet"
    pq.write_table(pa.table({
        "timestamp": pa.array([pd.Timestamp("2026-10-01T02:00:00+02:00")],
                              pa.timestamp("us", tz="Europe/Paris")),
        "request_id": [7], "resource_id": [" r "], "duration_ms": [5],
        "input_tokens": [3.0], "status": [200], "requests": [2]}), p)
    df = _usage_frame(con, read_usage(con, p))
    assert str(df["timestamp"].iloc[0]) == "2026-10-01 00:00:00"
    assert df["request_id"].tolist() == ["7"]
    assert df["resource_id"].tolist() == [" r "]  # Parquet text is taken as it is
    assert df["duration_ms"].tolist() == [5.0] and df["input_tokens"].tolist() == [3]
    assert df["status"].tolist() == ["200"] and df["requests"].tolist() == [2]
    q = tmp_path / "n.parquet"
    pq.write_table(pa.table({"timestamp": pa.array([pd.Timestamp("2026-10-01 03:00")],
                                                   pa.timestamp("us")),
                             "request_id": ["a"], "resource_id": ["r"], "duration_ms": [1.0]}),
                   q)
    assert str(_usage_frame(con, read_usage(con, q))["timestamp"].iloc[0]) == \
        "2026-10-01 03:00:00"


def test_usage_json_shapes(tmp_path):
    from infercost.ingest.usage import json_shape

    assert json_shape(_write(tmp_path, "a.json", ' \n[{"a": 1}]')) == "json_array"
    assert json_shape(_write(tmp_path, "b.jsonl", '{"a": 1}\n{"a": 2}\n')) == "json"
    assert json_shape(_write(tmp_path, "c.json", '{"resourceSpans": []}\n')) == "otel"
    assert json_shape(_write(tmp_path, "d.json", '{\n "a": 1\n}\n')) == "json_array"
    assert json_shape(_write(tmp_path, "e.json", "\ufeff{\"a\": 1}\n")) == "json"
    pretty = "{\n" + " " * 70000 + '"resourceSpans": []\n}\n'  # the key past the first 64 KiB
    assert json_shape(_write(tmp_path, "f.json", pretty)) == "otel"
    bad = tmp_path / "g.json"
    bad.write_bytes(b"\xff\xfe\x00junk")
    e = _err(json_shape, bad)
    # the line and the byte, never Python's "can't decode byte 0xff in position 0"
    assert (e.where, e.message) == (f"{bad}: line 1", "not UTF-8 (byte 0xff; expected UTF-8 text)")


def test_usage_json_array_and_lines(tmp_path, con):
    from infercost.ingest.usage import _records_table, read_usage

    arr = _write(tmp_path, "a.json", json.dumps([
        {"timestamp": "2026-10-01T00:00:00Z", "request_id": "a", "resource_id": "r",
         "duration_ms": 2, "tenant": None},
        {"timestamp": "2026-10-01T00:00:01Z", "request_id": "b", "resource_id": "r",
         "duration_ms": 3.5, "model": "m"}]))
    t = _records_table([arr])
    assert t.column_names == ["timestamp", "request_id", "resource_id", "duration_ms",
                              "tenant", "model"]
    assert t.column("duration_ms").to_pylist() == ["2", "3.5"]
    assert t.column("tenant").to_pylist() == [None, None]
    assert t.column("model").to_pylist() == [None, "m"]
    lines = _write(tmp_path, "l.jsonl", json.dumps(
        {"timestamp": "2026-10-01T00:00:02Z", "request_id": "c", "resource_id": "r",
         "duration_ms": 1.0}) + "\n")
    u = read_usage(con, [arr, lines])
    assert u.kinds == ["json", "json_array"]
    df = _usage_frame(con, u)
    assert df["request_id"].tolist() == ["a", "b", "c"]
    assert df["duration_ms"].tolist() == [2.0, 3.5, 1.0]


def test_usage_refusals_name_file_row_and_column(tmp_path, con):
    from infercost.ingest.usage import read_usage

    p = _write(tmp_path, "a.csv", "timestamp,request_id\n2026-10-01T00:00:00Z,a\n")
    e = _err(read_usage, con, p)
    assert (e.message, e.where) == (
        "usage log: missing required columns resource_id, duration_ms", str(p))
    p = _write(tmp_path, "b.csv", "timestamp,request_id,resource_id\n2026-10-01T00:00:00Z,a,r\n")
    assert _err(read_usage, con, p).message == "usage log: missing required column duration_ms"
    p = _write(tmp_path, "c.csv", f"{USAGE_HEAD},gpu_ms\n2026-10-01T00:00:00Z,a,r,1,x\n2026-10-01T00:00:00Z,b,r,1,y\n")
    e = _err(read_usage, con, p)
    assert (e.message, e.where) == ("column gpu_ms: 2 values cannot be parsed as a number; first 'x'",
                                    f"{p}: row 1")
    p = _write(tmp_path, "d.csv", f"{USAGE_HEAD}\n2026-10-01T00:00:00Z,a,r,1\nlater,b,r,1\n")
    e = _err(read_usage, con, p)
    assert (e.message, e.where) == (
        "column timestamp: 1 value cannot be parsed as a UTC timestamp (a date and a time of day, ISO 8601: 2026-10-01T00:15:00Z); first 'later'",
        f"{p}: row 2")
    p = _write(tmp_path, "e.jsonl", json.dumps({"timestamp": "2026-10-01T00:00:00Z", "request_id": "a",
                                                "resource_id": "r", "duration_ms": "1"}) + "\n"
               + json.dumps({"timestamp": "2026-10-01T00:00:00Z", "request_id": "b", "resource_id": "r",
                             "duration_ms": "slow"}) + "\n")
    e = _err(read_usage, con, p)
    assert (e.message, e.where) == ("column duration_ms: 1 value cannot be parsed as a number; first "
                                    "'slow'",
                                    f"{p}: row 2")


def test_usage_locating_helpers(tmp_path):
    from infercost.ingest import usage

    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert usage._where([a]) == str(a)
    assert usage._where([a, b, c]) == f"{a} (and 2 more)"
    assert usage._first_line(ValueError("  first\nsecond")) == "first"
    assert usage._first_line(ValueError("")) == "ValueError"
    assert usage._first_line(ValueError("x" * 400)) == "x" * 300
    _write(tmp_path, "a.csv", "timestamp,duration_ms\n2026-10-01T00:00:00Z,1\n"
           "\ufeff 2026-10-02T00:00:00Z ,\n")
    _write(tmp_path, "b.csv", "Timestamp,Duration_MS\n2026-10-01T00:00:00Z,1\n"
           "2026-10-01T00:00:00Z,nope\n")
    assert usage._locate([a, b], "csv", "duration_ms") == f"{b}: row 2"
    _write(tmp_path, "c.csv", "timestamp\n2026-10-01T00:00:00Z\nnope\n")
    assert usage._locate([c], "csv", "timestamp") == f"{c}: row 2"
    assert usage._locate([a], "csv", "timestamp") == str(a)
    assert usage._locate([a, b], "csv", "timestamp") == f"{a} (and 1 more)"
    d = _write(tmp_path, "d.csv", "timestamp\n2026-10-01T00:00:00Z\n2026-10-02\n")
    assert usage._first_bad([d], "csv", "timestamp") == (f"{d}: row 2", "2026-10-02")
    j = _write(tmp_path, "j.jsonl", '{"Duration_ms": 1}\n\n{"duration_ms": "x"}\n')
    assert usage._locate([j], "json", "duration_ms") == f"{j}: row 3"
    k = _write(tmp_path, "k.jsonl", "{bad\n")
    assert usage._locate([k, j], "json", "duration_ms") == f"{j}: row 3"
    assert usage._locate([tmp_path / "none.csv"], "csv", "x") == str(tmp_path / "none.csv")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b'{"a": 1}\n\xff\xfe\n')
    assert usage._locate_unreadable([bad], "json") == f"{bad}: line 2: not UTF-8"
    j2 = _write(tmp_path, "j2.jsonl", '{"a": 1}\n\n{oops\n')
    assert usage._locate_unreadable([j2], "json") == f"{j2}: line 3"
    assert usage._locate_unreadable([j2], "csv") == str(j2)
    gz = tmp_path / "g.jsonl.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write('{"a": 1}\n{oops\n')
    assert usage._locate_unreadable([gz], "json") == f"{gz}: line 2"
    assert usage._locate_unreadable([tmp_path / "none.json"], "json") == str(
        tmp_path / "none.json")


def test_usage_combine_and_no_usage(con):
    from infercost.ingest import usage

    u0 = usage.no_usage(con)
    assert u0.notes == ["no usage given: every bill row is shared (or fleet idle by the rules)"]
    assert u0.files == [] and u0.kinds == [] and u0.has_tokens is False
    assert len(con.execute(u0.table)) == 0
    assert usage.combine([u0]) is u0
    a = usage.Usage(u0.table, [Path("a")], ["csv"], ["n1"], True, False)
    b = usage.Usage(u0.table, [Path("b")], ["counts", "csv"], ["n2"], False, True)
    c = usage.combine([a, b])
    assert c.files == [Path("a"), Path("b")] and c.kinds == ["counts", "csv"]
    assert c.notes == ["n1", "n2"] and c.has_gpu_ms is True and c.has_tokens is True
    d = usage.combine([b, b])
    assert d.has_gpu_ms is False and d.has_tokens is True


def test_counts_as_usage(tmp_path, con):
    from infercost.ingest.counts import read_counts
    from infercost.ingest.usage import counts_usage

    p = _write(tmp_path, "c.csv", "period_start,period_s,resource_id,requests,input_tokens\n"
               "2026-10-01T00:00:00Z,60,r,3,30\n")
    u = counts_usage(con, read_counts(p))
    assert u.kinds == ["counts"] and u.files == [p] and u.has_tokens is True
    assert u.has_gpu_ms is False
    df = con.execute(u.table)
    assert df["requests"].tolist() == [3] and df["input_tokens"].tolist() == [30]
    q = _write(tmp_path, "d.csv", "period_start,period_s,resource_id,requests\n"
               "2026-10-01T00:00:00Z,60,r,3\n")
    assert counts_usage(con, read_counts(q)).has_tokens is False


# ---------------------------------------------------------------- priced spans (usage)


def _spans_file(tmp_path, docs, name="s.json"):
    return _write(tmp_path, name, "\n".join(json.dumps(d) for d in docs) + "\n")


def test_priced_spans_every_field(tmp_path):
    from infercost.ingest.spans import read_priced_spans

    spans = [
        _span("p1", {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt",
                     "infercost.cost.amount_decimal": "0.0012", "gen_ai.usage.cost.currency":
                     "USD", "infercost.price_table.version": "v3", "infercost.scenario": "sc",
                     "infercost.batch.size": 4, "infercost.batch.index": 2,
                     "gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5.0,
                     "tenant.id": "t1"},
              start=100, end=1100),
        _span("p2", {"infercost.replica.concurrency": 8, "gen_ai.system": "vllm",
                     "infercost.cost.unpriced_reason": "no price"}, start=5, end=5),
        _span("p3", {"infercost.cost.amount_decimal": "1.5",
                     "gen_ai.usage.cost.source": "provider"}),
        _span("p4", {"llm.x": 1}),
        _span("p5", {"db.system": "redis"}),
    ]
    p = _spans_file(tmp_path, [_doc(spans, resource={"service.version": "9", "tenant.id": "rt"})])
    out = read_priced_spans([p])
    assert out.total == 5 and len(out.spans) == 4 and out.skipped == 1
    assert out.duplicates == 0
    a, b, c, d = out.spans
    assert (a.span_id, a.busy_ns, a.batch, a.index) == ("p1", 1000, 4, 2)
    assert (a.input_tokens, a.output_tokens) == (10, 5)
    assert (a.provider, a.model, a.model_version, a.tenant) == ("openai", "gpt", "9", "t1")
    assert (a.old_cost, a.old_version, a.currency) == (Decimal("0.0012"), "v3", "USD")
    assert a.reason is None and a.scenario == "sc"
    assert (b.busy_ns, b.batch, b.index, b.provider) == (0, 8, None, "vllm")
    assert b.tenant == "rt" and b.old_cost is None and b.reason == "no price"
    assert b.currency is None and b.scenario is None and b.old_version is None
    # a provider-priced span without currency: counted, not read
    assert c.old_cost is None and c.reason == (
        "stored cost without gen_ai.usage.cost.currency")
    assert d.reason == "not priced when recorded" and d.batch is None
    assert d.busy_ns == 500_000_000


def test_priced_spans_duplicates_and_ids(tmp_path):
    from infercost.ingest.spans import read_priced_spans

    s = _span("x", {"gen_ai.x": 1})
    noid = _span("", {"gen_ai.x": 1})
    p = _spans_file(tmp_path, [_doc([s, s, noid, noid])])
    q = _spans_file(tmp_path, [_doc([s])], name="q.json")
    out = read_priced_spans([p, q])
    assert out.total == 3 and out.duplicates == 2 and len(out.spans) == 3


def test_priced_span_refusals(tmp_path):
    from infercost.ingest.spans import read_priced_spans

    def refused(attrs, **kw):
        p = _spans_file(tmp_path, [_doc([_span("z", attrs, **kw)])], name="r.json")
        e = _err(read_priced_spans, [p])
        assert e.where == f"{p}: document 1: span z"
        return e.message

    def odd(attrs) -> tuple:
        """A value the pricer could not read leaves that span unpriced, never the file
        refused: (bad, bad_tokens) of the one span read."""
        p = _spans_file(tmp_path, [_doc([_span("z", attrs)])], name="o.json")
        (sp,) = read_priced_spans([p]).spans
        return sp.bad, sp.bad_tokens

    assert odd({"gen_ai.usage.input_tokens": 1.5}) == (None, "bad gen_ai.usage.input_tokens")
    assert odd({"infercost.batch.size": True}) == ("bad infercost.batch.size", None)
    assert odd({"gen_ai.x": 1, "gen_ai.usage.output_tokens": "lots"}) == (
        None, "bad gen_ai.usage.output_tokens")
    assert odd({"gen_ai.x": 1, "gen_ai.usage.output_tokens": "inf"}) == (
        None, "bad gen_ai.usage.output_tokens")
    assert refused({"infercost.cost.amount_decimal": "NaN", "gen_ai.usage.cost.currency":
                    "USD"}) == "infercost.cost.amount_decimal: expected a decimal number, got 'NaN'"
    assert refused({"infercost.cost.amount_decimal": "abc"}).endswith("got 'abc'")
    assert refused({"infercost.cost.amount_decimal": "1"}) == (
        "a priced span needs gen_ai.usage.cost.currency")
    sp = _span("z", {"gen_ai.x": 1})
    sp["startTimeUnixNano"] = "x"
    p = _spans_file(tmp_path, [_doc([sp])], name="t.json")
    e = _err(read_priced_spans, [p])
    assert e.message == "expected startTimeUnixNano and endTimeUnixNano (integer ns)"


def test_priced_span_file_refusals(tmp_path):
    from infercost.ingest.spans import read_priced_spans

    e = _err(read_priced_spans, [tmp_path / "none.json"])
    assert (e.message, e.where) == ("file not found", str(tmp_path / "none.json"))
    e = _err(read_priced_spans, [tmp_path])
    assert e.message == "is a folder; expected a file"
    b = tmp_path / "b.json"
    b.write_bytes(b"\xff\xfe\x00\x01")
    # the line and the byte, not only "not a text file" (the reader names where it stops)
    e = _err(read_priced_spans, [b])
    assert (e.message, e.where) == ("not UTF-8 (byte 0xff; expected UTF-8 text)", f"{b}: line 1")
    a = _write(tmp_path, "a.json", "[1, 2]")
    assert _err(read_priced_spans, [a]).message == (
        'expected OTLP/JSON ExportTraceServiceRequest objects ({"resourceSpans": [...]}), '
        "one a line or a JSON array of them")
    j = _write(tmp_path, "j.json", "{oops\n{oops\n")
    assert _err(read_priced_spans, [j]).message.startswith("invalid JSON")
    e = _err(read_priced_spans, [_write(tmp_path, "e.json", "")])
    assert (e.message, e.where) == ("the file is empty (expected OTLP/JSON spans)",
                                    str(tmp_path / "e.json"))
    e = _err(read_priced_spans, [_write(tmp_path, "n.json", '{"x": 1}\n')])
    assert (e.message, e.where) == (
        'expected an OTLP/JSON ExportTraceServiceRequest ({"resourceSpans": [...]})',
        f"{tmp_path / 'n.json'}: document 1")
    e = _err(read_priced_spans, [_write(tmp_path, "z.json", '{"resourceSpans": []}\n')])
    assert (e.message, e.where) == ("no spans in the file (its resourceSpans hold none)",
                                    str(tmp_path / "z.json"))


# ---------------------------------------------------------------- bill reduced in the engine


BP = ",2026-10-01T00:00:00Z,2026-11-01T00:00:00Z"  # billing period: the month
ENGINE_HEAD = FOCUS_HEAD + ",ResourceId,BillingPeriodStart,BillingPeriodEnd"


def _engine_bill(tmp_path, extra=None, name="e.csv"):
    # a row outside the fleet loses its charge period only when every row names its
    # billing period (the bill still has a period)
    rows = [f"AWS,USD,1.5,1.25,Usage,{T0},{T1},i-fleet{BP}",
            f"AWS,USD,2,2,Usage,{T0},{T1},bucket{BP}",
            f"AWS,USD,2,2,Usage,{T1},2026-10-01T02:00:00Z,bucket{BP}",
            f"AWS,USD,2,2,Usage,2026-10-01T02:00:00Z,2026-10-01T03:00:00Z,bucket{BP}",
            *(extra or [])]
    return _focus(tmp_path, rows, head=ENGINE_HEAD, name=name)


def test_read_bill_reduced_in_the_engine(tmp_path, con):
    from infercost.ingest.bill_engine import FleetHint

    p = _engine_bill(tmp_path)
    hint = FleetHint(resource_ids=frozenset({"i-fleet"}))
    a = read_bill(p)
    b = read_bill(p, con=con, hint=hint)
    assert b.reduced == [str(p)] and a.reduced == []
    assert b.format == "focus" and b.rows_read == 4 and b.notes == []
    assert b.sources == [str(p)]
    assert b.rows.attrs == {}
    assert b.row_count == 4 and len(b.rows) == 2  # the three bucket hours fold into one
    assert sorted(b.rows["nrows"].tolist()) == [1, 3]
    assert b.rows["nrows"].dtype == "int64"
    kept = dict(zip(b.rows["resource_id"], b.rows["period_dropped"], strict=True))
    assert kept == {"i-fleet": False, "bucket": True}
    # 1.25 + 3 x 2 = 7.25 either way
    assert b.totals() == a.totals() == {"AWS": Decimal("7.25")}
    assert b.rows["source"].tolist() == [str(p)] * 2
    # no hint, no connection, or a GCP file: row by row
    assert read_bill(p, con=con).reduced == []
    assert read_bill(p, hint=hint).reduced == []
    assert read_bill(p, "focus", con=con, hint=hint).reduced == [str(p)]


def test_engine_leaves_noted_and_converted_files_to_the_row_reader(tmp_path, con):
    from infercost.ingest.bill_engine import FleetHint

    hint = FleetHint(resource_ids=frozenset({"i-fleet"}))
    p = _engine_bill(tmp_path, [f"AWS,USD,3,,Usage,{T0},{T1},i-fleet{BP}"])
    b = read_bill(p, con=con, hint=hint)
    assert b.reduced == [] and len(b.notes) == 1 and "(first: row 5)" in b.notes[0]
    # an empty currency is noted by the reader: counted in bill rows, so row by row
    p = _engine_bill(tmp_path, [f"AWS,,3,3,Usage,{T0},{T1},bucket{BP}"], name="nocur.csv")
    b = read_bill(p, con=con, hint=hint)
    assert b.reduced == [] and b.notes == [
        f"{p}: 1 row with an empty BillingCurrency (first: row 5) taken as USD, the "
        "currency of every other row"]
    e = _engine_bill(tmp_path, [f"AWS,EUR,4,4,Usage,{T0},{T1},other{BP}"], name="eur.csv")
    b = read_bill(e, con=con, hint=hint, rates={"EUR": Decimal(2)}, currency="USD")
    # the reduced bucket rows are in USD already; converting the EUR row alone keeps
    # the file reduced: 1.25 + 6 + 4 x 2 = 15.25
    assert b.totals() == {"AWS": Decimal("15.25")} and b.reduced == [str(e)]
    assert b.notes == ["converted 1 EUR rows to USD at 2"]
    e2 = _focus(tmp_path, [f"AWS,EUR,2,2,Usage,{T0},{T1},b{BP}",
                           f"AWS,EUR,2,2,Usage,{T1},2026-10-01T02:00:00Z,b{BP}"],
                head=ENGINE_HEAD, name="eur2.csv")
    b = read_bill([p, e2], con=con, hint=hint, rates={"EUR": Decimal(2)}, currency="USD")
    # the EUR file's two rows fold into one: converting would round a sum, so that file
    # (and every reduced one) is read row by row: 1.25 + 6 + 3 + (2 + 2) x 2 = 18.25
    assert b.reduced == []
    assert b.totals() == {"AWS": Decimal("18.25")}
    assert b.notes[-1] == "converted 2 EUR rows to USD at 2"


def test_usage_unreadable_files_are_named(tmp_path, con):
    from infercost.ingest.usage import read_usage

    p = tmp_path / "u.parquet"
    p.write_bytes(b"PAR1 not really")
    e = _err(read_usage, con, p)
    assert e.where == str(p) and e.message.startswith("cannot read parquet: ")
    r = _write(tmp_path, "r.csv", f"{USAGE_HEAD}\n2026-10-01,a,r,1\n2026-10-01,b\n")
    e = _err(read_usage, con, r)
    assert (e.message, e.where) == ("expected 4 columns as in the header, got 2 "
                                    "(2026-10-01,b)", f"{r}: line 3")
    b = tmp_path / "b.csv"
    b.write_bytes(f"{USAGE_HEAD}\n2026-10-01,a,r,1\n2026-10-01,\xe9,r,1\n".encode("latin-1"))
    e = _err(read_usage, con, b)
    assert (e.where, e.message) == (f"{b}: line 3", "column request_id: not UTF-8 (byte 0xe9; "
                                                    "expected UTF-8 text)")
    j = _write(tmp_path, "j.jsonl", json.dumps({"timestamp": "2026-10-01", "request_id": "a",
                                                "resource_id": "r", "duration_ms": 1})
               + "\n{broken\n")
    e = _err(read_usage, con, j)
    assert e.where == f"{j}: line 2" and e.message.startswith("cannot read json")


# ---------------------------------------------------------------- every column names itself


FOCUS_FULL = ("ProviderName,BillingCurrency,BilledCost,EffectiveCost,ChargeCategory,"
              "ChargePeriodStart,ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd")
FOCUS_OK = dict(zip(FOCUS_FULL.split(","), ["AWS", "USD", "1", "1", "Usage", T0, T1,
                                            "2026-10-01", "2026-11-01"], strict=True))
CUR_FULL = ("line_item_line_item_type,line_item_unblended_cost,line_item_net_unblended_cost,"
            "savings_plan_savings_plan_effective_cost,reservation_effective_cost,"
            "savings_plan_total_commitment_to_date,savings_plan_used_commitment,"
            "line_item_currency_code,line_item_usage_start_date,line_item_usage_end_date,"
            "bill_billing_period_start_date,bill_billing_period_end_date")
CUR_OK = dict(zip(CUR_FULL.split(","), ["Usage", "1", "1", "1", "1", "1", "1", "USD", T0, T1,
                                        "2026-10-01", "2026-11-01"], strict=True))
AMOUNT_COLUMNS = [("focus", c) for c in ("BilledCost", "EffectiveCost")] + [
    ("cur", c) for c in CUR_FULL.split(",")[1:7]]
TIME_COLUMNS = [("focus", c) for c in FOCUS_FULL.split(",")[5:]] + [
    ("cur", c) for c in CUR_FULL.split(",")[8:]]


def _two_rows(tmp_path, fmt, column, bad):
    ok = FOCUS_OK if fmt == "focus" else CUR_OK
    cols = list(ok)
    rows = [",".join(ok.values()), ",".join(bad if c == column else ok[c] for c in cols)]
    return _write(tmp_path, f"{fmt}.csv", "\n".join([",".join(cols), *rows]) + "\n")


@pytest.mark.parametrize("fmt,column", AMOUNT_COLUMNS)
def test_a_bad_amount_names_its_column_and_row(tmp_path, fmt, column):
    p = _two_rows(tmp_path, fmt, column, "12x")
    e = _err(read_bill, p)
    assert (e.message, e.where) == (f"column {column}: expected a decimal amount, got '12x'",
                                    f"{p}: row 2")


@pytest.mark.parametrize("fmt,column", TIME_COLUMNS)
def test_a_bad_timestamp_names_its_column_and_row(tmp_path, fmt, column):
    p = _two_rows(tmp_path, fmt, column, "someday")
    e = _err(read_bill, p)
    assert (e.message, e.where) == (f"column {column}: cannot parse timestamp 'someday' (expected ISO 8601, year first: 2026-10-01T00:00:00Z)",
                                    f"{p}: row 2")


def test_cur_rows_sources_and_interval_with_two_slashes(tmp_path):
    p = _two_rows(tmp_path, "cur", "line_item_line_item_type", "Tax")
    r = read_bill(p).rows
    assert r["row"].tolist() == [1, 2] and r["source"].tolist() == [str(p)] * 2
    assert r["resource_name"].tolist() == [None, None]
    assert r["charge_class"].tolist() == [None, None]
    head = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "identity_time_interval")
    q = _write(tmp_path, "i.csv", f"{head}\nUsage,1,USD,{T0}/{T1}/x\n")
    e = _err(read_bill, q)  # the end is all after the first slash
    assert (e.message, e.where) == (
        f"column line_item_usage_end_date: cannot parse timestamp '{T1}/x' (expected ISO 8601, year first: 2026-10-01T00:00:00Z)",
        f"{q}: row 1")
    # a start date column wins over identity_time_interval
    head2 = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
             "line_item_usage_start_date,line_item_usage_end_date,identity_time_interval")
    q2 = _write(tmp_path, "j.csv", f"{head2}\nUsage,1,USD,{T0},{T1},2026-01-01/2026-01-02\n")
    assert read_bill(q2).rows["charge_start"].tolist() == [pd.Timestamp("2026-10-01")]


def test_cur_usage_type_decides_the_category(tmp_path):
    head = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "line_item_usage_start_date,line_item_usage_end_date,line_item_product_code,"
            "line_item_usage_type")
    p = _write(tmp_path, "c.csv", f"{head}\nUsage,1,usd,{T0},{T1},AmazonEC2,EBS:VolumeUsage\n"
               f"Usage,1,,{T0},{T1},AmazonEC2,BoxUsage\n")
    r = read_bill(p).rows
    assert r["service_category"].tolist() == ["Storage", "Compute"]
    assert r["currency"].tolist()[0] == "USD"


def test_focus_charge_category_beside_a_preview_charge_type(tmp_path):
    p = _focus(tmp_path, [f"AWS,USD,1,1,Tax,{T0},{T1},Usage"], head=FOCUS_HEAD + ",ChargeType")
    r = read_bill(p).rows
    assert r["charge_category"].tolist() == ["Tax"] and r["label"].tolist() == ["tax"]


@pytest.mark.parametrize("column", ["ServiceName", "ConsumedUnit"])
def test_focus_map_in_a_text_column_names_column_and_row(tmp_path, column):
    q = tmp_path / "m.parquet"
    t = pa.table({k: [v, v] for k, v in FOCUS_OK.items()}).append_column(
        column, pa.array([None, [("k", "v")]], pa.map_(pa.string(), pa.string())))
    pq.write_table(t, q)
    e = _err(read_bill, q)
    assert (e.message, e.where) == (
        f"column {column}: expected text or a list of text, got a map or struct",
        f"{q}: row 2")


def test_cur_bill_reduced_in_the_engine_when_forced(tmp_path, con):
    from infercost.ingest.bill_engine import FleetHint

    head = ("line_item_line_item_type,line_item_unblended_cost,line_item_currency_code,"
            "line_item_usage_start_date,line_item_usage_end_date,line_item_resource_id,"
            "bill_billing_period_start_date,bill_billing_period_end_date")
    bp = "2026-10-01T00:00:00Z,2026-11-01T00:00:00Z"
    p = _write(tmp_path, "cur.csv", "\n".join([
        head, f"Usage,1,USD,{T0},{T1},i-fleet,{bp}", f"Usage,2,USD,{T0},{T1},b,{bp}",
        f"Usage,2,USD,{T1},2026-10-01T02:00:00Z,b,{bp}"]) + "\n")
    b = read_bill(p, "cur", con=con, hint=FleetHint(resource_ids=frozenset({"i-fleet"})))
    assert b.reduced == [str(p)] and b.format == "cur" and len(b.rows) == 2
    assert b.totals() == {"AWS": Decimal("5")}  # 1 + 2 + 2
    # a CUR file read as FOCUS is refused, in the engine or not
    e = _err(read_bill, p, "focus", con=con, hint=FleetHint(resource_ids=frozenset({"x"})))
    assert e.message.startswith("FOCUS bill: missing required columns BilledCost")


# ---------------------------------------------------------------- usage group, second pass
# (mutation testing of `ingest_usage` on the current readers: what the first tests left)


def test_usage_gpu_and_token_flags_over_two_kinds_of_file(tmp_path, con):
    from infercost.ingest.usage import read_usage

    # kinds are read in sorted order: csv (gpu_ms, input_tokens only) then json (neither);
    # the flags say whether ANY file carries them, so the json file must not clear them
    a = _write(tmp_path, "a.csv", f"{USAGE_HEAD},gpu_ms,input_tokens\n"
               "2026-10-01T00:00:00Z,a,r,1,2,3\n")
    b = _write(tmp_path, "b.jsonl", json.dumps({"timestamp": "2026-10-01T00:00:01Z",
                                                "request_id": "b", "resource_id": "r",
                                                "duration_ms": 1}) + "\n")
    u = read_usage(con, [a, b])
    assert u.kinds == ["csv", "json"]
    assert u.has_gpu_ms is True and u.has_tokens is True


def test_usage_json_shape_reads_the_first_64_kib_and_a_bom_after_blanks(tmp_path):
    from infercost.ingest.usage import json_shape

    # 700 request lines of 100 bytes (70,000 bytes: past 64 KiB, within 128 KiB), then a
    # tenant named "resourceSpans": only the first 65,536 characters are looked at
    line = json.dumps({"timestamp": "2026-10-01T00:00:00Z", "request_id": "r",
                       "resource_id": "x", "tenant": "t" * 10})
    line = line + " " * (99 - len(line)) + "\n"
    body = line * 700 + json.dumps({"tenant": "resourceSpans"}) + "\n"
    assert json_shape(_write(tmp_path, "big.jsonl", body)) == "json"
    # blanks, then a byte-order mark inside the text: both stripped before the "["
    assert json_shape(_write(tmp_path, "a.json", ' \n\ufeff[{"a": 1}]')) == "json_array"


def _otel_file(tmp_path, name, spans):
    return _write(tmp_path, name, json.dumps(_doc(spans, resource={"host.id": "h1"})) + "\n")


def test_usage_otel_note_counts_each_kind_of_span_in_the_singular_and_plural(tmp_path, con):
    from infercost.ingest.usage import read_usage

    plain = _span("s1", {"gen_ai.x": 1})
    agent = {"gen_ai.operation.name": "invoke_agent"}
    # file 1: s1, one agent span, two hosted calls, s1 again: 4 distinct spans, 3 rows
    p = _otel_file(tmp_path, "a.json", [
        plain, _span("g1", agent), _span("h1", {"gen_ai.provider.name": "openai"}),
        _span("h2", {"gen_ai.provider.name": "anthropic"}), plain])
    assert read_usage(con, p).notes == [
        "OTel: 3 of 4 spans carry gen_ai attributes; 1 agent or tool span "
        "(gen_ai.operation.name) skipped: not inference requests; 2 hosted API calls: "
        "billed by the provider, no share of the host's time; 1 span read again (same "
        "traceId and spanId) counted once"]
    # file 2: s1 three times, two agent spans, one hosted call: 4 distinct spans, 2 rows
    q = _otel_file(tmp_path, "b.json", [
        plain, plain, plain, _span("g1", agent), _span("g2", agent),
        _span("h1", {"gen_ai.system": "openai"})])
    assert read_usage(con, q).notes == [
        "OTel: 2 of 4 spans carry gen_ai attributes; 2 agent or tool spans "
        "(gen_ai.operation.name) skipped: not inference requests; 1 hosted API call: "
        "billed by the provider, no share of the host's time; 2 spans read again (same "
        "traceId and spanId) counted once"]


def test_usage_unreadable_files_name_the_file_and_line(tmp_path, con):
    from infercost.ingest.usage import read_usage

    # a Parquet file the backend cannot open: the file, never a "line" of binary junk
    p = tmp_path / "j.parquet"
    p.write_bytes(b"PAR1\xff\xfe\x00junk\xffPAR1")
    e = _err(read_usage, con, p)
    assert e.where == str(p)
    assert e.message.startswith("cannot read parquet: Footer length error")
    # a byte that is not UTF-8 on line 32 (read when the file is opened), and one on line
    # 5,002 of a timestamp, past the rows the backend sniffs (found by the full scan): the
    # file and line are named either way
    for n in (30, 5000):
        q = tmp_path / f"late{n}.csv"
        q.write_bytes((USAGE_HEAD + "\n" + "2026-10-01T00:00:00Z,r,r,1\n" * n).encode()
                      + b"2026-10-01T00:00:00Z\xff,x,r,1\n")
        e = _err(read_usage, con, q)
        assert (e.where, e.message) == (f"{q}: line {n + 2}", "column timestamp: not UTF-8 "
                                                              "(byte 0xff; expected UTF-8 text)")
    # typed JSON lines (no text column to check) and a malformed 4th line: the full scan
    j = tmp_path / "bad.jsonl"
    j.write_text("".join(json.dumps({"timestamp": "2026-10-01T00:00:00Z", "request_id": f"a{i}",
                                     "resource_id": "r", "duration_ms": 1.5}) + "\n"
                         for i in range(3)) + "{oops\n")
    e = _err(read_usage, con, j)
    assert e.where == f"{j}: line 4"
    # our words and our line count (DuckDB's counted another line and named the file by
    # its absolute path)
    assert e.message == "cannot read json: expected one JSON object per line"


def test_usage_parquet_text_timestamps_are_checked_and_empty_files_pass(tmp_path, con):
    from infercost.ingest.usage import read_usage

    p = tmp_path / "s.parquet"
    pq.write_table(pa.table({"timestamp": ["2026-10-01T00:00:00Z", "later"],
                             "request_id": ["a", "b"], "resource_id": ["r", "r"],
                             "duration_ms": [1.0, 2.0]}), p)
    e = _err(read_usage, con, p)
    # (Parquet text names its row and value, as CSV and JSON lines do)
    assert (e.message, e.where) == (
        "column timestamp: 1 value cannot be parsed as a UTC timestamp (a date and a time of day, ISO 8601: 2026-10-01T00:15:00Z); first 'later'", f"{p}: row 2")
    # a header and no rows: every check sums nothing (null), which is 0 bad values
    h = _write(tmp_path, "h.csv", USAGE_HEAD + "\n")
    assert len(con.execute(read_usage(con, h).table)) == 0


def test_usage_locate_skips_absent_cells_and_columns(tmp_path):
    from infercost.ingest import usage

    # row 1 has no duration_ms at all (absent, not bad); row 2's is bad
    j = _write(tmp_path, "j.jsonl", '{"a": 1}\n{"duration_ms": "x"}\n')
    assert usage._locate([j], "json", "duration_ms") == f"{j}: row 2"
    # a file without the column is skipped; a header with a byte-order mark still matches
    x = _write(tmp_path, "x.csv", "timestamp\n2026-10-01\n")
    b = _write(tmp_path, "b.csv", "\ufeffduration_ms\n1\nnope\n")
    assert usage._locate([x, b], "csv", "duration_ms") == f"{b}: row 2"


def test_otel_values_name_the_attribute_and_place(tmp_path):
    from infercost.ingest import otel

    e = _err(otel._value, {"intValue": True}, "k", "w")
    assert (e.message, e.where) == ("attribute k: intValue: expected an integer, got True", "w")
    e = _err(otel._value, {"intValue": 2.5}, "k")
    assert (e.message, e.where) == ("attribute k: intValue: expected an integer, got 2.5", "")
    assert otel._value({"intValue": 2.0}) == 2 and type(otel._value({"intValue": 2.0})) is int
    e = _err(otel._value, {"arrayValue": {"values": 3}}, "k", "w")
    assert (e.message, e.where) == ('attribute k: arrayValue: expected {"values": [...]}', "w")
    e = _err(otel._value, {"arrayValue": {"values": [{"intValue": "x"}]}}, "k", "w")
    assert (e.message, e.where) == ("attribute k: intValue: expected an integer, got 'x'", "w")
    e = _err(otel._attrs, [{"key": "n", "value": {"intValue": "x"}}], "w")
    assert (e.message, e.where) == ("attribute n: intValue: expected an integer, got 'x'", "w")
    e = _err(otel._attrs, "junk", "w")
    assert (e.message, e.where) == (
        'attributes: expected a list of {"key": ..., "value": {...}} objects', "w")
    assert _err(otel._attrs, "junk").where == ""


def test_otel_objects_and_document_structure_errors():
    from infercost.ingest import otel

    assert otel._objects(None, "spans", "w") == [] and otel._objects("", "spans", "w") == []
    assert otel._objects([{}], "spans", "w") == [{}]
    e = _err(otel._objects, 3, "spans", "w")
    assert (e.message, e.where) == ("spans: expected a list of objects, got int", "w")
    e = _err(otel._objects, [{}, 3, "x"], "spans", "w")
    assert e.message == "spans: expected a list of objects, got a list holding int"

    def err(doc):
        return _err(lambda: list(otel.iter_spans(doc, "w")))

    e = err({"resourceSpans": 3})
    assert (e.message, e.where) == ("resourceSpans: expected a list of objects, got int", "w")
    e = err({"resourceSpans": [{"resource": "x"}]})
    assert (e.message, e.where) == ("resource: expected an object", "w: resourceSpans[0]")
    e = err({"resourceSpans": [{"resource": {"attributes": 3}}]})
    assert e.where == "w: resourceSpans[0]: resource"
    e = err({"resourceSpans": [{"scopeSpans": 3}]})
    assert (e.message, e.where) == ("scopeSpans: expected a list of objects, got int",
                                    "w: resourceSpans[0]")
    e = err({"resourceSpans": [{"scopeSpans": [{"spans": 3}]}]})
    assert (e.message, e.where) == ("spans: expected a list of objects, got int",
                                    "w: resourceSpans[0]: scopeSpans[0]")
    e = _err(otel.span_times, {"startTimeUnixNano": True, "endTimeUnixNano": 5}, "w")
    assert (e.message, e.where) == (
        "expected startTimeUnixNano and endTimeUnixNano (integer ns)", "w")


def test_otel_hosted_providers_and_is_hosted(monkeypatch):
    from infercost.core import semconv
    from infercost.core.catalog import load_catalog
    from infercost.ingest import otel

    monkeypatch.setattr(otel, "_HOSTED", None)
    hp = otel.hosted_providers()
    catalog = {semconv.provider_key(a.provider) for a in load_catalog().api_tokens}
    assert hp == frozenset(semconv.WELL_KNOWN_PROVIDERS) | catalog
    assert {"together", "deepinfra", "openai", "groq"} <= hp
    assert otel.hosted_providers() is hp  # kept
    assert otel.is_hosted({"gen_ai.usage.cost.source": "provider"}) is True
    assert otel.is_hosted({"gen_ai.usage.cost.source": "local",
                           "gen_ai.provider.name": "OpenAI"}) is True
    assert otel.is_hosted({"gen_ai.system": "together"}) is True
    assert otel.is_hosted({"gen_ai.system": "vllm"}) is False
    assert otel.is_hosted({}) is False


def test_otel_divisor_and_token_limits():
    from infercost.ingest import otel

    assert otel._divisor({"infercost.batch.size": 1}) == 1
    assert otel._divisor({"infercost.replica.concurrency": 4}) == 4
    assert otel._divisor({"infercost.cost.divisor": 3}) == 3
    assert otel._divisor({}) == 1
    assert otel._divisor({"infercost.batch.size": 0, "infercost.cost.divisor": 3}) is None
    # exact ints up to 2**63 - 1 (a float would round 2**60 + 1 to 2**60)
    assert otel._tokens({"gen_ai.usage.input_tokens": 2**60 + 1}, otel.INPUT_TOKENS, "w") \
        == 2**60 + 1
    assert otel._tokens({"gen_ai.usage.input_tokens": 2**63 - 1}, otel.INPUT_TOKENS, "w") \
        == 2**63 - 1
    e = _err(otel._tokens, {"gen_ai.usage.prompt_tokens": 2**63}, otel.INPUT_TOKENS, "w")
    assert (e.message, e.where) == ("gen_ai.usage.input_tokens: expected a token count below "
                                    "2**63, got 9223372036854775808", "w")


def test_otel_rows_ids_hosted_columns_and_status():
    from infercost.ingest import otel

    c = otel.SpanCounts()
    agent = {"gen_ai.operation.name": "execute_tool"}
    no_trace = _span("n1", {"gen_ai.x": 1})
    del no_trace["traceId"]
    no_span = _span("", {"gen_ai.x": 1})
    del no_span["spanId"]
    spans = [
        _span("g1", agent), _span("g2", agent),
        _span("s", {"gen_ai.x": 1}, start=1_000_000_999, end=2_000_000_999),
        {**_span("s", {"gen_ai.x": 1}), "traceId": "u"},  # another trace: another span
        no_trace, no_span,
        _span("h", {"gen_ai.provider.name": "OpenAI", "gen_ai.request.model": "gpt",
                    "url.path": "/v1"}),
        _span("h2", {"gen_ai.usage.cost.source": "provider",
                     "infercost.resource_id": "bill-r"}),
        _span("st", {"gen_ai.x": 1}, status={}),
        _span("st2", {"gen_ai.x": 1}, status={"code": [1]}),
    ]
    rows, n = otel.spans_to_rows(_doc(spans, resource={"host.id": "h1",
                                                      "cloud.resource_id": "res-r"}), "w", c)
    assert n == 10 and len(rows) == 8
    assert (c.total, c.used, c.not_inference, c.hosted, c.duplicates) == (10, 8, 2, 2, 0)
    s, u, nt, ns, h, h2, st, st2 = rows
    assert s["timestamp"] == 1_000_000 and type(s["timestamp"]) is int  # 1,000,000,999 ns
    assert s["request_id"] == "t:s" and u["request_id"] == "u:s"
    assert nt["request_id"] == ":n1" and ns["request_id"] == "t:"
    # self-hosted: the resource's ids, no provider
    assert s["resource_id"] == "res-r" and s["provider"] is None
    # hosted: never the host's resource; its own span attributes for every other column
    assert (h["resource_id"], h["provider"], h["model"], h["endpoint"]) == (
        None, "openai", "gpt", "/v1")
    assert (h2["resource_id"], h2["provider"]) == ("bill-r", "unknown")
    assert st["status"] == "UNSET" and st2["status"] == "[1]"


def test_otel_errors_name_the_span(tmp_path):
    from infercost.ingest import otel

    sp = _span("s", {"gen_ai.x": 1})
    sp["attributes"] = "x"
    assert _err(otel.spans_to_rows, _doc([sp]), "w").where == "w: span s"
    e = _err(otel.spans_to_rows, _doc([_span("s", {"gen_ai.usage.input_tokens": "x"})]), "w")
    assert (e.message, e.where) == (
        "gen_ai.usage.input_tokens: expected a token count, got 'x'", "w: span s")
    p = _otel_file(tmp_path, "a.json", [_span("s", {"gen_ai.usage.input_tokens": "x"})])
    assert _err(otel.read_spans, [p]).where == f"{p}: document 1: span s"


def test_priced_spans_ids_kinds_cache_and_places(tmp_path):
    from infercost.ingest.spans import read_priced_spans

    agent = {"gen_ai.operation.name": "invoke_agent"}
    no_trace = _span("n", {"gen_ai.x": 1})
    del no_trace["traceId"]
    no_span = _span("", {"gen_ai.x": 1, "gen_ai.usage.cache_read.input_tokens": 4,
                         "gen_ai.usage.input_tokens": 10})
    del no_span["spanId"]
    p = _spans_file(tmp_path, [_doc([
        _span("r", {"db.system": "redis"}),  # not inference, first: the rest still read
        _span("g1", agent), _span("g2", agent),
        no_trace, no_trace,  # no traceId: never taken for a duplicate
        no_span])])
    out = read_priced_spans([p])
    assert (out.total, out.duplicates, out.not_inference) == (6, 0, 2)
    assert len(out.spans) == 3 and out.skipped == 3
    assert out.spans[2].span_id == "" and out.spans[2].cached_input_tokens == 4
    assert out.spans[0].cached_input_tokens is None
    sp = _span("z", {"gen_ai.x": 1})
    del sp["endTimeUnixNano"]
    q = _spans_file(tmp_path, [_doc([sp])], name="q.json")
    assert _err(read_priced_spans, [q]).where == f"{q}: document 1: span z"
    sp = _span("z", {"gen_ai.x": 1})
    sp["attributes"] = 3
    q = _spans_file(tmp_path, [_doc([sp])], name="r.json")
    assert _err(read_priced_spans, [q]).where == f"{q}: document 1: span z"
    b = tmp_path / "b.json"
    b.write_bytes(b"\xff\xfe\x00\x01")
    assert _err(read_priced_spans, [b]).where == f"{b}: line 1"
    a = _write(tmp_path, "a.json", "[1, 2]")
    assert _err(read_priced_spans, [a]).where == str(a)


def test_trace_cells_bom_equal_times_and_spellings(tmp_path):
    from infercost.ingest import trace

    # a byte-order mark in cells; equal start times are sorted; "nan", "None", "<NA>"
    # spell an empty count (0); 2**53 and "2.0" are whole numbers
    p = _write(tmp_path, "t.csv", "timestamp,input_tokens,output_tokens\n"
               "2026-10-01T00:00:00Z,nan,1000\n"
               "\ufeff2026-10-01T00:00:00Z,\ufeff7,None\n"
               "2026-10-01T00:00:01Z,<NA>,2.0\n"
               "2026-10-01T00:00:02Z,9007199254740992,0\n")
    t = trace.read_trace(p)
    assert t.seconds.tolist() == [0.0, 0.0, 1.0, 2.0]
    assert t.input_tokens.tolist() == [0, 7, 0, 2**53]
    assert t.output_tokens.tolist() == [1000, 0, 2, 0] and t.output_tokens.dtype == np.int64
    # "NA" and "NULL" are text, not pandas' missing values
    q = _write(tmp_path, "q.csv", "timestamp,output_tokens\n2026-10-01T00:00:00Z,NA\n")
    assert _err(trace.read_trace, q).message == (
        "row 2: column output_tokens: expected a whole number >= 0, got 'NA'")  # header row 1
    q = _write(tmp_path, "r.csv", "timestamp\n2026-10-01T00:00:00Z\nNULL\n")
    e = _err(trace.read_trace, q)
    assert (e.message, e.where) == ("row 3: unparsable timestamp 'NULL'", str(q))
    q = _write(tmp_path, "s.csv", "time\n1\n")
    assert _err(trace.read_trace, q).where == str(q)
    q = _write(tmp_path, "u.csv", "timestamp\n2026-10-01T00:00:05Z\n2026-10-01T00:00:01Z\n")
    assert _err(trace.read_trace, q).where == str(q)
    j = tmp_path / "e.parquet"
    j.write_bytes(b"junk")
    assert _err(trace.read_trace, j).message == (
        "cannot read parquet: Parquet file size is 4 bytes, smaller than the minimum file "
        "footer (8 bytes)")


def test_counts_hints_periods_and_cloudwatch_names(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", "period_start,resource_id,requests\n2026-10-01,r,1\n")
    e = _err(read_counts, p)
    assert e.message == ("counts: missing required column period_s (or --counts-period / "
                         "--counts-resource)")
    # a period of half a second is positive
    assert read_counts(p, period_s=0.5).table.to_pydict()["requests"] == [1]
    cw = _write(tmp_path, "cw.json", _cw([
        {"Label": "Invocations", "StatusCode": "PartialData",
         "Timestamps": ["2026-10-01T00:00:00Z"], "Values": [2]}]))
    assert read_counts(cw, resource="r", period_s=60).notes[0] == (
        f"{cw}: metric 'Invocations' is PartialData (CloudWatch returned part of the range)")
    # a missing value beside it: the values are read as given (-1, not -1.0)
    for res, name in (({"Label": "Invocations"}, "Invocations"),
                      ({"Id": "invocations"}, "requests")):
        cw = _write(tmp_path, "cw.json", _cw([{**res, "Timestamps": [
            "2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z"], "Values": [-1, None]}]))
        e = _err(read_counts, cw, resource="r", period_s=60)
        assert (e.message, e.where) == (
            f"column {name}: expected a finite number >= 0, got -1",
            f"{cw}: MetricDataResults[0]: row 1")
    cw = _write(tmp_path, "cw.json", _cw([{"Label": "Invocations", "Timestamps": ["never"],
                                           "Values": [1]}]))
    e = _err(read_counts, cw, resource="r", period_s=60)
    assert (e.message, e.where) == ("column period_start: cannot parse timestamp 'never'"
                                    " (expected ISO 8601, year first: 2026-10-01T00:00:00Z)",
                                    f"{cw}: MetricDataResults[0]: row 1")


def test_usage_provider_column_and_two_logs_combined(tmp_path, con):
    from infercost.ingest import usage

    # provider: text cleaned in CSV; a Parquet number as text; absent: null
    p = _write(tmp_path, "u.csv", f"{USAGE_HEAD},provider,status\n"
               "2026-10-01T00:00:00Z,a,r,1, openai ,ok\n")
    log = usage.read_usage(con, p)
    assert _usage_frame(con, log)["provider"].tolist() == ["openai"]
    q = tmp_path / "u.parquet"
    pq.write_table(pa.table({"timestamp": ["2026-10-01T00:00:00Z"], "request_id": ["b"],
                             "resource_id": ["r"], "duration_ms": [1.0], "provider": [7]}), q)
    assert _usage_frame(con, usage.read_usage(con, q))["provider"].tolist() == ["7"]
    # a log with provider and status and no requests column, and one with requests and
    # neither of the two, as one table: the columns have the same types, so the union runs
    j = _write(tmp_path, "v.jsonl", json.dumps({"timestamp": "2026-10-01T00:00:01Z",
                                                "request_id": "c", "resource_id": "r",
                                                "duration_ms": 2, "requests": 3}) + "\n")
    both = usage.combine([log, usage.read_usage(con, j)])
    df = con.execute(both.table.order_by("request_id"))
    assert df["requests"].tolist() == [1, 3]  # the first log's row counts 1 request
    assert df["provider"].tolist()[0] == "openai" and df["provider"].isna().tolist()[1]
    assert df["status"].tolist()[0] == "ok" and df["status"].isna().tolist()[1]


def test_usage_ragged_rows_are_named_early_or_late(tmp_path, con):
    from infercost.ingest.usage import read_usage

    p = _write(tmp_path, "r1.csv", f"{USAGE_HEAD}\n2026-10-01,a,r,1\n2026-10-01,b\n")
    e = _err(read_usage, con, p)
    assert (e.message, e.where) == (
        "expected 4 columns as in the header, got 2 (2026-10-01,b)", f"{p}: line 3")
    # past the 3,000 rows the backend's sniffer looks at
    q = _write(tmp_path, "r3.csv", f"{USAGE_HEAD}\n" + "2026-10-01,a,r,1\n" * 3000
               + "2026-10-01,b,r,1,9,9\n")
    e = _err(read_usage, con, q)
    assert (e.message, e.where) == (
        "expected 4 columns as in the header, got 6 (2026-10-01,b,r,1,9,9)", f"{q}: line 3002")


def test_usage_a_late_byte_that_is_not_utf8_in_any_text_column_is_named(tmp_path, con):
    from infercost.ingest.usage import read_usage

    # line 5,002, in request_id (a column no parse check reads), past the rows the backend
    # sniffs: the full scan reads every text column, so the file and line are named here
    # (before, the byte surfaced later in attribution as a traceback)
    p = tmp_path / "late.csv"
    p.write_bytes((USAGE_HEAD + "\n" + "2026-10-01T00:00:00Z,r,r,1\n" * 5000).encode()
                  + b"2026-10-01T00:00:00Z,x\xff,r,1\n")
    e = _err(read_usage, con, p)
    assert (e.where, e.message) == (f"{p}: line 5002", "column request_id: not UTF-8 (byte "
                                                       "0xff; expected UTF-8 text)")


def test_counts_numbers_cells_spellings_and_index():
    from infercost.ingest.counts import _numbers

    col = pd.Series(["\ufeff5", "\ufeff", "null", "NULL", None, float("nan"), "9007199254740992"],
                    index=[10, 11, 12, 13, 14, 15, 16], dtype=object)
    v = _numbers(col, "x", "s", integer=True)
    # a byte-order mark around a number or alone (empty); NULL, null, None, NaN: empty;
    # 2**53 itself is still a count
    assert v.index.tolist() == [10, 11, 12, 13, 14, 15, 16] and v.dtype == np.float64
    assert v.iloc[0] == 5.0 and v.iloc[6] == 2.0**53 and v.iloc[1:6].isna().all()
    assert _numbers(pd.Series([], dtype=object), "x", "s").dtype == np.float64
    for bad in ("X", "5X"):  # only blanks and byte-order marks are stripped
        e = _err(_numbers, pd.Series([bad], dtype=object), "x", "s")
        assert e.message == f"column x: expected a finite number >= 0, got {bad!r}"


def test_counts_options_win_over_columns_and_nested_cells_are_named(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", "period_start,period_s,resource_id,requests\n"
               "2026-10-01T00:00:00Z,,col-r,4\n")
    t = read_counts(p, resource="opt-r", period_s=7200).table.to_pydict()
    # the options are used where the file leaves them out (a blank period_s; a period_s
    # that differs is refused: test_counts_edges): 7,200 s from 00:00 touches two clock
    # hours, 4 requests: 2 + 2
    assert t["resource_id"] == ["opt-r", "opt-r"] and t["requests"] == [2, 2]
    assert read_counts(p, resource="opt-r", period_s=7200).rows_read == 1
    e = _err(read_counts, _write(tmp_path, "d.csv", "period_start,period_s,requests\n"
                                 "2026-10-01,60,1\n"))
    assert e.message == ("counts: missing required column resource_id (or --counts-period / "
                         "--counts-resource)")
    h = _write(tmp_path, "h.csv", "period_start,period_s,resource_id,requests\n")
    assert read_counts(h).rows_read == 0  # (a header alone: no rows, noted by the run)
    for col in ("resource_id", "endpoint"):
        q = tmp_path / f"n_{col}.parquet"
        cols = {"period_start": ["2026-10-01T00:00:00Z"], "period_s": [60.0],
                "resource_id": ["r"], "requests": [1], "endpoint": ["e"]}
        cols[col] = [{"a": "x"}]
        pq.write_table(pa.table(cols), q)
        e = _err(read_counts, q)
        assert (e.message, e.where) == (
            f"column {col}: expected text or a list of text, got a map or struct", f"{q}: row 1")


def test_counts_output_tokens_a_first_hour_without_requests_and_two_files(tmp_path):
    from infercost.ingest.counts import read_counts

    # 00:30-02:00 (1,800 s + 3,600 s), 1 request: 1/3 and 2/3, largest remainder: 0 then 1;
    # 30 output tokens: 10 + 20 (the first hour's 10, without a request, are a row of 0
    # requests: they were dropped)
    p = _write(tmp_path, "c.csv", "period_start,period_s,resource_id,requests,output_tokens\n"
               "2026-10-01T00:30:00Z,5400,r,1,30\n")
    t = read_counts(p).table.to_pydict()
    assert t["requests"] == [0, 1] and t["timestamp"] == [
        pd.Timestamp("2026-10-01 00:30"), pd.Timestamp("2026-10-01 01:00")]
    assert t["output_tokens"] == [10, 20] and t["request_id"] == [f"{p}:1:0", f"{p}:1:1"]
    assert t["duration_ms"] == [0.0, None]  # (no call: no busy time; no latency given)
    # two CloudWatch files: the notes of both; a missing latency value is no latency
    a = _write(tmp_path, "a.json", _cw([{"Label": "Invocations", "Timestamps": [
        "2026-10-01T00:00:00Z"], "Values": [2]}, {"Label": "ModelLatency", "Timestamps": [
            "2026-10-01T00:00:00Z"], "Values": [None]}]))
    b = _write(tmp_path, "b.json", _cw([{"Label": "Invocations", "Timestamps": [
        "2026-10-01T01:00:00Z"], "Values": [3]}]))
    c = read_counts([a, b], resource="r", period_s=3600)
    assert [n.split(":")[0] for n in c.notes[:2]] == [str(a), str(b)]
    assert c.table.to_pydict()["duration_ms"] == [None, None]
    # a folder: only the counts files in it
    d = tmp_path / "dir"
    d.mkdir()
    _write(d, "c.csv", "period_start,period_s,resource_id,requests\n2026-10-01,60,r,4\n")
    _write(d, "notes.txt", "not counts")
    assert read_counts(d).table.to_pydict()["requests"] == [4]


def test_usage_dates_and_marked_numbers(tmp_path, con):
    import datetime

    from infercost.ingest.usage import read_usage

    # a Parquet date column: no time of day (every request would sit at midnight): refused
    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"timestamp": pa.array([datetime.date(2026, 10, 1)]),
                             "request_id": ["a"], "resource_id": ["r"], "duration_ms": [1.0]}), p)
    assert _err(read_usage, con, p).message == (
        "column timestamp: expected timestamps, got dates without a time of day (requests "
        "per day are call counts: --counts)")
    # numbers behind a byte-order mark in CSV text columns
    q = _write(tmp_path, "b.csv", f"{USAGE_HEAD},input_tokens\n"
               "2026-10-01T00:00:00Z,a,r,\ufeff7,\ufeff10\n2026-10-01T00:00:00Z,b,r,3,4\n")
    df = _usage_frame(con, read_usage(con, q))
    assert df["duration_ms"].tolist() == [7.0, 3.0] and df["input_tokens"].tolist() == [10, 4]


# ---------------------------------------------------------------- counts resource, trace errors
def test_counts_resource_option_is_cleaned_as_the_bills_resource_id(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", "period_start,requests\n2026-10-01T00:00:00Z,3\n")
    # blanks and a byte-order mark off the ends, as the bill's ResourceId is cleaned
    c = read_counts(p, resource=" \ufeffi-0abc ", period_s=3600)
    assert c.table.to_pydict()["resource_id"] == ["i-0abc"]
    with pytest.raises(InputError) as e:
        read_counts(p, resource=" \ufeff ", period_s=3600)
    assert e.value.where == "--counts-resource"
    assert e.value.message == "expected a ResourceId (as in the bill), got an empty one"


def test_a_trace_reader_error_is_named_by_its_first_line_only(tmp_path, monkeypatch):
    import pandas as pd

    from infercost.ingest.trace import read_trace

    p = _write(tmp_path, "t.csv", "timestamp\n2026-10-01T00:00:00Z\n")

    def fails(message):
        def read_csv(*a, **k):
            raise ValueError(message)
        return read_csv

    monkeypatch.setattr(pd, "read_csv", fails("bad row 3\n  more detail\n"))
    with pytest.raises(InputError) as e:
        read_trace(p)
    assert e.value.message == "cannot read csv: bad row 3"  # one line
    monkeypatch.setattr(pd, "read_csv", fails(""))  # an error without text
    with pytest.raises(InputError) as e:
        read_trace(p)
    assert e.value.message == "cannot read csv: ValueError"  # (its kind, not nothing)


def test_counts_resource_option_over_a_resource_column_says_so(tmp_path):
    from infercost.ingest.counts import read_counts

    p = _write(tmp_path, "c.csv", "period_start,period_s,resource_id,requests\n"
               "2026-10-01T00:00:00Z,3600,i-file,3\n")
    c = read_counts(p, resource="i-option")
    assert c.table.to_pydict()["resource_id"] == ["i-option"]
    assert c.notes == ["counts: --counts-resource i-option replaces the resource_id "
                       "column of c.csv"]
    assert read_counts(p).notes == []  # no option: the column, no note


def test_a_trace_with_no_request_or_a_row_wider_than_its_header_is_refused(tmp_path):
    from infercost.ingest.trace import read_trace

    p = _write(tmp_path, "h.csv", "timestamp,input_tokens\n")
    with pytest.raises(InputError) as e:
        read_trace(p)
    assert e.value.message == "no requests (expected one row per request, with its timestamp)"
    # row 3 (line 4) has 4 fields under a 2-column header: refused, not read as 2
    p = _write(tmp_path, "r.csv", "timestamp,input_tokens\n2026-10-01T00:00:00Z,5\n"
               "2026-10-01T00:00:01Z,5\n2026-10-01T00:00:02Z,5,x,y\n")
    with pytest.raises(InputError) as e:
        read_trace(p)
    # named by the reader itself (pandas' own "Expected 2 fields in line 4, saw 4" before)
    assert (e.value.where, e.value.message) == (
        f"{p}: row 4", "expected 2 fields, got 4 (rows counted from the header, row 1)")
