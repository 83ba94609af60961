"""Start reading the report a sales command names before the rest of the CLI is imported (see funnel.guard)."""

from __future__ import annotations

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
        from funnel.guard import prefetch

        prefetch(found[0], Path(found[0]).name, found[1])
