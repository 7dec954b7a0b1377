"""Writing to the outbox and delivering from it.

``notify`` is the one call other apps make: it writes outbox rows in the
caller's transaction and has them sent once that commits (through the ticker's
outbox lane on the database queue, told directly on any other). Delivery claims a row with
a guarded UPDATE, so a message marked sent is never sent again and two workers
never send the same row at once; a worker that dies mid-send leaves a lease
that runs out, and the ticker queues the row again.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any, NamedTuple

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gongdan.core.cache import ProcessCache
from gongdan.core.inserts import deferred_batch, deferred_write, deferring, insert_rows
from gongdan.core.models import User
from gongdan.workorders.models import Priority, WorkOrder

from .messages import local_time, render
from .models import (
    ENDPOINT_CHANNELS,
    Channel,
    Endpoint,
    MessageBatch,
    Notification,
    Preference,
    Status,
)

log = logging.getLogger("gongdan.notify")

CHANNELS = frozenset(Channel.values)


def lease() -> datetime.timedelta:
    """How long a queued or claimed row is left alone before the ticker retries it.

    Longer than any single send may take (network timeouts are 10 s)."""
    return datetime.timedelta(seconds=getattr(settings, "NOTIFY_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> datetime.timedelta:
    """30 s, 1 min, 2 min … capped at an hour."""
    base = getattr(settings, "NOTIFY_BACKOFF_SECONDS", 30)
    return datetime.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


# Everyone's chosen channels by user id (a small table, read for every message).
_preferences = ProcessCache(
    lambda: dict(Preference.objects.values_list("user_id", "channels")), models=(Preference,)
)


def preferred_channels(user: User) -> list[str]:
    channels = list(_preferences.get().get(user.pk) or [])
    if not channels and user.email:
        channels = [Channel.EMAIL]
    return channels


def endpoint_for(channel: str, user: User) -> Endpoint | None:
    """The recipient's team's endpoint of this kind, else the shared one."""
    candidates = Endpoint.objects.filter(kind=channel, is_active=True)
    if user.team_id:
        own = candidates.filter(team_id=user.team_id).first()
        if own is not None:
            return own
    return candidates.filter(team__isnull=True).first()


def quiet_until(user: User, now: datetime.datetime) -> datetime.datetime | None:
    """When a non-urgent message to ``user`` may go out: None now, else the start of
    their next shift. People without a shift calendar are always reachable."""
    from gongdan.sla.calendar import next_working_start
    from gongdan.sla.models import WorkSchedule

    schedule = WorkSchedule.objects.filter(user=user).select_related("calendar").first()
    if schedule is None:
        return None
    start = next_working_start(now, schedule.calendar)
    return None if start <= now else start


def _missing_address(channel: str, user: User, endpoint: Endpoint | None) -> str:
    if channel == Channel.EMAIL and not user.email:
        return "recipient has no e-mail address"
    if channel == Channel.SMS and not user.phone:
        return "recipient has no phone number"
    if channel in ENDPOINT_CHANNELS and endpoint is None:
        return f"no active {channel} endpoint configured"
    return ""


def _replaying_history() -> bool:
    """The demo plays weeks of past orders through the services; nobody should be
    messaged about last month's breakdowns."""
    from gongdan.core.demo import replaying_history

    return replaying_history()


def _database_queue() -> bool:
    from django_tasks_db import DatabaseBackend

    from .tasks import send_notification

    return isinstance(send_notification.get_backend(), DatabaseBackend)


def _enqueue(notification_ids: list[int]) -> None:
    """Hand the rows to the task queue. A database queue takes the task row in this
    same transaction (one commit, and the task exists exactly when the claim does);
    any other queue is told after commit, when the rows are visible."""
    from .tasks import send_notification

    def enqueue() -> None:
        for pk in notification_ids:
            try:
                send_notification.enqueue(pk)
            except Exception:
                # The row stays queued with a lease; the ticker retries it.
                log.exception("could not enqueue notification %s", pk)

    if not notification_ids:
        return
    if _database_queue():
        for pk in notification_ids:
            send_notification.enqueue(pk)
    else:
        transaction.on_commit(enqueue)


def notify(
    *,
    recipient: User,
    template: str,
    context: dict[str, Any],
    order: WorkOrder | None = None,
    channel: str | None = None,
    urgent: bool = False,
) -> list[Notification]:
    """Tell ``recipient`` something: one outbox row per channel, sent after commit.

    ``channel`` None means the recipient's preferred channels; the in-app inbox
    always gets a copy. Outside the recipient's shift, messages that are not
    urgent (and not about a red order) wait for the shift to start.

    With the database queue the rows are due at once and the ticker's outbox lane
    hands them to the queue within a second: the request that wrote them writes no
    task row of its own. Any other queue (Redis) is told after commit.

    Asked while a new order's rows are built (``writes_deferred``), it returns no
    rows: the messages go into one ``MessageBatch`` in the order's transaction and
    the ticker makes them (``message_batches_build``) within a second.
    """
    if _replaying_history():
        return []
    if deferring():
        # Asked for while a new order's rows are built, before its transaction: the
        # messages are made by the ticker from one batch row written in it.
        asked = Asked(recipient.pk, template, _as_shown(context), order, channel, urgent)
        deferred_batch("notify.messages", _write_batch).append(asked)
        return []
    # Called inside the caller's transaction; nothing in it fails half-way, so it
    # joins that transaction instead of opening a savepoint.
    with transaction.atomic(savepoint=False):
        return _notify(recipient, template, context, order, channel, urgent)


class Asked(NamedTuple):
    """A message asked for while a new order's rows are built, made by the ticker."""

    recipient_id: int
    template: str
    context: dict[str, Any]
    order: WorkOrder | None  # named by its number in the batch
    channel: str | None
    urgent: bool


def _as_shown(context: dict[str, Any]) -> dict[str, Any]:
    """Moments written as a message shows them (the site's time zone), for JSON."""
    return {k: local_time(v) if isinstance(v, datetime.datetime) else v for k, v in context.items()}


def _write_batch(asked: list[Asked]) -> None:
    # The order by its number: the batch is built before the order's row has a key
    # (on SQLite the number is a stand-in here, filled in in the transaction).
    messages = [
        {
            "recipient": a.recipient_id,
            "template": a.template,
            "context": a.context,
            "order_number": a.order.number if a.order is not None else None,
            "channel": a.channel,
            "urgent": a.urgent,
        }
        for a in asked
    ]
    insert_rows([MessageBatch(messages=messages)])


def _order_of(message: dict[str, Any], orders: dict[Any, WorkOrder]) -> WorkOrder | None:
    """The order a batched message is about: by number, or by key in a batch written
    before messages named orders by number."""
    if (number := message.get("order_number")) is not None:
        return orders.get(number)
    if (pk := message.get("order")) is not None:
        return orders.get(pk)
    return None


def _names_an_order(message: dict[str, Any]) -> bool:
    return message.get("order_number") is not None or message.get("order") is not None


def message_batches_build(*, limit: int = 100, rounds: int = 10) -> int:
    """Make the messages that new orders' transactions asked for: each batch becomes
    outbox rows, rendered in the recipient's language, and is deleted, in one
    transaction (a ticker that dies half-way leaves the batch for the next tick; a
    second ticker skips the batches the first has locked). A batch that fails is
    logged and left for the next tick; the others go on. Returns how many messages
    were made; at most ``rounds`` × ``limit`` batches per call, so one busy lane does
    not hold up the others."""
    made = 0
    failed: set[int] = set()
    for _ in range(rounds):
        with transaction.atomic():
            batches = list(
                MessageBatch.objects.select_for_update(skip_locked=True)
                .exclude(pk__in=failed)
                .order_by("id")[:limit]
            )
            asked = [message for batch in batches for message in batch.messages]
            users = User.objects.in_bulk({m["recipient"] for m in asked})
            named = WorkOrder.objects.select_related("asset", "assignee")
            orders: dict[Any, WorkOrder] = {
                **named.in_bulk({m["order"] for m in asked if m.get("order") is not None}),
                **named.in_bulk(
                    {m["order_number"] for m in asked if m.get("order_number") is not None},
                    field_name="number",
                ),
            }
            done: list[int] = []
            for batch in batches:
                try:
                    with transaction.atomic():
                        made += _build(batch, users, orders)
                except Exception:
                    log.exception("message batch %s failed; retried on the next tick", batch.pk)
                    failed.add(batch.pk)
                else:
                    done.append(batch.pk)
            MessageBatch.objects.filter(pk__in=done).delete()
        if len(batches) < limit:
            break
    return made


def _build(batch: MessageBatch, users: dict[int, User], orders: dict[Any, WorkOrder]) -> int:
    made = 0
    for message in batch.messages:
        recipient = users.get(message["recipient"])
        order = _order_of(message, orders)
        if recipient is None or (_names_an_order(message) and order is None):
            log.warning("message for a deleted recipient or order dropped: %s", message)
            continue
        notify(
            recipient=recipient,
            template=message["template"],
            context=message["context"],
            order=order,
            channel=message["channel"],
            urgent=message["urgent"],
        )
        made += 1
    return made


def _notify(
    recipient: User,
    template: str,
    context: dict[str, Any],
    order: WorkOrder | None,
    channel: str | None,
    urgent: bool,
) -> list[Notification]:
    now = timezone.now()
    payload = render(recipient=recipient, template=template, context=context, order=order)
    red = urgent or (order is not None and order.priority == Priority.RED)
    payload["urgent"] = red
    wanted = [channel] if channel else preferred_channels(recipient)
    channels = [Channel.INBOX, *(c for c in dict.fromkeys(wanted) if c != Channel.INBOX)]
    deferred = None if red else quiet_until(recipient, now)
    by_ticker = _database_queue()
    rows: list[Notification] = []
    for name in channels:
        if name not in CHANNELS:
            log.warning("unknown notification channel %r for %s", name, recipient)
            continue
        row = Notification(
            channel=name,
            recipient=recipient,
            order=order,
            template=template,
            payload=payload,
            created_at=now,
        )
        if name == Channel.INBOX:
            # Writing the row is the delivery.
            row.status = Status.SENT
            row.sent_at = now
        else:
            row.endpoint = endpoint_for(name, recipient) if name in ENDPOINT_CHANNELS else None
            problem = _missing_address(name, recipient, row.endpoint)
            if problem:
                row.status = Status.FAILED
                row.last_error = problem
            elif deferred is not None or by_ticker:
                row.status = Status.PENDING
                row.next_attempt_at = deferred or now
            else:
                row.status = Status.QUEUED
                row.next_attempt_at = now + lease()
        rows.append(row)
    insert_rows(rows)
    if not by_ticker:
        deferred_write(lambda: _enqueue([row.pk for row in rows if row.status == Status.QUEUED]))
    return rows


def notification_requeue_due(*, now: datetime.datetime | None = None, limit: int = 500) -> int:
    """Queue what has come due: deferred and retried messages, and claims whose lease
    ran out (a worker died). The guarded UPDATE makes a second ticker skip the row."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        status__in=[Status.PENDING, Status.QUEUED, Status.SENDING], next_attempt_at__lte=now
    ).values_list("pk", "status", "next_attempt_at")[:limit]
    claimed: list[int] = []
    for pk, status, at in due:
        with transaction.atomic():
            won = Notification.objects.filter(pk=pk, status=status, next_attempt_at=at).update(
                status=Status.QUEUED, next_attempt_at=now + lease()
            )
            if won:
                claimed.append(pk)
                _enqueue([pk])
    return len(claimed)


def notification_deliver(*, notification_id: int) -> bool:
    """Send one queued message. Returns True if this call sent it.

    Not atomic on purpose: the claim commits before the network call, so a
    crash mid-send leaves a visible SENDING row with a lease, never a lost one.
    """
    from .channels import DeliveryError, deliver

    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, status=Status.QUEUED).update(
        status=Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease()
    )
    if not claimed:
        return False
    row = Notification.objects.select_related("recipient", "endpoint", "order").get(
        pk=notification_id
    )
    try:
        deliver(row)
    except Exception as exc:
        error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
        give_up = row.attempts >= max_attempts()
        Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
            status=Status.FAILED if give_up else Status.PENDING,
            last_error=error[:2000],
            next_attempt_at=None if give_up else timezone.now() + backoff(row.attempts),
        )
        log.warning("notification %s failed (attempt %s): %s", row.pk, row.attempts, error)
        return False
    Notification.objects.filter(pk=row.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None
    )
    return True


@transaction.atomic
def notification_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark inbox messages read (all of the user's unread ones when ids is None)."""
    qs = Notification.objects.filter(recipient=user, channel=Channel.INBOX, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())
