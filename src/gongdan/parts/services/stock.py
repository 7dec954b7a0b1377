"""Stock on the shelf: goods in, stocktake adjustments, transfers, low-stock thresholds.

Every change is one guarded UPDATE that records a movement and warns the keeper
when the stock falls to its threshold.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.errors import Conflict, Forbidden, ValidationFailed
from gongdan.core.models import Role, User
from gongdan.workorders.models import WorkOrder

from .. import permissions
from ..integrations import notify
from ..messages import LOW_STOCK
from ..models import MovementKind, Part, Requisition, Stock, StockMovement, Warehouse
from .common import _fmt, _money, _text, clean_quantity


class OutOfStock(Conflict):
    code = "out_of_stock"


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
