"""The parts demo: catalogue, stock per warehouse, the chain, a requisition on an open order."""

from __future__ import annotations

from gongdan.parts import demo, selectors
from gongdan.parts.models import ApprovalRule, Part, Requisition, RequisitionStatus, Stock
from gongdan.workorders.models import WorkOrder


def test_demo_loads_parts_once_with_stock_rules_and_a_received_requisition(plant, assigned_order):
    people = [plant.admin, plant.dispatcher, plant.manager, plant.warehouse, plant.wang]
    plant.electrical.leader = plant.dispatcher
    plant.electrical.save()
    context = {
        "users": {u.username: u for u in people},
        "regions": {"east": plant.east},
        "orders": WorkOrder.objects.all(),
    }
    demo.extend(context)
    demo.extend(context)
    assert Part.objects.count() == len(demo.CATALOGUE)
    assert Stock.objects.filter(warehouse__code="main").count() == len(demo.CATALOGUE)
    assert ApprovalRule.objects.count() == 3
    requisition = Requisition.objects.get()
    assert requisition.status == RequisitionStatus.RECEIVED
    assert selectors.order_parts_cost(assigned_order).total == requisition.amount
