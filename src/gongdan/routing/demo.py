"""Demo routing rules (called by `gongdan demo`; idempotent)."""

from __future__ import annotations

from typing import Any

from .models import RoutingRule


def extend(context: dict[str, Any]) -> None:
    types = context.get("types") or {}
    repair = types.get("equipment_repair")
    RoutingRule.objects.get_or_create(
        name="红色电气故障 → 持有效高压电工证的工程师",
        defaults={
            "order_type": repair,
            "position": 10,
            "condition": {
                "all": [
                    {"field": "priority", "op": "eq", "value": "red"},
                    {"field": "fault_category", "op": "eq", "value": "electrical"},
                ]
            },
            "action": {
                "skills": ["hv"],
                "strategy": "least_loaded",
                "accept_within_minutes": 10,
                "notify": [{"who": "supervisor", "channel": "sms"}],
            },
        },
    )
    RoutingRule.objects.get_or_create(
        name="模具问题 → 模具组",
        defaults={
            "order_type": repair,
            "position": 20,
            "condition": {"field": "fault_category", "op": "eq", "value": "mould"},
            "action": {"team": "mould", "strategy": "round_robin"},
        },
    )
    RoutingRule.objects.get_or_create(
        name="其余 → 同区域负荷最低",
        defaults={
            "position": 100,
            "condition": {},
            "action": {"region": "order", "strategy": "least_loaded"},
        },
    )
