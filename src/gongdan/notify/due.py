"""Ticker finder: deferred and retried messages, and sends whose worker vanished."""

from __future__ import annotations

from gongdan.core.ticker import register

from .services import notification_requeue_due


@register("notifications")
def notifications_due() -> int:
    return notification_requeue_due()
