"""The bundled sample is what its seeded generator makes, and looks like the ERP export it stands for."""

import pandas as pd

from funnel.load import load_sales
from funnel.sample import SAMPLE_SALES, make_sales_sample, write_sales_sample


def test_generator_is_deterministic():
    pd.testing.assert_frame_equal(make_sales_sample(), make_sales_sample())


def test_committed_sample_equals_the_generator(tmp_path):
    fresh = write_sales_sample(tmp_path / "s.xlsx")
    committed = pd.read_excel(SAMPLE_SALES, header=None, engine="openpyxl")
    regenerated = pd.read_excel(fresh, header=None, engine="openpyxl")
    pd.testing.assert_frame_equal(committed, regenerated)


def test_sample_shape():
    sales = load_sales(SAMPLE_SALES.read_bytes(), SAMPLE_SALES.name)
    assert sales.header_row == 3
    assert sales.reasons == {"total_row": 1}
    lines = sales.lines
    assert lines["customer"].nunique() >= 1000
    assert lines["product"].nunique() >= 5
    assert (lines["amount_cents"] < 0).sum() > 50  # returns
    assert lines["date"].min().year == 2025 and lines["date"].max().year == 2026  # two years, for trends
    assert lines["region"].nunique() >= 5 and lines["rep"].nunique() >= 10
    assert lines["customer"].str.contains("公司").all()
