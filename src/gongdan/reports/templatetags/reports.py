from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from gongdan.reports.tables import Cell

register = template.Library()


def cell_href(cell: Cell, query: str) -> str:
    if cell.key.startswith("#"):
        from gongdan.reports.views import order_url

        return order_url(cell.key[1:])
    return f"{reverse('reports:orders')}?{query}&{urlencode({'m': cell.key})}"


@register.simple_tag
def cell(value: Cell, query: str) -> SafeString:
    """A figure as a link to the orders behind it; plain text when it has none."""
    if not value.key:
        return format_html('<span class="{}">{}</span>', value.css, value.text)
    return format_html(
        '<a class="figure {}" href="{}"{}>{}</a>',
        value.css,
        cell_href(value, query),
        SafeString(" data-count") if value.is_count else "",
        value.text,
    )


@register.simple_tag
def export_href(table: str, fmt: str, query: str) -> str:
    return f"{reverse('reports:export', args=[table, fmt])}?{query}"
