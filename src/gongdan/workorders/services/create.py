"""Opening an order: validation, its number, the insert, idempotent retries."""

from __future__ import annotations

import datetime
import functools
import secrets
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.assets.models import Asset
from gongdan.core.errors import (
    Forbidden,
    ValidationFailed,
)
from gongdan.core.inserts import insert_row, writes_deferred
from gongdan.core.models import User

from .. import permissions, signals
from ..definitions import type_definition
from ..models import (
    PRIORITY_RANK,
    EventKind,
    IdempotencyKey,
    OrderNumberSequence,
    Priority,
    WorkflowState,
    WorkOrder,
    WorkOrderType,
)
from .common import (
    clean_core,
    event_record,
    events_batched,
    validate_order_data,
)

# --- numbers -------------------------------------------------------------------


def _next_number(
    now: datetime.datetime, *, wait_for_disk: bool = True, with_key: bool = False
) -> tuple[str, int | None]:
    """WO-<year>-<6 digits>, from one UPDATE … RETURNING on the year's row. Inside a
    transaction the row stays locked until that commits: numbers without gaps, and
    every other create waits for that commit. ``wait_for_disk`` False (PostgreSQL,
    autocommit) commits the statement without waiting for the log to be flushed
    (set_config's "local" lasts for its own transaction; the session keeps its
    setting). ``with_key`` (PostgreSQL): the same statement also takes the order's
    primary key from its sequence, returned second (otherwise None)."""
    year = timezone.localtime(now).year
    table = OrderNumberSequence._meta.db_table
    returning = f"last, nextval('{_key_sequence()}')" if with_key else "last"
    increment = f"UPDATE {table} SET last = last + 1 WHERE year = %s RETURNING {returning}"
    if not wait_for_disk:
        increment = (
            f"UPDATE {table} SET last = last + 1"
            " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async"
            f" WHERE year = %s RETURNING {returning}"
        )
    with connection.cursor() as cursor:
        cursor.execute(increment, [year])
        row = cursor.fetchone()
        if row is None:
            # First order of the year: create the row (a racing create is absorbed by
            # get_or_create's savepoint) and count from it.
            OrderNumberSequence.objects.get_or_create(year=year)
            cursor.execute(increment, [year])
            row = cursor.fetchone()
    return f"WO-{year}-{row[0]:06d}", (row[1] if with_key else None)


@functools.cache
def _key_sequence() -> str:
    """The PostgreSQL sequence behind the orders' primary key, as a quoted name."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, %s)",
            [WorkOrder._meta.db_table, WorkOrder._meta.pk.column],
        )
        (name,) = cursor.fetchone()
    if not name or "'" in name:
        raise RuntimeError(f"no plain sequence behind {WorkOrder._meta.db_table}'s key")
    return str(name)


# --- create --------------------------------------------------------------------


def _idempotent_order(scope: str, key: str) -> WorkOrder | None:
    hit = IdempotencyKey.objects.filter(scope=scope, key=key).select_related("order").first()
    return hit.order if hit else None


def work_order_create(
    *,
    actor: User,
    order_type: WorkOrderType,
    title: str,
    priority: str | None = None,
    description: str = "",
    asset: Asset | None = None,
    data: dict[str, Any] | None = None,
    customer: str = "",
    requester: User | None = None,
    on_behalf_of: User | None = None,
    idempotency_key: str | None = None,
    idempotency_scope: str | None = None,
    created_at: datetime.datetime | None = None,
) -> tuple[WorkOrder, bool]:
    """Open an order. Returns (order, created); a repeated idempotency key returns the
    order the first request made and ``created`` False."""
    if not permissions.can_create(actor):
        raise Forbidden(_("您的角色不能创建工单。"))
    if on_behalf_of is not None and on_behalf_of != actor:
        if not permissions.can_act_on_behalf(actor):
            raise Forbidden(_("只有文员、调度和管理员可以代他人录入工单。"))
    else:
        on_behalf_of = None
    scope = idempotency_scope or f"user:{actor.pk}"
    if idempotency_key:
        if len(idempotency_key) > 100:
            raise ValidationFailed(
                _("Idempotency-Key 过长。"), {"Idempotency-Key": _("不能超过 100 个字符。")}
            )
        existing = _idempotent_order(scope, idempotency_key)
        if existing is not None:
            return existing, False
    priority = priority or order_type.default_priority
    # Everything that only reads — the type's definition, validation — happens before
    # the write transaction: on SQLite BEGIN IMMEDIATE takes the database's single
    # write lock, and every other writer waits for as long as it is held.
    state, cleaned = _validate_new(
        order_type=order_type, title=title, priority=priority, description=description, data=data
    )
    now = created_at or timezone.now()
    order = _draft(
        actor=actor,
        order_type=order_type,
        state=state,
        cleaned=cleaned,
        title=title,
        priority=priority,
        description=description,
        asset=asset,
        customer=customer,
        requester=requester,
        on_behalf_of=on_behalf_of,
        now=now,
    )
    writes: list[Callable[[WorkOrder], None]] = []
    signals.work_order_planned.send(
        sender=WorkOrder, order=order, actor=actor, at=now, writes=writes
    )
    late_number = _number_in_write_transaction()
    if late_number:
        order.number = secrets.token_hex(16)
    else:
        # On PostgreSQL the order's key comes with its number: every row then knows
        # the key it points at, and all of them go to the server in one round trip.
        order.number, order.pk = _take_number(now)
    try:
        # Every row — the order's own, its created event and what planning asked for
        # (SLA clock, routing record, ticket, outbox) — is built now, values adapted;
        # the write transaction (on SQLite the database's one write lock) then holds
        # only the statements.
        stand_ins = [order.number] if late_number else []
        with writes_deferred(stand_ins) as write_rows, events_batched():
            # The order's own row first: the others point at it.
            insert_row(order)
            event_record(
                order=order,
                kind=EventKind.CREATED,
                actor=actor,
                on_behalf_of=on_behalf_of,
                to_state=state.key,
                data={
                    "after": {
                        "title": order.title,
                        "priority": order.priority,
                        "asset": asset.code if asset else None,
                        "data": cleaned,
                    }
                },
                at=now,
            )
            for write in writes:
                write(order)
        with transaction.atomic():
            fill = None
            if late_number:
                # The rows were built with a stand-in where the number goes.
                fill = {order.number: _next_number(now)[0]}
            write_rows(fill=fill)
            signals.work_order_created.send(sender=WorkOrder, order=order, actor=actor, at=now)
            if idempotency_key:
                IdempotencyKey.objects.create(scope=scope, key=idempotency_key, order=order)
    except IntegrityError:
        # A concurrent request with the same key won the race; return its order.
        if idempotency_key:
            existing = _idempotent_order(scope, idempotency_key)
            if existing is not None:
                return existing, False
        raise
    return order, True


def _number_in_write_transaction() -> bool:
    """On SQLite, outside a caller's transaction, the number is taken in the order's
    own write transaction, after the rows are built: SQLite has one writer at a time
    anyway, so holding the counter until the order commits makes nobody wait longer,
    and a create then takes the write lock once instead of twice (each turn is a
    BEGIN, a COMMIT and a wait behind the other writers). The rows are built before
    it; none quotes the number today (a new order's messages are made by the
    ticker), and one that does carries a stand-in the transaction replaces
    (``writes_deferred``'s ``fill``), so a placeholder is never stored."""
    return connection.vendor == "sqlite" and not connection.in_atomic_block


def _take_number(now: datetime.datetime) -> tuple[str, int | None]:
    """The new order's number, taken before its rows are built (PostgreSQL, or inside
    a caller's transaction), and on PostgreSQL its primary key with it.

    Inside a caller's transaction it is part of that transaction (and goes back with
    it). Otherwise (PostgreSQL) it is taken and committed on its own: the year's
    counter row is the one thing every create writes, and held until the order's
    commit it made creates queue behind each other's commits. An order that then
    fails to commit (validation is done by now: a crash, a lost connection, a
    repeated Idempotency-Key racing the first) leaves a gap in that year's numbers.
    Its commit need not wait for the disk: the order's commit, which follows, flushes
    the log up to and including it, and a crash before that loses only a number no
    order carries."""
    return _next_number(
        now,
        wait_for_disk=connection.in_atomic_block,
        with_key=connection.vendor == "postgresql",
    )


def _validate_new(
    *,
    order_type: WorkOrderType,
    title: str,
    priority: str,
    description: str,
    data: dict[str, Any] | None,
) -> tuple[WorkflowState, dict[str, Any]]:
    if not order_type.is_active:
        raise ValidationFailed(_("该工单类型已停用。"), {"type": _("该工单类型已停用。")})
    errors = clean_core(title=title, priority=priority, description=description)
    state = type_definition(order_type).initial_state
    cleaned: dict[str, Any] = {}
    try:
        cleaned = validate_order_data(order_type=order_type, data=data, state_key=state.key)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    return state, cleaned


def _draft(
    *,
    actor: User,
    order_type: WorkOrderType,
    state: WorkflowState,
    cleaned: dict[str, Any],
    title: str,
    priority: str,
    description: str,
    asset: Asset | None,
    customer: str,
    requester: User | None,
    on_behalf_of: User | None,
    now: datetime.datetime,
) -> WorkOrder:
    """The new order, not yet saved: everything but its number."""
    origin = on_behalf_of or actor
    if requester is None and origin.role == "requester":
        requester = origin
    return WorkOrder(
        type=order_type,
        title=title.strip(),
        description=description.strip(),
        priority=priority,
        priority_rank=PRIORITY_RANK[Priority(priority)],
        asset=asset,
        customer=customer or (asset.customer if asset else ""),
        requester=requester,
        created_by=origin,
        entered_by=actor if on_behalf_of else None,
        region=asset.region if asset and asset.region_id else origin.region,
        state=state,
        state_category=state.category,
        data=cleaned,
        created_at=now,
        updated_at=now,
    )
