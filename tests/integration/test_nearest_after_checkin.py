"""Where an engineer checks in on the phone is where "nearest" routing looks for them.

IMM-001 stands in Shanghai. 王工's home base is 5 km away, 李工's 30 km away.
Once 李工 has departed and arrived at IMM-001 from the phone, the next order on
that machine goes to 李工 under a "nearest" rule — not to 王工 from his base.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.test import Client

from gongdan.routing.models import EngineerPosition, RoutingRule
from gongdan.workorders.models import EventKind, WorkOrder
from gongdan.workorders.services import work_order_assign
from tests.conftest import Plant

MACHINE = ("31.2304000", "121.4737000")


def _act(client: Client, order: WorkOrder, action: str, **fields: str) -> None:
    order.refresh_from_db()
    response = client.post(
        f"/m/o/{order.number}/act", {"action": action, "version": order.version, **fields}
    )
    assert response.status_code == 302, response.content[:500]


def test_order_after_an_arrive_checkin_goes_to_the_engineer_on_site(
    plant: Plant, new_order: Callable[..., Any]
) -> None:
    plant.press.latitude, plant.press.longitude = (Decimal(v) for v in MACHINE)
    plant.press.save()
    EngineerPosition.objects.create(user=plant.wang, home_lat=31.2304, home_lng=121.5265)
    EngineerPosition.objects.create(user=plant.li, home_lat=31.5000, home_lng=121.4737)

    first = new_order(title="料斗加热异常")
    work_order_assign(order=first, actor=plant.dispatcher, assignee=plant.li)
    li = Client()
    li.force_login(plant.li)
    _act(li, first, "accept")
    # The phone sends its fix with depart (from the depot) and arrive (at the machine).
    _act(li, first, "depart", lat="31.4000", lng="121.4737", accuracy="20")
    _act(li, first, "arrive", lat="31.2305", lng="121.4738", accuracy="8")
    first.refresh_from_db()
    assert first.arrived_at is not None

    RoutingRule.objects.create(
        name="电气组就近派单",
        order_type=plant.repair,
        position=10,
        condition={},
        action={"team": "electrical", "strategy": "nearest"},
    )
    second = new_order(title="合模不到位")
    second.refresh_from_db()
    assert second.assignee == plant.li
    decision = second.events.filter(kind=EventKind.ROUTING).order_by("-id").first()
    assert decision is not None
    distances = {c["user"]: c.get("distance_km") for c in decision.data["candidates"]}
    # The timeline says why: 李工 is metres from the machine, 王工 kilometres.
    assert decision.data["why"] == "nearest"
    assert distances["li"] < 0.1 and 4 < distances["wang"] < 6
