"""Column detection and the row account: every row used or counted under a stated reason."""

import pandas as pd
import pytest
from conftest import xlsx_bytes
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.errors import FunnelError
from funnel.load import load_sales
from funnel.schema import Mapping, detect_mapping, prepare_sales


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["单据日期", "客户名称", "货品名称", "价税合计"], ("客户名称", "价税合计", "货品名称", "单据日期")),
        (["开票日期", "购货单位", "存货名称", "含税金额", "税额"], ("购货单位", "含税金额", "存货名称", "开票日期")),
        (["日期", "客户", "商品名称", "销售额"], ("客户", "销售额", "商品名称", "日期")),
        (["Invoice Date", "Customer", "Product", "Amount"], ("Customer", "Amount", "Product", "Invoice Date")),
        (["date", "customer name", "product name", "sales"], ("customer name", "sales", "product name", "date")),
        (["客户编码", "客户名称", "金额（元）", "无税金额"], ("客户名称", "金额（元）", None, None)),
    ],
)
def test_detects_erp_headers(columns, expected):
    m = detect_mapping(columns)
    assert (m.customer, m.amount, m.product, m.date) == expected


def test_each_column_used_once():
    m = detect_mapping(["客户", "金额"])
    assert m.customer == "客户" and m.amount == "金额"
    assert m.with_role("customer", "金额") == Mapping(customer="金额")


def test_row_account_adds_up(erp_rows):
    sales = load_sales(xlsx_bytes(erp_rows), "r.xlsx")
    assert sales.rows_read == 12
    assert sales.reasons == {"total_row": 1, "blank_customer": 1, "bad_amount": 1}
    assert sales.rows_used + sales.rows_left_out == sales.rows_read
    assert sorted(sales.left_out["row"].tolist()) == [14, 15, 16]  # sheet rows, as the user sees them in Excel
    assert set(sales.left_out["reason"]) == {"total_row", "blank_customer", "bad_amount"}


def test_every_reason_is_counted():
    frame = pd.DataFrame(
        {
            "客户名称": ["甲", None, "乙", "丙", "丁", None, "小计", "戊"],
            "货品名称": ["A", "A", None, "A", "A", None, None, "A"],
            "价税合计": ["1", "2", "3", "x", "5", None, "11", "6"],
            "日期": ["2026-01-01", "2026-01-01", "2026-01-01", "2026-01-01", "2018-02-29", None, None, "2026-01-02"],
        }
    )
    sales = prepare_sales(frame)
    assert sales.reasons == {
        "empty_row": 1,
        "total_row": 1,
        "blank_customer": 1,
        "blank_product": 1,
        "bad_amount": 1,
        "bad_date": 1,
    }
    assert sales.lines["customer"].tolist() == ["甲", "戊"]


@pytest.mark.parametrize(
    "label", ["合计", "小计", "总计", "Total", "Subtotal", "Grand Total", "甲公司 小计", "本页合计"]
)
def test_total_rows_are_left_out(label):
    frame = pd.DataFrame({"客户名称": ["甲公司", label], "价税合计": ["100", "100"]})
    sales = prepare_sales(frame)
    assert sales.reasons == {"total_row": 1}


def test_customer_variants_are_one_customer():
    frame = pd.DataFrame(
        {
            "客户名称": ["某某（北京）有限公司", "某某(北京)有限公司", " 某某(北京)有限公司 ", "ACME Ltd", "acme  ltd"],
            "价税合计": [1, 2, 3, 4, 5],
        }
    )
    sales = prepare_sales(frame)
    assert sales.lines["customer_key"].nunique() == 2
    assert sales.lines["customer"].nunique() == 2
    assert set(sales.name_variants["customer"]) == {"某某(北京)有限公司", "ACME Ltd"}


def test_duplicates_kept_and_reported():
    frame = pd.DataFrame({"客户名称": ["甲", "甲", "甲"], "价税合计": ["5", "5", "6"]})
    sales = prepare_sales(frame)
    assert sales.rows_used == 3
    assert sales.duplicates == 1


# Few values per column, some written two ways that mean the same ("5" and "5.0", two spellings of a date, a
# name with a trailing space): rows alike in what was made of them but not cell for cell are frequent.
_ROWS = st.tuples(
    st.sampled_from(["甲", "甲 ", "乙"]),
    st.sampled_from(["5", "5.0", "6", None, "x"]),
    st.sampled_from(["2026-01-05", "2026/1/5", None]),
    st.sampled_from(["产品A", None]),
    st.sampled_from(["a", "b", None]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ROWS, min_size=1, max_size=40))
def test_duplicates_count_used_rows_equal_cell_for_cell(rows):
    """The duplicate count equals pandas' own count over the raw cells of the used rows, whatever the cells hold
    (rows alike in amount or date but not in their text, or the other way round)."""
    frame = pd.DataFrame(rows, columns=["客户名称", "价税合计", "单据日期", "货品名称", "备注"], dtype="str")
    try:
        sales = prepare_sales(frame)
    except FunnelError:
        return  # no usable line at all: nothing to count
    left = set(sales.left_out["row"])
    used = [i for i, row in enumerate(range(2, len(frame) + 2)) if row not in left]
    assert sales.duplicates == int(frame.iloc[used].duplicated().sum())


def test_amount_in_wan_yuan_column():
    frame = pd.DataFrame({"客户名称": ["甲"], "金额(万元)": ["1.5"]})
    sales = prepare_sales(frame)
    assert sales.amount_scale == 10_000
    assert sales.lines["amount_cents"].tolist() == [1_500_000]


def test_missing_required_column_is_a_clear_error():
    with pytest.raises(FunnelError) as err:
        prepare_sales(pd.DataFrame({"名称": ["甲"], "备注": ["x"]}))
    assert err.value.key == "schema_missing_columns"
    assert "列映射" in err.value.message("zh")


def test_user_mapping_overrides_detection():
    frame = pd.DataFrame({"名称": ["甲", "乙"], "数": ["1", "2"]})
    sales = prepare_sales(frame, Mapping(customer="名称", amount="数"))
    assert sales.lines["amount_cents"].tolist() == [100, 200]
