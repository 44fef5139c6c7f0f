"""`infercost diff BASE HEAD` (or `--git REF`): the cost change of a scenario change, for a PR."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from infercost.cli.outputs import CsvOpt, HtmlOpt, JsonOpt, MdOpt, XlsxOpt

CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="YAML overriding or adding catalog entries")]


def register(app: typer.Typer) -> None:
    @app.command()
    def diff(
        base: Annotated[Optional[Path], typer.Argument(help="base scenario YAML", show_default=False)] = None,
        head: Annotated[Optional[Path], typer.Argument(help="head scenario YAML", show_default=False)] = None,
        git: Annotated[Optional[str], typer.Option(
            "--git", help="diff every scenario file changed since this commit (base read with git show)")] = None,
        fail_above: Annotated[Optional[float], typer.Option(
            "--fail-above", help="exit 1 when the monthly cost changes by more than this percent "
            "(negative: a saving of at least that much is required)")] = None,
        catalog: CatalogOpt = None,
        json_: JsonOpt = False,
        md: MdOpt = False,
        csv: CsvOpt = None,
        xlsx: XlsxOpt = None,
        html: HtmlOpt = None,
    ) -> int:
        """Change in monthly cost, cost per inference and p99, component by component."""
        import math

        from infercost import api
        from infercost.cli.outputs import emit
        from infercost.errors import InputError

        if fail_above is not None and not math.isfinite(fail_above):
            raise InputError(f"expected a finite number of percent, got {fail_above}", "--fail-above")
        cat = api.load_catalog(catalog)
        if git:
            if base is not None or head is not None:
                raise InputError("give BASE HEAD or --git REF, not both", "diff")
            pairs, notes = api.changed_scenarios(git)
        else:
            if base is None or head is None:
                raise InputError("give two scenario files BASE HEAD, or --git REF", "diff")
            pairs, notes = [(str(head), api.load_scenario(base), api.load_scenario(head))], []
        diffs = [api.diff(b, h, catalog=cat, path=path) for path, b, h in pairs]
        data = {"diffs": [d.to_dict() for d in diffs], "notes": notes}
        if git:
            data["ref"] = git
        failing = []
        if fail_above is not None:
            for d in diffs:
                pct = d.monthly_change_pct
                if pct is not None and pct > fail_above:
                    need = f" (a saving of at least {-fail_above:g}% is required)" if fail_above < 0 else ""
                    failing.append(f"{d.path or d.head_name}: monthly cost {pct:+.1f}% "
                                   f"> --fail-above {fail_above:g}%{need}")
            data["fail_above_pct"] = fail_above
            data["failed"] = failing
        tables = diff_tables(data)
        emit(data, tables, [], "infercost: cost diff", json_=json_, md=md, csv=csv, xlsx=xlsx, html=html)
        if failing:
            import sys

            for f in failing:
                print(f"failing: {f}", file=sys.stderr)
            return 1
        return 0


def _fmt(v: str | None, unit: str) -> str:
    from decimal import Decimal

    from infercost.report.terminal import money_txt, per_unit_txt

    if v is None:
        return "-"
    d = Decimal(v)
    if unit == "ms":
        return f"{d:,.0f}"
    return money_txt(d, 0) if abs(d) >= 100 else per_unit_txt(d)


def _signed(v: str, unit: str) -> str:
    s = _fmt(v, unit)
    return s if s.startswith("-") or s == "0" else "+" + s


def diff_tables(data: dict) -> list:
    from infercost.report.tables import Table

    out = []
    if not data["diffs"]:
        # the message is the row, so the table is as wide as the sentence (a title alone
        # is wrapped to the width of its columns)
        since = f" since {data['ref']}" if data.get("ref") else ""
        return [Table("infercost: cost diff", ["result"], [[f"no scenario file changed{since}"]],
                      data["notes"])]
    for d in data["diffs"]:
        cur = d["currency"]

        def rows(lines, cur=cur):
            # the title says "<currency> a month unless named": a row in another unit names it
            return [[x["name"] if x["unit"] == cur else f"{x['name']} ({x['unit']})",
                     _fmt(x["base"], x["unit"]), _fmt(x["head"], x["unit"]),
                     _signed(x["change"], x["unit"]),
                     "-" if x["change_pct"] is None else f"{x['change_pct']:+.1f}%"] for x in lines]
        title = f"infercost: {d['path'] or d['head']} ({cur} a month unless named)"
        notes = list(d["notes"])
        if "fail_above_pct" in data:
            bad = [f for f in data["failed"] if f.startswith(d["path"] or d["head"])]
            notes.append(bad[0] + ": failing" if bad else
                         f"within --fail-above {data['fail_above_pct']:g}%")
        out.append(Table(title, ["figure", "base", "head", "change", "%"], rows(d["summary"]), notes))
        out.append(Table("by component (monthly)", ["component", "base", "head", "change", "%"],
                         rows(d["components"])))
    return out
