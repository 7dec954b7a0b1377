"""Reads of the equipment registry, shaped for its screens."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from gongdan.core.cache import KeyedProcessCache
from gongdan.core.models import Region
from gongdan.workorders.models import WorkOrder

from .models import Asset, Site


def asset_list(
    *, q: str = "", site: str = "", region: str = "", customer: str = ""
) -> QuerySet[Asset]:
    qs = Asset.objects.select_related("site", "area", "line", "region")
    if site:
        qs = qs.filter(site__code=site)
    if region:
        qs = qs.filter(region__code=region)
    if customer.strip():
        qs = qs.filter(customer__icontains=customer.strip())
    if q.strip():
        text = q.strip()
        qs = qs.filter(
            Q(code__icontains=text)
            | Q(name__icontains=text)
            | Q(model__icontains=text)
            | Q(serial_number__icontains=text)
            | Q(customer__icontains=text)
        )
    return qs.order_by("code")


def asset_by_code(code: str) -> Asset | None:
    return Asset.objects.select_related("site", "area", "line", "region").filter(code=code).first()


# Machines named by new orders, by code: an integration reports against the same
# machines over and over, and the look-up cost more than the order's INSERT.
_named: KeyedProcessCache[str, Asset] = KeyedProcessCache(
    lambda code: Asset.objects.select_related("site", "region").filter(code=code).first(),
    models=(Asset, Site, Region),
)


def asset_named(code: str) -> Asset | None:
    """The machine with this code for a new order to point at. The same object serves
    every thread of the process: read it, never change or save it."""
    return _named.get(code)


def asset_order_history(
    *, asset: Asset, user: Any, limit: int | None = None
) -> QuerySet[WorkOrder]:
    """The machine's orders that ``user`` may see, newest first."""
    qs = (
        WorkOrder.objects.visible_to(user)
        .filter(asset=asset)
        .select_related("type", "state", "assignee")
        .order_by("-created_at", "-id")
    )
    return qs[:limit] if limit else qs
