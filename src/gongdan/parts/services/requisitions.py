"""Requisitions from request to return.

Asking for parts for a work order, issuing them from stock, the engineer's
receipt, returning unused parts, and withdrawing a requisition not yet issued.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.errors import Conflict, Forbidden, ValidationFailed
from gongdan.core.models import User
from gongdan.workorders.models import WorkOrder

from .. import permissions
from ..integrations import notify
from ..models import (
    ZERO,
    ApprovalStep,
    MovementKind,
    Part,
    Requisition,
    RequisitionLine,
    RequisitionStatus,
    StepStatus,
    Warehouse,
)
from .approvals import _activate, _approve_finally, _approver_for, _ask, _matching_rules
from .charging import charge_basis
from .common import _fmt, _text, clean_quantity
from .records import _guarded_save, _lines_summary, _lock, _requisition_event
from .stock import _change_stock


def _wrong_status(requisition: Requisition, message: str, field_message: str) -> Conflict:
    """The 409 for an action the requisition's current status does not allow;
    ``message`` names the action and takes the status as %(status)s."""
    return Conflict(
        message % {"status": requisition.get_status_display()}, {"status": field_message}
    )


def _default_warehouse(order: WorkOrder) -> Warehouse | None:
    warehouses = Warehouse.objects.all()
    if order.region_id:
        local = warehouses.filter(region_id=order.region_id).first()
        if local is not None:
            return local
    return warehouses.first()


@dataclass
class LineIn:
    part: Part
    quantity: Any


@transaction.atomic
def requisition_create(
    *,
    actor: User,
    order: WorkOrder,
    lines: Iterable[LineIn],
    warehouse: Warehouse | None = None,
    note: str = "",
    at: datetime.datetime | None = None,
) -> Requisition:
    """Ask for parts for an order; the approval chain is chosen by the rules now.

    No matching rule means no signature is needed: the requisition goes straight
    to the warehouse's pick list.
    """
    if not permissions.can_request(actor):
        raise Forbidden(_("您的角色不能申请备件。"))
    if not WorkOrder.objects.visible_to(actor).filter(pk=order.pk).exists():
        raise Forbidden(_("您无权为这张工单申请备件。"))
    if not order.is_open:
        raise ValidationFailed(_("工单已结束，不能再申请备件。"), {"order": _("工单已结束。")})
    note = _text(note, "note", 500)
    errors: dict[str, str] = {}
    cleaned: list[tuple[Part, Decimal]] = []
    for index, line in enumerate(lines):
        try:
            qty = clean_quantity(line.quantity, f"lines.{index}.quantity")
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if not line.part.is_active:
            errors[f"lines.{index}.part"] = _("备件 %(code)s 已停用。") % {"code": line.part.code}
            continue
        cleaned.append((line.part, qty))
    if not cleaned and not errors:
        errors["lines"] = _("请至少选择一种备件。")
    if len({part.pk for part, _qty in cleaned}) != len(cleaned):
        errors["lines"] = _("同一备件请合并为一行。")
    warehouse = warehouse or _default_warehouse(order)
    if warehouse is None:
        errors["warehouse"] = _("还没有仓库。")
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    assert warehouse is not None
    now = at or timezone.now()
    amount = sum((part.unit_cost * qty for part, qty in cleaned), ZERO).quantize(Decimal("0.01"))
    requisition = Requisition.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:16]}",
        order=order,
        requester=actor,
        team=actor.team,
        warehouse=warehouse,
        amount=amount,
        charge_to=charge_basis(order, now),
        note=note,
        created_at=now,
        updated_at=now,
    )
    requisition.number = f"PR-{timezone.localtime(now).year}-{requisition.pk:06d}"
    Requisition.objects.filter(pk=requisition.pk).update(number=requisition.number)
    RequisitionLine.objects.bulk_create(
        RequisitionLine(requisition=requisition, part=part, quantity=qty, unit_cost=part.unit_cost)
        for part, qty in cleaned
    )
    categories = {part.category for part, _qty in cleaned if part.category}
    steps = []
    for position, rule in enumerate(_matching_rules(amount, categories, actor.team_id), start=1):
        approver, role = _approver_for(rule, actor)
        steps.append(
            ApprovalStep(
                requisition=requisition,
                rule=rule,
                position=position,
                name=rule.name,
                approver=approver,
                approver_role=role,
                deputy=rule.deputy,
                limit_minutes=rule.limit_minutes,
                escalate_after_minutes=rule.escalate_after_minutes,
            )
        )
    ApprovalStep.objects.bulk_create(steps)
    _requisition_event(
        requisition,
        "parts_requested",
        actor,
        {
            "amount": _fmt(amount),
            "lines": _lines_summary(requisition),
            "charge_to": requisition.charge_to,
            "steps": [s.name for s in steps],
        },
        now,
    )
    first = requisition.steps.order_by("position").first()
    if first is None:
        _approve_finally(requisition, actor=None, now=now)
    else:
        _activate(first, now)
        _ask(first, requisition, "parts_approval_requested", urgent=order.priority == "red")
    return requisition


@transaction.atomic
def requisition_issue(
    *,
    actor: User,
    requisition: Requisition,
    version: Any,
    at: datetime.datetime | None = None,
) -> Requisition:
    """Hand the approved parts out: stock goes down line by line, all or nothing."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以发料。"))
    requisition = _lock(requisition, version)
    if requisition.status != RequisitionStatus.APPROVED:
        raise _wrong_status(
            requisition, _("领料单状态为“%(status)s”，不能发料。"), _("当前状态不允许发料。")
        )
    now = at or timezone.now()
    # Claim the requisition first: a second keeper pressing "issue" at the same
    # time fails here, before touching any stock.
    _guarded_save(
        requisition, version, status=RequisitionStatus.ISSUED, issued_at=now, updated_at=now
    )
    lines = list(requisition.lines.select_related("part"))
    for line in lines:
        _change_stock(
            part=line.part,
            warehouse=requisition.warehouse,
            delta=-line.quantity,
            kind=MovementKind.ISSUE,
            actor=actor,
            reason=requisition.number,
            order=requisition.order,
            requisition=requisition,
            unit_cost=line.unit_cost,
            at=now,
        )
        RequisitionLine.objects.filter(pk=line.pk).update(quantity_issued=line.quantity)
    _requisition_event(
        requisition,
        "parts_issued",
        actor,
        {
            "lines": _lines_summary(requisition),
            "cost": _fmt(sum((ln.quantity * ln.unit_cost for ln in lines), ZERO)),
            "warehouse": requisition.warehouse.name,
        },
        now,
    )
    notify(
        recipient=requisition.requester,
        template="parts_issued",
        context={"requisition": requisition.number, "order": requisition.order.number},
        order=requisition.order,
    )
    return requisition


@transaction.atomic
def requisition_receive(
    *,
    actor: User,
    requisition: Requisition,
    version: Any,
    at: datetime.datetime | None = None,
) -> Requisition:
    """The engineer confirms the parts are in hand."""
    requisition = _lock(requisition, version)
    if not permissions.can_receive(actor, requisition):
        raise Forbidden(_("只有申请人或工单处理人可以签收。"))
    if requisition.status != RequisitionStatus.ISSUED:
        raise _wrong_status(
            requisition, _("领料单状态为“%(status)s”，不能签收。"), _("当前状态不允许签收。")
        )
    now = at or timezone.now()
    _guarded_save(
        requisition, version, status=RequisitionStatus.RECEIVED, received_at=now, updated_at=now
    )
    _requisition_event(requisition, "parts_received", actor, {}, now)
    return requisition


@transaction.atomic
def requisition_return(
    *,
    actor: User,
    requisition: Requisition,
    quantities: dict[int, Any],
    version: Any,
    reason: str = "",
    at: datetime.datetime | None = None,
) -> Requisition:
    """Unused parts come back to the shelf; the order's parts cost drops accordingly."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以办理退库。"))
    requisition = _lock(requisition, version)
    if requisition.status not in (RequisitionStatus.ISSUED, RequisitionStatus.RECEIVED):
        raise _wrong_status(
            requisition, _("领料单状态为“%(status)s”，不能退库。"), _("当前状态不允许退库。")
        )
    reason = _text(reason, "reason", 300)
    lines = {line.pk: line for line in requisition.lines.select_related("part")}
    errors: dict[str, str] = {}
    wanted: list[tuple[RequisitionLine, Decimal]] = []
    for line_id, raw in quantities.items():
        line = lines.get(line_id)
        field = f"lines.{line_id}.quantity"
        if line is None:
            errors[f"lines.{line_id}"] = _("领料单没有这一行。")
            continue
        try:
            qty = clean_quantity(raw, field)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if qty > line.quantity_used:
            errors[field] = _("最多可退 %(n)s %(unit)s。") % {
                "n": _fmt(line.quantity_used),
                "unit": line.part.unit,
            }
            continue
        wanted.append((line, qty))
    if not wanted and not errors:
        errors["lines"] = _("请填写退库数量。")
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    now = at or timezone.now()
    _guarded_save(requisition, version, updated_at=now)
    returned = []
    for line, qty in wanted:
        _change_stock(
            part=line.part,
            warehouse=requisition.warehouse,
            delta=qty,
            kind=MovementKind.RETURN,
            actor=actor,
            reason=reason or requisition.number,
            order=requisition.order,
            requisition=requisition,
            unit_cost=line.unit_cost,
            at=now,
        )
        RequisitionLine.objects.filter(pk=line.pk).update(
            quantity_returned=F("quantity_returned") + qty
        )
        returned.append({"part": line.part.code, "name": line.part.name, "quantity": _fmt(qty)})
    _requisition_event(
        requisition,
        "parts_returned",
        actor,
        {
            "lines": returned,
            "credit": _fmt(sum((ln.unit_cost * q for ln, q in wanted), ZERO)),
            **({"reason": reason} if reason else {}),
        },
        now,
    )
    return requisition


@transaction.atomic
def requisition_cancel(
    *,
    actor: User,
    requisition: Requisition,
    version: Any,
    reason: str = "",
    at: datetime.datetime | None = None,
) -> Requisition:
    """The requester withdraws a requisition that has not been issued yet."""
    requisition = _lock(requisition, version)
    if actor.pk != requisition.requester_id and not permissions.can_configure(actor):
        raise Forbidden(_("只有申请人可以撤销领料单。"))
    if not requisition.is_open:
        raise _wrong_status(
            requisition, _("领料单状态为“%(status)s”，不能撤销。"), _("当前状态不允许撤销。")
        )
    reason = _text(reason, "reason", 300)
    now = at or timezone.now()
    _guarded_save(requisition, version, status=RequisitionStatus.CANCELLED, updated_at=now)
    requisition.steps.filter(status__in=[StepStatus.WAITING, StepStatus.PENDING]).update(
        status=StepStatus.SKIPPED
    )
    _requisition_event(
        requisition, "parts_cancelled", actor, {"reason": reason} if reason else {}, now
    )
    return requisition
