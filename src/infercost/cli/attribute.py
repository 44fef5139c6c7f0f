"""`infercost attribute`: a bill plus serving logs in, measured cost per request out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from infercost.core.money import thousands, unit_cost_text


def register(app: typer.Typer) -> None:
    app.command(
        "attribute",
        help=(
            "Measured cost: allocate a bill (FOCUS 1.0-1.2, AWS CUR 2.0, GCP export) to "
            "usage logs or OTel spans, or to call counts (--counts), or show the bill's "
            "own breakdown (--bill alone). Writes allocations.csv/.parquet, "
            "requests.parquet and summary.json to --out. Extra arguments after the options "
            "are more usage files (so a shell glob works: --usage logs/*.parquet)."
        ),
    )(attribute_command)


def attribute_command(
    bill: list[Path] = typer.Option(..., "--bill", help="Bill file(s), directory or glob."),
    usage: list[str] = typer.Option(
        None, "--usage", help="Usage log(s): CSV, Parquet, JSON lines, OTel JSON; globs ok."
    ),
    counts: list[str] = typer.Option(
        None, "--counts", help="Call counts per period: CSV/Parquet (period_start, period_s, "
        "resource_id, requests, ...) or `aws cloudwatch get-metric-data` JSON."
    ),
    counts_resource: str | None = typer.Option(
        None, "--counts-resource", help="The bill's ResourceId for counts without one "
        "(an invisible character in it written \\uXXXX, as errors and notes show it)."
    ),
    counts_period: str | None = typer.Option(
        None, "--counts-period", help="Seconds per counts period, for counts without one."
    ),
    more_usage: list[str] = typer.Argument(None, help="More usage files (shell-expanded globs)."),
    rules: Path | None = typer.Option(None, "--rules", help="Allocation rules (YAML)."),
    out: str = typer.Option("attribution", "--out", help="Output folder."),
    backend: str = typer.Option("duckdb", "--backend", help="duckdb (default) or spark."),
    bill_format: str = typer.Option("auto", "--bill-format", help="auto, focus, cur, gcp."),
    cost_basis: str | None = typer.Option(
        None, "--cost-basis", help="EffectiveCost (default) or BilledCost; overrides rules."
    ),
    by: str = typer.Option(
        "combination", "--by",
        help="Breakdown slices: combination (model, version, endpoint, tenant) or day.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print summary.json to stdout."),
    no_duplicate_check: bool = typer.Option(
        False, "--no-duplicate-check", help="Skip counting duplicate request ids (one pass)."
    ),
    no_requests: bool = typer.Option(
        False, "--no-requests", help="Skip requests.parquet (per-request costs)."
    ),
) -> None:
    from infercost import api
    from infercost.cli.common import print_json
    from infercost.errors import InputError

    if backend not in ("duckdb", "spark"):
        raise InputError(f"expected duckdb or spark, got {backend!r}", "--backend")
    if not out.strip():  # (Path("") is the current folder: every output would land there)
        raise InputError("expected an output folder, got an empty name (--out . writes "
                         "into the current folder)", "--out")
    out_dir = Path(out)
    usage_files = list(usage or []) + list(more_usage or [])
    if counts and more_usage and not usage:  # `--counts a.json b.json`: b.json is positional
        raise InputError(f"one file per --counts (write --counts before each file: --counts "
                         f"{counts[-1]} --counts {more_usage[0]}); {more_usage[0]} was read "
                         "as a usage log, and a run takes call counts or a log, not both",
                         "--counts")
    if usage_files and counts:
        raise InputError("give one of them (a request log or call counts, not both)",
                         "--counts and --usage")
    period_s = None
    if counts_period is not None:  # (read here: the parser's message echoed no value)
        try:
            period_s = float(counts_period.strip())
        except ValueError:
            raise InputError(f"expected a positive number of seconds, got {counts_period!r}",
                             "--counts-period") from None
    from infercost.cli.common import working

    with working(f"attributing the bill ({backend})"):
        try:
            result = api.attribute(
                [str(b) for b in bill], usage_files or None, counts=counts or None,
                rules=rules, backend=backend, out=out_dir, bill_format=bill_format,
                cost_basis=cost_basis, check_duplicates=not no_duplicate_check,
                write_requests=not no_requests, by=by, counts_resource=counts_resource,
                counts_period_s=period_s,
            )
        except InputError as e:  # (the error in the flags' words, not the API's)
            raise getattr(e, "cli_words", e) from None
    if json_out:
        print_json(result.to_dict())
    else:
        print(render(result.summary, out_dir))


def render(s: dict, out: Path, width: int | None = None) -> str:
    """The human-readable report of one run (money in the bill currency), each line
    wrapped to `width` columns (default: the terminal's, or the COLUMNS variable)."""
    import shutil
    import textwrap

    from infercost.core.money import format_decimal

    def m(v) -> str:
        return "n/a" if v is None else thousands(format_decimal(v, 2))

    t = s["totals"]
    cur = s["currency"]
    rows = s["rows"]
    dups = ("duplicate ids not checked" if rows["duplicate_request_ids"] is None
            else f"{rows['duplicate_request_ids']:,} duplicate request ids")
    u = s["unit_costs"]
    given = s.get("inputs") or {}
    how = (f"driver {s['driver']}" if given.get("usage") or given.get("counts")
           else "the bill alone: no usage")  # (no driver splits anything then)
    lines = [
        f"attribution ({s['backend']}, {s['cost_basis']}, {how}), "
        f"billing period {s['billing_period']['start']} .. {s['billing_period']['end']}",
        f"  bill       {m(t['bill'])} {cur}",
        f"  allocated  {m(t['allocated'])}   idle {m(t['idle'])}   shared {m(t['shared'])}"
        f"   unallocated {m(t['unallocated'])}",
        f"  conservation {'holds' if s['conservation']['holds'] else 'VIOLATED'} (exact): "
        f"{_sep_numbers(s['conservation']['line'])}",
        f"  idle share of fleet cost {_idle_share(s)}",
        _drivers_line(s["drivers"]),
        *_bill_lines(s, m),
        f"  per request {unit_cost_text(u['cost_per_request'])}, per 1k requests "
        f"{unit_cost_text(u['cost_per_1k_requests'])}, per 1M tokens {unit_cost_text(u['cost_per_1m_tokens'])} {cur}",
        f"  whole bill per request {unit_cost_text(u.get('bill_per_request'))}, per 1k requests "
        f"{unit_cost_text(None if u.get('bill_per_request') is None else u['bill_per_request'] * 1000)}"
        f" {cur} (allocated + idle + shared + unallocated over {u['requests']:,} allocated "
        "requests)",
        f"  rows: bill {rows['bill_read']:,}; {_read_allocated(s)}, "
        f"{_zero_weight(rows)}{rows['usage_rejected']:,} rejected, "
        f"{rows['usage_outside_period']:,} outside the billing period, "
        f"{rows['usage_without_bill_row']:,} without a bill row, "
        f"{dups}",
        *(f"    rejected {n:,}: {why.removeprefix('rejected: ')}" for why, n in
          sorted((rows.get("usage_rejected_by_reason") or {}).items(), key=lambda kv: -kv[1])),
        *(f"  note: {_sep_money(n, cur)}" for n in s.get("notes", [])),
        *energy_lines(s.get("energy")),
        f"  wrote {out}/allocations.csv, allocations.parquet, "
        f"{'requests.parquet, ' if s['outputs']['requests'] else ''}summary.json",
    ]
    width = width or shutil.get_terminal_size((80, 24)).columns
    wrapped = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        wrapped += textwrap.wrap(line, max(width, 20), subsequent_indent=indent,
                                 break_on_hyphens=False) or [""]
    return "\n".join(wrapped)


def _bill_lines(s: dict, m: Any, top: int = 5) -> list[str]:
    """The bill's own breakdown (summary.json's charges, by_service, top_resources): its
    charge labels, then the largest services and resources by amount, `top` of each."""
    from decimal import Decimal

    from infercost.ingest.billrows import escape_invisible

    basis = "billed_cost" if s.get("cost_basis") == "BilledCost" else "effective_cost"

    def listed(items: list[tuple[str, Any]], say_more: bool = True) -> str:
        items = sorted(items, key=lambda kv: (-abs(Decimal(str(kv[1]))), kv[0]))
        more = f", and {len(items) - top} more" if len(items) > top and say_more else ""
        return ", ".join(f"{k} {m(Decimal(str(v)))}" for k, v in items[:top]) + more

    lines = []
    charges = s.get("charges") or {}
    if charges:
        lines.append("  charges: " + listed([(k, v[basis]) for k, v in charges.items()]))
    services = s.get("by_service") or []
    if services:
        names = [x["service"] or "(none)" for x in services]
        twice = {n for n in names if names.count(n) > 1}  # one name in two categories
        lines.append("  by service: " + listed([
            (f"{n} ({x['category'] or 'no category'})" if n in twice else n, x["cost"])
            for n, x in zip(names, services, strict=True)]))
    resources = s.get("top_resources") or []
    if resources:
        lines.append("  top resources: " + listed(
            [(f"{escape_invisible(str(x['resource_id']))} "
              f"({'fleet' if x.get('fleet') else 'shared'})", x["cost"])
             for x in resources], say_more=False))  # (summary.json lists the top 10;
    return lines                                     # an unseen character escaped)


def energy_lines(e: dict | None) -> list[str]:
    """The energy block of summary.json as report lines (econ.energy; assumptions in notes)."""
    if not e:
        return []
    from infercost.report.terminal import sig_txt

    per = ("" if e.get("kwh_per_1k_requests") is None else
           f", {sig_txt(e['kwh_per_1k_requests'])} kWh"
           + ("" if e.get("gco2e_per_1k_requests") is None else f" and {sig_txt(e['gco2e_per_1k_requests'])} gCO2e")
           + " per 1k requests")
    g = "" if e.get("gco2e") is None else f", {sig_txt(e['gco2e'] / 1000)} kgCO2e"
    gh = sum(r["gpu_hours"] for r in e.get("resources", []))
    return [f"  energy {sig_txt(e['kwh'])} kWh{g} over {gh:,.0f} billed GPU-hours{per} (PUE {e['pue']:g})",
            *(f"    note: {n}" for n in e.get("notes", []))]


def _sep_numbers(text: str) -> str:
    """Every decimal number in `text` with thousands separators (digits unchanged)."""
    import re

    return re.sub(r"\d+(?:\.\d+)?", lambda x: thousands(x.group()), text)


def _sep_money(text: str, cur: str) -> str:
    """Each amount of `text` written before the currency code `cur` ("1047.552 USD")
    with thousands separators, as the report's other amounts ("1,047.552 USD"); other
    numbers (ids, counts, years) are left as they are."""
    import re

    if not cur:
        return text
    return re.sub(r"(?<![\w.,-])-?\d+(?:\.\d+)?(?= " + re.escape(cur) + r"\b)",
                  lambda x: thousands(x.group()), text)


def _drivers_line(drivers: list[dict]) -> str:
    """The largest six drivers with their share of the bill; a bill with credits or
    refunds (a driver below zero) says its shares are of the net bill, where a driver
    can pass 100% ("instance time (fleet) 125.0%, credit -31.2%")."""
    net = any(d["cost"] < 0 for d in drivers)
    head = "  drivers (shares of the net bill, credits below zero): " if net else "  drivers: "
    return head + ", ".join(f"{d['driver']} {d['share']}" for d in drivers[:6])


def _counts_run(s: dict) -> bool:
    """Whether the run read call counts (`--counts`), not a request log."""
    return bool((s.get("inputs") or {}).get("counts"))


def _zero_weight(rows: dict) -> str:
    """The requests that have a bill row but weigh nothing under the driver (a mean
    latency of 0 under capacity, no tokens under tokens), as a part of the rows line
    ("505 of zero weight under the driver, "); "" when there are none."""
    n = rows.get("usage_zero_weight") or 0
    return f"{n:,} of zero weight under the driver, " if n else ""


def _read_allocated(s: dict) -> str:
    """What was read and allocated, each counted in its own unit: a counts row stands for
    many requests ("744 counts rows read, 1,582,522 requests allocated"; `counts_read`,
    the rows of the counts files, not the clock hours they are spread over); a log row
    is one request ("usage 744 read, 744 allocated")."""
    rows = s["rows"]
    if _counts_run(s):
        n = rows.get("counts_read", rows["usage_read"])
        return (f"{n:,} counts row{'' if n == 1 else 's'} read, "
                f"{rows['usage_allocated']:,} requests allocated")
    return f"usage {rows['usage_read']:,} read, {rows['usage_allocated']:,} allocated"


def _idle_share(s: dict) -> str:
    """The idle share of fleet cost; "not measured" for call counts split by request count
    (no busy time is known: only hours without a request are idle; a note says why);
    "n/a" with the fleet's cost when that is not above zero (credits beyond the charges:
    a share of a negative cost means nothing, two negatives made it read 95.9%)."""
    if _counts_run(s) and s.get("driver") == "requests":  # (allocation.breakdowns'
        # idle_not_measured: the same test on the summary)
        return "not measured (call counts split by request count; see the note)"
    from decimal import Decimal

    from infercost.core.money import format_decimal

    fleet = s.get("fleet") or {}
    cost = fleet.get("cost")
    if fleet.get("resources") and cost is not None and Decimal(str(cost)) <= 0:
        below = Decimal(str(cost)) < 0
        return (f"n/a (the fleet's cost is {thousands(format_decimal(Decimal(str(cost)), 2))} "
                f"{s['currency']}, not above zero"
                + (": credits or negative rows exceed its charges)" if below else ")"))
    return _pct(s["idle_share"])


def _pct(v) -> str:
    if v is None:
        return "n/a"
    return f"{(v * 100):.1f}%"
