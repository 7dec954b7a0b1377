"""Who may do what to an order. Visibility itself is WorkOrder.objects.visible_to."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from gongdan.core.models import Role

from .models import Transition, WorkOrder

ASSIGNEE = "assignee"
REQUESTER = "requester"

CREATOR_ROLES = {Role.ADMIN, Role.DISPATCHER, Role.CLERK, Role.ENGINEER, Role.REQUESTER}
ON_BEHALF_ROLES = {Role.ADMIN, Role.DISPATCHER, Role.CLERK}
ASSIGNER_ROLES = {Role.ADMIN, Role.DISPATCHER}
EDITOR_ROLES = {Role.ADMIN, Role.DISPATCHER, Role.CLERK}


def can_create(user: Any) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role in CREATOR_ROLES))


def can_act_on_behalf(user: Any) -> bool:
    return bool(user.is_superuser or user.role in ON_BEHALF_ROLES)


def can_assign(user: Any) -> bool:
    return bool(user.is_superuser or user.role in ASSIGNER_ROLES)


def can_edit(user: Any, order: WorkOrder) -> bool:
    if user.is_superuser or user.role in EDITOR_ROLES:
        return True
    return order.assignee_id is not None and order.assignee_id == user.pk


def can_manage_types(user: Any) -> bool:
    return bool(user.is_active and user.is_admin)


def transition_refusal(user: Any, order: WorkOrder, transition: Transition) -> str | None:
    """Why ``user`` may not fire ``transition`` on ``order`` — or None if they may."""
    if user.is_superuser or user.role == Role.ADMIN:
        return None
    roles = set(transition.allowed_roles)
    # "assignee" and "requester" name a relation to this order, never a whole role:
    # a customer may close their own order, not every customer's.
    if user.role in roles - {ASSIGNEE, REQUESTER}:
        taken = order.assignee_id not in (None, user.pk)
        if user.role == Role.ENGINEER and transition.assign_to_actor and taken:
            return _("该工单已由 %(name)s 接单。") % {"name": order.assignee}
        return None
    if ASSIGNEE in roles and order.assignee_id == user.pk:
        return None
    if REQUESTER in roles and order.requester_id == user.pk:
        return None
    if ASSIGNEE in roles and user.role == Role.ENGINEER:
        return _("只有当前处理人可以执行“%(action)s”。") % {"action": transition.name}
    return _("您的角色（%(role)s）不能执行“%(action)s”。") % {
        "role": user.get_role_display(),
        "action": transition.name,
    }
