"""Read a sales report file (xlsx, xls, csv/tsv/txt) into a raw grid of cells, then find its header row.

xlsx/xls go through fastexcel (calamine → Arrow): measured 20× faster than pandas+openpyxl on a 100k-row sheet.
Every cell is read as text so that the schema step decides what a value means and can say why a row is unusable.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pandas as pd

from funnel.columns import header_like
from funnel.errors import FunnelError

MAX_BYTES = 200 * 1024 * 1024
HEADER_SEARCH_ROWS = 20

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


@dataclass(frozen=True)
class RawReport:
    """One sheet of a report: the data under its header, with where it came from."""

    frame: pd.DataFrame
    sheet: str
    sheets: list[str]
    header_row: int  # 1-based row number of the header in the sheet as read
    row_numbers: pd.Series  # 1-based sheet row number of each data row, aligned with `frame`
    notes: list[str] = field(default_factory=list)


def file_kind(data: bytes, filename: str = "") -> str:
    """'xlsx', 'xls' or 'csv' from the file's first bytes (the extension is only a hint)."""
    if not data:
        raise FunnelError("read_empty_file")
    if len(data) > MAX_BYTES:
        raise FunnelError("read_too_large", size_mb=len(data) // (1024 * 1024), limit_mb=MAX_BYTES // (1024 * 1024))
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE):
        if _ENCRYPTED in data[:1_000_000] or _ENCRYPTED in data:
            raise FunnelError("read_encrypted")
        return "xls"
    if data.startswith(_BINARY_MAGIC):
        raise FunnelError("read_not_spreadsheet", name=filename)
    return "csv"


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's 'Unicode text'), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:4096]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
        return data.decode("utf-16-le", errors="strict")
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
        return data.decode("utf-16-be", errors="strict")
    if b"\x00" in head:
        raise FunnelError("read_not_spreadsheet", name="")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise FunnelError("read_bad_encoding") from exc


def _delimiter(text: str) -> str:
    """The separator that splits the first lines most consistently: tab, comma, semicolon or |."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = ",", -1.0
    for sep in ("\t", ",", ";", "|"):
        counts = [line.count(sep) for line in lines]
        if not counts or max(counts) == 0:
            continue
        top = max(counts)
        score = sum(1 for c in counts if c == top) * top
        if score > best_score:
            best, best_score = sep, score
    return best


def _grid_from_rows(rows: list[list[str]]) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0)
    padded = [r + [""] * (width - len(r)) for r in rows]
    grid = pd.DataFrame(padded, columns=range(width), dtype="object")
    return grid.replace({"": None})


def read_csv_grid(data: bytes) -> pd.DataFrame:
    """A CSV/TSV file as a grid of text cells (no header yet)."""
    text = decode_text(data)
    if not text.strip():
        raise FunnelError("read_empty_sheet", sheet="")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = [[cell.strip() for cell in row] for row in reader]
    except csv.Error as exc:
        raise FunnelError("read_corrupt", detail=str(exc)) from exc
    return _grid_from_rows(rows)


def _excel(data: bytes):
    import fastexcel

    try:
        return fastexcel.read_excel(data)
    except Exception as exc:  # calamine raises several types for damaged files; all mean the same to a user
        raise FunnelError(
            "read_corrupt", detail=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        ) from exc


def sheet_names(data: bytes, filename: str = "") -> list[str]:
    """The workbook's sheet names (['CSV'] for a text file)."""
    if file_kind(data, filename) == "csv":
        return ["CSV"]
    return list(_excel(data).sheet_names)


def read_excel_grid(reader, sheet: str | int = 0, n_rows: int | None = None) -> pd.DataFrame:
    """One sheet of an opened xlsx/xls (fastexcel reader) as a grid of text cells (no header yet)."""
    try:
        loaded = reader.load_sheet(sheet, header_row=None, dtypes="string", n_rows=n_rows)
        frame = loaded.to_pandas()
    except Exception as exc:
        raise FunnelError(
            "read_corrupt", detail=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        ) from exc
    frame.columns = range(frame.shape[1])
    return frame


def find_header_row(grid: pd.DataFrame) -> int:
    """Index of the header row: among the first rows, the one with most cells that read like known headers."""
    best, best_score = None, 0
    for i in range(min(HEADER_SEARCH_ROWS, len(grid))):
        cells = [c for c in grid.iloc[i].tolist() if isinstance(c, str) and c.strip()]
        score = sum(header_like(c) for c in cells)
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    filled = grid.notna().sum(axis=1)
    if (filled > 0).any():
        widest = int(filled.max())
        return int(filled[filled >= max(1, widest // 2)].index[0])
    raise FunnelError("read_empty_sheet", sheet="")


def header_names(grid: pd.DataFrame, row: int) -> list[str]:
    """Column names from the header row; a blank cell under a merged title takes the one above, then 列N."""
    names: list[str] = []
    above = grid.iloc[row - 1].tolist() if row > 0 else [None] * grid.shape[1]
    for j, cell in enumerate(grid.iloc[row].tolist()):
        name = " ".join(str(cell).split()) if isinstance(cell, str) and cell.strip() else ""
        if not name and isinstance(above[j], str) and above[j].strip() and row > 0 and header_like(above[j]):
            name = " ".join(above[j].split())
        names.append(name or f"列{j + 1}")
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        if name in seen:
            seen[name] += 1
            unique.append(f"{name}.{seen[name]}")
        else:
            seen[name] = 0
            unique.append(name)
    return unique


def _best_sheet(reader, sheets: list[str]) -> str:
    """The sheet that looks most like a sales report: most header-like cells near the top."""
    if len(sheets) == 1:
        return sheets[0]
    scored = []
    for name in sheets:
        grid = read_excel_grid(reader, name, n_rows=HEADER_SEARCH_ROWS)
        if grid.empty:
            continue
        score = max(
            (sum(header_like(c) for c in grid.iloc[i].tolist() if isinstance(c, str)) for i in range(len(grid))),
            default=0,
        )
        scored.append((score, -sheets.index(name), name))
    return max(scored)[2] if scored else sheets[0]


def read_report(data: bytes, filename: str = "", sheet: str | None = None) -> RawReport:
    """Read a report file: pick the sheet (best guess unless given), find the header row, return the data under it."""
    kind = file_kind(data, filename)
    if kind == "csv":
        sheets = ["CSV"]
        chosen = "CSV"
        grid = read_csv_grid(data)
    else:
        reader = _excel(data)
        sheets = list(reader.sheet_names)
        if not sheets:
            raise FunnelError("read_empty_sheet", sheet="")
        if sheet is not None and sheet not in sheets:
            raise FunnelError("read_no_such_sheet", sheet=sheet, sheets="、".join(sheets))
        chosen = sheet if sheet is not None else _best_sheet(reader, sheets)
        grid = read_excel_grid(reader, chosen)
    grid = grid.dropna(axis=1, how="all") if grid.shape[1] else grid
    if grid.empty or grid.notna().sum().sum() == 0:
        raise FunnelError("read_empty_sheet", sheet=chosen)
    grid.columns = range(grid.shape[1])
    row = find_header_row(grid)
    frame = grid.iloc[row + 1 :].reset_index(drop=True)
    frame.columns = header_names(grid, row)
    row_numbers = pd.Series(range(row + 2, row + 2 + len(frame)), name="row")
    return RawReport(frame=frame, sheet=chosen, sheets=sheets, header_row=row + 1, row_numbers=row_numbers)
