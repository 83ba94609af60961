"""Where the sales lines come from: a file, Parquet, a DuckDB file, PostgreSQL or Spark — one `SalesSource` each.

A file is read and checked as before (`load.load_sales`) and its lines handed to an in-memory DuckDB table; a
Parquet file or folder is read by DuckDB (or Spark) without loading rows into Python; a database table is
classified row by row in SQL (`table_rows`). Either way the analyses see a `Lines` relation and the CLI and app
see the same row account: rows read, used, and left out per reason.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from funnel.engine import (
    DuckDBEngine,
    Engine,
    Lines,
    PostgresEngine,
    SparkEngine,
    connect_where,
    date_span,
    lines_table,
    parquet_relation,
    quote,
)
from funnel.errors import FunnelError
from funnel.i18n import t
from funnel.schema import REASONS, Mapping, SalesData

FILE_SUFFIXES: tuple[str, ...] = (".xlsx", ".xls", ".csv", ".txt", ".tsv")
URL_SCHEMES: tuple[str, ...] = ("duckdb://", "postgresql://", "postgres://", "sc://")


@dataclass
class SalesSource:
    """The usable sales lines of a source as an engine relation, with the row account and column mapping."""

    lines: Lines
    rows_read: int
    reasons: dict[str, int]
    mapping: Mapping
    name: str
    dated_lines: int = 0
    sales: SalesData | None = None  # the file's checked lines, when the source is a file
    engine: Engine | None = field(default=None, repr=False)
    found: dict = field(default_factory=dict)  # a table's columns with their evidence (from a sample of rows)
    parsed_in_sql: tuple[str, ...] = ()  # text columns with too many distinct values for the file's parsers

    @property
    def rows_used(self) -> int:
        return self.rows_read - sum(self.reasons.values())

    @property
    def rows_left_out(self) -> int:
        return sum(self.reasons.values())

    @property
    def has_dates(self) -> bool:
        return self.mapping.date is not None and self.dated_lines > 0

    @property
    def detections(self) -> dict:
        """The evidence behind each column found (files; a table's columns are found by their names)."""
        return self.sales.detections if self.sales is not None else self.found

    @property
    def derived_amount(self) -> bool:
        """True when the amount is quantity × unit price."""
        if self.sales is not None:
            return bool(self.sales.derived_amount)
        return self.mapping.derived

    def where(self, products: list[str] | None = None, start: object = None, end: object = None) -> Lines:
        """The lines of the chosen products and period; a period asked of a source without dates is an error."""
        if (start is not None or end is not None) and self.rows_used and not self.has_dates:
            raise FunnelError("period_needs_dates", flag="--date-col")
        return self.lines.where(products, start, end)

    @property
    def is_table(self) -> bool:
        """True when the lines stay in a database or Parquet (only aggregates are fetched), False for a file."""
        return self.sales is None

    @functools.cached_property
    def span(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """(first, last) date of the usable lines (one small query), or (None, None) when none is dated."""
        return date_span(self.lines)

    def days(self) -> pd.Series:
        """The distinct dates the lines are on (one query; bounded by the number of days), for choosing periods."""
        frame = self.lines.fetch("SELECT DISTINCT date FROM {lines} AS l WHERE date IS NOT NULL")
        return pd.to_datetime(frame["date"]).sort_values().reset_index(drop=True)

    @functools.cached_property
    def products(self) -> list[str]:
        """The products present (one small query; bounded by the number of products)."""
        frame = self.lines.fetch("SELECT DISTINCT product FROM {lines} AS l")
        return sorted(str(p) for p in frame["product"])

    def close(self) -> None:
        """Release the engine connection (files: nothing to release)."""
        if self.engine is not None:
            self.engine.close()


def is_table_source(spec: str) -> bool:
    """True for a URL or a Parquet file or folder (anything not read as a spreadsheet)."""
    if spec.startswith(URL_SCHEMES):
        return True
    path = Path(spec)
    return path.suffix.lower() == ".parquet" or path.is_dir()


def open_source(
    spec: str,
    table: str | None = None,
    engine: str = "duckdb",
    sheet: str | None = None,
    overrides: dict[str, str | None] | None = None,
    prompt: bool = False,
    derive_amount: bool = True,
) -> SalesSource:
    """Open a path (xlsx/xls/csv, .parquet or a folder of Parquet) or a URL (duckdb:///f.duckdb,
    postgresql://user@host:port/db, sc://host:port) and account for its rows; a source none of whose rows is
    usable is an error naming the reasons (never an empty funnel with a success)."""
    return usable(_open(spec, table, engine, sheet, overrides, prompt, derive_amount))


def usable(source: SalesSource) -> SalesSource:
    """The source, unless none of its rows is usable: then an error naming the reasons (its engine released)."""
    if source.rows_read and not source.rows_used:
        source.close()
        raise FunnelError(
            "source_nothing_usable",
            rows=f"{source.rows_read:,}",
            reasons=lambda lang: "; ".join(f"{t('reason_' + k, lang)}: {n:,}" for k, n in source.reasons.items()),
        )
    return source


def _open(
    spec: str,
    table: str | None,
    engine: str,
    sheet: str | None,
    overrides: dict[str, str | None] | None,
    prompt: bool,
    derive_amount: bool,
) -> SalesSource:
    """open_source without the usable-rows check."""
    if is_table_source(spec):
        db, relation, name = open_table(spec, table, engine, prompt)
        return _guarded(db, lambda: table_source(db, relation, overrides, name, derive_amount))
    path = Path(spec)
    if not path.exists():
        raise FunnelError("cli_file_not_found", path=spec)
    if engine != "duckdb":
        raise FunnelError("engine_spark_needs_parquet")
    return file_source(path, sheet, overrides, derive_amount)


def open_table(spec: str, table: str | None, engine: str = "duckdb", prompt: bool = False) -> tuple[Engine, str, str]:
    """(engine, relation, name) of a table source: a URL with --table, or a Parquet file or folder."""
    if spec.startswith(("postgresql://", "postgres://")):
        if not table:
            raise FunnelError("engine_needs_table", source="postgresql")
        return PostgresEngine(spec, prompt=prompt), table_name(table), spec.split("@")[-1]
    if spec.startswith("duckdb://"):
        path = spec.removeprefix("duckdb://")
        if not table:
            raise FunnelError("engine_needs_table", source="duckdb")
        if not Path(path).is_file():
            raise FunnelError("cli_file_not_found", path=path)
        return DuckDBEngine(path, read_only=True), table_name(table), Path(path).name
    if spec.startswith("sc://"):
        if not table:
            raise FunnelError("engine_needs_table", source="spark")
        return SparkEngine(remote=spec), table_name(table, spark=True), connect_where(spec)
    path = Path(spec)
    if not path.exists():
        raise FunnelError("cli_file_not_found", path=spec)
    db = SparkEngine() if engine == "spark" else DuckDBEngine(files=True)
    return db, _guarded(db, lambda: parquet_relation(db, path)), path.name


def _guarded(db: Engine, build) -> SalesSource:
    try:
        return build()
    except BaseException:
        db.close()
        raise


def table_name(name: str, spark: bool = False) -> str:
    """`schema.table` (or `table`) as quoted identifiers: a name is never SQL text."""
    parts = [p for p in name.split(".") if p]
    if not parts or len(parts) > 3:
        raise FunnelError("engine_missing_table", detail=name)
    return ".".join(quote(p) for p in parts)


def file_source(
    path: Path, sheet: str | None, overrides: dict[str, str | None] | None, derive_amount: bool = True
) -> SalesSource:
    """A spreadsheet or CSV: read (in a worker process) and checked in Python, its lines handed to the in-memory
    engine."""
    from funnel.load import load_sales, report_file

    sales = load_sales(report_file(path), path.name, sheet, overrides, derive_amount)
    dated = int(sales.lines["date"].notna().sum()) if len(sales.lines) else 0
    return SalesSource(
        lines_table(sales.lines), sales.rows_read, dict(sales.reasons), sales.mapping, path.name, dated, sales
    )


SAMPLE_ROWS = 5_000


def detect_table_mapping(db: Engine, relation: str) -> tuple[Mapping, dict]:
    """The column roles of a table by the same rules as a file's: headers, and values from a sample of its rows."""
    from funnel.schema import detect_sales

    sample = db.fetch(f"SELECT * FROM {relation} AS t LIMIT {SAMPLE_ROWS}")
    return detect_sales(sample.astype("object").where(sample.notna(), None))


def table_source(
    db: Engine,
    relation: str,
    overrides: dict[str, str | None] | None,
    name: str,
    derive_amount: bool = True,
    detected: tuple[Mapping, dict] | None = None,
    chosen_mapping: Mapping | None = None,
) -> SalesSource:
    """A table (or Parquet) in an engine: detect columns, classify every row in SQL, count per reason; text dates
    and amounts parsed from their distinct values by the file path's own functions (`table_rows.value_lookups`).
    `detected` saves the detection query when the caller has it; `chosen_mapping` is a whole mapping chosen in
    the app's panel (every role as chosen, none left to detection)."""
    from funnel.schema import cli_option, low_confidence
    from funnel.table_rows import classified_sql, value_lookups

    kinds = db.columns(relation)
    columns = list(kinds)
    mapping, found = detected or detect_table_mapping(db, relation)
    mapping = replace(mapping, derive_amount=derive_amount)
    chosen = {role for role, column in (overrides or {}).items() if column is not None}
    for role in chosen:
        mapping = mapping.with_role(role, overrides[role])
    if chosen_mapping is not None:
        mapping = chosen_mapping
        chosen = {role for role, column in mapping.as_dict().items() if column is not None}
    for role, column in mapping.as_dict().items():
        if column is not None and column not in kinds:
            raise FunnelError("schema_unknown_column", role=(f"role_{role}",), column=column, flag=cli_option(role))
    missing = mapping.missing()
    if missing:
        raise FunnelError(
            "schema_missing_columns",
            roles=tuple(f"role_{r}" for r in missing),
            columns="、".join(columns),
            flags=" ".join(cli_option(r) for r in missing),
        )
    doubtful = [r for r in low_confidence(mapping, found) if r not in chosen]
    if doubtful:
        raise FunnelError(
            "schema_low_confidence",
            roles=tuple(f"role_{r}" for r in doubtful),
            evidence=lambda lang: "; ".join(found[r].sentence(lang) for r in doubtful),
            flags=" ".join(cli_option(r) for r in doubtful),
        )
    lookups = value_lookups(db, relation, kinds, mapping)
    classified = db.stage(classified_sql(relation, kinds, mapping, lookups), "funnel_rows")
    account = db.fetch(
        f"SELECT reason, COUNT(*) AS n, COUNT(date) AS dated FROM {classified} AS c GROUP BY reason", lookups.params
    )
    counts = {r.reason: int(r.n) for r in account.itertuples(index=False) if r.reason is not None}
    used = account[account["reason"].isna()]
    lines = Lines(
        db, f"SELECT * FROM {classified} AS c WHERE reason IS NULL", lookups.params, {}, mapping.order is not None
    )
    return SalesSource(
        lines,
        int(account["n"].sum()),
        {code: counts[code] for code in REASONS if counts.get(code)},
        mapping,
        name,
        int(used["dated"].sum()) if len(used) else 0,
        engine=db,
        found={role: d for role, d in found.items() if getattr(mapping, role, None) == d.column},
        parsed_in_sql=lookups.in_sql,
    )
