"""PostgreSQL, with timestamps parsed by the standard library's ISO parser.

Django reads every ``timestamptz`` column through its own loader, to give each value
the connection's time zone: psycopg's pure-Python parser (Django's loader derives
from it, so psycopg's compiled one is not used) and then a ``replace`` of the zone —
about 3 µs a value, a fifth of a report's time, which reads a few hundred thousand.
PostgreSQL writes a timestamp as ISO 8601 text in the session's zone, which Django
sets to the connection's: ``datetime.fromisoformat`` reads it in a fraction of the
time, and a value in the connection's zone needs no change. Any other form the
server may write (another ``DateStyle``, infinity, dates before the common era) goes
to Django's loader as before.
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import BaseTzLoader, get_adapters_template
from psycopg.adapt import AdaptersMap


class IsoTzLoader(BaseTzLoader):  # type: ignore[misc]  # psycopg's loaders are untyped here
    """Django's ``timestamptz`` loader with the common case read by ``fromisoformat``."""

    timezone: datetime.tzinfo | None = None

    def load(self, data: Any) -> datetime.datetime:
        zone = self.timezone
        if zone is None:  # naive values (no USE_TZ): Django's way
            return super().load(data)  # type: ignore[no-any-return]
        try:
            value = datetime.datetime.fromisoformat(str(data, "ascii"))
        except ValueError:
            return super().load(data)  # type: ignore[no-any-return]
        # Written in the session's zone, which is the connection's: as it is.
        return value if value.tzinfo is zone else value.astimezone(zone)


@functools.cache
def _adapters(use_tz: bool, zone: datetime.tzinfo | None) -> AdaptersMap:
    """Django's adapters for a new connection, with the faster ``timestamptz`` loader
    for the connection's zone (what Django's cursors compare with theirs before
    registering a loader of their own)."""
    adapters = AdaptersMap(get_adapters_template(use_tz, zone))
    loader = type("ConnectionZoneTzLoader", (IsoTzLoader,), {"timezone": zone})
    adapters.register_loader("timestamptz", loader)
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        params["context"] = _adapters(settings.USE_TZ, self.timezone)
        return params
