"""The routing-rules page: list, edit, and "test this rule" against a sample order."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from gongdan.core.errors import ValidationFailed
from gongdan.core.models import request_user
from gongdan.workorders.models import WorkOrder, WorkOrderType

from . import services
from .models import RoutingRule, excluded_label, why_label


def _form_data(request: HttpRequest) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "name": request.POST.get("name", ""),
        "order_type": request.POST.get("order_type") or None,
        "is_active": request.POST.get("is_active") == "on",
    }
    try:
        data["position"] = int(request.POST.get("position") or 100)
    except ValueError:
        errors["position"] = _("应为非负整数。")
    for key in ("condition", "action"):
        raw = request.POST.get(key, "").strip() or "{}"
        try:
            data[key] = json.loads(raw)
        except ValueError:
            errors[key] = _("不是有效的 JSON。")
            data[key] = raw
    return data, errors


@login_required
def rules(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    user = request_user(request)
    if not user.is_admin:
        raise PermissionDenied
    rule = get_object_or_404(RoutingRule, pk=rule_id) if rule_id else None
    errors: dict[str, str] = {}
    test_result: dict[str, Any] | None = None
    values: dict[str, Any] = {}
    if rule is not None:
        values = {
            "name": rule.name,
            "order_type": rule.order_type.key if rule.order_type else "",
            "position": rule.position,
            "is_active": rule.is_active,
            "condition": json.dumps(rule.condition, ensure_ascii=False, indent=2),
            "action": json.dumps(rule.action, ensure_ascii=False, indent=2),
        }
    if request.method == "POST" and request.POST.get("do") == "test" and rule is not None:
        number = request.POST.get("order", "").strip()
        order = WorkOrder.objects.visible_to(user).filter(number=number).first()
        if order is None:
            errors["order"] = _("找不到工单 %(n)s。") % {"n": number}
        else:
            test_result = services.routing_rule_test(rule=rule, order=order)
            test_result["why_label"] = why_label(str(test_result.get("why") or ""))
            for c in test_result["candidates"]:
                c["excluded_label"] = excluded_label(c["excluded"]) if c.get("excluded") else ""
    elif request.method == "POST" and request.POST.get("do") == "delete" and rule is not None:
        services.routing_rule_delete(rule=rule)
        return redirect("routing:rules")
    elif request.method == "POST":
        data, errors = _form_data(request)
        values = {
            **data,
            "condition": request.POST.get("condition", ""),
            "action": request.POST.get("action", ""),
        }
        if not errors:
            try:
                saved = services.routing_rule_save(data=data, rule=rule)
            except ValidationFailed as exc:
                errors = exc.errors
            else:
                return redirect("routing:rule", rule_id=saved.pk)
    return render(
        request,
        "routing/rules.html",
        {
            "rules": RoutingRule.objects.select_related("order_type"),
            "rule": rule,
            "values": values,
            "errors": errors,
            "types": WorkOrderType.objects.filter(is_active=True),
            "test_result": test_result,
            "sample": request.POST.get("order", ""),
        },
        status=422 if errors else 200,
    )
