"""The engine's last pass runs on a worker thread while Python makes the bill-side steps
and the caller's `overlap` work: the same figures as made one after the other, the
caller's result handed back, and an error of either side raised, not lost."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attribution_helpers import focus_row, make_bill, make_usage, usage_row
from infercost.allocation import engine, steps
from infercost.allocation.rules import parse_rules
from infercost.errors import InputError
from infercost.ingest.backends import connect

BILL = [focus_row("3.5", "i-1", start=0), focus_row("1.25", "i-1", start=1),
        focus_row("2", "i-2", start=0, hours=2), focus_row("0.75", None, service="Storage")]
USAGE = [usage_row("a", "i-1", 0.2, 100.0), usage_row("b", "i-1", 0.7, 300.0),
         usage_row("c", "i-2", 1.5, 50.0, tenant="u"), usage_row("d", "i-9", 0.1, 5.0)]


def _run(overlap=None):
    con = connect("duckdb")
    with tempfile.TemporaryDirectory() as tmp:
        return engine.attribute(make_bill(BILL), make_usage(con, USAGE), parse_rules({}), con,
                                Path(tmp), overlap=overlap)


def test_overlap_gets_the_fleet_and_its_result_comes_back():
    seen = {}

    def work(mask, hours):
        seen["mask"], seen["hours"] = mask, hours
        return "made"

    res = _run(work)
    assert res.overlap == "made"
    assert seen["mask"].dtype == np.bool_ and seen["mask"].tolist() == [True, True, True, False]
    assert sorted(seen["hours"]["resource_id"]) == ["i-1", "i-1", "i-2", "i-2"]
    assert seen["hours"] is res.fleet_hours
    assert _run().overlap is None


def test_figures_equal_the_steps_made_one_after_the_other(monkeypatch):
    made = _run()
    calls = []
    real = steps.bill_steps

    def counted(b, handed_out):
        calls.append(1)
        return real(b, handed_out)

    monkeypatch.setattr(engine, "bill_steps", counted)
    again = _run()
    assert calls == [1]  # made once, while pass 4 ran; assemble used it
    pd.testing.assert_frame_equal(made.allocations, again.allocations)
    assert made.summary["conservation"] == again.summary["conservation"]
    # assemble without `pre` makes the same steps itself
    monkeypatch.setattr(engine, "assemble", lambda b, u, pre: steps.assemble(b, u))
    alone = _run()
    pd.testing.assert_frame_equal(made.allocations, alone.allocations)


def test_an_error_on_either_side_is_raised(monkeypatch):
    def boom(mask, hours):
        raise ValueError("overlap failed")

    with pytest.raises(ValueError, match="overlap failed"):
        _run(boom)

    from infercost.ingest import backends

    real = backends.Prepared.run

    def bad_query(self):  # only the last pass (the one with allocation codes) fails
        if "code" in self.expr.columns:
            raise InputError("cannot read the input: pass 4", "usage")
        return real(self)

    monkeypatch.setattr(backends.Prepared, "run", bad_query)
    with pytest.raises(InputError, match="pass 4"):
        _run(lambda mask, hours: 1)
