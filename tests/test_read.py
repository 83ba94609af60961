"""Reading files: header under title rows, CSV encodings and separators, xls, sheet choice, clear errors."""

import io

import pytest
import xlwt
from conftest import csv_text, xlsx_bytes

from funnel.csvfile import decode_text
from funnel.errors import FunnelError
from funnel.read import file_kind, read_report

HEADER = ["日期", "客户名称", "货品名称", "价税合计"]
ROWS = [["2026-01-05", "甲公司", "门锁", "50000"], ["2026-01-06", "乙公司", "门锁", "1,234.50"]]


def test_header_found_under_title_rows():
    data = xlsx_bytes([["销售报表"], ["制表人：张三"], [], HEADER, *ROWS])
    report = read_report(data, "r.xlsx")
    assert list(report.frame.columns) == HEADER
    assert report.header_row == 4
    assert report.row_numbers.tolist() == [5, 6]
    assert report.frame.iloc[1]["价税合计"] == "1,234.50"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings(encoding):
    data = csv_text([HEADER, *ROWS], sep=",").encode(encoding)
    report = read_report(data, "r.csv")
    assert report.frame["客户名称"].tolist() == ["甲公司", "乙公司"]


def test_csv_utf16_tab_separated_as_excel_unicode_text():
    data = csv_text([HEADER, *ROWS], sep="\t").encode("utf-16")
    report = read_report(data, "r.txt")
    assert report.frame["客户名称"].tolist() == ["甲公司", "乙公司"]
    assert report.frame["价税合计"].tolist() == ["50000", "1,234.50"]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_csv_separators(sep):
    rows = [HEADER, ["2026-01-05", "甲公司", "门锁", "50000"]]
    report = read_report(csv_text(rows, sep=sep).encode(), "r.csv")
    assert report.frame["价税合计"].tolist() == ["50000"]


def test_quoted_csv_with_commas_in_amounts():
    text = '客户名称,价税合计\n"甲公司","1,234.50"\n'
    report = read_report(text.encode(), "r.csv")
    assert report.frame["价税合计"].tolist() == ["1,234.50"]


def test_xls_biff8():
    wb = xlwt.Workbook()
    ws = wb.add_sheet("销售")
    for i, row in enumerate([HEADER, ["2026-01-05", "甲公司", "门锁", 50000]]):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    buffer = io.BytesIO()
    wb.save(buffer)
    report = read_report(buffer.getvalue(), "r.xls")
    assert file_kind(buffer.getvalue()) == "xls"
    assert report.frame["客户名称"].tolist() == ["甲公司"]
    assert float(report.frame["价税合计"].iloc[0]) == 50000


def test_best_sheet_is_suggested_and_any_sheet_can_be_chosen():
    data = xlsx_bytes([["说明"], ["本文件由ERP导出"]], sheet="说明", extra_sheets={"明细": [HEADER, *ROWS]})
    report = read_report(data, "r.xlsx")
    assert report.sheets == ["说明", "明细"]
    assert report.sheet == "明细"
    assert read_report(data, "r.xlsx", sheet="说明").sheet == "说明"
    with pytest.raises(FunnelError) as err:
        read_report(data, "r.xlsx", sheet="不存在")
    assert err.value.key == "read_no_such_sheet"


def test_merged_two_row_header_takes_the_parent_name():
    data = xlsx_bytes([["客户名称", "价税合计", None], [None, "含税", "数量"], ["甲公司", 100, 1]])
    report = read_report(data, "r.xlsx")
    assert "客户名称" in report.frame.columns


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "read_empty_file"),
        (b"%PDF-1.4 not a sheet", "read_not_spreadsheet"),
        (b"\x89PNG\r\n\x1a\n....", "read_not_spreadsheet"),
        (b"PK\x03\x04 truncated zip", "read_corrupt"),
    ],
)
def test_bad_files_raise_our_error(data, key):
    with pytest.raises(FunnelError) as err:
        read_report(data, "x")
    assert err.value.key == key
    assert err.value.message("zh") and err.value.message("en")


def test_truncated_xlsx_is_reported_as_damaged():
    data = xlsx_bytes([HEADER, *ROWS])
    with pytest.raises(FunnelError) as err:
        read_report(data[: len(data) // 2], "r.xlsx")
    assert err.value.key == "read_corrupt"


def test_password_protected_workbook():
    fake_ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "EncryptedPackage".encode("utf-16-le")
    with pytest.raises(FunnelError) as err:
        read_report(fake_ole, "r.xlsx")
    assert err.value.key == "read_encrypted"


def test_empty_sheet():
    with pytest.raises(FunnelError) as err:
        read_report(xlsx_bytes([]), "r.xlsx")
    assert err.value.key == "read_empty_sheet"


def test_gbk_is_detected_when_not_utf8():
    assert decode_text("客户,金额\n".encode("gbk")) == "客户,金额\n"
