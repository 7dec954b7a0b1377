"""REST endpoints for parts, stock and requisitions. Parse, authorize, call a service."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from gongdan.core.errors import Forbidden, NotFound, ValidationFailed
from gongdan.core.models import User, request_user
from gongdan.workorders.api import ERRORS, UserRef
from gongdan.workorders.models import WorkOrder

from . import permissions, selectors, services, spreadsheets
from .models import ApprovalStep, Part, Requisition, Stock, StockMovement, Warehouse

router = Router(tags=["parts"])


# --- schemas -------------------------------------------------------------------


class PartOut(Schema):
    code: str
    name: str
    specification: str
    unit: str
    unit_cost: Decimal
    category: str
    compatible_models: list[str]
    fits_machine: bool = False


class StockOut(Schema):
    part: str
    part_name: str
    warehouse: str
    quantity: Decimal
    low_threshold: Decimal
    is_low: bool


class MovementOut(Schema):
    kind: str
    part: str
    warehouse: str
    quantity: Decimal
    balance_after: Decimal
    actor: str | None
    reason: str
    order: str | None
    created_at: datetime.datetime


class StockChangeIn(Schema):
    part: str
    warehouse: str
    quantity: Decimal
    unit_cost: Decimal | None = None
    reason: str = ""


class TransferIn(Schema):
    part: str
    source: str
    target: str
    quantity: Decimal
    reason: str = ""


class ThresholdIn(Schema):
    part: str
    warehouse: str
    threshold: Decimal


class LineIn(Schema):
    part: str
    quantity: Decimal


class RequisitionIn(Schema):
    order: str
    lines: list[LineIn]
    warehouse: str | None = None
    note: str = ""


class LineOut(Schema):
    id: int
    part: str
    part_name: str
    unit: str
    quantity: Decimal
    unit_cost: Decimal
    quantity_issued: Decimal
    quantity_returned: Decimal


class StepOut(Schema):
    id: int
    position: int
    name: str
    status: str
    approver: UserRef | None
    approver_role: str
    deputy: UserRef | None
    due_at: datetime.datetime | None
    escalated_at: datetime.datetime | None
    decided_by: UserRef | None
    decided_at: datetime.datetime | None
    comment: str


class RequisitionOut(Schema):
    id: int
    number: str
    order: str
    status: str
    status_name: str
    requester: UserRef | None
    warehouse: str
    amount: Decimal
    charge_to: str
    note: str
    version: int
    created_at: datetime.datetime
    approved_at: datetime.datetime | None
    issued_at: datetime.datetime | None
    received_at: datetime.datetime | None
    lines: list[LineOut]
    steps: list[StepOut]


class DecisionIn(Schema):
    decision: str
    version: int
    comment: str = ""


class VersionIn(Schema):
    version: int
    reason: str = ""


class ReturnLineIn(Schema):
    line: int
    quantity: Decimal


class ReturnIn(Schema):
    version: int
    lines: list[ReturnLineIn]
    reason: str = ""


class OrderCostOut(Schema):
    order: str
    total: Decimal
    by_charge: dict[str, Decimal]
    pending_amount: Decimal
    charge_to: str


class ImportOut(Schema):
    dry_run: bool
    ok: bool
    created: list[str]
    updated: list[str]
    errors: list[dict[str, Any]]


# --- helpers -------------------------------------------------------------------


def _ref(user: User | None) -> UserRef | None:
    return UserRef(username=user.username, name=str(user)) if user else None


def _part(code: str, field: str = "part") -> Part:
    part = Part.objects.filter(code=code).first()
    if part is None:
        raise ValidationFailed(_("找不到该备件。"), {field: _("找不到备件 %(c)s。") % {"c": code}})
    return part


def _warehouse(code: str | None, field: str = "warehouse") -> Warehouse:
    warehouse = Warehouse.objects.filter(code=code or "").first()
    if warehouse is None:
        raise ValidationFailed(_("找不到该仓库。"), {field: _("找不到仓库 %(c)s。") % {"c": code}})
    return warehouse


def _order(request: HttpRequest, number: str) -> WorkOrder:
    order = (
        WorkOrder.objects.visible_to(request_user(request))
        .select_related("asset")
        .filter(number=number)
        .first()
    )
    if order is None:
        raise NotFound(_("找不到工单 %(number)s，或您无权查看。") % {"number": number})
    return order


def _requisition(request: HttpRequest, pk: int) -> Requisition:
    try:
        return selectors.requisition_get(user=request_user(request), pk=pk)
    except Requisition.DoesNotExist:
        raise NotFound(_("找不到领料单，或您无权查看。"))


def requisition_out(requisition: Requisition) -> RequisitionOut:
    requisition = selectors.requisition_get_unscoped(requisition.pk)
    return RequisitionOut(
        id=requisition.pk,
        number=requisition.number,
        order=requisition.order.number,
        status=requisition.status,
        status_name=str(requisition.get_status_display()),
        requester=_ref(requisition.requester),
        warehouse=requisition.warehouse.code,
        amount=requisition.amount,
        charge_to=requisition.charge_to,
        note=requisition.note,
        version=requisition.version,
        created_at=requisition.created_at,
        approved_at=requisition.approved_at,
        issued_at=requisition.issued_at,
        received_at=requisition.received_at,
        lines=[
            LineOut(
                id=line.pk,
                part=line.part.code,
                part_name=line.part.name,
                unit=line.part.unit,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
                quantity_issued=line.quantity_issued,
                quantity_returned=line.quantity_returned,
            )
            for line in requisition.lines.all()
        ],
        steps=[_step_out(step) for step in requisition.steps.all()],
    )


def _step_out(step: ApprovalStep) -> StepOut:
    return StepOut(
        id=step.pk,
        position=step.position,
        name=step.name,
        status=step.status,
        approver=_ref(step.approver),
        approver_role=step.approver_role,
        deputy=_ref(step.deputy),
        due_at=step.due_at,
        escalated_at=step.escalated_at,
        decided_by=_ref(step.decided_by),
        decided_at=step.decided_at,
        comment=step.comment,
    )


def _movement_out(movement: StockMovement) -> MovementOut:
    return MovementOut(
        kind=movement.kind,
        part=movement.part.code,
        warehouse=movement.warehouse.code,
        quantity=movement.quantity,
        balance_after=movement.balance_after,
        actor=movement.actor.username if movement.actor else None,
        reason=movement.reason,
        order=movement.order.number if movement.order else None,
        created_at=movement.created_at,
    )


def _stock_out(stock: Stock) -> StockOut:
    return StockOut(
        part=stock.part.code,
        part_name=stock.part.name,
        warehouse=stock.warehouse.code,
        quantity=stock.quantity,
        low_threshold=stock.low_threshold,
        is_low=stock.is_low,
    )


# --- catalogue and stock -----------------------------------------------------------


class CatalogueQuery(Schema):
    order: str | None = None
    q: str = ""


@router.get("/catalogue", response={200: list[PartOut], **ERRORS}, summary="Parts, fitting first")
def catalogue(request: HttpRequest, query: Query[CatalogueQuery]) -> Any:
    order = _order(request, query.order) if query.order else None
    return [
        PartOut(
            code=p.code,
            name=p.name,
            specification=p.specification,
            unit=p.unit,
            unit_cost=p.unit_cost,
            category=p.category,
            compatible_models=p.compatible_models,
            fits_machine=getattr(p, "fits_machine", False),
        )
        for p in selectors.part_suggestions(order=order, q=query.q, limit=100)
    ]


class StockQuery(Schema):
    warehouse: str | None = None
    low: bool = False


@router.get("/stock", response={200: list[StockOut], **ERRORS}, summary="Stock per warehouse")
def stock(request: HttpRequest, query: Query[StockQuery]) -> Any:
    return [
        _stock_out(s) for s in selectors.stock_list(warehouse=query.warehouse, low_only=query.low)
    ]


@router.post("/stock/receive", response={201: MovementOut, **ERRORS}, summary="Goods in")
def stock_receive(request: HttpRequest, payload: StockChangeIn) -> Any:
    movement = services.stock_receive(
        actor=request_user(request),
        part=_part(payload.part),
        warehouse=_warehouse(payload.warehouse),
        quantity=payload.quantity,
        unit_cost=payload.unit_cost,
        reason=payload.reason,
    )
    return Status(201, _movement_out(movement))


@router.post("/stock/adjust", response={201: MovementOut, **ERRORS}, summary="Stocktake correction")
def stock_adjust(request: HttpRequest, payload: StockChangeIn) -> Any:
    movement = services.stock_adjust(
        actor=request_user(request),
        part=_part(payload.part),
        warehouse=_warehouse(payload.warehouse),
        delta=payload.quantity,
        reason=payload.reason,
    )
    return Status(201, _movement_out(movement))


@router.post(
    "/stock/transfer", response={201: list[MovementOut], **ERRORS}, summary="Between warehouses"
)
def stock_transfer(request: HttpRequest, payload: TransferIn) -> Any:
    out, into = services.stock_transfer(
        actor=request_user(request),
        part=_part(payload.part),
        source=_warehouse(payload.source, "source"),
        target=_warehouse(payload.target, "target"),
        quantity=payload.quantity,
        reason=payload.reason,
    )
    return Status(201, [_movement_out(out), _movement_out(into)])


@router.post("/stock/threshold", response={200: StockOut, **ERRORS}, summary="Low-stock level")
def stock_threshold(request: HttpRequest, payload: ThresholdIn) -> Any:
    row = services.stock_threshold_set(
        actor=request_user(request),
        part=_part(payload.part),
        warehouse=_warehouse(payload.warehouse),
        threshold=payload.threshold,
    )
    return _stock_out(Stock.objects.select_related("part", "warehouse").get(pk=row.pk))


class MovementQuery(Schema):
    part: str | None = None
    warehouse: str | None = None
    limit: int = 100


@router.get("/movements", response={200: list[MovementOut], **ERRORS}, summary="Stock movements")
def movements(request: HttpRequest, query: Query[MovementQuery]) -> Any:
    if not permissions.can_keep_stock(request_user(request)) and not request_user(request).has_role(
        "manager"
    ):
        raise Forbidden(_("只有仓库管理员和经理可以查看库存流水。"))
    rows = StockMovement.objects.select_related("part", "warehouse", "actor", "order").order_by(
        "-created_at", "-id"
    )
    if query.part:
        rows = rows.filter(part__code=query.part)
    if query.warehouse:
        rows = rows.filter(warehouse__code=query.warehouse)
    return [_movement_out(m) for m in rows[: max(1, min(query.limit, 1000))]]


@router.post(
    "/import", response={200: ImportOut, **ERRORS}, summary="Import the parts list (.xlsx)"
)
def parts_import(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = True) -> Any:
    report = spreadsheets.parts_import(actor=request_user(request), source=file, dry_run=dry_run)
    return ImportOut(
        dry_run=report.dry_run,
        ok=report.ok,
        created=report.created,
        updated=report.updated,
        errors=report.errors,
    )


@router.get("/export", summary="Stock as .xlsx")
def stock_export(request: HttpRequest, warehouse: str | None = None) -> HttpResponse:
    return xlsx_response(spreadsheets.stock_export(warehouse=warehouse))


def xlsx_response(content: bytes) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d")
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="stock-{stamp}.xlsx"'
    return response


# --- requisitions ------------------------------------------------------------------


@router.post("/requisitions", response={201: RequisitionOut, **ERRORS}, summary="Request parts")
def requisition_create(request: HttpRequest, payload: RequisitionIn) -> Any:
    order = _order(request, payload.order)
    lines = [
        services.LineIn(part=_part(line.part, f"lines.{i}.part"), quantity=line.quantity)
        for i, line in enumerate(payload.lines)
    ]
    requisition = services.requisition_create(
        actor=request_user(request),
        order=order,
        lines=lines,
        warehouse=_warehouse(payload.warehouse) if payload.warehouse else None,
        note=payload.note,
    )
    return Status(201, requisition_out(requisition))


class RequisitionQuery(Schema):
    order: str | None = None
    status: str | None = None
    awaiting_me: bool = False


@router.get("/requisitions", response={200: list[RequisitionOut], **ERRORS}, summary="Requisitions")
def requisition_list(request: HttpRequest, query: Query[RequisitionQuery]) -> Any:
    user = request_user(request)
    rows = selectors.requisitions_visible_to(user)
    if query.awaiting_me:
        rows = rows.filter(pk__in=selectors.awaiting_decision(user).values("requisition_id"))
    if query.order:
        rows = rows.filter(order__number=query.order)
    if query.status:
        rows = rows.filter(status__in=query.status.split(","))
    return [requisition_out(r) for r in rows[:200]]


@router.get("/requisitions/{pk}", response={200: RequisitionOut, **ERRORS}, summary="One")
def requisition_detail(request: HttpRequest, pk: int) -> Any:
    return requisition_out(_requisition(request, pk))


@router.post(
    "/requisitions/{pk}/steps/{step_id}/decision",
    response={200: RequisitionOut, **ERRORS},
    summary="Approve or reject one approval step",
)
def requisition_decide(request: HttpRequest, pk: int, step_id: int, payload: DecisionIn) -> Any:
    requisition = _requisition(request, pk)
    step = requisition.steps.filter(pk=step_id).first()
    if step is None:
        raise NotFound(_("找不到该审批环节。"))
    if payload.decision not in ("approve", "reject"):
        raise ValidationFailed(_("请选择同意或驳回。"), {"decision": _("应为 approve 或 reject。")})
    requisition = services.requisition_decide(
        actor=request_user(request),
        requisition=requisition,
        step=step,
        approve=payload.decision == "approve",
        version=payload.version,
        comment=payload.comment,
    )
    return requisition_out(requisition)


@router.post("/requisitions/{pk}/issue", response={200: RequisitionOut, **ERRORS}, summary="Issue")
def requisition_issue(request: HttpRequest, pk: int, payload: VersionIn) -> Any:
    requisition = services.requisition_issue(
        actor=request_user(request), requisition=_requisition(request, pk), version=payload.version
    )
    return requisition_out(requisition)


@router.post(
    "/requisitions/{pk}/receive",
    response={200: RequisitionOut, **ERRORS},
    summary="Confirm receipt",
)
def requisition_receive(request: HttpRequest, pk: int, payload: VersionIn) -> Any:
    requisition = services.requisition_receive(
        actor=request_user(request), requisition=_requisition(request, pk), version=payload.version
    )
    return requisition_out(requisition)


@router.post(
    "/requisitions/{pk}/return", response={200: RequisitionOut, **ERRORS}, summary="Return unused"
)
def requisition_return(request: HttpRequest, pk: int, payload: ReturnIn) -> Any:
    requisition = services.requisition_return(
        actor=request_user(request),
        requisition=_requisition(request, pk),
        quantities={line.line: line.quantity for line in payload.lines},
        version=payload.version,
        reason=payload.reason,
    )
    return requisition_out(requisition)


@router.post(
    "/requisitions/{pk}/cancel", response={200: RequisitionOut, **ERRORS}, summary="Withdraw"
)
def requisition_cancel(request: HttpRequest, pk: int, payload: VersionIn) -> Any:
    requisition = services.requisition_cancel(
        actor=request_user(request),
        requisition=_requisition(request, pk),
        version=payload.version,
        reason=payload.reason,
    )
    return requisition_out(requisition)


@router.get(
    "/orders/{number}/cost",
    response={200: OrderCostOut, **ERRORS},
    summary="Parts cost of an order",
)
def order_cost(request: HttpRequest, number: str) -> Any:
    order = _order(request, number)
    cost = selectors.order_parts_cost(order)
    return OrderCostOut(
        order=order.number,
        total=cost.total,
        by_charge=cost.by_charge,
        pending_amount=cost.pending_amount,
        charge_to=services.charge_basis(order),
    )
