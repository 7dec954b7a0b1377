"""Short message texts keyed by template name, rendered in the recipient's language.

The msgids are Chinese; the English catalogue translates them. A template
nobody defined renders as a generic "the order has news" message, so a typo in
a caller never loses the notification.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import pgettext_lazy as _p

from gongdan.core.models import User
from gongdan.workorders.models import WorkOrder, priority_word

_ = gettext_lazy

# template → (subject, body). Bodies take %(number)s, %(title)s, %(priority)s,
# %(asset)s, %(assignee)s, %(due)s, %(url)s and whatever the caller adds; a
# "link" in the context replaces the order's page as the message's link.
# Other apps add theirs with register().
MESSAGES: dict[str, tuple[Any, Any]] = {
    "order_assigned": (
        _("新工单 %(number)s"),
        _("%(priority)s工单 %(number)s「%(title)s」（%(asset)s）已派给您，请尽快接单。"),
    ),
    "order_received": (
        _("已收到您的报修 %(number)s"),
        _("您的报修 %(number)s「%(title)s」已受理，我们将在 %(due)s 前响应。"),
    ),
    "order_received_no_sla": (
        _("已收到您的报修 %(number)s"),
        _("您的报修 %(number)s「%(title)s」已受理，我们会尽快处理。"),
    ),
    "routing_no_candidate": (
        _("工单 %(number)s 需要人工派单"),
        _("%(priority)s工单 %(number)s「%(title)s」没有找到合适的处理人，请人工派单。"),
    ),
    "routing_notice": (
        _("%(priority)s工单 %(number)s"),
        _("%(priority)s工单 %(number)s「%(title)s」（%(asset)s）已自动派给 %(assignee)s。"),
    ),
    "sla_warning": (
        _("工单 %(number)s 即将超时"),
        _("工单 %(number)s「%(title)s」的%(target)s时限为 %(due)s，已用去 %(percent)s%%。"),
    ),
    "sla_breached": (
        _("工单 %(number)s 已超时"),
        _("%(number)s「%(title)s」%(target)s已超时（时限 %(due)s），请立即处理。"),
    ),
    # The link is the rating page (context "link"), not the order page.
    "rating_request": (
        _("请为工单 %(number)s 的服务评价"),
        _("工单 %(number)s「%(title)s」已处理完毕，请打开链接为本次服务评价，只需几秒钟。"),
    ),
    "generic": (
        _("工单 %(number)s 有新动态"),
        _("工单 %(number)s「%(title)s」有新动态。"),
    ),
}

NO_ORDER: tuple[Any, Any] = (_p("notification", "gongdan 通知"), _("%(message)s"))


def register(key: str, subject: Any, body: Any) -> None:
    """Add another app's message texts (lazy gettext, Chinese msgids) under ``key``.

    Call it from the app's AppConfig.ready(); a key already taken keeps its texts,
    so an app cannot silently change another's messages."""
    MESSAGES.setdefault(key, (subject, body))


class _Blank(dict[str, Any]):
    """A context where a missing key renders as nothing instead of failing."""

    def __missing__(self, key: str) -> str:
        return ""


def order_url(order: WorkOrder) -> str:
    return f"{settings.PUBLIC_BASE_URL}/orders/{order.number}/"


def local_time(moment: datetime.datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def language_of(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def render(
    *, recipient: User, template: str, context: dict[str, Any], order: WorkOrder | None
) -> dict[str, Any]:
    """The payload of one message: subject, body, link, all in the recipient's language."""
    language = language_of(recipient)
    with translation.override(language):
        values = _Blank()
        if order is not None:
            values.update(
                number=order.number,
                title=order.title,
                priority=priority_word(order.priority),
                asset=str(order.asset) if order.asset_id else gettext("无设备"),
                assignee=str(order.assignee) if order.assignee_id else gettext("无"),
                due=local_time(order.response_due_at),
            )
        for key, value in context.items():
            values[key] = local_time(value) if isinstance(value, datetime.datetime) else value
        pair = NO_ORDER if order is None else MESSAGES.get(template, MESSAGES["generic"])
        rendered_subject = str(pair[0]) % values
        rendered_body = str(pair[1]) % values
    # A caller may point the message somewhere other than the order (a rating page).
    if link := context.get("link"):
        url = str(link)
    else:
        url = order_url(order) if order is not None else settings.PUBLIC_BASE_URL + "/"
    return {
        "subject": rendered_subject,
        "body": rendered_body,
        "url": url,
        "language": language,
        "order": order.number if order is not None else None,
    }
