"""Downloads that are safe to open: CSV (UTF-8 with BOM, so Excel keeps Chinese) and formatted XLSX.

A text cell from user data that starts like a formula could run in Excel, WPS or LibreOffice: = + - @ (or a
tab/CR), also in their full-width and small forms (＝ ＋ － ＠ ﹦ …, which WPS and some Excel locales read as
operators) and behind spaces or invisible characters (U+FEFF, U+200B, bidi marks). Such a cell gets a leading
apostrophe in CSV; in XLSX it is a typed text cell with Excel's quote prefix, so it stays text even when edited.
"""

from __future__ import annotations

import io
import re
import unicodedata
from datetime import date, datetime

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from funnel.values import INVISIBLE

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_OPERATORS = frozenset("=+-@\u2212")  # after NFKC (＝ → =, ﹢ → +, ＠ → @ …); U+2212 MINUS SIGN has no NFKC form
_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # XML 1.0 cannot hold these; openpyxl refuses them


def formula_like(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula: its first character that is not white space or
    invisible is = + - @ in any Unicode form, or it starts with a tab or line break."""
    if text.startswith(FORMULA_START):
        return True
    for ch in text:
        if ch.isspace() or ch in INVISIBLE:
            continue
        return unicodedata.normalize("NFKC", ch)[:1] in _OPERATORS or ch in _OPERATORS
    return False


def neutralise(value: object) -> object:
    """A text value that a spreadsheet would read as a formula gets a leading apostrophe; anything else unchanged."""
    if isinstance(value, str) and formula_like(value):
        return "'" + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return not (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """The table as CSV in UTF-8 with BOM, formula-like text neutralised."""
    safe = frame.copy()
    for column in safe.columns:
        if _is_text_column(safe[column]):  # object, string and category columns alike
            safe[column] = safe[column].astype(object).map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8-sig")


def _cell_value(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str):
        return _ILLEGAL_IN_XLSX.sub("\ufffd", value)
    return value


def _text_cell(cell: object, text: str) -> None:
    """A typed text cell (never evaluated); formula-like text also gets Excel's quote prefix, so editing the cell
    in Excel or WPS keeps it text."""
    cell.value = text
    cell.data_type = TYPE_STRING
    if formula_like(text):
        cell.quotePrefix = True


def to_xlsx_bytes(frame: pd.DataFrame, sheet: str = "Sheet1") -> bytes:
    """The table as XLSX: bold frozen header, autofilter, number and date formats, widths that fit the content."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title(sheet)
    bold = Font(bold=True)
    for j, name in enumerate(frame.columns, start=1):
        cell = ws.cell(row=1, column=j)
        _text_cell(cell, _cell_value(str(name)))
        cell.font = bold
    widths = [max(6, _display_width(str(c))) for c in frame.columns]
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, raw in enumerate(row, start=1):
            value = _cell_value(raw)
            cell = ws.cell(row=i, column=j)
            if isinstance(value, str):
                _text_cell(cell, value)  # typed text: never evaluated as a formula
            else:
                cell.value = value
            column = frame.columns[j - 1]
            if isinstance(value, (datetime, date)):
                cell.number_format = "yyyy-mm-dd"
                text = "2026-01-01"
            elif isinstance(value, float):
                cell.number_format = "0.0%" if column_is_share(column) else "#,##0.00"
                text = f"{value:,.2f}"
            else:
                text = "" if value is None else str(value)
            widths[j - 1] = max(widths[j - 1], min(60, _display_width(text)))
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width + 2
    ws.freeze_panes = "A2"
    if frame.shape[1]:
        ws.auto_filter.ref = f"A1:{get_column_letter(frame.shape[1])}{max(1, len(frame) + 1)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def sheet_title(name: str) -> str:
    """A name Excel accepts for a sheet: no []:*?/\\ characters, no control or invisible characters, at most 31
    long, never empty."""
    visible = "".join(ch for ch in str(name) if ch >= " " and ch != "\x7f" and ch not in INVISIBLE)
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in visible).strip("'")
    return cleaned[:31] or "Sheet1"


def column_is_share(name: object) -> bool:
    """Share columns (占比 / share) are formatted as percentages."""
    text = str(name).lower()
    return "占比" in text or "share" in text


def _display_width(text: str) -> int:
    """Width in Excel character units: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
