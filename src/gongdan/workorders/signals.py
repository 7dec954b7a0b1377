"""Extension points sent inside the write transaction of the order services.

Receivers (routing, SLA, notifications) write in the same transaction, so an
order never exists without its assignment, deadlines or outbox rows. A receiver
that changes the order's columns also sets them on the instance it was given:
the service answers with that instance and does not read the row again.
"""

from __future__ import annotations

from django.dispatch import Signal

# Every signal also carries ``at``: when the change happened (history imports
# replay the past, so receivers must not assume "now").

# Sent before a new order's write transaction, with the order not yet saved (no
# number, no id). Receivers decide what only needs reading — deadlines, the
# assignee — by setting the order's fields, and append to ``writes`` what must be
# written once the row exists: callables taking the saved order, run in order
# inside the create's transaction. On SQLite that keeps the reads and the
# deciding outside the database's single write lock.
# kwargs: order, actor, at, writes
work_order_planned = Signal()
# kwargs: order, actor, at
work_order_created = Signal()
# kwargs: order, actor, transition, from_state, at
work_order_transitioned = Signal()
# kwargs: order, actor, previous_assignee, at
work_order_assigned = Signal()
# kwargs: order, actor, before, after (snapshots of the edited fields), at
work_order_updated = Signal()
