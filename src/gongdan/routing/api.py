"""Routing rules for administrators, with "test this rule" against a sample order."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from gongdan.core.errors import Forbidden, NotFound, ValidationFailed
from gongdan.core.models import Role, User, request_user
from gongdan.workorders.models import WorkOrder

from . import services
from .models import RoutingRule

router = Router(tags=["routing"])


class RuleIn(Schema):
    name: str
    order_type: str | None = None
    position: int = 100
    is_active: bool = True
    condition: dict[str, Any] = {}
    action: dict[str, Any] = {}


class RuleOut(Schema):
    id: int
    name: str
    order_type: str | None
    position: int
    is_active: bool
    condition: dict[str, Any]
    action: dict[str, Any]
    updated_at: datetime.datetime


class RuleTestIn(Schema):
    order: str


def _rule_out(rule: RoutingRule) -> RuleOut:
    return RuleOut(
        id=rule.pk,
        name=rule.name,
        order_type=rule.order_type.key if rule.order_type else None,
        position=rule.position,
        is_active=rule.is_active,
        condition=rule.condition,
        action=rule.parsed_action().model_dump(),
        updated_at=rule.updated_at,
    )


def _admin(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_admin:
        raise Forbidden(_("只有管理员可以管理派单规则。"))
    return user


def _viewer(request: HttpRequest) -> User:
    user = request_user(request)
    if not (user.is_admin or user.has_role(Role.DISPATCHER)):
        raise Forbidden(_("只有管理员和调度可以查看派单规则。"))
    return user


def _rule(rule_id: int) -> RoutingRule:
    rule = RoutingRule.objects.select_related("order_type").filter(pk=rule_id).first()
    if rule is None:
        raise NotFound(_("找不到该派单规则。"))
    return rule


@router.get("/rules", response=list[RuleOut], summary="Routing rules in the order they are tried")
def rule_list(request: HttpRequest) -> list[RuleOut]:
    _viewer(request)
    return [_rule_out(r) for r in RoutingRule.objects.select_related("order_type")]


@router.post("/rules", response={201: RuleOut}, summary="Create a routing rule (administrators)")
def rule_create(request: HttpRequest, payload: RuleIn) -> Status:
    _admin(request)
    return Status(201, _rule_out(services.routing_rule_save(data=payload.dict())))


@router.get("/rules/{rule_id}", response=RuleOut, summary="One routing rule")
def rule_detail(request: HttpRequest, rule_id: int) -> RuleOut:
    _viewer(request)
    return _rule_out(_rule(rule_id))


@router.put("/rules/{rule_id}", response=RuleOut, summary="Replace a routing rule (administrators)")
def rule_update(request: HttpRequest, rule_id: int, payload: RuleIn) -> RuleOut:
    _admin(request)
    return _rule_out(services.routing_rule_save(rule=_rule(rule_id), data=payload.dict()))


@router.delete("/rules/{rule_id}", response={204: None}, summary="Delete a routing rule")
def rule_delete(request: HttpRequest, rule_id: int) -> Status:
    _admin(request)
    services.routing_rule_delete(rule=_rule(rule_id))
    return Status(204, None)


@router.post(
    "/rules/{rule_id}/test",
    response=dict[str, Any],
    summary="What the rule would do for a sample order (nothing is changed)",
)
def rule_test(request: HttpRequest, rule_id: int, payload: RuleTestIn) -> dict[str, Any]:
    user = _viewer(request)
    order = WorkOrder.objects.visible_to(user).filter(number=payload.order).first()
    if order is None:
        raise ValidationFailed(
            _("找不到该工单。"), {"order": _("找不到工单 %(n)s。") % {"n": payload.order}}
        )
    return services.routing_rule_test(rule=_rule(rule_id), order=order)
