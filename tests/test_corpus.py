"""Every kind of real-world report in the corpus reads to its expected answer or fails with a clear message."""

import pandas as pd
import pytest
from corpus import cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnel.bands import band_report, customer_totals
from funnel.errors import FunnelError
from funnel.load import load_sales

CASES = cases()


def test_the_corpus_is_broad():
    assert len([c for c in CASES if c.error is None]) >= 30
    assert len({c.error for c in CASES if c.error}) >= 6


def test_file_over_the_size_limit(monkeypatch):
    monkeypatch.setenv("FUNNEL_MAX_FILE_MB", "0.001")  # 1,048 bytes
    with pytest.raises(FunnelError) as err:
        load_sales(b"a" * 1100, "big.csv")
    assert err.value.key == "read_too_large"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case):
    if case.error:
        with pytest.raises(FunnelError) as err:
            load_sales(case.data, case.filename)
        assert err.value.key == case.error
        for lang in ("zh", "en"):
            message = err.value.message(lang)
            assert message and "\n" not in message and "{" not in message
        return
    sales = load_sales(case.data, case.filename)
    assert sales.reasons == case.reasons
    assert sales.rows_used + sales.rows_left_out == sales.rows_read
    assert sales.lines["customer_key"].nunique() == case.customers
    assert int(sales.lines["amount_cents"].sum()) == case.total_cents
    assert sales.duplicates == case.duplicates
    if case.sheet:
        assert sales.sheet == case.sheet
    if case.bands:
        assert band_report(customer_totals(sales.lines)).summary["customers"].tolist() == case.bands
    if sales.mapping.date and "invalid_date" not in case.name:
        assert sales.lines["date"].min() == pd.Timestamp("2026-01-05") or case.name == "fullwidth_brackets"


def test_row_numbers_are_the_sheet_rows():
    case = next(c for c in CASES if c.name == "leading_blank_rows_and_columns")
    sales = load_sales(case.data, case.filename)
    assert sales.header_row == 3
    assert sales.lines["row"].tolist() == [4, 5, 6, 7, 8]
    stray = next(c for c in CASES if c.name == "stray_cell_far_below")
    assert load_sales(stray.data, stray.filename).lines["row"].tolist() == [2, 3, 4, 5, 6]


VALID = [c for c in CASES if c.error is None and c.name in ("plain_xlsx", "csv_gb18030", "xls_biff8", "title_rows")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(VALID),
    cut=st.floats(min_value=0, max_value=1),
    flips=st.lists(st.tuples(st.floats(min_value=0, max_value=1), st.integers(0, 255)), max_size=12),
)
def test_mutated_files_give_a_result_or_our_error(case, cut, flips):
    data = bytearray(case.data[: max(1, int(len(case.data) * cut))] if cut < 0.98 else case.data)
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    try:
        sales = load_sales(bytes(data), case.filename)
    except FunnelError as exc:
        assert exc.message("zh") and exc.message("en")
        return
    assert sales.rows_used + sales.rows_left_out == sales.rows_read


@settings(max_examples=150, deadline=None)
@given(
    cells=st.lists(
        st.lists(
            st.one_of(
                st.none(),
                st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=12),
                st.integers(-(10**9), 10**9),
                st.floats(allow_nan=False),
            ),
            min_size=4,
            max_size=4,
        ),
        max_size=25,
    )
)
def test_random_cells_under_a_real_header(cells):
    from corpus import HEADER, xlsx

    from funnel.read import read_report
    from funnel.schema import prepare_sales

    try:  # valid files with odd values: the reading logic in-process (the worker adds ~70 ms a file)
        sales = prepare_sales(read_report(xlsx([HEADER, *cells]), "r.xlsx"))
    except FunnelError:
        return
    assert sales.rows_used + sales.rows_left_out == sales.rows_read <= len(cells)
