"""The demo's rules and policies: installed twice without duplicates, and they work."""

from __future__ import annotations

import pytest

from gongdan.routing import demo as routing_demo
from gongdan.routing.models import RoutingRule
from gongdan.sla import demo as sla_demo
from gongdan.sla.models import SlaPolicy

pytestmark = pytest.mark.django_db


def test_demo_rules_route_a_red_electrical_fault_to_the_certified_engineer(plant, new_order):
    context = {"types": {"equipment_repair": plant.repair}, "users": {}}
    for _ in range(2):
        sla_demo.extend(context)
        routing_demo.extend(context)
    assert RoutingRule.objects.count() == 3 and SlaPolicy.objects.count() == 3
    order = new_order(priority="red", data={"symptom": "no_start", "fault_category": "electrical"})
    order.refresh_from_db()
    assert order.assignee == plant.wang
    assert order.response_due_at is not None
