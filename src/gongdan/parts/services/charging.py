"""Who pays for a requisition's parts: warranty, the customer, or the plant."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from gongdan.workorders.models import WorkOrder

from ..models import ChargeTo


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
