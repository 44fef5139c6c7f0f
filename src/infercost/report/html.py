"""The demo report: one self-contained HTML page (plotly.js inline once, works offline).

`demo_html(summary)` renders the dict `infercost demo` writes to summary.json; it formats
and draws, it never computes (every figure comes from the engines through `api`):

1. the examples: a table of cost per month, per inference, per 1k inferences and per 1M
   tokens; cost per inference on a log axis (totals orders of magnitude apart stay
   readable); where the cost goes (share by component, each bar 100%);
2. cost per inference against traffic (`curves.<name>.cost`), log-log;
3. p99 latency against throughput (`curves.<name>.latency`);
4. the options compared (`comparisons.<name>`, what `infercost compare` prints);
5. the simulation (`simulations.<name>`): requests, latency, phases, per-minute series;
6. the attribution of the bundled month (`attribution` and `attribution_rollups`): the
   bill split with the conservation check, per model and tenant, per day, and per model,
   tenant and day.

Money is printed from the JSON decimal strings with thousands separators and the
currency named; every chart has titled axes.
"""

from __future__ import annotations

import html
from decimal import Decimal
from typing import Any

from infercost.report.plots import Chart, Series, figure_html
from infercost.report.terminal import money_txt, per_unit_txt, sig_txt

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.7rem}h2{font-size:1.3rem;margin-top:2.5rem;border-bottom:1px solid #ddd}
h3{font-size:1.05rem;margin-top:1.5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
td,th{padding:.25rem .5rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.total td,tr.total th{border-top:2px solid #999;font-weight:600}
.driver,.note{color:#555;font-size:.85rem}nav a{margin-right:1rem}
.tw{overflow-x:auto}.ok{color:#1a7f37}.bad{color:#b42318}details{margin:.5rem 0 1rem}
"""

#: Human names of the attribution totals (summary.json keys stay as the engine writes them).
ATTRIBUTION_LINES = (
    ("allocated", "Allocated to requests (by their busy time)"),
    ("idle", "Idle capacity (paid, not serving)"),
    ("shared", "Shared charges (tax, support, network, storage, credits)"),
    ("unallocated", "Unallocated (no rule matched)"),
)


def _e(x: Any) -> str:
    return html.escape(str(x))


def _d(x: Any) -> Decimal:
    return Decimal(str(x))


def money(x: Any, cur: str) -> str:
    """A money amount to the cent with thousands separators and its currency."""
    return f"{money_txt(_d(x))} {cur}"


def unit_money(x: Any, cur: str) -> str:
    """A small per-unit amount with enough significant digits, and its currency."""
    return f"{per_unit_txt(_d(x))} {cur}"


def _pct(x: Any, places: int = 1) -> str:
    return f"{float(x) * 100:.{places}f}%"


def _ms(x: Any) -> str:
    return "overloaded" if x is None else f"{float(x):,.0f} ms" if float(x) >= 10 else f"{float(x):.1f} ms"


def _table(head: list[str], rows: list[list[str]], numeric: set[int], total: list[str] | None = None) -> str:
    """An HTML table of already-formatted cells; columns in `numeric` right-aligned."""
    def cells(r: list[str], tag: str) -> str:
        return "".join(f"<{tag}{' class=n' if i in numeric else ''}>{c}</{tag}>" for i, c in enumerate(r))
    out = ["<div class=tw><table><tr>" + cells(head, "th") + "</tr>"]
    out += ["<tr>" + cells(r, "td") + "</tr>" for r in rows]
    if total:
        out.append("<tr class=total>" + cells(total, "td") + "</tr>")
    return "\n".join(out) + "</table></div>"


class _Charts:
    """Numbers the page's charts and inlines plotly.js in the first one only."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, chart: Chart) -> str:
        self.n += 1
        return f'<div class=chart>{figure_html(chart, f"chart-{self.n}", self.n == 1)}</div>'


def _currency(summary: dict) -> str:
    curs = sorted({d["currency"] for d in summary.get("estimates", {}).values()})
    return curs[0] if len(curs) == 1 else ""


# -- 1. the examples --------------------------------------------------------------------

def _energy_cells(e: dict | None) -> list[str]:
    """kWh and gCO2e per 1,000 inferences from an energy facts block ("-" when absent)."""
    if not e:
        return ["-", "-"]
    out = []
    for k in ("kwh_per_inference", "gco2e_per_inference"):
        v = e.get(k)
        out.append("-" if v is None else sig_txt(Decimal(str(v)) * 1000))
    return out


def _estimates(est: dict, chart: _Charts) -> list[str]:
    cur = "/".join(sorted({d["currency"] for d in est.values()}))
    rows = []
    for name, d in est.items():
        t, c = d["total"], d["currency"]
        rows.append([_e(name), money(t["monthly_cost"], c), unit_money(t["per_inference"], c),
                     unit_money(t["per_1k_inferences"], c),
                     unit_money(t["per_1m_tokens"], c) if t.get("per_1m_tokens") else "-",
                     _pct(d["facts"]["utilization"]), *_energy_cells(d["facts"].get("energy")),
                     f"<span class=driver>{_e(d['main_driver'])}</span>"])
    parts = ["<h2 id=examples>1. Cost per inference: the examples</h2>",
             "<p>Each example scenario estimated for a month (730 h) by the capacity model: the "
             "fleet as the scenario states it, every cost line itemised.</p>",
             _table(["scenario", "per month", "per inference", "per 1k inferences", "per 1M tokens",
                     "utilisation", "kWh per 1k", "gCO2e per 1k", "main driver"], rows,
                    {1, 2, 3, 4, 5, 6, 7}),
             "<p>Energy: board power at the modelled load (busy at full power, idle at idle "
             "power) plus the host's share where the catalog knows it, x the site's PUE; carbon at the region's grid intensity "
             "(<code>econ.energy</code>, the figures <code>estimate</code> prints).</p>"]
    names = list(est)
    parts.append(chart(Chart(
        "bar", "Cost per inference (log scale: the examples are orders of magnitude apart)",
        f"{cur} per inference (log scale)", "scenario",
        [Series("cost per inference", names, [float(d["total"]["per_inference"]) for d in est.values()],
                [unit_money(d["total"]["per_inference"], d["currency"]) for d in est.values()])],
        horizontal=True, log_x=True, height=140 + 45 * len(names))))
    labels: list[str] = []
    for d in est.values():
        for c in d["components"]:
            if c["label"] not in labels:
                labels.append(c["label"])
    series = []
    for lab in labels:
        ys = []
        for d in est.values():
            ys.append(sum((float(c["share"]) * 100 for c in d["components"] if c["label"] == lab), 0.0))
        series.append(Series(lab, names, ys))
    parts.append(chart(Chart("bar", "Where the cost goes: share of each scenario's monthly cost",
                             "share of monthly cost (%)", "scenario", series, stacked=True,
                             horizontal=True, height=220 + 45 * len(names))))
    for name, d in est.items():
        parts.append(f"<details><summary>{_e(name)}: every cost line</summary>{_breakdown_table(d)}"
                     f"<p class=note>Service time: {_e(d['service_time']['source'])}.</p>")
        for n in d["facts"].get("notes", []):
            parts.append(f"<p class=note>Note: {_e(n)}</p>")
        srcs = d["facts"].get("sources") or {}
        if srcs:
            parts.append("<p class=note>Price sources:</p><ul class=note>" + "".join(
                f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in srcs.items()) + "</ul>")
        parts.append("</details>")
    return parts


def _breakdown_table(d: dict) -> str:
    cur = d["currency"]
    rows = [[_e(c["label"]), money(c["monthly_cost"], cur), unit_money(c["per_inference"], cur),
             _pct(c["share"]), f"<span class=driver>{_e(c['driver'])}</span>"] for c in d["components"]]
    t = d["total"]
    return _table(["component", "per month", "per inference", "share", "driver"], rows, {1, 2, 3},
                  ["total", money(t["monthly_cost"], cur), unit_money(t["per_inference"], cur), "100%", ""])


# -- 2, 3. the curves ---------------------------------------------------------------------

def _curves(curves: dict, cur: str, chart: _Charts) -> list[str]:
    parts = ["<h2 id=traffic>2. Cost per inference against traffic</h2>",
             "<p>Each example at 0.05x to 10x its own traffic, the fleet sized for each rate as "
             "<code>infercost compare</code> sizes it (the fewest replicas meeting the p99 SLO at "
             "the peak). At low traffic the fixed monthly lines and the one replica that must stay "
             "up are spread over few requests; each added replica shows as a small step. The "
             "curve flattens towards the cost of busy accelerator time.</p>"]
    series = [Series(name, [p["rate_per_s"] for p in c["cost"]],
                     [float(p["cost_per_inference"]) for p in c["cost"]],
                     [f"{p['multiple']:g}x: {p['replicas']} replicas, "
                      f"{unit_money(p['cost_per_inference'], cur)}" for p in c["cost"]])
              for name, c in curves.items() if c.get("cost")]
    parts.append(chart(Chart("line", "Cost per inference against traffic (each fleet sized for its rate)",
                             "mean traffic (requests/s, log scale)",
                             f"{cur} per inference (log scale)", series, log_x=True, log_y=True)))
    parts.append("<h2 id=latency>3. Latency against throughput</h2>"
                 "<p>The fleet sized at each example's own peak, offered a steady rate from 5% to "
                 "98% of its capacity: analytic p99 (queue wait + batch fill + service-time tail). "
                 "It stays flat, then climbs steeply near capacity; <code>infercost simulate</code> "
                 "measures it with bursts and warm-up.</p>")
    series = [Series(name, [p["rate_per_s"] for p in c["latency"]["points"]],
                     [p["p99_ms"] for p in c["latency"]["points"]],
                     [f"{_pct(p['load'], 0)} of capacity" for p in c["latency"]["points"]])
              for name, c in curves.items() if c.get("latency")]
    parts.append(chart(Chart("line", "p99 latency against throughput (analytic, fixed sized fleet)",
                             "throughput (requests/s, log scale)", "p99 latency (ms, log scale)",
                             series, log_x=True, log_y=True)))
    rows = []
    for name, c in curves.items():
        lat = c.get("latency")
        if not lat:
            continue
        at70 = min(lat["points"], key=lambda p: abs(p["load"] - 0.7))
        rows.append([_e(name), str(lat["replicas"]), f"{lat['capacity_per_s']:,.1f}",
                     _ms(lat["slo_p99_ms"]) if lat["slo_p99_ms"] else "-", _ms(at70["p99_ms"])])
    parts.append(_table(["scenario", "replicas", "capacity (req/s)", "p99 SLO", "p99 at 70% load"],
                        rows, {1, 2, 3, 4}))
    return parts


# -- 4. options ---------------------------------------------------------------------------

def _comparisons(comps: dict, chart: _Charts) -> list[str]:
    parts = ["<h2 id=options>4. The options compared</h2>",
             "<p>The baseline and each <code>options:</code> variant of a scenario, each sized to "
             "its own fleet (<code>infercost compare</code>); p99 is analytic at the peak.</p>"]
    for name, c in comps.items():
        cur = c["currency"]
        rows = []
        for v in c["variants"]:
            met = v["slo_met"]
            delta = v.get("delta_per_inference_pct")
            rows.append([_e(v["name"]), _e(v["hardware"]), _e(v["precision"]), _e(v["plan"]),
                         _e(v["replicas"]), unit_money(v["cost_per_inference"], cur),
                         money(v["monthly_cost"], cur),
                         _ms(v["p99_ms"]),
                         "-" if met is None else ("<span class=ok>yes</span>" if met else "<span class=bad>no</span>"),
                         "-" if delta is None else f"{delta:+.1f}%"])
        parts.append(f"<h3>{_e(name)}</h3>")
        base = c["variants"][0]
        b = base.get("bound_at_peak")
        if b:  # what limits a replica comes first: it says which options can help
            parts.append(f"<p><b>{_e(base['hardware'])} is {_e(b['limit'])}-bound at the peak</b>: "
                         f"{_e(b['work'])} takes {b['step_ms']:.3g} ms; host {b['host_ms']:.3g} ms "
                         f"against device {b['device_ms']:.3g} ms (compute {b['compute_ms']:.3g} ms, "
                         f"memory {b['memory_ms']:.3g} ms).</p>")
        for r, v in zip(rows, c["variants"], strict=True):
            r.append(_e(v["bound_at_peak"]["limit"]) if v.get("bound_at_peak") else "-")
        parts.append(_table(["variant", "hardware", "precision", "plan", "replicas", "per inference",
                             "per month", "p99 at peak", "SLO met", "vs baseline", "bound at peak"],
                            rows, {4, 5, 6, 7, 9}))
        vals = [float(v["cost_per_inference"]) for v in c["variants"]]
        spread = max(vals) / min(vals) if vals and min(vals) > 0 else 1.0
        parts.append(chart(Chart(
            "bar", f"{name}: cost per inference by variant", "variant",
            f"{cur} per inference" + (" (log scale)" if spread > 30 else ""),
            [Series("cost per inference", [v["name"] for v in c["variants"]], vals,
                    [unit_money(v["cost_per_inference"], cur) for v in c["variants"]])],
            log_y=spread > 30, height=360)))
        for n in c.get("notes", []):
            parts.append(f"<p class=note>{_e(n)}</p>")
    return parts


# -- 5. simulation ------------------------------------------------------------------------

def _simulation(name: str, d: dict, chart: _Charts) -> list[str]:
    req, lat = d.get("requests", {}), d.get("latency_ms") or {}
    cost = d.get("cost") or {}
    cur = cost.get("currency", "")
    t = cost.get("total") or {}
    slo = d.get("slo") or {}
    parts = [f"<h2 id=simulation>5. Simulated: {_e(name)}</h2>",
             f"<p>{d.get('duration_s', 0) / 3600:g} hours simulated (seed {_e(d.get('seed'))}): "
             f"{req.get('arrived', 0):,} requests arrived, {req.get('served', 0):,} served, "
             f"{req.get('dropped', 0):,} dropped (queue full). Latency p50 {_ms(lat.get('p50'))}, "
             f"p99 {_ms(lat.get('p99'))}; "
             + (f"{_pct(slo['attainment'])} of requests within the {slo.get('latency_ms'):g} ms SLO; "
                if slo.get("attainment") is not None and slo.get("latency_ms") else "")
             + f"replicas {_pct(d.get('utilization', 0))} busy.</p>"]
    if t:
        parts.append(
            f"<p>Cost per inference <b>{unit_money(t['per_inference'], cur)}</b> "
            f"({unit_money(t['per_1k_inferences'], cur)} per 1k inferences); "
            f"{money(t['period_cost'], cur)} for the simulated span, "
            f"{money(t['monthly_cost'], cur)} a month at this rate. "
            f"<span class=driver>{_e(cost.get('main_driver', ''))}</span></p>")
        kwh, g = _energy_cells((cost.get("facts") or {}).get("energy"))
        if kwh != "-":
            parts.append(f"<p>Energy {kwh} kWh and carbon {g} gCO2e per 1k inferences "
                         "(board power at the simulated load + host share x PUE; the region's grid).</p>")
    phases = d.get("phases") or {}
    if phases:
        rows = [[_e(ph), f"{v['from_s'] / 60:,.0f}-{v['to_s'] / 60:,.0f}", f"{v['arrived']:,}",
                 f"{v['dropped']:,}", _ms(v["latency_p99_ms"]), _pct(v["slo_attainment"]),
                 f"{v['replicas_mean']:.1f}", unit_money(v["accelerator_cost_per_inference"], cur)]
                for ph, v in phases.items()]
        parts.append(_table(["phase", "minutes", "arrived", "dropped", "p99", "within SLO",
                             "mean replicas", "accelerator cost / inference"], rows, {1, 2, 3, 4, 5, 6, 7}))
    ts = d.get("series") or {}
    if ts.get("t_s"):
        mins = [float(x) / 60 for x in ts["t_s"]]
        bucket = float(ts.get("bucket_s") or 60.0)
        series = []
        if "arrivals" in ts:
            series.append(Series("arrivals (requests/s)", mins, [a / bucket for a in ts["arrivals"]]))
        for k, lab in (("replicas_ready", "replicas ready"), ("replicas_warming", "replicas warming up")):
            if k in ts:
                series.append(Series(lab, mins, ts[k], y2=True))
        parts.append(chart(Chart("line", "Traffic and fleet, minute by minute", "minutes from start",
                                 "arrivals (requests/s)", series, y2_title="replicas")))
        if "latency_p99_ms" in ts:
            series = [Series("p99 latency of the minute", mins, ts["latency_p99_ms"])]
            if slo.get("latency_ms"):
                series.append(Series("SLO", [mins[0], mins[-1]], [slo["latency_ms"]] * 2, dash=True))
            parts.append(chart(Chart("line", "p99 latency, minute by minute", "minutes from start",
                                     "p99 latency (ms, log scale)", series, log_y=True)))
    return parts


# -- 6. attribution -----------------------------------------------------------------------

def _attribution(att: dict, roll: dict) -> list[str]:
    cur = att.get("currency", "")
    tot = att.get("totals") or {}
    period = att.get("billing_period") or {}
    parts = ["<h2 id=attribution>6. Attributed: the bundled month (measured cost)</h2>",
             f"<p>A generated FOCUS bill for {_e(str(period.get('start', ''))[:10])} to "
             f"{_e(str(period.get('end', ''))[:10])} (no real customer data) joined to its serving log "
             "by <code>infercost attribute</code>: each request pays for the instance time it kept "
             "busy; idle time and shared charges are shown, never hidden.</p>"]
    rows = [[lab, money(tot.get(k, 0), cur),
             _pct(_d(tot.get(k, 0)) / _d(tot["bill"])) if _d(tot.get("bill", 0)) else "-"]
            for k, lab in ATTRIBUTION_LINES]
    parts.append(_table(["", "amount", "share of bill"], rows, {1, 2},
                        ["Bill total", money(tot.get("bill", 0), cur), "100.0%"]))
    cons = att.get("conservation") or {}
    if cons:
        parts.append(f"<p>Conservation check: allocated + idle + shared + unallocated = bill "
                     f"{'<span class=ok>holds exactly</span>' if cons.get('holds') else '<span class=bad>BROKEN</span>'}"
                     f" (difference {money(cons.get('difference', 0), cur)}).</p>")
    en = att.get("energy") or {}
    if en.get("kwh") is not None:
        parts.append(f"<p>Energy of the billed GPU-hours at the attributed load: "
                     f"{float(en['kwh']):,.0f} kWh, {float(en['gco2e']) / 1000:,.0f} kgCO2e"
                     + (f" ({float(en['kwh_per_1k_requests']):.4g} kWh and "
                        f"{sig_txt(en['gco2e_per_1k_requests'])} gCO2e per 1k requests)"
                        if en.get("kwh_per_1k_requests") is not None else "")
                     + ".</p>")
    uc = att.get("unit_costs") or {}
    if uc.get("requests"):
        parts.append(f"<p>{uc['requests']:,} requests: {unit_money(uc['cost_per_request'], cur)} allocated "
                     f"per request ({unit_money(uc['cost_per_1k_requests'], cur)} per 1k; "
                     + (f"{unit_money(uc['cost_per_1m_tokens'], cur)} per 1M tokens; "
                        if uc.get("cost_per_1m_tokens") else "")
                     + f"the whole bill is {unit_money(uc['bill_per_request'], cur)} per request).</p>")

    def label(row: dict, k: str) -> str:
        v = row.get(k, "")
        return _e(v) if v else "<i>not attributed (idle, shared)</i>"

    def rows_of(items: list[dict], keys: list[str]) -> tuple[list[list[str]], list[str]]:
        out = []
        for r in items:
            unattr = all(r.get(k, "") == "" for k in keys if k != "period")
            cells = [label(r, k) if k != "period" else _period(r["period"]) for k in keys]
            if unattr and "period" not in keys:
                cells = [label(r, keys[0])] + [""] * (len(keys) - 1)
            out.append(cells + [f"{r['requests']:,}" if r["requests"] else "-",
                                money(r["allocated"], cur),
                                money(_d(r["idle"]) + _d(r["shared"]) + _d(r["unallocated"]), cur),
                                money(r["total"], cur),
                                unit_money(r["cost_per_1k_requests"], cur) if r.get("cost_per_1k_requests") else "-"])
        total = ["total"] + [""] * (len(keys) - 1) + [
            f"{sum(r['requests'] for r in items):,}", money(sum(_d(r["allocated"]) for r in items), cur),
            money(sum(_d(r["idle"]) + _d(r["shared"]) + _d(r["unallocated"]) for r in items), cur),
            money(sum(_d(r["total"]) for r in items), cur), ""]
        return out, total

    tail = ["requests", "allocated", "idle, shared, unallocated", "total", "allocated per 1k requests"]
    for key, title, keys in (("model_tenant", "Per model and tenant", ["model", "tenant"]),
                             ("day", "Per day", ["period"])):
        items = roll.get(key) or []
        if items:
            rows, total = rows_of(items, keys)
            nk = len(keys)
            parts.append(f"<h3>{title}</h3>")
            parts.append(_table([*(_COL.get(k, k) for k in keys), *tail], rows, set(range(nk, nk + 5)),
                                total))
    items = roll.get("model_tenant_day") or []
    if items:
        rows, total = rows_of(items, ["model", "tenant", "period"])
        parts.append(f"<details><summary>Per model, tenant and day ({len(rows):,} rows)</summary>"
                     + _table(["model", "tenant", "day", *tail], rows, {3, 4, 5, 6, 7}, total)
                     + "</details>")
    return parts


_COL = {"period": "day"}


def _period(p: str) -> str:
    """A day as written; a longer billing span (shared charges billed once) says so."""
    return f"{_e(p.replace('/', ' to '))} (billed for the span)" if "/" in p else _e(p)


# -- the page -----------------------------------------------------------------------------

def demo_html(summary: dict) -> str:
    """The whole page for the demo's summary dict (see the module doc). Same summary, same
    bytes (chart ids are numbered, not random)."""
    chart = _Charts()
    cur = _currency(summary)
    est = summary.get("estimates", {})
    sims = summary.get("simulations", {})
    body: list[str] = []
    if est:
        body += _estimates(est, chart)
    if summary.get("curves"):
        body += _curves(summary["curves"], cur, chart)
    if summary.get("comparisons"):
        body += _comparisons(summary["comparisons"], chart)
    for name, d in sims.items():
        body += _simulation(name, d, chart)
    if summary.get("attribution"):
        body += _attribution(summary["attribution"], summary.get("attribution_rollups") or {})
    nav = "".join(f'<a href="#{a}">{t}</a>' for a, t in (
        ("examples", "examples"), ("traffic", "cost vs traffic"), ("latency", "latency vs throughput"),
        ("options", "options"), ("simulation", "simulation"), ("attribution", "attribution")))
    head = ["<!doctype html><html lang=en><head><meta charset=utf-8>",
            "<meta name=viewport content='width=device-width, initial-scale=1'><link rel=icon href='data:,'>",
            "<title>infercost demo report</title>", f"<style>{CSS}</style></head><body>",
            "<h1>infercost demo report</h1>",
            f"<p>What one inference costs in the bundled examples{f' (all money in {cur})' if cur else ''}: "
            "predicted by the capacity model, simulated under a traffic spike, decided between "
            "options, and measured from a bill. Written by <code>infercost demo</code>; the same "
            "figures are in summary.json and summary.md beside this file.</p>",
            f"<nav>{nav}</nav>"]
    foot = ["<p class=note>Generated by infercost. Prices and hardware figures carry their sources "
            "and dates in the catalog (<code>infercost catalog prices -v</code>). This page needs no "
            "network: the chart library is inlined.</p></body></html>"]
    return "\n".join(head + body + foot)
