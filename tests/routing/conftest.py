from __future__ import annotations

from typing import Any

import pytest

from gongdan.routing.models import RoutingRule


@pytest.fixture
def electrical_rule(plant: Any) -> RoutingRule:
    """The brief's rule: red + electrical → a valid 高压电工证, SMS to the supervisor."""
    return RoutingRule.objects.create(
        name="红色电气故障 → 持高压电工证",
        order_type=plant.repair,
        position=10,
        condition={
            "all": [
                {"field": "priority", "op": "eq", "value": "red"},
                {"field": "fault_category", "op": "eq", "value": "electrical"},
            ]
        },
        action={
            "skills": ["hv"],
            "strategy": "least_loaded",
            "accept_within_minutes": 10,
            "notify": [{"who": "supervisor", "channel": "sms"}],
        },
    )


@pytest.fixture
def fallback_rule(plant: Any) -> RoutingRule:
    """Everything else: the least-loaded engineer of the order's region."""
    return RoutingRule.objects.create(
        name="同区域负荷最低", position=100, condition={}, action={"region": "order"}
    )
