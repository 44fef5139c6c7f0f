"""AWS CUR 2.0 (Data Exports, table COST_AND_USAGE_REPORT) onto the normalized bill.

Parquet or CSV, snake_case `line_item_*` columns (the legacy `lineItem/UnblendedCost`
spelling is accepted too). Mapping, after AWS's own FOCUS export:

| FOCUS | CUR 2.0 |
|---|---|
| BilledCost | line_item_unblended_cost |
| EffectiveCost | SavingsPlanCoveredUsage: savings_plan_savings_plan_effective_cost; DiscountedUsage: reservation_effective_cost; SavingsPlanNegation, SavingsPlanUpfrontFee, and a Fee row with a reservation_reservation_a_r_n or a usage type `[region-]HeavyUsage:...` (an RI's upfront purchase): 0 (their amortised share is in the covered usage rows); RIFee: reservation_unused_amortized_upfront_fee_for_billing_period + reservation_unused_recurring_fee (the unused part; a cell not there counts 0, with a note); SavingsPlanRecurringFee: total_commitment_to_date - used_commitment (the unused part; a cell not there: 0, with a note); an unused part below 0: InputError under EffectiveCost, counted 0 with a note under BilledCost; otherwise line_item_net_unblended_cost if present, else the unblended cost. Net view (the file has line_item_net_unblended_cost): each part reads its net twin where the row has that cell (reservation_net_effective_cost, savings_plan_net_savings_plan_effective_cost, reservation_net_unused_amortized_upfront_fee_for_billing_period, reservation_net_unused_recurring_fee), gross otherwise; a part without a net column (the SavingsPlanRecurringFee's unused part always: CUR 2.0 has no net commitment columns) is read gross, said in a note when not 0 (and only where some line_item_net_unblended_cost cell is there: a column of empty cells holds no net figure) |
| ChargeCategory | Usage, DiscountedUsage, SavingsPlanCoveredUsage, SavingsPlanNegation: Usage; Tax: Tax; Credit, Refund, Discount, BundledDiscount, EdpDiscount, PrivateRateDiscount, SppDiscount, DistributorDiscount, RiVolumeDiscount: Credit; Fee, RIFee, SavingsPlanRecurringFee, SavingsPlanUpfrontFee: Purchase |
| ChargeFrequency | the Usage category: Usage-Based; RIFee, SavingsPlanRecurringFee: Recurring; the rest: One-Time |
| ChargePeriodStart/End | line_item_usage_start_date / end_date (or identity_time_interval) |
| BillingPeriodStart/End | bill_billing_period_start_date / end_date |
| ResourceId, ServiceName, SkuId | line_item_resource_id, line_item_product_code, line_item_usage_type |
| BillingCurrency | line_item_currency_code |
| Tags | resource_tags (map; keys like `user_team`) |

Labels keep the original type: refund, commitment_used (covered usage), commitment_unused
(unused recurring fee), commitment_purchase (commitment fees: SavingsPlanUpfrontFee and an
RI's upfront Fee), purchase (any other Fee), discount (the *Discount types), tax. A
SavingsPlanRecurringFee or RIFee row's EffectiveCost is the unused part of the commitment
in its period (label commitment_unused, CommitmentDiscountStatus Unused), its BilledCost
the whole fee: under `cost_basis: BilledCost` it is labelled commitment_purchase, as AWS's
FOCUS export books the fee (a Purchase row; the unused commitment is an amortised,
EffectiveCost figure). An upfront fee (an RI's Fee row, SavingsPlanUpfrontFee) is paid
once: its BilledCost is the payment, its EffectiveCost 0, since AWS spreads it over the
term into the covered usage (reservation_effective_cost and
savings_plan_savings_plan_effective_cost include the amortised upfront) and into the
unused part of each RIFee / SavingsPlanRecurringFee row.

Sources (AWS documentation, as of 2024): the CUR 2.0 data dictionary, line item details
(line_item_line_item_type: the Fee row of an All or Partial Upfront RI, the monthly
RIFee, the discount types BundledDiscount, Discount, EdpDiscount, PrivateRateDiscount,
SppDiscount, DistributorDiscount, RiVolumeDiscount) and reservation details
(reservation_effective_cost: amortised upfront plus recurring fee of the covered usage;
reservation_unused_amortized_upfront_fee_for_billing_period and
reservation_unused_recurring_fee on the RIFee row); "Understanding your reservations"
(the amortised view of RI fees); and AWS's FOCUS 1.0 export (Data Exports, table
FOCUS_1_0_AWS), whose EffectiveCost takes, per line item type, the columns above (an
RI's Fee row: 0; RIFee: the two unused columns summed).
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial

import numpy as np
import pandas as pd

from infercost.errors import InputError
from infercost.ingest.billrows import (
    basis_column,
    check_row_fields,
    clean_str,
    finish,
    is_null,
    parse_amounts,
    parse_tags,
    parse_times,
    require,
    unread_tags_note,
)

_CATEGORY = {
    "Usage": "Usage", "DiscountedUsage": "Usage", "SavingsPlanCoveredUsage": "Usage",
    "SavingsPlanNegation": "Usage", "Tax": "Tax", "Credit": "Credit", "Refund": "Credit",
    "Discount": "Credit", "BundledDiscount": "Credit", "EdpDiscount": "Credit",
    "PrivateRateDiscount": "Credit", "SppDiscount": "Credit", "DistributorDiscount": "Credit",
    "RiVolumeDiscount": "Credit", "Fee": "Purchase", "RIFee": "Purchase",
    "SavingsPlanRecurringFee": "Purchase", "SavingsPlanUpfrontFee": "Purchase",
}  # fmt: skip
_LABEL = {
    "Usage": "usage", "DiscountedUsage": "commitment_used",
    "SavingsPlanCoveredUsage": "commitment_used", "SavingsPlanNegation": "commitment_negation",
    "Tax": "tax", "Credit": "credit", "Refund": "refund", "Discount": "discount",
    "BundledDiscount": "discount", "EdpDiscount": "discount", "PrivateRateDiscount": "discount",
    "SppDiscount": "discount", "DistributorDiscount": "discount", "RiVolumeDiscount": "discount",
    "Fee": "purchase", "RIFee": "commitment_unused", "SavingsPlanRecurringFee":
    "commitment_unused", "SavingsPlanUpfrontFee": "commitment_purchase",
}  # fmt: skip
#: product code -> FOCUS ServiceCategory as AWS's own FOCUS export names the service
#: (source: the FinOps Foundation FOCUS 1.0 sample, AWS rows, ServiceName ->
#: ServiceCategory; as_of 2024). The rest: Other.
SERVICE_CATEGORY = {
    "AmazonEC2": "Compute", "AWSLambda": "Compute", "AmazonStates": "Compute",
    "AmazonECS": "Other", "AmazonEKS": "Other", "AmazonECR": "Other", "ROSA": "Other",
    "AmazonS3": "Storage", "AmazonEFS": "Storage", "AmazonFSx": "Storage",
    "AWSDataTransfer": "Networking", "AmazonCloudFront": "Networking",
    "AmazonVPC": "Networking", "AWSELB": "Networking", "AmazonRoute53": "Networking",
    "AmazonApiGateway": "Networking", "AmazonRDS": "Databases", "AmazonDynamoDB": "Databases",
    "AmazonSageMaker": "AI and Machine Learning", "AmazonBedrock": "AI and Machine Learning",
    "AmazonCloudWatch": "Management and Governance", "AWSCloudTrail": "Management and Governance",
    "AWSSystemsManager": "Management and Governance", "awskms": "Identity",
    "AWSSecurityHub": "Security", "awswaf": "Security", "AWSSecretsManager": "Security",
    "AmazonGuardDuty": "Security", "AmazonSNS": "Integration", "AWSQueueService": "Integration",
}  # fmt: skip
#: usage-type fragments that make an EC2 line storage or networking, not instance time
#: (EBS volumes and snapshots, data transfer; AWS's FOCUS export files EBS under Storage)
USAGE_TYPE_CATEGORY = (("EBS:", "Storage"), ("VolumeUsage", "Storage"),
                       ("SnapshotUsage", "Storage"), ("DataTransfer", "Networking"))


def service_category(product: str | None, usage_type: str | None) -> str | None:
    """FOCUS ServiceCategory of one CUR line from its product code and usage type."""
    if not product:
        return None
    if usage_type:
        for frag, cat in USAGE_TYPE_CATEGORY:
            if frag in usage_type:
                return cat
    return SERVICE_CATEGORY.get(product, "Other")


#: the columns of a RIFee row's EffectiveCost (their sum: the unused part of the period)
RI_UNUSED = ("reservation_unused_amortized_upfront_fee_for_billing_period",
             "reservation_unused_recurring_fee")
#: the net (after discounts such as an EDP) twins of the parts of EffectiveCost, read in
#: the net view (a file with line_item_net_unblended_cost), cell by cell
RI_NET_UNUSED = ("reservation_net_unused_amortized_upfront_fee_for_billing_period",
                 "reservation_net_unused_recurring_fee")
RI_NET_EFFECTIVE = "reservation_net_effective_cost"
SP_NET_EFFECTIVE = "savings_plan_net_savings_plan_effective_cost"
#: the usage type of an RI's upfront Fee row: HeavyUsage:<type>, with a region prefix
#: outside us-east-1 (USW2-HeavyUsage:m5.large)
_HEAVY_USAGE = re.compile(r"^(?:[A-Za-z0-9]+-)?HeavyUsage")
#: line item types whose EffectiveCost is the unused commitment, their BilledCost the fee
_UNUSED_FEES = ("SavingsPlanRecurringFee", "RIFee")

REQUIRED = ["line_item_unblended_cost", "line_item_currency_code", "line_item_line_item_type",
            "line_item_usage_start_date", "line_item_usage_end_date"]  # fmt: skip


def _snake(name: str) -> str:
    """`lineItem/UnblendedCost` -> `line_item_unblended_cost` (legacy CUR spelling)."""
    if "/" not in name:
        return name
    out = []
    for part in name.split("/"):
        out.append(re.sub(r"(?<!^)(?=[A-Z])", "_", part).lower())
    return "_".join(out)


def _require_cells(raw: pd.DataFrame, types: pd.Series, kind: str, column: str,
                   rows: pd.Series, source: str, needed: bool = True) -> str | None:
    """Rows of line item type `kind` take their EffectiveCost from `column` (nothing else
    in the file tells it). When the column is absent or its cell empty on such a row (the
    row would cost 0): InputError naming the first such row and the way out (`--cost-basis
    BilledCost`) if the run's cost basis needs EffectiveCost (`needed`), else the note saying for how many rows it is
    unknown (None when every such row has its cell)."""
    of_kind = (types == kind).to_numpy()
    if not of_kind.any():
        return None
    empty = of_kind & (raw[column].map(is_null).to_numpy(dtype=bool) if column in raw.columns
                       else True)
    if not empty.any():
        return None
    if needed:
        i = int(np.flatnonzero(empty)[0])
        what = (f"with an empty {column}" if column in raw.columns
                else f"and no {column} column")
        raise InputError(f"a {kind} row {what} (expected its amortised cost there, the "
                         "row's EffectiveCost: without it the row would cost 0); under "
                         "--cost-basis BilledCost the file reads, with a note",
                         f"{source}: row {rows.iloc[i]}")
    n = int(empty.sum())
    why = f"an empty {column}" if column in raw.columns else f"no {column} column"
    rows_ = f"{n} {kind} row{'s' if n > 1 else ''}"
    those = "those rows" if n > 1 else "that row"
    return (f"{source}: EffectiveCost is unknown for {rows_} ({why}): the run's "
            f"BilledCost figures are exact, but the EffectiveCost in the summary's charges "
            f"and by_provider counts {those} as 0, so it reads low")


def normalize(raw: pd.DataFrame, source: str, reduced: bool = False,
              cost_basis: str = "EffectiveCost") -> pd.DataFrame:
    """Map a CUR 2.0 table onto `BILL_COLUMNS` (see the module docstring).

    `cost_basis` (EffectiveCost or BilledCost): the run's; under BilledCost a
    SavingsPlanCoveredUsage or DiscountedUsage row without its amortised cost is read
    (EffectiveCost 0, said in a note), under EffectiveCost it is an InputError. A RIFee
    row without a `RI_UNUSED` cell is read under either basis, that part counted as 0
    and said in a note; an unused part below 0 (RIFee, SavingsPlanRecurringFee) is an
    InputError under EffectiveCost, counted as 0 with a note under BilledCost. With
    line_item_net_unblended_cost (the net view) each part of EffectiveCost reads its net
    column where the row has it; a part read gross for want of one is said in a note
    (when some net cell is there).
    Amounts in the row's currency (line_item_currency_code), exact Decimals. Raises
    InputError for missing required columns, cells that do not parse, and (under
    EffectiveCost) the cases above."""
    amounts = partial(parse_amounts, bounded=not reduced)  # (sums: their rows checked)
    raw = raw.rename(columns={c: _snake(c) for c in raw.columns})
    if "line_item_usage_start_date" not in raw and "identity_time_interval" in raw:
        iv = raw["identity_time_interval"].map(lambda v: (None, None) if is_null(v)
                                               else tuple(str(v).split("/", 1)))
        raw["line_item_usage_start_date"] = iv.map(lambda t: t[0])
        raw["line_item_usage_end_date"] = iv.map(lambda t: t[1] if len(t) > 1 else None)
    require(raw, REQUIRED, source, "AWS CUR 2.0 bill")
    rows = pd.Series(range(1, len(raw) + 1), index=raw.index)

    def col(name):
        return raw[name] if name in raw.columns else pd.Series([None] * len(raw), index=raw.index)

    df = pd.DataFrame(index=raw.index)
    df["row"] = rows
    df["source"] = source
    df["provider"] = "AWS"
    df["currency"] = clean_str(raw["line_item_currency_code"]).map(lambda c: c.upper() if c else c)
    types = clean_str(raw["line_item_line_item_type"])
    unblended = amounts(raw["line_item_unblended_cost"], "line_item_unblended_cost",
                              source, rows)
    net = (amounts(raw["line_item_net_unblended_cost"], "line_item_net_unblended_cost",
                         source, rows) if "line_item_net_unblended_cost" in raw else None)
    has_net = (col("line_item_net_unblended_cost").map(lambda v: not is_null(v))
               if net is not None else None)
    def net_of(gross: pd.Series, column: str) -> pd.Series:
        """A part's net figure where the file has its cell (the net view), else gross."""
        if net is None or column not in raw.columns:
            return gross
        there = raw[column].map(lambda v: not is_null(v)).to_numpy(dtype=bool)
        return amounts(raw[column], column, source, rows).where(there, gross)

    sp_eff_gross = amounts(col("savings_plan_savings_plan_effective_cost"),
                           "savings_plan_savings_plan_effective_cost", source, rows)
    ri_eff_gross = amounts(col("reservation_effective_cost"), "reservation_effective_cost",
                           source, rows)
    sp_eff = net_of(sp_eff_gross, SP_NET_EFFECTIVE)
    ri_eff = net_of(ri_eff_gross, RI_NET_EFFECTIVE)
    sp_total = amounts(col("savings_plan_total_commitment_to_date"),
                             "savings_plan_total_commitment_to_date", source, rows)
    sp_used = amounts(col("savings_plan_used_commitment"),
                            "savings_plan_used_commitment", source, rows)
    ri_unused_gross = [amounts(col(c), c, source, rows) for c in RI_UNUSED]
    ri_unused = [net_of(g, c) for g, c in zip(ri_unused_gross, RI_NET_UNUSED, strict=True)]
    ri_arn = clean_str(col("reservation_reservation_a_r_n"))
    # a Fee row of a reservation: its upfront purchase (AWS's FOCUS export: EffectiveCost
    # 0), known by its ARN or by its usage type ([region-]HeavyUsage:...)
    heavy = clean_str(col("line_item_usage_type")).map(
        lambda u: bool(u) and _HEAVY_USAGE.match(u) is not None)
    ri_upfront = ((types == "Fee") & (ri_arn.notna() | heavy)).to_numpy(dtype=bool)
    needed = basis_column(cost_basis) == "effective_cost"
    unknown = [_require_cells(raw, types, kind, column, rows, source, needed) for kind, column
               in (("SavingsPlanCoveredUsage", "savings_plan_savings_plan_effective_cost"),
                   ("DiscountedUsage", "reservation_effective_cost"))]
    ri_gap = _cells_missing(raw, types, "RIFee", RI_UNUSED)
    sp_gap = _cells_missing(raw, types, "SavingsPlanRecurringFee", SP_UNUSED)
    unknown += [_fee_note("RIFee", ri_gap, source),
                _fee_note("SavingsPlanRecurringFee", sp_gap, source)]
    # an unused part below 0: refused where EffectiveCost is the basis, else counted 0
    is_ri_fee = (types == "RIFee").to_numpy(dtype=bool)
    is_sp_fee = (types == "SavingsPlanRecurringFee").to_numpy(dtype=bool)
    sp_unused = [t - u for t, u in zip(sp_total, sp_used, strict=True)]
    sp_below = is_sp_fee & ~sp_gap[0] & np.array([v < 0 for v in sp_unused], dtype=bool)
    unknown.append(_below_zero(
        sp_below, "SavingsPlanRecurringFee",
        lambda i: ("savings_plan_used_commitment above savings_plan_total_commitment_to_date",
                   f"{sp_used.iloc[i]} above {sp_total.iloc[i]}",
                   f"savings_plan_used_commitment {sp_used.iloc[i]} above "
                   f"savings_plan_total_commitment_to_date {sp_total.iloc[i]}"),
        rows, source, needed))
    ri_below = []
    for part, gross_col, net_col in zip(ri_unused, RI_UNUSED, RI_NET_UNUSED, strict=True):
        below = is_ri_fee & np.array([v < 0 for v in part], dtype=bool)
        ri_below.append(below)
        read = _read_from(raw, net is not None, gross_col, net_col)
        unknown.append(_below_zero(
            below, "RIFee",
            lambda i, r=read, p=part: (f"{r[i]} below 0", f"{p.iloc[i]}", f"{r[i]} {p.iloc[i]}"),
            rows, source, needed))
    # (a note about the file's columns, not its rows: kept on the engine's path too;
    # only where some net cell is there: an all-empty net column holds no net figure)
    file_notes = [_gross_parts_note(raw, types, source, sp_eff_gross, ri_eff_gross,
                                    ri_unused_gross, sp_unused, sp_gap[0])
                  ] if net is not None and bool(has_net.any()) else []
    effective = []
    for i, t in enumerate(types):
        if t == "SavingsPlanCoveredUsage":
            effective.append(sp_eff.iloc[i])
        elif t == "DiscountedUsage":
            effective.append(ri_eff.iloc[i])
        elif t in ("SavingsPlanNegation", "SavingsPlanUpfrontFee") or ri_upfront[i]:
            effective.append(Decimal(0))
        elif t == "RIFee":  # the unused part (an absent cell or one below 0: 0, noted)
            effective.append(sum((Decimal(0) if b[i] else p.iloc[i]
                                  for p, b in zip(ri_unused, ri_below, strict=True)),
                                 Decimal(0)))
        elif t == "SavingsPlanRecurringFee":  # the unused part (a cell missing: 0, noted)
            effective.append(Decimal(0) if sp_gap[0][i] or sp_below[i] else sp_unused[i])
        elif net is not None and has_net.iloc[i]:
            effective.append(net.iloc[i])
        else:
            effective.append(unblended.iloc[i])
    df["billed_cost"] = unblended
    df["effective_cost"] = pd.Series(effective, index=raw.index, dtype=object)
    df["charge_category"] = types.map(lambda t: _CATEGORY.get(t, "Usage" if t is None else "Adjustment"))
    df["charge_class"] = None
    df["charge_frequency"] = types.map(  # (a commitment's monthly or hourly fee recurs)
        lambda t: "Usage-Based" if _CATEGORY.get(t) == "Usage" else "Recurring"
        if t in ("RIFee", "SavingsPlanRecurringFee") else "One-Time"
    )
    df["commitment_status"] = types.map(
        lambda t: "Used" if t in ("SavingsPlanCoveredUsage", "DiscountedUsage")
        else "Unused" if t in _UNUSED_FEES else None
    )
    # CUR 2.0 carries both ARN columns, each empty on the other's rows
    sp_arn = clean_str(col("savings_plan_savings_plan_a_r_n"))
    df["commitment_id"] = sp_arn.where(sp_arn.notna(), ri_arn)
    df["service_name"] = clean_str(col("line_item_product_code"))
    df["sku_id"] = clean_str(col("line_item_usage_type"))
    df["pricing_unit"] = clean_str(col("pricing_unit"))
    df["service_category"] = [service_category(p, u) for p, u in
                              zip(df["service_name"], df["sku_id"], strict=True)]
    df["resource_id"] = clean_str(col("line_item_resource_id"))
    df["resource_name"] = None
    df["description"] = clean_str(col("line_item_line_item_description"))
    df["charge_start"] = parse_times(raw["line_item_usage_start_date"],
                                     "line_item_usage_start_date", source, rows)
    df["charge_end"] = parse_times(raw["line_item_usage_end_date"], "line_item_usage_end_date",
                                   source, rows)
    df["billing_start"] = parse_times(col("bill_billing_period_start_date"),
                                      "bill_billing_period_start_date", source, rows)
    df["billing_end"] = parse_times(col("bill_billing_period_end_date"),
                                    "bill_billing_period_end_date", source, rows)
    df["tags"] = col("resource_tags").map(parse_tags)
    df["label"] = types.map(lambda t: _LABEL.get(t, "adjustment" if t else "usage"))
    df.loc[ri_upfront, "label"] = "commitment_purchase"
    if not needed:  # BilledCost: the recurring fee's BilledCost is the fee paid, as FOCUS
        # books it (a Purchase row); only its EffectiveCost is the unused commitment
        fee = types.isin(_UNUSED_FEES).to_numpy(dtype=bool)
        df.loc[fee, "label"] = "commitment_purchase"
        df.loc[fee, "commitment_status"] = None  # (a Purchase row has none in FOCUS)
    check_row_fields(df, source, "line_item_currency_code",
                     ("bill_billing_period_start_date", "bill_billing_period_end_date"))
    repeated = 0 if reduced else repeated_items(raw)  # (the engine counts its own)
    if repeated:
        file_notes.append(repeated_items_note(source, repeated))
    out = finish(df)
    notes = [n for n in (*unknown, unknown_types_note(types, source),
                         unread_tags_note(df["tags"], rows, source)) if n]
    out.attrs["notes"] = notes
    out.attrs["file_notes"] = [n for n in file_notes if n]
    return out


def repeated_items(raw: pd.DataFrame) -> int:
    """How many rows of a CUR table (snake_case columns) repeat an earlier row's
    identity_line_item_id and time interval (identity_time_interval, else
    line_item_usage_start_date); rows without an id are not counted."""
    if "identity_line_item_id" not in raw:
        return 0
    ids = clean_str(raw["identity_line_item_id"])
    when = raw.get("identity_time_interval", raw.get("line_item_usage_start_date"))
    key = ids.astype(object) + "\x1f" + (when.astype(str) if when is not None else "")
    return int(key[ids.notna()].duplicated().sum())


def repeated_items_note(source: str, n: int) -> str:
    """The note for `n` CUR rows repeating another's line item (`repeated_items`; the
    engine's count alike)."""
    return (f"{source}: {n} row{'s repeat' if n > 1 else ' repeats'} the identity_line_item_id "
            "and time interval of another row: each is counted as billed, but AWS writes a "
            "line item once per interval in a file (rows given twice?)")


#: the columns of a SavingsPlanRecurringFee row's EffectiveCost (total - used: unused)
SP_UNUSED = ("savings_plan_total_commitment_to_date", "savings_plan_used_commitment")


def _cells_missing(raw: pd.DataFrame, types: pd.Series, kind: str,
                   columns: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """The rows of line item type `kind` without one of `columns` (the column absent or
    its cell empty), and what is missing, said for a note."""
    fee = (types == kind).to_numpy(dtype=bool)
    missing = np.zeros(len(raw), dtype=bool)
    why: list[str] = []
    if not fee.any():
        return missing, why
    for c in columns:
        if c not in raw.columns:
            missing |= fee
            why.append(f"no {c} column")
            continue
        empty = fee & raw[c].map(is_null).to_numpy(dtype=bool)
        if empty.any():
            missing |= empty
            why.append(f"an empty {c}")
    return missing, why


def _fee_note(kind: str, gap: tuple[np.ndarray, list[str]], source: str) -> str | None:
    """The note for RIFee or SavingsPlanRecurringFee rows (`kind`) without the cells of
    their unused part (`_cells_missing`), whose EffectiveCost counts it as 0; None when
    every such row has them. A note, not an error (as a SavingsPlanCoveredUsage row
    without its effective cost is under EffectiveCost): 0 is the right figure for a fully
    used commitment, the usual case, and the figure can only read low by the unused part
    left out."""
    missing, why = gap
    n = int(missing.sum())
    if not n:
        return None
    what = "reservation" if kind == "RIFee" else "Savings Plan"
    return (f"{source}: {n} {kind} row{' has' if n == 1 else 's have'} {' and '.join(why)}: "
            f"{'its' if n == 1 else 'their'} EffectiveCost, the {what}'s unused part "
            f"in the billing period, counts what is missing as 0 (as if the {what} "
            "were fully used), so EffectiveCost figures read low by any unused part left out")


def _read_from(raw: pd.DataFrame, net_view: bool, gross: str, net: str) -> list[str]:
    """The column each row's part is read from: `net` where the net view is taken and the
    row has that cell, else `gross`."""
    if not net_view or net not in raw.columns:
        return [gross] * len(raw)
    return [gross if is_null(v) else net for v in raw[net]]


def _below_zero(below: np.ndarray, kind: str, said, rows: pd.Series, source: str,
                needed: bool) -> str | None:
    """Rows of line item type `kind` whose unused part is below 0 (`below`): InputError
    naming the first when the run's cost basis needs EffectiveCost (`needed`), else the
    note (that part counted as 0); None when there is none. `said(i)`: (what, the values
    in short, the values in full) of row position i."""
    if not below.any():
        return None
    i = int(np.flatnonzero(below)[0])
    what, short, full = said(i)
    if needed:
        raise InputError(f"a {kind} row with {full}: the unused part cannot be below 0 "
                         "(the row's EffectiveCost); under --cost-basis BilledCost the "
                         "file reads, with a note", f"{source}: row {rows.iloc[i]}")
    n = int(below.sum())
    return (f"{source}: {n} {kind} row{' has' if n == 1 else 's have'} {what} (first: row "
            f"{rows.iloc[i]}, {short}): the unused part cannot be below 0, so "
            f"{'its' if n == 1 else 'their'} EffectiveCost counts it as 0; the run's "
            "BilledCost figures are exact")


def _gross_parts_note(raw: pd.DataFrame, types: pd.Series, source: str, sp_eff: pd.Series,
                      ri_eff: pd.Series, ri_unused: list[pd.Series], sp_unused: list,
                      sp_gap: np.ndarray) -> str | None:
    """In the net view (some line_item_net_unblended_cost cell is there), the parts of
    EffectiveCost read gross for want of a net column (only where such a part is not 0
    on some row: a 0 is the same either way), said in one note; None when there is
    none."""
    def nonzero(kind: str, values) -> bool:
        of = (types == kind).to_numpy(dtype=bool)
        return any(v != 0 for v, k in zip(values, of, strict=True) if k)

    parts = []
    for kind, values, column in (("SavingsPlanCoveredUsage", sp_eff, SP_NET_EFFECTIVE),
                                 ("DiscountedUsage", ri_eff, RI_NET_EFFECTIVE)):
        if column not in raw.columns and nonzero(kind, values):
            parts.append(f"{kind} (no {column} column)")
    ri = [f"no {c} column" for v, c in zip(ri_unused, RI_NET_UNUSED, strict=True)
          if c not in raw.columns and nonzero("RIFee", v)]
    if ri:
        parts.append(f"RIFee ({' and '.join(ri)})")
    sp_fee = (types == "SavingsPlanRecurringFee").to_numpy(dtype=bool) & ~sp_gap
    if any(v != 0 for v, k in zip(sp_unused, sp_fee, strict=True) if k):
        parts.append("SavingsPlanRecurringFee (the unused commitment: CUR 2.0 has no net "
                     "savings_plan_total_commitment_to_date or savings_plan_used_commitment)")
    if not parts:
        return None
    return (f"{source}: the bill has net figures (line_item_net_unblended_cost) but no net "
            "column for some parts of EffectiveCost, read gross (before discounts such as "
            f"an EDP): {', '.join(parts)}; EffectiveCost figures read high by any discount "
            "on those parts")


def unknown_types_note(types: pd.Series, source: str) -> str | None:
    """The note for line item types this reader does not know (labelled adjustment, in
    ChargeCategory Adjustment): their count and names, or None."""
    unknown = types[types.notna() & ~types.isin(list(_CATEGORY))]
    if not len(unknown):
        return None
    names = sorted(set(unknown))
    n = len(unknown)
    return (f"{source}: {n} row{'s' if n > 1 else ''} of line item type "
            f"{', '.join(names[:3])}{' and more' if len(names) > 3 else ''}, which this "
            "reader does not know: labelled adjustment")
