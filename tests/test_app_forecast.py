"""The forecast page (AppTest): weighted forecast in the unit, targets, weekly snapshots saved, replaced and deleted
with questions that never outlive what they asked about, save times in the viewer's time zone, snapshot books."""

from __future__ import annotations

import re

from appkit import PAGES, no_raw_missing, table


def save(at) -> None:
    next(b for b in at.button if b.label == "保存本周预测").click().run()


def test_forecast_page_and_snapshots(app):
    from funnel.snapshots import Store, book_path

    app.switch_page(PAGES["forecast"]).run()
    assert not app.exception
    forecast = table(app, "期间", "加权预测（万元）")
    assert (forecast["加权预测（万元）"] <= forecast["最佳情况（万元）"] + forecast["未结金额（万元）"] + 1e-9).all()
    assert forecast["期间"].iloc[0].endswith("季度")  # 2025年第3季度, not 2025Q3
    app.text_input(key="snap_week").set_value("2026-W47").run()
    save(app)
    assert any("已保存 2026-W47" in s.value.replace("\\", "") for s in app.success)
    save(app)
    assert any("已有快照" in w.value for w in app.warning)  # asks before replacing
    next(b for b in app.button if b.label == "替换").click().run()
    assert any("已保存 2026-W47" in s.value.replace("\\", "") for s in app.success)
    assert not any("已有快照" in w.value for w in app.warning)  # the question is gone once answered
    with Store(book_path("snapshots")) as store:  # the default book, in the data folder
        assert store.weeks()["deals"].tolist() == [900]
    next(b for b in app.button if b.label == "删除快照").click().run()
    assert any("确定删除" in w.value for w in app.warning)  # asks before deleting
    next(b for b in app.button if b.label == "确定").click().run()
    with Store(book_path("snapshots")) as store:
        assert store.weeks().empty


def test_the_replace_question_never_outlives_its_week(app):
    """Seen in the browser: 'replace W49?' stayed on the page after another week was saved."""
    app.switch_page(PAGES["forecast"]).run()
    app.text_input(key="snap_week").set_value("2026-W49").run()
    save(app)
    save(app)
    assert any("2026-W49 已有快照" in w.value.replace("\\", "") for w in app.warning)
    app.text_input(key="snap_week").set_value("2026-W50").run()
    assert not any("已有快照" in w.value for w in app.warning)
    save(app)
    assert any("已保存 2026-W50" in s.value.replace("\\", "") for s in app.success)
    assert not any("已有快照" in w.value for w in app.warning)


def test_save_times_are_local_and_say_their_zone(app):
    from datetime import UTC, datetime

    app.switch_page(PAGES["forecast"]).run()
    app.text_input(key="snap_week").set_value("2026-W47").run()
    save(app)
    weeks = table(app, "周", "保存时间")
    saved = weeks["保存时间"].iloc[0]
    now = datetime.now(UTC)
    assert saved.endswith("(UTC)") and saved[:13] in (now.strftime("%Y-%m-%d %H"),)  # no zone known here: UTC, said
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(UTC\)", saved)  # to the minute, never raw ISO text
    assert any("时区" in c.value for c in app.caption)


def test_targets_start_at_zero_in_the_unit_and_no_table_shows_none(app):
    app.switch_page(PAGES["forecast"]).run()
    targets = table(app, "period", "target")  # the editor keeps stable column names; its labels are localised
    assert (targets["target"] == 0).all() and targets["period"].iloc[0].endswith("季度")
    for frame in app.dataframe:
        assert no_raw_missing(frame.value), list(frame.value.columns)


def test_forecast_accuracy_for_a_closed_quarter(app):
    app.switch_page(PAGES["forecast"]).run()
    for week in ("2026-W30", "2026-W31"):
        app.text_input(key="snap_week").set_value(week).run()
        next(b for b in app.button if b.label == "保存本周预测").click().run()
    app.selectbox(key="history_quarter").set_value("2026Q2").run()
    assert not app.exception
    assert any(m.value.startswith("**2026年第2季度 预测准确度") for m in app.markdown)
    app.radio(key="actual_source").set_value("sales").run()
    assert any("2026年第2季度 预测准确度" in m.value for m in app.markdown)
    assert not app.exception


def test_snapshot_books_are_chosen_by_name_never_by_path(app, no_real_home):
    import sqlite3

    from funnel.snapshots import Store, book_path, data_dir

    assert not [w for w in app.text_input if "db" in (w.key or "") or "path" in (w.key or "")]
    app.switch_page(PAGES["forecast"]).run()
    assert not [w for w in app.text_input if "/" in str(w.value) or str(no_real_home) in str(w.value)]
    shown = " ".join(str(e.value) for e in (*app.caption, *app.markdown, *app.error, *app.selectbox))
    assert str(data_dir()) not in shown and str(no_real_home) not in shown
    app.selectbox(key="snap_book").set_value("").run()  # (New book…)
    app.text_input(key="snap_new_book").set_value("../../etc/x").run()
    assert any("不能作为快照簿名称" in e.value for e in app.error)
    app.text_input(key="snap_new_book").set_value("华东团队").run()
    app.text_input(key="snap_week").set_value("2026-W47").run()
    next(b for b in app.button if b.label == "保存本周预测").click().run()
    assert not app.exception and any("已保存 2026-W47" in s.value.replace("\\", "") for s in app.success)
    with Store(book_path("华东团队"), writable=False) as store:
        assert store.weeks()["deals"].tolist() == [900]
    app.run()
    assert "华东团队" in app.selectbox(key="snap_book").options  # listed from the next rerun on
    app.selectbox(key="snap_book").set_value("华东团队").run()
    assert not app.exception and table(app, "周", "商机数")["商机数"].tolist() == [900]
    assert sorted(p.name for p in data_dir().iterdir()) == ["华东团队.db"]

    db = sqlite3.connect(data_dir() / "other.db")  # another program's database dropped into the data folder
    db.executescript("PRAGMA user_version = 1; CREATE TABLE snapshots (x);")
    db.close()
    before = (data_dir() / "other.db").read_bytes()
    app.run()
    assert "other" not in app.selectbox(key="snap_book").options  # not listed: not ours
    app.selectbox(key="snap_book").set_value("").run()
    app.text_input(key="snap_new_book").set_value("other").run()
    next(b for b in app.button if b.label == "保存本周预测").click().run()
    assert not app.exception
    errors = [e.value for e in app.error]
    assert any("不是快照簿" in e and "未被改动" in e for e in errors), errors
    assert not any("意外" in e or str(data_dir()) in e for e in errors)
    assert (data_dir() / "other.db").read_bytes() == before
