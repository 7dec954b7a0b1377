"""Extension points sent inside the write transaction of the order services.

Receivers (routing, SLA, notifications) write in the same transaction, so an
order never exists without its assignment, deadlines or outbox rows.
"""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: order, actor
work_order_created = Signal()
# kwargs: order, actor, transition, from_state
work_order_transitioned = Signal()
# kwargs: order, actor, previous_assignee
work_order_assigned = Signal()
