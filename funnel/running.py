"""A long query run so that it can be stopped: in a worker thread, watched by the caller, which may cancel it.

The app cannot stop a query by itself: Streamlit stops a script only at its next call into Streamlit. So the query
runs in a thread while the caller's `tick` redraws its progress; when the user clicks Cancel (or changes a choice)
Streamlit raises out of `tick`, and the query is interrupted on the engine before the exception goes on. A query
running longer than FUNNEL_QUERY_SECONDS is interrupted the same way and told as one sentence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from funnel.engine import query_seconds
from funnel.errors import FunnelError

T = TypeVar("T")
GRACE_S = 10.0  # how long an interrupted query is given to end before the caller goes on without it


def run_interruptible(
    work: Callable[[], T],
    interrupt: Callable[[], None],
    tick: Callable[[float], None] | None = None,
    seconds: float | None = None,
    every: float = 0.25,
) -> T:
    """`work()` in a thread, `tick(elapsed seconds)` called every `every` s meanwhile; past `seconds` (default
    FUNNEL_QUERY_SECONDS) it is interrupted and FunnelError('engine_timeout') raised; if `tick` raises (the user
    cancelled), the query is interrupted and the exception goes on. The result, or the work's own exception."""
    limit = query_seconds() if seconds is None else seconds
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="funnel-query", daemon=True)
    started = time.monotonic()
    thread.start()
    try:
        while thread.is_alive():
            thread.join(every)
            if not thread.is_alive():
                break
            elapsed = time.monotonic() - started
            if elapsed > limit:
                raise FunnelError("engine_timeout", seconds=int(limit))
            if tick is not None:
                tick(elapsed)
    finally:
        if thread.is_alive():
            interrupt()
            thread.join(GRACE_S)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
