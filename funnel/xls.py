"""What an .xls (BIFF8) workbook claims about its size, read from its records before the fast reader opens it.

The fast reader (calamine) parses every sheet of an xls when it opens the file and reserves memory for the size
each sheet's DIMENSIONS record claims and for the count the shared-string table (SST) claims: a 5 KB file claiming
4 billion rows made it abort the whole process. These claims are checked here first. Only the head of each sheet
is walked (DIMENSIONS comes before the cells), so an ordinary file costs almost nothing; whatever a crafted file
hides further on is left to the worker process's memory limit.
"""

from __future__ import annotations

import io
import struct

from funnel.errors import FunnelError
from funnel.limits import XLS_COLUMNS, XLS_ROWS, Limits, check_grid

BOF, EOF, BOUNDSHEET, DIMENSIONS, SST = 0x0809, 0x000A, 0x0085, 0x0200, 0x00FC
_CELLS = frozenset([0x0201, 0x0203, 0x0204, 0x0205, 0x0006, 0x027E, 0x00FD, 0x00BD, 0x00BE, 0x0208])


def workbook_stream(data: bytes) -> bytes:
    """The BIFF stream ('Workbook', or 'Book' in older files) of an OLE2 compound file."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            for name in ("Workbook", "Book"):
                if ole.exists(name):
                    return ole.openstream(name).read()
    except Exception as exc:  # olefile raises OSError and friends on damaged directories and sector chains
        raise FunnelError("read_corrupt", detail="xls") from exc
    raise FunnelError("read_corrupt", detail="xls: no Workbook stream")


def _records(stream: bytes, at: int):
    """(type, payload offset, payload length) of the records from `at`, until the stream ends."""
    while at + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, at)
        yield kind, at + 4, length
        at += 4 + length


def check_claims(data: bytes, limits: Limits) -> None:
    """Each sheet's DIMENSIONS and the SST count against what an xls can hold and the limits."""
    stream = workbook_stream(data)
    sheets: list[int] = []
    for kind, at, length in _records(stream, 0):
        if kind == BOUNDSHEET and length >= 4:
            sheets.append(struct.unpack_from("<I", stream, at)[0])
        elif kind == SST and length >= 8:
            unique = struct.unpack_from("<I", stream, at + 4)[0]
            most = len(stream) // 3  # every string takes at least three bytes
            if unique > min(most, limits.cells):
                raise FunnelError("limit_strings", strings=f"{unique:,}", limit=f"{min(most, limits.cells):,}")
        elif kind == EOF:
            break
    xls_limits = Limits(rows=min(limits.rows, XLS_ROWS), columns=min(limits.columns, XLS_COLUMNS), cells=limits.cells)
    for start in sheets:
        if start >= len(stream):
            raise FunnelError("read_corrupt", detail="xls: sheet offset")
        for kind, at, length in _records(stream, start):
            if kind == DIMENSIONS and length in (10, 14):
                if length == 14:
                    first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", stream, at)
                else:
                    first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", stream, at)
                rows, cols = max(0, last_row - first_row), max(0, last_col - first_col)
                check_grid(rows, cols, xls_limits, claimed=True)
            if kind in _CELLS or kind == EOF:
                break
