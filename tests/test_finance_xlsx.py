"""The TCO workbook recomputes (with the `formulas` package) to the tool's own figures, and its
cells are live: changing an assumption changes the results as the tool would."""

from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest

from infercost.finance.decision import decide
from infercost.finance.tco import CommitmentInputs
from infercost.report.xlsx import write_tco_workbook
from tests.test_finance_tco import _inputs, _owned

formulas = pytest.importorskip("formulas")
D = Decimal


def _recompute(path) -> dict[str, tuple[float, float]]:
    sol = formulas.ExcelModel().loads(str(path)).finish().calculate()
    cells = {k.split("!")[1]: v.value[0][0] for k, v in sol.items() if "]SUMMARY'!" in k.upper()}
    out = {}
    for r in range(2, 10):
        name = cells.get(f"A{r}")
        if isinstance(name, str):
            out[name] = (float(cells[f"B{r}"]), float(cells[f"C{r}"]))
    return out


def _case():
    # 9 months, 4% growth, a 6-month life (one refresh inside the horizon), a 12-month
    # upfront commitment running past the horizon (credited back), spot and on-demand
    return _inputs(horizon=9, growth=D("0.04"), discount_rate=D("0.1"), base_busy_hours=D(500),
                   spot=D("0.9"), commitments=(CommitmentInputs("1y-upfront", 12, "upfront", D("1.2")),),
                   owned=_owned(life_months=6, residual=D("0.2"), colo_per_kw_month=D(100),
                                maintenance=D("0.1"), network_per_month=D(50)))


def test_workbook_recomputes_to_the_tools_figures_and_is_live(tmp_path):
    inp = _case()
    dec = decide(inp, flips=False)
    p = tmp_path / "tco.xlsx"
    write_tco_workbook(dec, p)
    got = _recompute(p)
    assert set(got) == set(dec.npv)
    for name in dec.npv:
        assert got[name][0] == pytest.approx(float(dec.npv[name]), rel=1e-9), name
        assert got[name][1] == pytest.approx(float(dec.model.options[name].total), rel=1e-9), name
    # live: capex x 1.5 in the Assumptions sheet = the tool run with capex x 1.5
    wb = openpyxl.load_workbook(p)
    ws = wb["Assumptions"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "owned: capex per GPU")
    ws.cell(row, 2, 1800)
    wb.save(p)
    again = decide(replace(inp, owned=replace(inp.owned, capex_per_gpu=D(1800))), flips=False)
    got = _recompute(p)
    assert got["owned"][0] == pytest.approx(float(again.npv["owned"]), rel=1e-9)
    assert got["owned"][0] > float(dec.npv["owned"])


def test_workbook_rents_the_replicas_needed_live(tmp_path):
    # busy hours x 1.5 in the Assumptions sheet: the replicas needed, the rented hours and the
    # owned fleet recompute as the tool's (the commitments' levels are exported values)
    from infercost.finance.tco import scale_traffic

    inp = _case()
    p = tmp_path / "tco.xlsx"
    write_tco_workbook(decide(inp, flips=False), p)
    wb = openpyxl.load_workbook(p)
    ws = wb["Assumptions"]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value.startswith("busy replica-hours"))
    ws.cell(row, 2, 750)
    wb.save(p)
    again = decide(scale_traffic(inp, D("1.5")), flips=False)
    got = _recompute(p)
    for name in ("on-demand", "spot", "owned"):
        assert got[name][0] == pytest.approx(float(again.npv[name]), rel=1e-9), name
