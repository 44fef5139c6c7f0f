"""Terminal output a person can read at 80 columns (rich).

Tables are compact (a rule under the header, two spaces between columns), ids are
never cut, and a text cell is at most two lines: long driver text is shortened in the
table (its first clause, then an ellipsis) and printed whole with `--verbose` and in
`--json`. Every piece of user text (scenario names, labels, ids, notes) is escaped, so
`[bold]` in a name prints as written instead of being read as rich markup.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from decimal import Decimal

from infercost.core.money import format_decimal, format_significant
from infercost.econ.breakdown import CostBreakdown

#: Columns between two table columns (collapsed padding, see `new_table`).
GAP = 2


def money_txt(d: Decimal, places: int = 2) -> str:
    q = format_decimal(d, places)
    neg = q.startswith("-")
    whole, _, frac = q.lstrip("-").partition(".")
    whole = f"{int(whole):,}"
    return ("-" if neg else "") + (f"{whole}.{frac}" if frac else whole)


def per_unit_txt(d: Decimal) -> str:
    """Small per-inference amounts with enough significant digits."""
    if d == 0:
        return "0"
    ad = abs(d)
    places = 2 if ad >= 1 else max(4, -ad.adjusted() + 3)
    return money_txt(d, min(places, 12))


def sig_txt(x: Decimal | float | int, digits: int = 4) -> str:
    """`x` to `digits` significant digits as plain text: never E-notation, thousands
    separated, no more places than the digits need (3.04e-7 -> "0.0000003040",
    2223.4 -> "2,223", 0.0078 -> "0.007800"). Floats go through their shortest repr."""
    d = x if isinstance(x, Decimal) else Decimal(str(x))
    q = format_significant(d, digits)
    neg = q.startswith("-")
    whole, dot, frac = q.lstrip("-").partition(".")
    return ("-" if neg else "") + f"{int(whole):,}{dot}{frac}"


def esc(text: object) -> str:
    """User text safe to print through rich (markup such as `[bold]` kept literally)."""
    from rich.markup import escape

    return escape(str(text))


def make_console():
    """A rich console; its width follows the terminal (or the COLUMNS variable)."""
    from rich.console import Console

    return Console()


def fit(text: str, width: int, lines: int = 2) -> str:
    """`text` wrapped to `width` columns on at most `lines` lines, the last cut with '…'.

    Words longer than `width` are broken; the result never has a line over `width`."""
    width = max(width, 4)
    out = textwrap.wrap(" ".join(str(text).split()), width) or [""]
    if len(out) > lines:
        rest = " ".join(out[lines - 1:])
        out = out[:lines - 1] + [rest[:width - 1].rstrip() + "…"]
    return "\n".join(out)


def short_driver(text: str, line=None) -> str:
    """What a cost line counts, short enough for an 80-column table: quantity x rate with
    the numbers rounded for reading ('2,615 GPU-h x 6.88 USD/GPU-h'; the exact formula is
    in --verbose and --json), else the first clause of its driver text."""
    q, u, r = (getattr(line, k, None) for k in ("quantity", "unit", "rate"))
    if q is not None and u and r is not None:
        cur = getattr(r, "currency", "")
        rate = getattr(r, "amount", r)
        return f"{_num(q)} {u} x {_num(rate)} {cur}/{u}".replace("  ", " ")
    return str(text).split(" = ")[0].split("; ")[0].split(" [")[0]


def _num(x) -> str:
    """A quantity or rate for reading: 4 significant digits, thousands separated."""
    v = float(x)
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def new_table(title: str = "", caption: str | None = None):
    """A compact rich table: header rule, no borders, two spaces between columns.

    `title` and `caption` are user text and escaped here."""
    from rich import box
    from rich.table import Table

    return Table(title=esc(title) if title else None, caption=esc(caption) if caption else None,
                 box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True, show_edge=False,
                 pad_edge=False, title_justify="left", caption_justify="left")


def percentile_txt(x: float) -> str:
    """A simulated percentile (ms) to the digit its stated relative error bound reaches
    (docs/simulator.md): 57.115 -> '57.12' with the 0.1% bound."""
    from infercost.sim.metrics import error_decimals

    return f"{x:,.{max(0, error_decimals(x))}f}"


def print_wrapped(con, text: str, indent: str = "", style: str | None = None) -> None:
    """Print user text wrapped to the console width (escaped; hanging `indent`)."""
    for line in textwrap.wrap(text, max(con.width, 20), subsequent_indent=indent) or [""]:
        con.print(esc(line), style=style, soft_wrap=True, highlight=False)


def print_details(con, title: str, items: Iterable[tuple[str, str]]) -> None:
    """`--verbose`: each item's full text under the table, `name: text`, wrapped."""
    con.print(esc(title), style="bold", highlight=False)
    for name, text in items:
        print_wrapped(con, f"  {name}: {text}", indent="    ")


def print_breakdown(b: CostBreakdown, title: str = "", subtitle: str = "", console=None,
                    verbose: bool = False) -> None:
    """A cost breakdown as a table: component, per month, per inference, share, driver.

    The driver column holds the short driver (`short_driver`); `verbose=True` prints each
    component's full driver text under the table."""
    con = console or make_console()
    cur = b.currency
    served = b.inferences > 0  # no inference served: a cost per inference is not defined

    def per_inf(m) -> str:
        return per_unit_txt(m.amount) if served else "n/a"

    amounts = [(c, money_txt(b.monthly(c.cost).amount), per_inf(b.per_inference(c)),
                f"{float(b.share(c)) * 100:.1f}%") for c in b.components]
    total_m, total_i = money_txt(b.monthly_total.amount), per_inf(b.cost_per_inference)
    w_m = max([len(total_m), 9, *(len(a[1]) for a in amounts)])
    w_i = max([len(total_i), 9, *(len(a[2]) for a in amounts)])
    w_s = 6
    w_label = 20
    w_driver = max(16, con.width - (w_label + w_m + w_i + w_s) - 4 * GAP)
    t = new_table(title, subtitle or None)
    t.show_footer = True
    t.add_column("component", footer="total", width=w_label, no_wrap=True)
    t.add_column(f"per month\n{cur}", justify="right", footer=total_m, width=w_m, no_wrap=True)
    t.add_column("per\ninference", justify="right", footer=total_i, width=w_i, no_wrap=True)
    t.add_column("share", justify="right", footer="100%", width=w_s, no_wrap=True)
    t.add_column("driver", width=w_driver, no_wrap=True)
    for c, m, i, s in amounts:
        t.add_row(esc(fit(c.label, w_label)), m, i, s, esc(fit(short_driver(c.driver, c), w_driver)))
    con.print(t)
    if abs(float(b.period_hours) - 730.0) > 1e-6:
        print_wrapped(con, f"driver quantities are over the {float(b.period_hours):,.4g} h "
                           "modelled; the money columns are per month", style="dim")
    per1k = b.cost_per_inference.amount * 1000
    line = (f"inferences per month: {float(b.inferences * b.month_factor):,.0f}; "
            f"per 1k inferences: {per_unit_txt(per1k) if served else 'n/a'} {cur}")
    if b.cost_per_1m_tokens is not None:
        line += f"; per 1M tokens: {per_unit_txt(b.cost_per_1m_tokens.amount)} {cur}"
    print_wrapped(con, line)
    print_wrapped(con, b.main_driver(), style="bold")
    en = b.facts.get("energy")
    if en and served and en.get("kwh_per_inference") is not None:
        line = f"energy/inference: {sig_txt(en['kwh_per_inference'])} kWh"
        if en.get("gco2e_per_inference") is not None:
            line += f", {sig_txt(en['gco2e_per_inference'])} gCO2e"
        host = en.get("host_w") or 0
        line += f" (board + host {host:g} W/GPU" if host else " (board power only"
        line += f", PUE {en['pue']:g}"
        if en.get("grid_g_per_kwh") is not None:
            line += f", {en['grid_g_per_kwh']:g} g/kWh {en['region']}"
        print_wrapped(con, line + ")")
    for note in b.facts.get("notes", []):
        print_wrapped(con, f"warning: {note}", indent="  ", style="yellow")
    if verbose:
        print_details(con, "drivers", ((c.label, c.driver) for c in b.components))
    else:
        print_wrapped(con, "(full driver text: --verbose or --json)", style="dim")
