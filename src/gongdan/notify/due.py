"""Ticker finder: new, deferred and retried messages, and sends whose worker vanished."""

from __future__ import annotations

from gongdan.core.ticker import register

from .services import notification_requeue_due


# Every second: new messages wait here for their hand-over to the queue.
@register("notifications", every=1.0)
def notifications_due() -> int:
    return notification_requeue_due()
