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


def _figure(chart: Chart):
    import plotly.graph_objects as go

    fig = go.Figure()
    for s in chart.series:
        if chart.kind == "bar":
            fig.add_trace(go.Bar(name=s.name, x=s.x, y=s.y, text=s.text))
        elif chart.kind == "scatter":
            fig.add_trace(go.Scatter(name=s.name, x=s.x, y=s.y, text=s.text, mode="markers+text",
                                     textposition="top center"))
        else:
            fig.add_trace(go.Scatter(name=s.name, x=s.x, y=s.y, text=s.text, mode="lines+markers"))
    fig.update_layout(title=chart.title, xaxis_title=chart.x_title, yaxis_title=chart.y_title,
                      template="plotly_white", height=420)
    if chart.log_y:
        fig.update_yaxes(type="log")
    return fig


def render_html(title: str, charts: list[Chart], tables: list[Table], notes: list[str] = ()) -> str:
    """One HTML page: the charts (plotly.js inline in the first), then the tables."""
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
             "padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
             "</style></head><body>", f"<h1>{html.escape(title)}</h1>"]
    first = True
    for ch in charts:
        parts.append(_figure(ch).to_html(full_html=False, include_plotlyjs=True if first else False))
        first = False
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
