"""Permission-scoped reads of parts data, and the figures the reports use.

Figures are computed from the requisition lines (issued − returned at the cost
frozen on the line) and from the stock movements, so every number can be traced
back to the orders and movements behind it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek

from gongdan.workorders.models import WorkOrder

from .integrations import business_time_between
from .models import (
    ZERO,
    ApprovalStep,
    ChargeTo,
    MovementKind,
    Part,
    Requisition,
    RequisitionLine,
    RequisitionStatus,
    StepStatus,
    Stock,
    StockMovement,
)

MONEY_FIELD: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=4)


def requisitions_visible_to(user: Any) -> QuerySet[Requisition]:
    """Requisitions of orders the user may see, plus those waiting for their signature."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Requisition.objects.none()
    orders = WorkOrder.objects.visible_to(user)
    mine = Q(steps__approver=user) | Q(steps__deputy=user, steps__escalated_at__isnull=False)
    if user.role:
        mine |= Q(steps__approver__isnull=True, steps__approver_role=user.role)
    ids = Requisition.objects.filter(Q(order__in=orders) | mine).values("pk")
    return Requisition.objects.filter(pk__in=ids).select_related(
        "order", "requester", "warehouse", "team"
    )


def requisition_get(*, user: Any, pk: int) -> Requisition:
    """One visible requisition; raises Requisition.DoesNotExist otherwise."""
    return (
        requisitions_visible_to(user)
        .prefetch_related("lines__part", "steps__approver", "steps__decided_by", "steps__deputy")
        .get(pk=pk)
    )


def requisition_get_unscoped(pk: int) -> Requisition:
    """A requisition with everything its detail shows, for callers that already checked."""
    return (
        Requisition.objects.select_related("order", "requester", "warehouse", "team")
        .prefetch_related("lines__part", "steps__approver", "steps__decided_by", "steps__deputy")
        .get(pk=pk)
    )


def awaiting_decision(user: Any) -> QuerySet[ApprovalStep]:
    """The pending steps this user may sign now, oldest first (the approver's inbox)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return ApprovalStep.objects.none()
    mine = Q(approver=user) | Q(deputy=user, escalated_at__isnull=False)
    if user.role:
        mine |= Q(approver__isnull=True, approver_role=user.role)
    return (
        ApprovalStep.objects.filter(mine, status=StepStatus.PENDING)
        .select_related("requisition__order", "requisition__requester", "approver")
        .order_by("activated_at", "id")
    )


def pick_list() -> QuerySet[Requisition]:
    """Approved requisitions the warehouse still has to issue, red orders first."""
    return (
        Requisition.objects.filter(status=RequisitionStatus.APPROVED)
        .select_related("order", "requester", "warehouse")
        .prefetch_related("lines__part")
        .order_by("order__priority_rank", "approved_at", "id")
    )


def part_suggestions(*, order: WorkOrder | None, q: str = "", limit: int = 30) -> list[Part]:
    """Active parts, those compatible with the order's machine first."""
    parts = Part.objects.filter(is_active=True)
    if q:
        parts = parts.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(specification__icontains=q)
        )
    rows = list(parts.order_by("code")[:500])
    machine = ""
    if order is not None and order.asset_id and order.asset is not None:
        machine = f"{order.asset.name} {getattr(order.asset, 'model', '') or ''}".lower()

    def fits(part: Part) -> bool:
        return bool(machine) and any(
            str(m).strip().lower() in machine for m in part.compatible_models if str(m).strip()
        )

    rows.sort(key=lambda p: (not fits(p), p.code))
    for part in rows:
        part.fits_machine = fits(part)  # type: ignore[attr-defined]
    return rows[:limit]


def stock_list(*, warehouse: str | None = None, low_only: bool = False) -> QuerySet[Stock]:
    rows = Stock.objects.select_related("part", "warehouse").order_by(
        "warehouse__code", "part__code"
    )
    if warehouse:
        rows = rows.filter(warehouse__code=warehouse)
    if low_only:
        rows = rows.filter(low_threshold__gt=0, quantity__lte=F("low_threshold"))
    return rows


# --- cost on the order -------------------------------------------------------------


@dataclass
class OrderPartsCost:
    """What an order's parts cost: issued − returned at cost, split by who pays."""

    total: Decimal = ZERO
    by_charge: dict[str, Decimal] = field(default_factory=dict)
    pending_amount: Decimal = ZERO

    @property
    def charge_labels(self) -> list[tuple[str, Decimal]]:
        return [(str(ChargeTo(k).label), v) for k, v in sorted(self.by_charge.items())]


def _used_value() -> ExpressionWrapper:
    return ExpressionWrapper(
        (F("quantity_issued") - F("quantity_returned")) * F("unit_cost"),
        output_field=MONEY_FIELD,
    )


def order_parts_cost(order: WorkOrder) -> OrderPartsCost:
    """The parts cost shown on the order, and what is still waiting for approval/issue."""
    cost = OrderPartsCost()
    rows = (
        RequisitionLine.objects.filter(requisition__order=order)
        .values("requisition__charge_to")
        .annotate(value=Sum(_used_value()))
    )
    for row in rows:
        value = (row["value"] or ZERO).quantize(Decimal("0.01"))
        if value:
            cost.by_charge[row["requisition__charge_to"]] = value
            cost.total += value
    pending = Requisition.objects.filter(
        order=order, status__in=[RequisitionStatus.PENDING, RequisitionStatus.APPROVED]
    ).aggregate(s=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY_FIELD))["s"]
    cost.pending_amount = Decimal(pending).quantize(Decimal("0.01"))
    cost.total = cost.total.quantize(Decimal("0.01"))
    return cost


# --- figures for reports -------------------------------------------------------------

GROUPS = {
    "order": ("requisition__order__number",),
    "asset": ("requisition__order__asset__code",),
    "customer": ("requisition__order__customer",),
    "charge": ("requisition__charge_to",),
}
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


def parts_cost(
    *,
    by: str = "order",
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    orders: QuerySet[WorkOrder] | None = None,
) -> list[dict[str, Any]]:
    """Parts cost (issued − returned at cost) grouped by order, asset, customer, charge
    or period (day/week/month of issue), for requisitions issued in [start, end).

    Pass ``orders`` (e.g. ``WorkOrder.objects.visible_to(user)``) to scope it.
    Returns ``[{"key": …, "cost": Decimal}]``, largest first (periods in time order).
    """
    lines = RequisitionLine.objects.filter(requisition__issued_at__isnull=False)
    if start is not None:
        lines = lines.filter(requisition__issued_at__gte=start)
    if end is not None:
        lines = lines.filter(requisition__issued_at__lt=end)
    if orders is not None:
        lines = lines.filter(requisition__order__in=orders)
    if by in PERIODS:
        rows = (
            lines.annotate(key=PERIODS[by]("requisition__issued_at"))
            .values("key")
            .annotate(cost=Sum(_used_value()))
            .order_by("key")
        )
        return [{"key": r["key"], "cost": _q(r["cost"])} for r in rows]
    if by not in GROUPS:
        raise ValueError(f"unknown grouping {by!r}")
    (column,) = GROUPS[by]
    rows = lines.values(column).annotate(cost=Sum(_used_value())).order_by("-cost", column)
    return [{"key": r[column], "cost": _q(r["cost"])} for r in rows]


def _q(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


@dataclass
class ApprovalTimes:
    """Time from request to final approval, in business time when a calendar exists."""

    count: int
    within_limit: int
    average: datetime.timedelta | None
    longest: datetime.timedelta | None
    rows: list[tuple[str, datetime.timedelta]]

    @property
    def within_limit_rate(self) -> float | None:
        return self.within_limit / self.count if self.count else None


def approval_times(
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    limit: datetime.timedelta = datetime.timedelta(hours=2),
    orders: QuerySet[WorkOrder] | None = None,
) -> ApprovalTimes:
    """Request → approval for requisitions requested in [start, end) that needed a
    signature — the brief's "approved within two hours"."""
    reqs = Requisition.objects.filter(approved_at__isnull=False, steps__isnull=False).distinct()
    if start is not None:
        reqs = reqs.filter(created_at__gte=start)
    if end is not None:
        reqs = reqs.filter(created_at__lt=end)
    if orders is not None:
        reqs = reqs.filter(order__in=orders)
    rows = []
    for number, created, approved in reqs.values_list("number", "created_at", "approved_at"):
        if approved is not None:
            rows.append((number, business_time_between(created, approved)))
    if not rows:
        return ApprovalTimes(0, 0, None, None, [])
    total = sum((d for _n, d in rows), datetime.timedelta())
    return ApprovalTimes(
        count=len(rows),
        within_limit=sum(1 for _n, d in rows if d <= limit),
        average=total / len(rows),
        longest=max(d for _n, d in rows),
        rows=rows,
    )


@dataclass
class Turnover:
    part: str
    warehouse: str
    issued_value: Decimal
    average_stock_value: Decimal

    @property
    def turnover(self) -> Decimal | None:
        if not self.average_stock_value:
            return None
        return (self.issued_value / self.average_stock_value).quantize(Decimal("0.01"))


def inventory_turnover(*, start: datetime.datetime, end: datetime.datetime) -> list[Turnover]:
    """Per part and warehouse: value issued (net of returns) over the period divided by
    the average of the opening and closing stock value — rebuilt from the movements."""
    after_start: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    after_end: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    issued: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    for row in (
        StockMovement.objects.filter(created_at__gte=start)
        .values("part_id", "warehouse_id", "kind", "created_at", "quantity", "unit_cost")
        .iterator()
    ):
        key = (row["part_id"], row["warehouse_id"])
        after_start[key] += row["quantity"]
        if row["created_at"] >= end:
            after_end[key] += row["quantity"]
        elif row["kind"] in (MovementKind.ISSUE, MovementKind.RETURN):
            issued[key] += -row["quantity"] * row["unit_cost"]
    result = []
    for stock in Stock.objects.select_related("part", "warehouse"):
        key = (stock.part_id, stock.warehouse_id)
        opening = stock.quantity - after_start[key]
        closing = stock.quantity - after_end[key]
        average_value = (opening + closing) / 2 * stock.part.unit_cost
        if not issued[key] and not average_value:
            continue
        result.append(
            Turnover(
                part=stock.part.code,
                warehouse=stock.warehouse.code,
                issued_value=issued[key].quantize(Decimal("0.01")),
                average_stock_value=average_value.quantize(Decimal("0.01")),
            )
        )
    result.sort(key=lambda t: (-(t.turnover or 0), t.part, t.warehouse))
    return result
