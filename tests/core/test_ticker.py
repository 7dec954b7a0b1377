"""The ticker's loop: each finder on its own period, failures contained."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from gongdan.core import ticker


@pytest.fixture
def finders(monkeypatch):
    monkeypatch.setattr(ticker, "_finders", {})
    monkeypatch.setattr(ticker, "_periods", {})
    # The loop's connection housekeeping is Django's; these finders use no database.
    monkeypatch.setattr(ticker, "close_old_connections", lambda: None)
    runs: Counter[str] = Counter()

    @ticker.register("slow")
    def slow() -> int:
        runs["slow"] += 1
        return 0

    @ticker.register("outbox", every=0.01)
    def outbox() -> int:
        runs["outbox"] += 1
        return 1

    @ticker.register("broken", every=0.01)
    def broken() -> int:
        runs["broken"] += 1
        raise RuntimeError("finder bug")

    return runs


def test_a_finder_with_its_own_period_runs_between_the_tickers_rounds(finders):
    done = threading.Event()

    def stop() -> bool:
        if finders["outbox"] >= 3:
            done.set()
        return done.is_set()

    # The ticker's interval is an hour: only a finder's own period brings it back.
    ticker.run_forever(3600, stop=stop)
    assert finders["outbox"] >= 3
    assert finders["slow"] == 1
    # A failing finder is retried on its period and never stops the others.
    assert finders["broken"] >= 2


def test_one_tick_runs_every_finder_or_the_named_ones(finders):
    assert ticker.tick() == {"slow": 0, "outbox": 1, "broken": -1}
    assert ticker.tick(["outbox"]) == {"outbox": 1}
    assert finders == Counter({"slow": 1, "outbox": 2, "broken": 1})
