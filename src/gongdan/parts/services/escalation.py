"""Escalation of approval steps past their limits (called by the ticker).

Remind the approver first, then hand the step to a deputy; each is claimed by a
guarded UPDATE, so two tickers never do either twice.
"""

from __future__ import annotations

import datetime

from django.db import transaction

from gongdan.core.models import Role, User

from ..integrations import notify
from ..models import ApprovalStep, StepStatus
from .approvals import _ask
from .common import _fmt
from .records import _requisition_event


def _deputy_for(step: ApprovalStep) -> User | None:
    """The rule's deputy, else a manager (not the approver), else an administrator."""
    if step.deputy_id and step.deputy is not None and step.deputy.is_active:
        return step.deputy
    people = User.objects.filter(is_active=True).exclude(pk=step.approver_id or 0)
    return (
        people.filter(role=Role.MANAGER).order_by("id").first()
        or people.filter(role=Role.ADMIN).order_by("id").first()
    )


@transaction.atomic
def approval_step_remind(*, step_id: int, now: datetime.datetime) -> bool:
    """Remind the approver of a step past its limit. The guarded UPDATE is the claim:
    two tickers never remind twice."""
    claimed = ApprovalStep.objects.filter(
        pk=step_id, status=StepStatus.PENDING, reminded_at__isnull=True, due_at__lte=now
    ).update(reminded_at=now)
    if claimed != 1:
        return False
    step = ApprovalStep.objects.select_related(
        "requisition__order", "requisition__requester", "approver", "deputy"
    ).get(pk=step_id)
    requisition = step.requisition
    _requisition_event(
        requisition,
        "parts_approval_reminded",
        None,
        {"step": step.name, "approver": str(step.approver or step.get_approver_role_display())},
        now,
    )
    _ask(step, requisition, "parts_approval_reminder", urgent=False)
    return True


@transaction.atomic
def approval_step_escalate(*, step_id: int, now: datetime.datetime) -> bool:
    """Hand a step that is still waiting to the approver's deputy (or a manager)."""
    claimed = ApprovalStep.objects.filter(
        pk=step_id, status=StepStatus.PENDING, escalated_at__isnull=True, escalate_at__lte=now
    ).update(escalated_at=now)
    if claimed != 1:
        return False
    step = ApprovalStep.objects.select_related(
        "requisition__order", "requisition__requester", "approver", "deputy"
    ).get(pk=step_id)
    deputy = _deputy_for(step)
    if deputy is not None and deputy.pk != step.deputy_id:
        ApprovalStep.objects.filter(pk=step.pk).update(deputy=deputy)
        step.deputy = deputy
    requisition = step.requisition
    _requisition_event(
        requisition,
        "parts_approval_escalated",
        None,
        {
            "step": step.name,
            "approver": str(step.approver or step.get_approver_role_display()),
            "deputy": deputy.username if deputy else None,
        },
        now,
    )
    if deputy is not None:
        notify(
            recipient=deputy,
            template="parts_approval_escalated",
            context={
                "requisition": requisition.number,
                "order": requisition.order.number,
                "amount": _fmt(requisition.amount),
                "step": step.name,
                "approver": str(step.approver or ""),
            },
            order=requisition.order,
            urgent=True,
        )
    return True
