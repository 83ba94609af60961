"""The reading worker's answer as plain data and raw buffers, rebuilt and checked by the parent.

Nothing the worker sends is unpickled: a worker that a crafted file has taken over (not merely crashed) must not be
able to run code in the server. The answer is a JSON header naming, for each column chunk, its Arrow type (text
only), length, null count, offset and which of the raw buffers that follow it are its validity bitmap, offsets and
characters; the parent builds the arrays over those buffers and checks every offset lies within its characters
before anything reads them. An error is a message key that must be one of ours, with text parameters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from funnel.errors import FunnelError
from funnel.read import RawTable

_TEXT_TYPES = {"string": pa.string(), "large_string": pa.large_string()}
_OFFSETS = {"string": np.int32, "large_string": np.int64}


def answer(report: RawTable) -> tuple[dict[str, Any], list[memoryview]]:
    """(header, buffers): the report as the worker sends it (the header as JSON, the buffers raw after it)."""
    buffers: list[memoryview] = []

    def add(buffer: pa.Buffer | None) -> int | None:
        if buffer is None:
            return None
        buffers.append(memoryview(buffer))
        return len(buffers) - 1

    columns = []
    for column in report.table.columns:
        name = str(column.type)
        if name not in _TEXT_TYPES:  # the readers hand over text only; say so rather than send anything else
            raise TypeError(f"the reader made a column of {name}")
        chunks = [
            {
                "length": len(chunk),
                "offset": chunk.offset,
                "buffers": [add(b) for b in chunk.buffers()],
            }
            for chunk in column.chunks
        ]
        columns.append({"type": name, "chunks": chunks})
    rows = np.ascontiguousarray(report.row_numbers, dtype=np.int64)
    header = {
        "names": [str(n) for n in report.names],
        "sheet": str(report.sheet),
        "sheets": [str(s) for s in report.sheets],
        "header_row": int(report.header_row),
        "columns": columns,
        "rows": add(pa.py_buffer(rows)),
        "n": len(rows),
    }
    return header, buffers


def error_params(params: dict[str, object]) -> dict[str, str | list[str]]:
    """A reading error's parameters as the worker sends them: text (a tuple of message keys as a list)."""
    return {k: list(map(str, v)) if isinstance(v, tuple) else str(v) for k, v in params.items() if not callable(v)}


def rebuild(header: dict[str, Any], buffers: list[pa.Buffer]) -> RawTable:
    """The worker's report over the buffers received, every part checked (FunnelError 'read_corrupt' otherwise)."""
    try:
        columns = [_column(c, buffers) for c in header["columns"]]
        names = [str(n) for n in header["names"]]
        if len(names) != len(columns):
            raise ValueError("names")
        n = int(header["n"])
        rows = np.frombuffer(buffers[header["rows"]], dtype=np.int64, count=n) if n else np.zeros(0, np.int64)
        if any(len(c) != n for c in columns):
            raise ValueError("lengths")
        table = pa.table(columns, names=[str(j) for j in range(len(columns))]) if columns else pa.table({})
        return RawTable(
            table=table,
            names=names,
            sheet=str(header["sheet"]),
            sheets=[str(s) for s in header["sheets"]],
            header_row=int(header["header_row"]),
            row_numbers=rows,
        )
    except (KeyError, IndexError, TypeError, ValueError, pa.ArrowException) as exc:
        raise FunnelError("read_corrupt", detail="the reader's answer") from exc


def _column(spec: dict[str, Any], buffers: list[pa.Buffer]) -> pa.ChunkedArray:
    """One text column over the buffers received, its sizes and offsets checked (ValueError or KeyError if not)."""
    name = spec["type"]
    kind = _TEXT_TYPES[name]
    chunks = []
    for chunk in spec["chunks"]:
        parts = [None if i is None else buffers[int(i)] for i in chunk["buffers"]]
        length, offset = int(chunk["length"]), int(chunk["offset"])
        if len(parts) != 3 or length < 0 or offset < 0:
            raise ValueError("buffers")
        if length == 0:
            chunks.append(pa.array([], type=kind))
            continue
        if parts[1] is None:
            raise ValueError("offsets")
        parts[2] = parts[2] if parts[2] is not None else pa.py_buffer(b"")  # every cell empty: no characters
        array = pa.Array.from_buffers(kind, length, parts, null_count=-1, offset=offset)  # nulls counted here
        array.validate()  # buffer sizes against the length and offset
        ends = np.frombuffer(parts[1], dtype=_OFFSETS[name])[offset : offset + length + 1]
        if len(ends) != length + 1 or ends[0] < 0 or ends[-1] > parts[2].size or (np.diff(ends) < 0).any():
            raise ValueError("offsets")  # every cell within the characters sent: nothing reads past them
        chunks.append(array)
    return pa.chunked_array(chunks, type=kind)


def error_from(key: object, params: object) -> FunnelError:
    """The FunnelError a worker reported: a key of ours with text parameters, else 'read_corrupt'."""
    from funnel.i18n import STRINGS

    if not isinstance(key, str) or key not in STRINGS or not isinstance(params, dict):
        return FunnelError("read_corrupt", detail="the reader's answer")
    plain = {
        str(k): tuple(map(str, v)) if isinstance(v, list) and all(x in STRINGS for x in map(str, v)) else str(v)
        for k, v in params.items()
    }
    return FunnelError(key, **plain)
