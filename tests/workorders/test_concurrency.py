"""Real concurrent HTTP requests against the live server (threads, own DB connections)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any

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


def test_a_create_that_fails_after_its_number_leaves_a_gap_only_on_postgresql(live_plant):
    from django.db import connection

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

    first = create("第一张")
    signals.work_order_created.connect(fail, dispatch_uid="test.fail")
    try:
        try:
            create("写入失败")
        except RuntimeError:
            pass
        else:
            raise AssertionError("the create should have failed")
    finally:
        signals.work_order_created.disconnect(dispatch_uid="test.fail")
    second = create("第二张")
    assert WorkOrder.objects.count() == 2
    step = int(second.number[-6:]) - int(first.number[-6:])
    # PostgreSQL takes the number before the order's transaction, so creates do not
    # queue behind each other's commits; SQLite takes it inside, with no gap.
    assert step == (2 if connection.vendor == "postgresql" else 1)
