"""Hostile files (tests/hostile.py) through the command line as a user runs it, and through the guarded reader.

Each file must be answered within 60 s under 1.5 GB peak resident memory of the whole process tree, with exit 0
(read) or 2 (one line on stderr naming the problem), never a signal or a traceback; the reader's answer is the one
expected for the attack (the error key, or the report's real rows).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import HEADER, Hostile, cases, write

from funnel.errors import FunnelError
from funnel.guard import read_untrusted
from funnel.load import load_sales

ROOT = Path(__file__).resolve().parent.parent
CASES = cases()
# Through the CLI (a process each, ~1 s to start): one file per kind of attack; the guarded reader takes them all.
CLI = [
    "xls_dimensions_4g",
    "xls_far_cell",
    "xlsx_xfd100000_nodim",
    "workbook_long_attribute",
    "formula_flood_open",
    "row_2e9",
    "shared_string_bomb",
    "many_cells",
    "lying_zip_sizes",
    "billion_laughs",
    "csv_10m_fields",
    "csv_blank_lines",
    "csv_unbalanced_quote",
    "header_word_data_row_csv",
]
SECONDS = 60
PEAK_BYTES = 1_500 * 1024 * 1024
_PAGE = os.sysconf("SC_PAGE_SIZE")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def _tree(pid: int) -> list[int]:
    """The process and all its descendants, from /proc."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return found


def _rss(pids: list[int]) -> int:
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            pass
    return total


def run_cli(args: list[str], timeout: float = SECONDS + 30) -> tuple[int, str, str, float, int]:
    """(exit code, stdout, stderr, seconds, peak resident bytes of the process tree) of `python -m funnel …`."""
    env = {**os.environ, "LANG": "en_US.UTF-8", "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "funnel", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _rss(_tree(proc.pid)))
        if time.monotonic() - start > timeout:
            proc.kill()
            break
        time.sleep(0.02)
    out, err = proc.communicate()
    return proc.returncode, out, err, time.monotonic() - start, peak


def _matches(key: str, expected: str) -> bool:
    """An expected 'limit_rows' accepts 'limit_rows_claims' and 'limit_rows_has'."""
    return key == expected or key.startswith(expected + "_")


@pytest.mark.parametrize("case", [c for c in CASES if c.name in CLI], ids=CLI)
def test_cli_answers_hostile_files_in_one_line(case: Hostile, folder: Path):
    path = write(case, folder)
    code, out, err, seconds, peak = run_cli(["bands", str(path), "--format", "json", "--lang", "en"])
    assert code in (0, 2), f"exit {code}: {err[-500:]}"
    assert seconds < SECONDS and peak < PEAK_BYTES, (seconds, peak)
    if case.error is None:
        assert code == 0, err
        assert '"rows_read"' in out
    else:
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), err
        assert "Traceback" not in err


@pytest.mark.parametrize("case", [c for c in CASES if c.error], ids=[c.name for c in CASES if c.error])
def test_the_reader_names_the_attack(case: Hostile, folder: Path):
    path = write(case, folder)
    with pytest.raises(FunnelError) as err:
        read_untrusted(path, path.name)
    assert _matches(err.value.key, case.error), err.value.key
    for lang in ("zh", "en"):
        message = err.value.message(lang)
        assert message and "\n" not in message and "{" not in message


def test_a_stray_value_far_away_leaves_the_report_intact(folder: Path):
    """XFD100000 with or without <dimension>, Z1048576: the three data rows, the stray cell a one-cell note row."""
    for name in ("xlsx_xfd100000", "xlsx_xfd100000_nodim", "xlsx_stray_last_row"):
        case = next(c for c in CASES if c.name == name)
        sales = load_sales(write(case, folder), case.filename)
        assert sales.rows_used == 3 and sales.reasons == {"note_row": 1}, name
        assert sales.lines["row"].tolist() == [2, 3, 4]
        assert int(sales.lines["amount_cents"].sum()) == 18_345_678


def test_data_rows_that_start_like_a_header_stay_data(folder: Path):
    """'客户服务中心' with a blank amount and 'Customer Care Ltd' with N/A are read as rows 2 and 3, each left out
    as a bad amount and counted: rows read = used + left out."""
    for name in ("header_word_data_row_xlsx", "header_word_data_row_csv"):
        case = next(c for c in CASES if c.name == name)
        sales = load_sales(write(case, folder), case.filename)
        assert list(sales.left_out["row"]) == [2, 3], name
        assert sales.reasons == {"bad_amount": 2}
        assert sales.rows_read == sales.rows_used + sales.rows_left_out == 5
        assert sales.header_row == 1 and sales.mapping.customer == HEADER[1]


def test_many_sheets_find_the_report_on_the_last(folder: Path):
    case = next(c for c in CASES if c.name == "many_sheets")
    raw = read_untrusted(write(case, folder), case.filename)
    assert raw.sheet == "S1999" and len(raw.sheets) == 2000 and len(raw.frame) == 3
