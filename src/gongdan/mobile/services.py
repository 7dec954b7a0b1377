"""The engineer's actions from the phone: accept, depart, arrive, prove presence, photos,
complete. Workflow changes go through workorders.services; this app adds what the
phone knows (position, distance, ETA, the scanned code) and keeps it beside the order.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from gongdan.core.errors import Forbidden, ValidationFailed
from gongdan.core.models import User
from gongdan.workorders import services as wo
from gongdan.workorders.models import Attachment, EventKind, WorkOrder

from .geo import Position, haversine_m, travel_eta
from .models import ArrivalRule, PresenceCheck, PresenceMethod, TravelKind, TravelRecord

PHOTO_TAGS = {"before": "before_photos", "after": "after_photos"}


def travel_speed_kmh() -> float:
    return float(getattr(settings, "TRAVEL_SPEED_KMH", 30))


def _distance_to_machine(order: WorkOrder, position: Position | None) -> int | None:
    target = order.asset.coordinates if order.asset_id and order.asset else None
    if position is None or target is None:
        return None
    return round(haversine_m((position.lat, position.lng), target))


def _remember_position(engineer: User, position: Position | None, at: datetime.datetime) -> None:
    """Tell routing where the engineer is now, so "nearest" rules see the phone's fix
    rather than a home base (same transaction as the depart/arrive)."""
    if position is None or not apps.is_installed("gongdan.routing"):
        return
    from gongdan.routing.services import engineer_position_update

    engineer_position_update(user=engineer, lat=position.lat, lng=position.lng, at=at)


def _format_distance(metres: int) -> str:
    if metres < 1000:
        return _("%(m)d 米") % {"m": metres}
    return _("%(km).1f 公里") % {"km": metres / 1000}


@transaction.atomic
def order_depart(
    *, order: WorkOrder, actor: User, version: Any, position: Position | None
) -> TravelRecord:
    """Fire *depart*; record where from, how far to the machine and when we expect to arrive.

    The estimate also goes on the timeline as the transition's comment, so the
    dispatcher and the requester's page read the same thing.
    """
    now = timezone.now()
    distance = _distance_to_machine(order, position)
    eta = (
        travel_eta(distance, speed_kmh=travel_speed_kmh(), now=now)
        if distance is not None
        else None
    )
    if eta is not None and distance is not None:
        note = _("出发：距设备约 %(distance)s，预计 %(eta)s 到达。") % {
            "distance": _format_distance(distance),
            "eta": timezone.localtime(eta).strftime("%H:%M"),
        }
    elif position is None:
        note = _("出发（未取得位置，无法估算到达时间）。")
    else:
        note = _("出发（设备位置未登记，无法估算到达时间）。")
    wo.work_order_transition(
        order=order, actor=actor, action="depart", version=version, comment=note, at=now
    )
    _remember_position(actor, position, now)
    return TravelRecord.objects.create(
        order=order,
        engineer=actor,
        kind=TravelKind.DEPART,
        latitude=position.lat if position else None,
        longitude=position.lng if position else None,
        accuracy_m=position.accuracy if position else None,
        distance_m=distance,
        eta_at=eta,
        created_at=now,
    )


@transaction.atomic
def order_arrive(
    *, order: WorkOrder, actor: User, version: Any, position: Position | None
) -> TravelRecord:
    """Fire *arrive* (check-in) with the position, and its distance from the machine."""
    now = timezone.now()
    distance = _distance_to_machine(order, position)
    data: dict[str, Any] = {}
    if position is not None and order.type.fields.filter(key="arrival_location").exists():
        data["arrival_location"] = {"lat": position.lat, "lng": position.lng}
    note = (
        _("到场签到：距设备约 %(distance)s。") % {"distance": _format_distance(distance)}
        if distance is not None
        else ""
    )
    wo.work_order_transition(
        order=order,
        actor=actor,
        action="arrive",
        version=version,
        data=data,
        comment=note,
        at=now,
    )
    _remember_position(actor, position, now)
    return TravelRecord.objects.create(
        order=order,
        engineer=actor,
        kind=TravelKind.ARRIVE,
        latitude=position.lat if position else None,
        longitude=position.lng if position else None,
        accuracy_m=position.accuracy if position else None,
        distance_m=distance,
        created_at=now,
    )


def presence_required(order: WorkOrder) -> bool:
    """Must the code be scanned before the details unlock? Only for orders on a machine."""
    if not order.asset_id:
        return False
    rule = ArrivalRule.objects.filter(order_type_id=order.type_id).first()
    return rule.require_asset_code if rule else True


def presence_confirmed(order: WorkOrder) -> bool:
    return PresenceCheck.objects.filter(order=order).exists()


def details_unlocked(order: WorkOrder) -> bool:
    return not presence_required(order) or presence_confirmed(order)


def _code_from(scanned: str) -> str:
    # A scanned label holds the whole URL (…/q/IMM-001); a typed one just the code.
    text = scanned.strip()
    if "/q/" in text:
        text = text.rsplit("/q/", 1)[1].split("?", 1)[0].strip("/")
    return text


@transaction.atomic
def presence_confirm(*, order: WorkOrder, actor: User, code: str, method: str) -> PresenceCheck:
    """Unlock the order's details: the code scanned or typed must be the order's machine."""
    if order.assignee_id != actor.pk:
        raise Forbidden(_("只有当前处理人可以验证到场。"))
    if order.arrived_at is None:
        raise ValidationFailed(_("请先点“到场”签到。"), {"code": _("请先签到。")})
    if method not in PresenceMethod.values:
        method = PresenceMethod.TYPED
    if not order.asset_id or _code_from(code).upper() != order.asset.code.upper():  # type: ignore[union-attr]
        raise ValidationFailed(
            _("设备编号不符，请扫描本工单设备上的二维码。"), {"code": _("设备编号不符。")}
        )
    try:
        with transaction.atomic():
            check = PresenceCheck.objects.create(order=order, engineer=actor, method=method)
    except IntegrityError:
        return PresenceCheck.objects.get(order=order)
    wo.event_record(
        order=order,
        kind=EventKind.UPDATED,
        actor=actor,
        action="presence",
        data={"after": {"presence": method, "asset": order.asset.code}},  # type: ignore[union-attr]
        at=check.created_at,
    )
    return check


def _stamp(upload: UploadedFile, text: str) -> UploadedFile:
    """Burn the time (and order number) into the photo's corner, as site cameras do;
    anything that is not a readable image passes through for the order service to refuse."""
    content = upload.read()
    upload.seek(0)
    try:
        with Image.open(io.BytesIO(content)) as original:
            image = ImageOps.exif_transpose(original).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return upload
    draw = ImageDraw.Draw(image)
    size = max(14, image.width // 32)
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = size // 3
    x, y = pad, image.height - (bottom - top) - 3 * pad
    draw.rectangle((0, y - pad, right - left + 2 * pad + x, image.height), fill=(0, 0, 0))
    draw.text((x, y - top), text, font=font, fill=(255, 235, 59))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    name = (upload.name or "photo").rsplit(".", 1)[0] + ".jpg"
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@transaction.atomic
def field_photo_add(
    *,
    order: WorkOrder,
    actor: User,
    upload: UploadedFile,
    tag: str,
    at: datetime.datetime | None = None,
) -> Attachment:
    """A before/after photo from the phone, time-stamped, linked into the type's photo
    field (before_photos/after_photos) when it has one."""
    if tag not in PHOTO_TAGS:
        raise ValidationFailed(_("照片类型无效。"), {"tag": _("应为维修前或维修后。")})
    if order.assignee_id != actor.pk:
        raise Forbidden(_("只有当前处理人可以上传现场照片。"))
    moment = timezone.localtime(at or timezone.now())
    stamped = _stamp(upload, f"{moment:%Y-%m-%d %H:%M:%S}  {order.number}")
    attachment = wo.attachment_create(order=order, actor=actor, upload=stamped, tag=tag)
    field = PHOTO_TAGS[tag]
    if order.type.fields.filter(key=field).exists():
        fresh = WorkOrder.objects.get(pk=order.pk)
        ids = [*fresh.data.get(field, []), attachment.pk]
        wo.work_order_update(
            order=fresh, actor=actor, version=fresh.version, changes={"data": {field: ids}}
        )
    return attachment
