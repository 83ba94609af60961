"""Forecast page: weighted pipeline per quarter or month, categories, targets, slipping deals, weekly snapshots."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from funnel.charts import forecast_chart, history_chart
from funnel.errors import FunnelError
from funnel.forecast import (
    against_targets,
    default_probabilities,
    forecast,
    forecast_by,
    probabilities_from_frame,
    probability_frame,
    slipping,
    slipping_page,
    weigh,
    weighed_relation,
)
from funnel.formats import count, date_text, local_time, percent, period_text
from funnel.pipeline_sql import deals_frame
from funnel.snapshots import (
    BOOK_NAME_MAX,
    DEFAULT_BOOK,
    Store,
    accuracy,
    actual_from_sales,
    actual_won,
    book_path,
    books,
    changes_between_weeks,
    check_book_name,
    history,
    iso_week,
    quarter_closed,
    quarters_and_weeks,
)
from funnel.tables import (
    accuracy_table,
    changes_table,
    download_name,
    forecast_deals_table,
    forecast_table,
    localise_columns,
    targets_table,
)
from funnel.units import amount_text
from pages import state
from pages.common import (
    current_pipeline,
    download_buttons,
    lang,
    leave_v1_multipage_mode,
    md,
    pipeline_account,
    pipeline_deals,
    pipeline_query,
    show_error,
    show_table,
    stage_list,
    tr,
    unit,
)
from pages.dbpipeline import DRILL_PAGE


def probability_editor(stages: list[str], known: dict[str, float]) -> dict[str, float]:
    """The stage → probability table, shown and editable (percent), never hidden; a CRM's own defaults where the
    stage order is that CRM's."""
    frame = probability_frame(default_probabilities(stages, known), "stage", "probability")
    edited = st.data_editor(  # columns keep stable names (edits survive a language switch); labels are localised
        frame,
        hide_index=True,
        disabled=["stage"],
        column_config={
            "stage": st.column_config.TextColumn(tr("col_stage")),
            "probability": st.column_config.NumberColumn(
                tr("col_probability"), min_value=0, max_value=100, step=5, format="%d%%"
            ),
        },
        key=f"prob_{hashlib.sha256(chr(31).join(stages).encode()).hexdigest()[:12]}",
    )
    return probabilities_from_frame(edited, "stage", "probability")


def choose_book() -> str | None:
    """The snapshot book, by name: one of the data folder's books or a new name (a safe slug), never a path."""
    new = ""
    try:
        listed = books()
    except FunnelError as exc:  # the operator's data folder setting is unusable
        show_error(exc)
        return None
    names = listed if DEFAULT_BOOK in listed else [DEFAULT_BOOK, *listed]
    chosen = state.select(
        "snap_book",
        tr("snap_book"),
        [*names, new],
        format_func=lambda name: name or tr("snap_book_new"),
        help=tr("snap_book_help", n=BOOK_NAME_MAX),
    )
    if chosen != new:
        return chosen
    typed = state.text("snap_new_book", tr("snap_new_book"), max_chars=BOOK_NAME_MAX)
    if not typed.strip():
        return None
    try:
        return check_book_name(typed)
    except FunnelError as exc:
        show_error(exc)
        return None


def save_snapshot(
    book: str, weighed: Callable[[], pd.DataFrame], week: str, label: str, source: str, replace: bool
) -> None:
    """Save every deal (`weighed()`, built only when saving) into the book; the same week twice asks first; any
    store or engine failure is one sentence."""
    try:
        everything = weighed()
        with Store(book_path(book), book=book) as store:
            n = store.save(everything, week, label, source, replace=replace)
    except FunnelError as exc:
        if exc.key == "snapshot_exists":
            st.session_state["snap_pending_replace"] = (book, week)
        else:
            show_error(exc)
        return
    st.session_state.pop("snap_pending_replace", None)
    _done(tr("snap_saved", week=md(week), n=count(n)))


def delete_snapshot(book: str, week: str) -> None:
    try:
        with Store(book_path(book), book=book) as store:
            store.delete(week)
    except FunnelError as exc:
        show_error(exc)
        return
    _done(tr("snap_deleted", week=md(week)))


def _done(sentence: str) -> None:
    """Say what was done on the next run, which draws the page as it now is (no stale question left above)."""
    st.session_state["snap_done"] = sentence
    st.rerun()


def snapshot_section(weighed: Callable[[], pd.DataFrame], source_name: str) -> None:
    st.subheader(tr("snap_header"))
    if "snap_done" in st.session_state:
        st.success(st.session_state.pop("snap_done"))
    c1, c2, c3 = st.columns([3, 1, 2])
    with c1:
        book = choose_book()
    week = state.text("snap_week", tr("snap_week"), iso_week(), where=c2)
    label = state.text("snap_label", tr("snap_label"), where=c3)
    if book is None:
        return
    if st.button(tr("snap_save"), type="primary", key="snap_save_btn"):
        save_snapshot(book, weighed, week, label, source_name, replace=False)
    pending = st.session_state.get("snap_pending_replace")
    if pending and pending != (book, week):  # the question was about another book or week: it no longer stands
        st.session_state.pop("snap_pending_replace", None)
        pending = None
    if pending:
        st.warning(tr("snap_replace_q", week=md(pending[1])))
        r1, r2 = st.columns(2)
        if r1.button(tr("snap_replace"), key="snap_replace_yes"):
            save_snapshot(book, weighed, pending[1], label, source_name, replace=True)
        if r2.button(tr("cancel"), key="snap_replace_no"):
            st.session_state.pop("snap_pending_replace", None)
            st.rerun()
    try:
        with Store(book_path(book), writable=False, book=book) as store:  # a read-only book can still be listed
            weeks = store.weeks()
            every = store.all_deals()
    except FunnelError as exc:
        show_error(exc)
        return
    if weeks.empty:
        st.caption(tr("snap_none"))
        return
    zone = st.context.timezone
    listed = weeks.assign(saved_at=[local_time(v, zone, lang()) for v in weeks["saved_at"]])
    show_table(localise_columns(listed, lang(), drop=["source"]), key="snap_weeks")
    st.caption(tr("snap_times_zone", zone=md(zone) if zone else "UTC"))
    with st.expander(tr("snap_delete")):
        doomed = state.select(
            f"snap_delete_week@{book}", tr("col_week"), weeks["week"].tolist(), key="snap_delete_week"
        )
        if st.button(tr("snap_delete"), key="snap_delete_btn"):
            st.session_state["snap_pending_delete"] = (book, doomed)
        pending_delete = st.session_state.get("snap_pending_delete")
        if pending_delete and pending_delete[0] == book:
            st.warning(tr("snap_delete_q", week=md(pending_delete[1])))
            d1, d2 = st.columns(2)
            if d1.button(tr("confirm"), key="snap_delete_yes"):
                st.session_state.pop("snap_pending_delete", None)
                delete_snapshot(book, pending_delete[1])
            if d2.button(tr("cancel"), key="snap_delete_no"):
                st.session_state.pop("snap_pending_delete", None)
                st.rerun()
    quarters, saved = quarters_and_weeks(every)
    if not quarters:
        return
    current = pd.Timestamp(date.today()).to_period("Q").strftime("%YQ%q")
    quarter = state.select(
        "history_quarter",
        tr("history_quarter"),
        quarters,
        default=current if current in quarters else quarters[0],
        format_func=lambda q: period_text(q, lang()),
    )
    trend = history(every, quarter)
    st.plotly_chart(history_chart(trend, quarter, lang(), unit()), key="history_chart")
    if len(saved) >= 2:
        a, b = saved[-2], saved[-1]
        st.markdown(f"**{tr('changes_header', a=md(a), b=md(b))}**")
        show_table(changes_table(changes_between_weeks(every, a, b), lang()), key="snap_changes")
    if not quarter_closed(quarter, date.today()):
        return
    sales = st.session_state.get("sales")
    sources = ["snapshot", "sales"] if sales is not None and sales.has_dates else ["snapshot"]
    source = state.radio(
        "actual_source", tr("actual_source"), sources, format_func=lambda k: tr(f"actual_{k}"), horizontal=True
    )
    actual = actual_won(every, quarter) if source == "snapshot" else actual_from_sales(sales.lines, quarter)
    if actual:
        table, share = accuracy(trend, actual)
        q = period_text(quarter, lang())
        st.markdown(f"**{tr('accuracy_header', q=q, actual=amount_text(actual, unit(), lang()))}**")
        st.caption(tr("accuracy_share", share=percent(share)))
        show_table(accuracy_table(table, lang()), key="accuracy")


leave_v1_multipage_mode()  # a deep link on a fresh server runs this page alone once
st.title(tr("page_forecast"))
st.caption(tr("forecast_hint"))
current_pipeline()

with st.sidebar:
    try:
        chosen = stage_list()
    except FunnelError as exc:
        show_error(exc)
        st.stop()
    by = state.radio(
        "forecast_by", tr("forecast_by"), ["quarter", "month"], format_func=lambda b: tr(f"by_{b}"), horizontal=True
    )
    use_column = state.checkbox("use_probability_column", tr("use_probability_column"), default=True)
    commit_at = state.slider("commit_bound", tr("commit_bound"), 0, 100, 70, step=5)
    best_at = state.slider("best_bound", tr("best_bound"), 0, 100, 40, step=5)

try:
    deals = pipeline_deals(chosen, None, st.session_state.setdefault("value_map", {}))
    stages = deals.stages
    deals.check_matched()
    with st.expander(tr("probability_table"), expanded=False):
        probabilities = probability_editor(stages, deals.order.default_probabilities() if deals.order else {})
    bounds = (commit_at / 100, best_at / 100)
    weighing = (tuple(probabilities.items()), bounds, use_column)
    if deals.relation is None:
        weighed = weigh(deals.deals, stages, probabilities, bounds, use_column)
    else:  # a table's deals are weighed where they are (one small query for the category values)
        weighed = pipeline_query(
            deals,
            "weighed",
            weighing,
            lambda: weighed_relation(deals.relation, stages, probabilities, bounds, use_column),
        )
    table = pipeline_query(deals, "forecast", (*weighing, by), lambda: forecast(weighed, by))
except FunnelError as exc:
    show_error(exc)
    st.stop()

u = unit()
if deals.open_without_amount:
    st.warning(tr("no_amount_note", n=count(deals.open_without_amount)))
pipeline_account(deals)
st.plotly_chart(forecast_chart(table, lang(), u), key="forecast_chart")
shown_table = table.assign(period=[period_text(p, lang()) for p in table["period"]])
show_table(forecast_table(shown_table, lang()), pin=1, key="forecast_table")

st.subheader(tr("targets_header"))
st.caption(tr("targets_caption"))
periods = [p for p in table["period"] if p != "—"]
saved = st.session_state.setdefault("targets", {})
editor = st.data_editor(  # 0 is "no target" (an empty number cell would read None); stable column names
    pd.DataFrame(
        {"period": [period_text(p, lang()) for p in periods], "target": [saved.get(p, 0.0) / u.factor for p in periods]}
    ),
    hide_index=True,
    disabled=["period"],
    column_config={
        "period": st.column_config.TextColumn(tr("col_period")),
        "target": st.column_config.NumberColumn(
            u.header(tr("col_target"), lang()), min_value=0, step=0.01, format="localized"
        ),
    },
    key=f"targets_{by}_{u.code}",  # the edits are in the unit's figures: another unit starts from the saved targets
)
shown_targets = pd.to_numeric(editor["target"], errors="coerce").fillna(0).tolist()
targets = {p: float(v) * u.factor for p, v in zip(periods, shown_targets, strict=True) if v > 0}
saved.update({p: float(v) * u.factor for p, v in zip(periods, shown_targets, strict=True)})
if targets:
    goal = against_targets(table, targets)
    goal = goal[goal["target"].notna()]
    goal = goal.assign(period=[period_text(p, lang()) for p in goal["period"]])
    show_table(targets_table(goal, lang()), pin=1, key="targets_table")

by_column = state.select(
    "forecast_breakdown",
    tr("breakdown_by"),
    ["", "rep", "product", "region"],
    format_func=lambda o: tr(f"role_{o}") if o else tr("no_breakdown"),
)
if by_column:
    grid = pipeline_query(deals, "forecast_by", (*weighing, by, by_column), lambda: forecast_by(weighed, by_column, by))
    grid.index = [period_text(p, lang()) for p in grid.index]
    grid.index.name = tr("col_period")
    show_table(
        localise_columns(grid, lang()).reset_index(), default="money", pin=1, key="forecast_by", unit_in_headers=False
    )
    st.caption(u.header(tr("col_weighted"), lang()))

today = date.today()
if deals.relation is None:
    late = slipping(weighed, today)
    total = len(late)
else:  # a table's: the first page by date, and how many there are
    list_id = chr(31).join([current_pipeline().digest, *stages])
    pages_key = f"_late_pages@{hashlib.sha256(list_id.encode()).hexdigest()[:12]}"
    limit = DRILL_PAGE * st.session_state.get(pages_key, 1)
    late, total = pipeline_query(
        deals, "slipping", (*weighing, today, limit), lambda: slipping_page(weighed, stages, today, limit)
    )
st.subheader(tr("slipping_header"))
st.caption(tr("slipping_caption", date=date_text(today, lang()), n=count(total)))
if len(late) < total:
    st.caption(tr("list_shown", shown=count(len(late)), n=count(total)))
    if st.button(tr("list_more", n=count(min(DRILL_PAGE, total - len(late)))), key="late_more"):
        st.session_state[pages_key] = st.session_state.get(pages_key, 1) + 1
        st.rerun()
if len(late):
    late_table = forecast_deals_table(late, lang())
    show_table(late_table, pin=2, key="slipping")
    name = download_name(tr("slipping_header").split("（")[0].split(" (")[0])
    download_buttons(late_table, name, "slipping", "late")


def every_deal_weighed() -> pd.DataFrame:
    """Every deal weighed, as a snapshot holds them: a file's as they are; a table's fetched when saved (one row
    per deal, never per table row) and weighed by the same SQL as the figures above."""
    if deals.relation is None:
        return weighed

    def work() -> pd.DataFrame:
        frame = deals_frame(deals.relation, len(stages), deals.keep, "deal")
        return weigh(frame, stages, probabilities, bounds, use_column)

    return pipeline_query(deals, "snapshot", weighing, work)


snapshot_section(every_deal_weighed, current_pipeline().name)
