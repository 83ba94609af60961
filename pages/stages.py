"""Stage funnel page: reached per stage, step conversion, drop-off and the bottleneck; breakdown, compare, drill."""

from __future__ import annotations

import hashlib

import streamlit as st

from funnel.charts import compare_chart, grouped_funnel_chart, stage_funnel_chart
from funnel.errors import FunnelError
from funnel.formats import count, percent
from funnel.stages import (
    SHAPES,
    breakdown,
    compare,
    dropped_at,
    filter_deals,
    first_date_range,
    mostly_unmatched_params,
    stage_funnel,
)
from funnel.tables import breakdown_table, compare_table, deals_table, download_name, stage_table
from pages import state
from pages.common import (
    UPLOAD_TYPES,
    current_pipeline,
    date_format,
    detected_shape,
    download_buttons,
    lang,
    leave_v1_multipage_mode,
    md,
    parsed_in_sql_note,
    pipeline_deals,
    pipeline_query,
    show_error,
    show_table,
    stage_list,
    tr,
    upload_source,
)
from pages.dbpipeline import DRILL_PAGE


def _tag(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:10]


def value_mapping(unmapped, stages: list[str]) -> None:
    """One select box per raw value that matches no stage; choices go into the page's value map."""
    if unmapped.empty:
        return
    with st.expander(tr("unmapped_header"), expanded=True):
        options = ["", *stages, "won", "lost"]
        names = {"": tr("map_ignore"), "won": tr("map_won"), "lost": tr("map_lost")}
        for row in unmapped.head(30).itertuples(index=False):
            choice = st.selectbox(
                tr("map_to", value=md(row.value), rows=row.rows),
                options,
                format_func=lambda o: names.get(o, o),
                key=f"map_value_{_tag(row.value)}",
            )
            if choice:
                st.session_state["value_map"][row.value] = choice
                st.rerun()


def order_note(deals) -> None:
    """Where the stage order came from; a warning asking to confirm or edit it when the file did not tell it."""
    if deals.order is None:
        return
    if deals.order.confident and deals.order.source in ("user", "template", "vocabulary"):
        st.caption(md(deals.order.sentence(lang())))
    else:
        st.warning(md(deals.order.sentence(lang())))


leave_v1_multipage_mode()  # a deep link on a fresh server runs this page alone once
st.title(tr("page_stages"))
st.caption(tr("stages_hint"))
st.session_state.setdefault("value_map", {})
pipeline = current_pipeline()
tag = pipeline.digest[:12]

with st.sidebar:
    try:
        chosen = stage_list()
        detected = detected_shape()
    except FunnelError as exc:
        show_error(exc)
        st.stop()
    shape = state.radio(  # each pipeline file starts from the shape detected in it
        f"input_shape@{tag}",
        tr("input_shape"),
        SHAPES,
        default=detected,
        format_func=lambda s: tr(f"shape_{s}"),
        key="input_shape",
        help=tr("shape_detected", shape=tr(f"shape_{detected}")),
    )
    window = state.number("window_days", tr("window_days"), 0, 0, 3650, step=7)
    by = state.select(
        "breakdown_by",
        tr("breakdown_by"),
        ["", "product", "region", "rep"],
        format_func=lambda o: tr(f"role_{o}") if o else tr("no_breakdown"),
    )
    mode = state.radio(
        "compare_mode", tr("compare_mode"), ["none", "periods", "file"], format_func=lambda m: tr(f"compare_{m}")
    )

try:
    deals = pipeline_deals(chosen, shape, st.session_state["value_map"])
except FunnelError as exc:
    show_error(exc)
    if shape != detected:  # a shape chosen by hand may not fit this file: say which one the file looks like
        st.caption(tr("shape_hint", shape=tr(f"shape_{shape}"), detected=tr(f"shape_{detected}")))
    st.stop()
stages = deals.stages
if deals.mostly_unmatched:  # most values match no stage: say so and let them be mapped, never a funnel of the rest
    show_error(FunnelError("stages_mostly_unmatched", **mostly_unmatched_params(deals)))
    value_mapping(deals.unmapped, stages)
    st.stop()
order_note(deals)

window_days = int(window) or None
funnel = pipeline_query(deals, "funnel", (window_days,), lambda: stage_funnel(deals.source, stages, window_days))
table = funnel.table

m1, m2, m3, m4 = st.columns(4)
m1.metric(tr("deals"), count(table["reached"].iloc[0]))
m2.metric(tr("won"), count(funnel.won))
m3.metric(tr("lost"), count(funnel.lost))
m4.metric(tr("win_rate"), percent(funnel.win_rate))
if funnel.bottleneck is None:
    st.info(tr("no_bottleneck"))
else:
    b = funnel.bottleneck
    st.subheader(
        tr(
            "bottleneck_sentence",
            a=md(stages[b]),
            b=md(stages[b + 1]),
            share=percent(table["drop_share"].iloc[b]),
            n=count(table["dropped"].iloc[b]),
        )
    )
if deals.lost_without_stage:
    st.warning(tr("lost_without_stage_note", n=count(deals.lost_without_stage)))
if any(deals.placements.values()):
    st.caption(tr("placement_line", **{way: count(n) for way, n in deals.placements.items()}))
if deals.missing_amount:
    st.caption(tr("missing_amount_note", n=count(deals.missing_amount)))
if deals.reasons:
    st.caption(" · ".join(f"{tr('reason_' + k)}: {v}" for k, v in deals.reasons.items()))
parsed_in_sql_note(deals)
value_mapping(deals.unmapped, stages)

st.plotly_chart(stage_funnel_chart(funnel, lang()), key="stage_funnel")
show_table(stage_table(funnel, lang()), pin=1, key="stage_table")

if by:
    column = deals.group_column(by)
    groups = pipeline_query(
        deals, "breakdown", (by, window_days), lambda: breakdown(deals.source, stages, column, window_days)
    )
    st.plotly_chart(grouped_funnel_chart(groups, lang()), key="grouped_funnel")
    show_table(breakdown_table(groups, lang()), pin=1, key="breakdown")
    for name, group in groups.items():
        with st.expander(f"{md(name)} · {count(group.table['reached'].iloc[0])} {tr('deals')}"):
            show_table(stage_table(group, lang()), pin=1, key=f"group_{_tag(name)}")

before = after = None
span = pipeline_query(deals, "span", (), lambda: first_date_range(deals.source))
if mode == "periods" and span is None:
    st.info(tr("compare_needs_dates"))
if mode == "periods" and span is not None:
    lo, hi = span[0].date(), span[1].date()
    mid = lo + (hi - lo) / 2
    c1, c2 = st.columns(2)
    p1 = state.date_range(
        f"cmp_before@{tag}", tr("before"), lo, hi, where=c1, key="cmp_before", default=(lo, mid), format=date_format()
    )
    p2 = state.date_range(
        f"cmp_after@{tag}", tr("after"), lo, hi, where=c2, key="cmp_after", default=(mid, hi), format=date_format()
    )
    if None not in p1 and None not in p2:
        before, after = (
            pipeline_query(
                deals,
                "period",
                (p, window_days),
                lambda p=p: stage_funnel(filter_deals(deals.source, *p), stages, window_days),
            )
            for p in (p1, p2)
        )
elif mode == "file":
    other = st.file_uploader(tr("compare_upload"), type=UPLOAD_TYPES, key="compare_file", help=tr("upload_help"))
    if other is not None:
        try:
            before = stage_funnel(
                pipeline_deals(stages, shape, st.session_state["value_map"], upload_source(other)).deals,
                stages,
                window_days,
            )
            after = funnel
        except FunnelError as exc:
            show_error(exc)
if before is not None and after is not None:
    st.subheader(tr("compare_header"))
    st.plotly_chart(compare_chart(before, after, lang()), key="compare_chart")
    show_table(compare_table(compare(before, after), lang()), pin=1, key="compare_table")

st.subheader(tr("drill_header"))
step = state.select(  # a new stage list (or file) starts from its bottleneck
    f"drill_step@{tag}:{_tag(*stages)}",
    tr("drill_step"),
    range(len(stages) - 1),
    default=funnel.bottleneck if funnel.bottleneck is not None else 0,
    format_func=lambda i: f"{stages[i]} → {stages[i + 1]}",
    key="drill_step",
)
total = int(table["dropped"].iloc[step])
st.caption(tr("drill_caption", n=count(total), a=md(stages[step]), b=md(stages[step + 1])))
if deals.relation is None:
    dropped = dropped_at(deals.deals, stages, step, window_days)
else:  # a table's: a page at a time, by deal id, never the whole table
    pages_key = f"_drill_pages@{tag}:{_tag(*stages, step, window_days)}"
    shown = min(total, DRILL_PAGE * st.session_state.get(pages_key, 1))
    dropped = pipeline_query(
        deals, "dropped", (step, window_days, shown), lambda: dropped_at(deals.source, stages, step, window_days, shown)
    )
    if shown < total:
        st.caption(tr("list_shown", shown=count(shown), n=count(total)))
        more = min(DRILL_PAGE, total - shown)
        if st.button(tr("list_more", n=count(more)), key="drill_more"):
            st.session_state[pages_key] = st.session_state.get(pages_key, 1) + 1
            st.rerun()
drill = deals_table(dropped, stages, lang())
show_table(drill, pin=2, key="drill")
if len(drill):
    name = download_name(f"{tr('drill_header')}_{stages[step]}")
    download_buttons(drill, name, "drop", "drill")
