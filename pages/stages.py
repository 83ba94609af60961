"""Stage funnel page: reached per stage, step conversion, drop-off and the bottleneck; breakdown, compare, drill."""

from __future__ import annotations

import streamlit as st

from funnel.charts import compare_chart, grouped_funnel_chart, stage_funnel_chart
from funnel.errors import FunnelError
from funnel.stages import (
    SHAPES,
    breakdown,
    compare,
    detect_shape,
    dropped_at,
    filter_deals,
    first_date_range,
    mostly_unmatched_params,
    stage_funnel,
)
from funnel.tables import breakdown_table, compare_table, deals_table, download_name, stage_table
from pages.common import (
    MONEY,
    PERCENT,
    download_buttons,
    lang,
    md,
    pipeline_deals,
    pipeline_mapping,
    pipeline_raw,
    show_error,
    stage_list,
    tr,
    upload_source,
)


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
                key=f"map_value_{row.value}",
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


st.title(tr("page_stages"))
st.caption(tr("stages_hint"))
st.session_state.setdefault("value_map", {})

with st.sidebar:
    try:
        chosen = stage_list()
        raw = pipeline_raw()
        detected = detect_shape(raw.frame, pipeline_mapping())
    except FunnelError as exc:
        show_error(exc)
        st.stop()
    shape = st.radio(
        tr("input_shape"),
        SHAPES,
        index=SHAPES.index(detected),
        format_func=lambda s: tr(f"shape_{s}"),
        key="input_shape",
    )
    window = st.number_input(tr("window_days"), min_value=0, max_value=3650, value=0, step=7, key="window_days")
    by_options = ["", "product", "region", "rep"]
    by = st.selectbox(
        tr("breakdown_by"),
        by_options,
        format_func=lambda o: tr(f"role_{o}") if o else tr("no_breakdown"),
        key="breakdown_by",
    )
    mode = st.radio(
        tr("compare_mode"), ["none", "periods", "file"], format_func=lambda m: tr(f"compare_{m}"), key="compare_mode"
    )

try:
    deals = pipeline_deals(chosen, shape, st.session_state["value_map"])
except FunnelError as exc:
    show_error(exc)
    st.stop()
stages = deals.stages
if deals.mostly_unmatched:  # most values match no stage: say so and let them be mapped, never a funnel of the rest
    show_error(FunnelError("stages_mostly_unmatched", **mostly_unmatched_params(deals)))
    value_mapping(deals.unmapped, stages)
    st.stop()
order_note(deals)

window_days = int(window) or None
funnel = stage_funnel(deals.deals, stages, window_days)
table = funnel.table

m1, m2, m3, m4 = st.columns(4)
m1.metric(tr("deals"), f"{int(table['reached'].iloc[0]):,}")
m2.metric(tr("won"), f"{funnel.won:,}")
m3.metric(tr("lost"), f"{funnel.lost:,}")
m4.metric(tr("win_rate"), "–" if funnel.win_rate is None else f"{funnel.win_rate:.1%}")
if funnel.bottleneck is None:
    st.info(tr("no_bottleneck"))
else:
    b = funnel.bottleneck
    st.subheader(
        tr(
            "bottleneck_sentence",
            a=md(stages[b]),
            b=md(stages[b + 1]),
            share=f"{table['drop_share'].iloc[b]:.1%}",
            n=int(table["dropped"].iloc[b]),
        )
    )
if deals.lost_without_stage:
    st.warning(tr("lost_without_stage_note", n=deals.lost_without_stage))
if any(deals.placements.values()):
    st.caption(tr("placement_line", **deals.placements))
if deals.missing_amount:
    st.caption(tr("missing_amount_note", n=deals.missing_amount))
if deals.reasons:
    st.caption(" · ".join(f"{tr('reason_' + k)}: {v}" for k, v in deals.reasons.items()))
value_mapping(deals.unmapped, stages)

st.plotly_chart(stage_funnel_chart(funnel, lang()))
config = {tr(f"col_{c}"): PERCENT for c in ("step_conversion", "cumulative_conversion", "drop_share")}
config[tr("col_stage_amount")] = MONEY
st.dataframe(stage_table(funnel, lang()), hide_index=True, width="stretch", column_config=config)

if by:
    groups = breakdown(deals.deals, stages, by, window_days)
    st.plotly_chart(grouped_funnel_chart(groups, lang()))
    st.dataframe(
        breakdown_table(groups, lang()),
        hide_index=True,
        width="stretch",
        column_config={
            tr("col_drop_share"): PERCENT,
            tr("win_rate"): PERCENT,
            tr("col_cumulative_conversion"): PERCENT,
        },
    )
    for name, group in groups.items():
        with st.expander(f"{md(name)} · {int(group.table['reached'].iloc[0]):,} {tr('deals')}"):
            st.dataframe(stage_table(group, lang()), hide_index=True, width="stretch", column_config=config)

before = after = None
span = first_date_range(deals.deals)
if mode == "periods" and span is not None:
    lo, hi = span[0].date(), span[1].date()
    mid = lo + (hi - lo) / 2
    c1, c2 = st.columns(2)
    p1 = c1.date_input(tr("before"), value=(lo, mid), min_value=lo, max_value=hi, key="cmp_before")
    p2 = c2.date_input(tr("after"), value=(mid, hi), min_value=lo, max_value=hi, key="cmp_after")
    if len(p1) == 2 and len(p2) == 2:
        before = stage_funnel(filter_deals(deals.deals, *p1), stages, window_days)
        after = stage_funnel(filter_deals(deals.deals, *p2), stages, window_days)
elif mode == "file":
    other = st.file_uploader(tr("compare_upload"), type=["xlsx", "xls", "csv", "txt", "tsv"], key="compare_file")
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
    st.plotly_chart(compare_chart(before, after, lang()))
    st.dataframe(
        compare_table(compare(before, after), lang()),
        hide_index=True,
        width="stretch",
        column_config={tr("col_conversion_before"): PERCENT, tr("col_conversion_after"): PERCENT},
    )

st.subheader(tr("drill_header"))
steps = list(range(len(stages) - 1))
default = funnel.bottleneck if funnel.bottleneck is not None else 0
step = st.selectbox(
    tr("drill_step"), steps, index=default, format_func=lambda i: f"{stages[i]} → {stages[i + 1]}", key="drill_step"
)
dropped = dropped_at(deals.deals, stages, step, window_days)
st.caption(tr("drill_caption", n=len(dropped), a=md(stages[step]), b=md(stages[step + 1])))
drill = deals_table(dropped, stages, lang())
st.dataframe(drill, hide_index=True, width="stretch", column_config={tr("col_stage_amount"): MONEY})
if len(drill):
    name = download_name(f"{tr('drill_header')}_{stages[step]}")
    download_buttons(drill, name, "drop", "drill")
