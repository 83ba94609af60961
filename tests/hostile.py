"""Hostile files, as an attacker would craft them: each a few KB (or a few MB of nothing), written by code here.

Every case names what it attacks and what a reader must answer: `error` is the FunnelError key (one sentence),
`None` means the file must read correctly (a sparse sheet is a real report with a stray cell). Nothing binary is
committed: `write(case, folder)` builds the file, streaming the big ones straight to disk.
`python tests/hostile.py DIR` writes them all out to try by hand.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
HEADER = ["单据日期", "客户名称", "货品名称", "价税合计"]
ROWS = [
    ["2026-01-05", "华信科技有限公司", "门锁", "50000"],
    ["2026-01-06", "宏达贸易有限公司", "门锁", "10000"],
    ["2026-02-10", "恒通电子有限公司", "摄像机", "123456.78"],
]


@dataclass(frozen=True)
class Hostile:
    name: str
    filename: str
    build: Callable[[Path], None]  # writes the file at the given path
    error: str | None  # the FunnelError key expected; None: the file reads
    what: str  # the attack, in one line
    heavy: bool = False  # megabytes to write: kept out of the quick runs


# --- building blocks: a minimal xlsx package written part by part -------------------------------------------


def content_types() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>'
    )


def root_rels() -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )


def workbook_xml(sheets: list[str] | None = None, sheet_attrs: str = "") -> str:
    names = sheets or ["Sheet1"]
    items = "".join(
        f'<sheet name="{n}" sheetId="{i + 1}" r:id="rId{i + 1}"{sheet_attrs}/>' for i, n in enumerate(names)
    )
    head = f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    return f"{head}<sheets>{items}</sheets></workbook>"


def workbook_rels(n_sheets: int = 1) -> str:
    items = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(n_sheets)
    )
    sst = f'<Relationship Id="rIdS" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
    return f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_NS}">{items}{sst}</Relationships>'


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 16383 → XFD."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell(row: int, col: int, value: object) -> str:
    ref = f"{column_letter(col)}{row}"
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def rows_xml(rows: list[list[object]], first_row: int = 1) -> str:
    out = []
    for i, row in enumerate(rows):
        r = first_row + i
        out.append(f'<row r="{r}">' + "".join(cell(r, j, v) for j, v in enumerate(row) if v is not None) + "</row>")
    return "".join(out)


def report_rows() -> list[list[object]]:
    return [HEADER, *[[d, c, p, float(a)] for d, c, p, a in ROWS]]


def sheet_xml(body: str, dimension: str | None = None, prolog: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{dim}'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def sst_xml(strings: list[str], count: int | None = None, prolog: str = "") -> str:
    n = len(strings) if count is None else count
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    head = f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<sst xmlns="{MAIN_NS}" count="{n}" uniqueCount="{n}">'
    return f"{head}{items}</sst>"


def xlsx_parts(
    sheets: list[str] | None = None,
    workbook: str | None = None,
    sst: str | None = None,
) -> Callable[[zipfile.ZipFile], None]:
    """A writer of the package parts other than the sheets (content types, rels, workbook, shared strings)."""

    def write(z: zipfile.ZipFile) -> None:
        z.writestr("[Content_Types].xml", content_types())
        z.writestr("_rels/.rels", root_rels())
        z.writestr("xl/workbook.xml", workbook or workbook_xml(sheets))
        z.writestr("xl/_rels/workbook.xml.rels", workbook_rels(len(sheets or ["Sheet1"])))
        z.writestr("xl/sharedStrings.xml", sst or sst_xml([]))

    return write


def xlsx_file(path: Path, sheet: str, workbook: str | None = None, sst: str | None = None) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        xlsx_parts(workbook=workbook, sst=sst)(z)
        z.writestr("xl/worksheets/sheet1.xml", sheet)


def _xlsx(sheet: str, workbook: str | None = None, sst: str | None = None) -> Callable[[Path], None]:
    return lambda path: xlsx_file(path, sheet, workbook, sst)


def _stream_part(path: Path, name: str, head: bytes, block: bytes, repeat: int, tail: bytes) -> None:
    """An xlsx whose part `name` is head + block × repeat + tail, deflated while written (never all in memory)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", content_types())
        z.writestr("_rels/.rels", root_rels())
        z.writestr("xl/workbook.xml", workbook_xml())
        z.writestr("xl/_rels/workbook.xml.rels", workbook_rels())
        with z.open(name, "w") as f:
            f.write(head)
            for _ in range(repeat):
                f.write(block)
            f.write(tail)
        if name != "xl/sharedStrings.xml":
            z.writestr("xl/sharedStrings.xml", sst_xml([]))
        if name != "xl/worksheets/sheet1.xml":
            z.writestr("xl/worksheets/sheet1.xml", sheet_xml(rows_xml(report_rows())))


# --- the cases ------------------------------------------------------------------------------------------------


def _xls_dimensions(path: Path) -> None:
    """A real xls (xlwt) whose sheet DIMENSIONS record is patched to claim 4,294,967,295 rows."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("销售")
    for i, row in enumerate(report_rows()):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    buffer = io.BytesIO()
    wb.save(buffer)
    data = bytearray(buffer.getvalue())
    at = data.find(b"\x00\x02\x0e\x00")  # record 0x0200, 14 bytes
    data[at + 4 : at + 18] = struct.pack("<IIHHH", 0, 0xFFFFFFFF, 0, 4, 0)
    path.write_bytes(bytes(data))


def _xls_sst_count(path: Path) -> None:
    """A real xls whose shared-string table claims 2,147,483,647 strings."""
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("销售")
    for i, row in enumerate(report_rows()):
        for j, v in enumerate(row):
            ws.write(i, j, v)
    buffer = io.BytesIO()
    wb.save(buffer)
    data = bytearray(buffer.getvalue())
    at = data.find(b"\xfc\x00")  # SST record: id, size, cstTotal, cstUnique
    data[at + 8 : at + 12] = struct.pack("<I", 0x7FFFFFFF)
    path.write_bytes(bytes(data))


def _xls_far_cell(path: Path) -> None:
    """A real xls whose last text cell is moved to row 65,536, column 65,536: the sheet's size is honest, the
    cell is not (a block from A1 to there is 137 GB for the fast reader)."""
    _xls_dimensions(path)  # the same workbook, then undo the DIMENSIONS lie and move a cell instead
    data = bytearray(path.read_bytes())
    at = data.find(b"\x00\x02\x0e\x00")
    data[at + 4 : at + 18] = struct.pack("<IIHHH", 0, len(report_rows()), 0, 4, 0)
    at = data.rfind(b"\xfd\x00\x0a\x00")  # LABELSST: row, col, xf, sst index
    data[at + 4 : at + 8] = struct.pack("<HH", 0xFFFF, 0xFFFF)
    path.write_bytes(bytes(data))


def _stray(col: int, row: int, dimension: bool) -> Callable[[Path], None]:
    body = rows_xml(report_rows()) + f'<row r="{row}">{cell(row, col, 1)}</row>'
    dim = f"A1:{column_letter(col)}{row}" if dimension else None
    return _xlsx(sheet_xml(body, dim))


def _long_attribute(path: Path) -> None:
    """workbook.xml whose <sheet> carries a 1 MB single-quoted attribute full of 'name="a" ' (quadratic for the
    lazy regex that looked for name="…" … r:id="…": every occurrence scanned on to the end)."""
    attrs = ' name="Sheet1" sheetId="1" r:id="rId1"'
    long = " x='" + 'name="a" ' * 110_000 + "'"
    workbook = workbook_xml().replace(f"<sheet{attrs}/>", f"<sheet{long}{attrs}/>")
    xlsx_file(path, sheet_xml(rows_xml(report_rows())), workbook=workbook)


def _formula_flood(well_formed: bool) -> Callable[[Path], None]:
    """1 MB of formula-only cells at A1 before any value."""
    if well_formed:
        flood = '<row r="1">' + '<c r="A1"><f>x</f></c>' * 45_000 + "</row>"
        return _xlsx(sheet_xml(flood + rows_xml(report_rows(), first_row=2)))
    flood = '<row r="1">' + '<c r="A1"><f>x' * 70_000
    return _xlsx(sheet_xml(flood + rows_xml(report_rows(), first_row=2)))


def _sst_bomb(path: Path) -> None:
    """One 300 MB shared string in a ~300 KB file."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>'.encode()
    _stream_part(path, "xl/sharedStrings.xml", head, b"A" * (1 << 20), 300, b"</t></si></sst>")


def _sst_count(path: Path) -> None:
    xlsx_file(path, sheet_xml(rows_xml(report_rows())), sst=sst_xml(["客户"], count=4_294_967_295))


def _many_cells(path: Path) -> None:
    """A 1,048,576-row × 16-column sheet of zeros: ~3 MB of zip, ~300 MB of XML, 16.8 million cells."""
    row = b"<row>" + b"<c><v>0</v></c>" * 16 + b"</row>"
    head = sheet_xml("").split("<sheetData>")[0].encode() + b"<sheetData>"
    _stream_part(path, "xl/worksheets/sheet1.xml", head, row * 1024, 1024, b"</sheetData></worksheet>")


def _lying_sizes(path: Path) -> None:
    """The many-cell sheet with its declared uncompressed size rewritten to 1 KB (local header and directory)."""
    _many_cells(path)
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/worksheets/sheet1.xml")
    _patch_size(data, info, 1024)
    path.write_bytes(bytes(data))


def _patch_size(data: bytearray, info: zipfile.ZipInfo, size: int) -> None:
    """Rewrite an entry's uncompressed size in its local header and its central-directory record."""
    local = info.header_offset
    data[local + 22 : local + 26] = struct.pack("<I", size)
    name = info.filename.encode()
    central = data.find(b"PK\x01\x02", local)
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 4)
    data[central + 24 : central + 28] = struct.pack("<I", size)


def _row_2e9(dimension: bool) -> Callable[[Path], None]:
    body = rows_xml(report_rows()) + f'<row r="2000000000">{cell(2_000_000_000, 0, 1)}</row>'
    return _xlsx(sheet_xml(body, "A1:D2000000000" if dimension else None))


def _xxe(path: Path) -> None:
    """A DOCTYPE with an external entity (file:///etc/passwd) used in a cell."""
    prolog = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    body = rows_xml([HEADER]) + '<row r="2"><c r="A2" t="inlineStr"><is><t>&e;</t></is></c></row>'
    xlsx_file(path, sheet_xml(body, prolog=prolog))


def _laughs(path: Path) -> None:
    """Billion laughs: nested entity expansion in the shared strings."""
    ents = '<!ENTITY l0 "ha">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    prolog = f"<!DOCTYPE sst [{ents}]>"
    xlsx_file(path, sheet_xml(rows_xml(report_rows())), sst=sst_xml(["&l9;"], prolog=prolog))


def _many_entries(path: Path) -> None:
    """A valid report plus 30,000 empty zip entries (a directory to parse before any cell)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        xlsx_parts()(z)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml(rows_xml(report_rows())))
        for i in range(30_000):
            z.writestr(f"xl/media/x{i}.bin", b"")


def _many_sheets(path: Path) -> None:
    """2,000 sheets of one row each, the report on the last one."""
    names = [f"S{i}" for i in range(2_000)]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types())
        z.writestr("_rels/.rels", root_rels())
        z.writestr("xl/workbook.xml", workbook_xml(names))
        z.writestr("xl/_rels/workbook.xml.rels", workbook_rels(len(names)))
        z.writestr("xl/sharedStrings.xml", sst_xml([]))
        for i in range(len(names) - 1):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", sheet_xml(rows_xml([["说明"]])))
        z.writestr(f"xl/worksheets/sheet{len(names)}.xml", sheet_xml(rows_xml(report_rows())))


def _long_text(path: Path) -> None:
    """A cell of 200,000 characters (Excel's own limit is 32,767) that does not compress away."""
    import random

    rng = random.Random(7)
    text = "".join(chr(0x4E00 + rng.randrange(20_000)) for _ in range(200_000))
    xlsx_file(path, sheet_xml(rows_xml([*report_rows(), ["2026-03-01", text, "门锁", 1.0]])))


def _csv(text: str, encoding: str = "utf-8") -> Callable[[Path], None]:
    return lambda path: path.write_bytes(text.encode(encoding))


def _csv_fields(path: Path) -> None:
    """One line of 10 million fields (20 MB)."""
    with path.open("wb") as f:
        for _ in range(100):
            f.write(b"1," * 100_000)
        f.write(b"1\n")


def _csv_blank(path: Path) -> None:
    """A header, one row, then 10 million blank lines (10 MB)."""
    with path.open("wb") as f:
        f.write(",".join(HEADER).encode() + b"\n" + ",".join(ROWS[0]).encode() + b"\n")
        for _ in range(10):
            f.write(b"\n" * 1_000_000)


def _csv_rows(rows: list[list[str]]) -> str:
    return "".join(",".join(r) + "\n" for r in rows)


def _unbalanced_quote(more: int) -> str:
    """One unclosed quote on the second data row, then `more` lines."""
    lines = [HEADER, ROWS[0], ["2026-01-06", '"宏达贸易有限公司', "门锁", "10000"]]
    lines += [[f"2026-01-{7 + i % 20:02d}", f"客户{i}", "门锁", str(100 + i)] for i in range(more)]
    return _csv_rows(lines)


def _quote_closed_later() -> str:
    """A stray opening quote that a later quoted cell closes: three rows become one cell."""
    lines = [HEADER, ROWS[0], ["2026-01-06", '"宏达贸易有限公司', "门锁", "10000"]]
    lines += [["2026-01-07", "恒通电子", "门锁", "100"], ["2026-01-08", "甲公司", "门锁", "200"]]
    lines += [["2026-01-09", '"乙公司"', "门锁", "300"], ["2026-01-10", "丙公司", "门锁", "400"]]
    return _csv_rows(lines)


def _header_word_rows() -> list[list[object]]:
    """First data rows whose customer starts with a header word and whose amount is blank or N/A."""
    return [
        HEADER,
        ["2026-01-04", "客户服务中心", "门锁", None],
        ["2026-01-04", "Customer Care Ltd", "门锁", "N/A"],
        *[[d, c, p, float(a)] for d, c, p, a in ROWS],
    ]


def _header_word_xlsx(path: Path) -> None:
    xlsx_file(path, sheet_xml(rows_xml(_header_word_rows())))


def _header_word_csv() -> str:
    return _csv_rows([["" if v is None else str(v) for v in r] for r in _header_word_rows()])


def _huge_quoted_field(path: Path) -> None:
    """A quoted cell of 50 MB on line 2."""
    with path.open("wb") as f:
        f.write(",".join(HEADER).encode() + b'\n2026-01-05,"')
        for _ in range(50):
            f.write(b"x" * (1 << 20))
        f.write(b'",\xe9\x97\xa8\xe9\x94\x81,1\n')


def _utf16_nul(path: Path) -> None:
    """UTF-16 with a BOM, then 8 million NUL characters on one line."""
    path.write_bytes(b"\xff\xfe" + b"\x00\x00" * 8_000_000)


def cases() -> list[Hostile]:
    return [
        Hostile("xls_dimensions_4g", "r.xls", _xls_dimensions, "limit_rows", "xls DIMENSIONS claims 4 billion rows"),
        Hostile("xls_far_cell", "r.xls", _xls_far_cell, "limit_memory", "an xls cell at row and column 65,536"),
        Hostile("xls_sst_count", "r.xls", _xls_sst_count, "limit_strings", "xls SST claims 2 billion strings"),
        Hostile("xlsx_xfd100000", "r.xlsx", _stray(16_383, 100_000, True), None, "report + one value at XFD100000"),
        Hostile("xlsx_xfd100000_nodim", "r.xlsx", _stray(16_383, 100_000, False), None, "the same, no <dimension>"),
        Hostile("xlsx_stray_last_row", "r.xlsx", _stray(25, 1_048_576, True), None, "report + one value at Z1048576"),
        Hostile("workbook_long_attribute", "r.xlsx", _long_attribute, None, "1 MB single-quoted <sheet> attribute"),
        Hostile("formula_flood", "r.xlsx", _formula_flood(True), None, "1 MB of formula-only cells at A1"),
        Hostile("formula_flood_open", "r.xlsx", _formula_flood(False), "read_corrupt", "1 MB of '<c r=A1><f>x'"),
        Hostile("row_2e9", "r.xlsx", _row_2e9(False), "limit_rows", "a cell at row 2,000,000,000"),
        Hostile("row_2e9_dim", "r.xlsx", _row_2e9(True), "limit_rows", "the same, declared in <dimension>"),
        Hostile("shared_string_bomb", "r.xlsx", _sst_bomb, "limit_ratio", "one 300 MB shared string", heavy=True),
        Hostile("shared_string_count", "r.xlsx", _sst_count, "limit_strings", "sst uniqueCount 4,294,967,295"),
        Hostile("many_cells", "r.xlsx", _many_cells, "limit_ratio", "16.8 million cells in 3 MB", heavy=True),
        Hostile("lying_zip_sizes", "r.xlsx", _lying_sizes, "read_corrupt", "the same, sizes say 1 KB", heavy=True),
        Hostile("xxe", "r.xlsx", _xxe, "read_xml_dtd", "DOCTYPE with an external entity"),
        Hostile("billion_laughs", "r.xlsx", _laughs, "read_xml_dtd", "nested entity expansion"),
        Hostile("zip_many_entries", "r.xlsx", _many_entries, "limit_entries", "30,000 zip entries"),
        Hostile("many_sheets", "r.xlsx", _many_sheets, None, "2,000 sheets, the report on the last"),
        Hostile("long_text_cell", "r.xlsx", _long_text, "limit_text", "a 200,000-character cell"),
        Hostile("csv_10m_fields", "r.csv", _csv_fields, "limit_fields", "one line of 10 million fields", heavy=True),
        Hostile("csv_blank_lines", "r.csv", _csv_blank, "limit_rows", "10 million blank lines", heavy=True),
        Hostile(
            "csv_unbalanced_quote", "r.csv", _csv(_unbalanced_quote(2_003)), "csv_long_cell", "2,003 lines in a quote"
        ),
        Hostile(
            "csv_unclosed_quote_at_end", "r.csv", _csv(_unbalanced_quote(3)), "csv_open_quote", "quote never closed"
        ),
        Hostile(
            "csv_quote_closed_later", "r.csv", _csv(_quote_closed_later()), "csv_quote_rows", "stray quote closed later"
        ),
        Hostile("csv_huge_quoted_field", "r.csv", _huge_quoted_field, "limit_line", "a 50 MB quoted cell", heavy=True),
        Hostile("utf16_nul_flood", "r.txt", _utf16_nul, "read_not_spreadsheet", "8 million NUL characters"),
        Hostile("header_word_data_row_xlsx", "r.xlsx", _header_word_xlsx, None, "data rows that start like headers"),
        Hostile("header_word_data_row_csv", "r.csv", _csv(_header_word_csv()), None, "the same as CSV"),
    ]


def write(case: Hostile, folder: Path) -> Path:
    """Build one case into `folder` (named after the case) and return its path."""
    path = folder / f"{case.name}{Path(case.filename).suffix}"
    if not path.exists():
        case.build(path)
    return path


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    out.mkdir(parents=True, exist_ok=True)
    for case in cases():
        print(f"{write(case, out)}  ({case.what})")
