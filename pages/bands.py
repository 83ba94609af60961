"""Amount-band funnel page: choose products, period and thresholds; see customers and revenue per band."""

from __future__ import annotations

import streamlit as st

from funnel.bands import DEFAULT_THRESHOLDS
from funnel.charts import band_funnel
from funnel.errors import FunnelError
from funnel.formats import count
from funnel.tables import band_summary_table, customer_list, download_name
from funnel.thresholds import crowded, next_threshold, place, scale, step_for, suggest
from funnel.units import grouped, threshold_text
from pages import state
from pages.common import (
    band_analysis,
    current_sales,
    download_buttons,
    lang,
    population_filters,
    population_totals,
    show_error,
    show_table,
    tr,
    unit,
)

_REORDERED = "_thresholds_reordered"


def _set(values) -> None:
    state.put("thresholds", tuple(round(float(v), 2) for v in values))
    st.session_state.pop(_REORDERED, None)


def _moved(i: int, key: str, factor: float, grid: list[float]) -> None:
    """Threshold i was moved (slider) or typed (box, in the unit): placed in order, never onto another one."""
    values = state.thresholds()
    if i >= len(values):
        return
    value = float(st.session_state[key]) * factor
    if key.startswith("th_s_") and value in grid:
        at = grid.index(value)
        step = grid[at + 1] - value if value < values[i] and at + 1 < len(grid) else value - grid[max(at - 1, 0)]
    else:
        step = step_for(value)
    new = place(values, i, value, step or step_for(value))
    _set(new)
    moved_to = [j for j, v in enumerate(new) if abs(v - value) < 0.005]
    if moved_to and moved_to[0] != i:
        st.session_state[_REORDERED] = True
    state.forget_link_notes()


def _add() -> None:
    values = state.thresholds()
    _set([*values, next_threshold(values)])


def _remove() -> None:
    _set(state.thresholds()[:-1])


def threshold_editor(totals_cents) -> list[float]:
    """Per threshold, a slider on a scale that fits the customers' totals (round numbers, equal steps on a log
    scale) and an exact box in the chosen unit, kept in step through the state model; add, remove, suggestions."""
    u, language = unit(), lang()
    values = state.thresholds()
    grid = scale(totals_cents, values)
    st.subheader(u.header(tr("thresholds"), language))
    for i, value in enumerate(values):
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        label = tr("threshold_n", n=i + 1)
        state.prime(f"th_s_{i}", round(value, 2))
        left.select_slider(
            label,
            options=grid,
            format_func=lambda x: threshold_text(x, u, language),
            key=f"th_s_{i}",
            on_change=_moved,
            args=(i, f"th_s_{i}", 1.0, grid),
        )
        state.prime(f"th_n_{i}", round(value / u.factor, 6))
        right.number_input(
            label,
            min_value=0.0,
            step=step_for(value) / u.factor,
            format="%g",  # 1 · 1.2345 · 50000 · 12345.67: the exact figure, no padding zeros
            key=f"th_n_{i}",
            on_change=_moved,
            args=(i, f"th_n_{i}", float(u.factor), grid),
            label_visibility="collapsed",
            help=tr("threshold_exact_help"),
        )
    if st.session_state.get(_REORDERED):
        st.caption(tr("thresholds_reordered"))
    b1, b2 = st.columns(2)
    b1.button(tr("add_band"), on_click=_add, width="stretch", icon=":material/add:", key="add_band")
    b2.button(
        tr("remove_band"),
        on_click=_remove,
        disabled=len(values) <= 1,
        width="stretch",
        icon=":material/remove:",
        key="remove_band",
    )
    suggested = suggest(totals_cents)
    st.button(
        tr("suggest_bands"),
        on_click=_set,
        args=(suggested,),
        width="stretch",
        key="suggest_bands",
        icon=":material/auto_awesome:",
        disabled=suggested == values,
    )
    st.caption(tr("suggest_caption", values="、".join(threshold_text(v, u, language) for v in suggested)))
    default = [float(x) for x in DEFAULT_THRESHOLDS]
    st.button(
        tr("reset_bands"),
        on_click=_set,
        args=(default,),
        width="stretch",
        key="reset_bands",
        icon=":material/restart_alt:",
        disabled=default == values,
    )
    return state.thresholds()


sales = current_sales()
st.title(tr("page_bands"))
st.caption(tr("bands_hint"))

with st.sidebar:
    products, start, end = population_filters(sales)
    totals = population_totals(sales, products, start, end)
    thresholds = threshold_editor(totals["amount_cents"])
    upgrade_pct = state.slider("upgrade_pct", tr("upgrade_pct"), 0, 100, 20, step=5)

try:
    report = band_analysis(sales, products, start, end, thresholds, upgrade_pct / 100)
except FunnelError as exc:
    show_error(exc)
    st.stop()

if report.n_customers == 0:
    st.info(tr("no_rows"))
    st.stop()

u = unit()
m1, m2, m3 = st.columns(3)
m1.metric(tr("total_customers"), count(report.n_customers))
m2.metric(u.header(tr("total_revenue"), lang()), grouped(report.total_cents / 100 / u.factor))
m3.metric(tr("upgrade_candidates"), count(report.summary["upgrade_candidates"].sum()))

counts = report.summary["customers"].tolist()
if crowded(counts):
    top = counts.index(max(counts))
    st.info(tr("bands_crowded", share=f"{max(counts) / sum(counts):.0%}", band=report.labels[top]))

c1, c2 = st.columns(2)
c1.plotly_chart(band_funnel(report, "customers", lang(), u), key="funnel_customers")
c2.plotly_chart(band_funnel(report, "amount", lang(), u), key="funnel_amount")

show_table(band_summary_table(report, lang()), key="band_summary")

st.subheader(tr("choose_band"))
labels = list(report.labels)
left, right = st.columns([3, 2], vertical_alignment="bottom")
band = state.select(
    "band",
    tr("choose_band"),
    range(len(labels)),
    default=int(report.summary["customers"].idxmax()),
    format_func=lambda i: labels[i],
    where=left,
)
only_upgrade = state.toggle("only_upgrade", tr("only_upgrade"), where=right)
rows = report.band_customers(band, upgrade_only=only_upgrade)
st.caption(
    tr(
        "band_list_caption",
        band=labels[band],
        n=count(report.summary.loc[band, "customers"]),
        up=count(report.summary.loc[band, "upgrade_candidates"]),
        pct=upgrade_pct,
    )
)
table = customer_list(rows, lang())
show_table(table, pin=1, key="band_customers")
what = f"{tr('page_bands')}_{labels[band]}" + (f"_{tr('upgrade_candidates')}" if only_upgrade else "")
name = download_name(what, products, start, end)
download_buttons(table, name, labels[band], "dl")
