"""The notes and checks of a run over call counts (`--counts`): which driver split them and
what it left unmeasured, the counts' ResourceIds that join no fleet bill row or carry no
call, and `--counts-resource` values that name no bill ResourceId; and, for a usage log,
its ResourceIds that match no bill ResourceId at all (`unmatched_usage_notes`), with the
bill's closest ids (`closest_resource_ids`, shared with the `--counts-resource` check).
Pure functions of the `ingest.counts.Counts` read (or pass 1's resource-hours), the
rules and the bill; `allocation.run` calls them."""

from __future__ import annotations

from typing import Any

from infercost.ingest.billrows import quoted_id

#: what driver `requests` leaves unmeasured, in its notes
_NOT_MEASURED = ("the idle share of instance time is not measured (only billed hours "
                 "without any request count as idle; summary.json's idle_share is null)")


def _latency_gap(c: Any) -> str:
    """Which counts rows with calls lack a mean latency (blank or NaN in the file, or no
    ModelLatency value at a CloudWatch timestamp), for a note; "" when every such row has
    one (a row of 0 requests needs none: CloudWatch gives no ModelLatency for it)."""
    n, k, m = c.rows_read, c.without_latency, c.rows_with_calls
    if not k:
        return ""
    if m == n:
        if k < n:
            return (f"mean_latency_ms is blank or NaN on {k:,} of {n:,} counts rows (first: "
                    f"{c.first_without_latency})")
        return f"no counts row has a mean_latency_ms ({n:,} counts row{'' if n == 1 else 's'})"
    if k < m:
        return (f"mean_latency_ms is blank or NaN on {k:,} of the {m:,} counts rows with "
                f"calls (first: {c.first_without_latency})")
    return (f"no counts row with calls has a mean_latency_ms ({m:,} of {n:,} counts rows "
            f"{'has' if m == 1 else 'have'} calls)")


def requests_driver_note(c: Any) -> str:
    """Why counts are split by request count (the default driver when some counts row
    lacks a mean latency), and what that leaves unmeasured."""
    why = _latency_gap(c) if c.rows_read else "the counts hold no row"
    return (f"counts: driver requests: {why}, so cost is split by request count and "
            f"{_NOT_MEASURED}")


def given_driver_note(c: Any, driver: str) -> str | None:
    """The note for counts under a driver the rules name: under `requests` that cost is
    split by request count (any mean latency not read) and idle not measured; under
    `capacity` or `duration_ms` which counts rows lack a mean latency and that their
    requests are rejected (no duration_ms), with how many; under another driver which
    rows lack one and that the driver does not read it. None when there is nothing to
    say (every row has a mean latency, under a driver that reads it or none)."""
    import pyarrow.compute as pc

    head = f"counts: driver {driver} (set in the rules): "
    gap, n, k = _latency_gap(c), c.rows_read, c.without_latency
    if driver == "requests":
        m = c.rows_with_calls
        read = ("" if k and k == m else "; mean_latency_ms is not read" if not k else
                f"; mean_latency_ms (blank or NaN on {k:,} of {m:,} counts rows"
                f"{'' if m == n else ' with calls'}, first: {c.first_without_latency}) "
                "is not read")
        return f"{head}cost is split by request count{read}, and {_NOT_MEASURED}"
    if not gap:
        return None
    if driver in ("capacity", "duration_ms"):
        t = c.table
        r = pc.sum(pc.filter(t.column("requests"), pc.is_null(t.column("duration_ms"))))
        r = int(r.as_py() or 0)
        return (f"{head}{gap}: their {r:,} request{'' if r == 1 else 's'} "
                f"{'is' if r == 1 else 'are'} rejected (no duration_ms: busy time is "
                "requests x mean latency)")
    return f"{head}{gap}; driver {driver} does not read it, so their requests weigh as others do"


def quiet_notes(c: Any, bill: Any, fleet_mask: Any) -> list[str]:
    """A note naming the counts' ResourceIds without any call that are in the fleet
    (the first three, with how many counts rows name each): their billed hours are
    idle. Those that join no fleet bill row are named by `counts_join_notes`."""
    from infercost.ingest.billrows import azure_lower

    if not c.quiet or fleet_mask is None:
        return []
    fleet = set(bill.rows.loc[fleet_mask, "resource_id"].dropna())
    ids = [r for r in c.quiet if azure_lower(r) in fleet]
    if not ids:
        return []
    if len(ids) == 1:
        n = c.quiet[ids[0]]
        return [f"counts: ResourceId {quoted_id(ids[0])} has no call in its {n:,} counts "
                f"row{'' if n == 1 else 's'}: it is in the fleet by its ResourceId, and "
                "its billed hours, without a request, are idle"]
    named = ", ".join(f"{quoted_id(r)} ({c.quiet[r]:,} row{'' if c.quiet[r] == 1 else 's'})"
                      for r in ids[:3]) + (f" and {len(ids) - 3:,} more" if len(ids) > 3
                                           else "")
    return [f"counts: {len(ids):,} ResourceIds have no call in their counts rows: {named}; "
            "they are in the fleet by their ResourceIds, and their billed hours, without "
            "a request, are idle"]


def _compared(ids: list[str]) -> str:
    """How ResourceIds `ids` are compared with the bill's (as the engine joins them):
    exactly, and Azure ids (`/subscriptions/...`) in lower case, saying what applies."""
    azure = [x for x in ids if x[:15].lower() == "/subscriptions/"]
    if not azure:
        return "compared exactly"
    if len(azure) == len(ids):
        return "compared in lower case, as Azure compares its ids"
    return "compared exactly, Azure ids in lower case"


def refuse_unknown_counts_resource(resource: str, bill: Any) -> None:
    """`--counts-resource` that is no ResourceId of the bill (compared exactly, Azure ids
    in lower case, as the engine joins them) is almost always a typo: every request
    would be 'without a bill row' and the bill all shared. Raises InputError naming
    `--counts-resource`, its value and the bill's closest ResourceIds (up to three,
    `closest_resource_ids`; quoted, with each invisible character as `\\uXXXX`, where
    one holds such a character: the form the flag reads back, `billrows.escape_invisible`). `resource` is read as `clean_resource` reads it
    (`\\uXXXX` of an invisible character is that character)."""
    from infercost.errors import InputError
    from infercost.ingest.billrows import azure_lower, escape_invisible
    from infercost.ingest.counts import clean_resource

    given = clean_resource(resource)  # (as read_counts read it)
    ids = bill_resource_ids(bill)
    if azure_lower(given) in set(ids):
        return
    if not ids:
        what = "the bill has no ResourceId"
    else:
        near = closest_resource_ids(given, ids)
        if any(escape_invisible(x) != x for x in near):  # (two could look the same)
            near = [f"'{escape_invisible(x)}'" for x in near]
        what = "closest: " + ", ".join(near)
    raise InputError(f"'{escape_invisible(given)}' matches no ResourceId in the bill ({what}); "
                     f"expected the ResourceId of the endpoint's bill rows, {_compared([given])}",
                     "--counts-resource")


def bill_resource_ids(bill: Any) -> list[str]:
    """The bill's distinct ResourceIds (text), sorted: an engine-reduced bill keeps each
    row's ResourceId among its sums, so every id of the file is here."""
    return sorted({x for x in bill.rows["resource_id"].dropna().tolist()
                   if isinstance(x, str)})


def closest_resource_ids(given: str, ids: list[str], n: int = 3) -> list[str]:
    """Up to `n` of the bill's ResourceIds `ids` (sorted) closest to `given`, which
    matches none of them: first those whose last part (after a `/` or `:`) is `given`
    in any letter case (GCP's `vm-1` is the bill's
    `//compute.googleapis.com/projects/.../instances/vm-1`, an ARN ends in its name),
    then difflib's closest spellings (any, however far, up to 50,000 ids; above that
    those of ratio 0.6 or more), else the first `n` in order."""
    import difflib
    import re

    low = given.lower()
    tail = [x for x in ids if x != given and re.split(r"[/:]", x)[-1].lower() == low]
    near = difflib.get_close_matches(given, ids, n=n, cutoff=0.6 if len(ids) > 50_000
                                     else 0.0)
    out = list(dict.fromkeys([*tail, *near]))[:n]
    return out or ids[:n]


def unmatched_usage_notes(resource_hours: Any, bill: Any) -> list[str]:
    """A note naming the usage log's ResourceIds that match no ResourceId of the bill in
    any hour (a typo, `I-1` for `i-1`, an invisible character inside, GCP's `vm-1` for
    the bill's full name), the first three with the log rows naming each and the bill's
    closest ResourceIds (`closest_resource_ids`), and the rows of all of them, none
    allocated. Ids that have bill rows in some hours only are not named (their rows
    without a bill row are counted, as ever). `resource_hours`: the engine's pass 1
    frame (resource_id, hour, n, ...): no other pass over the log. Ids holding an
    invisible character are named first, quoted and escaped (`billrows.escape_invisible`),
    then the ids of the most rows. Empty
    when every id of the log is in the bill."""
    from infercost.ingest.billrows import azure_lower, find_invisible

    rh = resource_hours[resource_hours["n"] > 0]
    if not len(rh):
        return []
    per = rh.groupby("resource_id")["n"].sum()
    ids = bill_resource_ids(bill)
    known = {azure_lower(x) for x in ids}
    # named first: ids holding an invisible character (the hardest to see), then the
    # ids of the most rows
    lost = sorted(((str(r), int(k)) for r, k in per.items()
                   if isinstance(r, str) and azure_lower(r) not in known),
                  key=lambda rk: (find_invisible(rk[0]) is None, -rk[1], rk[0]))
    if not lost:
        return []
    how, total = _compared([r for r, _ in lost]), sum(k for _, k in lost)

    def near(r: str) -> str:
        if not ids:
            return "the bill has no ResourceId"
        return "closest: " + ", ".join(quoted_id(x) for x in closest_resource_ids(r, ids))

    if len(lost) == 1:
        (r, k), = lost
        return [f"usage: ResourceId {quoted_id(r)} of the log matches no ResourceId in the "
                f"bill ({how}; {near(r)}): none of its {k:,} row{'' if k == 1 else 's'} "
                "is allocated"]
    named = ", ".join(f"{quoted_id(r)} ({k:,} row{'' if k == 1 else 's'}; {near(r)})"
                      for r, k in lost[:3]) + (f" and {len(lost) - 3:,} more"
                                                if len(lost) > 3 else "")
    return [f"usage: {len(lost):,} ResourceIds of the log match no ResourceId in the bill "
            f"({how}): {named}; none of their {total:,} rows is allocated"]


def counts_join_notes(c: Any, bill: Any, fleet_mask: Any) -> list[str]:
    """A note naming the counts' ResourceIds that join no fleet bill row (the first
    three, with the requests each carries, and the requests of all of them; a
    ResourceId without any call carries 0): a counts file may cover an endpoint this
    bill does not, so they are counted as without a bill row, not refused. Says how
    they were compared (exactly; Azure ids in lower case). Empty when every ResourceId
    joins."""
    from infercost.ingest.billrows import azure_lower

    carried = {rid: 0 for rid in c.quiet}
    if c.table.num_rows:
        per = c.table.group_by("resource_id").aggregate([("requests", "sum")]).to_pydict()
        carried.update({rid: int(n) for rid, n in zip(per["resource_id"],
                                                      per["requests_sum"], strict=True)
                        if rid is not None})
    if not carried:
        return []
    fleet = set(bill.rows.loc[fleet_mask, "resource_id"].dropna()) if fleet_mask is not None \
        else set()
    lost = sorted(rid for rid in carried if azure_lower(rid) not in fleet)
    if not lost:
        return []
    total, how = sum(carried[r] for r in lost), _compared(lost)
    if len(lost) == 1:
        return [f"counts: ResourceId {quoted_id(lost[0])} of the counts joins no fleet bill row "
                f"({how}): its {total:,} request{'' if total == 1 else 's'} "
                f"{'is' if total == 1 else 'are'} not allocated"]
    named = ", ".join(f"{quoted_id(r)} ({carried[r]:,} request{'' if carried[r] == 1 else 's'})"
                      for r in lost[:3]) + (f" and {len(lost) - 3:,} more" if len(lost) > 3
                                            else "")
    return [f"counts: {len(lost):,} ResourceIds of the counts join no fleet bill row "
            f"({how}): {named}; their {total:,} requests are not allocated"]
