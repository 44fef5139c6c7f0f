"""`reconcile`: an estimate (and a simulation) next to a bill's attribution.

Inputs: a scenario and an attribution summary (summary.json of `attribute`, which holds
the whole bill's CostBreakdown). Predicted figures are scaled from their own period to
the bill's (x measured period_hours / predicted period_hours). Output: one row per
component (predicted, simulated, measured, difference, USD) and the decomposition of
the difference (reconcile.decompose). Measured GPU-hours are the fleet's billed
instance-hours x the GPUs of the scenario's instance in the catalog.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from infercost.core.money import format_decimal
from infercost.errors import InputError
from infercost.reconciliation.decompose import Decomposition, Factors, decompose


@dataclass(frozen=True)
class Row:
    name: str
    predicted: Decimal
    measured: Decimal
    simulated: Decimal | None = None

    @property
    def difference(self) -> Decimal:
        return self.measured - self.predicted

    def to_dict(self) -> dict[str, Any]:
        return {"component": self.name, "predicted": _s(self.predicted),
                "simulated": _s(self.simulated) if self.simulated is not None else None,
                "measured": _s(self.measured), "difference": _s(self.difference)}


@dataclass(frozen=True)
class Reconciliation:
    """Predicted vs measured over the bill's period (money in `currency`)."""

    scenario: str
    currency: str
    period_hours: Decimal
    rows: tuple[Row, ...]
    inferences: dict[str, Decimal | None]
    predicted: Factors
    measured: Factors
    decomposition: Decomposition
    simulated_total: Decimal | None = None
    notes: list[str] = field(default_factory=list)
    #: kWh and gCO2e per 1,000 inferences, predicted (econ.energy via the estimate) and
    #: measured (the attribution's energy of the billed GPU-hours); None where unknown
    energy: dict[str, dict[str, Decimal | None]] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.decomposition
        return {
            "scenario": self.scenario, "currency": self.currency,
            "period_hours": _s(self.period_hours),
            "components": [r.to_dict() for r in self.rows],
            "total": {"predicted": _s(d.predicted_total),
                      "simulated": _s(self.simulated_total) if self.simulated_total is not None else None,
                      "measured": _s(d.measured_total), "difference": _s(d.difference)},
            "inferences": {k: (_s(v) if v is not None else None) for k, v in self.inferences.items()},
            "factors": {"predicted": self.predicted.to_dict(), "measured": self.measured.to_dict()},
            "decomposition": d.to_dict(),
            "formulas": {
                "cost": "C(N, u, r, b) = N x b / u x r",
                "volume": "C(Nm, up, rp, bp) - C(Np, up, rp, bp)",
                "utilisation": "C(Nm, um, rp, bp) - C(Nm, up, rp, bp)",
                "price": "C(Nm, um, rm, bp) - C(Nm, um, rp, bp)",
                "residual": "difference - volume - utilisation - price",
            },
            "energy": None if self.energy is None else {
                side: {k: (_s(v) if v is not None else None) for k, v in figs.items()}
                for side, figs in self.energy.items()},
            "notes": list(self.notes),
        }


def read_summary(folder: str | Path) -> dict:
    """summary.json of an attribution folder; InputError when absent or without breakdowns."""
    p = Path(folder) / "summary.json"
    if not p.is_file():
        raise InputError("no summary.json here; expected the --out folder of `infercost attribute`",
                         str(folder))
    try:
        s = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise InputError(f"not JSON: line {e.lineno}: {e.msg}", str(p)) from None
    if not isinstance(s, dict) or "breakdowns" not in s:
        raise InputError("no `breakdowns` in this summary; re-run `infercost attribute` "
                         "(it writes them since the cost contract)", str(p))
    s[READ_FROM] = str(p)  # (what `reconcile`'s errors name)
    return s


#: the key `read_summary` adds to a summary it read (its path), for `reconcile`'s errors
#: (private: `_` keys are never written to summary.json)
READ_FROM = "_read_from"


def _source(summary: dict) -> str:
    """What the measured side came from, as an error names it: the summary.json read
    (`read_summary`), else the bill and the usage logs or call counts the summary's
    `inputs` list (an attribution made in memory: its summary.json is a temporary file
    the user never sees), each the first file and how many more; "summary.json" when
    neither is known."""
    if summary.get(READ_FROM):
        return str(summary[READ_FROM])
    given = summary.get("inputs") or {}

    def files(key: str) -> str:
        fs = [str(f) for f in (given.get(key) or [])]
        return fs[0] + (f" and {len(fs) - 1:,} more" if len(fs) > 1 else "") if fs else ""

    bill, usage = files("bill"), files("usage")
    if not bill:
        return "summary.json"
    kind = "counts" if given.get("counts") else "usage"
    return f"bill {bill}" + (f", {kind} {usage}" if usage else "")


def _d(x: Any) -> Decimal:
    return Decimal(str(x))


def _by_name(components: list[dict], factor: Decimal = Decimal(1)) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in components:
        out[c["name"]] = out.get(c["name"], Decimal(0)) + _d(c["amount"]) * factor
    return out


def _accel(components: list[dict], factor: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(busy GPU-h, provisioned GPU-h, cost) of the accelerator lines, scaled by factor."""
    busy = prov = money = Decimal(0)
    for c in components:
        if c["group"] != "accelerator":
            continue
        money += _d(c["amount"]) * factor
        if c["quantity"] is not None and c["unit"] in ("GPU-h", "vCPU-h"):  # CPU: vCPU-h
            q = _d(c["quantity"]) * factor
            prov += q
            if c["name"] in ("accelerator_busy", "experiments"):
                busy += q
    return busy, prov, money


def _gpus_per_instance(scenario, catalog, notes: list[str]) -> int:
    """Accelerators one billed instance-hour stands for: the catalog instance's GPUs; for a
    CPU (priced per vCPU-hour) the replica's vCPUs, `deployment.gpus_per_replica`, since a
    CPU replica is billed as the vCPUs it runs on, not as the catalog's reference instance."""
    dep = scenario.deployment
    hw = catalog.hardware.get(dep.hardware or "")
    if hw is not None and hw.kind == "cpu":
        notes.append(f"{dep.hardware} is priced per vCPU-hour: one billed instance-hour taken as "
                     f"{dep.gpus_per_replica} vCPU-h (deployment.gpus_per_replica)")
        return int(dep.gpus_per_replica)
    try:
        _, inst = catalog.gpu_hour_price(dep.pricing.provider, dep.hardware, dep.pricing.plan)
        return int(inst.gpus)
    except InputError:
        notes.append(f"no catalog instance for {dep.hardware}: one billed instance-hour taken "
                     f"as {dep.gpus_per_replica} GPU-h (deployment.gpus_per_replica)")
        return int(dep.gpus_per_replica)


def _fleet_hardware_note(scenario, catalog, summary: dict, gpus: int) -> str | None:
    """A note when the billed fleet is other hardware than the scenario's: the catalog
    instances the attribution matched to the fleet's SKUs (`summary.json` energy
    resources: instance, hardware, GPUs, billed resource-hours) of another hardware, or
    another number of GPUs per instance than `gpus` (a GPU scenario's). None when they
    agree, or when no fleet resource matched a catalog instance (nothing to compare)."""
    res = (summary.get("energy") or {}).get("resources") or []
    dep = scenario.deployment
    hw = catalog.hardware.get(dep.hardware or "")
    cpu = hw is not None and hw.kind == "cpu"  # (its gpus are the replica's vCPUs)
    billed: dict[tuple, Decimal] = {}
    for r in res:
        if not isinstance(r, dict) or not r.get("hardware"):
            continue
        key = (str(r.get("instance")), str(r["hardware"]), r.get("gpus"))
        billed[key] = billed.get(key, Decimal(0)) + _d(r.get("resource_hours") or 0)
    other = {k: h for k, h in billed.items()
             if k[1] != dep.hardware or (not cpu and k[2] is not None and int(k[2]) != gpus)}
    if not other:
        return None
    total = sum(billed.values(), Decimal(0))
    try:
        _, inst = catalog.gpu_hour_price(dep.pricing.provider, dep.hardware, dep.pricing.plan)
        name = f": {inst.instance}"
    except InputError:
        name = ""
    unit = "vCPUs" if cpu else "GPUs"

    def per(n: Any) -> str:
        return f"{n} GPU{'' if n == 1 else 's'} per instance"

    shown = "; ".join(f"{inst}: {h}, {per(g)}, {_hours(n)} of {_hours(total)} billed "
                      "instance-hours" for (inst, h, g), n in sorted(
                          other.items(), key=lambda kv: (-kv[1], kv[0][0])))
    return (f"the scenario's hardware ({dep.hardware}, {gpus} {unit} per instance{name}) "
            f"differs from the billed fleet's, as the catalog matches its SKU ({shown}): "
            f"measured GPU-h count the scenario's {gpus} {unit} per billed instance-hour, so "
            "utilisation, price and energy compare different machines")


def _hours(x: Decimal) -> str:
    return f"{x:,.0f}" if x == x.to_integral_value() else f"{x:,.2f}"


def reconcile(scenario, catalog, summary: dict, with_simulation: bool = False,
              seed: int = 0) -> Reconciliation:
    """Estimate (and simulate) `scenario`, lay it beside the attribution `summary`.

    Raises InputError when the bill has no billing period, no allocated inferences or no
    fleet instance-hours, or a fleet busy cost or fleet cost that is not above zero
    (nothing to compare: utilisation is busy cost / fleet cost), naming the summary.json
    read or the bill and usage attributed (`_source`) and the figures.
    """
    from infercost.capacity.estimate import estimate

    notes: list[str] = []
    bill = summary["breakdowns"]["bill"]
    hm = _d(bill["period_hours"])
    nm = _d(bill["inferences"])
    inst_h = _d(summary.get("fleet", {}).get("resource_hours_billed", 0))
    where = _source(summary)
    if hm <= 0:
        raise InputError("the bill has no billing period; reconcile compares over it", where)
    if nm <= 0 or inst_h <= 0:
        raise InputError("the attribution allocated no inferences to fleet instance-hours; "
                         "nothing to compare", where)
    if bill["currency"] != scenario.currency:
        raise InputError(f"the bill is in {bill['currency']}, the scenario in {scenario.currency}",
                         "currency")
    est = estimate(scenario, catalog).breakdown.to_dict()
    f = hm / _d(est["period_hours"])
    notes.append(f"predicted figures scaled from {est['period_hours']} h to the bill's {_s(hm)} h")
    pred = _by_name(est["components"], f)
    meas = _by_name(bill["components"])
    sim = None
    sim_total = None
    sim_n = None
    if with_simulation:
        from infercost.sim.run import simulate

        sb = simulate(scenario, catalog, seed=seed).cost.to_dict()
        fs = hm / _d(sb["period_hours"])
        sim = _by_name(sb["components"], fs)
        sim_total = sum(sim.values(), Decimal(0))
        sim_n = _d(sb["inferences"]) * fs
        notes.append(f"simulated figures scaled from {sb['period_hours']} h (seed {seed}); "
                     "the decomposition is against the estimate")
    names = list(pred) + [n for n in meas if n not in pred] + [n for n in (sim or {}) if n not in pred
                                                                 and n not in meas]
    rows = tuple(Row(n, pred.get(n, Decimal(0)), meas.get(n, Decimal(0)),
                     (sim.get(n, Decimal(0)) if sim is not None else None)) for n in names)
    pb, pg, pa = _accel(est["components"], f)
    p = Factors.of(_d(est["inferences"]) * f, pb, pg, pa)
    gpus = _gpus_per_instance(scenario, catalog, notes)
    hw_note = _fleet_hardware_note(scenario, catalog, summary, gpus)
    if hw_note:
        notes.append(hw_note)
    mg = inst_h * gpus
    ma = sum((_d(c["amount"]) for c in bill["components"] if c["group"] == "accelerator"), Decimal(0))
    mbusy = sum((_d(c["amount"]) for c in bill["components"] if c["name"] == "accelerator_busy"),
                Decimal(0))
    if ma <= 0 or mbusy <= 0:
        cur = bill["currency"]
        why = (" (no request's cost is on the fleet)" if mbusy == 0 else
               ", below zero (credits or refunds exceed its charges)" if mbusy < 0 else "")
        raise InputError(
            f"the fleet's busy cost (accelerator_busy) is {format_decimal(mbusy)} {cur}{why}, "
            f"and its whole cost {format_decimal(ma)} {cur}: utilisation (busy cost / fleet "
            "cost) needs both above zero; nothing to compare", where)
    m = Factors.of(nm, mg * mbusy / ma, mg, ma)
    notes.append(f"measured GPU-h = {_s(inst_h)} billed instance-h x {gpus} GPUs; utilisation = "
                 "busy cost / fleet cost; rate = fleet cost / GPU-h")
    driver = summary.get("driver") or (summary.get("rules") or {}).get("driver")
    if driver and driver != "capacity":
        notes.append(
            f"measured utilisation is {m.utilisation:.0%} because the attribution's driver "
            f"({driver}) measures no idle time inside an hour that has requests (only hours "
            "with none count as idle), so the utilisation effect is understated and the "
            "rest lands in the residual; give --rules with driver: capacity (duration_ms "
            "against capacity_ms_per_hour) to measure idle")
    accel = {c["name"] for c in est["components"] if c["group"] == "accelerator"}
    off_bill = {n: v for n, v in pred.items() if n not in meas and n not in accel and v != 0}
    if off_bill:
        notes.append(
            "predicted with no measured counterpart in the bill: " + ", ".join(
                f"{n} {v:,.2f}" for n, v in off_bill.items())
            + " (people and licensing paid outside the cloud never appear on a cloud bill); "
            "kept out of the volume, utilisation and price effects, they are in the residual "
            "as \"not on the bill\"")
    dec = decompose(p, m, sum(pred.values(), Decimal(0)), sum(meas.values(), Decimal(0)), pa, ma,
                    sum(off_bill.values(), Decimal(0)))
    return Reconciliation(scenario.name, scenario.currency, hm, rows,
                          {"predicted": p.inferences, "simulated": sim_n, "measured": nm},
                          p, m, dec, sim_total, notes,
                          _energy(est.get("facts", {}).get("energy"), summary.get("energy")))


def _energy(predicted: dict | None, measured: dict | None) -> dict | None:
    """kWh and gCO2e per 1,000 inferences on both sides (None when neither side has any):
    predicted = the estimate's per-inference figures x 1000, measured = the attribution's
    per-1k-requests figures."""
    def per_1k(d: dict | None, key: str, scale: int) -> Decimal | None:
        v = None if d is None else d.get(key)
        if v is None:
            return None
        try:
            x = Decimal(str(v))
        except ArithmeticError:
            x = Decimal("NaN")
        if isinstance(v, bool) or not x.is_finite() or x < 0:
            side = "summary.json: energy" if scale == 1 else "the estimate's energy"
            raise InputError(f"expected a number >= 0, got {v!r}", f"{side}.{key}")
        return x * scale

    out = {"predicted": {"kwh_per_1k": per_1k(predicted, "kwh_per_inference", 1000),
                         "gco2e_per_1k": per_1k(predicted, "gco2e_per_inference", 1000)},
           "measured": {"kwh_per_1k": per_1k(measured, "kwh_per_1k_requests", 1),
                        "gco2e_per_1k": per_1k(measured, "gco2e_per_1k_requests", 1)}}
    if all(v is None for side in out.values() for v in side.values()):
        return None
    return out


def _s(d: Decimal | None) -> str:
    return format_decimal(d) if d is not None else ""
