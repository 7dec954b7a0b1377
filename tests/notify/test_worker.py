"""The real worker: killed mid-send it loses nothing and repeats nothing; Redis works too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from gongdan.notify.models import Channel, Endpoint, Notification, Status
from gongdan.notify.services import lease, notification_requeue_due, notify
from gongdan.notify.tasks import send_notification
from tests.conftest import require_service

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(*extra: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GONGDAN_DATABASE_URL": _database_url(),
        "GONGDAN_DATA_DIR": str(django_settings.DATA_DIR),
    }
    env.pop("GONGDAN_REDIS_URL", None)
    command = [sys.executable, "-m", "gongdan.cli", "db_worker", "--no-reload"]
    return subprocess.Popen(
        [*command, "--no-startup-delay", "--interval", "0.1", *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def start_ticker() -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "GONGDAN_DATABASE_URL": _database_url(),
        "GONGDAN_DATA_DIR": str(django_settings.DATA_DIR),
    }
    env.pop("GONGDAN_REDIS_URL", None)
    # The ticker's own interval is long: only the outbox lane (every second) can
    # make messages and hand rows over.
    return subprocess.Popen(
        [sys.executable, "-m", "gongdan.cli", "ticker", "--interval", "3600"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def webhook_row(plant: Any, receiver: Any) -> Notification:
    Endpoint.objects.create(
        name="MES", kind=Channel.WEBHOOK, url=f"{receiver.url}/hook", secret="s"
    )
    from gongdan.workorders.services import work_order_create

    order, _ = work_order_create(
        actor=plant.requester,
        order_type=plant.repair,
        title="传感器报警",
        data={"symptom": "alarm"},
    )
    rows = notify(
        recipient=plant.wang,
        template="order_assigned",
        context={},
        order=order,
        channel=Channel.WEBHOOK,
    )
    return next(r for r in rows if r.channel == Channel.WEBHOOK)


def test_worker_killed_mid_send_delivers_after_restart_and_never_twice(plant, receiver):
    receiver.stall = threading.Event()
    row = webhook_row(plant, receiver)  # committed: the row is due in the outbox
    # The ticker's outbox lane hands it to the queue (the request wrote no task row).
    assert row.status == Status.PENDING
    assert notification_requeue_due() == 1
    worker = start_worker()
    try:
        assert receiver.arrived.wait(30), "the worker never called the receiver"
        # The receiver has the request but has not answered: kill the worker now.
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    receiver.stall.set()
    receiver.stall = None
    row.refresh_from_db()
    assert row.status == Status.SENDING  # claimed, fate unknown
    # Until the claim's lease runs out the ticker leaves the row alone …
    assert notification_requeue_due() == 0
    # … then queues it again, and a restarted worker delivers it.
    assert notification_requeue_due(now=timezone.now() + lease()) == 1
    restarted = start_worker("--batch")
    assert restarted.wait(60) == 0, restarted.stderr.read() if restarted.stderr else ""
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    # The receiver saw the same outbox id twice and can drop the repeat.
    assert receiver.outbox_ids() == [str(row.pk), str(row.pk)]
    # A message marked sent is never sent again, however often it is queued.
    assert notification_requeue_due(now=timezone.now() + 2 * lease()) == 0
    send_notification.enqueue(row.pk)
    again = start_worker("--batch")
    assert again.wait(60) == 0
    assert len(receiver.hits) == 2


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_notifications_go_through_redis_with_the_same_code(plant, receiver, settings):
    require_service("Redis", _redis_up(), "redis-server on 127.0.0.1:6379")
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    # A database of its own, so the test neither sees nor eats anyone else's jobs.
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/14"}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    row = webhook_row(plant, receiver)
    assert django_rq.get_queue("default").count >= 1
    worker = django_rq.get_worker("default", job_class=Job, worker_class=SimpleWorker)
    worker.work(burst=True)
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert receiver.outbox_ids() == [str(row.pk)]


def test_the_running_ticker_hands_a_new_message_to_the_worker(plant, receiver):
    """The whole outbox path with real processes: a request's message waits in the
    outbox, the ticker's outbox lane queues it, the worker sends it."""
    row = webhook_row(plant, receiver)
    assert row.status == Status.PENDING
    ticker = start_ticker()
    worker = start_worker()
    try:
        wait_for(lambda: Notification.objects.get(pk=row.pk).status == Status.SENT, 60)
    finally:
        for proc in (ticker, worker):
            proc.terminate()
            proc.wait(30)
    assert receiver.outbox_ids() == [str(row.pk)]


def test_a_new_orders_messages_are_made_by_the_ticker_and_sent_by_the_worker(plant, receiver):
    """A create writes the messages it asks for as one batch in its transaction; the
    running ticker makes them (the inbox copy and the assignee's own channel, in his
    language) and the worker sends them."""
    from gongdan.notify.models import MessageBatch, Preference
    from gongdan.routing.models import RoutingRule
    from gongdan.workorders.services import work_order_create

    Endpoint.objects.create(
        name="MES", kind=Channel.WEBHOOK, url=f"{receiver.url}/hook", secret="s"
    )
    Preference.objects.create(user=plant.wang, channels=[Channel.WEBHOOK])
    plant.wang.language = "en"
    plant.wang.save()
    RoutingRule.objects.create(
        name="都给王工", position=1, condition={}, action={"strategy": "named", "person": "wang"}
    )
    order, _ = work_order_create(
        actor=plant.requester,
        order_type=plant.repair,
        title="液压站漏油",
        priority="red",
        data={"symptom": "oil_leak"},
    )
    assert order.assignee == plant.wang
    assert not Notification.objects.filter(order=order).exists()
    assert MessageBatch.objects.count() == 1
    ticker = start_ticker()
    worker = start_worker()
    try:
        wait_for(lambda: len(receiver.hits) == 1, 60)
        wait_for(lambda: not MessageBatch.objects.exists(), 10)
    finally:
        for proc in (ticker, worker):
            proc.terminate()
            proc.wait(30)
    sent = receiver.hits[0].json()
    assert sent["order"] == order.number and sent["recipient"] == "wang"
    assert sent["subject"] == f"New order {order.number}" and sent["urgent"] is True
    rows = Notification.objects.filter(order=order, recipient=plant.wang)
    assert sorted(rows.values_list("channel", "status")) == [
        (Channel.INBOX, Status.SENT),
        (Channel.WEBHOOK, Status.SENT),
    ]
