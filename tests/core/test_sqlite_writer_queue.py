"""SQLite writers queue on a lock that wakes the next one at once, within a process
and between processes, and never hold it past their transaction."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from django.db import OperationalError

from gongdan.core.sqlite.base import WriterQueue


def test_a_second_writer_waits_for_the_first_and_starts_as_it_commits(tmp_path):
    path = str(tmp_path / "plant.sqlite3")
    first = WriterQueue(path)
    first.acquire(timeout=1)
    started: list[float] = []

    def second_writer() -> None:
        queue = WriterQueue(path)
        queue.acquire(timeout=5)
        started.append(time.monotonic())
        queue.release()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.3)
    assert started == []  # still waiting while the first holds the lock
    released = time.monotonic()
    first.release()
    thread.join(5)
    assert started and started[0] >= released


def test_a_writer_that_waits_past_its_timeout_gets_database_locked_and_holds_nothing(tmp_path):
    path = str(tmp_path / "plant.sqlite3")
    holder = WriterQueue(path)
    holder.acquire(timeout=1)
    errors: list[Exception] = []

    def impatient() -> None:
        try:
            WriterQueue(path).acquire(timeout=0.2)
        except OperationalError as exc:
            errors.append(exc)

    thread = threading.Thread(target=impatient)
    thread.start()
    thread.join(5)
    assert errors and "database is locked" in str(errors[0])
    holder.release()
    # Nothing leaked: the next writer gets the lock at once.
    after = WriterQueue(path)
    after.acquire(timeout=0.5)
    after.release()


def test_writers_in_another_process_are_queued_too(tmp_path):
    path = str(tmp_path / "plant.sqlite3")
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time;"
            f"fd = os.open({path + '-writer.lock'!r}, os.O_RDWR | os.O_CREAT);"
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(0.5)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "held"
        queue = WriterQueue(path)
        with pytest.raises(OperationalError):
            queue.acquire(timeout=0.1)
        queue.acquire(timeout=5)  # the other process exits and drops its lock
        assert other.wait(5) == 0
        queue.release()
    finally:
        other.kill()


@pytest.fixture
def sqlite_alias(tmp_path):
    """A second database on the SQLite backend, whatever engine the suite runs on."""
    from django.db import connections
    from django.db.utils import ConnectionHandler

    handler = ConnectionHandler(
        {
            "default": {
                "ENGINE": "gongdan.core.sqlite",
                "NAME": str(tmp_path / "queue.sqlite3"),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.3},
            }
        }
    )
    alias = "writer_queue_test"
    connections[alias] = handler["default"]
    connections[alias].cursor().execute("CREATE TABLE t (n INTEGER)")
    yield alias
    connections[alias].close()
    del connections[alias]


@pytest.mark.django_db
def test_a_transaction_that_fails_releases_the_queue(sqlite_alias):
    from django.db import connections, transaction

    with pytest.raises(ZeroDivisionError), transaction.atomic(using=sqlite_alias):
        connections[sqlite_alias].cursor().execute("INSERT INTO t VALUES (1)")
        raise ZeroDivisionError
    # Held past the rollback, the lock would make this writer time out.
    queue = WriterQueue(connections[sqlite_alias].settings_dict["NAME"])
    queue.acquire(timeout=0.2)
    queue.release()
    with transaction.atomic(using=sqlite_alias):
        connections[sqlite_alias].cursor().execute("INSERT INTO t VALUES (2)")
    rows = connections[sqlite_alias].cursor().execute("SELECT n FROM t").fetchall()
    assert rows == [(2,)]


def test_a_writer_keeps_its_lock_file_open_between_transactions_and_lets_others_in(tmp_path):
    path = str(tmp_path / "plant.sqlite3")
    queue = WriterQueue(path)
    queue.acquire(timeout=1)
    fd = queue.fd
    queue.release()
    # Released but still open: another process takes the lock at once.
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            "import fcntl, os;"
            f"fd = os.open({path + '-writer.lock'!r}, os.O_RDWR);"
            "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('took it')",
        ],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert other.stdout.strip() == "took it", other.stderr
    queue.acquire(timeout=1)
    assert queue.fd == fd  # the same descriptor, locked again
    queue.close()
    assert queue.fd is None
    _assert_closed(fd)


@pytest.mark.django_db
def test_closing_the_connection_closes_its_lock_file(sqlite_alias):
    from django.db import connections, transaction

    connection = connections[sqlite_alias]
    with transaction.atomic(using=sqlite_alias):
        connection.cursor().execute("INSERT INTO t VALUES (1)")
    writer = connection._writer
    assert writer is not None and writer.fd is not None
    fd = writer.fd
    connection.close()
    assert connection._writer is None
    _assert_closed(fd)


def _assert_closed(fd: int) -> None:
    with pytest.raises(OSError):
        os.fstat(fd)


@pytest.mark.django_db
def test_statements_read_the_same_when_their_placeholders_are_remembered(sqlite_alias):
    from django.db import connections

    cursor = connections[sqlite_alias].cursor()
    for n in (1, 2):  # the second time from the remembered rewrite
        cursor.execute("INSERT INTO t VALUES (%s)", [n])
        cursor.executemany("INSERT INTO t VALUES (%s)", [[n * 10], [n * 100]])
        cursor.execute("SELECT '50%%', %s, COUNT(*) FROM t", [f"第{n}次"])
        assert cursor.fetchone() == ("50%", f"第{n}次", 3 * n)
    cursor.execute("SELECT %(a)s || %(b)s", {"a": "工", "b": "单"})
    assert cursor.fetchone() == ("工单",)
    cursor.execute("SELECT n FROM t ORDER BY n")
    assert [n for (n,) in cursor.fetchall()] == [1, 2, 10, 20, 100, 200]


def test_a_forked_process_takes_the_lock_on_a_file_of_its_own(tmp_path):
    # A flock belongs to the open file; a child that kept its parent's would share
    # the parent's lock instead of queueing behind it.
    path = str(tmp_path / "plant.sqlite3")
    queue = WriterQueue(path)
    queue.acquire(timeout=1)
    queue.release()
    held, done = os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: take the lock with the inherited queue and hold it
        try:
            queue.acquire(timeout=5)
            os.write(held[1], b"x")
            os.read(done[0], 1)
            queue.close()
        finally:
            os._exit(0)
    try:
        assert os.read(held[0], 1) == b"x"
        with pytest.raises(OperationalError):
            queue.acquire(timeout=0.2)  # the parent waits for its child like anyone
    finally:
        os.write(done[1], b"x")
        os.waitpid(pid, 0)
    queue.acquire(timeout=5)
    queue.close()
