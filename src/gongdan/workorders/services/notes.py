"""What people add to an order: comments and attachments."""

from __future__ import annotations

import datetime
import io
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from gongdan.core.errors import (
    Forbidden,
    PayloadTooLarge,
    ValidationFailed,
)
from gongdan.core.models import User

from .. import permissions
from ..models import (
    Attachment,
    Comment,
    EventKind,
    WorkOrder,
)
from .common import (
    FILE_TYPES,
    IMAGE_TYPES,
    event_record,
)

# --- comments and attachments --------------------------------------------------


@transaction.atomic
def comment_create(
    *,
    order: WorkOrder,
    actor: User,
    body: Any,
    on_behalf_of: User | None = None,
    at: datetime.datetime | None = None,
) -> Comment:
    """Add a comment; the assignee's first comment counts as the first response."""
    if not isinstance(body, str) or not body.strip():
        raise ValidationFailed(_("评论不能为空。"), {"body": _("此项为必填。")})
    if len(body) > 5000:
        raise ValidationFailed(_("评论过长。"), {"body": _("不能超过 5000 个字符。")})
    if on_behalf_of is not None and on_behalf_of != actor:
        if not permissions.can_act_on_behalf(actor):
            raise Forbidden(_("只有文员、调度和管理员可以代他人操作。"))
    else:
        on_behalf_of = None
    now = at or timezone.now()
    comment = Comment.objects.create(
        order=order, author=actor, on_behalf_of=on_behalf_of, body=body.strip(), created_at=now
    )
    author = on_behalf_of or actor
    if order.first_response_at is None and order.assignee_id == author.pk:
        WorkOrder.objects.filter(pk=order.pk, first_response_at__isnull=True).update(
            first_response_at=now
        )
        order.first_response_at = now
    event_record(
        order=order,
        kind=EventKind.COMMENT,
        actor=actor,
        on_behalf_of=on_behalf_of,
        data={"comment_id": comment.pk, "comment": comment.body[:500]},
        at=now,
    )
    return comment


def _sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return kind.mime if kind else None


@transaction.atomic
def attachment_create(
    *,
    order: WorkOrder,
    actor: User,
    upload: UploadedFile,
    tag: str = "",
) -> Attachment:
    """Store a photo or PDF; the type comes from the bytes, never from the file name."""
    if upload.size is None or upload.size > settings.MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("文件过大（上限 %(mb).1f MB）。") % {"mb": settings.MAX_UPLOAD_BYTES / 1048576},
            {"file": _("文件过大。")},
        )
    if upload.size == 0:
        raise ValidationFailed(_("文件为空。"), {"file": _("文件为空。")})
    content = upload.read()
    mime = _sniff(content[:8192])
    if mime not in FILE_TYPES:
        raise ValidationFailed(
            _("只接受 JPEG、PNG、WebP 照片或 PDF 文件。"), {"file": _("不支持的文件类型。")}
        )
    if not isinstance(tag, str) or len(tag) > 30:
        raise ValidationFailed(_("标签无效。"), {"tag": _("不能超过 30 个字符。")})
    width = height = None
    thumb_bytes = b""
    if mime in IMAGE_TYPES:
        try:
            with Image.open(io.BytesIO(content)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(content)) as original:
                image = ImageOps.exif_transpose(original)
                width, height = image.size
                image.thumbnail(settings.THUMBNAIL_SIZE)
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, "JPEG", quality=80)
                thumb_bytes = buffer.getvalue()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise ValidationFailed(_("图片已损坏，无法读取。"), {"file": _("图片已损坏。")})
    extension = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(mime, "pdf")
    stamp = timezone.now()
    base = f"{stamp:%Y%m%d%H%M%S%f}"
    attachment = Attachment(
        order=order,
        uploaded_by=actor,
        original_name=(upload.name or "")[:200],
        content_type=mime,
        size=len(content),
        width=width,
        height=height,
        tag=tag.strip(),
        created_at=stamp,
    )
    attachment.file.save(f"{base}.{extension}", ContentFile(content), save=False)
    if thumb_bytes:
        attachment.thumbnail.save(f"{base}_thumb.jpg", ContentFile(thumb_bytes), save=False)
    attachment.save()
    event_record(
        order=order,
        kind=EventKind.ATTACHMENT,
        actor=actor,
        data={
            "attachment_id": attachment.pk,
            "name": attachment.original_name,
            "content_type": mime,
            "tag": attachment.tag,
        },
        at=stamp,
    )
    return attachment
