"""Forecast page: weighted pipeline per quarter or month, categories, targets, slipping deals, weekly snapshots."""

from __future__ import annotations

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
    target_frame,
    targets_from_frame,
    weigh,
)
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
from pages.common import (
    MONEY,
    PERCENT,
    download_buttons,
    lang,
    md,
    pipeline_account,
    pipeline_deals,
    show_error,
    stage_list,
    tr,
)


def probability_editor(stages: list[str], known: dict[str, float]) -> dict[str, float]:
    """The stage → probability table, shown and editable (percent), never hidden; a CRM's own defaults where the
    stage order is that CRM's."""
    frame = probability_frame(default_probabilities(stages, known), tr("col_stage"), tr("col_probability"))
    edited = st.data_editor(
        frame,
        hide_index=True,
        disabled=[tr("col_stage")],
        column_config={
            tr("col_probability"): st.column_config.NumberColumn(min_value=0, max_value=100, step=5, format="%d%%")
        },
        key=f"prob_{'|'.join(stages)}",
    )
    return probabilities_from_frame(edited, tr("col_stage"), tr("col_probability"))


def choose_book() -> str | None:
    """The snapshot book, by name: one of the data folder's books or a new name (a safe slug), never a path."""
    new = ""
    try:
        listed = books()
    except FunnelError as exc:  # the operator's data folder setting is unusable
        show_error(exc)
        return None
    names = listed if DEFAULT_BOOK in listed else [DEFAULT_BOOK, *listed]
    chosen = st.selectbox(
        tr("snap_book"),
        [*names, new],
        format_func=lambda name: name or tr("snap_book_new"),
        key="snap_book",
        help=tr("snap_book_help", n=BOOK_NAME_MAX),
    )
    if chosen != new:
        return chosen
    typed = st.text_input(tr("snap_new_book"), key="snap_new_book", max_chars=BOOK_NAME_MAX)
    if not typed.strip():
        return None
    try:
        return check_book_name(typed)
    except FunnelError as exc:
        show_error(exc)
        return None


def save_snapshot(book: str, weighed: pd.DataFrame, week: str, label: str, source: str, replace: bool) -> None:
    """Save into the book; the same week twice asks first; any store failure is one sentence."""
    try:
        with Store(book_path(book), book=book) as store:
            n = store.save(weighed, week, label, source, replace=replace)
    except FunnelError as exc:
        if exc.key == "snapshot_exists":
            st.session_state["snap_pending_replace"] = (book, week)
        else:
            show_error(exc)
        return
    st.session_state.pop("snap_pending_replace", None)
    st.success(tr("snap_saved", week=week, n=n))


def delete_snapshot(book: str, week: str) -> None:
    try:
        with Store(book_path(book), book=book) as store:
            store.delete(week)
    except FunnelError as exc:
        show_error(exc)
        return
    st.success(tr("snap_deleted", week=week))


def snapshot_section(weighed: pd.DataFrame, source_name: str) -> None:
    st.subheader(tr("snap_header"))
    c1, c2, c3 = st.columns([3, 1, 2])
    with c1:
        book = choose_book()
    week = c2.text_input(tr("snap_week"), value=iso_week(), key="snap_week")
    label = c3.text_input(tr("snap_label"), key="snap_label")
    if book is None:
        return
    if st.button(tr("snap_save"), type="primary", key="snap_save_btn"):
        save_snapshot(book, weighed, week, label, source_name, replace=False)
    pending = st.session_state.get("snap_pending_replace")
    if pending and pending[0] == book:
        st.warning(tr("snap_replace_q", week=pending[1]))
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
    st.dataframe(localise_columns(weeks, lang(), drop=["source"]), hide_index=True, width="stretch")
    with st.expander(tr("snap_delete")):
        doomed = st.selectbox(tr("col_week"), weeks["week"].tolist(), key="snap_delete_week")
        if st.button(tr("snap_delete"), key="snap_delete_btn"):
            st.session_state["snap_pending_delete"] = (book, doomed)
        pending_delete = st.session_state.get("snap_pending_delete")
        if pending_delete and pending_delete[0] == book:
            st.warning(tr("snap_delete_q", week=pending_delete[1]))
            d1, d2 = st.columns(2)
            if d1.button(tr("confirm"), key="snap_delete_yes"):
                st.session_state.pop("snap_pending_delete", None)
                delete_snapshot(book, pending_delete[1])
                st.rerun()
            if d2.button(tr("cancel"), key="snap_delete_no"):
                st.session_state.pop("snap_pending_delete", None)
                st.rerun()
    quarters, saved = quarters_and_weeks(every)
    if not quarters:
        return
    current = pd.Timestamp(date.today()).to_period("Q").strftime("%YQ%q")
    quarter = st.selectbox(
        tr("history_quarter"),
        quarters,
        index=quarters.index(current) if current in quarters else 0,
        key="history_quarter",
    )
    trend = history(every, quarter)
    st.plotly_chart(history_chart(trend, quarter, lang()))
    if len(saved) >= 2:
        a, b = saved[-2], saved[-1]
        st.markdown(f"**{tr('changes_header', a=md(a), b=md(b))}**")
        st.dataframe(changes_table(changes_between_weeks(every, a, b), lang()), hide_index=True, width="stretch")
    if not quarter_closed(quarter, date.today()):
        return
    sales = st.session_state.get("sales")
    sources = ["snapshot", "sales"] if sales is not None and sales.has_dates else ["snapshot"]
    source = st.radio(
        tr("actual_source"), sources, format_func=lambda k: tr(f"actual_{k}"), key="actual_source", horizontal=True
    )
    actual = actual_won(every, quarter) if source == "snapshot" else actual_from_sales(sales.lines, quarter)
    if actual:
        table, share = accuracy(trend, actual)
        st.markdown(f"**{tr('accuracy_header', q=quarter, actual=f'{actual:,.2f}')}**")
        st.caption(tr("accuracy_share", share=f"{share:.0%}"))
        st.dataframe(
            accuracy_table(table, lang()), hide_index=True, width="stretch", column_config={tr("col_error"): PERCENT}
        )


st.title(tr("page_forecast"))
st.caption(tr("forecast_hint"))

with st.sidebar:
    try:
        chosen = stage_list()
    except FunnelError as exc:
        show_error(exc)
        st.stop()
    by = st.radio(
        tr("forecast_by"), ["quarter", "month"], format_func=lambda b: tr(f"by_{b}"), key="forecast_by", horizontal=True
    )
    use_column = st.checkbox(tr("use_probability_column"), value=True, key="use_probability_column")
    commit_at = st.slider(tr("commit_bound"), 0, 100, 70, step=5, key="commit_bound")
    best_at = st.slider(tr("best_bound"), 0, 100, 40, step=5, key="best_bound")

try:
    deals = pipeline_deals(chosen, None, st.session_state.setdefault("value_map", {}))
    stages = deals.stages
    deals.check_matched()
    with st.expander(tr("probability_table"), expanded=False):
        probabilities = probability_editor(stages, deals.order.default_probabilities() if deals.order else {})
    weighed = weigh(deals.deals, stages, probabilities, (commit_at / 100, best_at / 100), use_column)
except FunnelError as exc:
    show_error(exc)
    st.stop()

table = forecast(weighed, by)
if deals.open_without_amount:
    st.warning(tr("no_amount_note", n=deals.open_without_amount))
pipeline_account(deals)
st.plotly_chart(forecast_chart(table, lang()))
money = {tr(f"col_{c}"): MONEY for c in ("weighted", "closed", "commit", "best_case", "open_amount", "target", "gap")}
st.dataframe(forecast_table(table, lang()), hide_index=True, width="stretch", column_config=money)

st.subheader(tr("targets_header"))
st.caption(tr("targets_caption"))
periods = [p for p in table["period"] if p != "—"]
saved = st.session_state.setdefault("targets", {})
editor = st.data_editor(
    target_frame(periods, saved, tr("col_period"), tr("col_target")),
    hide_index=True,
    disabled=[tr("col_period")],
    column_config={tr("col_target"): st.column_config.NumberColumn(min_value=0, step=10_000, format="localized")},
    key=f"targets_{by}",
)
targets = targets_from_frame(editor, tr("col_period"), tr("col_target"))
saved.update(targets)
if targets:
    goal = against_targets(table, targets)
    goal = goal[goal["target"].notna()]
    st.dataframe(
        targets_table(goal, lang()),
        hide_index=True,
        width="stretch",
        column_config={**money, tr("col_coverage"): st.column_config.NumberColumn(format="%.2fx")},
    )

by_column = st.selectbox(
    tr("breakdown_by"),
    ["", "rep", "product", "region"],
    key="forecast_breakdown",
    format_func=lambda o: tr(f"role_{o}") if o else tr("no_breakdown"),
)
if by_column:
    st.dataframe(localise_columns(forecast_by(weighed, by_column, by), lang()), width="stretch")

today = date.today()
late = slipping(weighed, today)
st.subheader(tr("slipping_header"))
st.caption(tr("slipping_caption", date=today.isoformat(), n=len(late)))
if len(late):
    late_table = forecast_deals_table(late, lang())
    st.dataframe(
        late_table,
        hide_index=True,
        width="stretch",
        column_config={tr("col_probability"): PERCENT, tr("col_stage_amount"): MONEY, tr("col_weighted"): MONEY},
    )
    name = download_name(tr("slipping_header").split("（")[0].split(" (")[0])
    download_buttons(late_table, name, "slipping", "late")

snapshot_section(weighed, st.session_state["pipeline_source"].name)
