"""Attachment downloads: served only to people who may see the order."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest

from .models import Attachment, WorkOrder


def _visible_attachment(request: HttpRequest, pk: int) -> Attachment:
    attachment = Attachment.objects.filter(
        pk=pk, order__in=WorkOrder.objects.visible_to(request.user)
    ).first()
    if attachment is None:
        raise Http404
    return attachment


@login_required
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    attachment = _visible_attachment(request, pk)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def attachment_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    attachment = _visible_attachment(request, pk)
    if not attachment.thumbnail:
        raise Http404
    response = FileResponse(attachment.thumbnail.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
