"""The in-app inbox and the messages sent about an order."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from gongdan.core.errors import NotFound
from gongdan.core.models import request_user
from gongdan.workorders.models import WorkOrder

from . import selectors
from .models import Notification
from .services import notification_mark_read

router = Router(tags=["notifications"])
order_router = Router(tags=["notifications"])


class InboxItem(Schema):
    id: int
    template: str
    subject: str
    body: str
    url: str
    order: str | None
    urgent: bool
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class InboxPage(Schema):
    unread: int
    results: list[InboxItem]


class UnreadOut(Schema):
    unread: int


class ReadIn(Schema):
    ids: list[int] | None = None


class OrderNotificationOut(Schema):
    id: int
    channel: str
    recipient: str
    template: str
    subject: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime.datetime
    next_attempt_at: datetime.datetime | None
    sent_at: datetime.datetime | None


def _item(row: Notification) -> InboxItem:
    return InboxItem(
        id=row.pk,
        template=row.template,
        subject=row.subject,
        body=row.body,
        url=str(row.payload.get("url", "")),
        order=row.payload.get("order"),
        urgent=bool(row.payload.get("urgent")),
        created_at=row.created_at,
        read_at=row.read_at,
    )


@router.get("", response=InboxPage, summary="My inbox, newest first")
def inbox(request: HttpRequest, unread: bool = False, limit: int = 50) -> InboxPage:
    user = request_user(request)
    rows = selectors.inbox(user=user, unread_only=unread)[: max(1, min(limit, 200))]
    return InboxPage(unread=selectors.unread_count(user=user), results=[_item(r) for r in rows])


@router.get("/unread-count", response=UnreadOut, summary="How many inbox messages are unread")
def unread_count(request: HttpRequest) -> UnreadOut:
    return UnreadOut(unread=selectors.unread_count(user=request_user(request)))


@router.post("/read", response=UnreadOut, summary="Mark messages read (all when ids is omitted)")
def mark_read(request: HttpRequest, payload: ReadIn) -> UnreadOut:
    user = request_user(request)
    notification_mark_read(user=user, notification_ids=payload.ids)
    return UnreadOut(unread=selectors.unread_count(user=user))


@order_router.get(
    "/{number}/notifications",
    response=list[OrderNotificationOut],
    summary="Messages sent about an order",
)
def order_notifications(request: HttpRequest, number: str) -> list[OrderNotificationOut]:
    user = request_user(request)
    order = WorkOrder.objects.visible_to(user).filter(number=number).first()
    if order is None:
        raise NotFound(_("找不到工单 %(number)s，或您无权查看。") % {"number": number})
    return [
        OrderNotificationOut(
            id=row.pk,
            channel=row.channel,
            recipient=row.recipient.username,
            template=row.template,
            subject=row.subject,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
        )
        for row in selectors.order_notifications(order=order, user=user)
    ]
