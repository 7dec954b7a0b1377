"""Where machines and engineers are: the distance the nearest strategy weighs, and
the update that records where an engineer was last seen.

An order's position is its machine's routing coordinates, else the equipment
registry's, else a location in its data; an engineer's is where they were last
seen while that is fresh, else their home.
"""

from __future__ import annotations

import datetime
import math

from django.db import transaction
from django.utils import timezone

from gongdan.core.cache import ProcessCache
from gongdan.core.models import User
from gongdan.workorders.models import WorkOrder

from ..models import AssetPosition, EngineerPosition

# A last known position older than this says nothing about where someone is now.
FRESH_POSITION = datetime.timedelta(hours=12)


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# Machines' routing coordinates by asset id (set by administrators, read per order).
_asset_positions = ProcessCache(
    lambda: {
        a: (lat, lng) for a, lat, lng in AssetPosition.objects.values_list("asset_id", "lat", "lng")
    },
    models=(AssetPosition,),
)


def _order_position(order: WorkOrder) -> tuple[float, float] | None:
    if order.asset_id:
        pos = _asset_positions.get().get(order.asset_id)
        if pos is not None:
            return pos
        # Else the equipment registry's coordinates (the machine's, or its site's).
        if order.asset is not None and (where := order.asset.coordinates) is not None:
            return where
    for value in (order.data or {}).values():
        if isinstance(value, dict) and {"lat", "lng"} <= value.keys():
            try:
                return float(value["lat"]), float(value["lng"])
            except (TypeError, ValueError):
                continue
    return None


def _user_positions(users: list[User], now: datetime.datetime) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for pos in EngineerPosition.objects.filter(user__in=users):
        fresh = pos.last_seen_at is not None and now - pos.last_seen_at <= FRESH_POSITION
        if fresh and pos.last_lat is not None and pos.last_lng is not None:
            out[pos.user_id] = (pos.last_lat, pos.last_lng)
        elif pos.home_lat is not None and pos.home_lng is not None:
            out[pos.user_id] = (pos.home_lat, pos.home_lng)
    return out


@transaction.atomic
def engineer_position_update(
    *, user: User, lat: float, lng: float, at: datetime.datetime | None = None
) -> EngineerPosition:
    """Remember where an engineer was just seen (depart, arrive, check-in)."""
    position, _created = EngineerPosition.objects.get_or_create(user=user)
    position.last_lat, position.last_lng = lat, lng
    position.last_seen_at = at or timezone.now()
    position.save()
    return position
