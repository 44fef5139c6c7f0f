"""The TCO workbook (`infercost tco --xlsx F`): live formulas over an assumptions sheet.

Sheets:
- Assumptions: every input of the monthly model (`finance.tco.TcoInputs`), one per row;
- Monthly: one row per month; every cell is a formula over Assumptions (traffic, replicas
  needed, owned fleet, utilisation, each option's cash flow, owned purchases, refreshes and
  book value);
- Summary: NPV (Excel NPV over the monthly flows at the monthly rate), total cash and
  cumulative cost per option, as formulas;
- Tool: the tool's own figures as values, to check the formulas against.

Change an assumption and the workbook recomputes. The refresh schedule, the commitment
terms and the replicas committed in each term (the tool's NPV-minimising count,
`finance.tco.commit_level`) are values for the exported life, terms and forecast (changing
those needs a re-export); everything else (prices, traffic, growth, power, capex, residual,
discount rate) is live.
The file is written through a temporary name (no half-written workbook).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from infercost.finance.decision import TcoDecision
from infercost.finance.tco import OWNED, commit_level, needed

A = "Assumptions"


def _f(x) -> float:
    return float(x)


def write_tco_workbook(dec: TcoDecision, path: Path) -> None:
    """Write the workbook for `dec` to `path` (xlsx)."""
    inp, model = dec.model.inputs, dec.model
    wb = Workbook()
    ws = wb.active
    ws.title = A
    ref: dict[str, str] = {}

    def put(key: str, label: str, value) -> None:
        r = ws.max_row + 1 if ws.max_row > 1 or ws["A1"].value else 1
        ws.cell(r, 1, label)
        ws.cell(r, 2, value)
        ref[key] = f"{A}!$B${r}"

    put("h", "horizon, months", inp.horizon)
    put("rate", "discount rate, per year", _f(inp.discount_rate))
    put("g", "traffic growth per month", _f(inp.growth))
    put("umax", "max utilisation before the fleet grows", _f(inp.max_utilization))
    put("gpr", "GPUs per replica", inp.gpus_per_replica)
    put("r0", "replicas at least (the scenario's)", inp.base_replicas)
    put("busy0", "busy replica-hours per month, month 0 (modelled)", _f(inp.base_busy_hours))
    put("inf0", "inferences per month, month 0", _f(inp.base_inferences))
    put("hpm", "hours per month", 730)
    put("od", "on-demand price per GPU-hour", _f(inp.on_demand or 0))
    put("disc", "negotiated discount on on-demand", _f(inp.negotiated_discount))
    put("spot", "spot price per GPU-hour", _f(inp.spot or 0))
    put("ovh", "spot interruption overhead, share of hours", _f(inp.spot_overhead))
    need = needed(inp)
    for i, c in enumerate(inp.commitments):
        put(f"c{i}rate", f"{c.name}: committed price per GPU-hour", _f(c.rate))
        put(f"c{i}up", f"{c.name}: share paid upfront", {"upfront": 1, "partial": 0.5, "none": 0}[c.payment])
        if inp.on_demand is not None:
            for s in range(0, inp.horizon, c.term_months):
                put(f"c{i}k{s}", f"{c.name}: replicas committed in the term from month {s}",
                    commit_level(inp, c, need, s))
    o = inp.owned
    if o is not None:
        put("capex", "owned: capex per GPU", _f(o.capex_per_gpu))
        put("life", "owned: life, months", o.life_months)
        put("res", "owned: residual, share of capex", _f(o.residual))
        put("idle", "owned: idle board power, W", _f(o.idle_w))
        put("full", "owned: full-load board power (TDP), W", _f(o.full_w))
        put("host", "owned: host power per GPU, W", _f(o.host_w))
        put("pue", "owned: PUE", _f(o.pue))
        put("kwh", "owned: electricity per kWh", _f(o.price_per_kwh))
        put("colo", "owned: colocation per kW-month", _f(o.colo_per_kw_month))
        put("maint", "owned: maintenance per year, share of capex", _f(o.maintenance))
        put("net", "owned: network per month", _f(o.network_per_month))
        put("staff", "owned: staff per month", _f(o.staff_per_month))
    ws.column_dimensions["A"].width = 52

    ms = wb.create_sheet("Monthly")
    cols = ["month", "traffic factor", "busy replica-h", "replicas needed", "rented replica-h", "fleet replicas",
            "fleet GPUs",
            "utilisation", "inferences"]
    names = list(model.options)
    opt_col: dict[str, str] = {}
    for n in names:
        cols.append(f"{n} cash")
    if o is not None:
        cols += ["owned: GPUs bought", "owned: power per GPU", "owned: opex per GPU", "owned: book value at horizon"]
    for j, c in enumerate(cols, 1):
        ms.cell(1, j, c)
    col = {c: get_column_letter(j) for j, c in enumerate(cols, 1)}
    for n in names:
        opt_col[n] = col[f"{n} cash"]
    h = inp.horizon
    last = h + 1
    for m in range(h):
        r = m + 2
        prev = r - 1

        def c(name: str, row: int = r) -> str:
            return f"{col[name]}{row}"
        ms[c("month")] = m
        ms[c("traffic factor")] = f"=(1+{ref['g']})^{c('month')}"
        ms[c("busy replica-h")] = f"={ref['busy0']}*{c('traffic factor')}"
        ms[c("replicas needed")] = f"=MAX({ref['r0']},ROUNDUP({c('busy replica-h')}/({ref['hpm']}*{ref['umax']}),0))"
        ms[c("rented replica-h")] = f"={c('replicas needed')}*{ref['hpm']}"
        before = f"{c('fleet replicas', prev)}," if m else ""
        ms[c("fleet replicas")] = f"=MAX({before}{c('replicas needed')})"
        ms[c("fleet GPUs")] = f"={c('fleet replicas')}*{ref['gpr']}"
        ms[c("utilisation")] = f"=MIN(1,{c('busy replica-h')}/({c('fleet replicas')}*{ref['hpm']}))"
        ms[c("inferences")] = f"={ref['inf0']}*{c('traffic factor')}"
        odp = f"{ref['od']}*(1-{ref['disc']})"
        for n in names:
            cell = c(f"{n} cash")
            if n == "on-demand":
                ms[cell] = f"={c('rented replica-h')}*{ref['gpr']}*{odp}"
            elif n == "spot":
                ms[cell] = f"={c('rented replica-h')}*(1+{ref['ovh']})*{ref['gpr']}*{ref['spot']}"
            elif n == OWNED:
                life = o.life_months
                refresh = f"{col['owned: GPUs bought']}{r - life}" if m >= life else "0"
                added = f"{c('fleet GPUs')}-{c('fleet GPUs', prev) if m else '0'}"
                ms[c("owned: GPUs bought")] = f"={added}+{refresh}"
                watts = f"({ref['idle']}+({ref['full']}-{ref['idle']})*{c('utilisation')}+{ref['host']})"
                ms[c("owned: power per GPU")] = f"={watts}*{ref['pue']}*{ref['hpm']}/1000*{ref['kwh']}"
                ms[c("owned: opex per GPU")] = (f"={c('owned: power per GPU')}+({ref['full']}+{ref['host']})/1000*"
                                                f"{ref['colo']}+{ref['capex']}*{ref['maint']}/12")
                age = f"({ref['h']}-{c('month')})"
                ms[c("owned: book value at horizon")] = (
                    f"=IF(AND({c('owned: GPUs bought')}>0,{age}<={ref['life']}),{c('owned: GPUs bought')}*"
                    f"{ref['capex']}*(1-(1-{ref['res']})*{age}/{ref['life']}),0)")
                terminal = (f"-SUM({col['owned: book value at horizon']}2:{col['owned: book value at horizon']}{last})"
                            if m == h - 1 else "")
                ms[cell] = (f"={c('owned: GPUs bought')}*{ref['capex']}-{refresh}*{ref['capex']}*{ref['res']}"
                            f"+{c('fleet GPUs')}*{c('owned: opex per GPU')}+{ref['net']}+{ref['staff']}{terminal}")
            else:  # a commitment
                i = next(k for k, ci in enumerate(inp.commitments) if ci.name == n)
                ci = inp.commitments[i]
                t = ci.term_months
                start = (m // t) * t
                committed = f"({ref[f'c{i}k{start}']}*{ref['hpm']})"
                monthly = f"({committed}*{ref['gpr']}*{ref[f'c{i}rate']})"
                up = ref[f"c{i}up"]
                parts = []
                if m == start:
                    parts.append(f"{monthly}*{t}*{up}")
                parts.append(f"{monthly}*(1-{up})")
                parts.append(f"MAX(0,{c('rented replica-h')}-{committed})*{ref['gpr']}*{odp}")
                if m == h - 1:
                    for s0 in range(0, h, t):
                        unexp = s0 + t - h
                        if unexp > 0:
                            cm = f"({ref[f'c{i}k{s0}']}*{ref['hpm']}*{ref['gpr']}*{ref[f'c{i}rate']})"
                            parts.append(f"-{cm}*{unexp}*{up}")
                ms[cell] = "=" + "+".join(parts).replace("+-", "-")
    ss = wb.create_sheet("Summary")
    ss.append(["option", "NPV", "total cash", "cumulative cost at horizon"])
    ss["F1"] = "monthly discount rate"
    ss["G1"] = f"=(1+{ref['rate']})^(1/12)-1"
    for k, n in enumerate(names, 2):
        cl = opt_col[n]
        rng = f"Monthly!{cl}3:{cl}{last}"
        ss.cell(k, 1, n)
        ss.cell(k, 2, f"=Monthly!{cl}2+NPV($G$1,{rng})" if h > 1 else f"=Monthly!{cl}2")
        ss.cell(k, 3, f"=SUM(Monthly!{cl}2:{cl}{last})")
        ss.cell(k, 4, f"=C{k}")
    ts = wb.create_sheet("Tool")
    ts.append(["option", "NPV (tool)", "total cash (tool)"])
    for n in names:
        ts.append([n, _f(dec.npv[n]), _f(model.options[n].total)])
    ts.append([])
    for t in dec.text:
        ts.append([t])
    from infercost.core.io import check_output_file

    path = check_output_file(Path(path), "--xlsx")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.xlsx")
    try:
        wb.save(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
