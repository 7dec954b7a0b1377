"""Several keepers issue the last unit at the same moment, through the real API.

The live server answers each request on its own thread with its own database
connection, so the requests really race — on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from decimal import Decimal

from gongdan.core.services import api_token_create
from gongdan.parts import services
from gongdan.parts.models import (
    ApprovalRule,
    MovementKind,
    RequisitionStatus,
    Stock,
    StockMovement,
)
from gongdan.workorders.services import work_order_assign, work_order_create
from tests.parts.conftest import Store

RACERS = 4


def _post(url: str, token: str, body: dict) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_last_unit_is_issued_exactly_once_under_concurrent_requests(live_plant, live_server):
    plant = live_plant
    store = Store(plant)
    ApprovalRule.objects.update(is_active=False)  # straight to the pick list
    Stock.objects.filter(part=store.pump, warehouse=store.main).update(quantity=Decimal(1))
    order, _ = work_order_create(
        actor=plant.requester,
        order_type=plant.repair,
        title="油泵异响",
        asset=plant.press,
        data={"symptom": "no_start"},
    )
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    requisitions = [
        services.requisition_create(
            actor=plant.wang,
            order=order,
            lines=[services.LineIn(part=store.pump, quantity=1)],
        )
        for _ in range(RACERS)
    ]
    assert all(r.status == RequisitionStatus.APPROVED for r in requisitions)
    _, token = api_token_create(user=plant.warehouse, name="race")

    start = threading.Barrier(RACERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def issue(requisition_id: int) -> None:
        url = f"{live_server.url}/api/v1/parts/requisitions/{requisition_id}/issue"
        start.wait()
        status = _post(url, token, {"version": 1})
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=issue, args=(r.pk,)) for r in requisitions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [409] * (RACERS - 1)
    assert Stock.objects.get(part=store.pump, warehouse=store.main).quantity == 0
    issued = StockMovement.objects.filter(part=store.pump, kind=MovementKind.ISSUE)
    assert issued.count() == 1
    assert issued.get().balance_after == 0
    statuses_now = sorted(
        r.status for r in type(requisitions[0]).objects.filter(pk__in=[r.pk for r in requisitions])
    )
    assert statuses_now == ["approved"] * (RACERS - 1) + ["issued"]
