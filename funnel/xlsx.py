"""The parts of an xlsx package, read with a streaming XML parser: what the file claims before anything is inflated.

An xlsx is a zip of XML parts. Before the fast reader (calamine) inflates a sheet, this module checks what the
package says about itself: the zip directory (parts, inflated sizes, ratios), where each sheet lives, the size a
sheet declares in <dimension>, and the count a shared-string table declares. It also reads the first rows of
every sheet (to suggest the one that looks like a report) and, for a sheet whose cells are scattered far apart
(a stray value at row 1,048,576 or column XFD), the cells themselves, keeping only those that hold something.

XML is parsed with expat, one event at a time, with any DTD refused (a spreadsheet part never declares
entities, so entity expansion and external entities cannot happen). Parts are read through Python's zipfile,
which stops at the size the directory declares: a part that inflates to more than it claims is an error.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

import pyarrow as pa

from funnel.errors import FunnelError
from funnel.limits import EXCEL_COLUMNS, EXCEL_ROWS, MB, Limits, check_grid

CHUNK = 256 * 1024
RATIO_FROM = 1 * MB  # parts smaller than this may compress as well as they like
SPARSE_XML_MAX = 64 * MB  # a sheet read cell by cell in Python must be small (~1.5 million cells at most)
SPARSE_MIN_ROWS = 100_000  # a sheet reaching further than this with few rows present is read cell by cell


class _Done(Exception):
    """Raised inside a handler to stop parsing a part once what was wanted is known."""


def _refuse_dtd(*_args: object) -> None:
    raise FunnelError("read_xml_dtd")


def _local(name: str) -> str:
    """'http://…/main sheet' (expat with namespaces) or 'x:sheet' → 'sheet'."""
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1]


def _attrs(attrs: dict[str, str]) -> dict[str, str]:
    """Attributes by local name; a namespaced 'id' (r:id) is kept as 'r:id'."""
    out = {}
    for key, value in attrs.items():
        local = _local(key)
        out["r:id" if local == "id" and (" " in key or ":" in key) else local] = value
    return out


def parse_part(
    stream: io.BufferedIOBase,
    start: Callable[[str, dict[str, str]], None] | None = None,
    end: Callable[[str], None] | None = None,
    text: Callable[[str], None] | None = None,
    limit: int = 1 << 62,
) -> None:
    """Feed one XML part to expat chunk by chunk (handlers get local names); stop at `limit` bytes or _Done."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    parser.buffer_size = 64 * 1024
    if start:
        parser.StartElementHandler = lambda name, attrs: start(_local(name), _attrs(attrs))
    if end:
        parser.EndElementHandler = lambda name: end(_local(name))
    if text:
        parser.CharacterDataHandler = text
    read = 0
    try:
        while chunk := stream.read(CHUNK):
            read += len(chunk)
            if read > limit:
                raise FunnelError("limit_unzipped", size_mb=f"{read / MB:,.0f}", limit_mb=f"{limit / MB:,.0f}")
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _Done:
        return
    except expat.ExpatError as exc:
        raise FunnelError("read_corrupt", detail=f"XML: {expat.ErrorString(exc.code)}") from exc


def check_directory(z: zipfile.ZipFile, limits: Limits) -> None:
    """The zip directory against the limits: number of parts, total inflated size, and how much each inflates."""
    infos = z.infolist()
    if len(infos) > limits.zip_entries:
        raise FunnelError("limit_entries", entries=f"{len(infos):,}", limit=f"{limits.zip_entries:,}")
    total = sum(i.file_size for i in infos)
    if total > limits.unzipped_bytes:
        raise FunnelError("limit_unzipped", size_mb=f"{total / MB:,.0f}", limit_mb=f"{limits.unzipped_bytes / MB:,.0f}")
    for info in infos:
        if info.file_size > RATIO_FROM and info.file_size > limits.zip_ratio * max(info.compress_size, 1):
            raise FunnelError(
                "limit_ratio",
                size_mb=f"{info.file_size / MB:,.0f}",
                packed_kb=f"{info.compress_size / 1024:,.0f}",
                ratio=f"{info.file_size // max(info.compress_size, 1):,}",
                limit=f"{limits.zip_ratio:,}",
            )


def cell_position(ref: str) -> tuple[int, int] | None:
    """'XFD100000' → (100000, 16384), 1-based; None when it is not a cell reference."""
    letters = 0
    while letters < len(ref) and "A" <= ref[letters] <= "Z":
        letters += 1
    digits = ref[letters:]
    if not 1 <= letters <= 3 or not 1 <= len(digits) <= 10 or not digits.isascii() or not digits.isdigit():
        return None
    col = 0
    for ch in ref[:letters]:
        col = col * 26 + (ord(ch) - 64)
    return int(digits), col


def dimension_size(ref: str) -> tuple[int, int] | None:
    """'A1:XFD100000' → (100000 rows from row 1, 16384 columns wide); None when it says nothing useful."""
    first, _, last = ref.strip().upper().partition(":")
    start, stop = cell_position(first), cell_position(last or first)
    if start is None or stop is None or (not last and start == (1, 1)):
        return None  # streaming writers (Apache POI SXSSF, EasyExcel) declare "A1" for any size
    return stop[0], abs(stop[1] - start[1]) + 1


# Built-in number formats that show a date or time (ECMA-376 18.8.30, plus the zh-CN ones 27–36 and 50–58).
_DATE_IDS = frozenset([*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)])


def is_date_format(code: str) -> bool:
    """True when a custom number format shows a date or time (y, m, d, h or s outside quotes and brackets)."""
    plain, quoted, bracket, escaped = [], False, False, False
    for ch in code:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif quoted:
            continue
        elif ch == "[":
            bracket = True
        elif ch == "]":
            bracket = False
        elif not bracket:
            plain.append(ch.lower())
    text = "".join(plain)
    return text != "general" and any(c in text for c in "ymdhs")


def excel_date(serial: float, date1904: bool) -> str | None:
    """An Excel serial day number as 'YYYY-MM-DD HH:MM:SS' (the form the fast reader gives), None if out of range."""
    if not 0 <= serial < 2_958_466:
        return None
    if date1904:
        base = dt.datetime(1904, 1, 1)
    else:  # Excel counts a 29 February 1900 that never was: serials before it are a day off
        base = dt.datetime(1899, 12, 31) if serial < 60 else dt.datetime(1899, 12, 30)
    moment = base + dt.timedelta(seconds=round(serial * 86400))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class Cells:
    """Cells read from a sheet part: parallel lists of 1-based row, column, type, raw text and style index."""

    rows: list[int] = field(default_factory=list)
    cols: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    raws: list[str] = field(default_factory=list)
    styles: list[int] = field(default_factory=list)


class Book:
    """An opened xlsx package: its sheets and where they live, checked against the limits before any cell is read."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.limits = limits
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
        except Exception as exc:  # BadZipFile, NotImplementedError for odd zip versions, …
            raise FunnelError("read_corrupt", detail="zip") from exc
        check_directory(self.zip, limits)
        self.names = {info.filename for info in self.zip.infolist()}
        self.workbook = self._office_document()
        folder = posixpath.dirname(self.workbook)
        targets, self.shared_strings, self.styles = self._workbook_rels(folder)
        self.sheets: list[tuple[str, str | None]] = []
        self.date1904 = False
        self._read_workbook(targets)
        self._check_shared_string_count()

    # -- the package structure ----------------------------------------------------------------------------------

    def _open(self, path: str) -> io.BufferedIOBase:
        try:
            return self.zip.open(path)
        except Exception as exc:
            raise FunnelError("read_corrupt", detail="zip") from exc

    def _parse(self, path: str, **handlers: object) -> None:
        """One part through expat; a part that inflates to more than the directory says is damaged."""
        try:
            with self._open(path) as stream:
                parse_part(stream, limit=self.limits.unzipped_bytes, **handlers)  # type: ignore[arg-type]
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise FunnelError("read_corrupt", detail="zip: a part does not match its declared size") from exc

    def _rels(self, path: str, folder: str) -> list[tuple[str, str, str]]:
        """(Id, Type, part path) of a .rels part, targets resolved against `folder`."""
        found: list[tuple[str, str, str]] = []
        if path not in self.names:
            return found

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "Relationship" and attrs.get("TargetMode", "") != "External":
                target = attrs.get("Target", "")
                resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                found.append((attrs.get("Id", ""), attrs.get("Type", ""), posixpath.normpath(resolved)))

        self._parse(path, start=start)
        return found

    def _office_document(self) -> str:
        for _, kind, target in self._rels("_rels/.rels", ""):
            if kind.endswith("/officeDocument") and target in self.names:
                return target
        if "xl/workbook.xml" in self.names:
            return "xl/workbook.xml"
        raise FunnelError("read_corrupt", detail="xl/workbook.xml")

    def _workbook_rels(self, folder: str) -> tuple[dict[str, str], str | None, str | None]:
        base = posixpath.basename(self.workbook)
        rels = self._rels(posixpath.join(folder, "_rels", f"{base}.rels"), folder)
        targets = {rid: target for rid, _, target in rels}
        shared = next((t for _, k, t in rels if k.endswith("/sharedStrings") and t in self.names), None)
        styles = next((t for _, k, t in rels if k.endswith("/styles") and t in self.names), None)
        return targets, shared, styles

    def _read_workbook(self, targets: dict[str, str]) -> None:
        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "sheet":
                path = targets.get(attrs.get("r:id", ""))
                self.sheets.append((attrs.get("name", ""), path if path in self.names else None))
            elif name == "workbookPr":
                self.date1904 = attrs.get("date1904", "").lower() in ("1", "true")

        self._parse(self.workbook, start=start)

    def _check_shared_string_count(self) -> None:
        """The fast reader reserves memory for the count the table declares: it must be one the part can hold."""
        if self.shared_strings is None:
            return
        size = self.zip.getinfo(self.shared_strings).file_size

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "sst":
                for key in ("count", "uniqueCount"):
                    value = attrs.get(key, "0").strip()
                    claimed = int(value) if value.isascii() and value.isdigit() and len(value) < 20 else 0
                    if claimed > min(self.limits.cells, size // 5 + 1):  # '<si/>' is the shortest string
                        limit = min(self.limits.cells, size // 5 + 1)
                        raise FunnelError("limit_strings", strings=f"{claimed:,}", limit=f"{limit:,}")
                raise _Done

        self._parse(self.shared_strings, start=start)

    @property
    def sheet_names(self) -> list[str]:
        return [name for name, _ in self.sheets]

    def sheet_path(self, sheet: str) -> str | None:
        return next((path for name, path in self.sheets if name == sheet), None)

    # -- what a sheet declares ----------------------------------------------------------------------------------

    def declared_size(self, sheet: str) -> tuple[int, int] | None:
        """(rows, columns) the sheet's <dimension> claims, read from the head of its part; None if it says nothing."""
        path = self.sheet_path(sheet)
        if path is None:
            return None
        found: list[tuple[int, int] | None] = [None]

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "dimension":
                found[0] = dimension_size(attrs.get("ref", ""))
                raise _Done
            if name == "sheetData":
                raise _Done

        self._parse(path, start=start)
        return found[0]

    def part_size(self, sheet: str) -> int:
        path = self.sheet_path(sheet)
        return self.zip.getinfo(path).file_size if path else 0

    def plan(self, sheet: str) -> str:
        """How to read a sheet: 'dense' (the fast reader) or 'sparse' (cell by cell), refusing what cannot fit.

        The size a sheet claims is checked before anything is inflated; a sheet that claims to reach far but whose
        part is small holds scattered cells (a stray value at row 1,048,576 or column XFD) and is read cell by cell.
        """
        size = self.declared_size(sheet)
        if size is None:
            return "dense"
        rows, columns = size
        check_grid(rows, columns, Limits(rows=EXCEL_ROWS, columns=EXCEL_COLUMNS, cells=1 << 62), claimed=True)
        xml = self.part_size(sheet)
        scattered = rows > SPARSE_MIN_ROWS and xml < rows
        too_big = rows > self.limits.rows or columns > self.limits.columns or rows * columns > self.limits.cells
        if (scattered or too_big) and xml <= SPARSE_XML_MAX:
            return "sparse"
        if too_big:
            check_grid(rows, columns, self.limits, claimed=True)
        return "dense"

    # -- cells, read one by one ---------------------------------------------------------------------------------

    def cells(self, sheet: str, max_rows: int | None = None) -> Cells:
        """The cells of a sheet that hold a value (all, or those of the first `max_rows` rows holding one).

        Counted against the limits while read: no row beyond 1,048,576, no column beyond XFD, no more cells,
        rows or columns than allowed, no text longer than allowed.
        """
        path = self.sheet_path(sheet)
        out = Cells()
        if path is None:
            return out
        limits = self.limits
        state = {"row": 0, "col": 0, "in_cell": False, "capture": 0, "phonetic": 0}
        cell: dict[str, object] = {}
        text: list[str] = []
        size = [0]
        seen_rows: set[int] = set()
        seen_cols: set[int] = set()

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "row":
                r = attrs.get("r", "")
                if r:
                    state["row"] = _row_number(r)
                else:
                    state["row"] += 1
                state["col"] = 0
            elif name == "c":
                ref = attrs.get("r")
                pos = cell_position(ref) if ref else None
                if ref and pos is None:
                    raise FunnelError("read_corrupt", detail="cell reference")
                row, col = pos if pos else (state["row"] or 1, state["col"] + 1)
                if row > EXCEL_ROWS:
                    raise FunnelError("limit_rows_claims", rows=f"{row:,}", limit=f"{EXCEL_ROWS:,}")
                if col > EXCEL_COLUMNS:
                    raise FunnelError("limit_columns_claims", columns=f"{col:,}", limit=f"{EXCEL_COLUMNS:,}")
                state["row"], state["col"], state["in_cell"] = row, col, True
                cell.clear()
                cell.update(row=row, col=col, t=attrs.get("t", "n"), s=attrs.get("s", "0"), value=None)
            elif state["in_cell"] and name in ("v", "is"):
                state["capture"] += 1
                text.clear()
                size[0] = 0
            elif name == "rPh":
                state["phonetic"] += 1

        def chars(data: str) -> None:
            if state["capture"] and not state["phonetic"]:
                size[0] += len(data)
                if size[0] > limits.text_chars:
                    raise FunnelError(
                        "limit_text",
                        cell=_ref(int(cell["row"]), int(cell["col"])),
                        chars=f"{size[0]:,}+",
                        limit=f"{limits.text_chars:,}",
                    )
                text.append(data)

        def end(name: str) -> None:
            if name in ("v", "is") and state["capture"]:
                state["capture"] -= 1
                cell["value"] = "".join(text)
            elif name == "rPh":
                state["phonetic"] -= 1
            elif name == "c" and state["in_cell"]:
                state["in_cell"] = False
                value = cell["value"]
                if not value:
                    return
                row, col = int(cell["row"]), int(cell["col"])  # type: ignore[call-overload]
                if row not in seen_rows:
                    if max_rows is not None and len(seen_rows) >= max_rows:
                        raise _Done
                    seen_rows.add(row)
                seen_cols.add(col)
                if len(out.rows) >= limits.cells:
                    raise FunnelError("limit_cells_has", cells=f"{len(out.rows) + 1:,}+", limit=f"{limits.cells:,}")
                out.rows.append(row)
                out.cols.append(col)
                out.kinds.append(str(cell["t"]))
                out.raws.append(str(value))
                style = str(cell["s"])
                out.styles.append(int(style) if style.isascii() and style.isdigit() and len(style) < 7 else 0)
            elif name == "sheetData":
                raise _Done

        self._parse(path, start=start, end=end, text=chars)
        check_grid(len(seen_rows), len(seen_cols), limits)
        return out

    def _shared(self, wanted: set[int]) -> dict[int, str]:
        """The shared strings at the indices wanted (the table is streamed, not kept)."""
        found: dict[int, str] = {}
        if not wanted or self.shared_strings is None:
            return found
        last = max(wanted)
        state = {"index": -1, "capture": 0, "phonetic": 0}
        text: list[str] = []
        size = [0]

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "si":
                state["index"] += 1
                if state["index"] > last:
                    raise _Done
                text.clear()
                size[0] = 0
            elif name == "t" and state["index"] in wanted:
                state["capture"] += 1
            elif name == "rPh":
                state["phonetic"] += 1

        def chars(data: str) -> None:
            if state["capture"] and not state["phonetic"]:
                size[0] += len(data)
                if size[0] > self.limits.text_chars:
                    raise FunnelError("limit_text_string", chars=f"{size[0]:,}+", limit=f"{self.limits.text_chars:,}")
                text.append(data)

        def end(name: str) -> None:
            if name == "t" and state["capture"]:
                state["capture"] -= 1
            elif name == "rPh":
                state["phonetic"] -= 1
            elif name == "si" and state["index"] in wanted:
                found[state["index"]] = "".join(text)

        self._parse(self.shared_strings, start=start, end=end, text=chars)
        return found

    def _date_styles(self) -> set[int]:
        """Indices of the cell formats (cellXfs) that show a date or time."""
        if self.styles is None:
            return set()
        codes: dict[int, str] = {}
        formats: list[int] = []
        state = {"xfs": False}

        def start(name: str, attrs: dict[str, str]) -> None:
            if name == "numFmt":
                fid = attrs.get("numFmtId", "")
                if fid.isascii() and fid.isdigit() and len(fid) < 7:
                    codes[int(fid)] = attrs.get("formatCode", "")[:200]
            elif name == "cellXfs":
                state["xfs"] = True
            elif name == "xf" and state["xfs"]:
                fid = attrs.get("numFmtId", "0")
                formats.append(int(fid) if fid.isascii() and fid.isdigit() and len(fid) < 7 else 0)

        def end(name: str) -> None:
            if name == "cellXfs":
                raise _Done

        self._parse(self.styles, start=start, end=end)
        return {i for i, fid in enumerate(formats) if fid in _DATE_IDS or (fid in codes and is_date_format(codes[fid]))}

    def values(self, cells: Cells) -> list[str | None]:
        """Each cell's value as text, as the fast reader would give it (shared strings looked up, dates written out)."""
        wanted = {int(raw) for kind, raw in zip(cells.kinds, cells.raws, strict=True) if kind == "s" and raw.isdigit()}
        shared = self._shared(wanted)
        dates = self._date_styles() if any(k == "n" for k in cells.kinds) else set()
        out: list[str | None] = []
        for kind, raw, style in zip(cells.kinds, cells.raws, cells.styles, strict=True):
            if kind == "s":
                out.append(shared.get(int(raw)) if raw.isdigit() else None)
            elif kind == "b":
                out.append("true" if raw.strip() in ("1", "true") else "false")
            elif kind == "e":
                out.append(None)
            elif kind == "n" and style in dates:
                out.append(_date_text(raw, self.date1904))
            else:
                out.append(raw.strip() if kind == "n" else raw)
        return out

    def grid(self, sheet: str) -> tuple[pa.Table, list[int]]:
        """A scattered sheet as a grid holding only its rows and columns with values (text columns "0", "1", …),
        with the sheet row − 1 of each of its rows."""
        cells = self.cells(sheet)
        values = self.values(cells)
        rows = sorted(set(cells.rows))
        cols = sorted(set(cells.cols))
        row_at = {r: i for i, r in enumerate(rows)}
        col_at = {c: j for j, c in enumerate(cols)}
        columns: list[list[str | None]] = [[None] * len(rows) for _ in cols]
        for r, c, v in zip(cells.rows, cells.cols, values, strict=True):
            if v is not None and v != "":
                columns[col_at[c]][row_at[r]] = v
        table = pa.table([pa.array(col, type=pa.string()) for col in columns], names=[str(j) for j in range(len(cols))])
        return table, [r - 1 for r in rows]

    def head(self, sheet: str, rows: int) -> list[list[str]]:
        """The text of the first `rows` rows holding a value (to judge which sheet looks like a report)."""
        cells = self.cells(sheet, max_rows=rows)
        values = self.values(cells)
        lines: dict[int, list[str]] = {}
        for r, v in zip(cells.rows, values, strict=True):
            if isinstance(v, str) and v.strip():
                lines.setdefault(r, []).append(v)
        return [lines[r] for r in sorted(lines)]


def _row_number(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise FunnelError("read_corrupt", detail="row number")
    row = int(text)
    if row > EXCEL_ROWS:
        raise FunnelError("limit_rows_claims", rows=f"{row:,}", limit=f"{EXCEL_ROWS:,}")
    return row


def _ref(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def _date_text(raw: str, date1904: bool) -> str | None:
    try:
        serial = float(raw)
    except ValueError:
        return raw
    return excel_date(serial, date1904) or raw.strip()
