"""Render a TCO decision (the dict of `finance.decision.to_dict`): terminal tables and markdown.

Renders only; every figure is computed by `infercost.finance`. Tables fit 80 columns.
"""

from __future__ import annotations

from decimal import Decimal


def _k(s: str | None) -> str:
    """Money string -> '12,345' (whole units)."""
    return "-" if s is None else f"{Decimal(s):,.0f}"


def _cpi(s: str | None) -> str:
    return "-" if s is None else f"{Decimal(s):.6f}"


def tables(d: dict, max_years: int | None = None) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for each table of the report. With `max_years` (the terminal's
    80 columns) a longer horizon shows the first years and the last, the title says so."""
    years = len(next(iter(d["options"].values()))["cost_per_inference_by_year"])
    shown = list(range(years))
    if max_years is not None and years > max_years:
        shown = list(range(max_years - 1)) + [years - 1]
    opts = [["option", "NPV", "total cash"] + [f"$/inf y{y + 1}" for y in shown]]
    for name, o in d["options"].items():
        mark = " *" if name == d["recommended"] else ""
        opts.append([name + mark, _k(o["npv"]), _k(o["total_cash"])]
                    + [_cpi(o["cost_per_inference_by_year"][y]) for y in shown])
    title = f"Options over {d['horizon_months']} months ({d['currency']}; * recommended"
    if len(shown) < years:
        title += f"; $/inf of years {', '.join(str(y + 1) for y in shown)}: all {years} in --md"
    out = [(title + ")", opts[0], opts[1:])]
    if d["sensitivity"]:
        rows = [[s["driver"], _k(s["minus_20pct"]), _k(s["plus_20pct"]), _k(s["swing"])]
                for s in d["sensitivity"]]
        out.append(("Sensitivity: owning's NPV advantage (rented - owned), driver -20% / +20%",
                    ["driver", "-20%", "+20%", "swing"], rows))
    rows = [[e["option"], e["kwh_per_inference"] or "-", e["kwh_per_million_tokens"] or "-",
             e["gco2e_per_inference"] or "-", e["gco2e_per_million_tokens"] or "-"] for e in d["energy"]]
    out.append(("Energy and carbon", ["option", "kWh/inf", "kWh/1M tok", "gCO2e/inf", "gCO2e/1M tok"], rows))
    return out


def markdown(d: dict, title: str) -> str:
    lines = [f"# {title}", ""]
    lines += [f"- {t}" for t in d["decision"]] + [""]
    for name, head, rows in tables(d):
        lines += [f"## {name}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        lines.append("")
    if d["notes"]:
        lines += ["## Notes", ""] + [f"- {n}" for n in d["notes"]] + [""]
    return "\n".join(lines)


def print_terminal(d: dict, title: str, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    con = console or Console(width=80)
    con.print(f"[bold]{title}[/bold]")
    for t in d["decision"]:
        con.print(f"  {t}", soft_wrap=False, overflow="fold")
    for name, head, rows in tables(d, max_years=3):
        tab = Table(title=name, title_justify="left", min_width=40)
        for i, h in enumerate(head):
            tab.add_column(h, justify="left" if i == 0 else "right", no_wrap=i > 0)
        for r in rows:
            tab.add_row(*r)
        con.print(tab)
    for n in d["notes"]:
        con.print(f"  note: {n}", overflow="fold")


_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]


def _svg_cumulative(d: dict, w: int = 640, h: int = 300) -> str:
    series = {n: [float(x) for x in o["cumulative_cash"]] for n, o in d["options"].items()}
    months = d["horizon_months"]
    top = max(max(v) for v in series.values()) or 1.0
    bottom = min(0.0, min(min(v) for v in series.values()))
    def xy(m: int, v: float) -> str:
        x = 50 + (w - 60) * m / max(1, months - 1)
        y = h - 30 - (h - 50) * (v - bottom) / (top - bottom or 1)
        return f"{x:.1f},{y:.1f}"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img">',
             f'<text x="50" y="14" font-size="12">cumulative cash ({d["currency"]}) by month</text>']
    for i, (n, v) in enumerate(series.items()):
        c = _COLORS[i % len(_COLORS)]
        pts = " ".join(xy(m, x) for m, x in enumerate(v))
        parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="2" points="{pts}"><title>{n}</title></polyline>')
        parts.append(f'<text x="{w - 120}" y="{30 + 14 * i}" font-size="11" fill="{c}">{n}</text>')
    if d.get("payback_month"):
        x = 50 + (w - 60) * (d["payback_month"] - 1) / max(1, months - 1)
        parts.append(f'<line x1="{x:.1f}" y1="20" x2="{x:.1f}" y2="{h - 30}" stroke="#444" stroke-dasharray="4"/>'
                     f'<text x="{x + 3:.1f}" y="{h - 34}" font-size="11">break-even (payback) month '
                     f'{d["payback_month"]}</text>')
    parts.append(f'<text x="50" y="{h - 8}" font-size="11">month 1 .. {months}</text></svg>')
    return "".join(parts)


def _svg_tornado(d: dict, w: int = 640) -> str:
    rows = d["sensitivity"]
    if not rows:
        return ""
    vals = [float(x) for s in rows for x in (s["minus_20pct"], s["plus_20pct"])]
    lo, hi = min(vals + [0.0]), max(vals + [0.0])
    span = hi - lo or 1.0
    h = 30 + 18 * len(rows)
    def x(v: float) -> float:
        return 170 + (w - 190) * (v - lo) / span
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img">',
             '<text x="0" y="14" font-size="12">sensitivity tornado: owning\'s NPV advantage, '
             'driver -20% (blue) / +20% (orange)</text>']
    for i, s in enumerate(rows):
        y = 24 + 18 * i
        a, b = float(s["minus_20pct"]), float(s["plus_20pct"])
        parts.append(f'<text x="0" y="{y + 11}" font-size="11">{s["driver"]}</text>')
        for v, c in ((a, "#1f77b4"), (b, "#ff7f0e")):
            x0, x1 = sorted((x(0.0), x(v)))
            parts.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(1.0, x1 - x0):.1f}" height="7" fill="{c}"/>')
            y += 7
    parts.append(f'<line x1="{x(0.0):.1f}" y1="20" x2="{x(0.0):.1f}" y2="{h}" stroke="#444"/></svg>')
    return "".join(parts)


def html_report(d: dict, title: str) -> str:
    """A self-contained HTML page: the decision, cumulative cost curves with the break-even
    point, the sensitivity tornado and the tables."""
    import html as h

    body = [f"<h1>{h.escape(title)}</h1>", "<ul>"] + [f"<li>{h.escape(t)}</li>" for t in d["decision"]]
    body += ["</ul>", _svg_cumulative(d), _svg_tornado(d)]
    for name, head, rows in tables(d):
        body.append(f"<h2>{h.escape(name)}</h2><table><tr>" + "".join(f"<th>{h.escape(c)}</th>" for c in head) + "</tr>")
        body += ["<tr>" + "".join(f"<td>{h.escape(c)}</td>" for c in r) + "</tr>" for r in rows]
        body.append("</table>")
    body += ["<h2>Notes</h2><ul>"] + [f"<li>{h.escape(n)}</li>" for n in d["notes"]] + ["</ul>"]
    style = "body{font-family:sans-serif;max-width:760px}td,th{padding:2px 8px;text-align:right}"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{h.escape(title)}</title>"
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")
