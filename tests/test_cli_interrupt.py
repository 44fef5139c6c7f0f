"""Ctrl-C while the engine runs a query on the main thread: DuckDB raises
RuntimeError("Query interrupted"); the command line ends as for any Ctrl-C (exit 130,
"aborted", no traceback), and the engine's interrupts are never read as bad input."""

from __future__ import annotations

import pytest

import infercost.cli as cli
from infercost.errors import is_interrupt
from infercost.ingest.backends import engine_error


def test_query_interrupted_exits_130(monkeypatch, capsys):
    def app(**_kw):
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(SystemExit) as e:
        cli.main(["attribute"])
    assert e.value.code == 130
    assert capsys.readouterr().err.strip() == "aborted"


def test_ctrl_c_inside_a_command_says_aborted(monkeypatch, capsys, tmp_path):
    """A KeyboardInterrupt inside a real command (typer catches it and returns 130):
    exit 130 and "aborted" on stderr, as for any other Ctrl-C."""
    from infercost import api

    def interrupted(*_a, **_kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "attribute", interrupted)
    bill = tmp_path / "bill.csv"
    bill.write_text("BilledCost\n1\n")
    with pytest.raises(SystemExit) as e:
        cli.main(["attribute", "--bill", str(bill), "--out", str(tmp_path / "out")])
    assert e.value.code == 130
    assert capsys.readouterr().err.strip() == "aborted"


def test_other_runtime_errors_keep_their_traceback(monkeypatch):
    def app(**_kw):
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "app", app)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main(["attribute"])


def test_interrupts_are_not_engine_input_errors():
    InterruptException = type("InterruptException", (Exception,), {"__module__": "_duckdb"})
    assert is_interrupt(RuntimeError("Query interrupted")) and is_interrupt(KeyboardInterrupt())
    assert is_interrupt(InterruptException("INTERRUPT Error"))
    assert not engine_error(InterruptException("INTERRUPT Error"))
    Conversion = type("ConversionException", (Exception,), {"__module__": "_duckdb"})
    assert engine_error(Conversion("Conversion Error")) and not is_interrupt(Conversion("x"))
    assert not is_interrupt(RuntimeError("other"))
