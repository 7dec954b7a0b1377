"""Who may do what with parts. Row visibility follows the order: WorkOrder.visible_to."""

from __future__ import annotations

from typing import Any

from gongdan.core.models import Role

from .models import ApprovalStep, Requisition

REQUESTER_ROLES = {Role.ENGINEER, Role.DISPATCHER, Role.ADMIN}
STOCK_ROLES = {Role.WAREHOUSE, Role.ADMIN}


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def can_request(user: Any) -> bool:
    return _active(user) and (user.is_superuser or user.role in REQUESTER_ROLES)


def can_keep_stock(user: Any) -> bool:
    """Receive, adjust, transfer, issue and take back parts: the warehouse's work."""
    return _active(user) and (user.is_superuser or user.role in STOCK_ROLES)


def can_configure(user: Any) -> bool:
    return _active(user) and bool(user.is_admin)


def can_decide(user: Any, step: ApprovalStep) -> bool:
    """The named approver, anyone of the step's role when nobody is named, or — once the
    step has been escalated — the deputy. Administrators do not sign in others' place."""
    if not _active(user):
        return False
    if step.approver_id is not None and step.approver_id == user.pk:
        return True
    if step.approver_id is None and step.approver_role and user.role == step.approver_role:
        return True
    return step.escalated_at is not None and step.deputy_id == user.pk


def can_receive(user: Any, requisition: Requisition) -> bool:
    if not _active(user):
        return False
    return user.pk in (requisition.requester_id, requisition.order.assignee_id)
