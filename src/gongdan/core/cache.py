"""Configuration every request reads, kept per process for a moment.

Routing rules, SLA policies and their calendars change a few times a month and
are read by every create. A ``ProcessCache`` loads them once and keeps them for
``ttl`` seconds: a change made in this process drops the copy at once (and again
when its transaction commits, so no reader keeps what it saw mid-transaction);
the transaction that made it reads past the cache until it ends, so a change
rolled back is never kept; another web or worker process sees it within ``ttl``.
What is cached must be treated as read-only: the same objects serve every thread
of the process.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
K = TypeVar("K")

_all: list[_Invalidated] = []


class _Invalidated(ABC):
    """Dropped when one of ``models`` is saved or deleted in this process."""

    def __init__(self, models: tuple[type[Model], ...]) -> None:
        # Set in a thread whose open transaction changed what is cached.
        self._local = threading.local()
        for model in models:
            post_save.connect(self._changed, sender=model, weak=False)
            post_delete.connect(self._changed, sender=model, weak=False)
        _all.append(self)

    @abstractmethod
    def clear(self) -> None:
        """Forget the cached copy."""

    def _bypass(self) -> bool:
        """True while this thread's transaction has changed what is cached."""
        if getattr(self._local, "changed", False):
            if transaction.get_connection().in_atomic_block:
                return True
            self._local.changed = False
        return False

    def _changed(self, sender: Any, **kwargs: Any) -> None:
        self.changed()

    def changed(self) -> None:
        """What is cached was changed in this thread: drop the copy now and again at
        commit, reading past the cache until then. Called by the save and delete
        signals, and directly after a change they do not announce (``update()``)."""
        self.clear()
        if transaction.get_connection().in_atomic_block:
            self._local.changed = True
            transaction.on_commit(self.clear, robust=True)


class ProcessCache(_Invalidated, Generic[T]):
    """One value, loaded whole."""

    def __init__(
        self, load: Callable[[], T], *, models: tuple[type[Model], ...], ttl: float = 2.0
    ) -> None:
        super().__init__(models)
        self._load = load
        self._ttl = ttl
        self._value: tuple[float, T] | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        if self._bypass():
            return self._load()
        held = self._value
        if held is not None and time.monotonic() < held[0]:
            return held[1]
        with self._lock:
            value = self._load()
            self._value = (time.monotonic() + self._ttl, value)
        return value

    def clear(self) -> None:
        self._value = None


class KeyedProcessCache(_Invalidated, Generic[K, T]):
    """Rows looked up one key at a time, for tables too big to load whole; misses
    are not kept, and at ``size`` entries the cache starts over."""

    def __init__(
        self,
        load: Callable[[K], T | None],
        *,
        models: tuple[type[Model], ...],
        ttl: float = 2.0,
        size: int = 4096,
    ) -> None:
        super().__init__(models)
        self._load = load
        self._ttl = ttl
        self._size = size
        self._items: dict[K, tuple[float, T]] = {}

    def get(self, key: K) -> T | None:
        if self._bypass():
            return self._load(key)
        held = self._items.get(key)
        if held is not None and time.monotonic() < held[0]:
            return held[1]
        value = self._load(key)
        if value is not None:
            if len(self._items) >= self._size:
                self._items = {}
            self._items[key] = (time.monotonic() + self._ttl, value)
        return value

    def clear(self) -> None:
        self._items = {}


def clear_all() -> None:
    """Forget every cached copy (tests: a rolled-back test leaves no signal behind)."""
    for cache in _all:
        cache.clear()
