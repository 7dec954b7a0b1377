"""Ticker finder: orders whose assignee has not accepted in time."""

from __future__ import annotations

from django.db import transaction

from gongdan.core.ticker import register

from .services import routing_claim_timeouts


@register("routing_accept_timeouts")
def accept_timeouts_due() -> int:
    from .tasks import reroute_unaccepted

    with transaction.atomic():
        claimed = routing_claim_timeouts()

        def enqueue() -> None:
            for order_id in claimed:
                reroute_unaccepted.enqueue(order_id)

        transaction.on_commit(enqueue)
    return len(claimed)
