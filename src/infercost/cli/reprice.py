"""`infercost reprice SPANS --scenario S [--catalog NEW.yaml]`: stored spans, new prices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from infercost.cli.options import CatalogOpt, SetOpt
from infercost.cli.outputs import CsvOpt, JsonOpt, MdOpt

SpansArg = Annotated[list[Path], typer.Argument(
    help="OTLP/JSON span files (what OtlpJsonFileExporter writes)", show_default=False,
    metavar="SPANS")]
ScenarioOpt = Annotated[Optional[Path], typer.Option(
    "--scenario", help="scenario YAML of the deployment that served the spans (required)")]


def register(app: typer.Typer) -> None:
    @app.command()
    def reprice(spans: SpansArg, scenario: ScenarioOpt = None, catalog: CatalogOpt = None,
                set_: SetOpt = None, json_: JsonOpt = False, md: MdOpt = False,
                csv: CsvOpt = None) -> None:
        """Price stored spans again with a newer price table: old vs new, per model/tenant."""
        from infercost import api
        from infercost.cli.outputs import emit
        from infercost.errors import InputError

        if scenario is None:
            raise InputError("expected the scenario that prices the spans (a YAML file)",
                             "--scenario")
        if csv is not None:  # refused before any work, so nothing is half-done
            from infercost.core.io import check_output_file

            check_output_file(csv, "--csv")
        sc = api.load_scenario(scenario, **api.overrides_from_sets(set_))
        try:
            res = api.reprice(list(spans), scenario=sc, catalog=catalog)
        except InputError as e:
            if e.where != "scenario.currency":
                raise
            # the spans' currency against the scenario's: name both files
            names = ", ".join(str(f) for f in spans)
            raise InputError(f"{e.message} (spans: {names})", f"{scenario}: currency") from None
        d = res.to_dict()
        if json_ or md:
            emit(d, reprice_tables(d), [], "reprice", json_=json_, md=md, csv=csv)
            return
        from infercost.report import tables as tb

        if csv is not None:  # the whole names in the file; fitted to 80 columns on screen
            tb.write_csv(reprice_tables(d)[0], csv)
        tb.print_tables(reprice_tables(d, fit_width=True))
        if csv is not None:
            print(f"wrote {csv}")


#: the terminal width the table is laid out for, and the narrowest each text column gets
#: (its header's width: a header never folds)
WIDTH = 80
_TEXT_MIN = {"model": 5, "version": 7, "tenant": 6}


def fold_cells(text: str, width: int, lines: int = 2) -> str:
    """`text` on at most `lines` lines of at most `width` terminal cells each (an East
    Asian wide character counts 2, as `rich.cells.cell_len`), broken at a space, `/` or
    `-` when one is near, else anywhere; the last line cut with '…' when it does not fit.
    Never drops a character that fits."""
    from rich.cells import cell_len

    text = " ".join(str(text).split())
    width = max(width, 2)
    out: list[str] = []
    rest = text
    while rest and len(out) < lines:
        if cell_len(rest) <= width:
            out.append(rest)
            rest = ""
            break
        if len(out) == lines - 1:  # the last line: as much as fits, then '…'
            line, used = "", 0
            for ch in rest:
                w = cell_len(ch)
                if used + w > width - 1:
                    break
                line, used = line + ch, used + w
            out.append(line.rstrip() + "…")
            rest = ""
            break
        line, used, cut = "", 0, 0
        for i, ch in enumerate(rest):
            w = cell_len(ch)
            if used + w > width:
                break
            line, used = line + ch, used + w
            if ch in " /-" and i + 1 > width // 2:
                cut = i + 1  # a break after a separator past the line's middle
        if cut:
            line = rest[:cut]
        out.append(line.rstrip())
        rest = rest[len(line):].lstrip()
    return "\n".join(out) or ""


def _text_widths(rows: list[list[str]], numbers: list[list[str]], width: int) -> list[int]:
    """Widths (terminal cells) for the model, version and tenant columns so the whole table
    fits `width`: the number columns keep their widest cell (they never fold), the rest
    is shared by the text columns, each at least its header's width, none wider than its
    widest name; a column that needs more than its share folds onto two lines."""
    from rich.cells import cell_len

    gaps = 3 + len(numbers) - 1  # one space between two columns
    fixed = sum(max(cell_len(x) for x in col) for col in numbers)
    room = width - gaps - fixed
    mins = list(_TEXT_MIN.values())
    need = [max([cell_len(r[i]) for r in rows] + [mins[i]]) for i in range(3)]
    if sum(need) <= room:
        return need
    widths = list(mins)
    spare = room - sum(mins)
    # hand the spare cells out one at a time to the column still furthest from its need
    while spare > 0:
        i = max(range(3), key=lambda k: need[k] - widths[k])
        if need[i] <= widths[i]:
            break
        widths[i] += 1
        spare -= 1
    return widths


def reprice_tables(d: dict, fit_width: bool = False) -> list:
    """The reprice dict as one table (one row per model, version and tenant, then the
    total), with the price-table versions and the unpriced spans in its notes. When the
    new table could not price some spans, an `unpriced` column counts them per row and a
    note gives their stored cost (in neither old nor new: both cover the same spans).
    `fit_width`: model, version and tenant names folded onto at most two lines so the
    table fits the terminal's 80 columns (East Asian wide characters count 2; number
    columns never fold); whole otherwise (CSV, markdown)."""
    from decimal import Decimal

    from infercost.report.tables import Table
    from infercost.report.terminal import per_unit_txt

    def m(s: str) -> str:
        return per_unit_txt(Decimal(s))

    t = d["total"]
    names = [[r["model"] or "-", r["model_version"] or "-", r["tenant"] or "-"]
             for r in d["rows"]]
    # spans the new table could not price: a column of their own, only when there are some
    un_new = d["spans"].get("unpriced_new", 0)
    heads = ("spans", "unpriced", "old", "new", "change") if un_new else ("spans", "old", "new", "change")

    def counts(n: int, u: int) -> list[str]:
        return [f"{n:,}", f"{u:,}"] if un_new else [f"{n:,}"]

    nums = [[*counts(r["spans"], r.get("unpriced_new", 0)), m(r["old"]), m(r["new"]), m(r["change"])]
            for r in d["rows"]]
    total = [*counts(d["spans"]["repriced"], un_new), m(t["old"]), m(t["new"]), m(t["change"])]
    if fit_width:
        cols = [[h] + [n[i] for n in nums] + [total[i]] for i, h in enumerate(heads)]
        widths = _text_widths(names + [["total", "", ""]], cols, WIDTH)
        names = [[fold_cells(x, w) for x, w in zip(n, widths, strict=True)] for n in names]
    rows = [[*n, *x] for n, x in zip(names, nums, strict=True)]
    # for CSV: whole names, span counts without separators, the exact money strings
    raw = [[r["model"], r["model_version"], r["tenant"], r["spans"],
            *([r.get("unpriced_new", 0)] if un_new else []), r["old"], r["new"], r["change"]]
           for r in d["rows"]]
    rows.append(["total", "", "", *total])
    raw.append(["total", "", "", d["spans"]["repriced"], *([un_new] if un_new else []), t["old"], t["new"],
                t["change"]])
    pt, sp = d["price_table"], d["spans"]
    old = pt["old_versions"]
    if len(old) > 1:  # the old total adds up spans priced with different tables: say so
        notes = [f"price table: {len(old)} old versions -> {pt['new_version']}"]
        for v in old:
            n = pt["old_version_spans"].get(v, 0)
            notes.append(f"old price table {v}: {n:,} span{'' if n == 1 else 's'}")
        notes.append(f"the old total adds up spans priced with {len(old)} different tables")
    else:
        notes = [f"price table: {', '.join(old) or 'none'} -> {pt['new_version']}"]
    read = f"{sp['total']:,} spans read, {sp['repriced']:,} repriced"
    if sp.get("skipped"):
        read += f", {sp['skipped']:,} not inference spans (skipped)"
    notes.append(read)
    if sp.get("duplicates"):
        notes.append(f"{sp['duplicates']:,} duplicate spans (same traceId and spanId) "
                     "counted once")
    un = {k: v for k, v in sp["unpriced"].items() if not (un_new and k.startswith(NEW_TABLE))}
    if un:
        notes.append("unpriced: " + "; ".join(f"{k} {v:,}" for k, v in un.items()))
    if un_new:
        why = "; ".join(f"{k[len(NEW_TABLE):]} {v:,}" for k, v in sp["unpriced"].items()
                        if k.startswith(NEW_TABLE))
        one = un_new == 1
        notes.append(f"{un_new:,} span{'' if one else 's'} the new table cannot price ({why}): "
                     f"{'its' if one else 'their'} stored cost {m(t.get('old_unpriced', '0'))} is in "
                     "neither old nor new, so both cover the same spans")
    return [Table(f"reprice ({d['currency']})", ["model", "version", "tenant", *heads], rows, notes,
                  raw_rows=raw)]


#: how `api.RepriceResult` names the reason a span the new table could not price
NEW_TABLE = "new table: "
