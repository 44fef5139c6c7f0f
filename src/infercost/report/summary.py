"""The demo report: summary.json (data) and summary.md (the same, for people)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from infercost.report.terminal import money_txt, per_unit_txt, sig_txt


def estimate_markdown(name: str, d: dict[str, Any]) -> str:
    """A markdown section for one `estimate` result dict (Estimate.to_dict())."""
    cur = d["currency"]
    lines = [f"### {name}", "", f"Service time: {d['service_time']['source']}.", "",
             f"| component | per month ({cur}) | per inference ({cur}) | share |", "|---|---:|---:|---:|"]
    for c in d["components"]:
        lines.append(f"| {c['label']} | {money_txt(Decimal(c['monthly_cost']))} | "
                     f"{per_unit_txt(Decimal(c['per_inference']))} | {float(c['share']) * 100:.1f}% |")
    t = d["total"]
    lines.append(f"| **total** | **{money_txt(Decimal(t['monthly_cost']))}** | "
                 f"**{per_unit_txt(Decimal(t['per_inference']))}** | 100% |")
    lines += ["", f"- per 1k inferences: {per_unit_txt(Decimal(t['per_1k_inferences']))} {cur}"]
    if t.get("per_1m_tokens"):
        lines.append(f"- per 1M tokens: {per_unit_txt(Decimal(t['per_1m_tokens']))} {cur}")
    lines.append(f"- utilisation: {d['facts']['utilization']:.1%}; {d['main_driver']}")
    e = energy_markdown(d["facts"].get("energy"))
    if e:
        lines.append(e)
    for n in d["facts"].get("notes", []):
        lines.append(f"- warning: {n}")
    return "\n".join(lines) + "\n"


def energy_markdown(e: dict[str, Any] | None, period: str = "in the month") -> str:
    """One markdown bullet for an `econ.energy` facts dict (kWh and gCO2e per 1k
    inferences, PUE, grid, total kWh `period`), or "" when there is none."""
    if not e:
        return ""
    per_inf = e.get("kwh_per_inference")
    if per_inf is None:
        return f"- energy: {sig_txt(e['kwh'])} kWh (PUE {e['pue']:g})"
    g = e.get("gco2e_per_inference")
    carbon = "" if g is None else f", {sig_txt(Decimal(str(g)) * 1000)} gCO2e"
    grid = "" if e.get("grid_g_per_kwh") is None else f", {e['grid_g_per_kwh']:g} g/kWh {e['region']}"
    return (f"- energy per 1k inferences: {sig_txt(Decimal(str(per_inf)) * 1000)} kWh{carbon} "
            f"(PUE {e['pue']:g}{grid}; {sig_txt(e['kwh'])} kWh {period})")

