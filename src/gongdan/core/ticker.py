"""The ticker: one loop that finds what has come due in the database and enqueues it.

Apps register a *due finder*: a function that looks at indexed deadline columns,
claims what is due with a guarded UPDATE (so two tickers never enqueue the same
item twice) and enqueues a task per item. The database stays the source of
truth: if the worker or the queue dies, the next tick finds the item again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.db import close_old_connections

log = logging.getLogger("gongdan.ticker")

DueFinder = Callable[[], int]
_finders: dict[str, DueFinder] = {}


def register(name: str) -> Callable[[DueFinder], DueFinder]:
    def decorator(fn: DueFinder) -> DueFinder:
        _finders[name] = fn
        return fn

    return decorator


def finders() -> dict[str, DueFinder]:
    return dict(_finders)


def tick() -> dict[str, int]:
    """Run every finder once; a failing finder is logged and does not stop the others."""
    counts: dict[str, int] = {}
    for name, finder in _finders.items():
        try:
            counts[name] = finder()
        except Exception:
            log.exception("due finder %s failed", name)
            counts[name] = -1
    return counts


def run_forever(interval: float, stop: Callable[[], bool] = lambda: False) -> None:
    while not stop():
        close_old_connections()
        counts = tick()
        if any(counts.values()):
            log.info("tick: %s", counts)
        # Sleep in short steps so a stop request is honoured within a second.
        deadline = time.monotonic() + interval
        while not stop() and time.monotonic() < deadline:
            time.sleep(min(0.5, interval))
