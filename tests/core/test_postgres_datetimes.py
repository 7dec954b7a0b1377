"""PostgreSQL timestamps read by ``fromisoformat`` are the values Django's own loader
gives — the same instants in the connection's zone — for every form the server
writes, and what cannot be read that way goes to Django's loader."""

from __future__ import annotations

import datetime
import zoneinfo

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import get_adapters_template

from gongdan.core.postgresql.base import IsoTzLoader, _adapters

UTC = datetime.UTC
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
TIMESTAMPTZ = psycopg.adapters.types["timestamptz"].oid
TEXT = psycopg.pq.Format.TEXT


def _loaders(zone: datetime.tzinfo | None) -> tuple[object, object]:
    ours = _adapters(zone is not None, zone).get_loader(TIMESTAMPTZ, TEXT)
    django = get_adapters_template(zone is not None, zone).get_loader(TIMESTAMPTZ, TEXT)
    assert ours is not None and django is not None
    return ours(TIMESTAMPTZ), django(TIMESTAMPTZ)


WRITTEN = [
    b"2026-11-26 07:28:46.690123+00",
    b"2026-11-26 07:28:46+00",
    b"2026-11-26 15:28:46.5+08",
    b"2026-11-26 02:58:46.5+05:30",
    b"1901-12-13 20:45:52+08:05:43",  # a local mean time offset, with seconds
    b"2026-11-26 04:28:46.000001-03",
]


@pytest.mark.parametrize("written", WRITTEN)
def test_in_utc_a_timestamp_is_read_exactly_as_djangos_loader_reads_it(written):
    # gongdan's configuration: the connection's zone and the session's are UTC.
    ours, django = _loaders(UTC)
    for data in (written, memoryview(written)):  # psycopg hands over either
        read, expected = ours.load(data), django.load(data)
        assert read == expected
        assert read.tzinfo is expected.tzinfo is UTC
        assert read.timetuple() == expected.timetuple()
        assert read.microsecond == expected.microsecond


@pytest.mark.parametrize("written", WRITTEN)
def test_in_another_zone_the_instant_comes_in_that_zone(written):
    ours, _django = _loaders(SHANGHAI)
    read = ours.load(written)
    assert read == datetime.datetime.fromisoformat(written.decode())  # the same instant
    assert read.tzinfo is SHANGHAI


@pytest.mark.parametrize("written", WRITTEN)
def test_without_time_zones_the_values_are_djangos(written):
    ours, django = _loaders(None)
    assert ours.load(written) == django.load(written)
    assert ours.load(written).tzinfo is None


def test_what_fromisoformat_cannot_read_goes_to_djangos_loader():
    ours, django = _loaders(UTC)
    bc = b"0044-03-15 12:00:00+00 BC"
    with pytest.raises(psycopg.DataError) as by_ours:
        ours.load(bc)
    with pytest.raises(psycopg.DataError) as by_django:
        django.load(bc)
    assert str(by_ours.value) == str(by_django.value)


def test_new_connections_get_the_loader_for_their_zone():
    loader = _adapters(True, UTC).get_loader(TIMESTAMPTZ, TEXT)
    assert issubclass(loader, IsoTzLoader)
    # Django's cursors compare this with the connection's zone before registering
    # a loader of their own for every cursor.
    assert loader.timezone is UTC
    assert _adapters(True, UTC) is _adapters(True, UTC)  # one map per zone, shared


@pytest.mark.django_db
def test_the_configured_database_reads_timestamps_back_equal(new_order):
    order = new_order()
    event = order.events.get(kind="created")
    with connection.cursor() as cursor:
        cursor.execute("SELECT created_at FROM workorders_workorderevent WHERE id = %s", [event.pk])
        (raw,) = cursor.fetchone()
    assert raw == order.events.get(pk=event.pk).created_at
    assert raw.utcoffset() == datetime.timedelta(0)
