"""The suite never writes into the real home folder or the working folder (conftest.no_real_home).

The tests that save snapshots through every default (the command line's FUNNEL_DB, the app's default book, the
data folder with no setting at all) run again in a child pytest whose "real" home is an empty folder, with an
empty XDG_DATA_HOME (which once made the data folder relative to the working folder) and no FUNNEL_* setting,
started in another empty folder. Both folders must still be empty afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from funnel.snapshots import Store

ROOT = Path(__file__).resolve().parent.parent
WRITERS = [
    "tests/test_cli.py::test_snapshot_commands",
    "tests/test_app_forecast.py::test_forecast_page_and_snapshots",
    "tests/test_isolation.py::test_the_default_book_with_no_setting_lands_in_the_tests_home",
]


def test_the_default_book_with_no_setting_lands_in_the_tests_home(monkeypatch, no_real_home):
    monkeypatch.delenv("FUNNEL_DB")
    monkeypatch.delenv("FUNNEL_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", "")
    with Store() as store:
        assert store.path == no_real_home / ".local" / "share" / "customer-funnel" / "snapshots.db"
    assert store.path.exists()


def test_the_suite_writes_nothing_under_the_real_home(tmp_path):
    real_home, working = tmp_path / "real-home", tmp_path / "working"
    real_home.mkdir()
    working.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNNEL_", "XDG_", "PYTEST_"))}
    env |= {"HOME": str(real_home), "XDG_DATA_HOME": "", "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    tests = [str(ROOT / path) + "::" + name for path, name in (w.split("::") for w in WRITERS)]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(ROOT), *tests],
        cwd=working,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"{len(WRITERS)} passed" in done.stdout
    assert [str(p.relative_to(real_home)) for p in real_home.rglob("*")] == []
    assert [str(p.relative_to(working)) for p in working.rglob("*")] == []
