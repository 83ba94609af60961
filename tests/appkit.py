"""What the AppTest modules share: the app started from app.py as a user opens it, and ways to read what it shows.

Each page has its own module (test_app_<page>.py); widgets are found by their keys, which are the state model's
choice names (pages/state.py) and never depend on the language.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = {
    "bands": "pages/bands.py",
    "key_customers": "pages/key_customers.py",
    "stages": "pages/stages.py",
    "forecast": "pages/forecast.py",
    "trends": "pages/trends.py",
    "data": "pages/data.py",
}


class RecordingStorage(MemoryMediaFileStorage):
    """Keeps hold of the media storage AppTest creates, so a test can open what a download button serves."""

    last: RecordingStorage | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingStorage.last = self


class RecordingFiles(MediaFileManager):
    """Keeps hold of the media file manager of the last run: downloads are built when clicked (deferred)."""

    last: RecordingFiles | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        RecordingFiles.last = self


class NavigationPagesManager(PagesManager):
    """AppTest resets PagesManager.uses_pages_directory before every run, so with a pages/ folder beside app.py
    every rerun after the first runs the page script alone (Streamlit's v1 multipage mode) and skips app.py.
    A real server clears the flag for good on the first st.navigation call; this does the same for the tests."""

    def __init__(self, *args, **kwargs):
        PagesManager.uses_pages_directory = False
        super().__init__(*args, **kwargs)


def start(monkeypatch, query: dict[str, str | list[str]] | None = None, timeout: int = 90) -> AppTest:
    """The app as a browser opens it (optionally with query parameters in the address), after its first run."""
    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", RecordingStorage)
    monkeypatch.setattr("streamlit.testing.v1.app_test.MediaFileManager", RecordingFiles)
    monkeypatch.setattr("streamlit.testing.v1.app_test.PagesManager", NavigationPagesManager)
    monkeypatch.setenv("FUNNEL_DEBUG", "1")  # let a bug surface as at.exception instead of a friendly message
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def band_counts(at: AppTest) -> list[int]:
    """Customers per band, as the band page's summary table shows them."""
    try:
        return table(at, "分层", "客户占比").iloc[:, 1].tolist()
    except KeyError:
        return table(at, "Band", "Share of customers").iloc[:, 1].tolist()


def table(at: AppTest, *headers: str, nth: int = 0) -> pd.DataFrame:
    """The (nth) table shown whose columns include all of `headers`, as it is shown."""
    found = [f.value for f in at.dataframe if all(h in [str(c) for c in f.value.columns] for h in headers)]
    if len(found) <= nth:
        raise KeyError(f"no table with {headers}: {[list(f.value.columns) for f in at.dataframe]}")
    return found[nth]


def download_url(at: AppTest, key: str) -> str:
    """What a click on the download button serves (the file is built then, as in a browser)."""
    button = next(b for b in at.get("download_button") if b.proto.id.endswith(key))
    return button.proto.url or RecordingFiles.last.execute_deferred(button.proto.deferred_file_id)


def downloaded(at: AppTest, key: str) -> bytes:
    return RecordingStorage.last.get_file(download_url(at, key).rsplit("/", 1)[-1]).content


def shown_text(at: AppTest) -> str:
    """Every piece of text the run put on the page (titles, captions, alerts, markdown, metrics, labels)."""
    parts = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "error", "warning", "info", "success"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def no_raw_missing(frame: pd.DataFrame) -> bool:
    """True when no cell of a shown table is None, NaN, NaT or the text None/nan/NaT."""
    if frame.isna().any().any():
        return False
    words = frame.astype(str).isin(["None", "nan", "NaT", "<NA>"])
    return not words.any().any()


def choose_table(at: AppTest, source: str, table_name: str | None = None, pipeline: bool = False) -> AppTest:
    """Pick a database source by name and one of its tables: for the sales report (the sidebar's "Data from") or,
    with `pipeline`, in the pipeline expander (the other source stays what it was)."""
    kind, prefix = ("pipeline_kind", "pdb") if pipeline else ("source_kind", "db")
    if at.radio(key=kind).value != "db":
        at.radio(key=kind).set_value("db").run()
    at.selectbox(key=f"{prefix}_source").set_value(source).run()
    if table_name is not None:
        at.selectbox(key=f"{prefix}_table").set_value(table_name).run()
    assert not at.exception, at.exception
    return at
