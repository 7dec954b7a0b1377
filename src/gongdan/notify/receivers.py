"""Tell an engineer when an order is given to them, in the assignment's transaction."""

from __future__ import annotations

from typing import Any

from gongdan.core.models import User
from gongdan.workorders import signals
from gongdan.workorders.models import WorkOrder

from .services import notify


def on_assigned(
    sender: Any,
    order: WorkOrder,
    actor: User | None,
    previous_assignee: User | None = None,
    **kwargs: Any,
) -> None:
    assignee = order.assignee
    if assignee is None or assignee == actor:
        return
    notify(recipient=assignee, template="order_assigned", context={}, order=order)


def connect() -> None:
    signals.work_order_assigned.connect(on_assigned, dispatch_uid="notify.assigned")
