"""How big an uploaded file may be and how much it may cost to read: the one place these limits live.

Every limit has an operator override in an environment variable (README, "Limits"). The defaults let a real
1,048,576-row, 10-column report load and stop a crafted file long before it can hurt the server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from funnel.errors import FunnelError

MB = 1024 * 1024

# What a spreadsheet can hold at all (Excel 2007+ and BIFF8 xls): a cell beyond these does not exist in a real file.
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
XLS_ROWS = 65_536
XLS_COLUMNS = 256


@dataclass(frozen=True)
class Limits:
    """Limits on one uploaded file and on the worker process that reads it."""

    file_bytes: int = 200 * MB  # the file as uploaded
    rows: int = EXCEL_ROWS  # rows of the sheet read (or CSV records)
    columns: int = 2_000  # columns holding anything
    cells: int = 16_000_000  # rows × columns of the grid read
    text_chars: int = 32_767  # longest text in one cell (Excel's own limit)
    unzipped_bytes: int = 2_048 * MB  # all parts of an xlsx, inflated
    zip_ratio: int = 100  # how many times a part may inflate (parts over 1 MB)
    zip_entries: int = 10_000  # parts in one xlsx
    worker_memory: int = 1_200 * MB  # resident memory of the reading process
    worker_seconds: float = 50.0  # wall time of one read (a million CSV rows take ~15 s on an idle core)
    workers: int = 2  # reads running at once in one server

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        """The defaults, with each FUNNEL_MAX_* / FUNNEL_WORKER_* variable that is set replacing its limit."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            name, scale = ENV[f.name]
            raw = env.get(name)
            if raw is None or not raw.strip():
                continue
            try:
                number = float(raw.strip().replace("_", ""))
            except ValueError:
                number = float("nan")
            if not number > 0 or number != number or number == float("inf"):
                raise FunnelError("limit_setting", name=name, value=raw[:40])
            values[f.name] = number * scale if f.type == "float" else max(1, int(number * scale))
        return cls(**values)

    @property
    def file_mb(self) -> int:
        return self.file_bytes // MB

    @property
    def memory_mb(self) -> int:
        return self.worker_memory // MB


# Limit → (environment variable, unit it is given in).
ENV: dict[str, tuple[str, int]] = {
    "file_bytes": ("FUNNEL_MAX_FILE_MB", MB),
    "rows": ("FUNNEL_MAX_ROWS", 1),
    "columns": ("FUNNEL_MAX_COLUMNS", 1),
    "cells": ("FUNNEL_MAX_CELLS", 1),
    "text_chars": ("FUNNEL_MAX_CELL_CHARS", 1),
    "unzipped_bytes": ("FUNNEL_MAX_UNZIPPED_MB", MB),
    "zip_ratio": ("FUNNEL_MAX_ZIP_RATIO", 1),
    "zip_entries": ("FUNNEL_MAX_ZIP_ENTRIES", 1),
    "worker_memory": ("FUNNEL_WORKER_MEMORY_MB", MB),
    "worker_seconds": ("FUNNEL_WORKER_SECONDS", 1),
    "workers": ("FUNNEL_WORKERS", 1),
}


def check_size(size: int, limits: Limits) -> None:
    """A clear error when a file of `size` bytes is over the limit (checked before reading a byte of it)."""
    if size > limits.file_bytes:
        raise FunnelError("read_too_large", size_mb=f"{size / MB:,.0f}", limit_mb=f"{limits.file_mb:,}")


def check_grid(rows: int, columns: int, limits: Limits, claimed: bool = False) -> None:
    """A clear error when a sheet of rows × columns (claimed by the file, or counted) is over the limits."""
    verb = "claims" if claimed else "has"
    if rows > limits.rows:
        raise FunnelError(f"limit_rows_{verb}", rows=f"{rows:,}", limit=f"{limits.rows:,}")
    if columns > limits.columns:
        raise FunnelError(f"limit_columns_{verb}", columns=f"{columns:,}", limit=f"{limits.columns:,}")
    if rows * columns > limits.cells:
        raise FunnelError(
            f"limit_cells_{verb}",
            rows=f"{rows:,}",
            columns=f"{columns:,}",
            cells=f"{rows * columns:,}",
            limit=f"{limits.cells:,}",
        )
