"""Snapshot storage: round trip, replace only when asked, migration, interrupted saves, concurrent saves."""

import sqlite3
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from funnel.errors import FunnelError
from funnel.forecast import weigh
from funnel.snapshots import APPLICATION_ID, Store, accuracy, actual_won, changes, check_week, history, iso_week
from funnel.stages import prepare_deals

STAGES = ["潜在客户", "初步接触", "意向", "提案", "谈判", "成交"]


def weighed(rows):
    frame = pd.DataFrame(rows, columns=["商机编号", "客户名称", "销售阶段", "预计金额", "预计签约日期", "赢率"])
    return weigh(prepare_deals(frame, STAGES).deals, STAGES)


WEEK1 = [
    ("A", "甲", "谈判", 100, "2026-11-20", "80%"),
    ("B", "乙", "提案", 200, "2026-12-10", "50%"),
    ("C", "丙", "意向", 300, "2027-01-10", "30%"),
]
WEEK2 = [
    ("A", "甲", "赢单", 100, "2026-11-25", None),
    ("B", "乙", "谈判", 250, "2026-12-10", "80%"),
    ("D", "丁", "潜在客户", 50, "2026-12-30", "10%"),
]


def test_save_list_load(tmp_path):
    with Store(tmp_path / "s.db") as store:
        assert store.version == 2
        assert store.save(weighed(WEEK1), "2026-W46", label="周四更新") == 3
        weeks = store.weeks()
        assert weeks[["week", "label", "deals"]].to_dict("records") == [
            {"week": "2026-W46", "label": "周四更新", "deals": 3}
        ]
        loaded = store.load("2026-W46")
        assert loaded["deal"].tolist() == ["A", "B", "C"]
        assert loaded["amount_cents"].tolist() == [10000, 20000, 30000]
        assert loaded["probability"].tolist() == [0.8, 0.5, 0.3]


def test_same_week_twice_needs_replace(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save(weighed(WEEK1), "2026-W46")
        with pytest.raises(FunnelError) as err:
            store.save(weighed(WEEK2), "2026-W46")
        assert err.value.key == "snapshot_exists"
        store.save(weighed(WEEK2), "2026-W46", replace=True)
        assert store.load("2026-W46")["deal"].tolist() == ["A", "B", "D"]
        assert store.delete("2026-W46") and not store.delete("2026-W46")
        assert store.weeks().empty


def test_interrupted_save_leaves_nothing_half_written(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save(weighed(WEEK1), "2026-W46")
        with pytest.raises(RuntimeError):
            store.save(weighed(WEEK2), "2026-W47", _fail_after=2)
        with pytest.raises(RuntimeError):
            store.save(weighed(WEEK2), "2026-W46", replace=True, _fail_after=1)
        assert store.weeks()["week"].tolist() == ["2026-W46"]
        assert store.load("2026-W46")["deal"].tolist() == ["A", "B", "C"]  # the old snapshot survived intact
        assert store.db.execute("SELECT COUNT(*) FROM snapshot_deals").fetchone()[0] == 3


def test_migrates_a_version_1_database(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        """CREATE TABLE snapshots (id INTEGER PRIMARY KEY, week TEXT NOT NULL UNIQUE, saved_at TEXT NOT NULL,
                                   source TEXT NOT NULL DEFAULT '');
           CREATE TABLE snapshot_deals (snapshot_id INTEGER NOT NULL, deal TEXT NOT NULL, customer TEXT, stage TEXT,
               status TEXT, probability REAL, amount_cents INTEGER, signing_date TEXT, product TEXT, region TEXT,
               rep TEXT, PRIMARY KEY (snapshot_id, deal));
           INSERT INTO snapshots VALUES (1, '2026-W40', '2026-10-01T00:00:00', 'old.xlsx');
           INSERT INTO snapshot_deals VALUES (1, 'X', '甲', '提案', 'open', 0.5, 12300, '2026-12-01', '', '', '');
           PRAGMA user_version = 1;"""
    )
    db.close()
    with Store(path) as store:
        assert store.version == 2
        assert store.weeks()[["week", "label", "deals"]].to_dict("records") == [
            {"week": "2026-W40", "label": "", "deals": 1}
        ]
        assert store.load("2026-W40")["amount_cents"].tolist() == [12300]


def test_a_newer_versions_book_is_refused_before_any_change(tmp_path):
    path = tmp_path / "new.db"
    db = sqlite3.connect(path)
    db.executescript(
        f"""PRAGMA application_id = {APPLICATION_ID};
            CREATE TABLE snapshots (id INTEGER PRIMARY KEY, week TEXT);
            CREATE TABLE snapshot_deals (snapshot_id INTEGER, deal TEXT);
            PRAGMA user_version = 99;"""
    )
    db.close()
    before = path.read_bytes()
    assert before[18:20] == b"\x01\x01"  # rollback journal, not WAL
    for writable in (True, False):
        with pytest.raises(FunnelError) as err:
            Store(path, writable=writable)
        assert err.value.key == "snapshot_newer_schema"
    assert path.read_bytes() == before  # not switched to WAL, not migrated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.db"]


SAVER = textwrap.dedent(
    """
    import sys, pandas as pd
    sys.path.insert(0, {root!r})
    from funnel.errors import FunnelError
    from funnel.forecast import weigh
    from funnel.snapshots import Store
    from funnel.stages import prepare_deals
    stages = ["潜在客户", "初步接触", "意向", "提案", "谈判", "成交"]
    rows = [(f"D{{i}}", f"客户{{i}}", "提案", 100 + i, "2026-12-01", "50%") for i in range(3000)]
    frame = pd.DataFrame(rows, columns=["商机编号", "客户名称", "销售阶段", "预计金额", "预计签约日期", "赢率"])
    deals = weigh(prepare_deals(frame, stages).deals, stages)
    try:
        with Store(sys.argv[1]) as store:
            print(store.save(deals, sys.argv[2]))
    except FunnelError as exc:
        print(exc.key)
    """
)


def run_savers(tmp_path, weeks):
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    script = tmp_path / "saver.py"
    script.write_text(SAVER.format(root=root))
    db = tmp_path / "shared.db"
    Store(db).close()
    procs = [
        subprocess.Popen([sys.executable, str(script), str(db), w], stdout=subprocess.PIPE, text=True) for w in weeks
    ]
    return db, sorted(p.communicate(timeout=120)[0].strip() for p in procs)


def test_two_sessions_saving_at_once_both_succeed(tmp_path):
    db, outputs = run_savers(tmp_path, ["2026-W47", "2026-W48"])
    assert outputs == ["3000", "3000"]
    with Store(db) as store:
        assert store.weeks()["deals"].tolist() == [3000, 3000]


def test_two_sessions_saving_the_same_week_one_is_told(tmp_path):
    db, outputs = run_savers(tmp_path, ["2026-W48", "2026-W48"])
    assert outputs == ["3000", "snapshot_exists"]
    with Store(db) as store:
        assert store.weeks()["deals"].tolist() == [3000]


def test_history_changes_accuracy(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.save(weighed(WEEK1), "2026-W46")
        store.save(weighed(WEEK2), "2026-W47")
        every = store.all_deals()
        h = history(every, "2026Q4").set_index("week")
        assert h.loc["2026-W46", "weighted"] == pytest.approx(100 * 0.8 + 200 * 0.5)
        assert h.loc["2026-W46", "commit"] == 100
        assert h.loc["2026-W47", "weighted"] == pytest.approx(100 + 250 * 0.8 + 50 * 0.1)
        assert h.loc["2026-W47", "commit"] == 350
        diff = changes(store.load("2026-W46"), store.load("2026-W47"))
        kinds = {(r.deal, r.change) for r in diff.itertuples()}
        assert kinds == {
            ("D", "added"),
            ("C", "removed"),
            ("A", "stage"),
            ("A", "date"),
            ("B", "stage"),
            ("B", "amount"),
        }
        actual = actual_won(every, "2026Q4")
        assert actual == 100
        table, share = accuracy(h.reset_index(), actual)
        assert table["error"].round(4).tolist() == [0.8, 2.05]
        assert share == 0.0


def test_weeks():
    assert iso_week(pd.Timestamp("2026-11-28")) == "2026-W48"
    assert iso_week(pd.Timestamp("2027-01-01")) == "2026-W53"
    with pytest.raises(FunnelError):
        check_week("2026-48")


def test_quarter_closed_and_actual_from_a_sales_report():
    from funnel.schema import prepare_sales
    from funnel.snapshots import actual_from_sales, quarter_closed

    assert quarter_closed("2026Q3", "2026-10-01") and not quarter_closed("2026Q3", "2026-09-30")
    frame = pd.DataFrame(
        {
            "客户名称": ["甲", "乙", "甲", "丙"],
            "价税合计": [100, 50.5, -20, 999],
            "日期": ["2026-07-01", "2026-09-30", "2026-08-15", "2026-10-01"],
        }
    )
    assert actual_from_sales(prepare_sales(frame).lines, "2026Q3") == 130.5
