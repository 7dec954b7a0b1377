"""SQLite, with writers queued instead of left to SQLite's busy handler.

SQLite has one writer at a time. A second ``BEGIN IMMEDIATE`` waits in SQLite's
busy handler, which sleeps in growing steps (1, 2, 5 … up to 100 ms) and so
wakes long after the lock is free: under a few concurrent writers the queue
turns into tail latencies of hundreds of milliseconds. Here a write transaction
first takes a lock that wakes its waiter the moment it is released — a thread
lock within the process and an ``flock`` on a file beside the database between
processes (web workers, the task worker, the ticker) — and only then begins.
Both waits honour the connection's ``timeout``, as SQLite's own wait does.
"""

from __future__ import annotations

import datetime
import fcntl
import functools
import os
import sqlite3
import threading
import time
from typing import Any

from django.conf import settings
from django.db import OperationalError
from django.db.backends.sqlite3 import base, operations
from django.utils.asyncio import async_unsafe
from django.utils.dateparse import parse_datetime

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
# Between processes the lock is polled this often (the thread lock wakes at once).
POLL_SECONDS = 0.0005


# --- datetimes read ------------------------------------------------------------------
#
# The driver parses every ``datetime`` column before Django's converter sees it:
# Django registers a naive parse, and its converter then makes each value aware in
# the database's time zone (``make_aware``, a ``settings`` look-up and a ``replace``
# each) — about 2 µs a value, a fifth of a report's time, which reads a few hundred
# thousand of them. Where the database stores UTC (``USE_TZ`` and no ``TIME_ZONE`` of
# its own: how gongdan configures it, and how Django then writes every datetime),
# the driver gives the value aware at once, and the converter passes it through.

_stores_utc = True  # False once a connection stores another zone (then: Django's way)


def _read_datetime(raw: bytes) -> datetime.datetime | None:
    text = raw.decode()
    if _stores_utc:
        try:
            return datetime.datetime.fromisoformat(text + "+00:00")
        except ValueError:
            pass  # not the plain form Django writes: parsed as Django parses it
    return parse_datetime(text)


sqlite3.register_converter("datetime", _read_datetime)


class DatabaseOperations(operations.DatabaseOperations):
    def convert_datetimefield_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if type(value) is datetime.datetime and value.tzinfo is not None:
            return value  # aware already (above); Django's converter would return it too
        return super().convert_datetimefield_value(value, expression, connection)


def _thread_lock(path: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


class WriterQueue:
    """One database file's write lock, held from BEGIN to COMMIT or ROLLBACK. The lock
    file stays open between transactions (one per connection), so taking the lock is
    a flock, not an open, a flock and a close."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread_lock = _thread_lock(path)
        self.thread_held = False
        self.file_held = False
        self.fd: int | None = None
        self.opened_by = 0  # the process that opened ``fd``

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self.thread_lock.acquire(timeout=timeout):
            raise OperationalError("database is locked (waited for another writer)")
        self.thread_held = True
        try:
            if self.fd is not None and self.opened_by != os.getpid():
                # Inherited through a fork: a flock belongs to the open file, which the
                # parent shares, so the child must open its own.
                os.close(self.fd)
                self.fd = None
            if self.fd is None:
                self.fd = os.open(self.path + "-writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
                self.opened_by = os.getpid()
            while True:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self.file_held = True
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OperationalError("database is locked (waited for another writer)")
                    time.sleep(POLL_SECONDS)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self.file_held:
            self.file_held = False
            assert self.fd is not None
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        if self.thread_held:
            self.thread_held = False
            self.thread_lock.release()

    def close(self) -> None:
        """Release, and close the lock file (the connection is closing)."""
        self.release()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@functools.lru_cache(maxsize=1024)
def _qmark(query: str) -> str:
    return base.FORMAT_QMARK_REGEX.sub("?", query).replace("%%", "%")


class CursorWrapper(base.SQLiteCursorWrapper):
    """Django's SQLite cursor, which rewrites every statement's ``%s`` placeholders as
    ``?`` with a regular expression each time it runs — for a create's INSERTs, long
    and the same on every request, a tenth of the time the write lock is held. The
    rewrite depends on the text alone, so it is remembered per statement text."""

    def convert_query(self, query: str, *, param_names: list[str] | None = None) -> str:
        if param_names is None:
            return _qmark(query)
        return super().convert_query(query, param_names=param_names)  # type: ignore[misc, no-any-return]  # not in django-stubs


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not settings.USE_TZ or self.settings_dict.get("TIME_ZONE") is not None:
            global _stores_utc
            _stores_utc = False
        self._writer: WriterQueue | None = None

    @async_unsafe
    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)

    def _start_transaction_under_autocommit(self) -> None:
        if self.is_in_memory_db():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
            return
        path = os.fspath(self.settings_dict["NAME"])
        if self._writer is not None and self._writer.path != path:
            self._writer.close()  # the same connection object, another database file
            self._writer = None
        if self._writer is None:
            self._writer = WriterQueue(path)
        self._writer.acquire(float(self.settings_dict["OPTIONS"].get("timeout", 5)))
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._writer is not None:
            self._writer.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._release_writer()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]  # private in django-stubs
        finally:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
