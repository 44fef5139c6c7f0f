"""Plain significant-digit text for unit figures: never E-notation, thousands separated."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from infercost.core.money import format_significant
from infercost.report.terminal import sig_txt


def test_format_significant_by_hand():
    assert format_significant(Decimal("3.040E-7")) == "0.0000003040"
    assert format_significant(Decimal("0.0078")) == "0.007800"
    assert format_significant(Decimal("2223.4")) == "2223"
    assert format_significant(Decimal("2223.4"), 4, 2) == "2223.40"
    assert format_significant(Decimal("0.000304"), 4, 2) == "0.0003040"
    assert format_significant(Decimal(0)) == "0" and format_significant(Decimal(0), 4, 2) == "0.00"


def test_sig_txt_thousands_and_floats():
    assert sig_txt(2223.4) == "2,223"  # "2223 gCO2e" had no separator
    assert sig_txt(5.55436354e-05) == "0.00005554"  # was "5.6e-05"
    assert sig_txt(1.26953) == "1.270" and sig_txt(196142.385) == "196,142"
    assert sig_txt(0) == "0"


@given(st.decimals(min_value=Decimal("1e-12"), max_value=Decimal("1e12"), allow_nan=False, places=12))
def test_never_scientific_and_within_half_a_unit_of_the_fourth_digit(d):
    if d.is_zero():
        return
    s = format_significant(d)
    assert "E" not in s and "e" not in s
    # rounding to 4 significant digits moves the value by at most half of the 4th digit
    assert abs(Decimal(s) - d) <= Decimal(5).scaleb(d.adjusted() - 4)


def test_csv_cells_are_plain_numbers():
    from infercost.report.tables import Table, to_csv

    shown = Table("t", ["a", "b", "c", "d"], [["x, y", "9,631", "1,234.5", "12.5%"]])
    # no raw values: thousands separators out of numbers only (text keeps its commas)
    assert to_csv(shown).splitlines()[1] == '"x, y",9631,1234.5,12.5%'
    raw = Table("t", ["money", "p99 ms", "none", "float"], [["9,631", "1", "-", "9.8e-05"]],
                raw_rows=[[Decimal("9631.079875"), 0.605, None, 9.825e-05]])
    # exact decimal strings, full precision, empty for none, never E-notation
    assert to_csv(raw).splitlines()[1] == "9631.079875,0.605,,0.00009825"
