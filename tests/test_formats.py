"""Formatting per language (funnel.formats): percentages, money, dates and months, periods, local time, and result
tables made ready to show without a raw None, nan or NaT."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.formats import (
    MISSING,
    count,
    date_text,
    local_time,
    money,
    month_text,
    percent,
    period_text,
    points,
    present,
    span_text,
)
from funnel.units import Unit

WAN, YUAN = Unit("wan"), Unit("yuan")


def test_percentages_to_one_decimal():
    assert percent(0.27833) == "27.8%"
    assert percent(0.0726) == "7.3%"
    assert percent(0.38) == "38.0%"
    assert percent(-0.5, signed=True) == "-50.0%" and percent(0.125, signed=True) == "+12.5%"
    assert percent(None) == percent(float("nan")) == MISSING


def test_money_counts_and_points():
    assert money(35_349.231, YUAN) == "35,349.23"
    assert money(35_349.231, WAN) == "3.53"
    assert money(np.nan, YUAN) == MISSING
    assert count(12_357) == "12,357" and count(pd.NA) == MISSING
    assert points(0.031, "zh") == "+3.1 个百分点" and points(-0.2, "en") == "-20.0 pp"


def test_dates_and_months_are_written_for_the_language():
    assert date_text(date(2025, 1, 5), "zh") == "2025年1月5日"
    assert date_text(pd.Timestamp("2025-01-05 13:00"), "en") == "5 Jan 2025"
    assert date_text(pd.NaT, "zh") == MISSING
    assert month_text("2025-01", "zh") == "2025年1月"
    assert month_text(pd.Period("2025-12", "M"), "en") == "Dec 2025"
    assert span_text(date(2025, 1, 1), date(2025, 6, 30), "zh") == "2025年1月1日–2025年6月30日"


@pytest.mark.parametrize(
    ("period", "zh", "en"),
    [
        ("2026Q1", "2026年第1季度", "Q1 2026"),
        ("2026-03", "2026年3月", "Mar 2026"),
        ("—", "未定签单日期", "No signing date"),
    ],
)
def test_forecast_periods(period, zh, en):
    assert period_text(period, "zh") == zh and period_text(period, "en") == en


def test_a_utc_time_is_shown_in_the_viewers_zone_with_its_offset():
    assert local_time("2026-01-05T09:30:12+00:00", "Asia/Shanghai") == "2026-01-05 17:30 (UTC+8)"
    assert local_time("2026-07-05T09:30:00+00:00", "America/New_York") == "2026-07-05 05:30 (UTC-4)"  # summer time
    assert local_time("2026-07-05T09:30:00+00:00", "Asia/Kolkata") == "2026-07-05 15:00 (UTC+5:30)"
    assert local_time("2026-01-05T09:30:12+00:00", None) == "2026-01-05 09:30 (UTC)"
    assert local_time("2026-01-05T09:30:12+00:00", "Not/AZone") == "2026-01-05 09:30 (UTC)"
    assert local_time(None, "Asia/Shanghai") == MISSING


def test_present_divides_money_into_the_unit_and_puts_it_in_the_header():
    frame = pd.DataFrame({"客户": ["甲", "乙"], "销售额": [150_000.0, 5_000.0], "客户占比": [0.75, 0.25]})
    shown = present(frame, "zh", WAN)
    assert list(shown.frame.columns) == ["客户", "销售额（万元）", "客户占比"]
    assert shown.frame["销售额（万元）"].tolist() == [15.0, 0.5]
    assert shown.frame["客户占比"].tolist() == [75.0, 25.0]  # percent points, drawn as "75.0%"
    assert shown.kinds == {"客户": "text", "销售额（万元）": "money", "客户占比": "percent"}


def test_missing_values_are_written_out_never_none_or_nan():
    frame = pd.DataFrame(
        {
            "阶段": ["甲", None],
            "到下一阶段天数（中位数）": [13.0, np.nan],
            "流失比例": [0.272, None],
            "首次日期": [pd.Timestamp("2025-01-05"), pd.NaT],
            "距下一层": [500.0, np.nan],
        }
    )
    shown = present(frame, "zh", WAN)
    out = shown.frame
    assert out["阶段"].tolist() == ["甲", ""]
    assert out["到下一阶段天数（中位数）"].tolist() == ["13", MISSING]
    assert out["流失比例"].tolist() == ["27.2%", MISSING]
    assert out["首次日期"].tolist() == ["2025年1月5日", MISSING]
    assert not out.isna().any().any()
    assert shown.kinds["流失比例"] == "text_right"


def test_complete_columns_stay_numbers_so_a_click_sorts_them():
    frame = pd.DataFrame(
        {"客户数": [3, 10], "流失比例": [0.1, 0.2], "首次日期": pd.to_datetime(["2025-01-05", "2025-02-01"])}
    )
    shown = present(frame, "en", YUAN)
    assert shown.frame["客户数"].dtype == "int64" and shown.frame["流失比例"].dtype == "float64"
    assert shown.kinds["首次日期"] == "date" and shown.frame["首次日期"].tolist() == [
        date(2025, 1, 5),
        date(2025, 2, 1),
    ]


cells = st.one_of(st.none(), st.just(np.nan), st.floats(allow_nan=False, allow_infinity=False, width=32))


@given(st.lists(cells, min_size=1, max_size=8), st.sampled_from(["zh", "en"]), st.sampled_from([WAN, YUAN]))
def test_no_shown_cell_is_ever_missing(values, lang, unit):
    frame = pd.DataFrame({"销售额": pd.Series(values, dtype="object"), "客户占比": pd.Series(values, dtype="object")})
    out = present(frame, lang, unit).frame
    assert not out.isna().any().any()
    text = out.astype(str)
    assert not text.isin(["None", "nan", "NaN", "NaT"]).any().any()
    for value, shown in zip(values, out.iloc[:, 0], strict=True):
        if value is not None and not (isinstance(value, float) and math.isnan(value)) and isinstance(shown, float):
            assert shown == pytest.approx(value / unit.factor)
