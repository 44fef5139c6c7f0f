"""The `infercost` command line (typer + rich).

Each command lives in its own module under `infercost.cli` with a `register(app)`
function. Modules import only typer at the top; heavy work is imported inside the
command body so `infercost --help` stays fast. Bad input (`InputError`) ends with exit
code 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import sys

import typer

from infercost.errors import InputError, is_interrupt

app = typer.Typer(
    name="infercost",
    help="AI inference unit economics: what one inference costs, why, and what if.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every command
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("infercost")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            v = "unknown (not installed)"
        print(f"infercost {v}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """AI inference unit economics: what one inference costs, why, and what if."""


def _register() -> None:
    from infercost.cli import (
        attribute,
        bench,
        build_vs_buy,
        catalog,
        compare,
        demo,
        diff,
        estimate,
        frontier,
        mlflow,
        optimize,
        perf,
        place,
        pnl,
        reconcile,
        reprice,
        roadmap,
        simulate,
        tco,
    )

    for mod in (estimate, simulate, attribute, reconcile, compare, optimize, frontier, build_vs_buy,
                diff, tco, place, pnl, roadmap, reprice, perf, bench, catalog, demo, mlflow):
        mod.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: runs the app and maps bad input to exit code 2."""
    import typer.exceptions as typer_exc

    try:  # typer >= 0.20 vendors click as typer._click
        from typer._click.exceptions import ClickException, NoArgsIsHelpError
    except ImportError:  # pragma: no cover - older typer with click
        from click.exceptions import ClickException
        NoArgsIsHelpError = ()  # type: ignore[assignment]

    try:
        rv = app(args=argv, standalone_mode=False)
    except InputError as e:
        print(e.line(), file=sys.stderr)
        sys.exit(2)
    except NoArgsIsHelpError as e:  # bare `infercost`: show help
        print(e.ctx.get_help() if getattr(e, "ctx", None) else str(e))
        sys.exit(0)
    except typer_exc.Abort:
        _aborted()
    except RuntimeError as e:  # Ctrl-C while the engine ran a query on this thread
        if not is_interrupt(e):
            raise
        _aborted()
    except typer_exc.Exit as e:
        sys.exit(getattr(e, "exit_code", 0))
    except ClickException as e:
        # usage errors (bad option, missing argument, non-existent file): one line, exit 2
        print(f"error: {e.format_message()}", file=sys.stderr)
        sys.exit(2)
    if rv == 130:  # Ctrl-C that typer caught itself (it returns 130, saying nothing)
        _aborted()
    if isinstance(rv, int) and rv:
        sys.exit(rv)


def _aborted() -> None:
    """Ctrl-C, however it arrived: one word on stderr and exit code 130."""
    print("aborted", file=sys.stderr)
    sys.exit(130)
