"""Axis types of the plotly figures (no browser): category bars keep a category axis.

The browser test (test_report_browser.py) checks the drawn marks; this one runs
without chromium and pins the cause of a blank chart: a horizontal bar chart whose
category axis (y) was forced to "linear" plots every category at NaN.
"""

from __future__ import annotations

import pytest

from infercost.report.plots import Chart, Series, _figure

pytest.importorskip("plotly")


def _bar(**kw) -> Chart:
    return Chart("bar", "t", "USD per inference", "scenario",
                 [Series("cost", ["chatbot", "rag"], [0.002, 0.00003])], **kw)


def test_horizontal_bars_keep_categories_on_y_and_values_on_x():
    fig = _figure(_bar(horizontal=True, log_x=True))
    assert fig.layout.yaxis.type == "category"
    assert fig.layout.xaxis.type == "log"
    # the values lie along x, the names along y
    assert list(fig.data[0].x) == [0.002, 0.00003]
    assert list(fig.data[0].y) == ["chatbot", "rag"]


def test_horizontal_stacked_bars_linear_value_axis():
    fig = _figure(_bar(horizontal=True, stacked=True))
    assert fig.layout.yaxis.type == "category"
    assert fig.layout.xaxis.type == "linear"
    assert fig.layout.barmode == "stack"


def test_vertical_bars_value_axis_is_y():
    fig = _figure(_bar(log_y=True))
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.type is None  # plotly infers category from the names
