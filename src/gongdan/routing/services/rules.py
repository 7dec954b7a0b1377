"""Routing rules as administrators edit them: checked and saved, deleted, and tried
against an order without writing anything.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticError

from gongdan.core.errors import ValidationFailed
from gongdan.core.models import User
from gongdan.workorders.models import WorkOrder, WorkOrderType

from .. import conditions
from ..models import RoutingRule, RuleAction, Strategy, Why
from .decision import decide, order_facts


def _clean_rule(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("此项为必填。")
    elif len(name) > 100:
        errors["name"] = _("不能超过 100 个字符。")
    try:
        conditions.validate(data.get("condition") or {})
    except conditions.ConditionError as exc:
        errors["condition"] = _("条件有误：%(detail)s") % {"detail": str(exc)}
    try:
        action = RuleAction.model_validate(data.get("action") or {})
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        errors["action"] = _("动作有误：%(detail)s") % {"detail": f"{where} {first.get('msg')}"}
    else:
        if (
            action.strategy == Strategy.NAMED
            and not User.objects.filter(username=action.person, is_active=True).exists()
        ):
            errors["action"] = _("动作有误：找不到指定人员。")
    order_type = None
    if data.get("order_type"):
        order_type = WorkOrderType.objects.filter(key=data["order_type"]).first()
        if order_type is None:
            errors["order_type"] = _("找不到工单类型 %(key)s。") % {"key": data["order_type"]}
    position = data.get("position", 100)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        errors["position"] = _("应为非负整数。")
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    return {
        "name": name,
        "order_type": order_type,
        "position": position,
        "is_active": bool(data.get("is_active", True)),
        "condition": data.get("condition") or {},
        "action": action.model_dump(exclude_defaults=True),
    }


@transaction.atomic
def routing_rule_save(*, data: dict[str, Any], rule: RoutingRule | None = None) -> RoutingRule:
    """Create a rule, or replace one, after checking its condition and action."""
    values = _clean_rule(data)
    if rule is None:
        return RoutingRule.objects.create(**values)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.save()
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule) -> None:
    """Remove a rule; orders it routed keep their history."""
    rule.delete()


def routing_rule_test(*, rule: RoutingRule, order: WorkOrder) -> dict[str, Any]:
    """What ``rule`` alone would do for ``order`` now — nothing is written."""
    facts = order_facts(order)
    matched = conditions.evaluate(rule.condition, facts)
    result: dict[str, Any] = {"matched": matched, "facts": facts}
    if matched:
        decision = decide(order, trigger="test", exclude_ids=set(), rules=[rule])
        result.update(decision.as_json())
        # The test page lists everyone, each with their name and why they are out.
        result["candidates"] = [c.as_json() for c in decision.candidates]
    else:
        result.update({"candidates": [], "winner": None, "why": Why.CONDITION_NOT_MET})
    return result
