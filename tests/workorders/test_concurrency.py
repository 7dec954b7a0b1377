"""Real concurrent HTTP requests against the live server (threads, own DB connections)."""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from typing import Any

from django.db import connection

from gongdan.core.services import api_token_create
from gongdan.workorders.models import WorkOrder
from gongdan.workorders.services import work_order_create


def _post(url: str, token: str, body: dict[str, Any], headers: dict[str, str] | None = None):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _race(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_engineers_accepting_at_the_same_instant_exactly_one_wins(live_plant, live_server):
    plant = live_plant
    order, _ = work_order_create(
        actor=plant.requester,
        order_type=plant.repair,
        title="同时抢单",
        priority="red",
        asset=plant.press,
        data={"symptom": "alarm"},
    )
    url = f"{live_server.url}/api/v1/work-orders/{order.number}/transitions"
    tokens = {u.username: api_token_create(user=u)[1] for u in (plant.wang, plant.li)}
    results = _race(
        [
            lambda name=name: _post(url, tokens[name], {"action": "accept", "version": 1})
            for name in tokens
        ]
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 409], results
    winner = next(body for status, body in results if status == 200)
    loser = next(body for status, body in results if status == 409)
    assert loser["code"] == "stale_version"
    order.refresh_from_db()
    assert order.assignee.username == winner["assignee"]["username"]
    assert order.version == 2
    assert list(order.events.values_list("action", flat=True)) == ["", "accept"]


def test_a_double_submitted_create_makes_one_order(live_plant, live_server):
    token = api_token_create(user=live_plant.requester)[1]
    body = {
        "type": "equipment_repair",
        "title": "双击提交",
        "priority": "yellow",
        "data": {"symptom": "oil_leak"},
    }
    url = f"{live_server.url}/api/v1/work-orders"
    results = _race(
        [lambda: _post(url, token, body, {"Idempotency-Key": "double-tap"}) for _ in range(3)]
    )
    numbers = {body["number"] for _, body in results}
    assert len(numbers) == 1, results
    assert sorted(status for status, _ in results).count(201) == 1
    assert WorkOrder.objects.count() == 1


def test_a_failed_create_leaves_a_gap_only_where_its_number_was_committed_alone(live_plant):
    from django.db import transaction

    from gongdan.workorders import signals

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    def create(title: str) -> Any:
        return work_order_create(
            actor=live_plant.requester,
            order_type=live_plant.repair,
            title=title,
            data={"symptom": "alarm"},
        )[0]

    def failing(title: str, *, in_transaction: bool) -> None:
        signals.work_order_created.connect(fail, dispatch_uid="test.fail")
        try:
            if in_transaction:
                with transaction.atomic():
                    create(title)
            else:
                create(title)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the create should have failed")
        finally:
            signals.work_order_created.disconnect(dispatch_uid="test.fail")

    def step(a: Any, b: Any) -> int:
        return int(b.number[-6:]) - int(a.number[-6:])

    first = create("第一张")
    failing("写入失败", in_transaction=False)
    second = create("第二张")
    if connection.vendor == "postgresql":
        # On its own, a create takes its number before the order's transaction (creates
        # do not queue behind each other's commits): a failure after it leaves a gap.
        # The order's key comes with the number (so that every row goes in one round
        # trip), and is gone with it.
        assert step(first, second) == 2
        assert second.pk - first.pk == 2
    else:
        # SQLite takes it in the order's own transaction (one writer anyway).
        assert step(first, second) == 1
        assert second.pk - first.pk == 1
    # Inside a caller's transaction the number is part of it, and goes back with it.
    failing("写入失败", in_transaction=True)
    third = create("第三张")
    assert step(second, third) == 1
    assert WorkOrder.objects.count() == 3
    if connection.vendor == "postgresql":
        # A number taken on its own commits without waiting for the disk (the order's
        # commit flushes it); the setting lasted for that statement only.
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


def test_a_routed_create_outside_a_transaction_writes_every_row(live_plant):
    """The create as the API runs it: rows built first, then one short transaction."""
    from gongdan.notify.models import MessageBatch, Notification
    from gongdan.notify.services import message_batches_build
    from gongdan.routing.models import RoutingRule, RoutingTicket
    from gongdan.sla.models import OrderClock, SlaPolicy

    SlaPolicy.objects.create(
        name="红色", priority="red", clock="24x7", response_minutes=15, resolution_minutes=240
    )
    RoutingRule.objects.create(
        name="同区域负荷最低", position=1, condition={}, action={"region": "order"}
    )
    live_plant.wang.email = "wang@example.test"
    live_plant.wang.save()
    order, created = work_order_create(
        actor=live_plant.requester,
        order_type=live_plant.repair,
        title="液压站漏油",
        priority="red",
        asset=live_plant.press,
        data={"symptom": "oil_leak"},
    )
    assert created and order.pk and order.assignee is not None
    stored = WorkOrder.objects.get(pk=order.pk)
    assert (stored.number, stored.assignee_id) == (order.number, order.assignee.pk)
    assert stored.response_due_at == order.response_due_at is not None
    kinds = list(stored.events.order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "routing", "assigned"]
    assert OrderClock.objects.filter(order=stored).count() == 1
    assert RoutingTicket.objects.get(order=stored).accept_due_at is not None
    # The messages are made by the ticker from the batch the create wrote.
    assert not Notification.objects.filter(order=stored).exists()
    assert MessageBatch.objects.count() == 1
    message_batches_build()
    assert not MessageBatch.objects.exists()
    messages = Notification.objects.filter(order=stored, recipient=order.assignee)
    assert messages.count() >= 1
    # Built before the number was taken (on SQLite it comes in the write
    # transaction): every stored text carries the real one.
    for message in messages:
        assert order.number in message.subject and order.number in message.body
        assert message.payload["url"].endswith(f"/orders/{order.number}/")
        assert message.payload["order"] == stored.number == order.number
    assert re.fullmatch(r"WO-\d{4}-\d{6}", stored.number)


def test_a_row_built_before_the_number_that_quotes_it_stores_the_real_one(live_plant):
    """The number comes last on SQLite (inside the write transaction); a row an app
    builds while planning that quotes it is stored with the number, never with the
    stand-in it was built with."""
    from gongdan.core.inserts import insert_rows
    from gongdan.workorders import signals
    from gongdan.workorders.models import EventKind, WorkOrderEvent

    built: list[WorkOrderEvent] = []

    def on_planned(sender: Any, order: WorkOrder, writes: list[Any], **kwargs: Any) -> None:
        def write(saved: WorkOrder) -> None:
            note = WorkOrderEvent(
                order=saved,
                kind=EventKind.COMMENT,
                data={"text": f"{saved.number} 已登记", "links": [f"/orders/{saved.number}/"]},
            )
            built.append(note)
            insert_rows([note])

        writes.append(write)

    signals.work_order_planned.connect(on_planned, dispatch_uid="test.quote")
    try:
        order, _ = work_order_create(
            actor=live_plant.requester,
            order_type=live_plant.repair,
            title="编号写进备注",
            data={"symptom": "alarm"},
        )
    finally:
        signals.work_order_planned.disconnect(dispatch_uid="test.quote")
    assert re.fullmatch(r"WO-\d{4}-\d{6}", order.number)
    stored = WorkOrderEvent.objects.get(pk=built[0].pk)
    expected = {"text": f"{order.number} 已登记", "links": [f"/orders/{order.number}/"]}
    assert stored.data == built[0].data == expected
