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
        """The one line printed for the user: control characters (a NUL-padded row, a
        stray escape) shown as \\xNN, never sent to the terminal, a run of one of them
        cut at 8."""
        text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(self).replace("\n", " "))
        return "error: " + _RUN.sub(lambda m: m.group(1) * 8 + "...", text)


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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_RUN = re.compile(r"(\\x[0-9a-f]{2})\1{8,}")


#: a DuckDB error's class prefix ("Invalid Input Error: ..."): not the user's words
_ENGINE_PREFIX = re.compile(r"^(?:[A-Z][A-Za-z]*\s){0,3}Error:\s*")


def engine_text(e: BaseException) -> str:
    """The first line of an engine's or a reader's error, in the user's words: a file
    without a Parquet footer is "not a Parquet file, or a truncated one", a gzip stream
    cut short "the compressed file is cut short", DuckDB's class prefix ("Invalid Input
    Error: ") is left out; at most 300 characters."""
    text = (str(e).strip().splitlines() or [type(e).__name__])[0]
    low = text.lower()
    if "magic bytes" in low:
        return "not a Parquet file, or a truncated one (no Parquet footer at its end)"
    if "file size is 0 bytes" in low:
        return "an empty file (0 bytes)"
    if ("end of gzip stream" in low or "truncated compressed stream" in low
            or "compressed file ended before" in low):
        return "the compressed file is cut short (a truncated download?)"
    return _ENGINE_PREFIX.sub("", text)[:300]
