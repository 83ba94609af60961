"""Downloads: CSV with BOM that keeps Chinese, formatted XLSX, and no formula from user data can run."""

import csv
import io

import pandas as pd
from openpyxl import load_workbook

from funnel.export import formula_like, neutralise, to_csv_bytes, to_xlsx_bytes

TABLE = pd.DataFrame(
    {
        "客户": ["华信科技有限公司", '=HYPERLINK("http://x","点我")', "+86 电话", "-减号", "@SUM(A1)", "普通"],
        "销售额": [50000.0, 1.5, -300.0, 0.0, 2.0, 12345.67],
        "最近日期": pd.to_datetime(["2026-01-05", "2026-02-01", None, "2026-03-01", "2026-03-02", "2026-03-03"]),
    }
)


def test_neutralise_only_touches_formula_like_text():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("@x") == "'@x"
    assert neutralise("甲") == "甲"
    assert neutralise(-300.0) == -300.0


def test_csv_has_bom_and_reads_back_with_chinese_intact():
    data = to_csv_bytes(TABLE)
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    assert back["客户"].iloc[0] == "华信科技有限公司"
    assert back["客户"].iloc[1] == '\'=HYPERLINK("http://x","点我")'
    assert back["客户"].iloc[2:5].tolist() == ["'+86 电话", "'-减号", "'@SUM(A1)"]
    assert back["销售额"].tolist() == TABLE["销售额"].tolist()  # negative numbers stay numbers
    assert back["最近日期"].iloc[0] == "2026-01-05"


def test_xlsx_round_trip_and_formatting():
    wb = load_workbook(io.BytesIO(to_xlsx_bytes(TABLE, sheet="5–10万")))
    ws = wb.active
    assert ws.title == "5–10万"
    assert [c.value for c in ws[1]] == list(TABLE.columns)
    assert ws["A1"].font.bold
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:C7"
    formula = ws["A3"]
    assert formula.value == '=HYPERLINK("http://x","点我")'
    assert formula.data_type == "s"  # typed text, never evaluated
    assert all(ws.cell(row=r, column=1).data_type == "s" for r in range(2, 8))
    assert [ws.cell(row=r, column=2).value for r in range(2, 8)] == TABLE["销售额"].tolist()
    assert ws["B2"].number_format == "#,##0.00"
    assert ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["C4"].value is None
    assert ws.column_dimensions["A"].width >= len("华信科技有限公司") * 2


def test_xlsx_read_back_with_pandas_equals_the_table():
    back = pd.read_excel(io.BytesIO(to_xlsx_bytes(TABLE)), engine="openpyxl")
    pd.testing.assert_series_equal(back["客户"], TABLE["客户"])
    pd.testing.assert_series_equal(back["销售额"], TABLE["销售额"])


def test_localise_columns_translates_known_names_only():
    from funnel.tables import localise_columns

    frame = pd.DataFrame({"customer": ["甲"], "variants": ["甲 | 甲 "], "门锁": [1]}).set_index("customer")
    out = localise_columns(frame, "en")
    assert out.index.name == "Customer" and list(out.columns) == ["Spellings", "门锁"]
    assert list(localise_columns(frame.reset_index(), "zh").columns) == ["客户", "不同写法", "门锁"]


HIDDEN = [
    "＝1+1",  # full-width equals (WPS and some Excel locales evaluate it)
    "＋86 电话",
    "－减号",
    "＠SUM(A1)",
    "﹦1+1",  # small equals sign
    "\ufeff=1+1",  # behind a byte-order mark
    '\u200b=HYPERLINK("http://x")',  # behind a zero-width space
    "\u202e=1+1",  # behind a bidi override
    "\u2060\u200e+1",
    " \u3000=1+1",  # behind white space
    "\u22121",  # minus sign
    "\n=1+1",
]
SAFE = ["华信科技", "a=b", "邮箱 a@b.cd", "1-2", "'=already", ""]


def test_formula_like_after_unicode_normalisation():
    assert all(formula_like(text) for text in HIDDEN)
    assert not any(formula_like(text) for text in SAFE)


def test_csv_neutralises_hidden_and_full_width_formulas_in_cells_and_headers():
    table = pd.DataFrame({"＝表头": HIDDEN + SAFE, "n": range(len(HIDDEN) + len(SAFE))})
    table["类别"] = pd.Categorical(table["＝表头"])  # a category column too
    rows = list(csv.reader(io.StringIO(to_csv_bytes(table).decode("utf-8-sig"))))
    assert rows[0] == ["'＝表头", "n", "类别"]
    cells = [r[0] for r in rows[1:]]
    assert cells == ["'" + text for text in HIDDEN] + SAFE
    assert [r[2] for r in rows[1:]] == cells


def test_xlsx_keeps_the_text_exact_and_marks_formula_like_cells_as_quoted_text():
    table = pd.DataFrame({"＝表头": HIDDEN + SAFE})
    ws = load_workbook(io.BytesIO(to_xlsx_bytes(table))).active
    assert ws["A1"].value == "＝表头" and ws["A1"].data_type == "s" and ws["A1"].quotePrefix
    for row, text in enumerate(HIDDEN + SAFE, start=2):
        cell = ws.cell(row=row, column=1)
        assert cell.value == (text or None)  # exactly as in the table (an empty text reads back as empty)
        assert cell.data_type == "s" or not text
        assert bool(cell.quotePrefix) == formula_like(text), text


def test_xlsx_with_control_characters_in_names_still_opens():
    table = pd.DataFrame({"客户": ["甲\x01公司", "\x1b[31m乙"]})
    ws = load_workbook(io.BytesIO(to_xlsx_bytes(table, sheet="a\x00b\u200b/c"))).active
    assert [ws["A2"].value, ws["A3"].value] == ["甲\ufffd公司", "\ufffd[31m乙"]
    assert ws.title == "ab_c"
