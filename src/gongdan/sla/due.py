"""Ticker finder: orders whose next escalation step has come due."""

from __future__ import annotations

from django.db import transaction

from gongdan.core.ticker import register

from .services import sla_claim_due


@register("sla_escalations")
def escalations_due() -> int:
    from .tasks import escalate_order

    with transaction.atomic():
        claimed = sla_claim_due()

        def enqueue() -> None:
            for order_id in claimed:
                escalate_order.enqueue(order_id)

        transaction.on_commit(enqueue)
    return len(claimed)
