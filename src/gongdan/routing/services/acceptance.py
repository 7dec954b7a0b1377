"""After an automatic assignment: the assignee declines, does not accept in time
(claimed by the ticker), or accepts. A decline or a timeout routes the order again
without them.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gongdan.core.models import User
from gongdan.workorders.models import StateCategory, WorkOrder

from ..models import RoutingTicket
from .acting import _ticket, route_order
from .decision import Decision


@transaction.atomic
def routing_declined(*, order: WorkOrder, decliner: User) -> Decision | None:
    """An assignee declined: remember them and route again without them."""
    ticket = _ticket(order)
    if decliner.pk not in ticket.declined_by:
        ticket.declined_by = [*ticket.declined_by, decliner.pk]
    ticket.accept_due_at = None
    ticket.save()
    return route_order(order=order, trigger="declined", exclude=[decliner])


@transaction.atomic
def routing_accept_timeout(*, order_id: int, now: datetime.datetime | None = None) -> bool:
    """The assignee did not accept in time: route again without them.

    Does nothing if meanwhile the order was accepted or reassigned."""
    now = now or timezone.now()
    ticket = RoutingTicket.objects.select_for_update().filter(order_id=order_id).first()
    if ticket is None:
        return False
    order = WorkOrder.objects.select_related("assignee").get(pk=order_id)
    still_waiting = (
        order.state_category == StateCategory.ASSIGNED
        and order.assignee_id is not None
        and order.assignee_id == ticket.assignee_id
    )
    if not still_waiting:
        ticket.accept_due_at = None
        ticket.save(update_fields=["accept_due_at"])
        return False
    assert order.assignee is not None
    ticket.declined_by = [*ticket.declined_by, order.assignee_id]
    ticket.accept_due_at = None
    ticket.save()
    route_order(order=order, trigger="not_accepted", exclude=[order.assignee], now=now)
    return True


def routing_claim_timeouts(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Claim orders whose acceptance window has closed (guarded UPDATE: a second
    ticker finds the row already pushed out by the lease)."""
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=getattr(settings, "ROUTING_CLAIM_LEASE_SECONDS", 300))
    due = RoutingTicket.objects.filter(accept_due_at__lte=now).values_list(
        "order_id", "accept_due_at"
    )[:limit]
    claimed = []
    for order_id, at in due:
        if RoutingTicket.objects.filter(order_id=order_id, accept_due_at=at).update(
            accept_due_at=now + lease
        ):
            claimed.append(order_id)
    return claimed


def on_accepted(*, order: WorkOrder) -> None:
    RoutingTicket.objects.filter(order_id=order.pk).update(accept_due_at=None)
