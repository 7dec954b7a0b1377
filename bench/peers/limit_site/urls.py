from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from .models import Row


@csrf_exempt
def create(request: HttpRequest) -> JsonResponse:
    """Parse the same JSON body gongdan receives, INSERT one row, answer with it."""
    body = json.loads(request.body)
    row = Row.objects.create(
        title=body.get("title", ""),
        priority=body.get("priority") or "yellow",
        description=body.get("description", ""),
    )
    return JsonResponse(
        {"id": row.pk, "title": row.title, "created_at": row.created_at.isoformat()}, status=201
    )


urlpatterns = [path("rows", create)]
