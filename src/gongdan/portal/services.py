"""Public writes: a fault reported by scanning a machine's label, and the customer's rating.

Neither page has a login. Reports are made by one system requester (``portal``)
on behalf of whoever scanned; a per-submission token makes a double tap or a
retry on a weak signal return the order the first submission made.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongdan.assets.models import Asset
from gongdan.core.errors import Conflict, ValidationFailed
from gongdan.core.i18n import pick
from gongdan.core.models import Role, User
from gongdan.workorders import services as wo
from gongdan.workorders.models import (
    EventKind,
    FieldDefinition,
    IdempotencyKey,
    Priority,
    WorkOrder,
    WorkOrderType,
)

from .models import Rating

PORTAL_USERNAME = "portal"
RATING_SALT = "gongdan.portal.rating"


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- the system requester ------------------------------------------------------


def portal_user() -> User:
    """The system requester that public reports are filed as (created on first use)."""
    user = User.objects.filter(username=PORTAL_USERNAME).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            user = User(
                username=PORTAL_USERNAME,
                role=Role.REQUESTER,
                display_name=_("扫码报修"),
                is_active=True,
            )
            user.set_unusable_password()
            user.save()
            return user
    except IntegrityError:
        return User.objects.get(username=PORTAL_USERNAME)


# --- reporting -----------------------------------------------------------------


def report_type() -> WorkOrderType | None:
    """The order type scan reports open: PORTAL_ORDER_TYPE, else the first active type
    with a ``symptom`` choice field."""
    key = _setting("PORTAL_ORDER_TYPE", "equipment_repair")
    found = WorkOrderType.objects.filter(key=key, is_active=True).first()
    if found is None:
        found = (
            WorkOrderType.objects.filter(is_active=True, fields__key="symptom")
            .order_by("key")
            .first()
        )
    return found


def symptom_field(order_type: WorkOrderType) -> FieldDefinition | None:
    return order_type.fields.filter(key="symptom", field_type="choice").first()


@dataclass(frozen=True)
class Symptom:
    value: str
    label: str


def symptoms(order_type: WorkOrderType) -> list[Symptom]:
    """The type's common symptoms, in its own order, as the big buttons show them."""
    definition = symptom_field(order_type)
    if definition is None:
        return []
    return [
        Symptom(value=str(c["value"]), label=pick(c.get("zh", c["value"]), c.get("en", "")))
        for c in definition.choices
    ]


def scope_for(asset: Asset) -> str:
    return f"portal:{asset.code}"


def earlier_report(*, asset: Asset, token: str) -> WorkOrder | None:
    """The order an earlier submission with this token made, if any."""
    if not token:
        return None
    hit = (
        IdempotencyKey.objects.filter(scope=scope_for(asset), key=token[:100])
        .select_related("order")
        .first()
    )
    return hit.order if hit else None


def portal_report_create(
    *,
    asset: Asset,
    symptom: str,
    token: str,
    text: str = "",
    name: str = "",
    phone: str = "",
    machine_stopped: bool = False,
    photo: UploadedFile | None = None,
) -> tuple[WorkOrder, bool]:
    """File a fault on ``asset`` from the public scan page. Returns (order, created).

    The order, its photo and the idempotency key commit together: a bad photo
    leaves nothing behind, and a retry of a good submission returns its order.
    """
    order_type = report_type()
    if order_type is None:
        raise ValidationFailed(_("系统尚未配置报修工单类型。"), {"type": _("未配置。")})
    errors: dict[str, str] = {}
    choices = {s.value: s for s in symptoms(order_type)}
    if choices and symptom not in choices:
        errors["symptom"] = _("请选择故障现象。")
    text, name, phone = text.strip(), name.strip(), phone.strip()
    if len(text) > 2000:
        errors["text"] = _("描述不能超过 2000 个字符。")
    if len(name) > 50:
        errors["name"] = _("姓名不能超过 50 个字符。")
    data: dict[str, Any] = {}
    if symptom in choices:
        data["symptom"] = symptom
    keys = set(order_type.fields.values_list("key", flat=True))
    if phone:
        if "reporter_phone" in keys:
            data["reporter_phone"] = phone
        elif len(phone) > 20:
            errors["phone"] = _("电话格式不正确。")
    if machine_stopped and "machine_stopped" in keys:
        data["machine_stopped"] = True
    if errors:
        raise ValidationFailed(_("请检查标出的项目。"), errors)
    title = f"{choices[symptom].label} · {asset.name}" if symptom in choices else asset.name
    lines = [text] if text else []
    if name or phone:
        lines.append(_("报修人：%(who)s") % {"who": " ".join(p for p in (name, phone) if p)})
    actor = portal_user()
    try:
        with transaction.atomic():
            order, created = wo.work_order_create(
                actor=actor,
                order_type=order_type,
                title=title[:200],
                priority=Priority.RED if machine_stopped else None,
                description="\n".join(lines),
                asset=asset,
                data=data,
                idempotency_key=token[:100] or None,
                idempotency_scope=scope_for(asset),
            )
            if created and photo is not None:
                wo.attachment_create(order=order, actor=actor, upload=photo, tag="report")
    except ValidationFailed as exc:
        # The type's own validation names its fields by key; the form knows them by name.
        renamed = {"reporter_phone": "phone", "data": "symptom"}
        raise ValidationFailed(
            exc.message, {renamed.get(k, k): v for k, v in exc.errors.items()}
        ) from exc
    # Routing and SLA wrote to the row inside the transaction; show what they decided.
    return WorkOrder.objects.with_related().get(pk=order.pk), created


# --- rating --------------------------------------------------------------------


class RatingLinkInvalid(ValidationFailed):
    code = "rating_link_invalid"


class RatingLinkExpired(ValidationFailed):
    code = "rating_link_expired"
    status = 410


class AlreadyRated(Conflict):
    code = "already_rated"


def rating_max_age() -> int:
    return int(_setting("RATING_LINK_MAX_AGE", 30 * 24 * 3600))


def rating_token(order: WorkOrder) -> str:
    """A signed, time-stamped token naming the order: unguessable without SECRET_KEY."""
    return signing.dumps({"o": order.pk}, salt=RATING_SALT)


def rating_url(order: WorkOrder) -> str:
    return f"{settings.PUBLIC_BASE_URL}/rate/{rating_token(order)}"


def rating_order(token: str) -> WorkOrder:
    """The order a rating token names; RatingLinkExpired or RatingLinkInvalid otherwise."""
    try:
        payload = signing.loads(token, salt=RATING_SALT, max_age=rating_max_age())
    except signing.SignatureExpired:
        raise RatingLinkExpired(_("评价链接已过期。"), {"token": _("已过期。")})
    except signing.BadSignature:
        raise RatingLinkInvalid(_("评价链接无效。"), {"token": _("无效。")})
    pk = payload.get("o") if isinstance(payload, dict) else None
    order = WorkOrder.objects.with_related().filter(pk=pk).first() if isinstance(pk, int) else None
    if order is None:
        raise RatingLinkInvalid(_("评价链接无效。"), {"token": _("无效。")})
    return order


def _int_in(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


@transaction.atomic
def rating_submit(
    *,
    token: str,
    stars: Any,
    recommend: Any,
    comment: str = "",
    at: datetime.datetime | None = None,
) -> Rating:
    """Record the customer's rating, once per order, as a row and as a *rating* event."""
    order = rating_order(token)
    errors: dict[str, str] = {}
    star_value = _int_in(stars, 1, 5)
    recommend_value = _int_in(recommend, 0, 10)
    if star_value is None:
        errors["stars"] = _("请选择 1–5 星。")
    if recommend_value is None:
        errors["recommend"] = _("请选择 0–10 分。")
    comment = (comment or "").strip()
    if len(comment) > 2000:
        errors["comment"] = _("评价不能超过 2000 个字符。")
    if errors:
        raise ValidationFailed(_("请检查标出的项目。"), errors)
    assert star_value is not None and recommend_value is not None
    if Rating.objects.filter(order=order).exists():
        raise AlreadyRated(_("这张工单已经评价过了，谢谢！"), {"token": _("已评价。")})
    try:
        with transaction.atomic():
            rating = Rating.objects.create(
                order=order,
                stars=star_value,
                recommend=recommend_value,
                comment=comment,
                created_at=at or timezone.now(),
            )
    except IntegrityError:
        raise AlreadyRated(_("这张工单已经评价过了，谢谢！"), {"token": _("已评价。")})
    wo.event_record(
        order=order,
        kind=EventKind.RATING,
        actor=order.requester,
        action="rate",
        data={"stars": star_value, "recommend": recommend_value, "comment": comment},
        at=rating.created_at,
    )
    return rating
