"""Fields of our own, as each engine stores them."""

from __future__ import annotations

import pytest
from django.db import connection

from gongdan.routing.models import RoutingTicket
from gongdan.sla.models import OrderClock
from gongdan.workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [OrderClock, RoutingTicket], ids=lambda m: m.__name__)
def test_a_row_keyed_by_its_order_is_stored_under_that_key_alone(model, new_order):
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # INTEGER PRIMARY KEY is SQLite's row id: no hidden row id, and no unique
            # index beside it for every row to be written into.
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND name LIKE 'sqlite_autoindex%%'",
                [table],
            )
            assert cursor.fetchall() == []
            cursor.execute(
                "SELECT type, pk FROM pragma_table_info(%s) WHERE name = 'order_id'", [table]
            )
            assert cursor.fetchone() == ("INTEGER", 1)
        else:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = %s AND column_name = 'order_id'",
                [table],
            )
            assert cursor.fetchone() == ("bigint",)
    # The key is the order's, as before, read back by it — a key past 32 bits too
    # (SQLite's integer is 64-bit, as bigint is).
    template = new_order()
    fields = {f.attname: getattr(template, f.attname) for f in WorkOrder._meta.concrete_fields}
    order = WorkOrder.objects.bulk_create(
        [WorkOrder(**{**fields, "id": 2**40 + template.pk, "number": "WO-2026-990001"})]
    )[0]
    values = {"order": order}
    if model is OrderClock:
        values["started_at"] = order.created_at
    model.objects.create(**values)
    assert model.objects.get(order_id=2**40 + template.pk).pk == order.pk
