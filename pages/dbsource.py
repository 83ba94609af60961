"""The app's database sources: a source chosen by name (FUNNEL_SOURCES), a table from its list, the same mapping
panel as a file's, and every long query run so that it shows progress and can be cancelled.

Nothing here names a URL, host or path: funnel.catalog keeps them. A typed password is used to connect and is
never put in the state model, the URL, a cache key or a message. Per browser session: one engine per source, the
opened table per (source, table, mapping), and per-customer totals per (source, table, mapping, products, period),
so moving a slider does not query the database again.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from funnel.catalog import CatalogSource, connect, list_tables, load_catalog, table_relation
from funnel.engine import Engine
from funnel.errors import FunnelError
from funnel.running import run_interruptible
from funnel.schema import Mapping
from funnel.sources import SalesSource, detect_table_mapping, table_source, usable
from pages import state
from pages.common import error_text, md, tr

T = TypeVar("T")
_ENGINES = "_db_engines"  # source name -> Engine (this session's connections)
_MEMO = "_db_memo"  # (what, …) -> result of a query (detections, opened tables, totals): a small LRU per session
_CANCELLED = "_db_cancelled"  # the queries the user cancelled (not run again until "Run again")
_THIS_RUN = "_db_this_run"  # this script run's buttons drawn and queries failed (cleared by new_run)
MEMO_ENTRIES = 48  # the sales source's few results and the pipeline's (deals, funnels, forecasts per choice)


def new_run() -> None:
    """Called once at the start of every script run: a query asked twice in one run (a failing one is not kept
    in the memo) then draws its Cancel / Run again button once and fails once, not with a duplicate widget id."""
    st.session_state[_THIS_RUN] = {"buttons": set(), "failed": {}}


def _this_run() -> dict:
    return st.session_state.setdefault(_THIS_RUN, {"buttons": set(), "failed": {}})


def _button(where, label: str, key: str, **options: object) -> None:
    """A button drawn at most once per run under `key`."""
    drawn = _this_run()["buttons"]
    if key not in drawn:
        drawn.add(key)
        where.button(label, key=key, **options)


def catalog() -> tuple[dict[str, CatalogSource], str | None]:
    """The sources FUNNEL_SOURCES lists (read each run: a small file the operator may edit) and the sentence
    saying why it cannot be used, if so."""
    try:
        return load_catalog(), None
    except FunnelError as exc:
        return {}, error_text(exc)


def _memo() -> OrderedDict:
    return st.session_state.setdefault(_MEMO, OrderedDict())


def _cancel(key: tuple) -> None:
    st.session_state.setdefault(_CANCELLED, set()).add(key)


def _retry() -> None:
    st.session_state.pop(_CANCELLED, None)


def _widget_id(key: tuple) -> str:
    """A query's Cancel / Run again button id: its own (two queries of one run never share one)."""
    return hashlib.sha256(repr(key).encode()).hexdigest()[:12]


def run_query(key: tuple, what: str, work: Callable[[], T], engine: Engine, where=None) -> T:
    """The result of `work` (memoised per session under `key`), run in a worker thread while a status line counts
    the seconds beside a Cancel button. A click on Cancel stops this script run at its next status update;
    run_interruptible then interrupts the engine. A cancelled query is not run again until "Run again"."""
    memo = _memo()
    if key in memo:
        memo.move_to_end(key)
        return memo[key]
    where = where or st
    if key in st.session_state.get(_CANCELLED, set()):
        _button(where, tr("db_retry"), f"db_retry_{_widget_id(key)}", on_click=_retry, icon=":material/refresh:")
        raise FunnelError("db_cancelled")
    failed = _this_run()["failed"]
    if key in failed:  # asked again in the run it failed in: the same sentence, without querying again
        raise failed[key]
    box = where.empty()
    with box.container():
        status = st.status(tr("db_running", what=md(what), seconds=0), state="running")
        _button(st, tr("db_cancel"), f"db_cancel_{_widget_id(key)}", on_click=_cancel, args=(key,))

    def tick(elapsed: float) -> None:
        status.update(label=tr("db_running", what=md(what), seconds=int(elapsed)))

    try:
        result = run_interruptible(work, engine.interrupt, tick)
    except FunnelError as exc:
        failed[key] = exc
        raise
    finally:
        box.empty()
    memo[key] = result
    while len(memo) > MEMO_ENTRIES:  # the engine is the session's: a dropped result holds nothing to close
        memo.popitem(last=False)
    return result


def _forget_engine(name: str) -> None:
    """A new password for a source: its connection (and everything read through it) is dropped."""
    engine = st.session_state.get(_ENGINES, {}).pop(name, None)
    if engine is not None:
        engine.close()
    memo = _memo()
    for key in [k for k in memo if k[1] == name]:
        memo.pop(key)


def session_engine(source: CatalogSource, password: str | None) -> Engine:
    """This session's connection to the source (opened on first use with the password given)."""
    engines = st.session_state.setdefault(_ENGINES, {})
    if source.name not in engines:
        engines[source.name] = connect(source, password)
    return engines[source.name]


def choose_table(
    sources: dict[str, CatalogSource], role: str = "db", where=None
) -> tuple[CatalogSource, str, Engine] | None:
    """The source by name, its password when it asks for one, the table from its list: for the sales report
    (`role` "db", in the sidebar) or the pipeline ("pdb", in its expander). A source already connected in this
    session (by the other role) is not asked for its password again."""
    where = where or st.sidebar
    asked = state.get(f"{role}_source")
    if asked is not None and asked not in sources:
        state.note("db_link_unknown", value=md(str(asked)))
    name = state.select(f"{role}_source", tr("db_source"), list(sources), where=where, key=f"{role}_source")
    state.put(f"{role}_source", name)  # in the view (the URL names the source), also when it is the first one
    source = sources[name]
    password = None
    field = f"{role}_password_{name}"
    connected = source.name in st.session_state.get(_ENGINES, {})
    if source.needs_password and (not connected or st.session_state.get(field)):
        password = where.text_input(
            tr("db_password"),
            type="password",
            key=field,
            help=tr("db_password_help"),
            on_change=_forget_engine,
            args=(name,),
            autocomplete="off",
        )
    engine = session_engine(source, password)
    tables = run_query(("tables", name), name, lambda: list_tables(source, engine), engine, where)
    if not tables:
        raise FunnelError("db_no_tables", name=name)
    asked = state.get(f"{role}_table@{name}")
    if asked is not None and asked not in tables:
        state.note("db_link_unknown", value=md(str(asked)))
    table = state.select(f"{role}_table@{name}", tr("db_table"), tables, where=where, key=f"{role}_table")
    state.put(f"{role}_table@{name}", table)
    return source, table, engine


def detected_columns(source: CatalogSource, table: str, engine: Engine) -> tuple[str, list[str], Mapping, dict]:
    """(relation, columns, detected mapping, evidence) of a table: its names and a sample of its rows."""

    def work() -> tuple[str, list[str], Mapping, dict]:
        relation = table_relation(source, engine, table)
        columns = list(engine.columns(relation))
        mapping, found = detect_table_mapping(engine, relation)
        return relation, columns, mapping, found

    return run_query(("detect", source.name, table), table, work, engine, st.sidebar)


def open_table(
    source: CatalogSource, table: str, engine: Engine, relation: str, detected: tuple[Mapping, dict], mapping: Mapping
) -> tuple[SalesSource, str | None]:
    """The table's usable lines with the chosen mapping (every row classified in SQL, counted per reason), its
    products and date span fetched in the same worker; and the currency its amounts are written in (as a file's:
    from the amount column's name and a few of its values)."""
    from funnel.engine import quote
    from funnel.units import detect_currency

    def work() -> tuple[SalesSource, str | None]:
        opened = usable(
            table_source(engine, relation, None, f"{source.name} · {table}", mapping.derive_amount, detected, mapping)
        )
        opened.products, opened.span  # noqa: B018 - two small queries, done here (cancellable) and kept
        column = mapping.amount
        if column is None:
            return opened, None
        sample = engine.fetch(
            f"SELECT {quote(column)} AS v FROM {relation} AS t WHERE {quote(column)} IS NOT NULL LIMIT 200"
        )
        return opened, detect_currency(column, sample["v"].tolist())

    return run_query(("open", source.name, table, mapping), table, work, engine, st.sidebar)


def table_totals(sales: SalesSource, key: tuple, products: tuple[str, ...], start: object, end: object):
    """Per-customer totals of the chosen products and period from the engine (memoised per session)."""
    from funnel.bands import customer_totals

    return run_query(
        ("totals", *key, products, start, end),
        sales.name,
        lambda: customer_totals(sales.lines, list(products), start, end),
        sales.engine,
    )


def table_work(sales: SalesSource, key: tuple, tag: str, args: tuple, work: Callable[[], T]) -> T:
    """Any other analysis of a table (key customers, trends) run through run_query, memoised per its arguments."""
    return run_query((tag, *key, *args), sales.name, work, sales.engine)
