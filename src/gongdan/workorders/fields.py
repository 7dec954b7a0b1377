"""Validation of custom field values against their FieldDefinition.

One function per field type; each returns the value as stored in the JSON
column (dates and decimals as ISO strings) or raises FieldValueError with a
reason in the request's language.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import FieldDefinition


class FieldValueError(ValueError):
    """A value that its definition rejects; the message is shown to the user."""


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text(defn: FieldDefinition, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldValueError(_("应为文本。"))
    value = value.strip()
    limit = defn.max_length or (200 if defn.field_type == "text" else 5000)
    if len(value) > limit:
        raise FieldValueError(_("不能超过 %(n)d 个字符。") % {"n": limit})
    if defn.regex and not re.fullmatch(defn.regex, value):
        raise FieldValueError(_("格式不正确。"))
    return value


def _check_range(defn: FieldDefinition, number: Decimal) -> None:
    if defn.min_value is not None and number < defn.min_value:
        raise FieldValueError(_("不能小于 %(min)s。") % {"min": _plain(defn.min_value)})
    if defn.max_value is not None and number > defn.max_value:
        raise FieldValueError(_("不能大于 %(max)s。") % {"max": _plain(defn.max_value)})


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def _integer(defn: FieldDefinition, value: Any) -> int:
    if isinstance(value, bool):
        raise FieldValueError(_("应为整数。"))
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if not isinstance(value, int):
        raise FieldValueError(_("应为整数。"))
    _check_range(defn, Decimal(value))
    return value


def _decimal(defn: FieldDefinition, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldValueError(_("应为数字。"))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise FieldValueError(_("应为数字。"))
    if not number.is_finite():
        raise FieldValueError(_("应为数字。"))
    _check_range(defn, number)
    return _plain(number)


def _boolean(defn: FieldDefinition, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "1", "on", "yes"):
        return True
    if value in ("false", "0", "off", "no"):
        return False
    raise FieldValueError(_("应为是或否。"))


def _date(defn: FieldDefinition, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldValueError(_("应为日期（YYYY-MM-DD）。"))
    try:
        parsed = parse_date(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise FieldValueError(_("应为日期（YYYY-MM-DD）。"))
    return parsed.isoformat()


def _datetime(defn: FieldDefinition, value: Any) -> str:
    if not isinstance(value, str):
        raise FieldValueError(_("应为日期时间（YYYY-MM-DD HH:MM）。"))
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise FieldValueError(_("应为日期时间（YYYY-MM-DD HH:MM）。"))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed.astimezone(datetime.UTC).isoformat()


def _choice_values(defn: FieldDefinition) -> list[str]:
    return [str(c.get("value")) for c in defn.choices]


def _choice(defn: FieldDefinition, value: Any) -> str:
    if not isinstance(value, str) or value not in _choice_values(defn):
        raise FieldValueError(_("不是有效的选项。"))
    return value


def _multi_choice(defn: FieldDefinition, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise FieldValueError(_("应为选项列表。"))
    allowed = _choice_values(defn)
    if any(v not in allowed for v in value):
        raise FieldValueError(_("包含无效的选项。"))
    return list(dict.fromkeys(value))


def _user(defn: FieldDefinition, value: Any) -> str:
    from gongdan.core.models import User

    if not isinstance(value, str) or not User.objects.filter(username=value).exists():
        raise FieldValueError(_("找不到该人员。"))
    return value


def _asset(defn: FieldDefinition, value: Any) -> str:
    from gongdan.assets.models import Asset

    if not isinstance(value, str) or not Asset.objects.filter(code=value).exists():
        raise FieldValueError(_("找不到该设备。"))
    return value


def _location(defn: FieldDefinition, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldValueError(_("应为位置（lat、lng）。"))
    try:
        lat, lng = float(value["lat"]), float(value["lng"])
    except (KeyError, TypeError, ValueError):
        raise FieldValueError(_("应为位置（lat、lng）。"))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise FieldValueError(_("坐标超出范围。"))
    cleaned: dict[str, Any] = {"lat": lat, "lng": lng}
    if isinstance(value.get("address"), str):
        cleaned["address"] = value["address"][:200]
    return cleaned


def _attachments(defn: FieldDefinition, value: Any) -> list[int]:
    """Photo and file fields hold ids of attachments already uploaded to the order."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise FieldValueError(_("应为附件编号列表。"))
    return value


CLEANERS: dict[str, Callable[[FieldDefinition, Any], Any]] = {
    "text": _text,
    "long_text": _text,
    "integer": _integer,
    "decimal": _decimal,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "choice": _choice,
    "multi_choice": _multi_choice,
    "user": _user,
    "asset": _asset,
    "location": _location,
    "photo": _attachments,
    "file": _attachments,
}


def clean_field_value(defn: FieldDefinition, value: Any) -> Any:
    """The stored form of ``value``; None for an empty value (requiredness is checked by
    the caller, which knows the state)."""
    if _is_empty(value):
        return None
    return CLEANERS[defn.field_type](defn, value)


def is_empty(value: Any) -> bool:
    return _is_empty(value)
