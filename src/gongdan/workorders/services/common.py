"""Pieces every order service shares: the event log, data validation, guarded saves."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.errors import (
    StaleVersion,
    ValidationFailed,
)
from gongdan.core.inserts import insert_rows
from gongdan.core.models import User

from ..definitions import type_definition
from ..fields import FieldValueError, is_empty
from ..models import (
    PRIORITIES,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderType,
)

# Keys of the order itself; a custom field may not take one of these names.
CORE_FIELDS = frozenset(
    {"type", "title", "description", "priority", "asset", "data", "version", "customer"}
)
IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
FILE_TYPES = IMAGE_TYPES | {"application/pdf"}


# --- events --------------------------------------------------------------------


def event_record(
    *,
    order: WorkOrder,
    kind: str,
    actor: User | None,
    on_behalf_of: User | None = None,
    action: str = "",
    from_state: str = "",
    to_state: str = "",
    data: dict[str, Any] | None = None,
    at: datetime.datetime | None = None,
) -> WorkOrderEvent:
    """Append one event to an order's timeline (at the end of ``events_batched``
    when one is open)."""
    event = WorkOrderEvent(
        order=order,
        kind=kind,
        actor=actor,
        on_behalf_of=on_behalf_of,
        action=action,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
        created_at=at or timezone.now(),
    )
    pending: list[WorkOrderEvent] | None = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)
    else:
        event.save(force_insert=True)
    return event


_batch = threading.local()


@contextmanager
def events_batched() -> Iterator[None]:
    """Write the events recorded inside the block in one INSERT when it ends, in the
    order they were recorded. For a caller inside a transaction that does not read
    those events back before the block ends (a create: created, routing, assigned)."""
    pending: list[WorkOrderEvent] = []
    _batch.events = pending
    try:
        yield
    finally:
        _batch.events = None
    insert_rows(pending)


# --- validation ----------------------------------------------------------------


def validate_order_data(
    *,
    order_type: WorkOrderType,
    data: Any,
    state_key: str,
    existing: dict[str, Any] | None = None,
    extra_required: list[str] | tuple[str, ...] = (),
) -> dict[str, Any]:
    """Clean ``data`` against the type's field definitions and return the merged result.

    ``existing`` holds the values already stored (for updates and transitions);
    ``data`` may set or clear some of them. Requiredness is checked on the merged
    values for the state the order will be in. Raises ValidationFailed naming
    every offending field.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed(_("自定义字段应为对象。"), {"data": _("应为对象。")})
    definitions = type_definition(order_type).fields
    errors: dict[str, str] = {}
    merged = dict(existing or {})
    for key, value in data.items():
        definition = definitions.get(key)
        if definition is None:
            errors[key] = _("类型“%(type)s”没有这个字段。") % {"type": order_type.name}
            continue
        try:
            cleaned = definition.validate(value)
        except FieldValueError as exc:
            errors[key] = _("%(field)s：%(reason)s") % {"field": definition.label, "reason": exc}
            continue
        if cleaned is None:
            merged.pop(key, None)
        else:
            merged[key] = cleaned
    for key, definition in definitions.items():
        if key in errors:
            continue
        required = (
            definition.required
            or state_key in (definition.required_states or [])
            or key in extra_required
        )
        if required and is_empty(merged.get(key)):
            errors[key] = _("%(field)s：此项为必填。") % {"field": definition.label}
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    return merged


def clean_core(
    *,
    title: Any,
    priority: Any,
    description: Any,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(title, str) or not title.strip():
        errors["title"] = _("标题：此项为必填。")
    elif len(title.strip()) > 200:
        errors["title"] = _("标题：不能超过 200 个字符。")
    if not isinstance(priority, str) or priority not in PRIORITIES:
        errors["priority"] = _("优先级：应为 red、yellow 或 blue。")
    if not isinstance(description, str):
        errors["description"] = _("描述：应为文本。")
    elif len(description) > 10000:
        errors["description"] = _("描述：不能超过 10000 个字符。")
    return errors


# --- guarded writes ------------------------------------------------------------


def lock_order(order: WorkOrder) -> WorkOrder:
    # No joins under FOR UPDATE: PostgreSQL re-checks a joined row against the
    # concurrently updated one and would drop the order from the result.
    return WorkOrder.objects.select_for_update().get(pk=order.pk)


def guarded_save(order: WorkOrder, version: int, **changes: Any) -> None:
    """Write ``changes`` only if nobody changed the order since ``version`` was read."""
    changes.setdefault("updated_at", timezone.now())
    updated = WorkOrder.objects.filter(pk=order.pk, version=version).update(
        version=version + 1, **changes
    )
    if updated != 1:
        raise StaleVersion(_("工单已被他人修改，请刷新后重试。"), {"version": _("版本已过期。")})
    for name, value in changes.items():
        setattr(order, name, value)
    order.version = version + 1


def check_version(order: WorkOrder, version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationFailed(_("缺少版本号。"), {"version": _("应为整数。")})
    if version != order.version:
        raise StaleVersion(
            _("工单已被他人修改（当前版本 %(current)d，您提交的是 %(sent)d），请刷新后重试。")
            % {"current": order.version, "sent": version},
            {"version": _("版本已过期。")},
        )
    return version


def data_diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    keys = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if not keys:
        return {}
    return {
        "before": {k: before.get(k) for k in sorted(keys)},
        "after": {k: after.get(k) for k in sorted(keys)},
    }
