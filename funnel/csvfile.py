"""Read a CSV/TSV/TXT export into a grid of text cells, streamed, counted against the limits, quotes checked.

The text is decoded as it is read (never held twice), rows are gathered in blocks into Arrow string columns, and
nothing is swallowed silently: a quote that is never closed, or a quoted cell that runs over lines which look like
rows, is an error naming the line, so that a stray quote cannot merge two thousand rows into one cell.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnel.errors import FunnelError
from funnel.limits import Limits, check_grid

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
    limits = limits or Limits()
    encoding, skip = detect_encoding(data)
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
    table = pa.concat_tables(tables, promote_options="default")
    check_grid(len(table), table.num_columns, limits)
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    return frame
