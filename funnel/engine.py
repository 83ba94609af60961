"""The query layer: one SQL text per analysis, written once (DuckDB dialect) and run on DuckDB, PostgreSQL or Spark.

Why plain SQL through sqlglot rather than Ibis (measured on this machine, 12k lines, per-customer totals with a
window and a "main product" pick): sqlglot transpiles a query to PostgreSQL and Spark in ~4 ms once, and the text
is cached, so every later run costs only the engine's own time (DuckDB ~18 ms here); an Ibis expression costs
21 ms (DuckDB) to 37 ms (PostgreSQL) to build and compile on *every* run, adds 0.4 s to start-up, and its PySpark
backend has no "mode" aggregate. Values are always bound parameters (`:name`, rendered as `$name`, `%(name)s` or
`:name` per engine), identifiers always quoted, so a product called `x' OR '1'='1` is data.

Money is integer cents; sums are taken over DECIMAL(38, 0), exact on every engine (DuckDB's 128-bit decimal,
PostgreSQL numeric, Spark decimal), and come back as int64 (a clear error if a sum could not fit).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from funnel.errors import FunnelError

DIALECTS: tuple[str, ...] = ("duckdb", "postgres", "spark")
STATEMENT_TIMEOUT_S = 120  # a query running longer is cancelled with a clear message (FUNNEL_QUERY_SECONDS)
_PG_PERCENT = re.compile(r"%(?!\(\w+\)s)")


@functools.lru_cache(maxsize=256)
def compile_sql(sql: str, dialect: str) -> str:
    """The query in the engine's dialect (cached: the same analysis text compiles once per engine). The text is
    written in DuckDB's dialect, so DuckDB runs it as it is (no parse: 0.1-0.7 s less for a file's first query)."""
    if dialect == "duckdb":
        return _duckdb_parameters(sql)
    import sqlglot

    out = sqlglot.transpile(sql, read="duckdb", write=dialect)[0]
    if dialect == "postgres":  # psycopg reads % as a parameter marker
        out = _PG_PERCENT.sub("%%", out)
    return out


_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|(?<![\w:]):([A-Za-z_]\w*)")


def _duckdb_parameters(sql: str) -> str:
    """`:name` parameters as DuckDB writes them (`$name`), leaving quoted text, identifiers and `::` casts alone."""
    return _TOKENS.sub(lambda m: f"${m.group(1)}" if m.group(1) else m.group(0), sql)


def quote(name: str) -> str:
    """An identifier quoted for the DuckDB dialect (transpiled to each engine's quoting)."""
    return '"' + str(name).replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string constant of our own (never user data: that goes in as a parameter)."""
    return "'" + str(text).replace("'", "''") + "'"


@dataclass(frozen=True)
class Relation:
    """A query on an engine: `sql` is a SELECT, `params` its bound values, `tables` the in-memory Arrow tables it
    names (DuckDB only). Analyses build on it and fetch only small results."""

    engine: Engine
    sql: str
    params: Mapping[str, object] = field(default_factory=dict)
    tables: Mapping[str, pa.Table] = field(default_factory=dict)

    def fetch(self, query: str, params: Mapping[str, object] | None = None) -> pd.DataFrame:
        """Run `query`, in which `{lines}` stands for this relation, and return the (small) result."""
        sql = query.replace("{lines}", f"({self.sql})")
        return self.engine.fetch(sql, {**self.params, **(params or {})}, self.tables)

    def derive(self, query: str, params: Mapping[str, object] | None = None) -> Relation:
        """A relation built on this one: `query` names it as `{lines}`; its parameters join this one's."""
        sql = query.replace("{lines}", f"({self.sql})")
        return Relation(self.engine, sql, {**self.params, **(params or {})}, self.tables)


@dataclass(frozen=True)
class Lines(Relation):
    """A relation of sales lines on an engine: `sql` is a SELECT with the canonical line columns
    (customer_key, customer, product, amount_cents, date, region, rep, order, seq) and `params` its bound values;
    `seq` orders the lines as the source had them (NULL where a table has no order)."""

    has_orders: bool = True  # False when no line has an order number: a query can skip counting them

    def where(self, products: Iterable[str] | None = None, start: object = None, end: object = None) -> Lines:
        """The lines of the chosen products (None or empty: all) dated within [start, end] (None: open)."""
        conditions, params = [], dict(self.params)
        products = list(products or [])
        if products:
            names = [f"product_{len(params)}_{i}" for i in range(len(products))]
            params.update(zip(names, (str(p) for p in products), strict=True))
            conditions.append("product IN (" + ", ".join(f":{n}" for n in names) + ")")
        for name, op, value in (("start", ">=", start), ("end", "<=", end)):
            if value is not None:
                key = f"{name}_{len(params)}"
                params[key] = pd.Timestamp(value).date()
                conditions.append(f"date {op} :{key}")
        if not conditions:
            return self
        sql = f"SELECT * FROM ({self.sql}) AS l WHERE " + " AND ".join(conditions)
        return Lines(self.engine, sql, params, self.tables, self.has_orders)


class Engine:
    """A connection to one engine; `fetch` runs a DuckDB-dialect query with bound parameters."""

    dialect = "duckdb"

    def fetch(
        self, sql: str, params: Mapping[str, object] | None = None, tables: Mapping[str, pa.Table] | None = None
    ) -> pd.DataFrame:
        """Run a DuckDB-dialect query (compiled for this engine) with bound parameters; the result as pandas."""
        if tables and self.dialect != "duckdb":  # pragma: no cover - a programming error
            raise ValueError("in-memory tables need the DuckDB engine")
        return arrow_frame(self.fetch_arrow(compile_sql(sql, self.dialect), dict(params or {}), dict(tables or {})))

    def fetch_arrow(self, sql: str, params: dict[str, object], tables: dict[str, pa.Table]) -> pa.Table:
        raise NotImplementedError  # pragma: no cover - abstract

    def columns(self, relation: str) -> dict[str, str]:
        """Column name → kind ('number', 'text', 'date', 'other') of a relation, without reading rows."""
        raise NotImplementedError  # pragma: no cover - abstract

    def stage(self, sql: str, name: str) -> str:
        """A relation to build later queries on: the query itself (as a subquery) unless the engine keeps it.

        DuckDB streams the subquery (a 2M-row Parquet band funnel: 23 s, 235 MB peak); keeping the rows as a table
        was faster (14 s) but peaked at 374 MB, too close to the 400 MB bound."""
        return f"({sql})"

    def keep(self, relation: Relation, name: str) -> Relation:
        """A relation several later queries read: as it is, unless the engine keeps it (see `stage`)."""
        return relation

    def lookup(self, name: str, frame: pd.DataFrame) -> tuple[str, dict[str, object]]:
        """A small table decided in Python (a raw text → its parsed value) for the SQL to join, every column as text
        (NULL where missing): here one array parameter per column, unnested (a read-only PostgreSQL session may
        create no temporary table, and one parameter per value would meet its 65,535-parameter limit)."""
        params: dict[str, object] = {}
        columns = []
        for column in frame.columns:
            key = f"{name}_{column}"
            params[key] = _texts(frame[column])
            columns.append(f"UNNEST(CAST(:{key} AS VARCHAR[])) AS {quote(str(column))}")
        return f"(SELECT {', '.join(columns)})", params

    def table_names(self) -> list[tuple[str, ...]]:
        """The tables and views a user may read, each as its name parts (schema, name), or (name,) in the default
        schema: the parts are quoted one by one (`table_relation`), so a dot or quote in a name stays data."""
        raise NotImplementedError  # pragma: no cover - abstract

    def interrupt(self) -> None:
        """Cancel the queries running on this engine now (from another thread); the engine stays usable."""

    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _texts(values: pd.Series) -> list[str | None]:
    """A lookup column as text (None where missing)."""
    return [None if v is None or v is pd.NaT or (isinstance(v, float) and v != v) else str(v) for v in values]


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An engine's Arrow result as pandas: exact decimals (cents sums) as int64, dates as datetime64."""
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_decimal(kind):
            if kind.scale == 0:
                try:
                    column = column.cast(pa.int64())
                except pa.ArrowInvalid as exc:
                    raise FunnelError("engine_sum_overflow", column=name) from exc
            else:
                column = column.cast(pa.float64())
        elif pa.types.is_integer(kind) and kind.bit_width > 64:  # pragma: no cover - not produced by our SQL
            column = column.cast(pa.int64())
        columns[name] = column
    frame = pa.table(columns).to_pandas(date_as_object=False, types_mapper=None)
    for name in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[name].dtype):
            frame[name] = frame[name].astype("datetime64[ns]")
    return frame


def _kind(type_name: str) -> str:
    name = type_name.lower()
    if any(k in name for k in ("date", "timestamp")):
        return "date"
    if any(k in name for k in ("char", "text", "string", "varchar")):
        return "text"
    if any(k in name for k in ("int", "decimal", "numeric", "double", "float", "real", "long", "short", "byte")):
        return "number"
    return "other"


class DuckDBEngine(Engine):
    """Embedded DuckDB: in memory (uploaded files, Parquet) or a database file opened read-only."""

    dialect = "duckdb"

    def __init__(self, path: str | None = None, read_only: bool = True, files: bool = False) -> None:
        """`path`: a database file (opened read-only); else in memory, reading files only when `files` is set
        (Parquet sources): the engine of uploaded data cannot be made to read the server's files."""
        import duckdb

        self._lock = threading.Lock()
        self._running: set = set()  # the cursors with a query under way (interrupt stops them)
        self.path = path
        self.tables: dict[str, pa.Table] = {}
        try:
            import os
            import tempfile

            config = {
                "enable_external_access": bool(path) or files,
                # bounded memory: big aggregations spill to a temporary folder instead of growing the process.
                # DuckDB's own buffers are not all counted against the limit: with 256MB a 2M-line Parquet table with
                # an invoice number per line peaked at 447 MB in all, with 160MB at 360 MB (and ran no slower)
                "memory_limit": os.environ.get("FUNNEL_DUCKDB_MEMORY", "160MB"),
                "temp_directory": os.path.join(tempfile.gettempdir(), f"funnel-duckdb-{os.getpid()}"),
                "preserve_insertion_order": False,  # set at connect: one statement less to run at every start
            }
            if not path and not files:  # a file's lines (≤ the reader's row limit): one thread costs less CPU
                config["threads"] = 1  # (a 300k-line band funnel: 0.12 s against 0.16 s on two threads)
            self.con = duckdb.connect(path or ":memory:", read_only=bool(path) and read_only, config=config)
        except duckdb.Error as exc:
            raise FunnelError("engine_open_failed", source=path or ":memory:", detail=_first_line(exc)) from exc
        self.spill_folder = str(config["temp_directory"])

    def fetch_arrow(self, sql: str, params: dict[str, object], tables: dict[str, pa.Table]) -> pa.Table:
        import duckdb

        try:
            with self._lock:
                cursor = self.con.cursor()  # its own registrations: concurrent app sessions never see each other's
                self._running.add(cursor)
            try:
                for name, table in {**self.tables, **tables}.items():
                    cursor.register(name, table)
                result = cursor.sql(sql, params=params or None).to_arrow_table()
            finally:
                with self._lock:
                    self._running.discard(cursor)
                cursor.close()
        except duckdb.Error as exc:
            raise engine_error(exc) from exc
        return result

    def lookup(self, name: str, frame: pd.DataFrame) -> tuple[str, dict[str, object]]:
        """The lookup as an Arrow table this engine's queries can name (no parameters, no size limit)."""
        self.tables[name] = pa.table({str(c): pa.array(_texts(frame[c]), type=pa.string()) for c in frame.columns})
        return name, {}

    def register(self, name: str, table: pa.Table) -> None:
        """An Arrow table every query of this engine can name (an engine of its own, e.g. in tests)."""
        self.tables[name] = table

    def columns(self, relation: str) -> dict[str, str]:
        frame = self.fetch(f"DESCRIBE SELECT * FROM {relation}")
        return {str(r.column_name): _kind(str(r.column_type)) for r in frame.itertuples(index=False)}

    def table_names(self) -> list[tuple[str, ...]]:
        frame = self.fetch(
            """SELECT schema_name AS schema, table_name AS name FROM duckdb_tables()
               WHERE NOT internal AND NOT temporary
               UNION ALL
               SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"""
        )
        return _table_names(frame, "main")

    def interrupt(self) -> None:
        with self._lock:
            running = list(self._running)
        for cursor in running:
            cursor.interrupt()

    def close(self) -> None:
        self.con.close()


_MEMORY: list[DuckDBEngine] = []  # the process's one in-memory DuckDB; each query runs on its own cursor
_MEMORY_LOCK = threading.Lock()


def memory_engine() -> DuckDBEngine:
    """The in-process DuckDB for in-memory tables (uploaded files, per-customer totals)."""
    with _MEMORY_LOCK:
        if not _MEMORY:
            _MEMORY.append(DuckDBEngine())
        return _MEMORY[0]


def close_memory_engine() -> None:
    """Close the in-process DuckDB, if one was opened (the CLI, before it ends)."""
    with _MEMORY_LOCK:
        while _MEMORY:
            _MEMORY.pop().close()


def memory_engine_spilled() -> bool:
    """True when the in-process DuckDB made its spill folder (closing the engine removes it); with no folder, a
    process about to end at once has nothing to close (closing costs ~3 ms of CPU)."""
    with _MEMORY_LOCK:
        return any(Path(db.spill_folder).exists() for db in _MEMORY)


LINE_COLUMNS: tuple[str, ...] = (
    "customer_key",
    "customer",
    "product",
    "amount_cents",
    "date",
    "region",
    "rep",
    "order",
)


def lines_table(lines: pd.DataFrame | Lines, name: str = "file_lines") -> Lines:
    """The one hand-over from a file's lines table to the engine: an in-memory DuckDB relation over Arrow.

    Every analysis runs on a `Lines` relation; a DataFrame of lines (from `schema.prepare_sales`) becomes one
    here, so a file and a warehouse table go through the same SQL.
    """
    if isinstance(lines, Lines):
        return lines
    n = len(lines)
    arrays: dict[str, pa.Array] = {}
    for column in LINE_COLUMNS:
        if column == "amount_cents":
            arrays[column] = pa.array(lines[column].to_numpy(dtype="int64"))
        elif column == "date":
            dates = lines[column] if column in lines else pd.Series(pd.NaT, index=lines.index)
            arrays[column] = pa.array(pd.to_datetime(dates).astype("datetime64[us]"), from_pandas=True)
        elif column in lines:
            arrays[column] = _text_column(pa.Array.from_pandas(lines[column]))
        else:
            arrays[column] = pa.array([""] * n, type=pa.string())
    arrays["seq"] = pa.array(np.arange(n, dtype="int64"))  # file order: ties in "main product" go to the first seen
    table = pa.table(arrays)
    columns = 'customer_key, customer, product, amount_cents, CAST(date AS DATE) AS date, region, rep, "order", seq'
    has_orders = "order" in lines and _any_text(arrays["order"])
    return Lines(memory_engine(), f"SELECT {columns} FROM {name}", {}, {name: table}, has_orders)


def _any_text(text: pa.Array) -> bool:
    """True when a text column of the lines ('' where missing) holds a non-empty value: on a dictionary column only
    the distinct values are compared (300k order numbers: 0.3 ms, against 4.7 ms for pandas' fillna and compare)."""
    import pyarrow.compute as pc

    if pa.types.is_dictionary(text.type):
        filled = pc.not_equal(text.dictionary, "").fill_null(False)
        return bool(pc.any(filled.take(text.indices)).as_py())
    return bool(pc.any(pc.not_equal(text, "")).as_py())


def _text_column(text: pa.Array) -> pa.Array:
    """A text column of the lines as the engine reads it ('' where missing); a categorical stays dictionary-encoded
    (DuckDB reads it as VARCHAR without the strings being written out once per line: 300k lines, 6 columns, 40 ms)."""
    if pa.types.is_dictionary(text.type) and pa.types.is_string(text.type.value_type) and not text.null_count:
        return text
    return (text if pa.types.is_string(text.type) else text.cast(pa.string())).fill_null("")


def deals_table(frame: pd.DataFrame, name: str = "file_deals", whole: Iterable[str] = ()) -> Relation:
    """The one hand-over of a pipeline's frames to the engine (a file's parsed rows, or the deals a page holds): an
    in-memory DuckDB relation over Arrow. Dates become DATE, text stays text (NULL where missing), `whole` names
    float columns that hold whole numbers with gaps (cents, ppm) and become BIGINT."""
    whole = set(whole)
    arrays = {str(c): _arrow_column(frame[c], c in whole) for c in frame.columns}
    table = pa.table(arrays) if arrays else pa.table({"_": pa.array([], pa.int8())})
    return Relation(memory_engine(), f"SELECT * FROM {name}", {}, {name: table})


def _arrow_column(series: pd.Series, whole: bool) -> pa.Array:
    """One column of a hand-over as Arrow (see deals_table)."""
    kind = series.dtype
    if pd.api.types.is_datetime64_any_dtype(kind):
        stamps = pa.array(pd.to_datetime(series).dt.tz_localize(None).astype("datetime64[ms]"), from_pandas=True)
        return stamps.cast(pa.date32(), safe=False)
    if pd.api.types.is_bool_dtype(kind):
        return pa.array(series.to_numpy(dtype=bool))
    if pd.api.types.is_numeric_dtype(kind):
        values = series.to_numpy(dtype="float64" if whole or not pd.api.types.is_integer_dtype(kind) else "int64")
        if whole:
            missing = np.isnan(values)
            return pa.array(np.where(missing, 0, values).astype("int64"), mask=missing)
        return pa.array(values, from_pandas=True)
    values = series.astype("object")
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or dates among the text: each as written
        text = [None if v is None or (isinstance(v, float) and v != v) or v is pd.NaT else str(v) for v in values]
        return pa.array(text, type=pa.string())


def date_span(lines: pd.DataFrame | Lines) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(first, last) date of the lines, or (None, None) when none is dated."""
    row = lines_table(lines).fetch("SELECT MIN(date) AS first, MAX(date) AS last FROM {lines} AS l").iloc[0]
    first, last = row["first"], row["last"]
    return (None, None) if pd.isna(last) else (pd.Timestamp(first), pd.Timestamp(last))


def query_seconds() -> int:
    """How long one query may run before it is cancelled: FUNNEL_QUERY_SECONDS, else STATEMENT_TIMEOUT_S."""
    import os

    try:
        value = int(os.environ.get("FUNNEL_QUERY_SECONDS", ""))
    except ValueError:
        return STATEMENT_TIMEOUT_S
    return value if value > 0 else STATEMENT_TIMEOUT_S


def _table_names(frame: pd.DataFrame, home: str) -> list[tuple[str, ...]]:
    """(schema, name) rows as name parts: a table in the `home` schema by its name alone."""
    return sorted(
        {(str(r.name),) if str(r.schema) == home else (str(r.schema), str(r.name)) for r in frame.itertuples()}
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def engine_error(exc: BaseException, secret: str | None = None) -> FunnelError:
    """An engine's exception as one clear sentence: missing table or column, timeout, or the engine's own first line.

    A password (`secret`) is never part of the message."""
    text = _first_line(exc)
    if secret:
        text = text.replace(secret, "***")
    low = text.lower()
    name = type(exc).__name__
    cancelled = "statement timeout" in low or "canceling statement" in low or "[operation_canceled]" in low  # Connect
    if cancelled or name in ("QueryCanceled", "InterruptException"):
        return FunnelError("engine_timeout", seconds=query_seconds())
    if (
        name in ("UndefinedTable",)
        or "table_or_view_not_found" in low
        or ("catalog error" in low and "table" in low and "does not exist" in low)
    ):
        return FunnelError("engine_missing_table", detail=text)
    if name in ("UndefinedColumn",) or "unresolved_column" in low or ("binder error" in low and "column" in low):
        return FunnelError("engine_missing_column", detail=text)
    return FunnelError("engine_query_failed", detail=text)


def password_from_environment() -> str | None:
    """The database password from FUNNEL_DB_PASSWORD or PGPASSWORD (never from the URL or the command line)."""
    import os

    return os.environ.get("FUNNEL_DB_PASSWORD") or os.environ.get("PGPASSWORD") or None


class PostgresEngine(Engine):
    """PostgreSQL through psycopg: every transaction read-only, a statement timeout, the password never shown."""

    dialect = "postgres"

    def __init__(self, url: str, password: str | None = None, prompt: bool = False) -> None:
        from urllib.parse import unquote, urlsplit

        import psycopg

        parts = urlsplit(url)
        if parts.password is not None:
            raise FunnelError("engine_password_in_url")
        self.where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
        params = {
            "host": parts.hostname or "localhost",
            "port": parts.port or 5432,
            "dbname": unquote(parts.path.lstrip("/")) or None,
            "user": unquote(parts.username) if parts.username else None,
            "connect_timeout": 10,
            "application_name": "customer-funnel",
            # No nested loops: the planner guesses 200 rows for every grouped CTE and then joins the per-customer
            # picks by nested loops that rescan a subquery once per customer (40,000 customers: minutes instead of
            # seconds); every query here is an aggregate over whole tables, where hash and merge joins are right.
            "options": (
                f"-c default_transaction_read_only=on -c statement_timeout={query_seconds() * 1000} "
                "-c enable_nestloop=off"
            ),
        }
        secret = password if password is not None else password_from_environment()
        try:
            self.con = self._connect(psycopg, params, secret)
        except psycopg.OperationalError as exc:
            if secret is None and prompt and "password" in str(exc).lower():
                import getpass

                secret = getpass.getpass(f"Password for {params['user'] or ''}@{self.where}: ")
                self.con = self._connect(psycopg, params, secret)
            else:
                raise self._connect_error(exc, secret) from None
        self.con.read_only = True
        self._secret = secret
        self._lock = threading.Lock()

    def _connect(self, psycopg, params: dict, secret: str | None):
        try:
            return psycopg.connect(**{k: v for k, v in params.items() if v is not None}, password=secret or None)
        except psycopg.OperationalError as exc:
            if secret is not None and "password" in str(exc).lower():
                raise self._connect_error(exc, secret) from None
            raise

    def _connect_error(self, exc: BaseException, secret: str | None) -> FunnelError:
        text = str(exc).lower()
        if "password" in text or "authentication" in text:
            return FunnelError("engine_bad_password", where=self.where)
        if "timeout" in text or "refused" in text or "could not" in text or "no route" in text:
            return FunnelError("engine_unreachable", where=self.where)
        detail = _first_line(exc).replace(secret, "***") if secret else _first_line(exc)
        return FunnelError("engine_open_failed", source=self.where, detail=detail)

    def fetch_arrow(self, sql: str, params: dict[str, object], tables: dict[str, pa.Table]) -> pa.Table:
        import psycopg

        with self._lock:
            try:
                with self.con.cursor() as cursor:
                    cursor.execute(sql, params)  # always with parameters: '%%' in the text is then a '%'
                    names = [d.name for d in cursor.description or []]
                    rows = cursor.fetchall()
                self.con.rollback()  # nothing to keep: read-only, and no transaction left open
            except psycopg.Error as exc:
                self.con.rollback()
                raise engine_error(exc, self._secret) from None
        return pa.table({name: pa.array([r[i] for r in rows]) for i, name in enumerate(names)})

    def columns(self, relation: str) -> dict[str, str]:
        import psycopg

        sql = compile_sql(f"SELECT * FROM {relation} AS src LIMIT 0", self.dialect)
        with self._lock:
            try:
                with self.con.cursor() as cursor:
                    cursor.execute(sql)
                    out = {}
                    for d in cursor.description or []:
                        info = psycopg.postgres.types.get(d.type_code)
                        out[d.name] = _kind(info.name if info else "other")
                self.con.rollback()
            except psycopg.Error as exc:
                self.con.rollback()
                raise engine_error(exc, self._secret) from None
        return out

    def table_names(self) -> list[tuple[str, ...]]:
        frame = self.fetch(
            """SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
               WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"""
        )
        return _table_names(frame, "public")

    def interrupt(self) -> None:
        import contextlib

        cancel = getattr(self.con, "cancel_safe", None) or self.con.cancel
        with contextlib.suppress(Exception):  # nothing running, or the connection is gone: nothing to cancel
            cancel()

    def close(self) -> None:
        self.con.close()


class SparkEngine(Engine):
    """Spark SQL: local mode by default (small: one core, low memory), a master URL, or Spark Connect (sc://)."""

    dialect = "spark"

    def __init__(self, master: str | None = None, remote: str | None = None) -> None:
        session = spark_session(master, remote)
        # Each engine its own session (over the process's one SparkContext, or a Connect session of its own made by
        # spark_session): temporary views (the Parquet view, the staged rows, lookups) of two app users never meet,
        # and interruptAll cancels only this engine's queries.
        self.session = session if _is_connect(session) else session.newSession()
        self.views: list[str] = []
        self.kept: list = []

    def view(self, name: str, parquet: str) -> str:
        """A temporary view over Parquet files (session-local: nothing is written to a catalog)."""
        try:
            self.session.read.parquet(parquet).createOrReplaceTempView(name)
        except Exception as exc:
            raise engine_error(exc) from None
        self.views.append(name)
        return quote(name)

    def stage(self, sql: str, name: str) -> str:
        """The classified rows as a persisted temporary view: Spark's optimizer would otherwise paste every parsing
        step into every filter above it (an expression tree too deep to plan); persisting also saves a rescan."""
        try:
            frame = self.session.sql(compile_sql(sql, self.dialect)).persist()
            frame.createOrReplaceTempView(name)
        except Exception as exc:
            raise engine_error(exc) from None
        self.views.append(name)
        self.kept.append(frame)
        return quote(name)

    def lookup(self, name: str, frame: pd.DataFrame) -> tuple[str, dict[str, object]]:
        """The lookup as a temporary view of a small DataFrame sent to the session."""
        columns = [str(c) for c in frame.columns]
        rows = list(zip(*(_texts(frame[c]) for c in frame.columns), strict=True))
        schema = ", ".join(f"`{c}` string" for c in columns)
        try:
            self.session.createDataFrame(rows, schema=schema).createOrReplaceTempView(name)
        except Exception as exc:
            raise engine_error(exc) from None
        self.views.append(name)
        return quote(name), {}

    def keep(self, relation: Relation, name: str) -> Relation:
        """The relation as a persisted temporary view (computed once, read by every later query)."""
        try:
            frame = self.session.sql(compile_sql(relation.sql, self.dialect), args=dict(relation.params) or None)
            frame = frame.persist()
            frame.createOrReplaceTempView(name)
        except Exception as exc:
            raise engine_error(exc) from None
        self.views.append(name)
        self.kept.append(frame)
        return Relation(self, f"SELECT * FROM {quote(name)}")

    def fetch_arrow(self, sql: str, params: dict[str, object], tables: dict[str, pa.Table]) -> pa.Table:
        try:
            frame = self.session.sql(sql, args=params or None)
            return frame.toArrow()
        except Exception as exc:
            raise engine_error(exc) from None

    def columns(self, relation: str) -> dict[str, str]:
        sql = compile_sql(f"SELECT * FROM {relation} AS src LIMIT 0", self.dialect)
        try:
            schema = self.session.sql(sql).schema
        except Exception as exc:
            raise engine_error(exc) from None
        return {f.name: _kind(f.dataType.typeName()) for f in schema.fields}

    def table_names(self) -> list[tuple[str, ...]]:
        try:
            found = self.session.catalog.listTables()
        except Exception as exc:
            raise engine_error(exc) from None
        names = set()
        for table in found:
            if table.isTemporary:  # this session's own views (staged rows, lookups): nothing a user chose to share
                continue
            names.add((*[n for n in (table.namespace or []) if n != "default"], table.name))
        return sorted(names)

    def interrupt(self) -> None:
        try:
            if hasattr(self.session, "interruptAll"):  # this session's operations only (Connect; classic since 4.0)
                self.session.interruptAll()
            else:  # classic Spark 3.5: every job of the context
                self.session.sparkContext.cancelAllJobs()
        except Exception:  # nothing to cancel
            pass

    def close(self) -> None:
        import contextlib

        with contextlib.suppress(Exception):  # a server gone away has nothing left to release
            for frame in self.kept:
                frame.unpersist()
            for name in self.views:
                self.session.catalog.dropTempView(name)
        if _is_connect(self.session):  # the server-side session and its channel (Connect: one per engine)
            with contextlib.suppress(Exception):
                self.session.stop()


def parquet_relation(db: Engine, path: Path) -> str:
    """The relation of a Parquet file or folder: a temporary view on Spark, else DuckDB's reader over the file or
    every Parquet file below the folder."""
    if isinstance(db, SparkEngine):
        return db.view("funnel_parquet", str(path))
    target = str(path / "**" / "*.parquet") if path.is_dir() else str(path)
    return f"read_parquet({literal(target)})"


def _is_connect(session: object) -> bool:
    """True for a Spark Connect session (one session per client already; no newSession there)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def spark_session(master: str | None = None, remote: str | None = None):
    """The Spark session: Spark Connect when `remote` (or FUNNEL_SPARK_REMOTE) is set, else `master` (or
    FUNNEL_SPARK_MASTER, default local[1]) with a small driver; reused while the process lives."""
    import os

    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise FunnelError("engine_needs_pyspark") from exc
    _quiet_query_logs()
    remote = remote or os.environ.get("FUNNEL_SPARK_REMOTE")
    if remote:
        return connect_session(remote)
    builder = (
        SparkSession.builder.appName("customer-funnel")
        .master(master or os.environ.get("FUNNEL_SPARK_MASTER") or "local[1]")
        .config("spark.driver.memory", os.environ.get("FUNNEL_SPARK_MEMORY", "512m"))
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    try:
        return builder.getOrCreate()
    except Exception as exc:
        raise FunnelError("engine_unreachable", where=master or "spark") from exc


def _quiet_query_logs() -> None:
    """PySpark logs every failed query's JVM stack to standard error (its query-context loggers); the product says
    what went wrong in one sentence instead (engine_error), so those two loggers are switched off."""
    try:
        from pyspark.logger import PySparkLogger
    except ImportError:  # pragma: no cover - pyspark before 4.0 has no such loggers
        return
    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True


CONNECT_SECONDS = 10  # how long reaching a Spark Connect server may take (its client would retry for 10 minutes)


def connect_where(url: str) -> str:
    """host:port of an sc:// URL, for messages and names: its parameters (a token, a user) are never shown."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 15002}"
    except ValueError:
        return "sc://"


def connect_session(url: str):
    """A new Spark Connect session of its own (never the process's shared one: each engine keeps its temporary
    views and its interruptAll to itself), reached within CONNECT_SECONDS or one sentence saying it was not."""
    import os
    import socket
    import warnings

    where = connect_where(url)
    # gRPC's core logs a failed TLS handshake (a token in the URL means TLS) on standard error, the client warns
    # about pandas 3 on import and about its spent retries: the one sentence says what went wrong instead
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    warnings.filterwarnings("ignore", message=r"\[RETRIES_EXCEEDED\]", category=UserWarning)
    try:
        from pyspark.sql.connect.client.retries import DefaultPolicy
        from pyspark.sql.connect.session import SparkSession as ConnectSession  # needs grpcio & co.
    except ImportError as exc:
        raise FunnelError("engine_needs_spark_connect") from exc
    host, _, port = where.rpartition(":")
    try:  # the client alone would retry an unreachable server with backoff for ten minutes
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except (OSError, ValueError):
        raise FunnelError("engine_unreachable", where=where) from None
    try:
        # Connect's own builder: pyspark.sql's marks the whole process Connect-only (SPARK_CONNECT_MODE_ENABLED), after
        # which a local Spark session (a Parquet source on Spark) cannot start, and it refuses sc:// once a local
        # session runs; both kinds of source live side by side in one app server.
        session = ConnectSession.builder.remote(url).create()
        # a server that goes away later: a few quick retries (about 4 s in all), not ten minutes
        session.client.set_retry_policies([DefaultPolicy(max_retries=4, max_backoff=2_000)])
        # one round trip (the server answers Spark Connect, not just a port); dates and times read as in local mode
        session.conf.set("spark.sql.session.timeZone", "UTC")
    except FunnelError:
        raise
    except Exception:
        raise FunnelError("engine_unreachable", where=where) from None
    return session
