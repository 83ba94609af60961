"""The named database sources the app may read, as the operator lists them in a TOML file (FUNNEL_SOURCES).

No browser control may name a server path or a URL: the user picks a source by its name and a table from the list
this module gives, and only this module ever sees the URL. A URL's password is refused; a password comes from an
environment variable named in the file (`password_env`) or is typed in the app (`ask_password`). Messages name the
source, never its URL, path, host or password.

    [sources.warehouse]
    url = "postgresql://analyst@db.internal:5432/sales"   # or duckdb:///srv/x.duckdb, a Parquet path, sc://host:port
    tables = ["invoice_lines", "v_sales_2026"]            # optional allow-list (tables or views)
    password_env = "WAREHOUSE_PASSWORD"                    # optional; or ask_password = true
    engine = "duckdb"                                      # optional: "spark" reads a Parquet path on Spark
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from funnel.engine import DuckDBEngine, Engine, PostgresEngine, SparkEngine, parquet_relation, quote
from funnel.errors import FunnelError

ENV = "FUNNEL_SOURCES"
KEYS = frozenset({"url", "tables", "password_env", "ask_password", "engine"})
ENGINES = ("duckdb", "spark")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,60}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
MAX_TABLES = 5_000  # tables offered in the list (a warehouse may have more; the allow-list picks them)


@dataclass(frozen=True)
class CatalogSource:
    """One named source: where it is (never shown), which tables it offers, where its password comes from."""

    name: str
    url: str
    tables: tuple[str, ...] = ()
    password_env: str | None = None
    ask_password: bool = False
    engine: str = "duckdb"

    @property
    def kind(self) -> str:
        """'postgres', 'duckdb', 'spark' (sc://) or 'parquet' (a Parquet file or folder)."""
        if self.url.startswith(("postgresql://", "postgres://")):
            return "postgres"
        if self.url.startswith("duckdb://"):
            return "duckdb"
        if self.url.startswith("sc://"):
            return "spark"
        return "parquet"

    @property
    def needs_password(self) -> bool:
        """True when the app must show a password field for this source."""
        return self.ask_password


def _fail(key: str, name: str = "", **params: object) -> FunnelError:
    return FunnelError(key, name=name, **params)


def parse_catalog(text: str) -> dict[str, CatalogSource]:
    """The sources of a catalog's TOML text, by name; each mistake is a FunnelError naming the source and what is
    wrong (never the URL)."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FunnelError("catalog_bad_toml", detail=str(exc).splitlines()[0][:120]) from None
    unknown = sorted(set(data) - {"sources"})
    if unknown:
        raise FunnelError("catalog_unknown_section", keys=", ".join(unknown))
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise FunnelError("catalog_no_sources")
    return {name: _source(name, entry) for name, entry in sources.items()}


def _source(name: str, entry: object) -> CatalogSource:
    """One [sources.NAME] table, checked."""
    if not _NAME.match(name):
        raise _fail("catalog_bad_name")
    if not isinstance(entry, dict):
        raise _fail("catalog_not_a_table", name)
    unknown = sorted(set(entry) - KEYS)
    if unknown:
        raise _fail("catalog_unknown_key", name, keys=", ".join(unknown))
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise _fail("catalog_missing_url", name)
    url = url.strip()
    if url.startswith(("postgresql://", "postgres://")):
        try:
            parts = urlsplit(url)
            password, _ = parts.password, parts.port  # a port that is not a number is a ValueError here
        except ValueError:
            raise _fail("catalog_bad_url", name) from None
        if password is not None:
            raise _fail("catalog_password_in_url", name)
    elif "://" in url and not url.startswith(("duckdb://", "sc://")):
        raise _fail("catalog_bad_url", name)
    tables = entry.get("tables", [])
    if not isinstance(tables, list) or not all(isinstance(t, str) and t.strip() for t in tables):
        raise _fail("catalog_bad_tables", name)
    password_env = entry.get("password_env")
    if password_env is not None and (not isinstance(password_env, str) or not _ENV_NAME.match(password_env)):
        raise _fail("catalog_bad_password_env", name)
    ask = entry.get("ask_password", False)
    if not isinstance(ask, bool):
        raise _fail("catalog_bad_ask_password", name)
    if ask and password_env:
        raise _fail("catalog_two_passwords", name)
    engine = entry.get("engine", "duckdb")
    if engine not in ENGINES:
        raise _fail("catalog_bad_engine", name, engines=", ".join(ENGINES))
    source = CatalogSource(name, url, tuple(t.strip() for t in tables), password_env, ask, engine)
    if (password_env or ask) and source.kind != "postgres":
        raise _fail("catalog_password_not_used", name)
    if engine == "spark" and source.kind != "parquet":
        raise _fail("catalog_spark_needs_parquet", name)
    return source


def load_catalog(path: str | None = None) -> dict[str, CatalogSource]:
    """The sources listed in the file FUNNEL_SOURCES names (none when it is not set); an unreadable file is one
    sentence that does not say where the file is."""
    path = path if path is not None else os.environ.get(ENV)
    if not path:
        return {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise FunnelError("catalog_unreadable") from None
    return parse_catalog(text)


def _password(source: CatalogSource, typed: str | None) -> str | None:
    """The password to connect with: typed (ask_password), from the named variable, else the engine's default."""
    if source.ask_password:
        if not typed:
            raise _fail("catalog_password_needed", source.name)
        return typed
    if source.password_env:
        value = os.environ.get(source.password_env)
        if not value:
            raise _fail("catalog_password_env_unset", source.name, env=source.password_env)
        return value
    return None


def _named(exc: FunnelError, name: str) -> FunnelError:
    """The engine's error with the source's name where it would name a host, file or URL."""
    for key in ("where", "source", "path"):
        if key in exc.params:
            exc.params[key] = name
    return exc


def connect(source: CatalogSource, password: str | None = None) -> Engine:
    """An engine on the source, read-only: PostgreSQL in read-only transactions, a DuckDB file opened read-only, a
    Parquet path on DuckDB (reading files) or Spark, Spark Connect."""
    secret = _password(source, password)
    try:
        if source.kind == "postgres":
            return PostgresEngine(source.url, password=secret)
        if source.kind == "duckdb":
            path = source.url.removeprefix("duckdb://")
            if not Path(path).is_file():
                raise _fail("catalog_source_missing", source.name)
            return DuckDBEngine(path, read_only=True)
        if source.kind == "spark":
            return SparkEngine(remote=source.url)
        if not Path(source.url).exists():
            raise _fail("catalog_source_missing", source.name)
        return SparkEngine() if source.engine == "spark" else DuckDBEngine(files=True)
    except FunnelError as exc:
        raise _named(exc, source.name) from None


def list_tables(source: CatalogSource, engine: Engine) -> list[str]:
    """The tables and views the user may choose: the allow-list when there is one, else what the engine lists (a
    Parquet source is one table, named after its file)."""
    if source.kind == "parquet":
        return [Path(source.url).name]
    if source.tables:
        return list(source.tables)
    try:
        return [".".join(parts) for parts in engine.table_names()][:MAX_TABLES]
    except FunnelError as exc:
        raise _named(exc, source.name) from None


def table_relation(source: CatalogSource, engine: Engine, table: str) -> str:
    """The SQL relation of a table the list offers (anything else is refused): quoted identifiers, or the Parquet
    reader over the source's own path; a name is never SQL text."""
    if source.kind == "parquet":
        path = Path(source.url)
        if table != path.name:
            raise _fail("catalog_table_not_listed", source.name)
        return parquet_relation(engine, path)
    if source.tables:
        if table not in source.tables:
            raise _fail("catalog_table_not_listed", source.name)
        parts = tuple(p for p in table.split(".") if p) or (table,)
    else:
        try:
            found = {".".join(p): p for p in engine.table_names()}
        except FunnelError as exc:
            raise _named(exc, source.name) from None
        if table not in found:
            raise _fail("catalog_table_not_listed", source.name)
        parts = found[table]
    return ".".join(quote(p) for p in parts)
