"""Read a CSV/TSV/TXT export into a grid of text cells, counted against the limits, quotes checked.

Nothing is swallowed silently: a quote that is never closed, or a quoted cell that runs over lines which look like
rows, is an error naming the line, so that a stray quote cannot merge two thousand rows into one cell.

Two readers give the same grid. Arrow's CSV parser (C++) reads an ordinary file in one pass: its records are
split as Python's csv module splits them (tests/test_csvfile.py compares the two), rows with another number of
fields than the widest of the first lines (titles, notes) are handed back and split by the csv module in place,
and a sentinel line after the end shows whether a quote was left open. Anything unusual — a line break inside a
cell, an overlong line or cell, a NUL, more fields than allowed, a quote open at the end — sends the file to the
streamed reader, which decodes the text as it reads it, checks every line and names the line at fault.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from funnel.errors import FunnelError
from funnel.limits import Limits, check_grid

if TYPE_CHECKING:
    import pandas as pd

MAX_LINE_CHARS = 1_048_576  # one physical line; a real export's longest line is a few thousand characters
BLOCK_ROWS = 65_536  # rows gathered in Python before they become Arrow columns
SAMPLE_LINES = 50
_END = "\ufdd0funnel-end-of-file\ufdd0"  # a noncharacter: never in real text; marks where the file ended


def _valid(data: memoryview, encoding: str) -> bool:
    """True when the bytes decode in `encoding` (checked in blocks: the text is not kept)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    step = 1 << 20
    try:
        for at in range(0, len(data), step):
            decoder.decode(data[at : at + step], final=at + step >= len(data))
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data: bytes) -> tuple[str, int]:
    """(codec, bytes to skip): UTF-8 with or without BOM, UTF-16 (BOM or not, Excel's 'Unicode text'), else GB18030."""
    view = memoryview(data)
    if data.startswith(b"\xef\xbb\xbf"):
        if _valid(view[3:], "utf-8"):
            return "utf-8", 3
        raise FunnelError("read_bad_encoding")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", 0
    head = data[:4096]
    if len(head) >= 4 and head[1::2].count(0) > len(head) // 4:
        return "utf-16-le", 0
    if len(head) >= 4 and head[0::2].count(0) > len(head) // 4:
        return "utf-16-be", 0
    if b"\x00" in head:
        raise FunnelError("read_not_spreadsheet", name="")
    for encoding in ("utf-8", "gb18030"):
        if _valid(view, encoding):
            return encoding, 0
    raise FunnelError("read_bad_encoding")


def _text(data: bytes, encoding: str, skip: int) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data[skip:] if skip else data), encoding=encoding, newline="")


def decode_text(data: bytes) -> str:
    """The whole text of CSV bytes (small files and tests; reading itself streams)."""
    encoding, skip = detect_encoding(data)
    try:
        return _text(data, encoding, skip).read()
    except UnicodeDecodeError as exc:
        raise FunnelError("read_bad_encoding") from exc


def sniff(lines: list[str]) -> tuple[str, int]:
    """(separator, separators on a full row): tab, comma, semicolon or | — the one splitting lines most evenly."""
    lines = [line for line in lines if line.strip()]
    best, best_score, best_top = ",", -1.0, 0
    for sep in ("\t", ",", ";", "|"):
        counts = [line.count(sep) for line in lines]
        if not counts or max(counts) == 0:
            continue
        top = max(counts)
        score = sum(1 for c in counts if c == top) * top
        if score > best_score:
            best, best_score, best_top = sep, score, top
    return best, best_top


class _Lines:
    """The physical lines of the text, each checked for length and field count, then the end-of-file mark."""

    def __init__(self, stream: io.TextIOWrapper, sep: str, limits: Limits) -> None:
        self.stream, self.sep, self.limits = stream, sep, limits
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        while line := self.stream.readline(MAX_LINE_CHARS + 1):
            self.number += 1
            if "\x00" in line:
                raise FunnelError("read_not_spreadsheet", name="")
            seps = line.count(self.sep)
            if seps >= self.limits.columns and ('"' not in line or len(line) > MAX_LINE_CHARS):
                raise FunnelError(
                    "limit_fields", line=f"{self.number:,}", fields=f"{seps + 1:,}+", limit=f"{self.limits.columns:,}"
                )
            if len(line) > MAX_LINE_CHARS:
                raise FunnelError("limit_line", line=f"{self.number:,}", limit=f"{MAX_LINE_CHARS:,}")
            yield line
        yield _END


def _looks_like_rows(row: list[str], sep: str, full: int) -> bool:
    """True when a cell holds line breaks followed by lines with as many separators as a whole row."""
    if full < 2:
        return False
    for value in row:
        if "\n" in value or "\r" in value:
            rest = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")[1:]
            if any(part.count(sep) >= full for part in rest):
                return True
    return False


def _block(rows: list[list[str]]) -> pa.Table:
    """Rows of text as Arrow string columns: cells trimmed, empty cells null."""
    columns = []
    for values in itertools.zip_longest(*rows):
        array = pc.utf8_trim_whitespace(pa.array(values, type=pa.large_string()))
        columns.append(pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.large_string()), array))
    return pa.table(columns, names=[str(j) for j in range(len(columns))])


def read_csv_grid(data: bytes, limits: Limits | None = None) -> pd.DataFrame:
    """A CSV/TSV file as a grid of text cells (no header yet); rows indexed from 0 in file order."""
    frame = read_csv_table(data, limits).to_pandas()
    frame.columns = range(frame.shape[1])
    return frame


def read_csv_table(data: bytes, limits: Limits | None = None) -> pa.Table:
    """The same grid as Arrow text columns "0", "1", … (the worker's form: no pandas)."""
    limits = limits or Limits()
    table = None
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data[:4096]:
        table = _read_at_once(data, "utf-8", 0, limits)  # Arrow checks the UTF-8 as it reads; else the codec is sought
    if table is None:
        encoding, skip = detect_encoding(data)
        table = _read_at_once(data, encoding, skip, limits) if encoding != "utf-8" or skip else None
        if table is None:
            table = _read_streamed(data, encoding, skip, limits)
    check_grid(len(table), table.num_columns, limits)
    return table


def _read_streamed(data: bytes, encoding: str, skip: int, limits: Limits) -> pa.Table:
    """The grid read line by line in Python, each line checked (the reader for files the fast one declines)."""
    try:
        head = list(itertools.islice(_text(data, encoding, skip), SAMPLE_LINES))
        sep, full = sniff([line[:MAX_LINE_CHARS] for line in head])
        lines = _Lines(_text(data, encoding, skip), sep, limits)
        tables, block, count = [], [], 0
        previous = csv.field_size_limit(limits.text_chars)
        try:
            reader = csv.reader(lines, delimiter=sep)
            start = 1
            for row in reader:
                end, first = lines.number, start
                start = end + 1
                if row == [_END]:
                    break
                if row and row[-1].endswith(_END):
                    raise FunnelError("csv_open_quote", line=f"{first:,}", lines=f"{end - first:,}")
                if end > first and _looks_like_rows(row, sep, full):
                    raise FunnelError("csv_quote_rows", line=f"{first:,}", end=f"{end:,}")
                if len(row) > limits.columns:
                    raise FunnelError(
                        "limit_fields", line=f"{first:,}", fields=f"{len(row):,}", limit=f"{limits.columns:,}"
                    )
                count += 1
                if count > limits.rows:
                    raise FunnelError("limit_rows_has", rows=f"{limits.rows:,}+", limit=f"{limits.rows:,}")
                block.append(row)
                if len(block) == BLOCK_ROWS:
                    tables.append(_block(block))
                    block = []
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                raise FunnelError("csv_long_cell", line=f"{start:,}", limit=f"{limits.text_chars:,}") from exc
            raise FunnelError("read_corrupt", detail=str(exc)[:100]) from exc
        finally:
            csv.field_size_limit(previous)
    except UnicodeDecodeError as exc:
        raise FunnelError("read_bad_encoding") from exc
    if block:
        tables.append(_block(block))
    if not tables:
        raise FunnelError("read_empty_sheet", sheet="")
    return pa.concat_tables(tables, promote_options="default")


_SENTINEL = (
    "\ufdd1funnel-sentinel\ufdd1"  # a noncharacter line after the end: it is a row of its own unless a quote is open
)
_BREAK = "[\r\n]"


def _read_at_once(data: bytes, encoding: str, skip: int, limits: Limits) -> pa.Table | None:
    """The grid read by Arrow's CSV parser in one pass, or None when the file needs the streamed reader."""
    import pyarrow.csv as pcsv

    try:
        text = data[skip:] if encoding == "utf-8" else data[skip:].decode(encoding).encode("utf-8")
    except UnicodeDecodeError:
        return None
    if b"\x00" in text:
        return None
    try:
        head = list(itertools.islice(io.TextIOWrapper(io.BytesIO(text), encoding="utf-8", newline=""), SAMPLE_LINES))
    except UnicodeDecodeError:
        return None
    sep, full = sniff(head)
    if full + 1 > limits.columns:
        return None
    try:
        width = max((len(row) for row in csv.reader(head, delimiter=sep)), default=1)
    except csv.Error:
        return None
    names = [str(j) for j in range(width)]
    odd: list[tuple[int, str]] = []  # (record number, its text): rows whose field count is not `width`

    def handler(row: pcsv.InvalidRow) -> str:
        odd.append((row.number, row.text))
        return "skip"

    ending = b"" if text.endswith((b"\n", b"\r")) or not text else b"\n"
    try:
        parsed = pcsv.read_csv(
            io.BytesIO(text + ending + _SENTINEL.encode() + b"\n"),
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False, block_size=1 << 24),
            parse_options=pcsv.ParseOptions(
                delimiter=sep, newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=handler
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):  # not UTF-8, a record too long…
        return None
    records = parsed.num_rows + len(odd) - 1  # the sentinel is one of them
    if width == 1:
        last = parsed.column(0)[-1].as_py() if parsed.num_rows else None
        if last != _SENTINEL or (odd and odd[-1][0] > parsed.num_rows + len(odd) - 1):
            return None
        parsed = parsed.slice(0, parsed.num_rows - 1)
    else:
        if not odd or odd[-1] != (records + 1, _SENTINEL):
            return None  # a quote left open swallowed the sentinel
        odd.pop()
    if records > limits.rows:
        raise FunnelError("limit_rows_has", rows=f"{limits.rows:,}+", limit=f"{limits.rows:,}")
    if records == 0:
        return None
    breaks = text.count(b"\n")
    if b"\r" in text:  # (counting "\r\n" in 20 MB takes 40 ms: only when there is a "\r" at all)
        breaks += text.count(b"\r") - text.count(b"\r\n")
    if breaks > records - (0 if text.endswith((b"\n", b"\r")) else 1):
        return None  # a line break inside a quoted cell: the streamed reader checks where it leads
    rows = _split_odd(odd, sep, limits)
    if rows is None or not _cells_within(parsed, limits):
        return None
    return _with_odd_rows(parsed, odd, rows, records)


def _split_odd(odd: list[tuple[int, str]], sep: str, limits: Limits) -> list[list[str]] | None:
    """The fields of the rows Arrow handed back (titles, notes, short rows), as the csv module splits them; None
    when one needs the streamed reader's checks (a line break inside, too many fields, an overlong cell)."""
    rows = []
    for _, record in odd:
        if "\n" in record or "\r" in record or len(record) > MAX_LINE_CHARS:
            return None
        fields = list(csv.reader([record], delimiter=sep))
        if len(fields) != 1 or len(fields[0]) > limits.columns or any(len(f) > limits.text_chars for f in fields[0]):
            return None
        rows.append(fields[0])
    return rows


def _cells_within(parsed: pa.Table, limits: Limits) -> bool:
    """True when no cell and no line is longer than allowed (else the streamed reader names the line)."""
    if not parsed.num_rows:
        return True
    line = None
    for column in parsed.columns:  # in Arrow (a ChunkedArray's to_numpy would import pandas in the worker)
        size = pc.fill_null(pc.binary_length(column), 0)
        longest = pc.max(size).as_py() or 0
        if longest > limits.text_chars and (pc.max(pc.utf8_length(column)).as_py() or 0) > limits.text_chars:
            return False  # bytes ≥ characters: only a column with long cells is counted in characters
        line = size if line is None else pc.add(line, size)
    # a line holds its cells (each quote in one written twice), two quotes per cell and the separators
    return 2 * int(pc.max(line).as_py() or 0) + 3 * parsed.num_columns <= MAX_LINE_CHARS


def _with_odd_rows(parsed: pa.Table, odd: list[tuple[int, str]], rows: list[list[str]], records: int) -> pa.Table:
    """Arrow's rows and the handed-back rows in file order, as trimmed text columns with blanks as null."""
    width = max([parsed.num_columns if parsed.num_rows else 0, *map(len, rows)])
    columns = []
    if odd:
        at = np.zeros(records, dtype=bool)
        at[np.asarray([number - 1 for number, _ in odd], dtype=np.int64)] = True
        order = np.where(at, parsed.num_rows + np.cumsum(at) - 1, np.cumsum(~at) - 1)
    for j in range(width):
        column = parsed.column(j).combine_chunks() if j < parsed.num_columns else pa.nulls(parsed.num_rows, pa.string())
        if odd:
            extra = pa.array([row[j] if j < len(row) else None for row in rows], type=pa.string())
            column = pa.concat_arrays([column.cast(pa.string()), extra]).take(pa.array(order))
        trimmed = pc.utf8_trim_whitespace(column)
        columns.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed))
    return pa.table(columns, names=[str(j) for j in range(width)])
