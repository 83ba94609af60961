"""The band page (AppTest): thresholds set by slider and exact box in the chosen unit, kept in order, suggested;
the band list and its downloads; and the state that never lies across mapping changes and language switches."""

from __future__ import annotations

import io
import itertools

import pandas as pd
import pytest
from appkit import band_counts, downloaded, table
from test_app import expected_counts

from funnel.thresholds import suggest


def thresholds(at) -> list[float]:
    """The thresholds the page shows, in yuan (the boxes are in 万元 in Chinese by default)."""
    boxes = sorted((n for n in at.number_input if (n.key or "").startswith("th_n_")), key=lambda n: n.key)
    return [n.value * 10_000 for n in boxes]


def test_an_exact_box_in_wan_and_the_slider_follow_each_other(app, sample_totals):
    app.number_input(key="th_n_0").set_value(2.0).run()  # 2万
    assert band_counts(app)[0] == int((sample_totals < 20000).sum())
    assert app.select_slider(key="th_s_0").value == 20000.0  # the slider shows the typed value
    app.select_slider(key="th_s_0").set_value(30000.0).run()
    assert band_counts(app)[0] == int((sample_totals < 30000).sum())
    assert app.number_input(key="th_n_0").value == 3.0
    app.number_input(key="th_n_0").set_value(1.2345).run()  # any exact figure, not only the slider's
    assert thresholds(app)[0] == pytest.approx(12345.0)
    assert band_counts(app)[0] == int((sample_totals < 12345).sum())
    assert app.query_params["th"] == "12345,50000,100000,200000"


def test_the_slider_scale_fits_the_customers_totals(app, sample_totals):
    options = app.select_slider(key="th_s_0").options
    values = [float(o.replace("万", "")) * 10_000 if o.endswith("万") else float(o.replace(",", "").rstrip("元"))
              for o in options]  # fmt: skip
    assert values == sorted(values)
    assert values[0] <= sample_totals.quantile(0.05) and values[-1] >= sample_totals.max()
    ratios = [b / a for a, b in itertools.pairwise(values) if a > 0]
    assert max(ratios) <= 1.34  # steps even on a log scale: 1,000 → 1,200 is a step as 100,000 → 120,000 is
    assert sum(10_000 <= v < 100_000 for v in values) >= 10  # not 8,000 yuan per step
    assert "0.01万" not in " ".join(options)


def test_moving_a_threshold_past_its_neighbour_reorders_instead_of_failing(app, sample_totals):
    app.number_input(key="th_n_0").set_value(15.0).run()  # 15万, past 5万 and 10万
    assert not app.exception and not app.error
    assert thresholds(app) == [50000, 100000, 150000, 200000]
    assert band_counts(app) == expected_counts(sample_totals, [50000, 100000, 150000, 200000])
    assert any("重新排列" in c.value for c in app.sidebar.caption)


def test_landing_on_a_neighbour_stops_one_step_short(app):
    app.select_slider(key="th_s_0").set_value(50000.0).run()  # onto threshold 2
    assert not app.error
    assert thresholds(app) == [40000, 50000, 100000, 200000]  # one slider step below it
    app.number_input(key="th_n_3").set_value(10.0).run()  # typed onto threshold 3, coming down
    assert thresholds(app) == [40000, 50000, 100000, 110000]


def test_add_remove_suggest_and_reset(app, sample_totals):
    app.button(key="add_band").click().run()
    assert len(band_counts(app)) == 6
    assert table(app, "分层", "客户数")["分层"].iloc[-1] == "40万以上"
    app.button(key="remove_band").click().run()
    app.button(key="remove_band").click().run()
    assert len(band_counts(app)) == 4
    app.button(key="suggest_bands").click().run()
    cents = (sample_totals * 100).round().astype("int64")
    assert thresholds(app) == pytest.approx(suggest(cents))
    counts = band_counts(app)
    shares = [c / sum(counts) for c in counts]
    assert shares[0] == pytest.approx(0.5, abs=0.1)  # about half below the first suggested threshold
    app.button(key="reset_bands").click().run()
    assert thresholds(app) == [10000, 50000, 100000, 200000]
    assert app.query_params == {}


def test_band_list_and_downloads_hold_the_listed_customers(app, sample_totals):
    app.selectbox(key="band").set_value(2).run()  # 5–10万
    listed = table(app, "客户", "销售额（万元）")
    expected = sample_totals[(sample_totals >= 50000) & (sample_totals < 100000)]
    assert sorted(listed["客户"]) == sorted(expected.index)
    assert dict(zip(listed["客户"], listed["销售额（万元）"] * 10_000, strict=True)) == pytest.approx(
        expected.to_dict()
    )
    csv = pd.read_csv(io.BytesIO(downloaded(app, "dl_csv")), encoding="utf-8-sig")
    assert sorted(csv["客户"]) == sorted(expected.index)
    assert dict(zip(csv["客户"], csv["销售额"], strict=True)) == pytest.approx(expected.to_dict())  # yuan in files
    xlsx = pd.read_excel(io.BytesIO(downloaded(app, "dl_xlsx")), engine="openpyxl")
    assert sorted(xlsx["客户"]) == sorted(expected.index)


def test_upgrade_candidates_only(app, sample_totals):
    app.selectbox(key="band").set_value(1).run()  # 1–5万
    app.toggle(key="only_upgrade").set_value(True).run()
    listed = table(app, "客户", "销售额（万元）")
    expected = sample_totals[(sample_totals >= 40000) & (sample_totals < 50000)]
    assert sorted(listed["客户"]) == sorted(expected.index)


def test_product_filter_matches_an_independent_count(app):
    from funnel.sample import SAMPLE_SALES

    app.multiselect(key="products").set_value(["对讲机 T2"]).run()
    frame = pd.read_excel(SAMPLE_SALES, header=2, engine="openpyxl")
    expected = frame[frame["货品名称"] == "对讲机 T2"].groupby("客户名称")["价税合计"].sum()
    assert sum(band_counts(app)) == len(expected)
    assert band_counts(app)[0] == int((expected < 10000).sum())
    assert app.query_params["prod"] == "对讲机 T2"


def test_a_mapping_change_keeps_the_thresholds_in_use_and_shown(app):
    """Seen in the browser: after choosing the customer column by hand every box showed 0.00 while the funnel still
    used the defaults, and the next change failed with 'threshold 0 appears twice'."""
    from conftest import csv_text

    app.number_input(key="th_n_1").set_value(6.0).run()
    rows = [["名称", "数", "备注"], ["甲", "60000", "x"], ["乙", "5000", "y"], ["丙", "70000", "z"]]
    app.sidebar.file_uploader[0].upload("r.csv", csv_text(rows).encode()).run()
    app.selectbox(key="map_customer").set_value("名称").run()
    app.selectbox(key="map_amount").set_value("数").run()
    assert not app.exception and not app.error
    assert thresholds(app) == [10000, 60000, 100000, 200000]  # the boxes show what the funnel uses
    assert band_counts(app) == [1, 0, 2, 0, 0]
    app.number_input(key="th_n_0").set_value(0.4).run()  # a typed value sticks
    assert thresholds(app)[0] == pytest.approx(4000) and band_counts(app) == [0, 1, 2, 0, 0]


def test_english_thresholds_and_uploads_never_fail(app, erp_rows):
    """Seen in the browser: in English, moving a threshold or uploading a file replaced the list by 'Something
    unexpected went wrong (TypeError)'."""
    from conftest import xlsx_bytes

    app.radio(key="lang").set_value("en").run()
    app.number_input(key="th_n_0").set_value(20000.0).run()
    assert not app.exception and not app.error
    app.sidebar.file_uploader[0].upload("r.xlsx", xlsx_bytes(erp_rows)).run()
    assert not app.exception and not app.error
    assert table(app, "Customer", "Revenue (yuan)") is not None


def test_the_band_selector_shows_the_band_whose_list_is_shown(app, sample_totals):
    """Seen in the browser: the selector kept '1–5万' after switching to English, and showed '1万以下' after a
    mapping change while the list was for 1–5万."""
    app.selectbox(key="band").set_value(1).run()
    app.radio(key="lang").set_value("en").run()
    box = app.selectbox(key="band")
    assert box.value == 1 and box.format_func(box.value) == "10,000–50,000"
    listed = table(app, "Customer", "Revenue (yuan)")
    expected = sample_totals[(sample_totals >= 10000) & (sample_totals < 50000)]
    assert sorted(listed["Customer"]) == sorted(expected.index)
    assert any(c.value.startswith("10,000–50,000:") for c in app.caption)


def test_thresholds_that_do_not_fit_the_data_say_so(app):
    from conftest import csv_text

    rows = [["Customer", "Sales"]] + [[f"C{i}", f"{50 + i * 7}"] for i in range(40)]
    app.sidebar.file_uploader[0].upload("us.csv", csv_text(rows).encode()).run()
    assert not app.exception
    assert any("不太适合" in i.value for i in app.info)
    assert table(app, "分层", "客户数")["分层"].tolist()[0] == "10,000以下"  # no currency seen: plain numbers
    app.button(key="suggest_bands").click().run()
    assert not any("不太适合" in i.value for i in app.info)
