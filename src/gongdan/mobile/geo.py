"""Distances and travel estimates for the engineer's trip to a machine."""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_000
# Roads are rarely straight: the great-circle distance times this is a fair
# guess of the driving distance in and around industrial parks.
DETOUR_FACTOR = 1.3


@dataclass(frozen=True)
class Position:
    """A position the phone reported, in WGS-84 degrees; accuracy in metres."""

    lat: float
    lng: float
    accuracy: float | None = None


def parse_position(
    lat: str | None, lng: str | None, accuracy: str | None = None
) -> Position | None:
    """A Position from form fields, or None when absent or out of range."""
    try:
        la, ln = float(lat or ""), float(lng or "")
    except ValueError:
        return None
    if not (math.isfinite(la) and math.isfinite(ln) and -90 <= la <= 90 and -180 <= ln <= 180):
        return None
    try:
        acc: float | None = float(accuracy) if accuracy else None
    except ValueError:
        acc = None
    if acc is not None and not (math.isfinite(acc) and acc >= 0):
        acc = None
    return Position(la, ln, acc)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lat, lng) points, in metres."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def travel_eta(distance_m: float, *, speed_kmh: float, now: datetime.datetime) -> datetime.datetime:
    """When someone leaving now at ``speed_kmh`` should arrive (at least a minute away)."""
    hours = distance_m * DETOUR_FACTOR / 1000 / max(speed_kmh, 1)
    return now + max(datetime.timedelta(hours=hours), datetime.timedelta(minutes=1))
