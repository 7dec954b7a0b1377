"""The notification contract: outbox rows in the caller's transaction, sent after commit."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from gongdan.notify.models import Channel, Notification, Status
from gongdan.notify.services import notify
from gongdan.sla.models import BusinessCalendar, WorkSchedule

pytestmark = pytest.mark.django_db


def test_message_reaches_inbox_and_email_after_commit(
    plant, new_order, immediate_tasks, django_capture_on_commit_callbacks
):
    plant.wang.email = "wang@example.test"
    plant.wang.save()
    order = new_order(title="注塑机报警")
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(recipient=plant.wang, template="order_assigned", context={}, order=order)
        # Nothing leaves before the transaction commits.
        assert mail.outbox == []
    assert {r.channel for r in rows} == {Channel.INBOX, Channel.EMAIL}
    assert [m.to for m in mail.outbox] == [["wang@example.test"]]
    message = mail.outbox[0]
    assert order.number in message.subject
    assert f"http://127.0.0.1:8000/orders/{order.number}/" in message.body
    assert message.extra_headers["X-Gongdan-Outbox-Id"] == str(rows[1].pk)
    assert Notification.objects.get(pk=rows[1].pk).status == Status.SENT


def test_message_is_in_the_recipients_language(plant, new_order):
    plant.zhang.language = "en"
    plant.zhang.save()
    order = new_order(title="Hydraulic leak")
    [row] = notify(recipient=plant.zhang, template="order_assigned", context={}, order=order)
    assert row.subject == f"New order {order.number}"
    assert "Hydraulic leak" in row.body


def test_unknown_template_falls_back_to_a_generic_message(plant, new_order):
    order = new_order()
    [row] = notify(recipient=plant.li, template="no-such-template", context={}, order=order)
    assert row.subject == f"工单 {order.number} 有新动态"


def test_rolled_back_change_leaves_no_message(plant, new_order):
    order = new_order()
    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipient=plant.li, template="order_assigned", context={}, order=order)
        raise RuntimeError("the change failed")
    assert Notification.objects.count() == before


def test_inbox_unread_count_through_the_api(plant, new_order, api):
    order = new_order()
    notify(recipient=plant.li, template="order_assigned", context={}, order=order)
    client = api(plant.li)
    assert client.get("notifications/unread-count").json() == {"unread": 1}
    inbox = client.get("notifications").json()
    assert inbox["results"][0]["order"] == order.number
    assert client.post("notifications/read", {}).json() == {"unread": 0}


def test_quiet_hours_defer_routine_messages_but_not_red_ones(plant, new_order):
    day = BusinessCalendar.objects.create(
        code="day",
        name="白班",
        periods=[{"days": [0, 1, 2, 3, 4, 5, 6], "start": "08:00", "end": "20:00"}],
        follow_public_holidays=False,
    )
    WorkSchedule.objects.create(user=plant.li, calendar=day)
    plant.li.email = "li@example.test"
    plant.li.save()
    night = timezone.make_aware(datetime.datetime(2025, 6, 13, 23, 30))
    from unittest import mock

    with mock.patch("gongdan.notify.services.timezone.now", return_value=night):
        routine = notify(
            recipient=plant.li, template="generic", context={}, order=new_order(priority="blue")
        )
        red = notify(
            recipient=plant.li, template="generic", context={}, order=new_order(priority="red")
        )
    email = next(r for r in routine if r.channel == Channel.EMAIL)
    assert email.status == Status.PENDING
    assert email.next_attempt_at == timezone.make_aware(datetime.datetime(2025, 6, 14, 8, 0))
    # The red one is due at once: the ticker's outbox lane hands it to the queue.
    urgent = next(r for r in red if r.channel == Channel.EMAIL)
    assert (urgent.status, urgent.next_attempt_at) == (Status.PENDING, night)
