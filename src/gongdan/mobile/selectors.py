"""Reads for the engineer's pages and for the requester's view of a trip."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q

from gongdan.core.models import User
from gongdan.workorders.models import StateCategory, WorkOrder, WorkOrderQuerySet

from .models import TravelKind, TravelRecord


def my_orders(*, user: User) -> WorkOrderQuerySet:
    """The engineer's open orders: red first, then by the nearest SLA deadline."""
    return (
        WorkOrder.objects.visible_to(user)
        .open()
        .filter(assignee=user)
        .with_related()
        .order_by(
            "priority_rank",
            F("resolution_due_at").asc(nulls_last=True),
            F("response_due_at").asc(nulls_last=True),
            "created_at",
        )
    )


def claimable_orders(*, user: User, limit: int = 20) -> Any:
    """Unassigned open orders the engineer can see and may take."""
    return (
        WorkOrder.objects.visible_to(user)
        .filter(assignee__isnull=True, state_category=StateCategory.NEW)
        .with_related()
        .order_by("priority_rank", F("response_due_at").asc(nulls_last=True), "created_at")[:limit]
    )


def order_for_engineer(*, user: User, number: str) -> WorkOrder | None:
    return WorkOrder.objects.visible_to(user).with_related().filter(number=number).first()


def latest_departure(order: WorkOrder) -> TravelRecord | None:
    return (
        TravelRecord.objects.filter(order=order, kind=TravelKind.DEPART)
        .order_by("-created_at")
        .first()
    )


def previous_orders(*, order: WorkOrder, user: User, limit: int = 20) -> Any:
    if not order.asset_id:
        return WorkOrder.objects.none()
    return (
        WorkOrder.objects.visible_to(user)
        .filter(Q(asset_id=order.asset_id) & ~Q(pk=order.pk))
        .select_related("state", "assignee")
        .order_by("-created_at")[:limit]
    )
