"""What every requisition step shares.

The history event written to both the requisition and the order's timeline, the
lines summary those events carry, and the row lock, version check and guarded
save that keep concurrent steps from overwriting each other.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.errors import StaleVersion, ValidationFailed
from gongdan.core.models import User
from gongdan.workorders.models import EventKind
from gongdan.workorders.services import event_record

from ..models import Requisition, RequisitionEvent
from .common import _fmt


def _requisition_event(
    requisition: Requisition,
    action: str,
    actor: User | None,
    data: dict[str, Any],
    at: datetime.datetime,
) -> None:
    """The same fact on the requisition's history and on the order's timeline."""
    RequisitionEvent.objects.create(
        requisition=requisition, action=action, actor=actor, data=data, created_at=at
    )
    event_record(
        order=requisition.order,
        kind=EventKind.UPDATED,
        actor=actor,
        action=action,
        data={"requisition": requisition.number, **data},
        at=at,
    )


def _lines_summary(requisition: Requisition) -> list[dict[str, str]]:
    return [
        {
            "part": line.part.code,
            "name": line.part.name,
            "quantity": _fmt(line.quantity),
            "unit": line.part.unit,
        }
        for line in requisition.lines.select_related("part")
    ]


def _lock(requisition: Requisition, version: Any) -> Requisition:
    """Lock the row, then report a stale view before anything else: what the caller
    may do may have changed since they loaded the page. No joins under FOR UPDATE
    (PostgreSQL would re-check the joined rows and could drop ours)."""
    locked = Requisition.objects.select_for_update().get(pk=requisition.pk)
    _check_version(locked, version)
    return locked


def _check_version(requisition: Requisition, version: Any) -> int:
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationFailed(_("缺少版本号。"), {"version": _("应为整数。")})
    if version != requisition.version:
        raise StaleVersion(
            _("领料单已被他人修改（当前版本 %(current)d，您提交的是 %(sent)d），请刷新后重试。")
            % {"current": requisition.version, "sent": version},
            {"version": _("版本已过期。")},
        )
    return version


def _guarded_save(requisition: Requisition, version: int, **changes: Any) -> None:
    changes.setdefault("updated_at", timezone.now())
    updated = Requisition.objects.filter(pk=requisition.pk, version=version).update(
        version=version + 1, **changes
    )
    if updated != 1:
        raise StaleVersion(_("领料单已被他人修改，请刷新后重试。"), {"version": _("版本已过期。")})
    for name, value in changes.items():
        setattr(requisition, name, value)
    requisition.version = version + 1
