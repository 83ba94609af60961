"""The snapshot store's safety: books by name in the data folder, nothing changed in a file before it is known to
be ours, and every failure (full disk, read-only, damaged, busy, not ours) one sentence naming only the book.

Read-only files and folders are made with `chattr +i` (root ignores file modes; CI runs as root) or chmod
otherwise; the full disk is a real 256 KiB tmpfs where the machine allows mounting one, and SQLite's
max_page_count everywhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pandas as pd
import pytest

import funnel.snapshots as snapshots
from funnel.errors import FunnelError
from funnel.forecast import weigh
from funnel.snapshots import (
    APPLICATION_ID,
    DEFAULT_BOOK,
    Store,
    book_path,
    books,
    check_book_name,
    data_dir,
    default_db_path,
)
from funnel.stages import prepare_deals

STAGES = ["潜在客户", "初步接触", "意向", "提案", "谈判", "成交"]


def deals(n: int, amount: int = 100) -> pd.DataFrame:
    rows = [(f"D{i:05d}", f"客户{i}", "提案", amount + i, "2026-12-01", "50%") for i in range(n)]
    frame = pd.DataFrame(rows, columns=["商机编号", "客户名称", "销售阶段", "预计金额", "预计签约日期", "赢率"])
    return weigh(prepare_deals(frame, STAGES).deals, STAGES)


def sentence(err: pytest.ExceptionInfo, book: str) -> str:
    """The error's text in both languages, checked to be one clean sentence that names the book and no SQLite."""
    texts = [err.value.message(lang) for lang in ("zh", "en")]
    for text in texts:
        assert book in text and "\n" not in text
        assert "sqlite" not in text.lower() and "database disk" not in text and "attempt to" not in text
    return texts[1]


def foreign_database(path: Path, app_id: int = 0) -> bytes:
    """Another program's SQLite file (a browser history, say), in rollback-journal mode."""
    db = sqlite3.connect(path)
    db.executescript(
        f"""PRAGMA application_id = {app_id};
            CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);
            INSERT INTO moz_places (url) VALUES ('https://example.org');"""
    )
    db.close()
    return path.read_bytes()


# --- books by name, in the operator's data folder
def test_book_names_are_safe_slugs():
    assert check_book_name("snapshots") == "snapshots"
    assert check_book_name(" 华东团队-2026 ") == "华东团队-2026"
    assert check_book_name("ＡＢＣ") == "ABC"  # NFKC: full-width letters become ASCII
    for bad in [
        "",
        "../etc/passwd",
        "a/b",
        "a\\b",
        ".hidden",
        "-x",
        "_x",
        "a b",
        "x" * 41,
        "con",
        "LPT1",
        "a.db",
        "a\x00",
    ]:
        with pytest.raises(FunnelError) as err:
            check_book_name(bad)
        assert err.value.key == "snapshot_bad_book"


def test_the_data_folder_comes_from_the_operator_and_never_from_the_working_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("FUNNEL_DATA_DIR", str(tmp_path / "books"))
    assert data_dir() == tmp_path / "books"
    assert book_path("q4") == tmp_path / "books" / "q4.db"
    monkeypatch.setenv("FUNNEL_DATA_DIR", "relative/books")
    with pytest.raises(FunnelError) as err:
        data_dir()
    assert err.value.key == "snapshot_data_dir_relative"
    monkeypatch.delenv("FUNNEL_DATA_DIR")
    home = Path.home()
    for xdg in ("", "relative/share", "."):  # the XDG spec: an empty or relative XDG_DATA_HOME is ignored
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
        assert data_dir() == home / ".local" / "share" / "customer-funnel"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "customer-funnel"
    monkeypatch.delenv("FUNNEL_DB", raising=False)
    assert default_db_path() == tmp_path / "xdg" / "customer-funnel" / f"{DEFAULT_BOOK}.db"
    monkeypatch.setenv("FUNNEL_DB", str(tmp_path / "cli.db"))
    assert default_db_path() == tmp_path / "cli.db"


def test_listing_shows_only_our_books_and_reading_creates_nothing(tmp_path):
    with Store(tmp_path / "华东.db", book="华东") as store:
        store.save(deals(2), "2026-W46")
    Store(tmp_path / "空的.db", book="空的").close()
    foreign_database(tmp_path / "history.db")
    (tmp_path / "notes.db").write_text("not a database")
    (tmp_path / "empty.db").write_bytes(b"")
    (tmp_path / "readme.txt").write_text("x")
    (tmp_path / ".hidden.db").write_bytes((tmp_path / "华东.db").read_bytes())
    assert books(tmp_path) == ["华东", "空的"]
    assert books(tmp_path / "missing") == []
    with Store(tmp_path / "never.db", writable=False, book="never") as store:
        assert store.weeks().empty and store.all_deals().empty and not store.exists("2026-W46")
    assert not (tmp_path / "never.db").exists()


def test_a_new_book_is_created_whole_and_carries_our_mark(tmp_path):
    path = tmp_path / "deep" / "folder" / "q.db"
    Store(path).close()
    header = path.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
    assert header[18:20] == b"\x02\x02"  # WAL from the start: no journal switch on a later open
    assert sorted(p.name for p in path.parent.iterdir()) == ["q.db"]  # no temporary file left behind


# --- nothing is changed in a file before it is known to be ours
def test_an_empty_file_is_never_overwritten(tmp_path):
    path = tmp_path / "q.db"
    path.write_bytes(b"")
    for writable in (True, False):
        with pytest.raises(FunnelError) as err:
            Store(path, writable=writable, book="q")
        assert err.value.key == "snapshot_empty_file"
        sentence(err, "q")
    snapshots._create(path)  # even the creation step itself: it links, never replaces
    assert path.read_bytes() == b""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.db"]


@pytest.mark.parametrize("app_id", [0, 0x0F055112, -1])
def test_another_programs_database_is_refused_untouched(tmp_path, app_id):
    path = tmp_path / "places.db"
    before = foreign_database(path, app_id)
    for writable in (True, False):
        with pytest.raises(FunnelError) as err:
            Store(path, writable=writable, book="places")
        assert err.value.key == "snapshot_not_ours"
        sentence(err, "places")
    assert path.read_bytes() == before  # byte-identical: no table, no user_version, no WAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["places.db"]


def test_a_database_with_our_table_names_but_no_mark_and_no_version_is_not_ours(tmp_path):
    path = tmp_path / "lookalike.db"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE snapshots (x); CREATE TABLE snapshot_deals (y);")
    db.close()
    before = path.read_bytes()
    with pytest.raises(FunnelError) as err:
        Store(path)
    assert err.value.key == "snapshot_not_ours" and path.read_bytes() == before


def test_text_and_tableless_files_are_refused_untouched(tmp_path):
    text, tableless = tmp_path / "a.db", tmp_path / "b.db"
    text.write_text("week,deals\n2026-W46,3\n")
    sqlite3.connect(tableless).execute("PRAGMA user_version = 0").connection.close()
    tableless.write_bytes(tableless.read_bytes() or b"")
    for path in (text, tableless):
        before = path.read_bytes()
        with pytest.raises(FunnelError) as err:
            Store(path)
        assert err.value.key in ("snapshot_not_ours", "snapshot_empty_file")
        assert path.read_bytes() == before


def test_a_book_from_before_the_mark_is_adopted_with_its_snapshots(tmp_path):
    path = tmp_path / "old.db"
    with Store(path) as store:
        store.save(deals(3), "2026-W40")
    db = sqlite3.connect(path)
    db.execute("PRAGMA application_id = 0")  # as every book was before this change
    db.close()
    with Store(path) as store:
        assert store.weeks()["deals"].tolist() == [3]
    assert int.from_bytes(path.read_bytes()[68:72], "big") == APPLICATION_ID


# --- read-only books can be listed; saving says so in one sentence
@contextlib.contextmanager
def read_only(path: Path):
    """Make a file or folder read-only for this process: immutable for root (root ignores modes), else chmod."""
    if os.geteuid() == 0:
        if not shutil.which("chattr") or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            pytest.skip("chattr +i is not available here")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


def test_a_read_only_book_can_be_listed_and_saving_is_one_sentence(tmp_path):
    path = tmp_path / "ro.db"
    with Store(path, book="ro") as store:
        store.save(deals(3), "2026-W46")
    before = path.read_bytes()
    with read_only(path):
        with Store(path, writable=False, book="ro") as store:
            assert store.weeks()["week"].tolist() == ["2026-W46"]
            assert len(store.all_deals()) == 3
        with pytest.raises(FunnelError) as err, Store(path, book="ro") as store:
            store.save(deals(2), "2026-W47")
        assert err.value.key == "snapshot_read_only"
        assert "read-only" in sentence(err, "ro")
    assert path.read_bytes() == before


def test_a_book_in_a_read_only_folder_can_be_listed(tmp_path):
    folder = tmp_path / "books"
    with Store(folder / "ro.db", book="ro") as store:
        store.save(deals(3), "2026-W46")
    assert sorted(p.name for p in folder.iterdir()) == ["ro.db"]  # WAL and index files gone after closing
    with read_only(folder):
        assert books(folder) == ["ro"]
        with Store(folder / "ro.db", writable=False, book="ro") as store:
            assert store.weeks()["deals"].tolist() == [3]
        with pytest.raises(FunnelError) as err, Store(folder / "new.db", book="new") as store:
            store.save(deals(1), "2026-W47")
        assert err.value.key == "snapshot_read_only"
        sentence(err, "new")


# --- the disk fills up: one sentence, the book intact
def test_a_full_book_is_one_sentence_and_loses_nothing(tmp_path):
    path = tmp_path / "full.db"
    with Store(path, book="full") as store:
        store.save(deals(5), "2026-W46")
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite's own "disk full"
        with pytest.raises(FunnelError) as err:
            store.save(deals(3000), "2026-W47")
        assert err.value.key == "snapshot_disk_full"
        assert "full" in sentence(err, "full")
        assert store.weeks()["week"].tolist() == ["2026-W46"]
    with Store(path, writable=False) as store:
        assert store.weeks()["deals"].tolist() == [5]


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB file system (tmpfs), where mounting is allowed."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk_is_one_sentence_and_loses_nothing(tiny_disk):
    path = tiny_disk / "q.db"
    with Store(path, book="q") as store:
        store.save(deals(5), "2026-W46")
    filler = tiny_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass  # the disk is full
    finally:
        os.close(fd)
    with pytest.raises(FunnelError) as err, Store(path, book="q") as store:
        store.save(deals(3000), "2026-W47")
    assert err.value.key == "snapshot_disk_full"
    sentence(err, "q")
    with pytest.raises(FunnelError) as err:  # a new book on a full disk
        Store(tiny_disk / "new.db", book="new")
    assert err.value.key == "snapshot_disk_full"
    filler.unlink()
    with Store(path, book="q") as store:
        assert store.weeks()["deals"].tolist() == [5]
        assert store.save(deals(4), "2026-W47") == 4  # and it works again once there is room
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["q.db"]


# --- damaged and busy books
def test_a_damaged_book_is_one_sentence(tmp_path):
    path = tmp_path / "bad.db"
    with Store(path, book="bad") as store:
        store.save(deals(500), "2026-W46")
    data = bytearray(path.read_bytes())
    data[4096 : len(data)] = os.urandom(len(data) - 4096)  # every page after the first
    path.write_bytes(bytes(data))
    with pytest.raises(FunnelError) as err, Store(path, writable=False, book="bad") as store:
        store.all_deals()
    assert err.value.key == "snapshot_corrupt"
    assert "damaged" in sentence(err, "bad")


def test_a_book_whose_tables_were_dropped_is_one_sentence(tmp_path):
    path = tmp_path / "t.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE snapshot_deals; DROP TABLE snapshots;")
    db.close()
    with pytest.raises(FunnelError) as err, Store(path, writable=False, book="t") as store:
        store.weeks()
    assert err.value.key == "snapshot_corrupt"


def test_a_busy_book_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshots, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "busy.db"
    Store(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another session is in the middle of a save
    try:
        with pytest.raises(FunnelError) as err, Store(path, book="busy") as store:
            store.save(deals(2), "2026-W47")
        assert err.value.key == "snapshot_busy"
        sentence(err, "busy")
        with Store(path, writable=False) as store:  # reading is never blocked by a save (WAL)
            assert store.weeks().empty
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_app_messages_name_the_book_never_a_folder(tmp_path):
    folder = tmp_path / f"secret-{uuid.uuid4().hex}"
    folder.mkdir()
    (folder / "q.db").write_bytes(b"")
    with pytest.raises(FunnelError) as err:
        Store(book_path("q", folder), book="q")
    for lang in ("zh", "en"):
        assert "secret-" not in err.value.message(lang) and str(tmp_path) not in err.value.message(lang)


def test_every_store_failure_has_a_sentence_in_both_languages():
    from funnel.i18n import STRINGS

    keys = {*snapshots._SQLITE_KEYS.values(), *snapshots._OS_KEYS.values(), "snapshot_store_failed"}
    assert keys <= set(STRINGS)
    for key in keys:
        assert "{book}" in STRINGS[key]["zh"] and "{book}" in STRINGS[key]["en"]


KILLED_SAVER = """
import sys
sys.path.insert(0, {root!r})
from tests.test_snapshot_store import deals
from funnel.snapshots import Store
frame = deals(20_000)
with Store(sys.argv[1], book="k") as store:
    for week in range(1, 53):
        store.save(frame, f"2026-W{{week:02d}}")
        print(week, flush=True)
"""


def test_a_save_killed_midway_leaves_only_whole_snapshots(tmp_path):
    import signal
    import sys
    import time

    root = str(Path(__file__).resolve().parent.parent)
    script = tmp_path / "saver.py"
    script.write_text(KILLED_SAVER.format(root=root))
    path = tmp_path / "k.db"
    child = subprocess.Popen([sys.executable, str(script), str(path)], stdout=subprocess.PIPE, text=True)
    child.stdout.readline()  # one snapshot is in; the next one is being written
    time.sleep(0.3)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with Store(path, book="k") as store:
        weeks = store.weeks()
        assert len(weeks) >= 1 and set(weeks["deals"]) == {20_000}  # only whole snapshots
        assert store.save(deals(3), "2026-W53") == 3  # and the book still takes saves
