"""What the public scan page may show about a machine's open orders."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from gongdan.assets.models import Asset
from gongdan.workorders.models import WorkOrder


@dataclass(frozen=True)
class OpenOrder:
    """The public face of an open order: no names of requesters, no descriptions."""

    number: str
    title: str
    state: str
    assignee: str
    eta: datetime.datetime | None
    arrived: bool
    arrival_due: datetime.datetime | None
    response_due: datetime.datetime | None


def open_orders_for(asset: Asset) -> list[OpenOrder]:
    from gongdan.mobile.selectors import latest_departure

    orders = (
        WorkOrder.objects.filter(asset=asset)
        .open()
        .select_related("state", "assignee")
        .order_by("priority_rank", "created_at")[:5]
    )
    result = []
    for order in orders:
        departure = latest_departure(order) if order.arrived_at is None else None
        result.append(
            OpenOrder(
                number=order.number,
                title=order.title,
                state=order.state.name,
                assignee=str(order.assignee) if order.assignee else "",
                eta=departure.eta_at if departure else None,
                arrived=order.arrived_at is not None,
                arrival_due=order.arrival_due_at,
                response_due=order.response_due_at,
            )
        )
    return result
