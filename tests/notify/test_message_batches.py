"""Messages a new order asks for: one batch in its transaction, made by the ticker."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

import pytest
from django.db import connections, transaction
from django.utils import timezone

from gongdan.notify.due import notifications_due
from gongdan.notify.models import Channel, MessageBatch, Notification, Status
from gongdan.notify.services import message_batches_build
from gongdan.routing.models import RoutingRule
from gongdan.sla.models import SlaPolicy
from gongdan.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed(plant: Any) -> Any:
    """Red orders to wang by name; the supervisor and the requester are told too."""
    plant.wang.email = "wang@example.test"
    plant.wang.language = "en"
    plant.wang.save()
    SlaPolicy.objects.create(
        name="红色", priority="red", clock="24x7", response_minutes=15, resolution_minutes=240
    )
    RoutingRule.objects.create(
        name="都给王工",
        position=1,
        condition={},
        action={
            "strategy": "named",
            "person": "wang",
            "notify": [{"who": "dispatchers", "channel": "inbox"}],
        },
    )
    return plant


def _create(plant: Any, title: str = "液压站漏油") -> WorkOrder:
    from gongdan.workorders.services import work_order_create

    return work_order_create(
        actor=plant.requester,
        order_type=plant.repair,
        title=title,
        priority="red",
        data={"symptom": "oil_leak"},
    )[0]


def test_a_create_writes_one_batch_and_the_ticker_makes_its_messages(routed):
    order = _create(routed)
    # The create rendered nothing and wrote no outbox rows: one batch, in its transaction.
    assert not Notification.objects.exists()
    (batch,) = MessageBatch.objects.all()
    assert {m["template"] for m in batch.messages} >= {"order_assigned", "order_received"}
    # The order by its number (on SQLite taken in the transaction, after the batch
    # was built: the stand-in it was built with is never stored).
    assert all(m["order_number"] == order.number for m in batch.messages)
    # The ticker's notifications lane makes them, hands the e-mail on, and drops the batch.
    assert notifications_due() >= len(batch.messages)
    assert not MessageBatch.objects.exists()
    wang = Notification.objects.filter(recipient=routed.wang, order=order)
    assert sorted(wang.values_list("channel", flat=True)) == [Channel.EMAIL, Channel.INBOX]
    email = wang.get(channel=Channel.EMAIL)
    assert email.status == Status.QUEUED  # handed to the queue in the same run
    # In wang's language, with the order's number and red flag.
    assert email.subject == f"New order {order.number}"
    assert email.payload["url"].endswith(f"/orders/{order.number}/")
    assert email.payload["urgent"] is True
    # The requester's receipt names the response deadline in the site's time.
    receipt = Notification.objects.get(recipient=routed.requester, template="order_received")
    due = timezone.localtime(order.response_due_at).strftime("%Y-%m-%d %H:%M")
    assert due in receipt.body
    assert Notification.objects.filter(recipient=routed.dispatcher, order=order).exists()
    # Nothing is made twice.
    assert message_batches_build() == 0
    assert Notification.objects.filter(recipient=routed.wang).count() == 2


def test_a_create_that_fails_leaves_no_batch(routed):
    from gongdan.workorders import signals

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    signals.work_order_created.connect(fail, dispatch_uid="test.fail")
    try:
        with pytest.raises(RuntimeError):
            _create(routed)
    finally:
        signals.work_order_created.disconnect(dispatch_uid="test.fail")
    assert not WorkOrder.objects.exists()
    assert not MessageBatch.objects.exists()


def test_a_batch_that_fails_is_kept_for_the_next_tick_and_the_others_are_made(routed):
    first = _create(routed, "第一张")
    second = _create(routed, "第二张")
    from gongdan.notify import services

    real = services.render

    def render(**kwargs: Any) -> dict[str, Any]:
        if kwargs["order"].pk == first.pk:
            raise RuntimeError("template broken")
        return real(**kwargs)

    with mock.patch.object(services, "render", render):
        made = message_batches_build()
    assert made > 0
    # The failing batch made nothing (not half its messages) and is still there.
    assert not Notification.objects.filter(order=first).exists()
    assert Notification.objects.filter(order=second).exists()
    assert MessageBatch.objects.count() == 1
    assert message_batches_build() == made
    assert Notification.objects.filter(order=first).exists()
    assert not MessageBatch.objects.exists()


def test_a_batch_written_before_messages_named_orders_by_number_is_still_made(routed):
    order = _create(routed)
    (batch,) = MessageBatch.objects.all()
    # As batches were written before: the order by its key.
    batch.messages = [
        {**{k: v for k, v in m.items() if k != "order_number"}, "order": order.pk}
        for m in batch.messages
    ]
    batch.save()
    assert message_batches_build() == len(batch.messages)
    assert Notification.objects.filter(recipient=routed.wang, order=order).count() == 2


def test_messages_for_a_deleted_order_are_dropped(routed):
    order = _create(routed)
    WorkOrder.objects.filter(pk=order.pk).delete()
    assert message_batches_build() == 0
    assert not MessageBatch.objects.exists()
    assert not Notification.objects.exists()


def test_inside_a_callers_transaction_the_batch_goes_back_with_it(routed):
    with pytest.raises(RuntimeError), transaction.atomic():
        _create(routed)
        assert MessageBatch.objects.count() == 1
        raise RuntimeError("the import stops")
    assert not MessageBatch.objects.exists()


def test_a_long_backlog_is_made_in_rounds(routed):
    for i in range(5):
        _create(routed, f"第{i + 1}张")
    per_order = len(MessageBatch.objects.first().messages)
    # Two batches a round, two rounds: four orders now, the fifth on the next run.
    assert message_batches_build(limit=2, rounds=2) == 4 * per_order
    assert MessageBatch.objects.count() == 1
    assert message_batches_build(limit=2, rounds=2) == per_order


@pytest.mark.django_db(transaction=True)
def test_two_tickers_at_once_make_each_message_once(routed):
    orders = [_create(routed, f"第{i + 1}张") for i in range(6)]
    asked = sum(len(b.messages) for b in MessageBatch.objects.all())
    made: list[int] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            made.append(message_batches_build(limit=1))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(made) == asked
    assert Notification.objects.filter(recipient=routed.wang, channel=Channel.INBOX).count() == 6
    assert not MessageBatch.objects.exists()
    assert {n.order_id for n in Notification.objects.filter(recipient=routed.wang)} == {
        o.pk for o in orders
    }
