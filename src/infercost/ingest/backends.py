"""The one adapter between the engine's Ibis expressions and a concrete backend.

The engine builds every expression once; only here does anything depend on which
backend runs it: how a connection is made, how files are opened lazily, how a result is
written. DuckDB (embedded, the default) and Spark (PySpark, local mode unless a
`SparkSession` is already active) are supported.
"""

from __future__ import annotations

import atexit
import os
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infercost.errors import InputError

BACKENDS = ("duckdb", "spark")


def connect(backend: str = "duckdb", *, threads: int | None = None,
            memory_limit: str | None = None) -> Any:
    """An Ibis connection: `duckdb` (in-process) or `spark` (local[2] unless one is running).

    Both run in UTC so timestamps mean the same thing on either.
    """
    import ibis

    if backend == "duckdb":
        con = ibis.duckdb.connect()
        con.raw_sql("SET TimeZone='UTC'")
        if threads:
            con.raw_sql(f"SET threads={int(threads)}")
        memory_limit = memory_limit or os.environ.get("INFERCOST_DUCKDB_MEMORY")
        if memory_limit:
            con.raw_sql(f"SET memory_limit='{memory_limit}'")
        for setting in DUCKDB_SETTINGS:
            con.raw_sql(setting)
        return con
    if backend == "spark":
        session = spark_session()  # first: names the extra to install when it is missing
        return ibis.pyspark.connect(session)
    raise InputError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}",
                     "--backend")


def second_connection(con: Any) -> Any:
    """Another connection to the same DuckDB database (its own queries may run while
    `con` runs one, from another thread), set up as `connect` sets `con`; None on Spark."""
    if backend_name(con) != "duckdb":
        return None
    import ibis

    other = ibis.duckdb.from_connection(con.con.cursor())
    for setting in ("SET TimeZone='UTC'", *DUCKDB_SETTINGS):
        other.raw_sql(setting)
    return other


#: every DuckDB connection's settings (beside its zone, threads and memory)
DUCKDB_SETTINGS = ("SET preserve_insertion_order=false", "SET enable_progress_bar=false")
#: the setting that stops DuckDB folding tests from Parquet statistics (a footer's min and
#: max are a writer's claim: a corrupt one, min 10 ms over a row of -5 ms, made the range
#: test false and the row allocated); taken when a log's rows are tested one by one
#: (`engine.plan_resource_hours`), where it costs a few percent
NO_STATISTICS_FOLDING = "SET disabled_optimizers='statistics_propagation'"


_SPARK = None
_SPARK_TMP: str | None = None  # the temporary folder of the session this process started


def spark_session():
    """A shared local SparkSession (UTC, small shuffles, warehouse in a temp folder)."""
    global _SPARK, _SPARK_TMP
    if _SPARK is not None:
        return _SPARK
    try:
        import ibis.backends.pyspark  # noqa: F401
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("the spark backend needs the `spark` extra: pip install "
                         "'infercost[spark]' (and Java 17)", "--backend") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        _SPARK = active
        return active
    tmp = tempfile.mkdtemp(prefix="infercost-spark-")
    _SPARK_TMP = tmp
    atexit.register(_stop_and_remove, tmp)
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    # the JVM's log: errors only, to a file of the session's temporary folder (Spark's
    # default prints WARN lines, and a failed task's stack trace, to stderr, where a
    # command's one-line errors go; the command names what failed itself)
    log4j = Path(tmp) / "log4j2.properties"
    log4j.write_text("rootLogger.level = error\nrootLogger.appenderRef.file.ref = file\n"
                     "appender.file.type = File\nappender.file.name = file\n"
                     f"appender.file.fileName = {Path(tmp) / 'spark.log'}\n"
                     "appender.file.layout.type = PatternLayout\n"
                     "appender.file.layout.pattern = %d %p %c{1}: %m%n\n"
                     # (the shell's logger at the root's level)
                     "logger.repl.name = org.apache.spark.repl.Main\nlogger.repl.level = error\n")
    _SPARK = (
        SparkSession.builder.master(os.environ.get("INFERCOST_SPARK_MASTER", "local[2]"))
        .appName("infercost-attribute")
        .config("spark.sql.warehouse.dir", str(Path(tmp) / "warehouse"))
        .config("spark.driver.extraJavaOptions",
                f"-Dderby.system.home={tmp} -Dlog4j.configurationFile=file:{log4j}")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        .config("spark.driver.memory", os.environ.get("INFERCOST_SPARK_MEMORY", "2g"))
        .getOrCreate()
    )
    _SPARK.sparkContext.setLogLevel("ERROR")
    # PySpark's own SIGINT handler calls the JVM from inside the handler, which fails
    # when the interrupted thread was itself talking to the JVM (and Ctrl-C was then
    # lost or read as bad input): Ctrl-C raises KeyboardInterrupt as in plain Python,
    # and `meanwhile` cancels the session's jobs from the waiting thread
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return _SPARK


def _stop_and_remove(tmp: str) -> None:
    """At exit: stop the session this process started and remove its temporary folder."""
    import shutil

    global _SPARK
    try:
        if _SPARK is not None:
            _SPARK.stop()
    except Exception:  # noqa: BLE001 (the JVM may be gone already at exit)
        pass
    _SPARK = None
    shutil.rmtree(tmp, ignore_errors=True)


def backend_name(con: Any) -> str:
    return "spark" if con.name == "pyspark" else con.name


def read_files(con: Any, kind: str, paths: list[Path]) -> Any:
    """Open files lazily as one Ibis table. CSV columns arrive as strings (no guessing)."""
    files = [str(p) for p in paths]
    name = backend_name(con)
    if name == "duckdb":
        if kind == "parquet":
            return con.read_parquet(files, union_by_name=True)
        if kind == "csv":
            # (RFC 4180 quotes: the sniffer would read a file with an unclosed quote
            # as unquoted, taking the quote as a character of the value)
            return con.read_csv(files, all_varchar=True, header=True, union_by_name=True,
                                quote='"', escape='"')
        return con.read_json(files, format="newline_delimited", union_by_name=True)
    if kind == "parquet":
        return con.read_parquet(files if len(files) > 1 else files[0], mergeSchema=True)
    if kind == "csv":
        return con.read_csv(files, header=True, inferSchema=False)
    return con.read_json(files)


def from_arrow(con: Any, table: Any, name: str) -> Any:
    """A small in-memory Arrow table as an Ibis table on `con`."""
    if backend_name(con) == "duckdb":
        return con.create_table(name, table, temp=True, overwrite=True)
    # Spark: through a Parquet file, so nulls stay nulls (through pandas, a text column
    # of nulls became the string "NaN") and types stay as they are
    import pyarrow.parquet as pq

    folder = Path(_SPARK_TMP or tempfile.mkdtemp(prefix="infercost-spark-")) / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=folder)) / "t.parquet"
    pq.write_table(table, path)
    return con.read_parquet(str(path))


def to_arrow(con: Any, expr: Any) -> Any:
    """Run `expr` and fetch its result as Arrow. A file the engine cannot read (a corrupt
    Parquet page, a value that does not convert) surfaces only here, when the lazy read
    runs: it becomes one InputError with the engine's first line (it names the file)."""
    try:
        if backend_name(con) != "duckdb":
            return con.to_pyarrow(expr)
        # on a worker thread, so that Ctrl-C reaches the query at once (DuckDB looks for
        # a signal only now and then, and not at all inside some operators)
        query = prepare(con, expr)
        with meanwhile(con, query.run) as running:
            table = running.result()
        return query.result(table)
    except Exception as e:
        _raise_as_ours(e)
        raise


def _unreadable(e: BaseException) -> InputError:
    from infercost.errors import engine_text

    return InputError(f"cannot read the input: {engine_text(e)}", "usage")


def _raise_as_ours(e: Exception) -> None:
    """An engine's error as this package raises it: Ctrl-C stopping a query (DuckDB
    raises RuntimeError) as KeyboardInterrupt, which no `except Exception` fallback can
    take for a fault; input the engine cannot read as InputError; anything else not."""
    from infercost.errors import raise_if_interrupt

    raise_if_interrupt(e)
    if engine_error(e):
        raise _unreadable(e) from None


@dataclass
class Prepared:
    """A query made ready on the calling thread, to be run on another (`run`: the
    engine alone, no Ibis code, which is not safe to use from two threads at once) and
    turned into the result `to_arrow` gives back on the calling thread (`result`). On
    Spark, `run` is `to_arrow` itself (nothing there runs on two threads)."""

    con: Any
    expr: Any
    relation: Any = None

    def run(self) -> Any:
        """The engine's Arrow table. Raises InputError as `to_arrow` does."""
        if self.relation is None:
            return to_arrow(self.con, self.expr)
        try:
            return self.relation.to_arrow_table()
        except Exception as e:
            _raise_as_ours(e)
            raise

    def result(self, table: Any) -> Any:
        """`run`'s table as `to_arrow(con, expr)` returns it (types as Ibis states them)."""
        if self.relation is None:
            return table
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        return self.expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)


@contextmanager
def meanwhile(con: Any, fn: Callable[..., Any], *args: Any) -> Iterator[Future]:
    """`fn(*args)` on a worker thread (give it `Prepared.run` work: no Ibis code) while
    the `with` block runs on this one; yields its Future. Leaving the block waits for
    the worker; Ctrl-C (`errors.is_interrupt`) first stops the query `con` is running
    (DuckDB) or the session's jobs (Spark)."""
    with ThreadPoolExecutor(1, thread_name_prefix="infercost-engine") as pool:
        running = pool.submit(fn, *args)
        try:
            yield running
        except BaseException as e:
            from infercost.errors import is_interrupt

            if is_interrupt(e):
                _stop_queries(con)
            raise


def _stop_queries(con: Any) -> None:
    """Stop what `con` is running: DuckDB's query, or the Spark session's jobs."""
    if backend_name(con) == "duckdb":
        con.con.interrupt()
        return
    try:
        con._session.sparkContext.cancelAllJobs()
    except Exception:  # noqa: BLE001 (the JVM may be going away already)
        pass


def prepare(con: Any, expr: Any) -> Prepared:
    """`expr` compiled (and bound by DuckDB) now, run later by `Prepared.run`."""
    if backend_name(con) != "duckdb":
        return Prepared(con, expr)
    # (the Ibis DuckDB backend's own first half of to_pyarrow: registers in-memory
    # tables, compiles, and binds the query to a relation; the second half is run/result)
    return Prepared(con, expr, con._to_duckdb_relation(expr))


def engine_error(e: BaseException) -> bool:
    """Whether `e` was raised by the backend's engine (DuckDB or Spark) running a query,
    not by Python code around it (nor by Ctrl-C stopping the query)."""
    from infercost.errors import is_interrupt

    mod = type(e).__module__ or ""
    return mod.startswith(("duckdb", "_duckdb", "pyspark", "py4j")) and not is_interrupt(e)


def write_parquet(con: Any, expr: Any, path: Path) -> None:
    """Stream `expr` into one Parquet file (DuckDB writes in parallel, Spark in batches).
    Raises InputError, as `to_arrow` does, for input the engine cannot read."""
    try:
        _write_parquet(con, expr, path)
    except Exception as e:
        _raise_as_ours(e)
        raise


def _write_parquet(con: Any, expr: Any, path: Path) -> None:
    if backend_name(con) == "duckdb":  # Ibis's own COPY, run on a worker (see to_arrow)
        con._run_pre_execute_hooks(expr)
        copy = (f"COPY ({con.compile(expr)}) TO {str(path)!r} "
                "(FORMAT 'parquet', COMPRESSION 'zstd')")
        with meanwhile(con, con.con.execute, copy) as running:
            running.result()
        return
    import pyarrow.parquet as pq

    writer = None
    try:
        for batch in con.to_pyarrow_batches(expr):
            if writer is None:
                writer = pq.ParquetWriter(str(path), batch.schema, compression="zstd")
            writer.write_batch(batch)
        if writer is None:
            import pyarrow as pa

            schema = expr.schema().to_pyarrow()
            pq.write_table(pa.Table.from_batches([], schema=schema), str(path))
    finally:
        if writer is not None:
            writer.close()

