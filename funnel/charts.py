"""Plotly figures built from analysis results (never from raw files).

Every name that comes from the user's data (customers, products, stages, groups, bands, periods) goes through
funnel.escape.plotly: Plotly renders a small HTML subset (<a href>, <b>, <span style>, entities) in legends, axis
labels, hover text and titles, and a name must be shown as typed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from funnel.bands import BandReport
from funnel.escape import plotly, plotly_all
from funnel.formats import month_text, period_text
from funnel.i18n import t
from funnel.keycustomers import KeyCustomerReport
from funnel.migration import Migration
from funnel.stages import StageFunnel
from funnel.units import Unit, grouped

YUAN = Unit("yuan", "CNY")
MONEY_TICKS = ",.2~f"  # 1,234.5 · 156.08 (never 5M or 1.2k: amounts are read in the chosen unit)
PERCENT_AXIS = {"tickformat": ".0%", "dtick": 0.2, "range": [0, 1.02]}  # 0%, 20%, … 100%
MARGIN = {"l": 10, "r": 10, "t": 60, "b": 10}


def _title(text: str) -> dict:
    """A chart title above the plot area (never over a bar, node or legend)."""
    return {"text": text, "x": 0, "xanchor": "left", "y": 0.98, "yanchor": "top", "yref": "container"}


def _money_title(text: str, unit: Unit, lang: str) -> str:
    return plotly(unit.header(text, lang))


PALETTE = ("#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b", "#041f47", "#021230")


def _colors(n: int) -> list[str]:
    return [PALETTE[min(i, len(PALETTE) - 1)] for i in range(n)]


def band_funnel(report: BandReport, measure: str = "customers", lang: str = "zh", unit: Unit = YUAN) -> go.Figure:
    """A funnel of customers (or revenue, in the unit) per amount band, smallest band on top, with value and share."""
    summary = report.summary
    if measure == "customers":
        values = summary["customers"].tolist()
        shares = summary["customer_share"].tolist()
        text = [f"{v:,} ({s:.1%})" for v, s in zip(values, shares, strict=True)]
        title = t("funnel_customers", lang)
    else:
        values = [v / unit.factor for v in summary["amount"].tolist()]
        shares = summary["amount_share"].tolist()
        text = [f"{grouped(v)} ({s:.1%})" for v, s in zip(values, shares, strict=True)]
        title = _money_title(t("funnel_revenue", lang), unit, lang)
    fig = go.Figure(
        go.Funnel(
            y=plotly_all(summary["label"]),
            x=[max(v, 0) for v in values],
            text=text,
            textinfo="text",
            marker={"color": _colors(len(values))},
            connector={"line": {"color": "#c6dbef"}},
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(title=_title(title), margin=MARGIN, height=360)
    return fig


GRADE_COLORS = {"A": "#08519c", "B": "#6baed6", "C": "#c6dbef"}


def pareto_chart(report: KeyCustomerReport, lang: str = "zh", unit: Unit = YUAN) -> go.Figure:
    """Revenue per customer (bars, coloured by grade) and cumulative share (line), with the Pareto point marked."""
    from plotly.subplots import make_subplots

    c = report.customers
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for grade in ("A", "B", "C"):
        part = c[c["grade"] == grade]
        fig.add_trace(
            go.Bar(
                x=part["rank"],
                y=part["amount"] / unit.factor,
                name=grade,
                marker={"color": GRADE_COLORS[grade], "line": {"width": 0}},
                customdata=[[plotly(name)] for name in part["customer"]],
                hovertemplate="#%{x} %{customdata[0]}<br>%{y:,.2f}<extra>" + grade + "</extra>",
            ),
            secondary_y=False,
        )
    fig.add_trace(
        go.Scatter(
            x=c["rank"],
            y=c["cum_share"],
            mode="lines",
            name=t("pareto_y2", lang),
            line={"color": "#e6550d", "width": 2},
            hovertemplate="#%{x}: %{y:.1%}<extra></extra>",
        ),
        secondary_y=True,
    )
    n, _, reached = report.pareto
    if n:
        fig.add_vline(x=n, line={"dash": "dot", "color": "#636363"})
        fig.add_hline(y=report.share, line={"dash": "dot", "color": "#636363"}, secondary_y=True)
        fig.add_annotation(x=n, y=reached, yref="y2", text=f"{n:,} → {reached:.1%}", showarrow=True, arrowhead=2)
    fig.update_yaxes(**PERCENT_AXIS, secondary_y=True, title_text=t("pareto_y2", lang))
    fig.update_yaxes(title_text=_money_title(t("revenue", lang), unit, lang), tickformat=MONEY_TICKS, secondary_y=False)
    fig.update_xaxes(title_text=t("pareto_x", lang), tickformat=",d")
    fig.update_layout(
        title=_title(t("pareto_title", lang)),
        bargap=0,
        height=440,
        margin=MARGIN,
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


def migration_sankey(result: Migration, lang: str = "zh") -> go.Figure:
    """Customers flowing from earlier bands (left, with 'new') to later bands (right, with 'lost')."""
    left = [*result.labels, "new"]
    right = [*result.labels, "lost"]

    def name(label: str) -> str:
        return t(f"band_{label}", lang) if label in ("new", "lost") else label

    labels = plotly_all([name(x) for x in left] + [name(x) for x in right])
    sources, targets, values = [], [], []
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            n = int(result.matrix.loc[a, b])
            if n:
                sources.append(i)
                targets.append(len(left) + j)
                values.append(n)
    colors = _colors(len(result.labels))
    node_colors = [*colors, "#31a354", *colors, "#de2d26"]
    left_sizes = [int(result.matrix.loc[a].sum()) for a in left]
    right_sizes = [int(result.matrix[b].sum()) for b in right]
    fig = go.Figure(
        go.Sankey(
            arrangement="fixed",  # bands keep their order, top to bottom, on both sides
            node={
                "label": labels,
                "color": node_colors,
                "pad": 14,
                "x": [0.001] * len(left) + [0.999] * len(right),
                "y": _stacked_centres(left_sizes) + _stacked_centres(right_sizes),
            },
            link={"source": sources, "target": targets, "value": values, "color": "rgba(107,174,214,0.35)"},
            valueformat=",d",
        )
    )
    fig.update_layout(title=_title(t("sankey_title", lang)), height=460, margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig


def _stacked_centres(sizes: list[int], gap: float = 0.04) -> list[float]:
    """Vertical centres (0 top, 1 bottom) of nodes stacked in order with their heights in proportion to their sizes,
    so that no node reaches outside the plot area (into the title above it)."""
    total = sum(sizes) or 1
    n = len(sizes)
    room = max(1.0 - gap * (n - 1), 0.2)
    centres, top = [], 0.0
    for size in sizes:
        height = room * size / total
        centres.append(min(max(top + height / 2, 0.001), 0.999))
        top += height + gap
    return centres


def trend_charts(
    trend: pd.DataFrame,
    labels: tuple[str, ...] | list[str],
    lang: str = "zh",
    unit: Unit = YUAN,
    partial: tuple[str, ...] = (),
) -> tuple[go.Figure, go.Figure]:
    """Customers per month stacked by band (area), and revenue per month in the unit (line); months written in the
    language, and the months with only part of their days in the data (`partial`, '2025-06') marked as such."""
    months = [month_text(m, lang) + (" *" if m in partial else "") for m in trend["month"]]
    mix = go.Figure()
    for label, color in zip(labels, _colors(len(labels)), strict=True):
        mix.add_trace(
            go.Scatter(
                x=months,
                y=trend[label],
                name=plotly(label),
                stackgroup="bands",
                line={"color": color},
                hovertemplate="%{x}: %{y:,d}<extra>" + plotly(label) + "</extra>",
            )
        )
    mix.update_layout(
        title=_title(t("trend_customers", lang)),
        height=420,
        margin={**MARGIN, "b": 20},
        yaxis={"tickformat": ",d"},
        xaxis={"tickangle": -45, "nticks": 12},
        legend={"orientation": "h", "y": -0.3, "yanchor": "top"},
    )
    revenue_values = trend["revenue"] / unit.factor
    complete = [m not in partial for m in trend["month"]]
    revenue = go.Figure(
        go.Scatter(
            x=months,
            y=revenue_values,
            mode="lines+markers",
            name=t("revenue", lang),
            marker={"symbol": ["circle" if c else "circle-open" for c in complete], "size": 8},
            hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
        )
    )
    revenue.update_layout(
        title=_title(_money_title(t("trend_revenue", lang), unit, lang)),
        height=420,
        margin={**MARGIN, "b": 20},
        yaxis={"tickformat": MONEY_TICKS, "rangemode": "tozero"},
        xaxis={"tickangle": -45, "nticks": 12},
    )
    return mix, revenue


def _funnel_text(table: pd.DataFrame, lang: str) -> list[str]:
    first = table["reached"].iloc[0] or 1
    prev = table["reached"].shift(1).fillna(table["reached"].iloc[0]).replace(0, np.nan)
    return [
        t("funnel_text", lang, n=f"{n:,}", first=f"{n / first:.1%}", prev=f"{n / p:.1%}" if p == p else "–")
        for n, p in zip(table["reached"], prev, strict=True)
    ]


def stage_funnel_chart(funnel: StageFunnel, lang: str = "zh") -> go.Figure:
    """Deals reaching each stage in the defined order; the stage where the bottleneck starts is highlighted."""
    table = funnel.table
    colors = ["#6baed6"] * len(table)
    if funnel.bottleneck is not None:
        colors[funnel.bottleneck] = "#de2d26"
        colors[funnel.bottleneck + 1] = "#fc9272"
    fig = go.Figure(
        go.Funnel(
            y=plotly_all(table["stage"]),
            x=table["reached"].tolist(),
            text=_funnel_text(table, lang),
            textinfo="text",
            marker={"color": colors},
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(title=_title(t("stage_funnel_title", lang)), height=380, margin=MARGIN)
    return fig


def grouped_funnel_chart(groups: dict[str, StageFunnel], lang: str = "zh", top: int = 6) -> go.Figure:
    """One funnel trace per group (the largest `top` groups), side by side."""
    fig = go.Figure()
    for name, f in list(groups.items())[:top]:
        fig.add_trace(
            go.Funnel(
                name=plotly(name),
                y=plotly_all(f.table["stage"]),
                x=f.table["reached"].tolist(),
                texttemplate="%{value:,d}<br>%{percentInitial:.1%}",
            )
        )
    fig.update_layout(title=_title(t("breakdown_header", lang)), height=420, margin=MARGIN)
    return fig


def compare_chart(before: StageFunnel, after: StageFunnel, lang: str = "zh") -> go.Figure:
    """Before and after funnels side by side."""
    fig = go.Figure()
    for name, f, color in ((t("before", lang), before, "#bdbdbd"), (t("after", lang), after, "#2171b5")):
        fig.add_trace(
            go.Funnel(
                name=name,
                y=plotly_all(f.table["stage"]),
                x=f.table["reached"].tolist(),
                texttemplate="%{value:,d}<br>%{percentInitial:.1%}",
                marker={"color": color},
            )
        )
    fig.update_layout(title=_title(t("compare_header", lang)), height=420, margin=MARGIN)
    return fig


CATEGORY_COLORS = {"closed": "#08519c", "commit": "#3182bd", "best_case": "#9ecae1", "pipeline": "#deebf7"}


def forecast_chart(table: pd.DataFrame, lang: str = "zh", unit: Unit = YUAN) -> go.Figure:
    """Amount per period (in the unit) stacked by forecast category, with the weighted forecast as a line."""
    periods = plotly_all(period_text(p, lang) for p in table["period"])
    fig = go.Figure()
    for category, color in CATEGORY_COLORS.items():
        fig.add_trace(
            go.Bar(
                x=periods,
                y=table[f"cat_{category}"] / unit.factor,
                name=t(f"cat_{category}", lang),
                marker={"color": color},
                hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=periods,
            y=table["weighted"] / unit.factor,
            name=t("col_weighted", lang),
            mode="lines+markers",
            line={"color": "#e6550d"},
            hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        barmode="stack",
        title=_title(_money_title(t("forecast_chart", lang), unit, lang)),
        height=420,
        margin=MARGIN,
        yaxis={"tickformat": MONEY_TICKS},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def history_chart(table: pd.DataFrame, quarter: str, lang: str = "zh", unit: Unit = YUAN) -> go.Figure:
    """A quarter's weighted forecast and commit (in the unit), week by week."""
    fig = go.Figure()
    for column, color in (("weighted", "#e6550d"), ("commit", "#3182bd"), ("won", "#08519c")):
        name = t("col_closed", lang) if column == "won" else t(f"col_{column}", lang)
        fig.add_trace(
            go.Scatter(
                x=plotly_all(table["week"]),
                y=table[column] / unit.factor,
                name=name,
                mode="lines+markers",
                line={"color": color},
                hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
            )
        )
    title = _money_title(t("history_chart", lang, q=period_text(quarter, lang)), unit, lang)
    fig.update_layout(title=_title(title), height=380, margin=MARGIN, yaxis={"tickformat": MONEY_TICKS})
    return fig
