"""SLA reacts to order changes inside the order's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gongdan.core.inserts import insert_row
from gongdan.workorders import signals
from gongdan.workorders.models import WorkOrder

from . import services


def on_planned(
    sender: Any, order: WorkOrder, writes: list[Callable[[WorkOrder], None]], **kwargs: Any
) -> None:
    """A new order's deadlines go into its INSERT; its clock and the requester's
    acknowledgement are written once it exists."""
    clock = services.sla_clock_plan(order=order)

    def write(saved: WorkOrder) -> None:
        if clock is not None:
            insert_row(clock)
        services.requester_auto_reply(order=saved)

    writes.append(write)


def on_changed(sender: Any, order: WorkOrder, **kwargs: Any) -> None:
    services.sla_clock_update(order=order)


def on_updated(
    sender: Any, order: WorkOrder, before: dict[str, Any], after: dict[str, Any], **kwargs: Any
) -> None:
    if before.get("priority") != after.get("priority"):
        services.sla_clock_reprioritize(order=order)


# An assignment alone changes nothing the clock depends on: a new order moves from
# one running state to another, and no target is met by it.
def connect() -> None:
    signals.work_order_planned.connect(on_planned, dispatch_uid="sla.planned")
    signals.work_order_transitioned.connect(on_changed, dispatch_uid="sla.transitioned")
    signals.work_order_updated.connect(on_updated, dispatch_uid="sla.updated")
