"""Routing decides a new order's engineer before it is saved and records it in the
order's own transaction, so the API's 201 already shows the assignee; declines
are re-routed in the decline's transaction."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from gongdan.core.models import User
from gongdan.workorders import signals
from gongdan.workorders.models import StateCategory, Transition, WorkflowState, WorkOrder

from . import services


def _replaying() -> bool:
    # Demo history already says who did each order; routing must not second-guess it.
    from gongdan.core.demo import replaying_history

    return replaying_history()


def on_planned(
    sender: Any,
    order: WorkOrder,
    at: datetime.datetime,
    writes: list[Callable[[WorkOrder], None]],
    **kwargs: Any,
) -> None:
    if not _replaying() and (write := services.route_plan(order=order, now=at)) is not None:
        writes.append(write)


def on_transitioned(
    sender: Any,
    order: WorkOrder,
    actor: User,
    transition: Transition,
    from_state: WorkflowState,
    **kwargs: Any,
) -> None:
    if _replaying():
        return
    declined = transition.key == "decline" or (
        transition.clears_assignee and from_state.category == StateCategory.ASSIGNED
    )
    if declined:
        decliner = actor
        last = order.events.filter(action="decline").order_by("-id").first()
        if last is not None and last.on_behalf_of is not None:
            decliner = last.on_behalf_of
        services.routing_declined(order=order, decliner=decliner)
    elif order.state_category != StateCategory.ASSIGNED:
        services.on_accepted(order=order)


def connect() -> None:
    signals.work_order_planned.connect(on_planned, dispatch_uid="routing.planned")
    signals.work_order_transitioned.connect(on_transitioned, dispatch_uid="routing.transitioned")
