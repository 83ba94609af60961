"""Plotly figures built from analysis results (never from raw files)."""

from __future__ import annotations

import plotly.graph_objects as go

from funnel.bands import BandReport
from funnel.i18n import t

PALETTE = ("#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b", "#041f47", "#021230")


def _colors(n: int) -> list[str]:
    return [PALETTE[min(i, len(PALETTE) - 1)] for i in range(n)]


def band_funnel(report: BandReport, measure: str = "customers", lang: str = "zh") -> go.Figure:
    """A funnel of customers (or revenue) per amount band, smallest band on top, with value and share on each bar."""
    summary = report.summary
    if measure == "customers":
        values = summary["customers"].tolist()
        shares = summary["customer_share"].tolist()
        text = [f"{v:,} ({s:.1%})" for v, s in zip(values, shares, strict=True)]
        title = t("funnel_customers", lang)
    else:
        values = summary["amount"].tolist()
        shares = summary["amount_share"].tolist()
        if lang == "zh":
            text = [f"{v / 10_000:,.1f}万 ({s:.1%})" for v, s in zip(values, shares, strict=True)]
        else:
            text = [f"{v:,.0f} ({s:.1%})" for v, s in zip(values, shares, strict=True)]
        title = t("funnel_revenue", lang)
    fig = go.Figure(
        go.Funnel(
            y=summary["label"].tolist(),
            x=[max(v, 0) for v in values],
            text=text,
            textinfo="text",
            marker={"color": _colors(len(values))},
            connector={"line": {"color": "#c6dbef"}},
            hovertemplate="%{y}: %{text}<extra></extra>",
        )
    )
    fig.update_layout(title=title, margin={"l": 10, "r": 10, "t": 50, "b": 10}, height=360)
    return fig
