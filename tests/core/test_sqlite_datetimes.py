"""Datetimes read back from SQLite are the aware UTC values that were written: by the
driver's fast parse where the stored text has the form Django writes, and exactly as
Django parses them otherwise."""

from __future__ import annotations

import datetime
import sqlite3
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.utils.dateparse import parse_datetime

from gongdan.core.sqlite import base
from gongdan.workorders.models import WorkOrderEvent

UTC = datetime.UTC
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _sqlite(**settings: Any) -> base.DatabaseWrapper:
    """A gongdan SQLite connection object (never opened) with these settings."""
    settings_dict = {**connection.settings_dict, "ENGINE": "gongdan.core.sqlite"}
    settings_dict.update(NAME=":memory:", OPTIONS={}, **settings)
    return base.DatabaseWrapper(settings_dict, alias="datetimes")


@pytest.mark.parametrize(
    "written",
    [
        datetime.datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=SHANGHAI),
        datetime.datetime(2026, 1, 1, 0, 0, tzinfo=UTC),  # no microseconds: no fraction stored
        datetime.datetime(2024, 2, 29, 23, 59, 59, 1, tzinfo=UTC),
    ],
)
def test_a_datetime_comes_back_aware_in_utc_and_equal_to_what_was_written(new_order, written):
    order = new_order()
    event = order.events.get(kind="created")
    WorkOrderEvent.objects.filter(pk=event.pk).update(created_at=written)
    for read in (
        WorkOrderEvent.objects.get(pk=event.pk).created_at,
        WorkOrderEvent.objects.filter(pk=event.pk).values_list("created_at", flat=True).get(),
    ):
        assert read == written
        assert read.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    "stored",
    [
        b"2026-11-26 01:30:15.123456",
        b"2026-11-26 01:30:15",
        b"2026-11-26T01:30",
        b"2026-11-26 09:30:15+08:00",  # with an offset: Django's parse keeps it
        b"2026-11-26",  # a bare date
        b"not a date",  # neither: None, as Django gives
    ],
)
def test_the_driver_reads_what_django_reads_made_aware_as_django_makes_it(stored):
    wrapper = _sqlite()
    ours = wrapper.ops.convert_datetimefield_value(base._read_datetime(stored), None, wrapper)
    # (the stock operations, imported through ours: Django's own module is imported first)
    django = base.operations.DatabaseOperations.convert_datetimefield_value(
        wrapper.ops, parse_datetime(stored.decode()), None, wrapper
    )
    assert ours == django
    if django is not None:
        assert ours.utcoffset() == django.utcoffset()


def test_a_database_that_keeps_another_zone_is_read_the_way_django_reads_it(monkeypatch):
    monkeypatch.setattr(base, "_stores_utc", True)
    wrapper = _sqlite(TIME_ZONE="Asia/Shanghai")
    assert base._stores_utc is False
    read = wrapper.ops.convert_datetimefield_value(
        base._read_datetime(b"2026-11-26 09:30:15"), None, wrapper
    )
    assert read == datetime.datetime(2026, 11, 26, 1, 30, 15, tzinfo=UTC)


def test_gongdan_settings_keep_the_fast_read(monkeypatch):
    monkeypatch.setattr(base, "_stores_utc", True)
    _sqlite()
    assert base._stores_utc is True


def test_the_converter_is_the_one_for_the_column_type_django_declares():
    with sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES) as raw:
        raw.execute("CREATE TABLE t (at datetime)")
        raw.execute("INSERT INTO t VALUES ('2026-11-26 01:30:15.5')")
        (value,) = raw.execute("SELECT at FROM t").fetchone()
    raw.close()
    assert value == datetime.datetime(2026, 11, 26, 1, 30, 15, 500000, tzinfo=UTC)
