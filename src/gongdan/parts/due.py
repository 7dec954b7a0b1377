"""Approval steps that have waited too long: remind the approver, then escalate.

Deadlines are indexed columns on ApprovalStep, computed in business time when
the step became pending; each item is claimed by a guarded UPDATE inside the
service, so two tickers never remind or escalate the same step twice.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from gongdan.core.ticker import register

from .models import ApprovalStep, StepStatus
from .services import approval_step_escalate, approval_step_remind

BATCH = 200


@register("parts_approvals")
def approvals_due(now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    done = 0
    pending = ApprovalStep.objects.filter(status=StepStatus.PENDING)
    remind = pending.filter(reminded_at__isnull=True, due_at__lte=now).order_by("due_at")
    for step_id in list(remind.values_list("pk", flat=True)[:BATCH]):
        done += approval_step_remind(step_id=step_id, now=now)
    escalate = pending.filter(escalated_at__isnull=True, escalate_at__lte=now).order_by(
        "escalate_at"
    )
    for step_id in list(escalate.values_list("pk", flat=True)[:BATCH]):
        done += approval_step_escalate(step_id=step_id, now=now)
    return done
