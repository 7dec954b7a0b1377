"""Reads of notifications: a person's inbox, and what was sent about an order."""

from __future__ import annotations

from django.db.models import QuerySet

from gongdan.core.models import User
from gongdan.workorders.models import WorkOrder

from .models import Channel, Notification


def inbox(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user, channel=Channel.INBOX).select_related("order")
    return qs.filter(read_at__isnull=True) if unread_only else qs


def unread_count(*, user: User) -> int:
    return inbox(user=user, unread_only=True).count()


def order_notifications(*, order: WorkOrder, user: User) -> QuerySet[Notification]:
    """Messages about an order: all of them for those who see every order, otherwise
    only the viewer's own."""
    qs = Notification.objects.filter(order=order).select_related("recipient")
    return qs if user.sees_all_orders else qs.filter(recipient=user)
