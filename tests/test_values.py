"""Cell values as ERPs write them: amounts to exact cents, dates in every common form, comparable names."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from funnel.errors import FunnelError
from funnel.values import (
    MAX_AMOUNT,
    MAX_LINE_CENTS,
    SAFE_LINES,
    check_cents,
    clean_name,
    may_be_dates,
    name_key,
    parse_amounts,
    parse_dates,
    sum_cents,
)


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
    cents, invalid = parse_amounts(pd.Series([1e300, -1e14, 9.9e12, 1e9, -1e9, 999_999_999.99, -999_999_999.99]))
    assert invalid.tolist() == [True, True, True, True, True, False, False]
    assert cents.tolist()[-2:] == [99_999_999_999, -99_999_999_999]
    cents, invalid = parse_amounts(pd.Series(["99999.99", "100000"]), scale=10_000)  # a 万元 column
    assert invalid.tolist() == [False, True] and cents.iloc[0] == 99_999_990_000


def test_the_cap_keeps_any_sum_of_a_file_inside_int64():
    # by hand: 92,233,720 lines × 100,000,000,000 cents = 9,223,372,000,000,000,000 ≤ 2**63 − 1
    assert SAFE_LINES == 92_233_720 and MAX_LINE_CENTS == 100_000_000_000
    assert SAFE_LINES * MAX_LINE_CENTS <= 2**63 - 1 < (SAFE_LINES + 1) * MAX_LINE_CENTS
    assert MAX_AMOUNT * 100 == MAX_LINE_CENTS


def test_ten_thousand_lines_at_the_cap_land_in_the_top_band():
    """The issue's case: 10,000 lines at the per-line cap wrapped to −84 quadrillion (old cap 10万亿)."""
    from funnel.bands import band_report, customer_totals
    from funnel.schema import prepare_sales

    frame = pd.DataFrame({"客户名称": ["甲"] * 10_000 + ["乙"], "价税合计": ["999,999,999.99"] * 10_000 + [5]})
    totals = customer_totals(prepare_sales(frame).lines).set_index("customer")
    # by hand: 99,999,999,999 cents × 10,000 = 999,999,999,990,000 cents = 9,999,999,999,900.00 yuan
    assert int(totals.loc["甲", "amount_cents"]) == 999_999_999_990_000
    report = band_report(totals.reset_index(), [10_000, 50_000])
    assert report.summary["customers"].tolist() == [1, 0, 1]  # 乙 below 1万, 甲 in the top band
    assert report.total_cents == 999_999_999_990_500
    old_cap = prepare_sales(pd.DataFrame({"客户名称": ["丙"] * 10_000, "价税合计": [9.9e12] * 10_000}))
    assert old_cap.rows_used == 0 and old_cap.reasons == {"bad_amount": 10_000}  # counted, never summed


def test_a_column_longer_than_can_be_summed_is_refused(monkeypatch):
    import funnel.values

    monkeypatch.setattr(funnel.values, "SAFE_LINES", 3)
    parse_amounts(pd.Series([1, 2, 3]))
    with pytest.raises(FunnelError) as err:
        parse_amounts(pd.Series([1, 2, 3, 4]))
    assert err.value.key == "values_too_many_lines"


def test_sum_cents_is_exact_where_int64_would_wrap():
    big = 2**62  # three of them wrap int64 to a negative number
    assert int(np.array([big] * 3, dtype="int64").sum()) < 0
    assert sum_cents([big] * 3) == 3 * 2**62
    assert sum_cents([big, -big, big, 5]) == big + 5
    assert sum_cents([-(2**63)] * 2) == -(2**64)
    assert sum_cents(np.array([1, 2, 3], dtype="int64")) == 6 and sum_cents([]) == 0
    assert check_cents(2**63 - 1) == 2**63 - 1
    with pytest.raises(FunnelError):
        check_cents(3 * 2**62)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=50))
def test_sum_cents_equals_python_arithmetic(values):
    assert sum_cents(np.array(values, dtype="int64")) == sum(values)


@pytest.mark.parametrize("hidden", ["\u200b", "\ufeff", "\u202e", "\u200e", "\u200f", "\u2060", "\u00ad", "\u200d"])
def test_invisible_characters_never_split_a_customer(hidden):
    assert name_key(f"甲{hidden}公司") == name_key("甲公司") == name_key(f"{hidden}甲公司{hidden}")
    assert clean_name(hidden * 3) == ""


def test_invisible_characters_in_a_report_one_customer_and_an_honest_row_account():
    from funnel.schema import prepare_sales

    names = ["甲公司", "甲公司\u200b", "\ufeff甲公司", "甲\u202e公司", "\u200b\u2060", "乙公司"]
    sales = prepare_sales(pd.DataFrame({"客户名称": names, "价税合计": [1, 2, 3, 4, 5, 6]}))
    assert sales.rows_read == 6 and sales.rows_used == 5
    assert sales.reasons == {"blank_customer": 1}  # the row whose name is only invisible characters
    totals = sales.lines.groupby("customer")["amount_cents"].sum().to_dict()
    assert totals == {"甲公司": 1000, "乙公司": 600}  # shown as the file shows it, no hidden characters


def test_shown_names_keep_joiners_that_shape_text():
    assert clean_name("👩\u200d💻 工作室") == "👩\u200d💻 工作室"
    assert clean_name("甲\u202e公司\u200b") == "甲公司"


def _decimal_cents(text: str, scale: int = 1) -> int:
    """The independent computation: the amount as written, in Decimal, half away from zero."""
    from decimal import ROUND_HALF_UP, Decimal

    return int((Decimal(text) * scale * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("text", ["12.345", "1.005", "0.285", "-12.345", "-1.005", "957.5775", "2.675", "1.115"])
def test_half_cents_round_away_from_zero_as_written(text):
    # binary floats put these a hair below the half (12.345 × 100 = 1234.4999…): the cents follow the decimal text
    as_text, _ = parse_amounts(pd.Series([text]))
    as_float, _ = parse_amounts(pd.Series([float(text)], dtype="float64"))
    assert as_text.iloc[0] == as_float.iloc[0] == _decimal_cents(text)


def test_half_cents_under_wan_scale():
    values, _ = parse_amounts(pd.Series(["0.0000125", "1.2345675"]), scale=10_000)
    assert values.tolist() == [_decimal_cents("0.0000125", 10_000), _decimal_cents("1.2345675", 10_000)]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-(10**9), max_value=10**9), st.one_of(st.just(50), st.integers(0, 99))),
        min_size=1,
        max_size=40,
    )
)
def test_amounts_with_three_or_four_decimals_total_like_decimal(lines):
    # Superstore-shaped amounts (957.5775, 12.345), many of them exactly on a half cent: every line and the total
    # equal an exact decimal computation
    units = [cents * 100 + (-tail if cents < 0 else tail) for cents, tail in lines]
    texts = [f"{'-' if u < 0 else ''}{abs(u) // 10_000}.{abs(u) % 10_000:04d}" for u in units]
    expected = [_decimal_cents(t) for t in texts]
    for series in (pd.Series(texts), pd.Series([float(t) for t in texts], dtype="float64")):
        cents, invalid = parse_amounts(series)
        assert not invalid.any()
        assert cents.tolist() == expected
        assert int(cents.sum()) == sum(expected)


# Texts built from pieces of dates (digits, separators, times, month and weekday names, full-width forms) and
# pieces that are not (CJK names, other letters, marks that only case-folding or NFKC turn into ASCII).
_DATE_PIECES = st.sampled_from(
    ["2026", "1", "05", "13", "20260105", "-", "/", ".", "年", "月", "日", " ", ",", "星期一", "周日", "Mon", "Jan",
     "January", "10:30", " PM", "T08:00:00Z", "+08:00", "２０２６", "／", "１", "e3", "inf", "_"]
)  # fmt: skip
_OTHER_PIECES = st.sampled_from(["客户", "有限公司", "产品", "号", "é", "İ", "K", "ſ", "①", "㈠", "#", "%", "(", "Ω"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(_DATE_PIECES, _OTHER_PIECES), min_size=1, max_size=6).map("".join), max_size=12))
@example(["Monİ 2026-1-5", "monı 13-5-2026", "客户00012有限公司", "5-13-2026", "①-②-２０２６", "2026年"])
def test_a_text_may_be_dates_rules_out_never_parses_and_leaves_the_others_as_they_were(texts):
    keep = may_be_dates(texts)
    alone = [bool(parse_dates(pd.Series([t], dtype="object"))[1].iloc[0]) for t in texts]
    assert all(alone[i] for i in range(len(texts)) if not keep[i])  # ruled out: not a date, even on its own
    together = parse_dates(pd.Series(texts, dtype="object"))[0]
    kept = parse_dates(pd.Series([t for t, k in zip(texts, keep, strict=True) if k], dtype="object"))[0]
    assert together[keep].tolist() == kept.tolist()  # the day-first choice of the rest is unchanged
    assert together[~keep].isna().all()
