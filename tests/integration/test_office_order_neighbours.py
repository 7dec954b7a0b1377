"""The office order page loads the parts cost panel and, once resolved, the rating QR.

IMM-001 belongs to a customer and is under warranty, so its parts are charged to
warranty; the order used one contactor (¥320).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gongdan.parts import services as parts
from gongdan.workorders.models import WorkOrder
from gongdan.workorders.services import work_order_assign
from tests.conftest import Plant
from tests.integration.conftest import Shelf, resolve


@pytest.fixture
def repaired(plant: Plant, shelf: Shelf, new_order: Callable[..., Any]) -> WorkOrder:
    plant.press.customer = "华东塑料"
    plant.press.warranty_until = timezone.localdate() + datetime.timedelta(days=365)
    plant.press.save()
    order = new_order()
    work_order_assign(order=order, actor=plant.dispatcher, assignee=plant.wang)
    requisition = parts.requisition_create(
        actor=plant.wang, order=order, lines=[parts.LineIn(part=shelf.contactor, quantity=1)]
    )
    requisition.refresh_from_db()
    parts.requisition_issue(
        actor=plant.warehouse, requisition=requisition, version=requisition.version
    )
    return order


def _dispatcher(plant: Plant) -> Client:
    client = Client()
    client.force_login(plant.dispatcher)
    return client


def test_order_page_loads_the_parts_panel_with_cost_and_who_pays(
    plant: Plant, repaired: WorkOrder
) -> None:
    client = _dispatcher(plant)
    html = client.get(f"/orders/{repaired.number}/").content.decode()
    panel_url = f"/parts/orders/{repaired.number}/"
    assert f'hx-get="{panel_url}"' in html and 'hx-trigger="load"' in html
    # Not resolved yet: no rating QR.
    assert 'id="rating"' not in html

    fragment = client.get(panel_url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert "¥320.00" in fragment and "保修承担" in fragment


def test_resolved_order_page_and_print_view_show_the_rating_qr(
    plant: Plant, repaired: WorkOrder
) -> None:
    resolve(repaired, plant.wang)
    client = _dispatcher(plant)
    for path in (f"/orders/{repaired.number}/", f"/orders/{repaired.number}/print/"):
        html = client.get(path).content.decode()
        rating = html[html.index('id="rating"') :]
        assert "<svg" in rating and "/rate/" in rating, path
        assert 'hx-get="/parts/orders/' in html, path
