"""Errors that a user can fix.

`InputError` is the one exception the command line turns into exit code 2 and a single
line on stderr (no traceback). Raise it for anything the user fed in: a file, a row, a
key path, a command-line value. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re


class InputError(Exception):
    """Bad user input: `where` names the file, row or key path; `message` what was expected."""

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)

    def line(self) -> str:
        """The one line printed for the user."""
        return f"error: {self}".replace("\n", " ")


def is_interrupt(e: BaseException) -> bool:
    """Whether `e` is the engine stopping a query on Ctrl-C (DuckDB raises
    `RuntimeError("Query interrupted")` or its InterruptException), not a fault."""
    return isinstance(e, KeyboardInterrupt) or type(e).__name__ == "InterruptException" or (
        isinstance(e, RuntimeError) and str(e).startswith("Query interrupted"))


def raise_if_interrupt(e: BaseException) -> None:
    """Raise KeyboardInterrupt when `e` is the engine stopping a query on Ctrl-C
    (`is_interrupt`), so that no `except Exception` fallback takes it for a fault."""
    if is_interrupt(e):
        raise KeyboardInterrupt from None


class CurrencyError(InputError):
    """Two currencies met without an explicit exchange rate."""


def shown(value: object) -> str:
    """`value` as a message shows it: Python's repr, with numpy and pandas scalars first
    turned into the Python value they hold (``1.5``, not ``np.float64(1.5)``)."""
    if type(value).__name__ in ("datetime64", "timedelta64"):
        return repr(str(value))  # .item() would give nanoseconds as an int
    item = getattr(value, "item", None)
    if callable(item) and type(value).__module__.split(".")[0] in ("numpy", "pandas"):
        try:
            value = item()
        except (TypeError, ValueError):
            pass
    return repr(value)


#: a DuckDB error's class prefix ("Invalid Input Error: ..."): not the user's words
_ENGINE_PREFIX = re.compile(r"^(?:[A-Z][A-Za-z]*\s){0,3}Error:\s*")


def engine_text(e: BaseException) -> str:
    """The first line of an engine's or a reader's error, in the user's words: a file
    without a Parquet footer is "not a Parquet file, or a truncated one", DuckDB's class
    prefix ("Invalid Input Error: ") is left out; at most 300 characters."""
    text = (str(e).strip().splitlines() or [type(e).__name__])[0]
    if "magic bytes" in text.lower():
        return "not a Parquet file, or a truncated one (no Parquet footer at its end)"
    return _ENGINE_PREFIX.sub("", text)[:300]
