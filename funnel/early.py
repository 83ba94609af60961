"""Start reading the report a sales command names before the rest of the CLI is imported (see funnel.guard)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

SALES_COMMANDS: tuple[str, ...] = ("bands", "key-customers", "migration")


def report_argument(argv: list[str]) -> tuple[str, str | None] | None:
    """(report path, --sheet) of `python -m funnel COMMAND REPORT …` when REPORT is a spreadsheet or CSV file;
    None for anything else (other commands, a table or URL source, options before the report).

    >>> report_argument(["bands", "README.md", "--sheet", "明细"])
    ('README.md', '明细')
    >>> report_argument(["stages", "README.md"]) is None
    True
    """
    if len(argv) < 2 or argv[0] not in SALES_COMMANDS or argv[1].startswith("-") or "://" in argv[1]:
        return None
    path = Path(argv[1])
    if path.suffix.lower() == ".parquet" or not path.is_file():
        return None
    sheet = None
    for i, arg in enumerate(argv[2:], start=2):
        if arg == "--sheet" and i + 1 < len(argv):
            sheet = argv[i + 1]
        elif arg.startswith("--sheet="):
            sheet = arg.removeprefix("--sheet=")
    return argv[1], sheet


def start(argv: list[str]) -> None:
    """Fork the reading worker for the command's report now, while this process is still small and idle."""
    found = report_argument(argv)
    if found is not None:
        from funnel.columns import prepare_vocabulary
        from funnel.guard import prefetch

        prepare_vocabulary()
        prefetch(found[0], Path(found[0]).name, found[1])


def leave(argv: list[str], code: int) -> None:
    """End a sales command on a report file at once, its output flushed: what the interpreter would do next is
    tear down the modules and objects (pandas, pyarrow, DuckDB and the report's columns) one by one, ~0.03 s of CPU
    for nothing. The command wrote only its output and read only its report; its worker has been waited for. Any
    other command, or output that cannot be flushed, ends the ordinary way."""
    if report_argument(argv) is None:
        return
    try:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    from funnel.engine import close_memory_engine, memory_engine_spilled

    if memory_engine_spilled():
        close_memory_engine()  # DuckDB removes its spill folder
    os._exit(code)
