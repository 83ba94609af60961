"""A corpus of report files as ERPs and people really produce them, each with its expected answer.

Every valid kind renders the same five sales lines (BASE) in a different shape, so each expects the same
customers and total, plus whatever extra rows the kind adds, counted under their reason. Error kinds expect
the package's own error key. `python tests/corpus.py DIR` writes the files out to look at.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import xlwt
from openpyxl import Workbook

HEADER = ["单据日期", "客户名称", "货品名称", "价税合计"]
BASE = [
    ("2026-01-05", "华信科技有限公司", "门锁", 50000.00),
    ("2026-01-06", "宏达贸易有限公司", "门锁", 10000.00),
    ("2026-02-10", "华信科技有限公司", "摄像机", -2000.50),
    ("2026-03-01", "恒通电子有限公司", "摄像机", 123456.78),
    ("2026-03-02", "ACME Ltd", "门锁", 999.99),
]
CUSTOMERS = 4
TOTAL_CENTS = 18245627  # 50,000 + 10,000 − 2,000.50 + 123,456.78 + 999.99
BANDS = [1, 2, 0, 1, 0]  # ACME < 1万; 华信 47,999.50 and 宏达 10,000 in 1–5万; 恒通 in 10–20万


@dataclass
class Case:
    name: str
    data: bytes
    filename: str
    reasons: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    customers: int = CUSTOMERS
    total_cents: int = TOTAL_CENTS
    bands: list[int] | None = None
    duplicates: int = 0
    sheet: str | None = None


def xlsx(rows, sheet="销售明细", extra: dict | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(list(row))
    for name, more in (extra or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(list(row))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv(rows, sep=",", encoding="utf-8") -> bytes:
    def cell(v):
        text = "" if v is None else str(v)
        return f'"{text}"' if sep in text or '"' in text else text

    return ("\r\n".join(sep.join(cell(v) for v in row) for row in rows) + "\r\n").encode(encoding)


def base(amount=lambda a: a, date=lambda d: d, customer=lambda c: c):
    return [[date(d), customer(c), p, amount(a)] for d, c, p, a in BASE]


def xls(rows) -> bytes:
    wb = xlwt.Workbook()
    ws = wb.add_sheet("销售")
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def thousands(a: float) -> str:
    return f"{a:,.2f}"


def parens(a: float) -> str:
    return f"({abs(a):,.2f})" if a < 0 else f"{a:,.2f}"


def fullwidth(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789.,-"})


def cases() -> list[Case]:
    rows = [HEADER, *base()]
    c: list[Case] = [
        Case("plain_xlsx", xlsx(rows), "r.xlsx", bands=BANDS),
        Case("title_rows", xlsx([["华安科技有限公司 销售明细表"], ["报表期间：2026年1-3月"], [], *rows]), "r.xlsx"),
        Case("header_on_row_15", xlsx([[f"说明 {i}"] for i in range(14)] + rows), "r.xlsx"),
        Case(
            "two_row_header",
            xlsx(
                [
                    ["单据日期", "客户名称", "货品名称", "金额", None],
                    [None, None, None, "价税合计", "税额"],
                    *[[*r, 0] for r in base()],
                ]
            ),
            "r.xlsx",
        ),
        Case("merged_title_above", xlsx([["单据日期", "客户名称", "货品名称", "价税合计"], *base()]), "r.xlsx"),
        Case("spacer_rows", xlsx([HEADER, *base()[:2], [], [], *base()[2:]]), "r.xlsx", {"empty_row": 2}),
        Case(
            "trailing_notes",
            xlsx([*rows, [], ["制表人：张三"], ["审核：李四"]]),
            "r.xlsx",
            {"empty_row": 1, "note_row": 2},
        ),
        Case("total_row", xlsx([*rows, ["合计", None, None, 182456.27]]), "r.xlsx", {"total_row": 1}),
        Case(
            "subtotals",
            xlsx([*rows[:3], [None, "华信科技有限公司 小计", None, 50000], *rows[3:], ["总计", None, None, 182456.27]]),
            "r.xlsx",
            {"total_row": 2},
        ),
        Case("english_headers", xlsx([["Invoice Date", "Customer", "Product", "Amount"], *base()]), "r.xlsx"),
        Case(
            "sap_headers",
            xlsx([["Billing Date", "Sold-to Party", "Material Description", "Net Value"], *base()]),
            "r.xlsx",
        ),
        Case("kingdee_headers", xlsx([["业务日期", "购货单位", "存货名称", "含税金额"], *base()]), "r.xlsx"),
        Case("text_thousands", xlsx([HEADER, *base(amount=thousands)]), "r.xlsx"),
        Case("currency_marks", xlsx([HEADER, *base(amount=lambda a: f"¥{a:,.2f}")]), "r.xlsx"),
        Case("rmb_suffix", xlsx([HEADER, *base(amount=lambda a: f"RMB {a:.2f} 元")]), "r.xlsx"),
        Case("parentheses_negative", xlsx([HEADER, *base(amount=parens)]), "r.xlsx"),
        Case("fullwidth_digits", xlsx([HEADER, *base(amount=lambda a: fullwidth(f"{a:.2f}"))]), "r.xlsx"),
        Case(
            "trailing_spaces",
            xlsx([HEADER, *base(amount=lambda a: f" {a:.2f}  ", customer=lambda c: f" {c} ")]),
            "r.xlsx",
        ),
        Case(
            "wan_yuan_column",
            xlsx([["单据日期", "客户名称", "货品名称", "金额(万元)"], *base(amount=lambda a: round(a / 10000, 6))]),
            "r.xlsx",
        ),
        Case(
            "excel_serial_dates",
            xlsx(
                [
                    HEADER,
                    *base(
                        date=lambda d: (
                            (__import__("pandas").Timestamp(d) - __import__("pandas").Timestamp("1899-12-30")).days
                        )
                    ),
                ]
            ),
            "r.xlsx",
        ),
        Case("slash_dates", xlsx([HEADER, *base(date=lambda d: d.replace("-0", "/").replace("-", "/"))]), "r.xlsx"),
        Case(
            "chinese_dates", xlsx([HEADER, *base(date=lambda d: f"{d[:4]}年{int(d[5:7])}月{int(d[8:])}日")]), "r.xlsx"
        ),
        Case("weekday_dates", xlsx([HEADER, *base(date=lambda d: f"{d} 星期一")]), "r.xlsx"),
        Case(
            "day_first_dates",  # 25/03/26 proves the column is day/month/year
            xlsx([HEADER, *base(date=lambda d: f"{d[8:]}/{d[5:7]}/{d[2:4]}"), ["25/03/26", "ACME Ltd", "门锁", 0]]),
            "r.xlsx",
        ),
        Case("invalid_date", xlsx([*rows, ["2018-02-29", "无效日期公司", "门锁", 5]]), "r.xlsx", {"bad_date": 1}),
        Case("csv_utf8", csv(rows), "r.csv"),
        Case("csv_utf8_bom", b"\xef\xbb\xbf" + csv(rows), "r.csv"),
        Case("csv_gb18030", csv(rows, encoding="gb18030"), "r.csv"),
        Case("csv_gbk_titles", csv([["销售报表"], [], *rows], encoding="gbk"), "r.csv"),
        Case("utf16_tab_unicode_text", csv(rows, sep="\t", encoding="utf-16"), "r.txt"),
        Case("semicolon_csv", csv([HEADER, *base(amount=lambda a: f"{a:.2f}".replace(".", ","))], sep=";"), "r.csv"),
        Case("tab_csv", csv(rows, sep="\t"), "r.tsv"),
        Case("quoted_thousands_csv", csv([HEADER, *base(amount=thousands)]), "r.csv"),
        Case("xls_biff8", xls(rows), "r.xls"),
        Case(
            "several_sheets",
            xlsx([["说明：本文件由ERP导出"]], sheet="说明", extra={"明细": rows}),
            "r.xlsx",
            sheet="明细",
        ),
        Case(
            "name_variants",
            xlsx([*rows, ["2026-03-03", "ACME  LTD", "门锁", 0.01], ["2026-03-04", "华信科技有限公司　", "门锁", 0]]),
            "r.xlsx",
            total_cents=TOTAL_CENTS + 1,
        ),
        Case(
            "fullwidth_brackets",
            xlsx(
                [
                    HEADER,
                    ["2026-01-01", "某某（北京）有限公司", "门锁", 1],
                    ["2026-01-02", "某某(北京)有限公司", "门锁", 2],
                ]
            ),
            "r.xlsx",
            customers=1,
            total_cents=300,
        ),
        Case(
            "blank_customer_and_product",
            xlsx([*rows, ["2026-03-05", None, "门锁", 10], ["2026-03-06", "某公司", None, 10]]),
            "r.xlsx",
            {"blank_customer": 1, "blank_product": 1},
        ),
        Case(
            "non_numeric_amount", xlsx([*rows, ["2026-03-05", "某公司", "门锁", "待定"]]), "r.xlsx", {"bad_amount": 1}
        ),
        Case(
            "duplicate_rows",
            xlsx([*rows, list(base()[1])]),
            "r.xlsx",
            total_cents=TOTAL_CENTS + 1_000_000,
            duplicates=1,
        ),
        Case(
            "leading_blank_rows_and_columns", xlsx([[], [], [None, *HEADER], *[[None, *r] for r in base()]]), "r.xlsx"
        ),
        Case("stray_cell_far_below", _stray(rows), "r.xlsx", {"note_row": 1}),
        # --- must fail clearly
        Case("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "r.pdf", error="read_not_spreadsheet"),
        Case("png_renamed_xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "r.xlsx", error="read_not_spreadsheet"),
        Case("docx", _docx(), "r.xlsx", error="read_not_spreadsheet"),
        Case("truncated_xlsx", xlsx(rows)[:1500], "r.xlsx", error="read_corrupt"),
        Case(
            "password_protected",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 512
            + "EncryptedPackage".encode("utf-16-le")
            + b"\x00" * 512,
            "r.xlsx",
            error="read_encrypted",
        ),
        Case("empty_sheet", xlsx([]), "r.xlsx", error="read_empty_sheet"),
        Case("empty_file", b"", "r.csv", error="read_empty_file"),
        Case(
            "no_known_columns",
            xlsx([["名称", "数值", "备注"], ["甲", 1, "x"]]),
            "r.xlsx",
            error="schema_missing_columns",
        ),
        Case("binary_garbage", bytes(range(256)) * 4, "r.csv", error="read_not_spreadsheet"),
    ]
    return c


def _stray(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(list(row))
    ws.cell(row=1_048_576, column=26, value="x")  # someone typed in the last row once
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _docx() -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


if __name__ == "__main__":
    import sys
    from pathlib import Path

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    out.mkdir(parents=True, exist_ok=True)
    for case in cases():
        (out / f"{case.name}{Path(case.filename).suffix}").write_bytes(case.data)
    print(f"{len(cases())} files in {out}")
