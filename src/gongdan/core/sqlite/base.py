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

import fcntl
import os
import threading
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
# Between processes the lock is polled this often (the thread lock wakes at once).
POLL_SECONDS = 0.0005


def _thread_lock(path: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


class WriterQueue:
    """One database file's write lock, held from BEGIN to COMMIT or ROLLBACK."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.thread_lock = _thread_lock(path)
        self.thread_held = False
        self.fd: int | None = None

    def acquire(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if not self.thread_lock.acquire(timeout=timeout):
            raise OperationalError("database is locked (waited for another writer)")
        self.thread_held = True
        try:
            self.fd = os.open(self.path + "-writer.lock", os.O_RDWR | os.O_CREAT, 0o644)
            while True:
                try:
                    fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise OperationalError("database is locked (waited for another writer)")
                    time.sleep(POLL_SECONDS)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = None
        if self.thread_held:
            self.thread_held = False
            self.thread_lock.release()


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer: WriterQueue | None = None

    def _start_transaction_under_autocommit(self) -> None:
        if self.is_in_memory_db():
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
            return
        writer = WriterQueue(os.fspath(self.settings_dict["NAME"]))
        writer.acquire(float(self.settings_dict["OPTIONS"].get("timeout", 5)))
        self._writer = writer
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

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
            self._release_writer()
