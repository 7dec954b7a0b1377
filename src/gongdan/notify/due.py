"""Ticker finder: messages new orders asked for, new, deferred and retried messages,
and sends whose worker vanished."""

from __future__ import annotations

from gongdan.core.ticker import register

from .services import message_batches_build, notification_requeue_due


# Every second: messages asked for by new orders are made, and new messages wait
# here for their hand-over to the queue (the ones just made included).
@register("notifications", every=1.0)
def notifications_due() -> int:
    return message_batches_build() + notification_requeue_due()
