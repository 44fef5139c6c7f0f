"""Self-contained HTML report: inline CSS and SVG charts, no scripts, no network.

`demo_html(summary)` renders the demo's summary dict: one stacked bar per scenario
(cost per inference by component), the component tables, and (when present) the
simulator's per-minute series and the attribution totals.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

PALETTE = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728",
           "#ff9896", "#9467bd", "#c5b0d5", "#8c564b", "#e377c2"]

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1000px;color:#222}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{padding:.25rem .6rem;border-bottom:1px solid #eee}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.driver{color:#555;font-style:italic}
.legend span{display:inline-block;margin-right:1rem;font-size:.85rem}.sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def _fmt(d: Decimal | str | float, places: int = 2) -> str:
    d = Decimal(str(d))
    if d != 0 and abs(d) < 1:
        return f"{d:.{max(places, -d.adjusted() + 3)}f}"
    return f"{d:,.{places}f}"


def stacked_bars(rows: list[tuple[str, list[tuple[str, float]]]], unit: str, width: int = 900) -> str:
    """Horizontal stacked bars, one per row: [(label, [(component, value), ...])]."""
    names: list[str] = []
    for _, parts in rows:
        for n, _v in parts:
            if n not in names:
                names.append(n)
    color = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    left, bar_h, gap = 180, 26, 12
    height = len(rows) * (bar_h + gap) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, parts) in enumerate(rows):
        total = sum(v for _, v in parts) or 1.0
        y = 5 + i * (bar_h + gap)
        out.append(f'<text x="0" y="{y + bar_h * 0.7}" font-size="13">{_e(label)}</text>')
        x = float(left)
        span = width - left - 120
        for n, v in parts:
            w = span * v / total
            if w <= 0:
                continue
            out.append(f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{bar_h}" fill="{color[n]}">'
                       f'<title>{_e(n)}: {v:.6g} {unit} ({v / total:.1%})</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.2f}" y="{y + bar_h * 0.7}" font-size="12">{total:.4g} {unit}</text>')
    out.append("</svg>")
    legend = "".join(f'<span><i class="sw" style="background:{c}"></i>{_e(n)}</span>' for n, c in color.items())
    return "\n".join(out) + f'<div class="legend">{legend}</div>'


def line_chart(series: list[tuple[str, list[float]]], xs: list[float], xlabel: str, width: int = 900,
               height: int = 220) -> str:
    """A simple multi-line chart; each series is scaled to its own max (labelled)."""
    left, right, top, bottom = 50, 20, 10, 30
    w, h = width - left - right, height - top - bottom
    xmax = max(xs) if xs else 1.0
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>',
           f'<text x="{left + w / 2}" y="{height - 5}" font-size="12" text-anchor="middle">{_e(xlabel)}</text>']
    legend = []
    for i, (name, ys) in enumerate(series):
        c = PALETTE[(2 * i) % len(PALETTE)]
        ymax = max((y for y in ys if y == y), default=1.0) or 1.0
        pts = " ".join(f"{left + w * x / xmax:.1f},{top + h - h * (y / ymax):.1f}"
                       for x, y in zip(xs, ys, strict=False) if y == y)
        out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{pts}"/>')
        legend.append(f'<span><i class="sw" style="background:{c}"></i>{_e(name)} (max {ymax:.4g})</span>')
    out.append("</svg>")
    return "\n".join(out) + f'<div class="legend">{"".join(legend)}</div>'


def breakdown_table(d: dict) -> str:
    cur = d["currency"]
    rows = [f"<tr><th>component</th><th class=n>per month ({cur})</th><th class=n>per inference ({cur})</th>"
            f"<th class=n>share</th><th>driver</th></tr>"]
    for c in d["components"]:
        rows.append(f"<tr><td>{_e(c['label'])}</td><td class=n>{_fmt(c['monthly_cost'])}</td>"
                    f"<td class=n>{_fmt(c['per_inference'], 6)}</td><td class=n>{float(c['share']):.1%}</td>"
                    f"<td class=driver>{_e(c['driver'])}</td></tr>")
    t = d["total"]
    rows.append(f"<tr><th>total</th><th class=n>{_fmt(t['monthly_cost'])}</th>"
                f"<th class=n>{_fmt(t['per_inference'], 6)}</th><th class=n>100%</th><th></th></tr>")
    return "<table>" + "".join(rows) + "</table>"


def demo_html(summary: dict) -> str:
    parts = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
             "<title>infercost report</title>", f"<style>{CSS}</style></head><body>",
             "<h1>infercost report</h1>"]
    est = summary.get("estimates", {})
    if est:
        parts.append("<h2>Cost per inference by component</h2>")
        rows = [(name, [(c["label"], float(c["per_inference"])) for c in d["components"]])
                for name, d in est.items()]
        parts.append(stacked_bars(rows, next(iter(est.values()))["currency"]))
        for name, d in est.items():
            parts.append(f"<h2>{_e(name)}</h2><p>{_e(d['service_time']['source'])}; "
                         f"utilisation {d['facts']['utilization']:.1%}. <b>{_e(d['main_driver'])}</b></p>")
            parts.append(breakdown_table(d))
            srcs = d["facts"].get("sources") or {}
            if srcs:
                parts.append("<details><summary>price sources</summary><ul>" + "".join(
                    f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in srcs.items()) + "</ul></details>")
    for name, d in summary.get("simulations", {}).items():
        parts.append(f"<h2>Simulated: {_e(name)}</h2>")
        lat = d.get("latency_ms", {})
        parts.append(f"<p>{_e(d.get('requests'))} requests; latency p50 {_e(lat.get('p50'))} ms, "
                     f"p99 {_e(lat.get('p99'))} ms; utilisation {_e(d.get('utilization'))}; "
                     f"SLO attainment {_e(d.get('slo_attainment'))}; cost per inference "
                     f"{_e(d.get('cost_per_inference'))}</p>")
        phases = d.get("phases") or {}
        if phases:
            parts.append("<table><tr><th>phase</th><th class=n>arrived</th><th class=n>dropped</th>"
                         "<th class=n>p99 ms</th><th class=n>mean replicas</th>"
                         "<th class=n>accelerator cost / inference</th></tr>")
            for ph, v in phases.items():
                parts.append(f"<tr><td>{_e(ph)}</td><td class=n>{_e(v['arrived'])}</td>"
                             f"<td class=n>{_e(v['dropped'])}</td><td class=n>{_e(v['latency_p99_ms'])}</td>"
                             f"<td class=n>{_e(v['replicas_mean'])}</td>"
                             f"<td class=n>{_e(v['accelerator_cost_per_inference'])}</td></tr>")
            parts.append("</table>")
        ts = d.get("series") or {}
        if ts.get("t_s"):
            keys = [k for k in ("arrivals", "replicas_ready", "replicas_warming", "latency_p99_ms",
                                "queue_end") if k in ts]
            xs = [float(x) / 60 for x in ts["t_s"]]
            parts.append(line_chart([(k, [float(v) if v is not None else float("nan") for v in ts[k]])
                                     for k in keys], xs, "minutes (each line scaled to its own max)"))
    att = summary.get("attribution")
    if att:
        parts.append("<h2>Attributed: the bundled month</h2><table>")
        for k, v in (att.get("totals") or {}).items():
            parts.append(f"<tr><td>{_e(k)}</td><td class=n>{_e(v)}</td></tr>")
        parts.append("</table>")
        cons = att.get("conservation")
        if isinstance(cons, dict):
            parts.append(f"<p>Conservation ({'holds' if cons.get('holds') else 'BROKEN'}): "
                         f"{_e(cons.get('line'))}</p>")
    parts.append("<p style='color:#888;font-size:.8rem'>Generated by infercost. Prices and hardware "
                 "figures carry their sources and dates in the catalog (infercost catalog prices).</p>")
    parts.append("</body></html>")
    return "\n".join(parts)
