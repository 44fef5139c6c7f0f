"""Self-contained HTML reports with plotly charts (plotly.js inlined once: works offline).

`Chart` is a plain description (kind, title, axis titles, series of x/y points); the
page turns charts into plotly figures, so callers never import plotly. Every chart has
titled axes; bar charts of values far apart use a log axis (`log_y`). Tables
(`report.tables.Table`) are rendered as HTML tables under the charts.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from infercost.report.tables import Table


@dataclass(frozen=True)
class Series:
    name: str
    x: list
    y: list
    text: list | None = None  # hover / point labels
    y2: bool = False  # drawn against the right-hand axis (`Chart.y2_title`)
    dash: bool = False  # a dashed line (a target, e.g. the SLO)


@dataclass(frozen=True)
class Chart:
    """kind: 'bar', 'scatter' (markers with labels) or 'line'."""

    kind: str
    title: str
    x_title: str
    y_title: str
    series: list[Series]
    log_y: bool = False
    notes: list[str] = field(default_factory=list)
    log_x: bool = False
    stacked: bool = False  # bar: stack the series (else side by side)
    horizontal: bool = False  # bar: bars along x, categories on y
    y2_title: str | None = None  # a right-hand axis for the series with y2=True
    height: int = 420  # pixels


def _figure(chart: Chart):
    import plotly.graph_objects as go

    fig = go.Figure()
    for s in chart.series:
        axis = {"yaxis": "y2"} if s.y2 else {}
        if chart.kind == "bar":
            x, y = (s.y, s.x) if chart.horizontal else (s.x, s.y)
            fig.add_trace(go.Bar(name=s.name, x=x, y=y, text=s.text,
                                 orientation="h" if chart.horizontal else "v", **axis))
        elif chart.kind == "scatter":
            fig.add_trace(go.Scatter(name=s.name, x=s.x, y=s.y, text=s.text, mode="markers+text",
                                     textposition="top center", **axis))
        else:
            fig.add_trace(go.Scatter(name=s.name, x=s.x, y=s.y, text=s.text,
                                     mode="lines" if s.dash or len(s.x) > 60 else "lines+markers",
                                     line={"dash": "dash"} if s.dash else None, **axis))
    fig.update_layout(title=chart.title, xaxis_title=chart.x_title, yaxis_title=chart.y_title,
                      template="plotly_white", height=chart.height)
    if chart.stacked:
        fig.update_layout(barmode="stack")
    if chart.y2_title:
        fig.update_layout(yaxis2={"title": chart.y2_title, "overlaying": "y", "side": "right",
                                  "showgrid": False, "rangemode": "tozero", "tickmode": "auto"}, legend={"x": 1.08})
    # plain numbers on linear axes (no SI "u" for micro-dollars), powers of ten on log axes;
    # a horizontal bar chart has its categories on y: that axis is a category axis (forcing it
    # to "linear" turns every scenario name into NaN and leaves the chart blank)
    if chart.kind == "bar" and chart.horizontal:
        fig.update_yaxes(type="category", autorange="reversed")
        fig.update_xaxes(type="log" if chart.log_x else "linear",
                         exponentformat="power" if chart.log_x else "none",
                         rangemode="normal" if chart.log_x else "tozero")
        return fig
    fig.update_yaxes(type="log" if chart.log_y else "linear",
                     exponentformat="power" if chart.log_y else "none",
                     rangemode="normal" if chart.log_y else "tozero")
    fig.update_xaxes(type="log" if chart.log_x else None,
                     exponentformat="power" if chart.log_x else "none")
    return fig


def figure_html(chart: Chart, div_id: str, include_plotlyjs: bool) -> str:
    """One chart as an HTML fragment (a div with a fixed id, so the same chart gives the
    same bytes); plotly.js inlined when `include_plotlyjs` (once per page: no network)."""
    return _figure(chart).to_html(full_html=False, include_plotlyjs=include_plotlyjs,
                                  div_id=div_id, config={"displaylogo": False, "responsive": True})


def render_html(title: str, charts: list[Chart], tables: list[Table], notes: list[str] = ()) -> str:
    """One HTML page: the charts (plotly.js inline in the first), then the tables."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
             "</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    for i, ch in enumerate(charts):
        parts.append(figure_html(ch, f"chart-{i + 1}", i == 0))
        for n in ch.notes:
            parts.append(f"<p>{html.escape(n)}</p>")
    for t in tables:
        parts.append(f"<h2>{html.escape(t.title)}</h2><table><tr>"
                     + "".join(f"<th>{html.escape(c)}</th>" for c in t.columns) + "</tr>")
        for r in t.rows:
            parts.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>")
        parts.append("</table>")
        parts.extend(f"<p>{html.escape(n)}</p>" for n in t.notes)
    parts.extend(f"<p>{html.escape(n)}</p>" for n in notes)
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(path: str | Path, title: str, charts: list[Chart], tables: list[Table],
               notes: list[str] = ()) -> None:
    from infercost.core.io import write_atomic

    write_atomic(Path(path), render_html(title, charts, tables, notes))
