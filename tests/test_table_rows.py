"""A table's cells read in SQL mean what the same cells mean in a file: amounts to the cent, dates, names, reasons."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel.engine import DuckDBEngine
from funnel.schema import Mapping, prepare_sales
from funnel.sources import table_source
from funnel.values import parse_amounts, parse_dates

AMOUNTS = [
    "1,234.50", "¥50,000", "(300)", "300-", "1.234,50", "1234,5", "12%", "5万", "RMB 1,000", "１２３．４５",
    "50000.00元", "-0.005", "0.125", "1e3", "  42  ", "n/a", "", "1,2,3", "--5", "(12", "1.005", "$ 7.10",
]  # fmt: skip
DATES = [
    "2026-01-05", "2026/1/5", "2026.1.5", "2026年1月5日", "20260105", "2026-01-05 10:30:00", "2026-01-05T08:00",
    "45000", "2018-02-29", "2024-02-29", "1899-12-31", "2026-13-01", "", "soon", "２０２６-０１-０５",
]  # fmt: skip


def through_sql(column: list[object]) -> pd.DataFrame:
    """The cells as one text column of a table, classified by the engine: reason, amount_cents, date per row."""
    with DuckDBEngine() as db:
        db.register("cells", pa.table({"客户名称": ["甲"] * len(column), "价税合计": column, "日期": column}))
        return db.fetch("SELECT reason, amount_cents FROM ({sql}) AS r".format(sql=_classified(db, "amount")))


def _classified(db: DuckDBEngine, role: str) -> str:
    from funnel.table_rows import classified_sql

    kinds = db.columns('"cells"')
    mapping = Mapping(customer="客户名称", amount="价税合计", date="日期" if role == "date" else None)
    return classified_sql('"cells"', kinds, mapping)


def test_text_amounts_mean_what_they_mean_in_a_file():
    cents, bad = parse_amounts(pd.Series(AMOUNTS, dtype="object"))
    out = through_sql(AMOUNTS)
    expected = [None if b else int(c) for c, b in zip(cents, bad, strict=True)]
    got = [None if pd.isna(r.amount_cents) else int(r.amount_cents) for r in out.itertuples()]
    assert got == expected
    assert expected[:4] == [123450, 5000000, -30000, -30000]  # a few written out by hand


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False), min_size=1, max_size=20))
def test_numbers_round_to_the_same_cents_as_a_file(values):
    column = [float(v) for v in values]
    cents, bad = parse_amounts(pd.Series(column))  # at the cap (10亿) and beyond, a bad amount in both
    with DuckDBEngine() as db:
        db.register("cells", pa.table({"客户名称": ["甲"] * len(column), "价税合计": column}))
        kinds = db.columns('"cells"')
        from funnel.table_rows import classified_sql

        sql = classified_sql('"cells"', kinds, Mapping(customer="客户名称", amount="价税合计"))
        out = db.fetch(f"SELECT amount_cents FROM ({sql}) AS r")
    got = [None if pd.isna(c) else int(c) for c in out["amount_cents"]]
    assert got == [None if b else int(c) for c, b in zip(cents, bad, strict=True)]


def test_text_dates_mean_what_they_mean_in_a_file():
    with DuckDBEngine() as db:
        db.register("cells", pa.table({"客户名称": ["甲"] * len(DATES), "价税合计": ["1"] * len(DATES), "日期": DATES}))
        out = db.fetch(f"SELECT date FROM ({_classified(db, 'date')}) AS r")
    expected, _ = parse_dates(pd.Series(DATES, dtype="object"))
    assert [None if pd.isna(d) else pd.Timestamp(d) for d in out["date"]] == [
        None if pd.isna(d) else pd.Timestamp(d) for d in expected
    ]
    assert pd.Timestamp(out["date"][0]) == pd.Timestamp("2026-01-05")


def test_reasons_and_names_as_for_a_file():
    rows = {
        "单据日期": ["2026-01-05", "2026-01-06", None, "2026-01-07", "合计", "2026-01-08", "2026-01-09", "2026-02-30"],
        "客户名称": ["某某（北京）有限公司", "某某(北京)有限公司 ", None, "  ", None, "乙", "Subtotal", "丙"],
        "货品名称": ["门锁", "门锁", None, "门锁", None, "", "门锁", "门锁"],
        "价税合计": ["100", "200.5", None, "1", "301", "5", "9", "7"],
    }
    frame = pd.DataFrame(rows)
    file = prepare_sales(frame)
    with DuckDBEngine() as db:
        db.register("sales", pa.table(rows))
        table = table_source(db, '"sales"', None, "sales")
        keys = table.lines.fetch("SELECT customer_key, amount_cents FROM {lines} AS l")
    assert table.reasons == file.reasons == {
        "empty_row": 1, "total_row": 2, "blank_customer": 1, "blank_product": 1, "bad_date": 1,
    }  # fmt: skip
    assert sorted(keys["customer_key"]) == sorted(file.lines["customer_key"]) == ["某某(北京)有限公司"] * 2
    assert sorted(keys["amount_cents"]) == sorted(file.lines["amount_cents"]) == [10000, 20050]


@pytest.mark.parametrize("bad", ["no_such", 'x" OR 1=1 --'])
def test_an_override_naming_no_column_is_a_clear_error(bad):
    from funnel.errors import FunnelError

    with DuckDBEngine() as db:
        db.register("sales", pa.table({"客户名称": ["甲"], "价税合计": [1.0]}))
        with pytest.raises(FunnelError) as err:
            table_source(db, '"sales"', {"amount": bad}, "sales")
    assert err.value.key == "schema_unknown_column"
