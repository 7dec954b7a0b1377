"""Worker tasks for SLA escalation."""

from __future__ import annotations

from django_tasks import task

from .services import sla_escalate


@task()
def escalate_order(order_id: int) -> list[str]:
    return sla_escalate(order_id=order_id)
