"""Routing conditions: structured JSON evaluated without ``eval``.

A condition is one of
    {}                                           matches everything
    {"all": [cond, …]}   {"any": [cond, …]}   {"not": cond}
    {"field": "priority", "op": "eq", "value": "red"}
Fields are looked up in a flat dict of facts ("priority", "type",
"data.fault_category", "asset.region", "time" …); a bare custom-field key
also finds "data.<key>". The module is pure: no database, no side effects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "contains",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "exists",
)
MAX_DEPTH = 10
_TIME = re.compile(r"^\d{2}:\d{2}$")


class ConditionError(ValueError):
    """A malformed condition; ``path`` says where (``all.1.value``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def _join(path: str, part: str | int) -> str:
    return f"{path}.{part}" if path else str(part)


def validate(condition: Any, path: str = "", depth: int = 0) -> None:
    """Raise ConditionError unless ``condition`` is well-formed."""
    if depth > MAX_DEPTH:
        raise ConditionError(path, "nested too deeply")
    if condition is None or condition == {}:
        return
    if not isinstance(condition, dict):
        raise ConditionError(path, "must be an object")
    if "all" in condition or "any" in condition:
        key = "all" if "all" in condition else "any"
        items = condition[key]
        if len(condition) != 1 or not isinstance(items, list):
            raise ConditionError(_join(path, key), "must be the only key, holding a list")
        for index, item in enumerate(items):
            validate(item, _join(_join(path, key), index), depth + 1)
        return
    if "not" in condition:
        if len(condition) != 1:
            raise ConditionError(path, '"not" must be the only key')
        validate(condition["not"], _join(path, "not"), depth + 1)
        return
    field = condition.get("field")
    op = condition.get("op", "eq")
    if not isinstance(field, str) or not field:
        raise ConditionError(_join(path, "field"), "must be a field name")
    if op not in OPERATORS:
        raise ConditionError(_join(path, "op"), f"must be one of {', '.join(OPERATORS)}")
    extra = set(condition) - {"field", "op", "value"}
    if extra:
        raise ConditionError(path, f"unknown keys: {', '.join(sorted(extra))}")
    value = condition.get("value")
    if op in ("in", "not_in") and not isinstance(value, list):
        raise ConditionError(_join(path, "value"), "must be a list")
    if op == "between" and not (isinstance(value, list) and len(value) == 2):
        raise ConditionError(_join(path, "value"), "must be a list of two values [low, high]")
    if op != "exists" and "value" not in condition:
        raise ConditionError(_join(path, "value"), "is required")


def lookup(facts: Mapping[str, Any], field: str) -> Any:
    if field in facts:
        return facts[field]
    return facts.get(f"data.{field}")


def _compare(fn: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    try:
        return fn(left, right)
    except TypeError:
        # "5" against 3: try both as numbers before giving up.
        try:
            return fn(float(left), float(right))
        except (TypeError, ValueError):
            return False


def _between(left: Any, value: list[Any]) -> bool:
    low, high = value
    if isinstance(left, str) and _TIME.match(left) and isinstance(low, str) and low > high:
        # A window across midnight: 22:00–06:00.
        return left >= low or left <= high
    return _compare(lambda a, b: a >= b, left, low) and _compare(lambda a, b: a <= b, left, high)


def _contains(left: Any, value: Any) -> bool:
    if isinstance(left, str):
        return isinstance(value, str) and value in left
    if isinstance(left, list | tuple | set):
        return value in left
    return False


def _test(op: str, left: Any, value: Any) -> bool:
    if op == "eq":
        return bool(left == value)
    if op == "ne":
        return bool(left != value)
    if op == "in":
        return left in value
    if op == "not_in":
        return left not in value
    if op == "contains":
        return _contains(left, value)
    if op == "gt":
        return _compare(lambda a, b: a > b, left, value)
    if op == "gte":
        return _compare(lambda a, b: a >= b, left, value)
    if op == "lt":
        return _compare(lambda a, b: a < b, left, value)
    if op == "lte":
        return _compare(lambda a, b: a <= b, left, value)
    if op == "between":
        return _between(left, value)
    if op == "exists":
        present = left not in (None, "", [])
        return present if value in (None, True) else not present
    raise ConditionError("op", f"unknown operator {op}")


def evaluate(condition: Any, facts: Mapping[str, Any]) -> bool:
    """Whether ``facts`` satisfy ``condition`` (assumed valid: see ``validate``)."""
    if condition is None or condition == {}:
        return True
    if "all" in condition:
        return all(evaluate(c, facts) for c in condition["all"])
    if "any" in condition:
        return any(evaluate(c, facts) for c in condition["any"])
    if "not" in condition:
        return not evaluate(condition["not"], facts)
    return _test(
        condition.get("op", "eq"), lookup(facts, condition["field"]), condition.get("value")
    )
