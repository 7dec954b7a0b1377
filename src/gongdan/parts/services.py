"""Every write to stock, requisitions and approvals goes through one of these functions.

Each runs in one transaction. Stock changes are guarded UPDATEs (``quantity >=
wanted``), so two people issuing the last unit at the same moment cannot both
succeed and the balance never goes below zero. Each requisition step appends an
event to the work order's timeline and to the requisition's own history.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.errors import Conflict, Forbidden, StaleVersion, ValidationFailed
from gongdan.core.models import Role, User
from gongdan.workorders.models import EventKind, WorkOrder
from gongdan.workorders.services import event_record

from . import permissions
from .integrations import add_business_time, notify
from .messages import LOW_STOCK
from .models import (
    ZERO,
    ApprovalRule,
    ApprovalStep,
    ApproverKind,
    ChargeTo,
    MovementKind,
    Part,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
    RequisitionStatus,
    StepStatus,
    Stock,
    StockMovement,
    Warehouse,
)

MAX_QUANTITY = Decimal("1000000")


class OutOfStock(Conflict):
    code = "out_of_stock"


# --- small helpers ---------------------------------------------------------------


def _wrong_status(requisition: Requisition, message: str, field_message: str) -> Conflict:
    """The 409 for an action the requisition's current status does not allow;
    ``message`` names the action and takes the status as %(status)s."""
    return Conflict(
        message % {"status": requisition.get_status_display()}, {"status": field_message}
    )


def clean_quantity(value: Any, field: str = "quantity", *, allow_negative: bool = False) -> Decimal:
    """A positive (or, for adjustments, non-zero) quantity with at most two decimals."""
    try:
        qty = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(_("数量无效。"), {field: _("应为数字。")})
    if not qty.is_finite() or abs(qty) >= MAX_QUANTITY:
        raise ValidationFailed(_("数量无效。"), {field: _("数量过大。")})
    if allow_negative and qty == 0:
        raise ValidationFailed(_("数量无效。"), {field: _("不能为 0。")})
    if not allow_negative and qty <= 0:
        raise ValidationFailed(_("数量无效。"), {field: _("应大于 0。")})
    return qty


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(_("金额无效。"), {field: _("应为数字。")})
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1000000000000"):
        raise ValidationFailed(_("金额无效。"), {field: _("应为不小于 0 的金额。")})
    return amount


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("应为文本。"), {field: _("应为文本。")})
    value = value.strip()
    if required and not value:
        raise ValidationFailed(_("请填写原因。"), {field: _("此项为必填。")})
    if len(value) > limit:
        raise ValidationFailed(
            _("文本过长。"), {field: _("不能超过 %(n)d 个字符。") % {"n": limit}}
        )
    return value


def _fmt(value: Decimal) -> str:
    """Quantities and money for events and messages: no trailing zeros."""
    text = format(value.normalize(), "f")
    return text


# --- stock -------------------------------------------------------------------------


def _stock_row(part: Part, warehouse: Warehouse) -> Stock:
    try:
        with transaction.atomic():
            stock, _created = Stock.objects.get_or_create(part=part, warehouse=warehouse)
    except IntegrityError:
        # Another request created the row between our read and our insert.
        stock = Stock.objects.get(part=part, warehouse=warehouse)
    return stock


def _change_stock(
    *,
    part: Part,
    warehouse: Warehouse,
    delta: Decimal,
    kind: str,
    actor: User | None,
    reason: str = "",
    order: WorkOrder | None = None,
    requisition: Requisition | None = None,
    reference: str = "",
    unit_cost: Decimal | None = None,
    at: datetime.datetime | None = None,
) -> StockMovement:
    """Move stock by ``delta`` with one guarded UPDATE and record the movement.

    For a decrease the UPDATE only matches while enough is on the shelf; the
    database re-checks that condition after any concurrent writer commits, so
    of two requests for the last unit exactly one matches.
    """
    now = at or timezone.now()
    stock = _stock_row(part, warehouse)
    rows = Stock.objects.filter(pk=stock.pk)
    if delta < 0:
        rows = rows.filter(quantity__gte=-delta)
    updated = rows.update(quantity=F("quantity") + delta, updated_at=now)
    if updated != 1:
        available = Stock.objects.filter(pk=stock.pk).values_list("quantity", flat=True).get()
        raise OutOfStock(
            _("%(part)s 在 %(warehouse)s 库存不足（现有 %(have)s %(unit)s，需要 %(need)s）。")
            % {
                "part": part.name,
                "warehouse": warehouse.name,
                "have": _fmt(available),
                "unit": part.unit,
                "need": _fmt(-delta),
            },
            {"quantity": _("库存不足。")},
        )
    stock.refresh_from_db(fields=["quantity", "low_threshold"])
    movement = StockMovement.objects.create(
        part=part,
        warehouse=warehouse,
        kind=kind,
        quantity=delta,
        balance_after=stock.quantity,
        unit_cost=part.unit_cost if unit_cost is None else unit_cost,
        actor=actor,
        reason=reason,
        order=order,
        requisition=requisition,
        reference=reference,
        created_at=now,
    )
    before = stock.quantity - delta
    if delta < 0 and stock.low_threshold > 0 and stock.quantity <= stock.low_threshold < before:
        _warn_low_stock(stock)
    return movement


def _keepers(warehouse: Warehouse) -> list[User]:
    if warehouse.keeper_id and warehouse.keeper and warehouse.keeper.is_active:
        return [warehouse.keeper]
    return list(User.objects.filter(role=Role.WAREHOUSE, is_active=True))


def _warn_low_stock(stock: Stock) -> None:
    """Crossing the threshold (not every issue below it) warns the keeper once."""
    for keeper in _keepers(stock.warehouse):
        notify(
            recipient=keeper,
            template="parts_low_stock",
            context={
                "part": stock.part.code,
                "part_name": stock.part.name,
                "warehouse": stock.warehouse.name,
                "quantity": _fmt(stock.quantity),
                "threshold": _fmt(stock.low_threshold),
                "unit": stock.part.unit,
            },
            message=LOW_STOCK,
        )


@transaction.atomic
def stock_receive(
    *,
    actor: User,
    part: Part,
    warehouse: Warehouse,
    quantity: Any,
    unit_cost: Any = None,
    reason: str = "",
    at: datetime.datetime | None = None,
) -> StockMovement:
    """Goods in: a delivery from a supplier. A new unit cost updates the catalogue price."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以入库。"))
    qty = clean_quantity(quantity)
    reason = _text(reason, "reason", 300)
    cost = None
    if unit_cost is not None and unit_cost != "":
        cost = _money(unit_cost, "unit_cost")
        Part.objects.filter(pk=part.pk).update(unit_cost=cost)
        part.unit_cost = cost
    return _change_stock(
        part=part,
        warehouse=warehouse,
        delta=qty,
        kind=MovementKind.RECEIVE,
        actor=actor,
        reason=reason,
        unit_cost=cost,
        at=at,
    )


@transaction.atomic
def stock_adjust(
    *,
    actor: User,
    part: Part,
    warehouse: Warehouse,
    delta: Any,
    reason: str,
    at: datetime.datetime | None = None,
) -> StockMovement:
    """A stocktake correction (盘盈/盘亏); the reason is required and kept."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以调整库存。"))
    qty = clean_quantity(delta, "delta", allow_negative=True)
    reason = _text(reason, "reason", 300, required=True)
    return _change_stock(
        part=part,
        warehouse=warehouse,
        delta=qty,
        kind=MovementKind.ADJUST,
        actor=actor,
        reason=reason,
        at=at,
    )


@transaction.atomic
def stock_transfer(
    *,
    actor: User,
    part: Part,
    source: Warehouse,
    target: Warehouse,
    quantity: Any,
    reason: str = "",
    at: datetime.datetime | None = None,
) -> tuple[StockMovement, StockMovement]:
    """Move parts between warehouses: two movements with one reference."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以调拨。"))
    if source.pk == target.pk:
        raise ValidationFailed(_("调出和调入仓库不能相同。"), {"target": _("不能与调出仓库相同。")})
    qty = clean_quantity(quantity)
    reason = _text(reason, "reason", 300)
    reference = f"TR-{uuid.uuid4().hex[:12]}"
    out = _change_stock(
        part=part,
        warehouse=source,
        delta=-qty,
        kind=MovementKind.TRANSFER_OUT,
        actor=actor,
        reason=reason,
        reference=reference,
        at=at,
    )
    into = _change_stock(
        part=part,
        warehouse=target,
        delta=qty,
        kind=MovementKind.TRANSFER_IN,
        actor=actor,
        reason=reason,
        reference=reference,
        at=at,
    )
    return out, into


@transaction.atomic
def stock_threshold_set(*, actor: User, part: Part, warehouse: Warehouse, threshold: Any) -> Stock:
    """Set the level at or below which the keeper is warned."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以设置安全库存。"))
    value = _money(threshold, "threshold")
    stock = _stock_row(part, warehouse)
    Stock.objects.filter(pk=stock.pk).update(low_threshold=value)
    stock.low_threshold = value
    return stock


@dataclass
class PartData:
    """One catalogue row as the import and the API hand it in."""

    code: str
    name: str
    specification: str = ""
    unit: str = "个"
    unit_cost: Decimal = ZERO
    category: str = ""
    compatible_models: tuple[str, ...] = ()


@transaction.atomic
def part_save(*, actor: User, data: PartData) -> tuple[Part, bool]:
    """Create the part with this code, or update it. Returns (part, created)."""
    if not permissions.can_keep_stock(actor):
        raise Forbidden(_("只有仓库管理员可以维护备件目录。"))
    part, created = Part.objects.update_or_create(
        code=data.code,
        defaults={
            "name": data.name,
            "specification": data.specification,
            "unit": data.unit or "个",
            "unit_cost": data.unit_cost,
            "category": data.category,
            "compatible_models": list(data.compatible_models),
            "is_active": True,
        },
    )
    return part, created


# --- charging ---------------------------------------------------------------------


def _warranty_end(asset: Any) -> datetime.date | None:
    """The machine's warranty end, whichever name the registry gives it."""
    for name in ("warranty_end", "warranty_until", "warranty_expires_on", "warranty_end_date"):
        value = getattr(asset, name, None)
        if isinstance(value, datetime.datetime):
            return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        if isinstance(value, datetime.date):
            return value
    return None


def charge_basis(order: WorkOrder, at: datetime.datetime | None = None) -> str:
    """Who pays for the parts: an after-sales order (one with a customer) goes to
    warranty while the machine is under warranty, else to the customer; the
    plant's own repairs are internal."""
    asset = order.asset
    customer = order.customer or (asset.customer if asset else "")
    if not customer:
        return ChargeTo.INTERNAL
    end = _warranty_end(asset) if asset else None
    day = timezone.localtime(at or order.created_at).date()
    if end is not None and day <= end:
        return ChargeTo.WARRANTY
    return ChargeTo.CUSTOMER


# --- requisitions -----------------------------------------------------------------


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


def _matching_rules(amount: Decimal, categories: set[str], team_id: int | None) -> list[Any]:
    rules = []
    for rule in ApprovalRule.objects.filter(is_active=True).prefetch_related("teams"):
        if rule.amount_over is not None and amount <= rule.amount_over:
            continue
        if rule.categories and not categories & set(rule.categories):
            continue
        team_ids = {t.pk for t in rule.teams.all()}
        if team_ids and team_id not in team_ids:
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: (r.level, r.pk))


def _approver_for(rule: ApprovalRule, requester: User) -> tuple[User | None, str]:
    """(named approver, role) for a rule; a team without a leader falls back to the
    dispatchers, who supervise every team."""
    if rule.approver_kind == ApproverKind.USER and rule.approver_user_id:
        return rule.approver_user, ""
    if rule.approver_kind == ApproverKind.TEAM_LEADER:
        leader = requester.team.leader if requester.team_id and requester.team else None
        if leader is not None and leader.is_active:
            return leader, ""
        return None, Role.DISPATCHER
    return None, rule.approver_role or Role.MANAGER


def _activate(step: ApprovalStep, now: datetime.datetime) -> None:
    limit = datetime.timedelta(minutes=step.limit_minutes)
    step.status = StepStatus.PENDING
    step.activated_at = now
    step.due_at = add_business_time(now, limit)
    step.escalate_at = add_business_time(
        now, limit + datetime.timedelta(minutes=step.escalate_after_minutes)
    )
    step.save(update_fields=["status", "activated_at", "due_at", "escalate_at"])


def step_deciders(step: ApprovalStep) -> list[User]:
    """Everyone who may decide the step now (for messages)."""
    people: list[User] = []
    if step.approver_id and step.approver is not None:
        people.append(step.approver)
    elif step.approver_role:
        people.extend(User.objects.filter(role=step.approver_role, is_active=True))
    if step.escalated_at and step.deputy is not None and step.deputy not in people:
        people.append(step.deputy)
    return people


def _ask(step: ApprovalStep, requisition: Requisition, template: str, urgent: bool) -> None:
    context = {
        "requisition": requisition.number,
        "order": requisition.order.number,
        "amount": _fmt(requisition.amount),
        "requester": str(requisition.requester or ""),
        "step": step.name,
        "lines": _lines_summary(requisition),
    }
    for person in step_deciders(step):
        notify(
            recipient=person,
            template=template,
            context=context,
            order=requisition.order,
            urgent=urgent,
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


def _approve_finally(requisition: Requisition, actor: User | None, now: datetime.datetime) -> None:
    """All signatures are in: the warehouse gets the pick list."""
    Requisition.objects.filter(pk=requisition.pk).update(
        status=RequisitionStatus.APPROVED, approved_at=now, updated_at=now
    )
    requisition.status = RequisitionStatus.APPROVED
    requisition.approved_at = now
    _requisition_event(
        requisition,
        "parts_approval_complete",
        actor,
        {"amount": _fmt(requisition.amount)},
        now,
    )
    for keeper in _keepers(requisition.warehouse):
        notify(
            recipient=keeper,
            template="parts_pick_list",
            context={
                "requisition": requisition.number,
                "order": requisition.order.number,
                "warehouse": requisition.warehouse.name,
                "lines": _lines_summary(requisition),
            },
            order=requisition.order,
            urgent=requisition.order.priority == "red",
        )


@transaction.atomic
def requisition_decide(
    *,
    actor: User,
    requisition: Requisition,
    step: ApprovalStep,
    approve: bool,
    version: Any,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> Requisition:
    """Approve or reject one step. A rejection ends the requisition; the last approval
    sends it to the warehouse. Deciding a step that is already decided is a conflict."""
    requisition = _lock(requisition, version)
    step = (
        ApprovalStep.objects.select_related("approver", "deputy")
        .filter(pk=step.pk, requisition=requisition)
        .get()
    )
    if not permissions.can_decide(actor, step):
        raise Forbidden(_("您不是“%(step)s”的审批人。") % {"step": step.name})
    if step.status != StepStatus.PENDING:
        raise Conflict(
            _("该审批环节已处理（%(status)s），不能重复审批。")
            % {"status": step.get_status_display()},
            {"step": _("已处理。")},
        )
    comment = _text(comment, "comment", 500, required=not approve)
    now = at or timezone.now()
    claimed = ApprovalStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
        status=StepStatus.APPROVED if approve else StepStatus.REJECTED,
        decided_by=actor,
        decided_at=now,
        comment=comment,
    )
    if claimed != 1:
        raise Conflict(_("该审批环节已处理，不能重复审批。"), {"step": _("已处理。")})
    _guarded_save(requisition, version, updated_at=now)
    data = {
        "step": step.name,
        "position": step.position,
        "amount": _fmt(requisition.amount),
        **({"comment": comment} if comment else {}),
        **({"as_deputy": True} if step.approver_id and step.approver_id != actor.pk else {}),
    }
    if not approve:
        requisition.steps.filter(status=StepStatus.WAITING).update(status=StepStatus.SKIPPED)
        Requisition.objects.filter(pk=requisition.pk).update(status=RequisitionStatus.REJECTED)
        requisition.status = RequisitionStatus.REJECTED
        _requisition_event(requisition, "parts_rejected", actor, data, now)
        notify(
            recipient=requisition.requester,
            template="parts_rejected",
            context={
                "requisition": requisition.number,
                "order": requisition.order.number,
                "step": step.name,
                "by": str(actor),
                "comment": comment,
            },
            order=requisition.order,
        )
        return requisition
    _requisition_event(requisition, "parts_approved", actor, data, now)
    following = (
        requisition.steps.filter(status=StepStatus.WAITING).order_by("position", "id").first()
    )
    if following is None:
        _approve_finally(requisition, actor, now)
    else:
        _activate(following, now)
        _ask(
            following,
            requisition,
            "parts_approval_requested",
            urgent=requisition.order.priority == "red",
        )
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


# --- escalation (called by the ticker) ---------------------------------------------


def _deputy_for(step: ApprovalStep) -> User | None:
    """The rule's deputy, else a manager (not the approver), else an administrator."""
    if step.deputy_id and step.deputy is not None and step.deputy.is_active:
        return step.deputy
    people = User.objects.filter(is_active=True).exclude(pk=step.approver_id or 0)
    return (
        people.filter(role=Role.MANAGER).order_by("id").first()
        or people.filter(role=Role.ADMIN).order_by("id").first()
    )


@transaction.atomic
def approval_step_remind(*, step_id: int, now: datetime.datetime) -> bool:
    """Remind the approver of a step past its limit. The guarded UPDATE is the claim:
    two tickers never remind twice."""
    claimed = ApprovalStep.objects.filter(
        pk=step_id, status=StepStatus.PENDING, reminded_at__isnull=True, due_at__lte=now
    ).update(reminded_at=now)
    if claimed != 1:
        return False
    step = ApprovalStep.objects.select_related(
        "requisition__order", "requisition__requester", "approver", "deputy"
    ).get(pk=step_id)
    requisition = step.requisition
    _requisition_event(
        requisition,
        "parts_approval_reminded",
        None,
        {"step": step.name, "approver": str(step.approver or step.get_approver_role_display())},
        now,
    )
    _ask(step, requisition, "parts_approval_reminder", urgent=False)
    return True


@transaction.atomic
def approval_step_escalate(*, step_id: int, now: datetime.datetime) -> bool:
    """Hand a step that is still waiting to the approver's deputy (or a manager)."""
    claimed = ApprovalStep.objects.filter(
        pk=step_id, status=StepStatus.PENDING, escalated_at__isnull=True, escalate_at__lte=now
    ).update(escalated_at=now)
    if claimed != 1:
        return False
    step = ApprovalStep.objects.select_related(
        "requisition__order", "requisition__requester", "approver", "deputy"
    ).get(pk=step_id)
    deputy = _deputy_for(step)
    if deputy is not None and deputy.pk != step.deputy_id:
        ApprovalStep.objects.filter(pk=step.pk).update(deputy=deputy)
        step.deputy = deputy
    requisition = step.requisition
    _requisition_event(
        requisition,
        "parts_approval_escalated",
        None,
        {
            "step": step.name,
            "approver": str(step.approver or step.get_approver_role_display()),
            "deputy": deputy.username if deputy else None,
        },
        now,
    )
    if deputy is not None:
        notify(
            recipient=deputy,
            template="parts_approval_escalated",
            context={
                "requisition": requisition.number,
                "order": requisition.order.number,
                "amount": _fmt(requisition.amount),
                "step": step.name,
                "approver": str(step.approver or ""),
            },
            order=requisition.order,
            urgent=True,
        )
    return True
