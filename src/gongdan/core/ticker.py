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
# Finders that must run more often than the ticker's interval, with their period in
# seconds (the outbox: a message written by a request waits for its next run).
_periods: dict[str, float] = {}


def register(name: str, *, every: float | None = None) -> Callable[[DueFinder], DueFinder]:
    def decorator(fn: DueFinder) -> DueFinder:
        _finders[name] = fn
        if every is not None:
            _periods[name] = every
        return fn

    return decorator


def finders() -> dict[str, DueFinder]:
    return dict(_finders)


def tick(names: list[str] | None = None) -> dict[str, int]:
    """Run every finder (or the named ones) once; a failing finder is logged and does
    not stop the others."""
    counts: dict[str, int] = {}
    for name, finder in _finders.items():
        if names is not None and name not in names:
            continue
        try:
            counts[name] = finder()
        except Exception:
            log.exception("due finder %s failed", name)
            counts[name] = -1
    return counts


def run_forever(interval: float, stop: Callable[[], bool] = lambda: False) -> None:
    """Run each finder every ``interval`` seconds, or more often where it asked to."""
    next_run = dict.fromkeys(_finders, 0.0)
    while not stop():
        now = time.monotonic()
        due = [name for name, at in next_run.items() if at <= now]
        if due:
            close_old_connections()
            counts = tick(due)
            if any(counts.values()):
                log.info("tick: %s", counts)
            for name in due:
                next_run[name] = now + min(_periods.get(name, interval), interval)
        # Sleep in short steps so a stop request is honoured within half a second.
        time.sleep(max(0.0, min(0.5, min(next_run.values(), default=now + 0.5) - now)))
