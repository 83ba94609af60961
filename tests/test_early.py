"""funnel.early: which command lines start reading their report before the CLI is imported."""

from __future__ import annotations

import pytest

from funnel.early import report_argument


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "销售报表.xlsx"
    path.write_bytes(b"PK")
    return str(path)


def test_a_sales_command_names_its_report_and_sheet(report):
    assert report_argument(["bands", report, "--format", "json"]) == (report, None)
    assert report_argument(["key-customers", report, "--sheet", "明细", "--lang", "en"]) == (report, "明细")
    assert report_argument(["migration", report, "--sheet=2025", "--from", "a..b"]) == (report, "2025")


@pytest.mark.parametrize(
    "argv",
    [
        ["stages", "{r}"],  # a pipeline command: read its own way
        ["bands", "--format", "json", "{r}"],  # an option before the report: left to argparse
        ["bands", "{r}.missing"],
        ["bands", "duckdb:///{r}", "--table", "t"],
        ["bands"],
        [],
    ],
)
def test_anything_else_is_left_to_the_command_line_parser(report, argv):
    assert report_argument([a.replace("{r}", report) for a in argv]) is None


def test_a_parquet_file_or_a_folder_is_a_table_source(tmp_path):
    parquet = tmp_path / "lines.parquet"
    parquet.write_bytes(b"PAR1")
    assert report_argument(["bands", str(parquet)]) is None
    assert report_argument(["bands", str(tmp_path)]) is None
