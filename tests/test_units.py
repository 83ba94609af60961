"""Money units (funnel.units): which unit 'auto' means, the currency a report is in, and thresholds and band labels
written in the unit — never '0.01万以下', always one label per band, in order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel.bands import band_labels as legacy_labels
from funnel.units import Unit, amount_text, band_labels, detect_currency, resolve_unit, threshold_text

WAN, YUAN, USD, PLAIN = Unit("wan"), Unit("yuan"), Unit("plain", "USD"), Unit("plain", None)


@pytest.mark.parametrize(
    ("header", "values", "currency"),
    [
        ("价税合计", [], "CNY"),
        ("金额（元）", [], "CNY"),
        ("Sales", ["$1,200.00", "$5.00"], "USD"),
        ("Amount (USD)", [12.5], "USD"),
        ("Net Value", ["€1.234,50"], "EUR"),
        ("Umsatz EUR", [], "EUR"),
        ("金额(美元)", [], "USD"),
        ("金额(港币)", [], "HKD"),
        ("Sales", ["HK$300"], "HKD"),
        ("Sales", [12.5, 100], None),  # Superstore: no sign anywhere, English header
        ("Amount", ["¥1,200"], "CNY"),
        ("Total", ["RMB 300"], "CNY"),
    ],
)
def test_the_currency_is_read_from_the_header_and_the_cells(header, values, currency):
    assert detect_currency(header, values) == currency


@pytest.mark.parametrize(
    ("choice", "currency", "lang", "unit"),
    [
        ("auto", "CNY", "zh", WAN),
        ("auto", "CNY", "en", YUAN),
        ("auto", "USD", "zh", USD),
        ("auto", None, "en", PLAIN),
        ("yuan", "USD", "zh", YUAN),
        ("wan", None, "en", WAN),
        ("plain", "CNY", "zh", PLAIN),
        ("plain", "EUR", "en", Unit("plain", "EUR")),
    ],
)
def test_auto_means_wan_in_chinese_yuan_in_english_and_the_files_own_currency(choice, currency, lang, unit):
    assert resolve_unit(choice, currency, lang) == unit


def test_default_labels_are_the_ones_the_page_always_had():
    edges = [10_000, 50_000, 100_000, 200_000]
    assert (
        band_labels(edges, WAN, "zh")
        == legacy_labels(edges, "zh")
        == ["1万以下", "1–5万", "5–10万", "10–20万", "20万以上"]
    )
    assert band_labels(edges, YUAN, "en") == legacy_labels(edges, "en")


@pytest.mark.parametrize(
    ("unit", "lang", "labels"),
    [
        (WAN, "zh", ["100元以下", "100–5,000元", "5,000元–1.23万", "1.23万以上"]),
        (WAN, "en", ["< 100", "100–5k", "5k–12.3k", "≥ 12.3k"]),
        (YUAN, "zh", ["100元以下", "100–5,000元", "5,000–12,300元", "12,300元以上"]),
        (USD, "en", ["< $100", "$100–$5,000", "$5,000–$12,300", "≥ $12,300"]),
        (USD, "zh", ["$100以下", "$100–$5,000", "$5,000–$12,300", "$12,300以上"]),
        (PLAIN, "zh", ["100以下", "100–5,000", "5,000–12,300", "12,300以上"]),
    ],
)
def test_small_thresholds_are_written_in_full_never_as_hundredths_of_a_wan(unit, lang, labels):
    assert band_labels([100, 5_000, 12_300], unit, lang) == labels


def test_a_threshold_is_written_in_wan_only_when_it_is_exact_there():
    assert threshold_text(12_345, WAN, "zh") == "12,345元"
    assert threshold_text(12_300, WAN, "zh") == "1.23万"
    assert threshold_text(0.5, YUAN, "zh") == "0.5元"
    assert threshold_text(1_000_000, WAN, "zh") == "100万"


def test_amounts_have_separators_two_decimals_and_their_unit():
    assert amount_text(35_349.231, YUAN, "zh") == "35,349.23元"
    assert amount_text(35_349.231, WAN, "zh") == "3.53万"
    assert amount_text(8_459.93, USD, "en") == "$8,459.93"
    assert amount_text(-20, USD, "en") == "-$20.00"
    assert amount_text(1_560_800, PLAIN, "en") == "1,560,800.00"


def test_headers_carry_the_unit_in_each_language():
    assert WAN.header("销售额", "zh") == "销售额（万元）"
    assert WAN.header("Revenue", "en") == "Revenue (10k yuan)"
    assert USD.header("销售额", "zh") == "销售额（美元）"
    assert PLAIN.header("Revenue", "en") == "Revenue"


thresholds = st.lists(
    st.integers(min_value=0, max_value=10**10).map(lambda c: c / 100), min_size=1, max_size=8, unique=True
).map(sorted)


@given(thresholds, st.sampled_from([WAN, YUAN, USD, PLAIN]), st.sampled_from(["zh", "en"]))
def test_every_band_gets_its_own_label_and_none_is_hundredths_of_a_wan(values, unit, lang):
    labels = band_labels(values, unit, lang)
    assert len(labels) == len(values) + 1
    assert len(set(labels)) == len(labels)
    assert not any("0.0" in label and "万" in label for label in labels)
