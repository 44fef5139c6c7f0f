"""allocation.run.write_outputs: allocations.csv through Arrow is byte for byte the CSV
pandas writes (exact money strings, csv.QUOTE_MINIMAL), whatever the table holds.

The reference is the pandas route written out here: every money cell formatted by
`format_decimal` ("" when missing), then `DataFrame.to_csv(index=False,
lineterminator="\\n")`.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infercost.allocation.run import MONEY_COLUMNS, WORKING_DIGITS, write_outputs
from infercost.core.money import format_decimal
from tests.strategies import budget

COLS = ["period", "model", "model_version", "endpoint", "tenant", "requests", "input_tokens",
        "output_tokens", "cost", "cost_per_1k_requests", "cost_per_1m_tokens", "kind",
        "detail", "currency", "direct_cost", "idle_cost", "shared_cost"]
INTS = ("requests", "input_tokens", "output_tokens")


def reference_csv(table: pd.DataFrame) -> bytes:
    df = table.copy()
    for c in MONEY_COLUMNS:
        df[c] = ["" if v is None else format_decimal(v) for v in table[c].tolist()]
    return df.to_csv(index=False, lineterminator="\n").encode()


_text = st.one_of(st.none(), st.sampled_from(["", "a", "llama-3.1-8b", " x ", "é", "a,b",
                                              'say "hi"', "two\nlines", "cr\rhere", "t\tab"]),
                  st.text(max_size=6))
_money = st.one_of(
    st.none(),
    st.sampled_from([Decimal(0), Decimal("-0"), Decimal("0E-30"), Decimal("1E-18"),
                     Decimal("-1E-18"), Decimal("0.0000001"), Decimal("-0.000001"),
                     Decimal("1E+2"), Decimal("12.500"), Decimal("99999999999999999999.5"),
                     Decimal("1E-19"), Decimal("0.1234567890123456789012")]),
    st.decimals(-10 ** 6, 10 ** 6, places=18),
    st.decimals(-10 ** 6, 10 ** 6, places=9),
)


@st.composite
def tables(draw):
    n = draw(st.integers(1, 8))
    data = {}
    for c in COLS:
        if c in INTS:
            data[c] = draw(st.lists(st.integers(0, 2 ** 40), min_size=n, max_size=n))
        elif c in MONEY_COLUMNS:
            data[c] = draw(st.lists(_money, min_size=n, max_size=n))
        else:
            data[c] = draw(st.lists(_text, min_size=n, max_size=n))
    df = pd.DataFrame({c: pd.Series(v, dtype="int64" if c in INTS else object)
                       for c, v in data.items()})
    if draw(st.booleans()):  # pandas' own text dtype, as the engine's table has
        for c in ("period", "kind", "currency"):
            df[c] = df[c].astype("str")
    return df


@given(tables())
@budget(60)
def test_csv_is_what_pandas_writes(tmp_path_factory, table):
    folder = tmp_path_factory.mktemp("out")
    with localcontext() as ctx:  # as in run_attribution
        ctx.prec = WORKING_DIGITS
        write_outputs(table, {"currency": "USD"}, folder)
    assert (folder / "allocations.csv").read_bytes() == reference_csv(table)
    back = pq.read_table(folder / "allocations.parquet")
    assert back.column_names == COLS and back.num_rows == len(table)


def test_csv_examples(tmp_path, monkeypatch):
    # zero, a value Arrow writes as 1E-18, one below 1e-6 (1.0E-7), trailing zeros, 1E+2
    table = pd.DataFrame({c: pd.Series([None] * 5, dtype=object) for c in COLS})
    for c in INTS:
        table[c] = pd.Series([1, 2, 3, 4, 5], dtype="int64")
    table["model"] = ["m", "m", "m", "a,b", "m"]
    table["cost"] = [Decimal(0), Decimal("1E-18"), Decimal("0.00000010"), Decimal("12.500"),
                     Decimal("1E+2")]
    for c in MONEY_COLUMNS[1:]:
        table[c] = [None, Decimal("-0.0"), Decimal("-1.5"), Decimal(3), Decimal("0.000001")]
    write_outputs(table, {}, tmp_path)
    lines = (tmp_path / "allocations.csv").read_text().splitlines()
    assert lines[0] == ",".join(COLS)
    assert lines[1].split(",")[8:11] == ["0", "", ""]
    assert lines[2].split(",")[8:11] == ["0.000000000000000001", "0", "0"]
    assert lines[3].split(",")[8:11] == ["0.0000001", "-1.5", "-1.5"]
    assert lines[4] == ',"a,b",,,,4,4,4,12.5,3,3,,,,3,3,3'
    assert lines[5].split(",")[8:11] == ["100", "0.000001", "0.000001"]
    assert (tmp_path / "allocations.csv").read_bytes() == reference_csv(table)

    # without a value that needs quoting, Arrow writes it all (pandas is not called)
    def no_pandas(*a, **k):
        raise AssertionError("pandas wrote the CSV")

    table["model"] = ["m", "m", "m", "a b", "m"]
    want = reference_csv(table)
    monkeypatch.setattr(pd.DataFrame, "to_csv", no_pandas)
    write_outputs(table, {}, tmp_path)
    assert (tmp_path / "allocations.csv").read_bytes() == want


@pytest.mark.parametrize("extra", [1.5, pd.Timestamp("2026-11-01"), b"raw", "category"])
def test_csv_with_values_made_text(tmp_path, extra):
    # a non-text value in a text column: written as pandas writes it (str(), b'raw')
    table = pd.DataFrame({c: pd.Series(["x"], dtype=object) for c in COLS})
    for c in INTS:
        table[c] = pd.Series([7], dtype="int64")
    for c in MONEY_COLUMNS:
        table[c] = [Decimal("2.50")]
    table["detail"] = [extra]
    if extra == "category":
        table["detail"] = table["detail"].astype("category")
    write_outputs(table, {}, tmp_path)
    assert (tmp_path / "allocations.csv").read_bytes() == reference_csv(table)


def test_gc_paused_restores_the_collector():
    import gc

    from infercost.allocation.run import _gc_paused

    assert gc.isenabled()
    with pytest.raises(KeyError):
        with _gc_paused():
            assert not gc.isenabled()
            raise KeyError("a failing step")
    assert gc.isenabled()  # back on after an error
    gc.disable()
    try:
        with _gc_paused():
            pass
        assert not gc.isenabled()  # a caller's own pause is left as it was
    finally:
        gc.enable()


def test_parquet_rounding_past_18_decimals_is_said(tmp_path):
    # a bill amount with 20 decimals: allocations.csv and summary.json keep it exactly;
    # allocations.parquet (decimal128(38, 18)) cannot, and the summary says so
    import csv as _csv
    import json as _json
    from decimal import Decimal

    from infercost.allocation.run import run_attribution

    head = ("BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargePeriodStart,"
            "ChargePeriodEnd,BillingPeriodStart,BillingPeriodEnd,ResourceId,ServiceCategory,"
            "ServiceName,ProviderName\n")
    amt = "1.40812345678901234567"
    (tmp_path / "bill.csv").write_text(
        head + f"{amt},{amt},USD,Usage,2026-10-01 00:00:00,2026-10-01 01:00:00,"
        "2026-10-01 00:00:00,2026-11-01 00:00:00,i-1,Compute,EC2,AWS\n")
    (tmp_path / "u.csv").write_text("timestamp,request_id,resource_id,duration_ms\n"
                                    "2026-10-01T00:10:00Z,a,i-1,100\n"
                                    "2026-10-01T00:20:00Z,b,i-1,333\n")
    s = run_attribution(tmp_path / "bill.csv", tmp_path / "u.csv", tmp_path / "o")
    out = tmp_path / "o"
    with open(out / "allocations.csv") as fh:
        assert sum(Decimal(r["cost"]) for r in _csv.DictReader(fh)) == Decimal(amt)
    notes = _json.loads((out / "summary.json").read_text())["notes"]
    said = [n for n in notes if n.startswith("allocations.parquet: ")]
    assert len(said) == 1 and "cost" in said[0] and said[0] in s["notes"]
