"""`infercost reconcile SCENARIO --attribution DIR`: predicted next to measured."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from infercost.core.money import round_places


def register(app: typer.Typer) -> None:
    app.command(
        "reconcile",
        help=(
            "Predicted next to measured: the scenario's estimate (and simulation with "
            "--simulate) beside a bill's attribution, component by component, with the "
            "difference decomposed into volume, utilisation, price and the residual."
        ),
    )(reconcile_command)


def reconcile_command(
    scenario: Path = typer.Argument(..., help="Scenario YAML (what was predicted)."),
    attribution: Path | None = typer.Option(
        None, "--attribution", help="Folder written by `infercost attribute` (summary.json)."),
    bill: list[Path] = typer.Option(None, "--bill", help="Bill file(s): attribute them first."),
    usage: list[str] = typer.Option(None, "--usage", help="Usage log(s), with --bill."),
    counts: Path | None = typer.Option(None, "--counts", help="Call counts instead of logs, with --bill (as for attribute)."),
    rules: Path | None = typer.Option(None, "--rules", help="Allocation rules, with --bill."),
    simulate: bool = typer.Option(False, "--simulate", help="Add the simulated column."),
    seed: int = typer.Option(0, "--seed", help="Simulation seed."),
    sets: list[str] = typer.Option(None, "--set", help="Override a scenario key: path=value."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    md: bool = typer.Option(False, "--md", help="Print a markdown table (for a pull request)."),
) -> None:
    from infercost import api
    from infercost.cli.common import one_stdout, print_json
    from infercost.errors import InputError

    one_stdout(json_out, md)
    # the API's own checks name its arguments; here they name the options
    if attribution is None and not bill:
        raise InputError("give --attribution DIR, or --bill with --usage or --counts", "reconcile")
    if attribution is not None and (bill or usage or counts is not None):
        raise InputError("--bill, --usage and --counts go without --attribution, not with it",
                         "--counts" if counts is not None else "--attribution")
    if usage and counts is not None:
        raise InputError("give one of them (a request log or call counts, not both)",
                         "--counts and --usage")
    if bill and not usage and counts is None:  # (the API's check names its argument)
        raise InputError("expected --usage (request logs) or --counts (call counts) with it: "
                         "a bill needs its usage to be attributed", "--bill")
    r = api.reconcile(scenario, attribution=attribution, bill=list(bill or []) or None,
                      usage=list(usage or []) or None, counts=counts, rules=rules,
                      simulate=simulate, seed=seed, **api.overrides_from_sets(sets))
    d = r.to_dict()
    if json_out:
        print_json(d)
    elif md:
        print(render_md(d))
    else:
        print(render_text(d))


def _m(x: str | None, places: int = 2) -> str:
    if x is None or x == "":
        return "-"
    from decimal import Decimal

    from infercost.core.money import round_places

    return f"{round_places(Decimal(x), places):,.{places}f}"


MAX_PLACES = 8


def _effect(x: str | None, places: int) -> str:
    """An effect (volume, utilisation, price, residual, the difference) as the tables
    show it: `_m` at the table's `places`, except a figure that is not 0 but rounds to 0
    there (it printed "-0.00" for -0.0015): then with the decimals its two significant
    digits need ("-0.0015"), and beyond `MAX_PLACES` decimals as under one unit of that
    place ("<0.00000001", ">-0.00000001"). (The residual's parts stay at `places`:
    they add up to the residual shown.)"""
    shown = _m(x, places)
    if x is None or x == "":
        return shown
    d = Decimal(x)
    if d.is_zero() or not round_places(d, places).is_zero():
        return shown
    need = 1 - d.adjusted()  # decimals for two significant digits
    if need > MAX_PLACES:
        unit = f"{Decimal(1).scaleb(-MAX_PLACES):.{MAX_PLACES}f}"
        return f">-{unit}" if d < 0 else f"<{unit}"
    return _m(x, need)


def table_places(d: dict) -> int:
    """Decimals for every money figure of one reconciliation: at least cents and four
    significant digits of its largest figure, then more until, in every column, the shown
    components add up to the shown total and the shown effects to the shown difference
    (where the exact figures do; at most `MAX_PLACES`). A 0.044625 USD bill of 0.0000307 +
    0.0445943 shows 6 places (0.000031 + 0.044594 = 0.044625), not 0.00 + 0.04 = 0.04."""
    from decimal import Decimal

    from infercost.core.money import round_places

    def dec(x: str | None) -> Decimal | None:
        return None if x is None or x == "" else Decimal(x)

    groups: list[tuple[list[Decimal], Decimal]] = []
    for k in _columns(d):
        parts = [dec(c[k]) for c in d["components"]]
        total = dec(d["total"][k])
        if total is not None and None not in parts:
            groups.append((parts, total))
    de = d["decomposition"]
    groups.append(([Decimal(de[k]) for k in de["order"]], Decimal(de["difference"])))
    if _parts(de) and "residual" in de:  # (the shown parts add up to the shown residual)
        groups.append(([Decimal(x) for _, x in _parts(de)], Decimal(de["residual"])))
    groups = [(parts, total) for parts, total in groups if sum(parts, Decimal(0)) == total]
    figures = [abs(x) for parts, total in groups for x in (*parts, total) if x]
    if not figures:
        return 2
    places = min(MAX_PLACES, max(2, 3 - max(figures).adjusted()))

    def adds_up(p: int) -> bool:
        return all(sum((round_places(x, p) for x in parts), Decimal(0)) == round_places(total, p)
                   for parts, total in groups)

    while places < MAX_PLACES and not adds_up(places):
        places += 1
    return places


#: the residual's parts (`residual_parts` in --json) as the tables name them
RESIDUAL_PARTS = (("accelerator_busy_time_per_inference", "busy time per inference"),
                  ("other_components", "other components"),
                  ("not_on_the_bill", "not on the bill"))


def _parts(dec: dict) -> list[tuple[str, str]]:
    """The residual's parts, (label, amount) each, in `RESIDUAL_PARTS` order; empty when
    the decomposition has none (every part is shown, a zero too: the accelerator part
    can be larger than the whole difference)."""
    parts = dec.get("residual_parts") or {}
    return [(label, parts[k]) for k, label in RESIDUAL_PARTS if parts.get(k) not in (None, "")]


def _columns(d: dict) -> list[str]:
    return ["predicted"] + (["simulated"] if d["total"]["simulated"] is not None else []) + [
        "measured", "difference"]


def render_md(d: dict) -> str:
    """Markdown: components side by side, then the decomposition (money in the currency)."""
    cols = _columns(d)
    cur = d["currency"]
    p = table_places(d)
    out = [f"### {d['scenario']}: predicted vs measured ({cur}, {_m(d['period_hours'], 0)} h)", "",
           "| component | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for c in d["components"]:
        out.append(f"| {c['component']} | " + " | ".join(_m(c[k], p) for k in cols) + " |")
    out.append("| **total** | " + " | ".join(f"**{_m(d['total'][k], p)}**" for k in cols) + " |")
    dec = d["decomposition"]
    out += ["", "| effect (in this order) | " + cur + " |", "|---|---:|"]
    for k in dec["order"]:
        out.append(f"| {k} | {_effect(dec[k], p)} |")
        if k == "residual":
            out += [f"| of which {label} | {_m(x, p)} |" for label, x in _parts(dec)]
    out.append(f"| **difference** | **{_effect(dec['difference'], p)}** |")
    inf = d["inferences"]
    out += ["", f"Inferences: predicted {_m(inf['predicted'], 0)}, measured {_m(inf['measured'], 0)}. "
            "Formulas: docs/reconcile.md."]
    if energy_line(d):
        out += ["", energy_line(d) + "."]
    return "\n".join(out)


def energy_line(d: dict) -> str:
    """Predicted vs measured kWh and gCO2e per 1k inferences ('' when neither is known)."""
    e = d.get("energy")
    if not e:
        return ""
    from infercost.report.terminal import sig_txt

    def fig(side: dict) -> str:
        k, g = side.get("kwh_per_1k"), side.get("gco2e_per_1k")
        return ("n/a" if k is None else f"{sig_txt(Decimal(k))} kWh") + ", " + (
            "n/a" if g is None else f"{sig_txt(Decimal(g))} gCO2e")

    return (f"Energy per 1k inferences: predicted {fig(e['predicted'])}; "
            f"measured {fig(e['measured'])}")


def render_text(d: dict) -> str:
    """Plain text, 80 columns."""
    import textwrap

    cols = _columns(d)
    p = table_places(d)
    dec = d["decomposition"]
    shown = [_m(x, p) for x in (*(c[k] for c in d["components"] for k in cols),
                                 *(d["total"][k] for k in cols), *(x for _, x in _parts(dec)))]
    shown += [_effect(x, p) for x in (*(dec[k] for k in dec["order"]), dec["difference"])]
    w = max(13, 1 + max(map(len, shown)))
    head = f"{'component':<22}" + "".join(f"{c:>{w}}" for c in cols)
    lines = [f"{d['scenario']}: predicted vs measured, {d['currency']}, {_m(d['period_hours'], 0)} h",
             head, "-" * len(head)]
    for c in d["components"]:
        lines.append(f"{c['component'][:22]:<22}" + "".join(f"{_m(c[k], p):>{w}}" for k in cols))
    lines.append(f"{'total':<22}" + "".join(f"{_m(d['total'][k], p):>{w}}" for k in cols))
    lines += ["", "difference, decomposed (volume, then utilisation, then price):"]
    for k in dec["order"]:
        lines.append(f"  {k:<26}{_effect(dec[k], p):>{w}}")
        if k == "residual":
            lines += [f"    {label:<24}{_m(x, p):>{w}}" for label, x in _parts(dec)]
    lines.append(f"  {'difference':<26}{_effect(dec['difference'], p):>{w}}")
    if energy_line(d):
        lines += [""] + textwrap.wrap(energy_line(d), 80, subsequent_indent="  ")
    for n in d["notes"]:
        lines += textwrap.wrap(f"note: {n}", 80, subsequent_indent="  ")
    return "\n".join(lines)
