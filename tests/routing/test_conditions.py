"""The condition module: structured JSON, never eval."""

from __future__ import annotations

import pytest

from gongdan.routing.conditions import ConditionError, evaluate, validate

FACTS = {
    "priority": "red",
    "type": "equipment_repair",
    "data.fault_category": "electrical",
    "data.labour_hours": 3,
    "asset.location": "一车间 A 线",
    "time": "23:15",
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({}, True),
        ({"field": "priority", "op": "eq", "value": "red"}, True),
        ({"field": "fault_category", "value": "electrical"}, True),
        ({"field": "priority", "op": "in", "value": ["yellow", "blue"]}, False),
        ({"field": "asset.location", "op": "contains", "value": "一车间"}, True),
        ({"field": "data.labour_hours", "op": "gte", "value": 2}, True),
        ({"field": "data.labour_hours", "op": "between", "value": [4, 8]}, False),
        ({"field": "time", "op": "between", "value": ["22:00", "06:00"]}, True),
        ({"field": "data.alarm_code", "op": "exists"}, False),
        ({"field": "customer", "op": "gte", "value": 3}, False),
        (
            {
                "all": [
                    {"field": "priority", "value": "red"},
                    {"not": {"field": "type", "value": "pm"}},
                    {
                        "any": [
                            {"field": "time", "op": "lt", "value": "06:00"},
                            {"field": "x", "op": "exists"},
                        ]
                    },
                ]
            },
            False,
        ),
    ],
)
def test_condition_evaluation(condition, expected):
    validate(condition)
    assert evaluate(condition, FACTS) is expected


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"field": "priority", "op": "like", "value": "r%"}, "op"),
        ({"all": {"field": "priority"}}, "all"),
        ({"any": [{"field": "priority", "op": "in", "value": "red"}]}, "any.0.value"),
        ({"field": "priority", "op": "eq"}, "value"),
        ({"field": "priority", "value": 1, "code": "import os"}, ""),
    ],
)
def test_malformed_conditions_name_the_place(condition, path):
    with pytest.raises(ConditionError) as exc:
        validate(condition)
    assert exc.value.path == path
