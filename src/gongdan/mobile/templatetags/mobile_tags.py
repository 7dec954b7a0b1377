from __future__ import annotations

from typing import Any

from django import template

from gongdan.workorders.models import priority_word

register = template.Library()


@register.filter
def short_priority(order: Any) -> str:
    """ "红色 · 停机风险" → "红色": the colour word is what fits on a phone's badge."""
    return priority_word(order.priority)
