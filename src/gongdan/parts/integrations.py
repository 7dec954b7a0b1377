"""Thin bridges to the notification outbox and the business calendar.

Both live in other apps; parts works without them (no messages, 24×7 time) so
it can be installed alone, and uses them as soon as they are installed.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.apps import apps

log = logging.getLogger("gongdan.parts")


def _installed(app: str) -> bool:
    return apps.is_installed(f"gongdan.{app}")


def notify(
    *,
    recipient: Any,
    template: str,
    context: dict[str, Any],
    order: Any = None,
    urgent: bool = False,
    message: Any = None,
) -> None:
    """Queue a message to ``recipient`` in the caller's transaction (outbox), if installed."""
    if recipient is None:
        return
    if not _installed("notify"):
        log.info("notify not installed; %s for %s not sent", template, recipient)
        return
    from django.conf import settings
    from django.utils import translation

    from gongdan.notify.services import notify as outbox_notify

    context = dict(context)
    if isinstance(context.get("lines"), list):
        context["items"] = "、".join(
            f"{line['name']} × {line['quantity']}{line.get('unit', '')}"
            for line in context["lines"]
        )
    if message is not None:
        # Order-less messages are rendered from %(message)s: write it in the
        # recipient's language, as the outbox does for its own texts.
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            context["message"] = str(message) % context
    outbox_notify(
        recipient=recipient, template=template, context=context, order=order, urgent=urgent
    )


def add_business_time(start: datetime.datetime, delta: datetime.timedelta) -> datetime.datetime:
    """``start`` plus ``delta`` of working time on the default business calendar."""
    if not _installed("sla"):
        return start + delta
    from gongdan.sla.calendar import add_business_time as calendar_add

    result: datetime.datetime = calendar_add(start, delta)
    return result


def business_time_between(a: datetime.datetime, b: datetime.datetime) -> datetime.timedelta:
    """Working time from ``a`` to ``b`` on the default business calendar."""
    if not _installed("sla"):
        return b - a
    from gongdan.sla.calendar import business_time_between as calendar_between

    result: datetime.timedelta = calendar_between(a, b)
    return result
