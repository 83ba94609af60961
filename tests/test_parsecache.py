"""The app's cache of parsed files: byte budget, files per session, expiry, release when a session ends."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pages.parsecache import ParsedFiles, estimate_bytes

MB = 1024 * 1024


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def frame(mb: int) -> pd.DataFrame:
    """A frame of about `mb` MB (int64: 8 bytes a value)."""
    return pd.DataFrame({"x": range(mb * MB // 8)})


def test_a_value_is_made_once_and_shared_between_sessions():
    cache, made = ParsedFiles(budget=100 * MB), []
    first = cache.get("k", "s1", lambda: made.append(1) or frame(1))
    second = cache.get("k", "s2", lambda: made.append(1) or frame(1))
    assert first is second and made == [1]
    assert cache.owned_by("s1") == ["k"] and cache.owned_by("s2") == ["k"]


def test_the_total_stays_within_the_budget_dropping_the_least_recently_used():
    clock = Clock()
    cache = ParsedFiles(budget=25 * MB, per_session=10, clock=clock)
    for i in range(4):  # four 10 MB files: only two fit in 25 MB
        clock.now = i
        cache.get(f"f{i}", "s", lambda: frame(10))
    assert len(cache) == 2 and cache.total() <= 25 * MB
    assert cache.owned_by("s") == ["f2", "f3"]


def test_a_session_keeps_only_its_latest_files():
    cache = ParsedFiles(budget=1000 * MB, per_session=2)
    for key in ("a", "b", "c"):
        cache.get(key, "s1", lambda: frame(1))
    cache.get("a", "s2", lambda: frame(1))  # another session had also opened nothing; 'a' is made again for it
    assert cache.owned_by("s1") == ["b", "c"]
    assert len(cache) == 3  # a (s2), b, c (s1)


def test_a_file_shared_by_two_sessions_outlives_the_first_one_leaving():
    cache = ParsedFiles(budget=1000 * MB)
    cache.get("k", "s1", lambda: frame(1))
    cache.get("k", "s2", lambda: frame(1))
    cache.release("s1")
    assert len(cache) == 1
    cache.release("s2")
    assert len(cache) == 0 and cache.total() == 0


def test_entries_nobody_used_for_the_ttl_expire():
    clock = Clock()
    cache = ParsedFiles(budget=1000 * MB, ttl=60, clock=clock)
    cache.get("old", "s", lambda: frame(1))
    clock.now = 30
    cache.get("new", "s", lambda: frame(1))
    clock.now = 70  # 'old' idle for 70 s, 'new' for 40 s
    cache.get("new", "s", lambda: frame(1))
    assert cache.owned_by("s") == ["new"] and len(cache) == 1


def test_a_value_larger_than_the_budget_is_returned_but_not_kept():
    cache = ParsedFiles(budget=5 * MB)
    value = cache.get("big", "s", lambda: frame(10))
    assert len(value) == 10 * MB // 8 and len(cache) == 0


def test_estimate_counts_arrow_text_and_python_strings():
    text = pd.DataFrame({"a": pd.array(["甲公司"] * 100_000, dtype="str")})
    assert 900_000 <= estimate_bytes(text) <= 2_000_000  # 9 bytes of UTF-8 + 8 of offset per cell
    objects = pd.Series(["x" * 100] * 10_000, dtype=object)
    assert 10_000 * 100 <= estimate_bytes(objects) <= 10_000 * 250


def test_an_app_session_that_ends_lets_its_parsed_files_go():
    """Run the app (the bundled sample is parsed into the cache), then drop the session as Streamlit does."""
    import gc

    from streamlit.testing.v1 import AppTest

    from pages.common import parsed_files

    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    cache = parsed_files()
    mine = [s for s in cache.sessions() if cache.owned_by(s)]
    assert mine, "the sample report should be cached for the session"
    owned = {s: cache.owned_by(s) for s in mine}
    del at
    gc.collect()
    assert all(s not in cache.sessions() for s in owned)
