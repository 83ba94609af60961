"""Parsed files kept for the app's sessions, within a byte budget: a few per session, expiring, released at the end.

st.cache_data kept every distinct upload's parsed sheet and sales lines (about 0.9 GB for a million rows) for the
life of the server, and handed each rerun a fresh unpickled copy. This cache keeps one copy of each parsed file,
owned by the sessions that use it: a session holds at most `per_session` entries (its oldest is let go when it
opens more), an entry nobody has used for `ttl` seconds expires, a session that ends releases its entries, and
past `budget` bytes the least recently used entries are dropped, unowned ones first. Plain Python, no streamlit:
pages/common.py ties it to Streamlit sessions. What it holds is shared: callers never modify a cached value.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, fields, is_dataclass
from typing import TypeVar

import pandas as pd

T = TypeVar("T")
MB = 1024 * 1024


@dataclass
class _Entry:
    value: object
    size: int
    used: float
    owners: set[str] = field(default_factory=set)


class ParsedFiles:
    """A byte-budgeted, per-session-bounded, expiring cache of parsed files (thread-safe)."""

    def __init__(
        self,
        budget: int = 1536 * MB,
        per_session: int = 8,
        ttl: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget, self.per_session, self.ttl, self.clock = budget, per_session, ttl, clock
        self._entries: dict[Hashable, _Entry] = {}
        self._sessions: dict[str, list[Hashable]] = {}  # each session's keys, least recently used first
        self._lock = threading.RLock()

    @classmethod
    def from_env(cls) -> ParsedFiles:
        """Sizes from FUNNEL_CACHE_MB, FUNNEL_CACHE_PER_SESSION and FUNNEL_CACHE_MINUTES (defaults 1536, 8, 30)."""

        def number(name: str, default: float) -> float:
            try:
                value = float(os.environ.get(name, default))
            except ValueError:
                return default
            return value if value > 0 else default

        return cls(
            budget=int(number("FUNNEL_CACHE_MB", 1536) * MB),
            per_session=int(number("FUNNEL_CACHE_PER_SESSION", 8)),
            ttl=number("FUNNEL_CACHE_MINUTES", 30) * 60,
        )

    def get(self, key: Hashable, session: str, make: Callable[[], T]) -> T:
        """The cached value for `key` (made once, outside the lock), now also owned by `session`."""
        with self._lock:
            self._expire()
            entry = self._entries.get(key)
            if entry is not None:
                entry.used = self.clock()
                self._own(key, session)
                return entry.value  # type: ignore[return-value]
        value = make()  # may take seconds (a worker reading a file): other sessions are not held up
        size = estimate_bytes(value)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:  # made meanwhile by another session: keep one copy
                entry.used = self.clock()
                self._own(key, session)
                return entry.value  # type: ignore[return-value]
            if size <= self.budget:
                self._entries[key] = _Entry(value, size, self.clock())
                self._own(key, session)
                self._shrink()
        return value

    def _own(self, key: Hashable, session: str) -> None:
        keys = self._sessions.setdefault(session, [])
        if key in keys:
            keys.remove(key)
        keys.append(key)
        self._entries[key].owners.add(session)
        while len(keys) > self.per_session:
            self._disown(keys.pop(0), session)

    def _disown(self, key: Hashable, session: str) -> None:
        entry = self._entries.get(key)
        if entry is None:
            return
        entry.owners.discard(session)
        if not entry.owners:
            del self._entries[key]

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        for session in entry.owners if entry else ():
            keys = self._sessions.get(session, [])
            if key in keys:
                keys.remove(key)

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, e in self._entries.items() if now - e.used > self.ttl]:
            self._drop(key)

    def _shrink(self) -> None:
        """Drop least recently used entries, unowned first, until the total fits the budget."""
        while self.total() > self.budget and self._entries:
            key = min(self._entries, key=lambda k: (bool(self._entries[k].owners), self._entries[k].used))
            self._drop(key)

    def release(self, session: str) -> None:
        """A session ended: it owns nothing any more; entries nobody else owns go."""
        with self._lock:
            for key in self._sessions.pop(session, []):
                self._disown(key, session)

    def total(self) -> int:
        with self._lock:
            return sum(e.size for e in self._entries.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def sessions(self) -> list[str]:
        with self._lock:
            return list(self._sessions)

    def owned_by(self, session: str) -> list[Hashable]:
        with self._lock:
            return list(self._sessions.get(session, []))


def estimate_bytes(value: object, _depth: int = 0) -> int:
    """Memory held by a parsed value: DataFrames (Arrow-backed text measured exactly, Python strings by a sample),
    Series, and the dataclasses, lists and dicts that carry them; small scalars count 64 bytes."""
    if isinstance(value, pd.DataFrame):
        return sum(_series_bytes(value[c]) for c in value.columns) + value.index.memory_usage()
    if isinstance(value, pd.Series):
        return _series_bytes(value)
    if _depth > 3:
        return 64
    if is_dataclass(value) and not isinstance(value, type):
        return sum(estimate_bytes(getattr(value, f.name), _depth + 1) for f in fields(value))
    if isinstance(value, list | tuple | set):
        return 64 + sum(estimate_bytes(v, _depth + 1) for v in list(value)[:1000])
    if isinstance(value, dict):
        return 64 + sum(estimate_bytes(v, _depth + 1) for v in list(value.values())[:1000])
    if isinstance(value, bytes | str):
        return len(value) + 64
    return 64


def _series_bytes(series: pd.Series) -> int:
    if series.dtype != object:
        return int(series.memory_usage(deep=False, index=False))
    n = len(series)
    sample = series.iloc[:: max(1, n // 1000)] if n > 1000 else series
    per_value = sample.memory_usage(deep=True, index=False) / max(1, len(sample))
    return int(per_value * n)
