"""Cell values as ERPs write them: amounts to exact cents, dates in every common form, comparable names."""

import pandas as pd
import pytest

from funnel.values import clean_name, name_key, parse_amounts, parse_dates


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1,234.50", 123450),
        ("¥50,000", 5000000),
        ("￥50,000.00", 5000000),
        ("RMB 12,000.00 元", 1200000),
        ("(300)", -30000),
        ("（300.5）", -30050),
        ("1.234,56", 123456),
        ("1234,5", 123450),
        ("1,234.00-", -123400),
        ("５０００", 500000),
        (" 7 ", 700),
        ("-5,000.00", -500000),
        ("3万", 3000000),
        ("12%", 12),
        ("0.125", 13),  # half away from zero
        ("-0.125", -13),
    ],
)
def test_amount_text_to_cents(text, cents):
    values, invalid = parse_amounts(pd.Series([text]))
    assert not invalid.iloc[0]
    assert values.iloc[0] == cents


@pytest.mark.parametrize("text", ["abc", "待定", None, "", "1.2.3", "--"])
def test_non_numbers_are_invalid(text):
    _, invalid = parse_amounts(pd.Series([text], dtype="object"))
    assert invalid.iloc[0]


def test_float_lines_are_exact_in_cents():
    values, _ = parse_amounts(pd.Series([49999.7, 0.1, 0.2], dtype="float64"))
    assert values.sum() == 5000000  # 49,999.70 + 0.10 + 0.20 = 50,000.00 exactly
    assert 49999.7 + 0.1 + 0.2 < 50000.0  # what summing floats gives: below the 5万 threshold


def test_wan_scale():
    values, _ = parse_amounts(pd.Series(["1.5", "0.25"]), scale=10_000)
    assert values.tolist() == [1500000, 250000]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-05", "2026-01-05"),
        ("2026-01-05 00:00:00", "2026-01-05"),
        ("2026/1/5", "2026-01-05"),
        ("2026.1.5", "2026-01-05"),
        ("2026年1月5日", "2026-01-05"),
        ("2018-01-01 星期一", "2018-01-01"),
        ("20260105", "2026-01-05"),
        ("46027", "2026-01-05"),  # Excel serial number
    ],
)
def test_date_forms(text, expected):
    dates, invalid = parse_dates(pd.Series([text]))
    assert not invalid.iloc[0]
    assert dates.iloc[0] == pd.Timestamp(expected)


def test_impossible_date_is_invalid_not_today():
    dates, invalid = parse_dates(pd.Series(["2018-02-29", "2018-13-01", "x"]))
    assert invalid.tolist() == [True, True, True]
    assert dates.isna().all()


def test_day_first_only_when_the_column_proves_it():
    ambiguous, _ = parse_dates(pd.Series(["03/01/19", "04/02/19"]))
    assert ambiguous.tolist() == [pd.Timestamp("2019-03-01"), pd.Timestamp("2019-04-02")]
    proven, _ = parse_dates(pd.Series(["03/01/19", "25/12/19"]))
    assert proven.tolist() == [pd.Timestamp("2019-01-03"), pd.Timestamp("2019-12-25")]


def test_real_datetimes_pass_through():
    dates, invalid = parse_dates(pd.Series(pd.to_datetime(["2026-03-04 15:30", None])))
    assert dates.iloc[0] == pd.Timestamp("2026-03-04")
    assert invalid.tolist() == [False, True]


def test_name_key_folds_width_space_and_case():
    assert name_key("某某（北京）有限公司") == name_key("某某(北京)有限公司")
    assert name_key(" ACME  Ltd ") == name_key("acme ltd") == name_key("ＡＣＭＥ Ltd")
    assert name_key("甲公司") != name_key("乙公司")
    assert clean_name("  某某 \u3000 公司 ") == "某某 公司"


def test_years_outside_1900_2199_are_invalid_not_a_crash():
    _, invalid = parse_dates(pd.Series(["1026-03-01", "2262-05-01", "9999/1/1", "2026-03-01"]))
    assert invalid.tolist() == [True, True, True, False]


def test_amounts_too_large_for_a_sales_line_are_invalid():
    _, invalid = parse_amounts(pd.Series([1e300, -1e14, 9.9e12]))
    assert invalid.tolist() == [True, True, False]
