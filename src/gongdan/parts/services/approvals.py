"""Approval chains: which steps a requisition needs, and each decision on them.

Steps are chosen from the rules when the requisition is created; a step becomes
pending with business-time deadlines, its deciders are asked, and the last
approval hands the requisition to the warehouse.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.core.errors import Conflict, Forbidden
from gongdan.core.models import Role, User

from .. import permissions
from ..integrations import add_business_time, notify
from ..models import (
    ApprovalRule,
    ApprovalStep,
    ApproverKind,
    Requisition,
    RequisitionStatus,
    StepStatus,
)
from .common import _fmt, _text
from .records import _guarded_save, _lines_summary, _lock, _requisition_event
from .stock import _keepers


def _matching_rules(amount: Decimal, categories: set[str], team_id: int | None) -> list[Any]:
    rules = []
    for rule in ApprovalRule.objects.filter(is_active=True).prefetch_related("teams"):
        if rule.amount_over is not None and amount <= rule.amount_over:
            continue
        if rule.categories and not categories & set(rule.categories):
            continue
        team_ids = {t.pk for t in rule.teams.all()}
        if team_ids and team_id not in team_ids:
            continue
        rules.append(rule)
    return sorted(rules, key=lambda r: (r.level, r.pk))


def _approver_for(rule: ApprovalRule, requester: User) -> tuple[User | None, str]:
    """(named approver, role) for a rule; a team without a leader falls back to the
    dispatchers, who supervise every team."""
    if rule.approver_kind == ApproverKind.USER and rule.approver_user_id:
        return rule.approver_user, ""
    if rule.approver_kind == ApproverKind.TEAM_LEADER:
        leader = requester.team.leader if requester.team_id and requester.team else None
        if leader is not None and leader.is_active:
            return leader, ""
        return None, Role.DISPATCHER
    return None, rule.approver_role or Role.MANAGER


def _activate(step: ApprovalStep, now: datetime.datetime) -> None:
    limit = datetime.timedelta(minutes=step.limit_minutes)
    step.status = StepStatus.PENDING
    step.activated_at = now
    step.due_at = add_business_time(now, limit)
    step.escalate_at = add_business_time(
        now, limit + datetime.timedelta(minutes=step.escalate_after_minutes)
    )
    step.save(update_fields=["status", "activated_at", "due_at", "escalate_at"])


def step_deciders(step: ApprovalStep) -> list[User]:
    """Everyone who may decide the step now (for messages)."""
    people: list[User] = []
    if step.approver_id and step.approver is not None:
        people.append(step.approver)
    elif step.approver_role:
        people.extend(User.objects.filter(role=step.approver_role, is_active=True))
    if step.escalated_at and step.deputy is not None and step.deputy not in people:
        people.append(step.deputy)
    return people


def _ask(step: ApprovalStep, requisition: Requisition, template: str, urgent: bool) -> None:
    context = {
        "requisition": requisition.number,
        "order": requisition.order.number,
        "amount": _fmt(requisition.amount),
        "requester": str(requisition.requester or ""),
        "step": step.name,
        "lines": _lines_summary(requisition),
    }
    for person in step_deciders(step):
        notify(
            recipient=person,
            template=template,
            context=context,
            order=requisition.order,
            urgent=urgent,
        )


def _approve_finally(requisition: Requisition, actor: User | None, now: datetime.datetime) -> None:
    """All signatures are in: the warehouse gets the pick list."""
    Requisition.objects.filter(pk=requisition.pk).update(
        status=RequisitionStatus.APPROVED, approved_at=now, updated_at=now
    )
    requisition.status = RequisitionStatus.APPROVED
    requisition.approved_at = now
    _requisition_event(
        requisition,
        "parts_approval_complete",
        actor,
        {"amount": _fmt(requisition.amount)},
        now,
    )
    for keeper in _keepers(requisition.warehouse):
        notify(
            recipient=keeper,
            template="parts_pick_list",
            context={
                "requisition": requisition.number,
                "order": requisition.order.number,
                "warehouse": requisition.warehouse.name,
                "lines": _lines_summary(requisition),
            },
            order=requisition.order,
            urgent=requisition.order.priority == "red",
        )


@transaction.atomic
def requisition_decide(
    *,
    actor: User,
    requisition: Requisition,
    step: ApprovalStep,
    approve: bool,
    version: Any,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> Requisition:
    """Approve or reject one step. A rejection ends the requisition; the last approval
    sends it to the warehouse. Deciding a step that is already decided is a conflict."""
    requisition = _lock(requisition, version)
    step = (
        ApprovalStep.objects.select_related("approver", "deputy")
        .filter(pk=step.pk, requisition=requisition)
        .get()
    )
    if not permissions.can_decide(actor, step):
        raise Forbidden(_("您不是“%(step)s”的审批人。") % {"step": step.name})
    if step.status != StepStatus.PENDING:
        raise Conflict(
            _("该审批环节已处理（%(status)s），不能重复审批。")
            % {"status": step.get_status_display()},
            {"step": _("已处理。")},
        )
    comment = _text(comment, "comment", 500, required=not approve)
    now = at or timezone.now()
    claimed = ApprovalStep.objects.filter(pk=step.pk, status=StepStatus.PENDING).update(
        status=StepStatus.APPROVED if approve else StepStatus.REJECTED,
        decided_by=actor,
        decided_at=now,
        comment=comment,
    )
    if claimed != 1:
        raise Conflict(_("该审批环节已处理，不能重复审批。"), {"step": _("已处理。")})
    _guarded_save(requisition, version, updated_at=now)
    data = {
        "step": step.name,
        "position": step.position,
        "amount": _fmt(requisition.amount),
        **({"comment": comment} if comment else {}),
        **({"as_deputy": True} if step.approver_id and step.approver_id != actor.pk else {}),
    }
    if not approve:
        requisition.steps.filter(status=StepStatus.WAITING).update(status=StepStatus.SKIPPED)
        Requisition.objects.filter(pk=requisition.pk).update(status=RequisitionStatus.REJECTED)
        requisition.status = RequisitionStatus.REJECTED
        _requisition_event(requisition, "parts_rejected", actor, data, now)
        notify(
            recipient=requisition.requester,
            template="parts_rejected",
            context={
                "requisition": requisition.number,
                "order": requisition.order.number,
                "step": step.name,
                "by": str(actor),
                "comment": comment,
            },
            order=requisition.order,
        )
        return requisition
    _requisition_event(requisition, "parts_approved", actor, data, now)
    following = (
        requisition.steps.filter(status=StepStatus.WAITING).order_by("position", "id").first()
    )
    if following is None:
        _approve_finally(requisition, actor, now)
    else:
        _activate(following, now)
        _ask(
            following,
            requisition,
            "parts_approval_requested",
            urgent=requisition.order.priority == "red",
        )
    return requisition
