"""Key customers page: Pareto curve, ABC grades, at-risk and upgrade lists, the filtered list to download."""

from __future__ import annotations

import streamlit as st

from funnel.charts import pareto_chart
from funnel.errors import FunnelError
from funnel.formats import count, percent
from funnel.keycustomers import (
    LOST_ALL,
    NO_DEAL,
    BehaviourRules,
    behaviour_by_customer,
    detect_behaviour_columns,
    filter_customers,
    filter_options,
    value_stage_of,
)
from funnel.pipeline_sql import customer_stages, deal_relation
from funnel.tables import KEY_COLUMNS, customer_list, download_name, grade_table, localise_columns
from pages import state
from pages.common import (
    current_sales,
    current_stages,
    download_buttons,
    key_analysis,
    lang,
    md,
    pipeline_account,
    pipeline_deals,
    pipeline_query,
    population_filters,
    scoped,
    show_error,
    show_table,
    tr,
    unit,
)


def downloads(table, what: str, products, start, end, key: str) -> None:
    download_buttons(table, download_name(what, products, start, end), what, key)


sales = current_sales()
st.title(tr("page_key"))
st.caption(tr("key_hint"))

with st.sidebar:
    products, start, end = population_filters(sales)
    share = state.slider("pareto_share", tr("pareto_share"), 50, 95, 80, step=5)
    cut_a = state.slider("cutoff_a", tr("cutoff_a"), 50, 95, 80, step=1)
    cut_b = state.slider("cutoff_b", tr("cutoff_b"), 60, 100, 95, step=1)
    inactive_days = state.number("inactive_days", tr("inactive_days"), 90, 7, 730, step=7)
    drop_pct = state.slider("drop_pct", tr("drop_pct"), 5, 90, 30, step=5)
    upgrade_pct = state.slider("key_upgrade_pct", tr("upgrade_pct"), 0, 100, 20, step=5)

try:
    report = key_analysis(
        sales,
        products,
        start,
        end,
        cutoffs=(cut_a / 100, cut_b / 100),
        share=share / 100,
        inactive_days=int(inactive_days),
        drop_pct=drop_pct / 100,
        upgrade_pct=upgrade_pct / 100,
    )
except FunnelError as exc:
    show_error(exc)
    st.stop()

customers = report.customers
if customers.empty:
    st.info(tr("no_rows"))
    st.stop()

u = unit()
n, pct, reached = report.pareto
st.subheader(tr("pareto_sentence", n=count(n), pct=percent(pct), share=percent(reached)))
if report.as_of is not None:
    st.caption(tr("as_of", date=report.as_of.date().isoformat()))
st.plotly_chart(pareto_chart(report, lang(), u), key="pareto")
st.markdown(f"**{tr('grade_summary')}**")
show_table(grade_table(report, lang()), key="grades")

risk = report.at_risk()
st.subheader(tr("at_risk_header"))
st.caption(tr("at_risk_caption", n=count(len(risk)), days=int(inactive_days), pct=drop_pct))
if len(risk):
    risk_table = customer_list(risk, lang(), KEY_COLUMNS)
    show_table(risk_table, pin=2, key="risk")
    downloads(risk_table, tr("at_risk_header"), products, start, end, "risk")

upgrades = report.upgrade_candidates()
st.subheader(tr("upgrade_header"))
if len(upgrades):
    up_table = customer_list(upgrades, lang(), KEY_COLUMNS)
    show_table(up_table, pin=2, key="upgrades")
    downloads(up_table, tr("upgrade_header"), products, start, end, "upgrade")

st.subheader(tr("key_list"))
f1, f2, f3, f4 = st.columns(4)
grades = state.multiselect(
    "kc_grades", tr("filter_grade"), ["A", "B", "C"], default=["A"], where=f1, placeholder=tr("all_placeholder")
)
options = filter_options(customers)
band_labels = options["bands"]
bands = state.multiselect(
    "kc_bands",
    tr("filter_band"),
    sorted(band_labels),
    format_func=band_labels.get,
    where=f2,
    placeholder=tr("all_placeholder"),
)
main_products = state.multiselect(
    scoped("kc_prod"),
    tr("filter_product"),
    options["products"],
    where=f3,
    key="kc_prod",
    placeholder=tr("all_placeholder"),
)
regions = state.multiselect(
    scoped("kc_reg"), tr("filter_region"), options["regions"], where=f4, key="kc_reg", placeholder=tr("all_placeholder")
)
g1, g2, g3 = st.columns(3)
reps = state.multiselect(
    scoped("kc_rep"), tr("filter_rep"), options["reps"], where=g1, key="kc_rep", placeholder=tr("all_placeholder")
)
min_shown = state.number(
    "kc_min", u.header(tr("min_revenue"), lang()), 0.0, 0.0, where=g2, step=10_000.0 / u.factor, format="%.2f"
)
search = state.text("kc_search", tr("search"), where=g3, placeholder=tr("search_placeholder"))
shown = filter_customers(customers, grades, bands, main_products, regions, reps, (min_shown * u.factor) or None, search)
st.caption(tr("list_caption", shown=count(len(shown)), total=count(len(customers))))
table = customer_list(shown, lang(), KEY_COLUMNS)
show_table(table, pin=2, key="key_list")
downloads(table, f"{tr('page_key')}_{'+'.join(grades) or 'ABC'}", products, start, end, "key")


def stage_name(stage: str) -> str:
    return {NO_DEAL: tr("stage_no_deal"), LOST_ALL: tr("stage_all_lost")}.get(stage, stage)


def value_stage_section() -> None:
    """ABC grade × furthest stage, joined with the pipeline data; an unusable pipeline costs this section only.
    The bundled sample pipeline is never joined to an uploaded sales report without the user saying so."""
    st.subheader(tr("matrix_vs_header"))
    pipeline = st.session_state["pipeline_source"]
    if pipeline is None:  # the chosen pipeline table cannot be used: this section says why, the page goes on
        st.error(tr("db_error", msg=st.session_state.get("pipeline_error") or "?"))
        return
    if pipeline.is_sample and not st.session_state.get("sales_is_sample", True):
        st.info(tr("vs_sample_pipeline"))
        if not state.toggle("vs_use_sample", tr("vs_use_sample")):
            return
    elif pipeline.is_sample:
        st.caption(tr("vs_sample_note"))
    st.caption(tr("matrix_vs_caption"))
    try:
        deals = pipeline_deals(current_stages(), None, st.session_state.setdefault("value_map", {}))
        deals.check_matched()
        stages = deals.stages
    except FunnelError as exc:  # an unusable pipeline file costs this section only, not the page
        show_error(exc)
        return
    pipeline_account(deals)
    per_customer = pipeline_query(
        deals, "customer_stages", (), lambda: customer_stages(deal_relation(deals.source, len(stages)))
    )
    grid = value_stage_of(customers, per_customer, stages)
    st.markdown(f"**{tr('matrix_counts')}**")
    counts = localise_columns(grid.counts.rename(columns=stage_name), lang()).reset_index()
    show_table(counts, default="count", pin=1, key="vs_counts")
    st.markdown(f"**{u.header(tr('matrix_revenue'), lang())}**")
    revenue = localise_columns(grid.revenue.rename(columns=stage_name), lang()).reset_index()
    revenue_kinds = {str(c): "money" for c in revenue.columns[1:]}
    show_table(revenue, kinds=revenue_kinds, pin=1, key="vs_revenue", unit_in_headers=False)
    c1, c2 = st.columns(2)
    cell_grade = state.select("vs_grade", tr("cell_grade"), ["A", "B", "C"], where=c1)
    cell_stage = state.select(
        f"vs_stage@{pipeline.digest[:12]}",
        tr("cell_stage"),
        list(grid.counts.columns),
        format_func=stage_name,
        where=c2,
        key="vs_stage",
    )
    cell = grid.cell(cell_grade, cell_stage)
    st.caption(tr("vs_cell_caption", n=count(len(cell)), g=cell_grade, s=md(stage_name(cell_stage))))
    if len(cell):
        cell_table = customer_list(cell, lang(), KEY_COLUMNS)
        show_table(cell_table, pin=2, key="vs_cell")
        downloads(cell_table, f"{cell_grade}_{stage_name(cell_stage)}", products, start, end, "vs")
    with st.expander(tr("pipeline_only_header", n=count(len(grid.pipeline_only)))):
        show_table(localise_columns(grid.pipeline_only, lang()), key="vs_pipeline_only")


value_stage_section()

raw = st.session_state.get("sales_raw")
found = detect_behaviour_columns([str(c) for c in raw.frame.columns]) if raw is not None else {}
if found:
    st.subheader(tr("behaviour_header"))
    r1, r2, r3, r4 = st.columns(4)
    rules = BehaviourRules(
        promote_after_viewings=int(state.number("rule_promote", tr("rule_promote"), 1, 0, 100, where=r1)),
        offer_within_viewings=int(state.number("rule_offer", tr("rule_offer"), 4, 0, 100, where=r2)),
        demote_after_viewings=int(state.number("rule_demote", tr("rule_demote"), 9, 1, 100, where=r3)),
        drop_after_recommendations=int(state.number("rule_drop", tr("rule_drop"), 8, 1, 100, where=r4)),
    )
    graded_by_behaviour = behaviour_by_customer(raw.frame, sales.mapping.customer, found, rules)
    show_table(localise_columns(graded_by_behaviour, lang()), key="behaviour")
