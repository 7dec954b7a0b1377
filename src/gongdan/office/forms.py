"""Forms generated from an order type's field definitions.

The browser only shapes the input (a select for a choice, a date picker for a
date); the values go to the same service code as the API, which cleans them
and names each offending field. So the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from gongdan.assets.models import Asset
from gongdan.core.i18n import pick
from gongdan.core.models import Role, User
from gongdan.workorders.models import FieldDefinition, FieldType, Priority

FILE_TYPES = (FieldType.PHOTO, FieldType.FILE)
CORE_KEYS = ("title", "description", "priority", "asset", "customer", "on_behalf_of")


@dataclass
class Choice:
    value: str
    label: str
    selected: bool = False


@dataclass
class FieldInput:
    """Everything a template needs to draw one input and its error."""

    name: str
    label: str
    kind: str  # text, textarea, number, select, checkboxes, date, datetime, location, file
    value: Any = ""
    required: bool = False
    help: str = ""
    error: str = ""
    choices: list[Choice] = field(default_factory=list)
    step: str = ""
    maxlength: int | None = None


def _datetime_local(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    parsed = parse_datetime(value)
    if parsed is None:
        return value
    return timezone.localtime(parsed).strftime("%Y-%m-%dT%H:%M")


def field_input(
    definition: FieldDefinition,
    *,
    value: Any = None,
    required: bool = False,
    error: str = "",
    users: list[User] | None = None,
) -> FieldInput:
    """The input for one custom field, pre-filled with ``value`` (stored or submitted)."""
    name = f"data.{definition.key}"
    ftype = definition.field_type
    item = FieldInput(
        name=name,
        label=definition.label,
        kind="text",
        value="" if value is None else value,
        required=required or definition.required,
        help=definition.help,
        error=error,
        maxlength=definition.max_length,
    )
    if ftype == FieldType.LONG_TEXT:
        item.kind = "textarea"
    elif ftype in (FieldType.INTEGER, FieldType.DECIMAL):
        item.kind = "number"
        item.step = "1" if ftype == FieldType.INTEGER else "any"
    elif ftype == FieldType.BOOLEAN:
        # A select, not a checkbox: an untouched optional field must stay empty
        # rather than be recorded as “no”.
        item.kind = "select"
        current = "" if value is None else str(value).lower()
        item.choices = [
            Choice("true", _("是"), current in ("true", "1")),
            Choice("false", _("否"), current in ("false", "0")),
        ]
    elif ftype == FieldType.DATE:
        item.kind = "date"
    elif ftype == FieldType.DATETIME:
        item.kind = "datetime"
        item.value = _datetime_local(value)
    elif ftype == FieldType.CHOICE:
        item.kind = "select"
        item.choices = [
            Choice(str(c["value"]), pick(c.get("zh", ""), c.get("en", "")), c["value"] == value)
            for c in definition.choices
        ]
    elif ftype == FieldType.MULTI_CHOICE:
        item.kind = "checkboxes"
        chosen = value if isinstance(value, list) else [value]
        item.choices = [
            Choice(str(c["value"]), pick(c.get("zh", ""), c.get("en", "")), c["value"] in chosen)
            for c in definition.choices
        ]
    elif ftype == FieldType.USER:
        item.kind = "select"
        item.choices = [Choice(u.username, str(u), u.username == value) for u in users or []]
    elif ftype == FieldType.LOCATION:
        item.kind = "location"
        item.value = value if isinstance(value, dict) else {}
    elif ftype in FILE_TYPES:
        item.kind = "file"
        item.value = value if isinstance(value, list) else []
    return item


def data_from_post(
    definitions: list[FieldDefinition], post: QueryDict, only: set[str] | None = None
) -> dict[str, Any]:
    """The ``data`` payload a form submitted, in the shape the API accepts.

    Empty inputs become None, which the service treats as “clear”; photo and
    file fields are handled by the caller after the uploads are stored.
    """
    data: dict[str, Any] = {}
    for definition in definitions:
        if only is not None and definition.key not in only:
            continue
        if definition.field_type in FILE_TYPES:
            continue
        name = f"data.{definition.key}"
        if definition.field_type == FieldType.MULTI_CHOICE:
            if f"{name}.present" in post or name in post:
                data[definition.key] = post.getlist(name) or None
            continue
        if definition.field_type == FieldType.LOCATION:
            lat = post.get(f"{name}.lat", "").strip()
            lng = post.get(f"{name}.lng", "").strip()
            if f"{name}.lat" in post:
                data[definition.key] = {"lat": lat, "lng": lng} if lat or lng else None
            continue
        if name not in post:
            continue
        raw = post.get(name, "")
        if definition.field_type == FieldType.BOOLEAN:
            data[definition.key] = {"true": True, "false": False}.get(raw)
        else:
            data[definition.key] = raw.strip() if isinstance(raw, str) else raw
            if data[definition.key] == "":
                data[definition.key] = None
    return data


def files_for(definitions: list[FieldDefinition], files: MultiValueDict) -> dict[str, list[Any]]:
    """Uploaded files per photo/file field key."""
    out: dict[str, list[Any]] = {}
    for definition in definitions:
        if definition.field_type in FILE_TYPES:
            uploads = files.getlist(f"data.{definition.key}")
            if uploads:
                out[definition.key] = uploads
    return out


def priority_choices(current: str) -> list[Choice]:
    return [Choice(value, str(label), value == current) for value, label in Priority.choices]


def asset_by_code(code: str) -> Asset | None:
    return Asset.objects.filter(code=code.strip()).first() if code and code.strip() else None


def on_behalf_candidates() -> list[User]:
    """People a clerk may enter a paper order for: the front line."""
    return list(
        User.objects.filter(is_active=True, role__in=[Role.ENGINEER, Role.REQUESTER]).order_by(
            "role", "username"
        )
    )


def field_users() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("username"))
