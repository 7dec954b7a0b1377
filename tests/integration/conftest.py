"""Shared pieces for the tests that cross app boundaries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from gongdan.parts.models import Part, Stock, Warehouse
from gongdan.workorders.models import WorkOrder
from gongdan.workorders.services import work_order_transition
from tests.conftest import Plant

FIX = {"fault_category": "electrical", "fault_cause": "接触器烧毁", "fix_action": "更换接触器"}


def step(order: WorkOrder, actor: Any, action: str, **kw: Any) -> WorkOrder:
    order.refresh_from_db()
    return work_order_transition(
        order=order, actor=actor, action=action, version=order.version, **kw
    )


def resolve(order: WorkOrder, engineer: Any) -> WorkOrder:
    """Take an order assigned to ``engineer`` through accept, depart, arrive, resolve."""
    for action in ("accept", "depart", "arrive"):
        step(order, engineer, action)
    return step(order, engineer, "resolve", data={**FIX, "fix_result": "fixed"})


class Shelf:
    """One store room with two parts and no approval rules (requests go straight to issue)."""

    def __init__(self, plant: Plant) -> None:
        self.main = Warehouse.objects.create(
            code="main", name="总仓", region=plant.east, keeper=plant.warehouse
        )
        self.contactor = Part.objects.create(
            code="CT-LC1D25", name="交流接触器", unit="个", unit_cost=Decimal("320.00")
        )
        self.heater = Part.objects.create(
            code="HB-60", name="加热圈", unit="个", unit_cost=Decimal("85.00")
        )
        for part in (self.contactor, self.heater):
            Stock.objects.create(part=part, warehouse=self.main, quantity=Decimal(10))


@pytest.fixture
def shelf(plant: Plant) -> Shelf:
    return Shelf(plant)
