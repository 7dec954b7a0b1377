"""The texts of the parts notifications, added to the outbox's message catalogue.

Bodies may use the order's placeholders (%(number)s, %(title)s …) and the
context parts.services passes (%(requisition)s, %(amount)s, %(step)s …).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

MESSAGES: dict[str, tuple[Any, Any]] = {
    "parts_approval_requested": (
        _("领料审批 %(requisition)s"),
        _(
            "%(requester)s 为工单 %(number)s 申请备件 ¥%(amount)s（%(items)s），"
            "请审批（%(step)s）。"
        ),
    ),
    "parts_approval_reminder": (
        _("催办：领料审批 %(requisition)s"),
        _("工单 %(number)s 的领料单 %(requisition)s（¥%(amount)s）等待您审批已超时，请尽快处理。"),
    ),
    "parts_approval_escalated": (
        _("领料审批已转交您：%(requisition)s"),
        _(
            "%(approver)s 未在时限内审批工单 %(number)s 的领料单 %(requisition)s"
            "（¥%(amount)s），已升级给您，请代为审批。"
        ),
    ),
    "parts_rejected": (
        _("领料单 %(requisition)s 被驳回"),
        _("%(by)s 驳回了工单 %(number)s 的领料单 %(requisition)s：%(comment)s"),
    ),
    "parts_pick_list": (
        _("待发料：%(requisition)s"),
        _("工单 %(number)s 的领料单 %(requisition)s 已批准，请从%(warehouse)s发料：%(items)s。"),
    ),
    "parts_issued": (
        _("备件已发出：%(requisition)s"),
        _("工单 %(number)s 的领料单 %(requisition)s 已发料，请领取后在手机上确认签收。"),
    ),
}

# Low stock concerns no order; the outbox renders order-less messages from %(message)s.
LOW_STOCK = _(
    "%(part_name)s（%(part)s）在%(warehouse)s仅剩 %(quantity)s %(unit)s，"
    "低于安全库存 %(threshold)s。"
)


def register() -> None:
    """Add the parts texts to the outbox's catalogue (when the outbox is installed)."""
    from gongdan.notify.messages import register as register_message

    for key, (subject, body) in MESSAGES.items():
        register_message(key, subject, body)
