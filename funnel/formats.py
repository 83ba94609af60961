"""Numbers, percentages and dates written for the user's language, and result tables made ready to show.

One place decides how a value reads on screen: percentages to one decimal (27.8%), money with separators and two
decimals in the chosen unit (1,560,800.00 · 156.08 万元), dates as 2025年1月5日 / 5 Jan 2025 and months as 2025年1月 /
Jan 2025, and a missing value as "—" (never None, nan or NaT).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from funnel.i18n import t
from funnel.units import Unit, grouped

MISSING = "—"
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# What each column holds, by its string key in funnel.i18n (the header a table is given): how it is written.
KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "revenue", "col_amount", "col_gap_to_next", "col_gap_to_next_grade", "col_stage_amount", "col_weighted",
            "col_closed", "col_commit", "col_best_case", "col_open_amount", "col_target", "col_gap",
            "col_revenue_from", "col_revenue_to", "col_per_customer_from", "col_per_customer_to",
            "col_from_amount", "col_to_amount", "col_change", "matrix_revenue", "col_revenue_at_stake",
        ),
        "money",
    ),
    **dict.fromkeys(
        (
            "customer_share", "revenue_share", "col_share", "col_cum_share", "col_change_pct", "col_step_conversion",
            "col_cumulative_conversion", "col_drop_share", "win_rate", "col_customer_growth", "col_revenue_growth",
            "col_churn", "col_conversion_before", "col_conversion_after", "col_probability", "col_error",
        ),
        "percent",
    ),
    **dict.fromkeys(("col_change_pp",), "points"),
    **dict.fromkeys(("col_coverage",), "ratio"),
    **dict.fromkeys(("col_first_date", "col_last_date", "col_signing_date", "role_date"), "date"),
    **dict.fromkeys(("col_median_days_to_next", "col_days_since_last"), "days"),
}  # fmt: skip


def is_missing(value: object) -> bool:
    """None, NaN, NaT and pandas' NA all count as missing."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def percent(value: object, lang: str = "zh", signed: bool = False) -> str:
    """A share or rate to one decimal: 0.27833 → '27.8%'; '+12.5%' when signed; '—' when missing."""
    if is_missing(value):
        return MISSING
    return f"{float(value):+.1%}" if signed else f"{float(value):.1%}"


def points(value: object, lang: str = "zh") -> str:
    """A change in percentage points to one decimal: 0.031 → '+3.1 pp' ('+3.1 个百分点' in Chinese)."""
    if is_missing(value):
        return MISSING
    return f"{float(value) * 100:+.1f}" + (" 个百分点" if lang == "zh" else " pp")


def count(value: object) -> str:
    """A whole number with separators: 12357 → '12,357'."""
    return MISSING if is_missing(value) else f"{round(float(value)):,}"


def money(value: object, unit: Unit) -> str:
    """An amount in the unit's figures (no unit word; headers carry it), two decimals: '35,349.23' · '3.53'."""
    return MISSING if is_missing(value) else grouped(float(value) / unit.factor, 2)


def date_text(value: object, lang: str = "zh") -> str:
    """A day as written in the language: 2025年1月5日 · 5 Jan 2025."""
    if is_missing(value):
        return MISSING
    d = pd.Timestamp(value)
    return f"{d.year}年{d.month}月{d.day}日" if lang == "zh" else f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"


def month_text(value: object, lang: str = "zh") -> str:
    """A month as written in the language: 2025年1月 · Jan 2025 (from a date, a Period or '2025-01')."""
    if is_missing(value):
        return MISSING
    d = value.to_timestamp() if isinstance(value, pd.Period) else pd.Timestamp(str(value))
    return f"{d.year}年{d.month}月" if lang == "zh" else f"{MONTHS_EN[d.month - 1]} {d.year}"


def period_text(value: object, lang: str = "zh") -> str:
    """A forecast period as written in the language: 2026Q1 → 2026年第1季度 · Q1 2026; 2026-01 → 2026年1月 · Jan 2026;
    '—' (no signing date) → 未定签单日期 · No signing date."""
    text = str(value)
    if len(text) == 6 and text[4] == "Q" and text[:4].isdigit() and text[5] in "1234":
        return f"{text[:4]}年第{text[5]}季度" if lang == "zh" else f"Q{text[5]} {text[:4]}"
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return month_text(text, lang)
    if text in ("", MISSING):
        return t("no_signing_date", lang)
    return text


def span_text(start: object, end: object, lang: str = "zh") -> str:
    """A date range: 2025年1月1日–2025年6月30日 · 1 Jan 2025 – 30 Jun 2025."""
    return (
        f"{date_text(start, lang)}–{date_text(end, lang)}"
        if lang == "zh"
        else (f"{date_text(start, lang)} – {date_text(end, lang)}")
    )


def local_time(utc_text: object, zone: str | None, lang: str = "zh") -> str:
    """A time stamp the store keeps in UTC, written in the viewer's time zone (an IANA name such as
    'Asia/Shanghai', from the browser) to the minute, with the zone's offset: '2026-01-05 17:30 (UTC+8)'.
    Without a usable zone it stays in UTC and says so: '2026-01-05 09:30 (UTC)'."""
    if is_missing(utc_text) or str(utc_text).strip() == "":
        return MISSING
    try:
        stamp = pd.Timestamp(str(utc_text))
    except (ValueError, TypeError):
        return str(utc_text)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    try:
        local = stamp.tz_convert(zone) if zone else stamp
    except (ValueError, TypeError, KeyError, LookupError):
        local = stamp
    minutes = int(local.utcoffset().total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes >= 0 else "-"
    offset = "UTC" if minutes == 0 else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return f"{local.strftime('%Y-%m-%d %H:%M')} ({offset})"


@dataclass(frozen=True)
class Shown:
    """A table ready for the screen: `frame` with headers in the language (money headers carry the unit) and
    `kinds` saying, per header, how the app formats it (money, percent, count, date, days, ratio, points, text)."""

    frame: pd.DataFrame
    kinds: dict[str, str]


def _kinds_by_header(lang: str) -> dict[str, str]:
    return {t(key, lang): kind for key, kind in KINDS.items()}


def present(
    frame: pd.DataFrame,
    lang: str,
    unit: Unit,
    kinds: Mapping[str, str] | None = None,
    default: str | None = None,
    unit_headers: bool = True,
) -> Shown:
    """A localised result table (as tables.py builds it, amounts in yuan) made ready to show: money divided into
    the unit with the unit in its header (unless `unit_headers` is False: the caller titles the table with it),
    shares as percent points (27.83 for 0.2783: the table rounds them to one decimal with a printf format),
    a numeric column with missing values written out as text ('—'), text cells never None. `kinds` names columns
    the string table does not know (stage names…); `default` is the kind of any other numeric column."""
    known = {**_kinds_by_header(lang), **(kinds or {})}
    out = pd.DataFrame(index=frame.index)
    shown_kinds: dict[str, str] = {}
    for column in frame.columns:
        values = frame[column]
        kind = known.get(str(column)) or _guess(values, default)
        header = unit.header(str(column), lang) if kind == "money" and unit_headers else str(column)
        if kind == "money":
            values = values.astype("Float64") / unit.factor if values.notna().any() else values
        converted, kind = _column(values, kind, lang)
        out[header] = converted
        shown_kinds[str(header)] = kind
    return Shown(out.reset_index(drop=True), shown_kinds)


def _guess(values: pd.Series, default: str | None) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "text"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "date"
    if pd.api.types.is_integer_dtype(values):
        return default or "count"
    if pd.api.types.is_float_dtype(values):
        return default or "number"
    return "text"


_TEXT_OF = {
    "percent": lambda v, lang: percent(v, lang),
    "points": lambda v, lang: points(v, lang),
    "count": lambda v, lang: count(v),
    "days": lambda v, lang: count(v),
    "money": lambda v, lang: MISSING if is_missing(v) else grouped(float(v), 2),
    "number": lambda v, lang: MISSING if is_missing(v) else grouped(float(v), 2),
    "ratio": lambda v, lang: MISSING if is_missing(v) else f"{float(v):,.2f}×",
    "date": lambda v, lang: date_text(v, lang),
}


def _column(values: pd.Series, kind: str, lang: str) -> tuple[pd.Series, str]:
    """The column as shown and its final kind: numbers stay numbers (so a click on the header sorts them) unless
    some are missing, then every cell is written out and the column is right-aligned text."""
    if kind == "text":
        return values.map(lambda v: "" if is_missing(v) else v if isinstance(v, str) else _plain(v, lang)), "text"
    if kind == "date":
        if values.isna().any():
            return values.map(lambda v: date_text(v, lang)), "text_right"
        return pd.to_datetime(values).dt.date, "date"
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any() or values.map(lambda v: isinstance(v, float) and math.isinf(v)).any():
        return values.map(lambda v: _TEXT_OF[kind](v, lang)), "text_right"
    if kind in ("count", "days"):
        return numeric.round().astype("int64"), kind
    if kind == "percent":  # in percent points: the table's printf format rounds them (its own "percent" cuts)
        return numeric.astype("float64") * 100, kind
    return numeric.astype("float64"), kind


def _plain(value: object, lang: str) -> str:
    if isinstance(value, datetime | date | pd.Timestamp):
        return date_text(value, lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
