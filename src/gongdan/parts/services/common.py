"""Input cleaning and formatting shared by the parts services.

Quantities, money and free text are checked into clear field errors; quantities
and money are written for events and messages without trailing zeros.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from gongdan.core.errors import ValidationFailed

MAX_QUANTITY = Decimal("1000000")


def clean_quantity(value: Any, field: str = "quantity", *, allow_negative: bool = False) -> Decimal:
    """A positive (or, for adjustments, non-zero) quantity with at most two decimals."""
    try:
        qty = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(_("数量无效。"), {field: _("应为数字。")})
    if not qty.is_finite() or abs(qty) >= MAX_QUANTITY:
        raise ValidationFailed(_("数量无效。"), {field: _("数量过大。")})
    if allow_negative and qty == 0:
        raise ValidationFailed(_("数量无效。"), {field: _("不能为 0。")})
    if not allow_negative and qty <= 0:
        raise ValidationFailed(_("数量无效。"), {field: _("应大于 0。")})
    return qty


def _money(value: Any, field: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationFailed(_("金额无效。"), {field: _("应为数字。")})
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1000000000000"):
        raise ValidationFailed(_("金额无效。"), {field: _("应为不小于 0 的金额。")})
    return amount


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationFailed(_("应为文本。"), {field: _("应为文本。")})
    value = value.strip()
    if required and not value:
        raise ValidationFailed(_("请填写原因。"), {field: _("此项为必填。")})
    if len(value) > limit:
        raise ValidationFailed(
            _("文本过长。"), {field: _("不能超过 %(n)d 个字符。") % {"n": limit}}
        )
    return value


def _fmt(value: Decimal) -> str:
    """Quantities and money for events and messages: no trailing zeros."""
    text = format(value.normalize(), "f")
    return text
